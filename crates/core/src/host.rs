//! The machine a measurement was taken on, as a bench run's fingerprint records it: CPU model
//! and count, memory, NVIDIA GPUs and the OS. Costs and reports name it, so a measurement is
//! never silently read as one taken on other hardware. Reading the machine is `bench`'s
//! (`yardstick_bench::resources::detect_host`); this is the record.

use serde::{Deserialize, Serialize};

/// The measuring machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// The CPU's model name (`Intel(R) Xeon(R) Platinum 8488C`); empty when unknown.
    pub cpu: String,
    pub logical_cpus: usize,
    pub physical_cores: Option<usize>,
    /// Total memory, GiB.
    pub memory_gib: f64,
    /// NVML's device names, in index order; empty without NVML or an NVIDIA GPU.
    pub gpus: Vec<String>,
    /// `Debian GNU/Linux 12`, when known.
    pub os: Option<String>,
}

impl Host {
    /// One line: `Intel(R) Xeon(R) … (8 logical CPUs, 4 cores), 23.5 GiB, GPUs: NVIDIA H100`.
    pub fn describe(&self) -> String {
        let cpu = if self.cpu.is_empty() {
            "unknown CPU"
        } else {
            self.cpu.as_str()
        };
        let cores = self
            .physical_cores
            .map_or_else(String::new, |cores| format!(", {cores} cores"));
        let gpus = if self.gpus.is_empty() {
            "no NVIDIA GPU seen".to_string()
        } else {
            format!("GPUs: {}", self.gpus.join(", "))
        };
        format!(
            "{cpu} ({} logical CPUs{cores}), {:.1} GiB, {gpus}",
            self.logical_cpus, self.memory_gib
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_gpus_and_cores() {
        let host = Host {
            cpu: "AMD EPYC 7R13".into(),
            logical_cpus: 8,
            physical_cores: Some(4),
            memory_gib: 32.0,
            gpus: vec!["NVIDIA A10G".into()],
            os: None,
        };
        assert_eq!(
            host.describe(),
            "AMD EPYC 7R13 (8 logical CPUs, 4 cores), 32.0 GiB, GPUs: NVIDIA A10G"
        );
    }

    #[test]
    fn an_unknown_cpu_without_gpus_says_so() {
        let host = Host {
            cpu: String::new(),
            logical_cpus: 2,
            physical_cores: None,
            memory_gib: 3.94,
            gpus: Vec::new(),
            os: Some("Debian GNU/Linux 12".into()),
        };
        assert_eq!(
            host.describe(),
            "unknown CPU (2 logical CPUs), 3.9 GiB, no NVIDIA GPU seen"
        );
    }
}
