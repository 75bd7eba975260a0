//! `yardstick compare`: a paired, statistically honest comparison of two results.
//!
//! The selection of the two sides is `yardstick_evidence::selection`, the comparison
//! `yardstick_decide::compare`; this prints it.
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

use anyhow::{bail, Result};
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::compare::{compare, CompareOptions, Comparison};
use yardstick_evidence::scores::GroupMembership;
use yardstick_evidence::selection::comparison_sides;
use yardstick_evidence::ComparisonMode;

use super::Outcome;
use crate::args::{CompareArgs, Format};
use crate::home::Home;
use crate::render::Table;

pub async fn run(args: CompareArgs, home: &Home) -> Result<Outcome> {
    let mode: ComparisonMode = args.mode.parse()?;
    let settings = BootstrapSettings {
        resamples: args.resamples,
        level: 0.95,
        seed: args.seed,
    };
    let store = home.open_store().await?;
    let sides = comparison_sides(&store, &args.runs, &args.models, mode).await?;
    let options = CompareOptions {
        mode,
        settings,
        alpha: args.alpha,
        groups: GroupMembership::builtin()?,
        subtasks: args.subtasks,
    };
    let comparison = compare(&sides, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print(&comparison, args.alpha);
    }
    if comparison.is_empty() {
        bail!("nothing could be compared: {}", comparison.refusals_line());
    }
    Ok(Outcome::Success)
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
                match &task.group {
                    Some(group) => format!("  {} (in {group})", task.task),
                    None => task.task.clone(),
                },
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
            if comparison
                .tasks
                .iter()
                .any(|task| task.pooled_subtasks.is_some())
            {
                println!(
                    "a group counts once in the correction, by its subtasks' pooled items; --subtasks shows the subtasks, corrected within their group"
                );
            }
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
