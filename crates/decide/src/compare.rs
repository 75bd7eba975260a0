//! `compare`: a paired, statistically honest comparison of two results.
//!
//! - Eval results: per task present on both sides the candidate − baseline difference of the
//!   main metric on the items both have, its paired bootstrap interval, McNemar's exact test
//!   for 0/1 scores (else the paired t-test), Holm's correction across tasks and a better /
//!   worse / indistinguishable verdict ([`crate::paired`]); then a summary.
//! - Bench results: per load point both ran, the difference of the p50/p90/p99 of TTFT, TPOT
//!   and end-to-end latency with a bootstrap interval over each side's measured requests,
//!   and the throughput of each side.
//!
//! The sides were paired by `yardstick_evidence::pairing` after checking the fingerprints
//! in the chosen mode; what was refused is carried into the result with its reason.

use serde::Serialize;
use yardstick_core::stats::percentile;
use yardstick_evidence::pairing::{comparable_latencies, pair_benches, pair_evals, Pairing};
use yardstick_evidence::scores::GroupMembership;
use yardstick_evidence::selection::Sides;
use yardstick_evidence::{BenchUnit, ComparisonMode, EvalUnit, Latency, Refusal, ServingMetric};

use crate::bootstrap::{percentile_difference, BootstrapSettings, Estimate};
use crate::categories::{compare_categories, Categories, CategoryComparison};
use crate::family::compare_families;
use crate::paired::{summarize, ComparisonSummary, TaskComparison};
use crate::DecideError;

#[derive(Debug, Clone, Serialize)]
pub struct LatencyComparison {
    pub point: String,
    pub metric: String,
    pub percentile: f64,
    pub baseline: f64,
    pub candidate: f64,
    pub difference: Estimate,
    pub baseline_requests: usize,
    pub candidate_requests: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThroughputComparison {
    pub point: String,
    pub metric: String,
    pub baseline: f64,
    pub candidate: f64,
}

/// Everything a comparison found.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub mode: String,
    pub baseline: String,
    pub candidate: String,
    pub tasks: Vec<TaskComparison>,
    /// Each category with a compared task: weighted means and their difference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<ComparisonSummary>,
    pub latency: Vec<LatencyComparison>,
    pub throughput: Vec<ThroughputComparison>,
    pub refused: Vec<Refusal>,
    /// Differences allowed by the mode and differences that do not change scores.
    pub notes: Vec<String>,
}

