//! `yardstick compare`: a paired, statistically honest comparison of two results.
//!
//! - Eval results (`--run A --run B` of eval runs, or `--model X --model Y` on each model's
//!   newest complete unit per task): per task present on both sides the candidate − baseline
//!   difference of the main metric on the items both have, its paired bootstrap interval,
//!   McNemar's exact test for 0/1 scores (else the paired t-test), Holm's correction across
//!   tasks and a better / worse / indistinguishable verdict; then a summary.
//! - Bench results (`--run A --run B` of bench runs, or with `--model X --model Y` the newest
//!   pair of their bench runs with a comparable load point): per load point both ran, the difference
//!   of the p50/p90/p99 of TTFT, TPOT and end-to-end latency with a bootstrap interval over
//!   each side's measured requests, and the throughput of each side.
//!
//! Before anything is compared, the fingerprints are checked in the chosen `--mode`: a
//! difference that changes scores and is not the one the mode compares (other prompts,
//! few-shot, dataset, items) refuses that task, naming what differs.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Serialize;
use yardstick_core::stats::percentile;
use yardstick_decide::bootstrap::{percentile_difference, BootstrapSettings, Estimate};
use yardstick_decide::comparable::{comparability, ComparisonMode, Difference, Field};
use yardstick_decide::paired::{
    compare_tasks, summarize, ComparisonSummary, PairedScores, TaskComparison,
};
use yardstick_store::{RunKind, Store};

use super::evidence::{self, BenchUnit, EvalUnit};
use super::Outcome;
use crate::args::{CompareArgs, Format};
use crate::home::Home;
use crate::render::Table;

/// A task or load point left out, and why.
#[derive(Debug, Serialize)]
pub struct Refusal {
    pub task: String,
    pub differences: Vec<String>,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct ThroughputComparison {
    pub point: String,
    pub metric: String,
    pub baseline: f64,
    pub candidate: f64,
}

/// Everything `compare` found, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub mode: String,
    pub baseline: String,
    pub candidate: String,
    pub tasks: Vec<TaskComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<ComparisonSummary>,
    pub latency: Vec<LatencyComparison>,
    pub throughput: Vec<ThroughputComparison>,
    pub refused: Vec<Refusal>,
    /// Differences allowed by the mode and differences that do not change scores.
    pub notes: Vec<String>,
}

