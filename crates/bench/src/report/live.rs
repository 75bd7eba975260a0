//! What a progress display shows while a run goes: requests finished, their completion rate
//! and the median TTFT so far.

use std::time::Duration;

use yardstick_core::stats::percentile;
use yardstick_load::RequestTiming;

/// The finished requests of the run in progress.
#[derive(Debug, Clone, Default)]
pub struct LiveRun {
    done: u64,
    ttft_ms: Vec<f64>,
}

impl LiveRun {
    /// Counts a finished request (its TTFT when it had a first token).
    pub fn record(&mut self, timing: &RequestTiming) {
        self.done += 1;
        if let Some(ttft) = yardstick_load::metrics::ttft(timing) {
            self.ttft_ms.push(ttft.as_secs_f64() * 1000.0);
        }
    }

    pub fn done(&self) -> u64 {
        self.done
    }

    /// Requests finished per second over `elapsed`.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        self.done as f64 / elapsed.as_secs_f64().max(1e-9)
    }

    /// `12.34 req/s, TTFT p50 56.7 ms` (`-` before any first token).
    pub fn message(&self, elapsed: Duration) -> String {
        let p50 = percentile(&self.ttft_ms, 50.0)
            .map(|p50| format!("{p50:.1} ms"))
            .unwrap_or_else(|| "-".to_string());
        format!("{:.2} req/s, TTFT p50 {p50}", self.rate(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_sweep;

    #[test]
    fn the_message_has_the_rate_and_the_median_ttft() {
        let mut live = LiveRun::default();
        assert_eq!(
            live.message(Duration::from_secs(1)),
            "0.00 req/s, TTFT p50 -"
        );
        let timings = &sample_sweep::sweep()[0].timings;
        for timing in timings {
            live.record(timing);
        }
        assert_eq!(live.done(), timings.len() as u64);
        let expected: Vec<f64> = timings
            .iter()
            .filter_map(yardstick_load::metrics::ttft)
            .map(|ttft| ttft.as_secs_f64() * 1000.0)
            .collect();
        let p50 = percentile(&expected, 50.0).expect("first tokens");
        assert_eq!(
            live.message(Duration::from_secs(2)),
            format!(
                "{:.2} req/s, TTFT p50 {p50:.1} ms",
                timings.len() as f64 / 2.0
            )
        );
    }
}