impl Comparison {
    /// Whether nothing could be compared (no task, no latency).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.latency.is_empty()
    }

    /// `task (difference; difference), …`: what was refused, in one line.
    pub fn refusals_line(&self) -> String {
        self.refused
            .iter()
            .map(|refusal| format!("{} ({})", refusal.task, refusal.differences.join("; ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How to compare: the mode, the statistics' settings, and how tasks form the family of
/// hypotheses.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub mode: ComparisonMode,
    pub settings: BootstrapSettings,
    /// Significance level of the verdicts (on Holm-adjusted p-values).
    pub alpha: f64,
    /// The groups each counted once in the family (by the aggregate of its subtasks).
    pub groups: GroupMembership,
    /// Also show each group's subtasks, corrected within their group.
    pub subtasks: bool,
    /// The categories compared after the tasks (empty: none).
    pub categories: Categories,
}

/// The percentiles compared for each latency.
const PERCENTILES: [f64; 3] = [50.0, 90.0, 99.0];

/// Throughputs shown side by side (one run each: no interval).
const THROUGHPUTS: [ServingMetric; 2] = [
    ServingMetric::RequestsPerSecond,
    ServingMetric::OutputTokensPerSecond,
];

/// Compares the two sides in `mode`.
pub fn compare(sides: &Sides, options: &CompareOptions) -> Result<Comparison, DecideError> {
    let (mode, settings) = (options.mode, &options.settings);
    match sides {
        Sides::EvalRuns {
            names,
            baseline,
            candidate,
        } => compare_evals(baseline, candidate, options, names),
        Sides::BenchRuns {
            names,
            baseline,
            candidate,
        } => compare_benches(baseline, candidate, mode, settings, names),
        Sides::Models {
            names,
            evals,
            benches,
        } => {
            let evals = evals
                .as_ref()
                .map(|(left, right)| compare_evals(left, right, options, names))
                .transpose()?;
            let benches = benches
                .as_ref()
                .map(|((left_run, left), (right_run, right))| {
                    let mut comparison = compare_benches(left, right, mode, settings, names)?;
                    comparison.notes.insert(
                        0,
                        format!("serving: bench run {left_run} vs bench run {right_run}, the newest comparable pair"),
                    );
                    Ok::<_, DecideError>(comparison)
                })
                .transpose()?;
            match (evals, benches) {
                (Some(mut evals), Some(benches)) => {
                    evals.latency = benches.latency;
                    evals.throughput = benches.throughput;
                    evals.refused.extend(benches.refused);
                    evals.notes.extend(benches.notes);
                    Ok(evals)
                }
                (Some(comparison), None) | (None, Some(comparison)) => Ok(comparison),
                (None, None) => Err(DecideError::InvalidInput {
                    what: format!("--model {} --model {}", names.0, names.1),
                    reason: "no results to compare".to_string(),
                }),
            }
        }
    }
}

/// Compares two sides' eval units task by task, each group once.
pub fn compare_evals(
    baseline: &[EvalUnit],
    candidate: &[EvalUnit],
    options: &CompareOptions,
    names: &(String, String),
) -> Result<Comparison, DecideError> {
    let mode = options.mode;
    let Pairing {
        pairs,
        refused,
        notes,
    } = pair_evals(baseline, candidate, mode);
    let tasks = if pairs.is_empty() {
        Vec::new()
    } else {
        compare_families(
            &pairs,
            &options.groups,
            &options.settings,
            options.alpha,
            options.subtasks,
        )?
    };
    let summary = (!tasks.is_empty()).then(|| summarize(&tasks));
    Ok(Comparison {
        mode: mode.as_str().to_string(),
        baseline: names.0.clone(),
        candidate: names.1.clone(),
        categories: compare_categories(&options.categories, &tasks),
        tasks,
        summary,
        latency: Vec::new(),
        throughput: Vec::new(),
        refused,
        notes,
    })
}

/// Compares two sides' bench units load point by load point.
pub fn compare_benches(
    baseline: &[BenchUnit],
    candidate: &[BenchUnit],
    mode: ComparisonMode,
    settings: &BootstrapSettings,
    names: &(String, String),
) -> Result<Comparison, DecideError> {
    let Pairing {
        pairs,
        refused,
        mut notes,
    } = pair_benches(baseline, candidate, mode);
    let mut latency = Vec::new();
    let mut throughput = Vec::new();
    for (left, right) in pairs {
        for (metric, left_samples, right_samples) in
            comparable_latencies(left, right, &mut notes, "compared")
        {
            latency.extend(latency_rows(
                &left.point,
                metric,
                left_samples,
                right_samples,
                settings,
                &mut notes,
            )?);
        }
        for metric in THROUGHPUTS {
            if let (Some(a), Some(b)) = (left.value(metric), right.value(metric)) {
                throughput.push(ThroughputComparison {
                    point: left.point.clone(),
                    metric: metric.name().to_string(),
                    baseline: a,
                    candidate: b,
                });
            }
        }
    }
    Ok(Comparison {
        mode: mode.as_str().to_string(),
        baseline: names.0.clone(),
        candidate: names.1.clone(),
        tasks: Vec::new(),
        categories: Vec::new(),
        summary: None,
        latency,
        throughput,
        refused,
        notes,
    })
}

/// The p50/p90/p99 differences of one latency at one load point.
fn latency_rows(
    point: &str,
    metric: Latency,
    left: &[f64],
    right: &[f64],
    settings: &BootstrapSettings,
    notes: &mut Vec<String>,
) -> Result<Vec<LatencyComparison>, DecideError> {
    let fewest = left.len().min(right.len());
    if fewest < 100 {
        notes.push(format!(
            "{point}: {metric} p99 from {fewest} requests is close to the maximum; its interval is rough below 100 requests"
        ));
    }
    PERCENTILES
        .into_iter()
        .map(|q| {
            Ok(LatencyComparison {
                point: point.to_string(),
                metric: metric.name().to_string(),
                percentile: q,
                baseline: percentile(left, q).unwrap_or(f64::NAN),
                candidate: percentile(right, q).unwrap_or(f64::NAN),
                difference: percentile_difference(left, right, q, settings)?,
                baseline_requests: left.len(),
                candidate_requests: right.len(),
            })
        })
        .collect()
}
