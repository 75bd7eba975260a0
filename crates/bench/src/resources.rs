//! Resource sampling during a load-test run: CPU use and RSS of one process, GPU utilisation,
//! memory and power (NVML), and CPU package energy (RAPL), read on a background thread every
//! `interval` from [`ResourceSampler::start`] to [`ResourceSampler::stop`].
//!
//! What is read, and from where:
//!
//! - **Process** (sysinfo, only that pid refreshed): the accumulated CPU time and the resident
//!   set size. `cpu_percent` is CPU time over wall time between two samples, in percent of
//!   one core (as sysinfo and `top` report it: 250 = two and a half cores busy).
//! - **GPU** (NVML, `libnvidia-ml` loaded at run time): per device, utilisation, memory used,
//!   power draw and the total-energy counter (Volta and newer). Every device NVML sees is
//!   sampled, whatever the target uses (NVML ignores `CUDA_VISIBLE_DEVICES`); the raw samples
//!   are per device, the records sum memory, power and energy over the devices and average
//!   utilisation.
//! - **CPU package energy** (RAPL through powercap sysfs: `<root>/intel-rapl:N/energy_uj`,
//!   package domains only, wrap-around at `max_energy_range_uj`). It covers the whole CPU
//!   package, every process on it, not only the sampled one.
//!
//! A source that cannot be read (no NVIDIA library or GPU, no powercap directory, `energy_uj`
//! readable by root only, the process exiting mid-run) is not an error: its readings are
//! absent and [`ResourceReport::notes`] says why. Only a pid that does not exist at start,
//! or an unusable interval, fails [`ResourceSampler::start`].
//!
//! # Records
//!
//! [`ResourceReport::records`] names each record `<quantity>_<unit>.<statistic>`, as the
//! load metrics do, with `n` and the min/max spread of the readings:
//!
//! - `cpu_percent.mean` (CPU time over wall time from the first to the last sample) and
//!   `cpu_percent.max` (the busiest interval between two samples);
//! - `rss_mib.mean` and `rss_mib.max` (the largest sample, not the kernel's high-water mark);
//! - `gpu_util_percent.*` (the mean over devices), `gpu_memory_mib.*` and `gpu_power_w.*`
//!   (the sums over devices), each `.mean` and `.max` over the samples.
//!
//! Energy records end in their provenance instead:
//!
//! - `.measured`: the difference of a hardware energy counter between the first and last
//!   sample (RAPL `energy_uj`, NVML total energy);
//! - `.estimated`: power samples integrated over time (trapezoids), used for a GPU without an
//!   energy counter.
//!
//! `energy_cpu_package_j.measured` (every package's counter read at the first and the last
//! sample), `energy_gpu_j.{measured|estimated}` (every device's counter, or failing that its
//! power draw), and from their sum (every source that was read;
//! [`ResourceReport::power_sources`] says which) `energy_per_output_token_j.*` and
//! `output_tokens_per_s_per_w.*` (output tokens per joule), `.measured` only when every part
//! of the sum was measured. A source not fully read has no energy record.

mod gpu;
mod host;
mod process;
mod rapl;
mod records;

pub use host::detect_host;
/// The measuring machine, as a run's fingerprint records it (defined in `yardstick-core`).
pub use yardstick_core::Host;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use gpu::GpuProbe;
use process::ProcessProbe;
use rapl::RaplProbe;

/// Why resource sampling could not start.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// The process to sample does not exist.
    #[error("cannot sample resources of process {pid}: no such process")]
    NoSuchProcess { pid: u32 },
    /// The sampling interval is too short to be meaningful.
    #[error("resource sampling interval {interval:?} is shorter than the minimum {minimum:?}")]
    IntervalTooShort {
        interval: Duration,
        minimum: Duration,
    },
    /// The sampling thread could not be started.
    #[error("cannot start the resource sampling thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// What to sample and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerConfig {
    /// The process whose CPU use and RSS are sampled; `None` = this process.
    pub pid: Option<u32>,
    /// Time between samples (at least [`SamplerConfig::MINIMUM_INTERVAL`]).
    pub interval: Duration,
    /// Sample the GPUs through NVML.
    pub gpu: bool,
    /// The NVML library to load; `None` = the system's `libnvidia-ml.so.1`.
    pub nvml_library: Option<PathBuf>,
    /// The powercap sysfs directory holding the RAPL domains.
    pub powercap_root: PathBuf,
}

