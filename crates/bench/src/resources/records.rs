//! From raw samples to metric records (names and provenance: see the module docs of
//! [`super`]).

use yardstick_core::{MetricRecord, Unit};

use super::rapl::counter_energy_uj;
use super::{ResourceReport, ResourceSample};

const BYTES_PER_MIB: f64 = 1024.0 * 1024.0;

/// Whether an energy comes from a hardware counter or from integrating power samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provenance {
    Measured,
    Estimated,
}

impl Provenance {
    fn suffix(self) -> &'static str {
        match self {
            Provenance::Measured => "measured",
            Provenance::Estimated => "estimated",
        }
    }

    /// A sum is measured only when every part is.
    fn and(self, other: Provenance) -> Provenance {
        if self == Provenance::Measured && other == Provenance::Measured {
            Provenance::Measured
        } else {
            Provenance::Estimated
        }
    }
}

/// An energy in joules and where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Energy {
    joules: f64,
    provenance: Provenance,
}

impl Energy {
    fn plus(self, other: Energy) -> Energy {
        Energy {
            joules: self.joules + other.joules,
            provenance: self.provenance.and(other.provenance),
        }
    }
}

impl ResourceReport {
    /// The report as metric records; `completion_tokens` is the output tokens of the run
    /// the samples cover, for the energy-per-token records (0 = unknown: none of those).
    /// Records whose readings are missing are left out.
    pub fn records(&self, completion_tokens: u64) -> Vec<MetricRecord> {
        let mut records = Vec::new();
        records.extend(self.cpu_records());
        let rss_mib: Vec<f64> = self
            .process_samples()
            .map(|process| process.rss_bytes as f64 / BYTES_PER_MIB)
            .collect();
        records.extend(mean_and_max("rss_mib", &rss_mib, Unit::Mebibytes));
        if !self.gpus.is_empty() {
            let utilization = self.gpu_series(|gpu| gpu.utilization_percent.map(f64::from));
            let utilization: Vec<f64> = utilization
                .iter()
                .map(|total| total / self.gpus.len() as f64)
                .collect();
            records.extend(mean_and_max(
                "gpu_util_percent",
                &utilization,
                Unit::Percent,
            ));
            let memory = self.gpu_series(|gpu| gpu.memory_used_bytes.map(|b| b as f64));
            let memory: Vec<f64> = memory.iter().map(|bytes| bytes / BYTES_PER_MIB).collect();
            records.extend(mean_and_max("gpu_memory_mib", &memory, Unit::Mebibytes));
            let power = self.gpu_series(|gpu| gpu.power_mw.map(|mw| f64::from(mw) / 1000.0));
            records.extend(mean_and_max("gpu_power_w", &power, Unit::Watts));
        }

        let cpu_package = self.cpu_package_energy();
        let gpu = self.gpu_energy();
        let energy_record = |name: &str, energy: Energy| {
            let name = format!("{name}.{}", energy.provenance.suffix());
            MetricRecord::new(name, energy.joules, Unit::Joules)
        };
        records.extend(cpu_package.map(|energy| energy_record("energy_cpu_package_j", energy)));
        records.extend(gpu.map(|energy| energy_record("energy_gpu_j", energy)));
        let total = match (cpu_package, gpu) {
            (Some(cpu), Some(gpu)) => Some(cpu.plus(gpu)),
            (one, other) => one.or(other),
        };
        if let (Some(total), true) = (total, completion_tokens > 0) {
            let tokens = completion_tokens as f64;
            let suffix = total.provenance.suffix();
            records.push(
                MetricRecord::new(
                    format!("energy_per_output_token_j.{suffix}"),
                    total.joules / tokens,
                    Unit::JoulesPerToken,
                )
                .with_n(completion_tokens),
            );
            if total.joules > 0.0 {
                records.push(
                    MetricRecord::new(
                        format!("output_tokens_per_s_per_w.{suffix}"),
                        tokens / total.joules,
                        Unit::TokensPerSecondPerWatt,
                    )
                    .with_n(completion_tokens),
                );
            }
        }
        records
    }