pub async fn run(args: CompareArgs, home: &Home) -> Result<Outcome> {
    let mode: ComparisonMode = args.mode.parse()?;
    let settings = BootstrapSettings {
        resamples: args.resamples,
        level: 0.95,
        seed: args.seed,
    };
    let store = home.open_store().await?;
    let comparison = compute(&store, &args, mode, &settings).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print(&comparison, args.alpha);
    }
    if comparison.tasks.is_empty() && comparison.latency.is_empty() {
        bail!(
            "nothing could be compared: {}",
            comparison
                .refused
                .iter()
                .map(|refusal| format!("{} ({})", refusal.task, refusal.differences.join("; ")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Outcome::Success)
}

pub async fn compute(
    store: &Store,
    args: &CompareArgs,
    mode: ComparisonMode,
    settings: &BootstrapSettings,
) -> Result<Comparison> {
    match (args.runs.as_slice(), args.models.as_slice()) {
        ([baseline, candidate], []) => {
            let baseline = evidence::run_by_id(store, "--run", baseline).await?;
            let candidate = evidence::run_by_id(store, "--run", candidate).await?;
            if baseline.kind != candidate.kind {
                bail!(
                    "--run {} is a {} run and --run {} a {} run; compare two eval runs or two bench runs",
                    baseline.run_id,
                    baseline.kind.as_str(),
                    candidate.run_id,
                    candidate.kind.as_str()
                );
            }
            match baseline.kind {
                RunKind::Eval => {
                    let left = evidence::eval_units(store, &baseline).await?;
                    let right = evidence::eval_units(store, &candidate).await?;
                    compare_evals(
                        &left,
                        &right,
                        mode,
                        settings,
                        args.alpha,
                        (&baseline.run_id, &candidate.run_id),
                    )
                }
                RunKind::Bench => {
                    let left = evidence::bench_units(store, &baseline).await?;
                    let right = evidence::bench_units(store, &candidate).await?;
                    compare_benches(&left, &right, mode, settings, (&baseline.run_id, &candidate.run_id))
                }
                other => bail!(
                    "--run {}: {} runs have nothing to compare item by item",
                    baseline.run_id,
                    other.as_str()
                ),
            }
        }
        ([], [baseline, candidate]) => {
            let left = evidence::latest_eval_units(store, baseline).await?;
            let right = evidence::latest_eval_units(store, candidate).await?;
            let evals = if left.is_empty() || right.is_empty() {
                None
            } else {
                Some(compare_evals(
                    &left,
                    &right,
                    mode,
                    settings,
                    args.alpha,
                    (baseline, candidate),
                )?)
            };
            let benches = match latest_comparable_benches(store, baseline, candidate, mode).await? {
                None => None,
                Some(((left_run, left), (right_run, right))) => {
                    let mut comparison =
                        compare_benches(&left, &right, mode, settings, (baseline, candidate))?;
                    comparison.notes.insert(
                        0,
                        format!("serving: bench run {left_run} vs bench run {right_run}, the newest comparable pair"),
                    );
                    Some(comparison)
                }
            };
            match (evals, benches) {
                (None, None) => bail!(
                    "--model {baseline} --model {candidate}: no eval results on both models and no comparable bench runs of both (`yardstick leaderboard` and `yardstick runs list` show what is stored)"
                ),
                (Some(comparison), None) | (None, Some(comparison)) => Ok(comparison),
                (Some(mut evals), Some(benches)) => {
                    evals.latency = benches.latency;
                    evals.throughput = benches.throughput;
                    evals.refused.extend(benches.refused);
                    evals.notes.extend(benches.notes);
                    Ok(evals)
                }
            }
        }
        _ => bail!(
            "give exactly two --run (baseline then candidate) or exactly two --model, not {} --run and {} --model",
            args.runs.len(),
            args.models.len()
        ),
    }
}

fn describe(differences: &[Difference]) -> Vec<String> {
    differences.iter().map(ToString::to_string).collect()
}

/// Results paired across the two sides, with what was refused and noted on the way.
pub struct Pairing<T> {
    pub pairs: Vec<T>,
    pub refused: Vec<Refusal>,
    pub notes: Vec<String>,
}

/// Pairs eval units task by task: fingerprints comparable in `mode`, the same main metric,
/// per-item scores on the items both sides have.
pub fn pair_evals(
    baseline: &[EvalUnit],
    candidate: &[EvalUnit],
    mode: ComparisonMode,
) -> Pairing<PairedScores> {
    let by_task: BTreeMap<&str, &EvalUnit> = candidate
        .iter()
        .map(|unit| (unit.unit.task.as_str(), unit))
        .collect();
    let mut paired = Vec::new();
    let mut refused = Vec::new();
    let mut notes = Vec::new();
    let mut differing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for left in baseline {
        let task = left.unit.task.as_str();
        let Some(right) = by_task.get(task) else {
            notes.push(format!("{task}: only the baseline has it"));
            continue;
        };
        let verdict = comparability(&left.unit.fingerprint, &right.unit.fingerprint, mode);
        if !verdict.is_comparable() {
            refused.push(Refusal {
                task: task.to_string(),
                differences: describe(&verdict.refusals),
            });
            continue;
        }
        for line in describe(&verdict.compared)
            .into_iter()
            .chain(describe(&verdict.notes))
        {
            differing.entry(line).or_default().push(task.to_string());
        }
        if left.metric.name != right.metric.name {
            refused.push(Refusal {
                task: task.to_string(),
                differences: vec![format!(
                    "main metric {} vs {}",
                    left.metric.name, right.metric.name
                )],
            });
            continue;
        }
        let common: Vec<u64> = left
            .items
            .keys()
            .filter(|index| right.items.contains_key(index))
            .copied()
            .collect();
        if common.len() < 2 {
            refused.push(Refusal {
                task: task.to_string(),
                differences: vec![format!(
                    "{} items scored on both sides (per-item scores are needed)",
                    common.len()
                )],
            });
            continue;
        }
        if common.len() != left.items.len() || common.len() != right.items.len() {
            notes.push(format!(
                "{task}: compared on the {} items both have (baseline {}, candidate {})",
                common.len(),
                left.items.len(),
                right.items.len()
            ));
        }
        paired.push(PairedScores {
            task: task.to_string(),
            metric: left.metric.name.clone(),
            baseline: common.iter().map(|index| left.items[index]).collect(),
            candidate: common.iter().map(|index| right.items[index]).collect(),
        });
    }
    for right in candidate {
        if !baseline
            .iter()
            .any(|left| left.unit.task == right.unit.task)
        {
            notes.push(format!("{}: only the candidate has it", right.unit.task));
        }
    }
    notes.extend(grouped(differing));
    Pairing {
        pairs: paired,
        refused,
        notes,
    }
}

fn compare_evals(
    baseline: &[EvalUnit],
    candidate: &[EvalUnit],
    mode: ComparisonMode,
    settings: &BootstrapSettings,
    alpha: f64,
    names: (&str, &str),
) -> Result<Comparison> {
    let Pairing {
        pairs,
        refused,
        notes,
    } = pair_evals(baseline, candidate, mode);
    let tasks = if pairs.is_empty() {
        Vec::new()
    } else {
        compare_tasks(&pairs, settings, alpha)?
    };
    let summary = (!tasks.is_empty()).then(|| summarize(&tasks));
    Ok(Comparison {
        mode: mode.as_str().to_string(),
        baseline: names.0.to_string(),
        candidate: names.1.to_string(),
        tasks,
        summary,
        latency: Vec::new(),
        throughput: Vec::new(),
        refused,
        notes,
    })
}

/// The weights digest a bench records for a model it reached over HTTP.
const SERVED: &str = "served";

/// The percentiles compared for each latency.
const PERCENTILES: [f64; 3] = [50.0, 90.0, 99.0];

/// Pairs bench units by load point (and trial) with fingerprints comparable in `mode`.
pub fn pair_benches<'a>(
    baseline: &'a [BenchUnit],
    candidate: &'a [BenchUnit],
    mode: ComparisonMode,
) -> Pairing<(&'a BenchUnit, &'a BenchUnit)> {
    let mut pairs = Vec::new();
    let mut refused = Vec::new();
    let mut notes = Vec::new();
    let mut differing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for left in baseline {
        let Some(right) = candidate.iter().find(|unit| unit.point == left.point) else {
            notes.push(format!(
                "{}: only the baseline ran this load point",
                left.point
            ));
            continue;
        };
        // A bench unit's task hash is its run's plan id, which names the target: the
        // workload itself is compared through its digest (prompts) and dataset files.
        let mut right_fingerprint = right.unit.fingerprint.clone();
        right_fingerprint.task.task_hash = left.unit.fingerprint.task.task_hash.clone();
        // A served model's weights are not visible to yardstick ("served"): comparing
        // engines, the user asserts they serve the same file; the note says so.
        let served = [&left.unit.fingerprint, &right.unit.fingerprint]
            .iter()
            .any(|fingerprint| fingerprint.model_sha256 == SERVED);
        if mode == ComparisonMode::Engine && served {
            right_fingerprint.model = left.unit.fingerprint.model.clone();
            right_fingerprint.model_sha256 = left.unit.fingerprint.model_sha256.clone();
            differing
                .entry(format!(
                    "model {} vs {}: a served model's weights cannot be checked; assumed to be the same file",
                    left.unit.fingerprint.model, right.unit.fingerprint.model
                ))
                .or_default()
                .push(left.point.clone());
        }
        let mut verdict = comparability(&left.unit.fingerprint, &right_fingerprint, mode);
        // Synthetic prompts of exact token counts are drawn with each model's tokenizer, so
        // two models given the same workload specification get other texts of the same
        // lengths: comparing models, that is the same workload.
        let same_synthetic =
            left.workload == right.workload && left.workload["prompts"]["kind"] == "synthetic";
        if mode == ComparisonMode::Models && same_synthetic {
            let (prompts, others): (Vec<_>, Vec<_>) = verdict
                .refusals
                .into_iter()
                .partition(|difference| difference.field == Field::Prompts);
            verdict.refusals = others;
            if !prompts.is_empty() {
                differing
                    .entry(
                        "synthetic prompts of the same specification, drawn with each model's tokenizer"
                            .to_string(),
                    )
                    .or_default()
                    .push(left.point.clone());
            }
        }
        if !verdict.is_comparable() {
            refused.push(Refusal {
                task: left.point.clone(),
                differences: describe(&verdict.refusals),
            });
            continue;
        }
        for line in describe(&verdict.compared)
            .into_iter()
            .chain(describe(&verdict.notes))
        {
            differing.entry(line).or_default().push(left.point.clone());
        }
        pairs.push((left, right));
    }
    notes.extend(grouped(differing));
    Pairing {
        pairs,
        refused,
        notes,
    }
}

/// The TTFT, TPOT and E2E samples of two paired bench units, by metric name, leaving out
/// (with a note ending in `verb`) a metric with fewer than two samples on a side.
pub fn comparable_latencies<'a>(
    left: &'a BenchUnit,
    right: &'a BenchUnit,
    notes: &mut Vec<String>,
    verb: &str,
) -> Vec<(&'static str, &'a [f64], &'a [f64])> {
    let samples = |unit: &'a BenchUnit| -> [(&'static str, &'a [f64]); 3] {
        [
            ("ttft_ms", &unit.ttft_ms),
            ("tpot_ms", &unit.tpot_ms),
            ("e2e_ms", &unit.e2e_ms),
        ]
    };
    let mut kept = Vec::new();
    for ((metric, left_samples), (_, right_samples)) in
        samples(left).into_iter().zip(samples(right))
    {
        if left_samples.len() < 2 || right_samples.len() < 2 {
            notes.push(format!(
                "{}: {metric} has {} and {} samples; not {verb}",
                left.point,
                left_samples.len(),
                right_samples.len()
            ));
        } else {
            kept.push((metric, left_samples, right_samples));
        }
    }
    kept
}