impl SamplerConfig {
    /// The default time between samples.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(200);
    /// The shortest interval accepted: CPU time advances in 10 ms ticks on Linux.
    pub const MINIMUM_INTERVAL: Duration = Duration::from_millis(10);
    /// Where Linux exposes RAPL.
    pub const DEFAULT_POWERCAP_ROOT: &'static str = "/sys/class/powercap";
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            pid: None,
            interval: Self::DEFAULT_INTERVAL,
            gpu: true,
            nvml_library: None,
            powercap_root: PathBuf::from(Self::DEFAULT_POWERCAP_ROOT),
        }
    }
}

/// One reading of every source, taken `at` after the sampler started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    pub at: Duration,
    /// `None` once the process is gone.
    pub process: Option<ProcessSample>,
    /// One per [`ResourceReport::gpus`], in the same order.
    pub gpus: Vec<GpuSample>,
    /// Cumulative energy counter (µJ) of each [`ResourceReport::cpu_packages`] domain, in
    /// the same order; `None` where the read failed.
    pub cpu_package_energy_uj: Vec<Option<u64>>,
}

/// The sampled process at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessSample {
    /// User + system CPU time since the process started.
    pub cpu_time_ms: u64,
    /// CPU time over wall time since the previous sample, in percent of one core; `None`
    /// for the first sample and for a last interval shorter than half the sampling interval
    /// (too short for the 10 ms CPU-time ticks).
    pub cpu_percent: Option<f64>,
    pub rss_bytes: u64,
}

/// One GPU at one instant; `None` where the device does not report the quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuSample {
    /// Percent of the last NVML sample period in which a kernel ran.
    pub utilization_percent: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub power_mw: Option<u32>,
    /// NVML's total-energy counter (mJ since the driver loaded).
    pub energy_mj: Option<u64>,
}

/// A GPU that was sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuDevice {
    /// NVML's device index.
    pub index: u32,
    pub name: String,
    pub uuid: Option<String>,
}

/// A RAPL package domain that was sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuPackage {
    /// The domain directory (`…/intel-rapl:0`).
    pub path: PathBuf,
    /// Its `name` file (`package-0`).
    pub name: String,
    /// The counter wraps to 0 after this value.
    pub max_energy_range_uj: u64,
}

/// Everything one sampling run read, with the notes that explain what is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    pub pid: u32,
    pub interval: Duration,
    pub gpus: Vec<GpuDevice>,
    pub cpu_packages: Vec<CpuPackage>,
    /// In time order; the first is taken at start, the last at stop.
    pub samples: Vec<ResourceSample>,
    /// Why a source is missing or incomplete, one sentence each.
    pub notes: Vec<String>,
}

/// A running sampler; [`ResourceSampler::stop`] ends it and returns what it read. Dropped
/// without `stop`, its thread ends at the next tick.
#[derive(Debug)]
pub struct ResourceSampler {
    stop: Sender<()>,
    thread: JoinHandle<SamplingOutcome>,
    report: ResourceReport,
}

/// What the sampling thread hands back.
#[derive(Debug)]
struct SamplingOutcome {
    samples: Vec<ResourceSample>,
    notes: Vec<String>,
}

