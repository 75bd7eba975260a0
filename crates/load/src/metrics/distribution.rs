//! The summary of one per-request metric over a run, with `yardstick_core`'s statistics.

use yardstick_core::stats::{mean, percentile, sample_stddev};
use yardstick_core::{MetricRecord, Unit};

/// Mean, spread and percentiles of a set of values.
///
/// `std` is the sample standard deviation (n - 1 in the denominator; `None` for one value);
/// percentiles interpolate linearly between closest ranks, as numpy's default does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    pub count: usize,
    pub mean: f64,
    pub std: Option<f64>,
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Distribution {
    /// `None` for an empty slice.
    pub fn of(values: &[f64]) -> Option<Distribution> {
        let at = |q: f64| percentile(values, q);
        Some(Distribution {
            count: values.len(),
            mean: mean(values)?,
            std: sample_stddev(values),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            p50: at(50.0)?,
            p90: at(90.0)?,
            p95: at(95.0)?,
            p99: at(99.0)?,
        })
    }

    /// One record per statistic, named `<name>.<statistic>` (`mean`, `std`, `min`, `max`,
    /// `p50`, `p90`, `p95`, `p99`), each with the count as `n` and the min/max spread; the
    /// mean also carries its standard error, `std / sqrt(count)` (core's `mean_stderr`).
    pub fn records(&self, name: &str, unit: Unit) -> Vec<MetricRecord> {
        let record = |statistic: &str, value: f64| {
            MetricRecord::new(format!("{name}.{statistic}"), value, unit)
                .with_n(self.count as u64)
                .with_spread(self.min, self.max)
        };
        let mut mean_record = record("mean", self.mean);
        if let Some(stderr) = self.std.map(|std| std / (self.count as f64).sqrt()) {
            mean_record = mean_record.with_stderr(stderr);
        }
        let mut records = vec![mean_record];
        if let Some(std) = self.std {
            records.push(record("std", std));
        }
        for (statistic, value) in [
            ("min", self.min),
            ("max", self.max),
            ("p50", self.p50),
            ("p90", self.p90),
            ("p95", self.p95),
            ("p99", self.p99),
        ] {
            records.push(record(statistic, value));
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_with_core_statistics() {
        let summary = Distribution::of(&[1.0, 2.0, 3.0, 4.0]);
        let Some(summary) = summary else {
            panic!("non-empty input has a summary");
        };
        assert_eq!(summary.count, 4);
        assert!((summary.mean - 2.5).abs() < 1e-12);
        assert!((summary.p50 - 2.5).abs() < 1e-12);
        assert!((summary.p90 - 3.7).abs() < 1e-12);
        assert_eq!((summary.min, summary.max), (1.0, 4.0));
        let std = summary.std.unwrap_or(f64::NAN);
        assert!((std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(Distribution::of(&[]), None);
        assert_eq!(Distribution::of(&[7.0]).and_then(|one| one.std), None);
    }

    #[test]
    fn records_are_named_by_statistic() {
        let records = Distribution::of(&[10.0, 20.0])
            .map(|summary| summary.records("ttft_ms", Unit::Milliseconds))
            .unwrap_or_default();
        let names: Vec<&str> = records.iter().map(|record| record.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ttft_ms.mean",
                "ttft_ms.std",
                "ttft_ms.min",
                "ttft_ms.max",
                "ttft_ms.p50",
                "ttft_ms.p90",
                "ttft_ms.p95",
                "ttft_ms.p99"
            ]
        );
        assert!(records.iter().all(|record| record.n == Some(2)
            && record.unit == Unit::Milliseconds
            && record.min == Some(10.0)
            && record.max == Some(20.0)));
        // std = 7.071..., stderr = std / sqrt(2) = 5.
        assert!((records[0].stderr.unwrap_or(f64::NAN) - 5.0).abs() < 1e-12);
    }
}
