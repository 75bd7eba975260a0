//! Reading the machine a bench measures on ([`Host`], the record, is `yardstick-core`'s: its
//! run's fingerprint keeps it): CPU model and count, memory, NVIDIA GPUs (through NVML when
//! it loads) and the OS.

use std::path::Path;

use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
use yardstick_core::Host;

use super::gpu::GpuProbe;

/// Reads this machine (`nvml_library`: NVML's path, else the system's).
pub fn detect_host(nvml_library: Option<&Path>) -> Host {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_cpus_and_memory() {
        let host = detect_host(Some(Path::new("/nonexistent/libnvidia-ml.so.1")));
        assert!(host.logical_cpus >= 1);
        assert!(host.memory_gib > 0.1, "{host:?}");
        assert!(host.gpus.is_empty());
        assert!(host.describe().contains("no NVIDIA GPU seen"));
    }
}
