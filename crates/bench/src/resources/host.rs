//! The machine a bench measures on, as its run's fingerprint records it: CPU model and
//! count, memory, NVIDIA GPUs (through NVML when it loads) and the OS. Costs and reports name
//! it, so a measurement is never silently read as one taken on other hardware.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use super::gpu::GpuProbe;

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
    /// Reads this machine (`nvml_library`: NVML's path, else the system's).
    pub fn detect(nvml_library: Option<&Path>) -> Host {
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let gpus = GpuProbe::open(nvml_library)
            .map(|(probe, _)| probe.devices().into_iter().map(|gpu| gpu.name).collect())
            .unwrap_or_default();
        Host {
            cpu: system
                .cpus()
                .first()
                .map(|cpu| cpu.brand().trim().to_string())
                .unwrap_or_default(),
            logical_cpus: system.cpus().len(),
            physical_cores: System::physical_core_count(),
            memory_gib: system.total_memory() as f64 / (1024.0 * 1024.0 * 1024.0),
            gpus,
            os: System::long_os_version(),
        }
    }

    /// One line: `2 × Intel(R) Xeon(R) … (2 cores), 23.5 GiB, GPUs: NVIDIA H100 80GB HBM3`.
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
    fn this_machine_has_cpus_and_memory() {
        let host = Host::detect(Some(Path::new("/nonexistent/libnvidia-ml.so.1")));
        assert!(host.logical_cpus >= 1);
        assert!(host.memory_gib > 0.1, "{host:?}");
        assert!(host.gpus.is_empty());
        assert!(host.describe().contains("no NVIDIA GPU seen"));
    }

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
}
