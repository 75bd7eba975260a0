//! Regression verdicts: for each metric, the change from a baseline run to a candidate run,
//! whether it is worse than the metric's threshold, and whether the worsening is
//! statistically supported — so a CI pipeline fails on real regressions, not on noise.
//!
//! A metric **regressed** when its relative change is worse than the threshold *and* the
//! confidence interval of the change lies entirely on the worse side of zero. Worse than the
//! threshold without that support is **inconclusive** (measure more); the mirror image is
//! **improved**; anything else is **unchanged**. The default threshold is 5% (relative) for
//! every metric the user gave none for.

use std::str::FromStr;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::bootstrap::{
    paired_mean_difference, percentile_difference, BootstrapSettings, Interval,
};
use crate::DecideError;

/// Relative threshold used for a metric without its own.
pub const DEFAULT_THRESHOLD_PERCENT: f64 = 5.0;

/// `metric=5%`: the largest relative worsening of `metric` tolerated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub metric: String,
    pub relative_percent: f64,
}

impl FromStr for Threshold {
    type Err = DecideError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| DecideError::InvalidInput {
            what: format!("threshold `{text}`"),
            reason: reason.to_string(),
        };
        let (metric, value) = text
            .rsplit_once('=')
            .ok_or_else(|| invalid("expected METRIC=PERCENT%, e.g. ttft_ms.p99=10%"))?;
        let number = value
            .trim()
            .strip_suffix('%')
            .ok_or_else(|| invalid("the threshold is a relative change and ends with %"))?;
        let relative_percent: f64 = number
            .trim()
            .parse()
            .map_err(|_| invalid("the percentage is not a number"))?;
        if metric.trim().is_empty() || !(relative_percent.is_finite() && relative_percent >= 0.0) {
            return Err(invalid("needs a metric name and a percentage of 0 or more"));
        }
        Ok(Threshold {
            metric: metric.trim().to_string(),
            relative_percent,
        })
    }
}

/// What was measured of one metric on both sides.
#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// Per-item scores on the same items (aligned): the mean, compared pairwise.
    PairedItems {
        baseline: Vec<f64>,
        candidate: Vec<f64>,
    },
    /// Per-request samples of two independent runs: percentile `q` of each.
    Percentile {
        baseline: Vec<f64>,
        candidate: Vec<f64>,
        q: f64,
    },
    /// Summaries with standard errors (e.g. throughput across trials): a normal interval.
    Summary {
        baseline: f64,
        baseline_stderr: f64,
        candidate: f64,
        candidate_stderr: f64,
    },
}

/// One metric to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricInput {
    pub name: String,
    pub higher_is_better: bool,
    pub observations: Observations,
}

/// A metric's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Regressed,
    Inconclusive,
    Unchanged,
    Improved,
}

/// The judgement of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricVerdict {
    pub name: String,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub candidate: f64,
    /// `candidate − baseline`, with its interval.
    pub change: f64,
    pub interval: Interval,
    /// `change / |baseline|` in percent (`None` when the baseline is 0).
    pub relative_change_percent: Option<f64>,
    pub threshold_percent: f64,
    pub status: Status,
}

/// The verdict over every metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionReport {
    pub metrics: Vec<MetricVerdict>,
    /// `regression` when any metric regressed, else `pass`.
    pub verdict: &'static str,
}

impl RegressionReport {
    /// Whether the candidate regressed (the CLI exits non-zero).
    pub fn is_regression(&self) -> bool {
        self.metrics
            .iter()
            .any(|metric| metric.status == Status::Regressed)
    }
}

