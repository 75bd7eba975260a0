//! A load point (how hard the client pushes) and what one run at it measured.

use std::fmt;

use serde::{Deserialize, Serialize};
use yardstick_core::MetricRecord;
use yardstick_load::{ArrivalProcess, RequestTiming, RunMetrics};

/// How the client offers load during one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum LoadPoint {
    /// Closed loop: this many requests in flight; a worker sends its next request as soon as
    /// its previous one finished.
    Concurrency { concurrency: usize },
    /// Open loop: requests arrive on a seeded schedule at `rate` per second, sent on time
    /// whatever the target does.
    Rate { process: ArrivalProcess, rate: f64 },
}

impl LoadPoint {
    /// A short label for tables and plots: `c=16`, `poisson@2.5/s`.
    pub fn label(&self) -> String {
        match self {
            LoadPoint::Concurrency { concurrency } => format!("c={concurrency}"),
            LoadPoint::Rate { process, rate } => format!("{process}@{rate}/s"),
        }
    }
}

impl fmt::Display for LoadPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// What one run at one load point measured.
#[derive(Debug, Clone)]
pub struct PointResult {
    pub point: LoadPoint,
    /// The monotonic instant every offset in `timings` counts from.
    pub started: std::time::Instant,
    /// Every request of the run, warm-up included, in the order they were sent.
    pub timings: Vec<RequestTiming>,
    /// The summary of `timings` under the run's metric options.
    pub metrics: RunMetrics,
    /// Resource records sampled during the run (CPU, RSS, GPU, energy); empty when none
    /// could be read.
    pub resources: Vec<MetricRecord>,
    /// The run was cut short (Ctrl-C, duration bound) before every request was sent.
    pub interrupted: bool,
}
