//! The pure core of yardstick's serving load tests: seeded arrival schedules for open-loop
//! load ([`arrivals`]), the record of what the client saw of each request ([`timing`]), and
//! the metrics computed from those records ([`metrics`]: TTFT, TPOT, ITL, end-to-end
//! latency, throughput, errors by cause, goodput), as `yardstick_core::MetricRecord`s.
//! Metric definitions and how they relate to other tools' are in `docs/metrics.md`.
//!
//! This crate must not do I/O, must not read a clock and needs no async runtime: every time
//! is passed in as a `Duration` since the run's monotonic start, and every random draw comes
//! from a seed passed in. The HTTP client that sends requests and fills in the records, and
//! the scheduler that sleeps until each offset, live elsewhere and depend on this crate.

pub mod arrivals;
mod error;
pub mod metrics;
pub mod timing;

pub use arrivals::{ArrivalOffsets, ArrivalProcess, ArrivalSchedule};
pub use error::LoadError;
pub use metrics::{
    summarize_run, Distribution, ItlDefinition, LatencyOrigin, MetricsOptions, RequestMetrics,
    RunMetrics, Slo,
};
pub use timing::{Chunk, ErrorCause, RequestTiming, TokenCount, TokenCountSource};