/// A model's complete bench runs, newest first, with their units of that model.
async fn bench_runs_of(store: &Store, model: &str) -> Result<Vec<(String, Vec<BenchUnit>)>> {
    let mut runs = store.list_runs().await?;
    runs.retain(|run| {
        run.kind == RunKind::Bench && run.status == yardstick_store::Status::Complete
    });
    runs.sort_by_key(|run| std::cmp::Reverse(run.created_at));
    let mut found = Vec::new();
    for run in &runs {
        let mut units = evidence::bench_units(store, run).await?;
        units.retain(|unit| unit.unit.model == model);
        if !units.is_empty() {
            found.push((run.run_id.clone(), units));
        }
    }
    Ok(found)
}

/// The newest pair of bench runs of the two models with a load point comparable in `mode`
/// (the same workload on the same kind of target), trying the newer runs first.
async fn latest_comparable_benches(
    store: &Store,
    baseline: &str,
    candidate: &str,
    mode: ComparisonMode,
) -> Result<Option<((String, Vec<BenchUnit>), (String, Vec<BenchUnit>))>> {
    let left = bench_runs_of(store, baseline).await?;
    let right = bench_runs_of(store, candidate).await?;
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, left_units)) in left.iter().enumerate() {
        for (j, (_, right_units)) in right.iter().enumerate() {
            if best.is_some_and(|(a, b)| a + b <= i + j) {
                continue;
            }
            if !pair_benches(left_units, right_units, mode).pairs.is_empty() {
                best = Some((i, j));
            }
        }
    }
    Ok(best.map(|(i, j)| (left[i].clone(), right[j].clone())))
}