/// Judges every metric; thresholds name metrics by `name` (others get
/// [`DEFAULT_THRESHOLD_PERCENT`]). A threshold naming no metric is an error, so a typo
/// cannot silently disable a check.
pub fn evaluate(
    metrics: &[MetricInput],
    thresholds: &[Threshold],
    settings: &BootstrapSettings,
) -> Result<RegressionReport, DecideError> {
    if let Some(unknown) = thresholds
        .iter()
        .find(|threshold| !metrics.iter().any(|metric| metric.name == threshold.metric))
    {
        return Err(DecideError::UnknownName {
            kind: "metric in a threshold".to_string(),
            name: unknown.metric.clone(),
            valid: metrics
                .iter()
                .map(|metric| metric.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut verdicts = Vec::with_capacity(metrics.len());
    for metric in metrics {
        let threshold_percent = thresholds
            .iter()
            .find(|threshold| threshold.metric == metric.name)
            .map_or(DEFAULT_THRESHOLD_PERCENT, |threshold| {
                threshold.relative_percent
            });
        verdicts.push(judge(metric, threshold_percent, settings)?);
    }
    let regression = verdicts
        .iter()
        .any(|verdict| verdict.status == Status::Regressed);
    Ok(RegressionReport {
        metrics: verdicts,
        verdict: if regression { "regression" } else { "pass" },
    })
}

fn judge(
    metric: &MetricInput,
    threshold_percent: f64,
    settings: &BootstrapSettings,
) -> Result<MetricVerdict, DecideError> {
    let named = |error: DecideError| DecideError::InvalidInput {
        what: format!("metric {}", metric.name),
        reason: error.to_string(),
    };
    let (baseline, candidate, interval) = match &metric.observations {
        Observations::PairedItems {
            baseline,
            candidate,
        } => {
            let estimate = paired_mean_difference(baseline, candidate, settings).map_err(named)?;
            let base = yardstick_core::stats::mean(baseline).unwrap_or(f64::NAN);
            (base, base + estimate.value, estimate.interval)
        }
        Observations::Percentile {
            baseline,
            candidate,
            q,
        } => {
            let estimate =
                percentile_difference(baseline, candidate, *q, settings).map_err(named)?;
            let base = yardstick_core::stats::percentile(baseline, *q).unwrap_or(f64::NAN);
            (base, base + estimate.value, estimate.interval)
        }
        Observations::Summary {
            baseline,
            baseline_stderr,
            candidate,
            candidate_stderr,
        } => {
            let normal = Normal::new(0.0, 1.0).map_err(|error| {
                named(DecideError::InvalidInput {
                    what: "the normal distribution".to_string(),
                    reason: error.to_string(),
                })
            })?;
            let z = normal.inverse_cdf((1.0 + settings.level) / 2.0);
            let spread = z * (baseline_stderr.powi(2) + candidate_stderr.powi(2)).sqrt();
            let change = candidate - baseline;
            if !spread.is_finite() || !change.is_finite() {
                return Err(named(DecideError::InvalidInput {
                    what: "the summaries".to_string(),
                    reason: "values and standard errors must be finite".to_string(),
                }));
            }
            let interval = Interval {
                low: change - spread,
                high: change + spread,
                level: settings.level,
            };
            (*baseline, *candidate, interval)
        }
    };
    let change = candidate - baseline;
    let relative_change_percent = (baseline != 0.0).then(|| change / baseline.abs() * 100.0);
    // Positive `worsening` is bad whichever way the metric points.
    let sign = if metric.higher_is_better { -1.0 } else { 1.0 };
    let worsening_percent = relative_change_percent.map(|relative| relative * sign);
    let (worse_side_low, worse_side_high) = if metric.higher_is_better {
        (-interval.high, -interval.low)
    } else {
        (interval.low, interval.high)
    };
    let status = match worsening_percent {
        Some(worsening) if worsening > threshold_percent => {
            if worse_side_low > 0.0 {
                Status::Regressed
            } else {
                Status::Inconclusive
            }
        }
        Some(worsening) if -worsening > threshold_percent && worse_side_high < 0.0 => {
            Status::Improved
        }
        _ => Status::Unchanged,
    };
    Ok(MetricVerdict {
        name: metric.name.clone(),
        higher_is_better: metric.higher_is_better,
        baseline,
        candidate,
        change,
        interval,
        relative_change_percent,
        threshold_percent,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BootstrapSettings {
        BootstrapSettings {
            resamples: 2000,
            ..BootstrapSettings::default()
        }
    }

    fn summary(
        name: &str,
        higher_is_better: bool,
        baseline: f64,
        candidate: f64,
        stderr: f64,
    ) -> MetricInput {
        MetricInput {
            name: name.to_string(),
            higher_is_better,
            observations: Observations::Summary {
                baseline,
                baseline_stderr: stderr,
                candidate,
                candidate_stderr: stderr,
            },
        }
    }

    #[test]
    fn thresholds_parse_and_bad_ones_say_why() {
        assert_eq!(
            "ttft_ms.p99=10%".parse::<Threshold>(),
            Ok(Threshold {
                metric: "ttft_ms.p99".to_string(),
                relative_percent: 10.0
            })
        );
        for bad in ["ttft", "ttft=10", "=5%", "ttft=-1%", "ttft=ten%"] {
            let error = bad.parse::<Threshold>().expect_err(bad);
            assert!(
                error.to_string().starts_with(&format!("threshold `{bad}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn a_supported_worsening_beyond_the_threshold_is_a_regression() {
        // Throughput 100 → 80 req/s (−20%), s.e. 1 each: interval −20 ± 1.96·√2, all below 0.
        // Latency p99 200 → 205 ms (+2.5%): under the default 5%.
        // Latency mean 100 → 120 ms (+20%) with s.e. 20: worse than 5% but the interval
        // 20 ± 1.96·√800 = −35.4 .. 75.4 includes 0: inconclusive.
        // Accuracy 0.50 → 0.60 with s.e. 0.01: improved.
        let metrics = [
            summary("requests_per_second", true, 100.0, 80.0, 1.0),
            summary("ttft_ms.p99", false, 200.0, 205.0, 1.0),
            summary("e2e_ms.mean", false, 100.0, 120.0, 20.0),
            summary("acc", true, 0.50, 0.60, 0.01),
        ];
        let report = evaluate(&metrics, &[], &settings()).expect("report");
        let statuses: Vec<Status> = report.metrics.iter().map(|metric| metric.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Regressed,
                Status::Unchanged,
                Status::Inconclusive,
                Status::Improved
            ]
        );
        assert!(report.is_regression());
        assert_eq!(report.verdict, "regression");
        let throughput = &report.metrics[0];
        assert!((throughput.relative_change_percent.expect("relative") + 20.0).abs() < 1e-12);
        let spread = 1.959_963_984_540_054 * 2f64.sqrt();
        assert!((throughput.interval.low - (-20.0 - spread)).abs() < 1e-9);

        // A 25% threshold on throughput lets the same change pass.
        let relaxed = evaluate(
            &metrics,
            &["requests_per_second=25%".parse().expect("threshold")],
            &settings(),
        )
        .expect("report");
        assert!(!relaxed.is_regression());
        assert_eq!(relaxed.verdict, "pass");
    }

    #[test]
    fn paired_items_and_percentiles_use_the_bootstrap() {
        let baseline: Vec<f64> = (0..100).map(|index| f64::from(index % 2)).collect();
        let candidate = vec![0.0; 100];
        let latency_before: Vec<f64> = (0..300).map(f64::from).collect();
        let latency_after: Vec<f64> = latency_before.iter().map(|value| value * 1.5).collect();
        let metrics = [
            MetricInput {
                name: "acc".into(),
                higher_is_better: true,
                observations: Observations::PairedItems {
                    baseline,
                    candidate,
                },
            },
            MetricInput {
                name: "ttft_ms.p99".into(),
                higher_is_better: false,
                observations: Observations::Percentile {
                    baseline: latency_before,
                    candidate: latency_after,
                    q: 99.0,
                },
            },
        ];
        let report = evaluate(&metrics, &[], &settings()).expect("report");
        assert_eq!(report.metrics[0].status, Status::Regressed);
        assert!((report.metrics[0].change + 0.5).abs() < 1e-12);
        assert_eq!(report.metrics[1].status, Status::Regressed);
    }

    #[test]
    fn a_threshold_for_an_unknown_metric_is_refused() {
        let error = evaluate(
            &[summary("acc", true, 0.5, 0.5, 0.01)],
            &["accuracy=1%".parse().expect("threshold")],
            &settings(),
        )
        .expect_err("unknown metric");
        assert_eq!(
            error.to_string(),
            "unknown metric in a threshold `accuracy`; valid: acc"
        );
    }
}