    /// Where the energy records come from, one sentence per source, in the order the
    /// records are; empty when no energy could be read.
    pub fn power_sources(&self) -> Vec<String> {
        let mut sources = Vec::new();
        if self.cpu_package_energy().is_some() {
            let names: Vec<&str> = self.cpu_packages.iter().map(|p| p.name.as_str()).collect();
            sources.push(format!(
                "cpu_package: RAPL energy counters of {} (measured); the whole CPU package, \
                 every process on it, not only process {}",
                names.join(", "),
                self.pid
            ));
        }
        if self.gpu_energy().is_some() {
            let devices: Vec<String> = (0..self.gpus.len())
                .filter_map(|device| {
                    let energy = self.device_energy(device)?;
                    let gpu = &self.gpus[device];
                    Some(match energy.provenance {
                        Provenance::Measured => format!(
                            "GPU {} ({}): NVML total-energy counter (measured)",
                            gpu.index, gpu.name
                        ),
                        Provenance::Estimated => format!(
                            "GPU {} ({}): NVML power draw integrated over time (estimated)",
                            gpu.index, gpu.name
                        ),
                    })
                })
                .collect();
            sources.push(format!("gpu: {}", devices.join("; ")));
        }
        sources
    }

    fn process_samples(&self) -> impl Iterator<Item = &super::ProcessSample> {
        self.samples
            .iter()
            .filter_map(|sample| sample.process.as_ref())
    }

    /// `cpu_percent.mean`: CPU time over wall time between the first and the last process
    /// sample; `cpu_percent.max`: the busiest interval between two samples.
    fn cpu_records(&self) -> Vec<MetricRecord> {
        let mut records = Vec::new();
        let with_process: Vec<&ResourceSample> = self
            .samples
            .iter()
            .filter(|sample| sample.process.is_some())
            .collect();
        let intervals: Vec<f64> = self
            .process_samples()
            .filter_map(|process| process.cpu_percent)
            .collect();
        let spread = |record: MetricRecord| match min_max(&intervals) {
            Some((min, max)) => record.with_spread(min, max),
            None => record,
        };
        if let (Some(first), Some(last)) = (with_process.first(), with_process.last()) {
            let wall_ms = last.at.saturating_sub(first.at).as_secs_f64() * 1000.0;
            let cpu_ms = match (&first.process, &last.process) {
                (Some(first), Some(last)) => last.cpu_time_ms.saturating_sub(first.cpu_time_ms),
                _ => 0,
            };
            if wall_ms > 0.0 {
                let mean = 100.0 * cpu_ms as f64 / wall_ms;
                records.push(spread(
                    MetricRecord::new("cpu_percent.mean", mean, Unit::Percent)
                        .with_n(with_process.len() as u64 - 1),
                ));
            }
        }
        if let Some((_, max)) = min_max(&intervals) {
            records.push(spread(
                MetricRecord::new("cpu_percent.max", max, Unit::Percent)
                    .with_n(intervals.len() as u64),
            ));
        }
        records
    }

    /// Per sample, the sum over devices of `quantity`; samples where a device lacks it are
    /// left out.
    fn gpu_series(&self, quantity: impl Fn(&super::GpuSample) -> Option<f64>) -> Vec<f64> {
        self.samples
            .iter()
            .filter(|sample| sample.gpus.len() == self.gpus.len())
            .filter_map(|sample| sample.gpus.iter().map(&quantity).sum::<Option<f64>>())
            .collect()
    }

    /// The summed RAPL counters of every package, when each was read at the first and the
    /// last sample.
    fn cpu_package_energy(&self) -> Option<Energy> {
        if self.cpu_packages.is_empty() {
            return None;
        }
        let mut microjoules = 0;
        for (index, package) in self.cpu_packages.iter().enumerate() {
            let readings: Vec<Option<u64>> = self
                .samples
                .iter()
                .map(|sample| sample.cpu_package_energy_uj.get(index).copied().flatten())
                .collect();
            if readings.first().copied().flatten().is_none()
                || readings.last().copied().flatten().is_none()
            {
                return None;
            }
            microjoules += counter_energy_uj(readings, package.max_energy_range_uj)?;
        }
        Some(Energy {
            joules: microjoules as f64 / 1e6,
            provenance: Provenance::Measured,
        })
    }

    /// The sum over GPUs; `None` unless every device has an energy.
    fn gpu_energy(&self) -> Option<Energy> {
        (0..self.gpus.len())
            .map(|device| self.device_energy(device))
            .reduce(|sum, energy| Some(sum?.plus(energy?)))
            .flatten()
    }

