//! Each decision's result as document blocks — the lines and tables a reader sees — so the
//! command line, the report and a dashboard show the same view. Every number is formatted
//! here; a renderer (the CLI's terminal tables, `yardstick_report`'s HTML) only draws.

mod leaderboard;
mod recommendation;

use yardstick_report::{Block, Row, Table};

use crate::categories::CategoryComparison;
use crate::compare::{Comparison, LatencyComparison};
use crate::costing::CostReport;
use crate::paired::{ComparisonSummary, PairedTest, TaskComparison, Verdict};
use crate::regress::Status;
use crate::regression::RegressionOutput;

pub use leaderboard::leaderboard;
pub use recommendation::{recommendation, shown};

fn line(text: String) -> Block {
    Block::Paragraph { text }
}

fn table(columns: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table {
        caption: String::new(),
        columns: columns.iter().map(|column| (*column).to_string()).collect(),
        rows: rows.into_iter().map(Row::new).collect(),
    })
}

/// `refused TASK: reasons` and `note: …` lines.
fn refusals_and_notes<'a>(
    refused: impl IntoIterator<Item = &'a yardstick_evidence::Refusal>,
    notes: &[String],
    blocks: &mut Vec<Block>,
) {
    for refusal in refused {
        blocks.push(line(format!(
            "refused {}: {}",
            refusal.task,
            refusal.differences.join("; ")
        )));
    }
    blocks.extend(notes.iter().map(|note| line(format!("note: {note}"))));
}

/// A comparison: its task table with the summary, its latency table with throughputs, what
/// was refused and the notes.
pub fn comparison(comparison: &Comparison, alpha: f64) -> Vec<Block> {
    let mut blocks = vec![line(format!(
        "baseline {} vs candidate {} ({} mode)",
        comparison.baseline, comparison.candidate, comparison.mode
    ))];
    if !comparison.tasks.is_empty() {
        blocks.push(task_table(&comparison.tasks));
        if let Some(summary) = comparison.summary {
            task_summary(&summary, &comparison.tasks, alpha, &mut blocks);
        }
    }
    if !comparison.categories.is_empty() {
        blocks.push(category_table(&comparison.categories));
        blocks.push(line(
            "categories: weighted means of their compared tasks; the interval is normal from the tasks' paired standard errors (descriptive: the task rows carry the tests)".to_string(),
        ));
    }
    if !comparison.latency.is_empty() {
        blocks.push(latency_table(&comparison.latency));
        blocks.push(line(
            "* the interval excludes 0: the percentiles differ beyond resampling noise".to_string(),
        ));
        for row in &comparison.throughput {
            blocks.push(line(format!(
                "{} {}: {:.3} → {:.3} (one run each: no interval)",
                row.point, row.metric, row.baseline, row.candidate
            )));
        }
    }
    refusals_and_notes(&comparison.refused, &comparison.notes, &mut blocks);
    blocks
}

/// Per task (a group's subtasks indented under it): items, means, difference with its
/// interval, test, p-values and verdict.
fn task_table(tasks: &[TaskComparison]) -> Block {
    let rows = tasks
        .iter()
        .map(|task| {
            vec![
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
                test_name(task.test).to_string(),
                format!("{:.4}", task.p_value),
                format!("{:.4}", task.adjusted_p_value),
                verdict_name(task.verdict).to_string(),
            ]
        })
        .collect();
    table(
        &[
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
        ],
        rows,
    )
}

/// Per category: both weighted means, the difference with its interval, and the tasks used
/// (with those missing).
fn category_table(categories: &[CategoryComparison]) -> Block {
    let rows = categories
        .iter()
        .map(|row| {
            let mut tasks = row.tasks_used.join(", ");
            if !row.tasks_missing.is_empty() {
                tasks.push_str(&format!(
                    " ({} of {})",
                    row.tasks_used.len(),
                    row.tasks_used.len() + row.tasks_missing.len()
                ));
            }
            vec![
                row.category.clone(),
                format!("{:.4}", row.baseline),
                format!("{:.4}", row.candidate),
                format!("{:+.4}", row.difference.value),
                format!(
                    "[{:+.4}, {:+.4}]",
                    row.difference.interval.low, row.difference.interval.high
                ),
                tasks,
            ]
        })
        .collect();
    table(
        &[
            "category",
            "baseline",
            "candidate",
            "diff",
            "95% CI",
            "tasks",
        ],
        rows,
    )
}