fn compare_benches(
    baseline: &[BenchUnit],
    candidate: &[BenchUnit],
    mode: ComparisonMode,
    settings: &BootstrapSettings,
    names: (&str, &str),
) -> Result<Comparison> {
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
            let fewest = left_samples.len().min(right_samples.len());
            if fewest < 100 {
                notes.push(format!(
                    "{}: {metric} p99 from {fewest} requests is close to the maximum; its interval is rough below 100 requests",
                    left.point
                ));
            }
            for q in PERCENTILES {
                let difference = percentile_difference(left_samples, right_samples, q, settings)?;
                latency.push(LatencyComparison {
                    point: left.point.clone(),
                    metric: metric.to_string(),
                    percentile: q,
                    baseline: percentile(left_samples, q).unwrap_or(f64::NAN),
                    candidate: percentile(right_samples, q).unwrap_or(f64::NAN),
                    difference,
                    baseline_requests: left_samples.len(),
                    candidate_requests: right_samples.len(),
                });
            }
        }
        for metric in ["requests_per_second", "output_tokens_per_second"] {
            if let (Some(a), Some(b)) = (left.value(metric), right.value(metric)) {
                throughput.push(ThroughputComparison {
                    point: left.point.clone(),
                    metric: metric.to_string(),
                    baseline: a,
                    candidate: b,
                });
            }
        }
    }
    Ok(Comparison {
        mode: mode.as_str().to_string(),
        baseline: names.0.to_string(),
        candidate: names.1.to_string(),
        tasks: Vec::new(),
        summary: None,
        latency,
        throughput,
        refused,
        notes,
    })
}

