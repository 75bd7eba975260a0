//! GPU utilisation, memory, power and energy through NVML (`libnvidia-ml`, loaded at run
//! time, so a machine without it still runs).

use std::path::Path;

use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};

use super::{note_once, GpuDevice, GpuSample};

/// Every device NVML sees.
pub(super) struct GpuProbe {
    nvml: Nvml,
    devices: Vec<GpuDevice>,
}

impl GpuProbe {
    /// Loads NVML (from `library`, or the system's) and lists the devices, with a note for
    /// each quantity a device does not report. `Err` is the note saying why no GPU can be
    /// sampled.
    pub(super) fn open(library: Option<&Path>) -> Result<(GpuProbe, Vec<String>), String> {
        let nvml = match library {
            Some(path) => Nvml::builder().lib_path(path.as_os_str()).init(),
            None => Nvml::init(),
        }
        .map_err(|error| format!("GPU: not sampled: {}", describe_init_error(&error, library)))?;
        let count = nvml
            .device_count()
            .map_err(|error| format!("GPU: not sampled: NVML cannot count devices: {error}"))?;
        if count == 0 {
            return Err("GPU: not sampled: NVML found no GPU".to_string());
        }
        let mut devices = Vec::new();
        let mut notes = Vec::new();
        for index in 0..count {
            let device = match nvml.device_by_index(index) {
                Ok(device) => device,
                Err(error) => {
                    notes.push(format!("GPU {index}: not sampled: {error}"));
                    continue;
                }
            };
            let name = device.name().unwrap_or_else(|_| "unknown".to_string());
            let checks = [
                ("utilisation", device.utilization_rates().err()),
                ("memory used", device.memory_info().err()),
                ("power draw", device.power_usage().err()),
                (
                    "total-energy counter (energy is estimated from power draw)",
                    device.total_energy_consumption().err(),
                ),
            ];
            for (quantity, error) in checks {
                if let Some(error) = error {
                    notes.push(format!("GPU {index} ({name}): no {quantity}: {error}"));
                }
            }
            devices.push(GpuDevice {
                index,
                uuid: device.uuid().ok(),
                name,
            });
        }
        if devices.is_empty() {
            return Err(format!("GPU: not sampled: {}", notes.join("; ")));
        }
        Ok((GpuProbe { nvml, devices }, notes))
    }

    pub(super) fn devices(&self) -> Vec<GpuDevice> {
        self.devices.clone()
    }

    /// One sample per device, in [`GpuProbe::devices`] order.
    pub(super) fn sample(&self, notes: &mut Vec<String>) -> Vec<GpuSample> {
        self.devices
            .iter()
            .map(|gpu| match self.nvml.device_by_index(gpu.index) {
                Ok(device) => read(&device),
                Err(error) => {
                    note_once(
                        notes,
                        format!("GPU {}: some samples missing: {error}", gpu.index),
                    );
                    GpuSample {
                        utilization_percent: None,
                        memory_used_bytes: None,
                        power_mw: None,
                        energy_mj: None,
                    }
                }
            })
            .collect()
    }
}

fn read(device: &Device<'_>) -> GpuSample {
    GpuSample {
        utilization_percent: device.utilization_rates().ok().map(|rates| rates.gpu),
        memory_used_bytes: device.memory_info().ok().map(|memory| memory.used),
        power_mw: device.power_usage().ok(),
        energy_mj: device.total_energy_consumption().ok(),
    }
}

fn describe_init_error(error: &NvmlError, library: Option<&Path>) -> String {
    let library = library
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| "libnvidia-ml.so.1".to_string());
    match error {
        NvmlError::LibloadingError(cause) => {
            format!("the NVIDIA management library {library} could not be loaded ({cause})")
        }
        NvmlError::DriverNotLoaded => "the NVIDIA driver is not loaded".to_string(),
        NvmlError::NoPermission => "no permission to talk to the NVIDIA driver".to_string(),
        other => format!("NVML did not initialise: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_a_note() {
        let library = Path::new("/nonexistent/libnvidia-ml.so.1");
        let note = match GpuProbe::open(Some(library)) {
            Ok(_) => panic!("a library that does not exist cannot load"),
            Err(note) => note,
        };
        assert!(note.starts_with("GPU: not sampled:"), "{note}");
        assert!(note.contains("/nonexistent/libnvidia-ml.so.1"), "{note}");
    }
}