/// The count of better, worse and indistinguishable tasks, and how a group is counted when
/// `tasks` has one.
fn task_summary(
    summary: &ComparisonSummary,
    tasks: &[TaskComparison],
    alpha: f64,
    blocks: &mut Vec<Block>,
) {
    blocks.push(line(format!(
        "the candidate is better on {} task(s), worse on {}, indistinguishable on {} (Holm-adjusted p < {alpha})",
        summary.better, summary.worse, summary.indistinguishable
    )));
    if tasks.iter().any(|task| task.pooled_subtasks.is_some()) {
        blocks.push(line(
            "a group counts once in the correction, by its subtasks' pooled items; --subtasks shows the subtasks, corrected within their group".to_string(),
        ));
    }
}

/// Per load point and latency percentile: both values, the difference with its interval
/// (starred when it excludes 0) and the request counts.
fn latency_table(latency: &[LatencyComparison]) -> Block {
    let rows = latency
        .iter()
        .map(|row| {
            vec![
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
            ]
        })
        .collect();
    table(
        &[
            "point",
            "latency",
            "baseline ms",
            "candidate ms",
            "diff ms",
            "95% CI",
            "requests",
        ],
        rows,
    )
}

/// The name of a paired test as tables show it.
pub fn test_name(test: PairedTest) -> &'static str {
    match test {
        PairedTest::McNemarExact => "McNemar exact",
        PairedTest::PairedT => "paired t",
    }
}

/// The name of a verdict as tables show it.
pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Indistinguishable => "indistinguishable",
    }
}

/// A regression check: per metric its change, interval, threshold and status; the verdict.
pub fn regression(output: &RegressionOutput) -> Vec<Block> {
    let mut blocks = vec![line(format!(
        "baseline {} → candidate {} ({} mode)",
        output.baseline, output.candidate, output.mode
    ))];
    let rows = output
        .report
        .metrics
        .iter()
        .map(|metric| {
            vec![
                metric.name.clone(),
                format!("{:.4}", metric.baseline),
                format!("{:.4}", metric.candidate),
                format!("{:+.4}", metric.change),
                format!(
                    "[{:+.4}, {:+.4}]",
                    metric.interval.low, metric.interval.high
                ),
                metric
                    .relative_change_percent
                    .map_or_else(|| "n/a".to_string(), |percent| format!("{percent:+.2}%")),
                format!("{}%", metric.threshold_percent),
                match metric.status {
                    Status::Regressed => "REGRESSED",
                    Status::Inconclusive => "inconclusive",
                    Status::Unchanged => "unchanged",
                    Status::Improved => "improved",
                }
                .to_string(),
            ]
        })
        .collect();
    blocks.push(table(
        &[
            "metric",
            "baseline",
            "candidate",
            "change",
            "95% CI",
            "relative",
            "threshold",
            "status",
        ],
        rows,
    ));
    refusals_and_notes(&output.refused, &output.notes, &mut blocks);
    blocks.push(line(format!("verdict: {}", output.verdict)));
    blocks
}

/// A cost report: where it was measured and priced, every figure with its basis and
/// arithmetic, the notes.
pub fn cost(report: &CostReport) -> Vec<Block> {
    let mut blocks = vec![line(format!(
        "{} at {} on {} — {}",
        report.run, report.point, report.hardware, report.throughput.origin
    ))];
    if let Some(deployment) = &report.deployment {
        blocks.push(line(format!("deployment: {deployment}")));
    }
    let rows = report
        .figures
        .iter()
        .map(|figure| {
            vec![
                figure.name.clone(),
                figure_value(figure.value),
                figure.unit.clone(),
                figure.basis.as_str().to_string(),
                figure.derivation.clone(),
            ]
        })
        .collect();
    blocks.push(table(&["figure", "value", "unit", "basis", "how"], rows));
    blocks.extend(
        report
            .notes
            .iter()
            .map(|note| line(format!("note: {note}"))),
    );
    blocks
}

/// A figure's value with digits fitting its size.
pub fn figure_value(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}