/// `difference (task, task)`: one line per difference, naming where it occurs.
fn grouped(differing: BTreeMap<String, Vec<String>>) -> Vec<String> {
    differing
        .into_iter()
        .map(|(line, places)| format!("{line} ({})", places.join(", ")))
        .collect()
}

fn print(comparison: &Comparison, alpha: f64) {
    println!(
        "baseline {} vs candidate {} ({} mode)",
        comparison.baseline, comparison.candidate, comparison.mode
    );
    if !comparison.tasks.is_empty() {
        let mut table = Table::new(&[
            "task",
            "metric",
            "n",
            "baseline",
            "candidate",
            "diff",
            "95% CI",
            "test",
            "p",
            "p (Holm)",
            "verdict",
        ]);
        for task in &comparison.tasks {
            table.push(vec![
                task.task.clone(),
                task.metric.clone(),
                task.items.to_string(),
                format!("{:.4}", task.baseline_mean),
                format!("{:.4}", task.candidate_mean),
                format!("{:+.4}", task.difference.value),
                format!(
                    "[{:+.4}, {:+.4}]",
                    task.difference.interval.low, task.difference.interval.high
                ),
                match task.test {
                    yardstick_decide::paired::PairedTest::McNemarExact => "McNemar exact",
                    yardstick_decide::paired::PairedTest::PairedT => "paired t",
                }
                .to_string(),
                format!("{:.4}", task.p_value),
                format!("{:.4}", task.adjusted_p_value),
                format!("{:?}", task.verdict).to_lowercase(),
            ]);
        }
        println!("{}", table.render(Format::Table));
        if let Some(summary) = comparison.summary {
            println!(
                "the candidate is better on {} task(s), worse on {}, indistinguishable on {} (Holm-adjusted p < {alpha})",
                summary.better, summary.worse, summary.indistinguishable
            );
        }
    }
    if !comparison.latency.is_empty() {
        let mut table = Table::new(&[
            "point",
            "latency",
            "baseline ms",
            "candidate ms",
            "diff ms",
            "95% CI",
            "requests",
        ]);
        for row in &comparison.latency {
            table.push(vec![
                row.point.clone(),
                format!("{} p{}", row.metric.trim_end_matches("_ms"), row.percentile),
                format!("{:.2}", row.baseline),
                format!("{:.2}", row.candidate),
                format!("{:+.2}", row.difference.value),
                format!(
                    "[{:+.2}, {:+.2}]{}",
                    row.difference.interval.low,
                    row.difference.interval.high,
                    if row.difference.interval.excludes_zero() {
                        " *"
                    } else {
                        ""
                    }
                ),
                format!("{} / {}", row.baseline_requests, row.candidate_requests),
            ]);
        }
        println!("{}", table.render(Format::Table));
        println!("* the interval excludes 0: the percentiles differ beyond resampling noise");
        for row in &comparison.throughput {
            println!(
                "{} {}: {:.3} → {:.3} (one run each: no interval)",
                row.point, row.metric, row.baseline, row.candidate
            );
        }
    }
    for refusal in &comparison.refused {
        println!(
            "refused {}: {}",
            refusal.task,
            refusal.differences.join("; ")
        );
    }
    for note in &comparison.notes {
        println!("note: {note}");
    }
}