    /// One GPU's energy: its counter when read at the first and the last sample, otherwise
    /// its power draw integrated over time (trapezoids between consecutive readings).
    fn device_energy(&self, device: usize) -> Option<Energy> {
        let reading = |sample: &ResourceSample| sample.gpus.get(device).copied();
        let counter = |sample: Option<&ResourceSample>| reading(sample?)?.energy_mj;
        if let (Some(first), Some(last)) =
            (counter(self.samples.first()), counter(self.samples.last()))
        {
            if self.samples.len() >= 2 {
                return Some(Energy {
                    joules: last.saturating_sub(first) as f64 / 1000.0,
                    provenance: Provenance::Measured,
                });
            }
        }
        let power: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter_map(|sample| {
                let watts = f64::from(reading(sample)?.power_mw?) / 1000.0;
                Some((sample.at.as_secs_f64(), watts))
            })
            .collect();
        if power.len() < 2 {
            return None;
        }
        let joules = power
            .windows(2)
            .map(|pair| (pair[1].0 - pair[0].0) * (pair[0].1 + pair[1].1) / 2.0)
            .sum();
        Some(Energy {
            joules,
            provenance: Provenance::Estimated,
        })
    }
}

/// `<name>.mean` and `<name>.max` of `values`, each with `n` and the min/max spread; none
/// when `values` is empty.
fn mean_and_max(name: &str, values: &[f64], unit: Unit) -> Vec<MetricRecord> {
    let Some((min, max)) = min_max(values) else {
        return Vec::new();
    };
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    [("mean", mean), ("max", max)]
        .into_iter()
        .map(|(statistic, value)| {
            MetricRecord::new(format!("{name}.{statistic}"), value, unit)
                .with_n(values.len() as u64)
                .with_spread(min, max)
        })
        .collect()
}

fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    values.iter().fold(None, |spread, &value| match spread {
        None => Some((value, value)),
        Some((min, max)) => Some((f64::min(min, value), f64::max(max, value))),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::resources::{CpuPackage, GpuDevice, GpuSample, ProcessSample};

    const MIB: u64 = 1024 * 1024;

    fn gpu(utilization: u32, memory_mib: u64, watts: u32, energy_j: Option<u64>) -> GpuSample {
        GpuSample {
            utilization_percent: Some(utilization),
            memory_used_bytes: Some(memory_mib * MIB),
            power_mw: Some(watts * 1000),
            energy_mj: energy_j.map(|joules| joules * 1000),
        }
    }

    fn sample(
        seconds: u64,
        cpu: (u64, Option<f64>),
        rss_mib: u64,
        gpus: [GpuSample; 2],
        packages: [Option<u64>; 2],
    ) -> ResourceSample {
        ResourceSample {
            at: Duration::from_secs(seconds),
            process: Some(ProcessSample {
                cpu_time_ms: cpu.0,
                cpu_percent: cpu.1,
                rss_bytes: rss_mib * MIB,
            }),
            gpus: gpus.to_vec(),
            cpu_package_energy_uj: packages.to_vec(),
        }
    }

    /// Two GPUs (the second without an energy counter) and two RAPL packages, the first
    /// wrapping around between the second and the third sample.
    fn report() -> ResourceReport {
        let device = |index: u32| GpuDevice {
            index,
            name: format!("Fake GPU {index}"),
            uuid: None,
        };
        let package = |index: u32, max_energy_range_uj: u64| CpuPackage {
            path: PathBuf::from(format!("/fake/intel-rapl:{index}")),
            name: format!("package-{index}"),
            max_energy_range_uj,
        };
        ResourceReport {
            pid: 42,
            interval: Duration::from_secs(1),
            gpus: vec![device(0), device(1)],
            cpu_packages: vec![package(0, 1_000_000_000), package(1, 500_000_000)],
            samples: vec![
                sample(
                    0,
                    (1_000, None),
                    100,
                    [gpu(10, 1024, 100, Some(1_000)), gpu(30, 2048, 50, None)],
                    [Some(999_000_000), Some(0)],
                ),
                sample(
                    1,
                    (1_500, Some(50.0)),
                    200,
                    [gpu(20, 1024, 200, Some(1_150)), gpu(40, 2048, 50, None)],
                    [Some(999_500_000), None],
                ),
                sample(
                    2,
                    (3_000, Some(150.0)),
                    300,
                    [gpu(30, 1024, 300, Some(1_400)), gpu(50, 2048, 100, None)],
                    [Some(2_000_000), Some(7_000_000)],
                ),
            ],
            notes: Vec::new(),
        }
    }

    fn value(records: &[MetricRecord], name: &str) -> f64 {
        records
            .iter()
            .find(|record| record.name == name)
            .map(|record| record.value)
            .unwrap_or_else(|| panic!("no record {name}"))
    }

    #[test]
    fn names_units_and_values() {
        let records = report().records(1_070);
        let names: Vec<&str> = records.iter().map(|record| record.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cpu_percent.mean",
                "cpu_percent.max",
                "rss_mib.mean",
                "rss_mib.max",
                "gpu_util_percent.mean",
                "gpu_util_percent.max",
                "gpu_memory_mib.mean",
                "gpu_memory_mib.max",
                "gpu_power_w.mean",
                "gpu_power_w.max",
                "energy_cpu_package_j.measured",
                "energy_gpu_j.estimated",
                "energy_per_output_token_j.estimated",
                "output_tokens_per_s_per_w.estimated",
            ]
        );
        let close = |name: &str, expected: f64| {
            let actual = value(&records, name);
            assert!(
                (actual - expected).abs() < 1e-9,
                "{name}: {actual} != {expected}"
            );
        };
        // 2000 ms of CPU time in 2000 ms of wall time.
        close("cpu_percent.mean", 100.0);
        close("cpu_percent.max", 150.0);
        close("rss_mib.mean", 200.0);
        close("rss_mib.max", 300.0);
        // Per sample, the mean over devices: 20, 30, 40.
        close("gpu_util_percent.mean", 30.0);
        close("gpu_util_percent.max", 40.0);
        close("gpu_memory_mib.max", 3072.0);
        // Per sample, the sum over devices: 150, 250, 400.
        close("gpu_power_w.mean", 800.0 / 3.0);
        close("gpu_power_w.max", 400.0);
        // 0.5 J + 0.5 J + 2 J across the wrap of package 0; 7 J of package 1.
        close("energy_cpu_package_j.measured", 10.0);
        // Counter: 400 J; trapezoids: 50 J + 75 J.
        close("energy_gpu_j.estimated", 525.0);
        close("energy_per_output_token_j.estimated", 0.5);
        close("output_tokens_per_s_per_w.estimated", 2.0);

        let unit = |name: &str| records.iter().find(|r| r.name == name).map(|r| r.unit);
        assert_eq!(unit("cpu_percent.mean"), Some(Unit::Percent));
        assert_eq!(unit("rss_mib.max"), Some(Unit::Mebibytes));
        assert_eq!(unit("gpu_power_w.mean"), Some(Unit::Watts));
        assert_eq!(unit("energy_gpu_j.estimated"), Some(Unit::Joules));
        assert_eq!(
            unit("energy_per_output_token_j.estimated"),
            Some(Unit::JoulesPerToken)
        );
        let rss = records.iter().find(|r| r.name == "rss_mib.mean");
        assert_eq!(
            rss.map(|r| (r.n, r.min, r.max)),
            Some((Some(3), Some(100.0), Some(300.0)))
        );
    }

    #[test]
    fn counters_everywhere_are_measured() {
        let mut report = report();
        for (index, sample) in report.samples.iter_mut().enumerate() {
            sample.gpus[1].energy_mj = Some(10_000 + 110_000 * index as u64);
        }
        let records = report.records(210);
        // 400 J + 220 J of GPU, 10 J of CPU packages.
        assert_eq!(value(&records, "energy_gpu_j.measured"), 620.0);
        assert_eq!(value(&records, "energy_per_output_token_j.measured"), 3.0);
        assert!((value(&records, "output_tokens_per_s_per_w.measured") - 1.0 / 3.0).abs() < 1e-12);
        assert!(!records.iter().any(|r| r.name.ends_with(".estimated")));
        let sources = report.power_sources();
        assert_eq!(sources.len(), 2);
        assert!(sources[0].starts_with("cpu_package: RAPL energy counters of package-0, package-1"));
        assert!(sources[0].contains("every process"));
        assert!(sources[1].contains("GPU 1 (Fake GPU 1): NVML total-energy counter (measured)"));
    }

    #[test]
    fn missing_sources_leave_records_out() {
        let mut report = report();
        report.gpus.clear();
        report.cpu_packages.clear();
        for sample in &mut report.samples {
            sample.gpus.clear();
            sample.cpu_package_energy_uj.clear();
        }
        let records = report.records(1_000);
        let names: Vec<&str> = records.iter().map(|record| record.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cpu_percent.mean",
                "cpu_percent.max",
                "rss_mib.mean",
                "rss_mib.max"
            ]
        );
        assert!(report.power_sources().is_empty());

        // A package counter missing at the end: no CPU package energy, GPU energy alone
        // makes the per-token records; no tokens: no per-token records.
        let mut report = self::report();
        report.samples[2].cpu_package_energy_uj[1] = None;
        let records = report.records(0);
        assert!(!records
            .iter()
            .any(|r| r.name.starts_with("energy_cpu_package_j")));
        assert!(!records
            .iter()
            .any(|r| r.name.starts_with("energy_per_output_token_j")));
        assert_eq!(
            value(&report.records(525), "energy_per_output_token_j.estimated"),
            1.0
        );
    }
}