impl ResourceSampler {
    /// Opens every source (checking the process exists and loading NVML, which may take a
    /// moment) and starts a background thread that samples at once, then every
    /// `config.interval`.
    pub fn start(config: SamplerConfig) -> Result<ResourceSampler, ResourceError> {
        if config.interval < SamplerConfig::MINIMUM_INTERVAL {
            return Err(ResourceError::IntervalTooShort {
                interval: config.interval,
                minimum: SamplerConfig::MINIMUM_INTERVAL,
            });
        }
        let pid = config.pid.unwrap_or_else(std::process::id);
        let process = ProcessProbe::open(pid)?;
        let mut notes = Vec::new();
        let gpu = if config.gpu {
            match GpuProbe::open(config.nvml_library.as_deref()) {
                Ok((probe, device_notes)) => {
                    notes.extend(device_notes);
                    Some(probe)
                }
                Err(note) => {
                    notes.push(note);
                    None
                }
            }
        } else {
            notes.push("GPU: not sampled (turned off in the sampler's settings)".to_string());
            None
        };
        let rapl = match RaplProbe::open(&config.powercap_root) {
            Ok(probe) => Some(probe),
            Err(note) => {
                notes.push(note);
                None
            }
        };
        let report = ResourceReport {
            pid,
            interval: config.interval,
            gpus: gpu.as_ref().map(GpuProbe::devices).unwrap_or_default(),
            cpu_packages: rapl
                .as_ref()
                .map(|probe| probe.packages().to_vec())
                .unwrap_or_default(),
            samples: Vec::new(),
            notes,
        };
        let probes = Probes {
            process,
            gpu,
            rapl,
            interval: config.interval,
            notes: Vec::new(),
        };
        let (stop, stopped) = mpsc::channel();
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name(format!("resource-sampler-{pid}"))
            .spawn(move || probes.run(started, stopped))
            .map_err(ResourceError::Thread)?;
        Ok(ResourceSampler {
            stop,
            thread,
            report,
        })
    }

    /// Takes a last sample, ends the thread and returns every sample with the notes.
    pub fn stop(self) -> ResourceReport {
        let ResourceSampler {
            stop,
            thread,
            mut report,
        } = self;
        // A failed send means the thread has already ended; the join tells how.
        let _ = stop.send(());
        match thread.join() {
            Ok(outcome) => {
                report.samples = outcome.samples;
                report.notes.extend(outcome.notes);
            }
            Err(_) => report
                .notes
                .push("the resource sampling thread panicked; its samples are lost".to_string()),
        }
        report
    }
}

/// The opened sources, owned by the sampling thread.
struct Probes {
    process: ProcessProbe,
    gpu: Option<GpuProbe>,
    rapl: Option<RaplProbe>,
    interval: Duration,
    notes: Vec<String>,
}

impl Probes {
    /// Samples at start, then every `interval` (skipping ticks it fell behind on), then once
    /// more when told to stop or when the sampler is dropped.
    fn run(mut self, started: Instant, stopped: Receiver<()>) -> SamplingOutcome {
        let mut samples = vec![self.sample(started)];
        let mut next = started + self.interval;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {
                    samples.push(self.sample(started));
                    next += self.interval;
                    let now = Instant::now();
                    if next <= now {
                        next = now + self.interval;
                    }
                }
                Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                    samples.push(self.sample(started));
                    break;
                }
            }
        }
        SamplingOutcome {
            samples,
            notes: self.notes,
        }
    }

    fn sample(&mut self, started: Instant) -> ResourceSample {
        let now = Instant::now();
        let at = now.duration_since(started);
        let process = self
            .process
            .sample(now, self.interval / 2, at, &mut self.notes);
        let gpus = self
            .gpu
            .as_ref()
            .map(|probe| probe.sample(&mut self.notes))
            .unwrap_or_default();
        let cpu_package_energy_uj = self
            .rapl
            .as_ref()
            .map(|probe| probe.read(&mut self.notes))
            .unwrap_or_default();
        ResourceSample {
            at,
            process,
            gpus,
            cpu_package_energy_uj,
        }
    }
}

/// Adds `note` unless an identical one is already there: a source failing at every tick
/// says so once.
fn note_once(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}
