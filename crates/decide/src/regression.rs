//! `regress` over two runs: which metrics are judged, with which thresholds, and the verdict
//! ([`crate::regress::evaluate`]).
//!
//! Metrics judged: for eval runs, every task's main metric on the items both runs scored
//! (`TASK.METRIC`, higher is better, paired bootstrap); for bench runs, the p50 and p99 of
//! TTFT, TPOT and end-to-end latency at each load point both ran (`ttft_ms.p99@c=4#0`, lower
//! is better, bootstrap of the percentile difference). A threshold names a metric exactly,
//! or a prefix of it up to `.` or `@` (`arc_easy=2%`, `ttft_ms.p99=10%` for every point).

use serde::Serialize;
use yardstick_evidence::pairing::{comparable_latencies, pair_benches, pair_evals, Pairing};
use yardstick_evidence::selection::Sides;
use yardstick_evidence::{ComparisonMode, Refusal};

use crate::bootstrap::BootstrapSettings;
use crate::regress::{evaluate, MetricInput, Observations, RegressionReport, Threshold};
use crate::DecideError;

/// A regression check's result: the report with every refusal and note.
#[derive(Debug, Clone, Serialize)]
pub struct RegressionOutput {
    pub baseline: String,
    pub candidate: String,
    pub mode: String,
    pub verdict: &'static str,
    pub report: RegressionReport,
    pub refused: Vec<Refusal>,
    pub notes: Vec<String>,
}

/// The percentiles of each latency a bench regression judges.
const JUDGED_PERCENTILES: [f64; 2] = [50.0, 99.0];

/// The metrics two runs are judged on, with what was refused and noted.
pub fn judged_metrics(sides: &Sides, mode: ComparisonMode) -> Pairing<MetricInput> {
    match sides {
        Sides::EvalRuns {
            baseline,
            candidate,
            ..
        } => {
            let Pairing {
                pairs,
                refused,
                notes,
            } = pair_evals(baseline, candidate, mode);
            let metrics = pairs
                .into_iter()
                .map(|pair| MetricInput {
                    name: format!("{}.{}", pair.task, pair.metric),
                    // Per-item means (accuracy, exact match, pass@1): higher is better.
                    // Weighted metrics such as perplexity have no per-item values here.
                    higher_is_better: true,
                    observations: Observations::PairedItems {
                        baseline: pair.baseline,
                        candidate: pair.candidate,
                    },
                })
                .collect();
            Pairing {
                pairs: metrics,
                refused,
                notes,
            }
        }
        Sides::BenchRuns {
            baseline,
            candidate,
            ..
        } => {
            let Pairing {
                pairs,
                refused,
                mut notes,
            } = pair_benches(baseline, candidate, mode);
            let mut metrics = Vec::new();
            for (left, right) in pairs {
                for (latency, left_samples, right_samples) in
                    comparable_latencies(left, right, &mut notes, "judged")
                {
                    for q in JUDGED_PERCENTILES {
                        metrics.push(MetricInput {
                            name: format!("{latency}.p{q}@{}", left.point),
                            higher_is_better: false,
                            observations: Observations::Percentile {
                                baseline: left_samples.to_vec(),
                                candidate: right_samples.to_vec(),
                                q,
                            },
                        });
                    }
                }
                notes.push(format!(
                    "{}: throughput is one measurement per run (no interval); compare it with `yardstick compare`",
                    left.point
                ));
            }
            Pairing {
                pairs: metrics,
                refused,
                notes,
            }
        }
        Sides::Models { names, .. } => Pairing {
            pairs: Vec::new(),
            refused: vec![Refusal {
                task: format!("{} vs {}", names.0, names.1),
                differences: vec!["a regression check judges two runs".to_string()],
            }],
            notes: Vec::new(),
        },
    }
}

/// Judges the candidate run against the baseline run.
pub fn regress(
    sides: &Sides,
    thresholds: &[Threshold],
    mode: ComparisonMode,
    settings: &BootstrapSettings,
) -> Result<RegressionOutput, DecideError> {
    let names = match sides {
        Sides::EvalRuns { names, .. }
        | Sides::BenchRuns { names, .. }
        | Sides::Models { names, .. } => names,
    };
    let Pairing {
        pairs: metrics,
        refused,
        notes,
    } = judged_metrics(sides, mode);
    if metrics.is_empty() {
        return Err(DecideError::InvalidInput {
            what: format!("nothing comparable between {} and {}", names.0, names.1),
            reason: refused
                .iter()
                .map(|refusal| format!("{} ({})", refusal.task, refusal.differences.join("; ")))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let thresholds = expand(thresholds, &metrics)?;
    let report = evaluate(&metrics, &thresholds, settings)?;
    Ok(RegressionOutput {
        baseline: names.0.clone(),
        candidate: names.1.clone(),
        mode: mode.as_str().to_string(),
        verdict: report.verdict,
        report,
        refused,
        notes,
    })
}

/// One exact threshold per metric a threshold names (exactly, or as a prefix up to `.` or
/// `@`); a threshold naming no metric is refused with the valid names. Where several name a
/// metric, the most specific (longest) name wins whatever the order given; between equal
/// names, the later one.
pub fn expand(
    thresholds: &[Threshold],
    metrics: &[MetricInput],
) -> Result<Vec<Threshold>, DecideError> {
    let names = |metric: &MetricInput, threshold: &Threshold| {
        metric.name == threshold.metric
            || metric
                .name
                .strip_prefix(&threshold.metric)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('@'))
    };
    for threshold in thresholds {
        if !metrics.iter().any(|metric| names(metric, threshold)) {
            return Err(DecideError::InvalidInput {
                what: format!(
                    "--threshold {}={}%",
                    threshold.metric, threshold.relative_percent
                ),
                reason: format!(
                    "no metric named {}; the metrics are {}",
                    threshold.metric,
                    metrics
                        .iter()
                        .map(|metric| metric.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let mut exact: Vec<Threshold> = Vec::new();
    for metric in metrics {
        let chosen = thresholds
            .iter()
            .filter(|threshold| names(metric, threshold))
            .fold(None::<&Threshold>, |best, threshold| match best {
                Some(best) if best.metric.len() > threshold.metric.len() => Some(best),
                _ => Some(threshold),
            });
        if let Some(threshold) = chosen {
            exact.push(Threshold {
                metric: metric.name.clone(),
                relative_percent: threshold.relative_percent,
            });
        }
    }
    Ok(exact)
}
