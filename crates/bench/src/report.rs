//! Reports of a load sweep, from its [`PointResult`]s: terminal tables ([`summary_table`],
//! [`errors_table`]), plots as SVG or PNG files ([`write_plots`]) and exports that keep every
//! number ([`write_json`], [`write_csv_requests`], [`write_csv_metrics`]).
//!
//! Reports only read what a run measured; every statistic comes from `yardstick-load`
//! ([`RunMetrics`](yardstick_load::RunMetrics)), so a table, a plot and an export of the same
//! run agree. Where a report needs the samples behind a distribution (a CDF), it selects them
//! with `yardstick_load::metrics::warmup_mask`, the selection `summarize_run` itself uses:
//! measured requests (not the first `warmup_requests` by send time)
//! that completed.

mod cdf;
mod export_csv;
mod export_json;
mod live;
mod plots;
mod table;
mod trials;

#[cfg(test)]
mod sample_sweep;

use std::path::PathBuf;

use yardstick_load::RequestTiming;

use crate::point::PointResult;

pub use export_csv::{write_csv_metrics, write_csv_requests};
pub use export_json::write_json;
pub use live::LiveRun;
pub use plots::{write_plots, PlotFormat};
pub use table::{errors_table, summary_table, SCHEDULE_LAG_LIMIT};
pub use trials::{across_points, by_point, trials_lines};

/// What can go wrong while writing a report. Every failure to write names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be created or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A CSV row could not be written.
    #[error("writing CSV {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },

    /// The JSON export could not be written.
    #[error("writing JSON {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// A plot could not be drawn.
    #[error("drawing plot {}: {reason}", path.display())]
    Plot { path: PathBuf, reason: String },
}

impl ReportError {
    /// An I/O failure while `action` (`creating`, `writing`, ...) `path`.
    fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> ReportError {
        ReportError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The measured requests of a point (warm-up excluded), in the order sent, with or without an
/// error: the records the run's statistics and failure counts were computed from.
pub(crate) fn measured_requests(result: &PointResult) -> impl Iterator<Item = &RequestTiming> {
    let warmup =
        yardstick_load::metrics::warmup_mask(&result.timings, result.metrics.warmup_requests);
    result
        .timings
        .iter()
        .zip(warmup)
        .filter_map(|(timing, warmup)| (!warmup).then_some(timing))
}

/// The measured requests of a point that completed: the records behind its latency
/// distributions.
pub(crate) fn completed_requests(result: &PointResult) -> impl Iterator<Item = &RequestTiming> {
    measured_requests(result).filter(|timing| timing.succeeded())
}

/// A duration in milliseconds, as every report shows times: whole nanoseconds divided by 10⁶,
/// so a time recorded in whole microseconds prints exactly (`1.5`, not `1.5000000000000002`).
pub(crate) fn milliseconds(duration: std::time::Duration) -> f64 {
    duration.as_nanos() as f64 / 1e6
}
