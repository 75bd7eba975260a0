//! The leaderboard as blocks: models × tasks with each model's mean and its speed profile,
//! then the category scores.

use yardstick_evidence::metric::convert;
use yardstick_evidence::ProfileMetric;
use yardstick_report::Block;

use super::{line, table};
use crate::leaderboard::Leaderboard;

/// A speed column: header, metric, conversion of the stored value, decimals.
type SpeedColumn = (&'static str, ProfileMetric, fn(f64) -> f64, usize);

fn speed_columns() -> [SpeedColumn; 5] {
    let same = |value| value;
    [
        (
            "prefill tok/s (512)",
            ProfileMetric::PrefillTokensPerSecond(512),
            same,
            1,
        ),
        (
            "decode tok/s (128)",
            ProfileMetric::DecodeTokensPerSecond(128),
            same,
            1,
        ),
        (
            "TTFT ms (128)",
            ProfileMetric::TimeToFirstTokenMs(128),
            same,
            1,
        ),
        ("load ms", ProfileMetric::LoadTimeMs, same, 0),
        (
            "peak RSS MiB",
            ProfileMetric::PeakRssBytes,
            convert::bytes_to_mib,
            0,
        ),
    ]
}

/// The leaderboard; `categories_source` names where the category weights come from.
pub fn leaderboard(leaderboard: &Leaderboard, categories_source: &str) -> Vec<Block> {
    if leaderboard.is_empty() {
        return vec![line(
            "no results yet: run `yardstick eval` or `yardstick profile` first".to_string(),
        )];
    }
    let mut blocks = vec![wide_table(leaderboard)];
    if !leaderboard.categories.is_empty() {
        blocks.push(line(format!(
            "categories: weighted means of the tasks' main metrics (weights from {categories_source}); \
             ± standard error √(Σ w²·se²)/Σ w; tasks present / defined"
        )));
        let mut rows = Vec::new();
        for cell in &leaderboard.categories {
            let (Some(score), Some(stderr), Some(interval)) =
                (cell.score.score, cell.score.stderr, cell.score.interval)
            else {
                continue;
            };
            rows.push(vec![
                cell.model.clone(),
                cell.score.category.clone(),
                format!("{score:.4} ± {stderr:.4}"),
                format!("[{:.4}, {:.4}]", interval.low, interval.high),
                format!(
                    "{}/{}",
                    cell.score.tasks_used.len(),
                    cell.score.tasks_used.len() + cell.score.tasks_missing.len()
                ),
            ]);
        }
        blocks.push(table(
            &["model", "category", "score", "95% CI", "tasks"],
            rows,
        ));
    }
    blocks
}

fn wide_table(leaderboard: &Leaderboard) -> Block {
    let tasks = leaderboard.tasks();
    let speed_columns: Vec<SpeedColumn> = speed_columns()
        .into_iter()
        .filter(|(_, metric, _, _)| {
            let name = metric.name();
            leaderboard
                .speed
                .iter()
                .any(|cell| cell.record.name == name)
        })
        .collect();
    let mut header: Vec<String> = vec!["model".into()];
    header.extend(
        tasks
            .iter()
            .map(|(task, metric)| format!("{task} {metric}")),
    );
    if !tasks.is_empty() {
        header.push("mean".into());
    }
    header.extend(
        speed_columns
            .iter()
            .map(|(title, _, _, _)| (*title).to_string()),
    );
    let mut rows = Vec::new();
    for model in &leaderboard.ranked_models() {
        let mut row = vec![model.clone()];
        for (task, _) in &tasks {
            row.push(leaderboard.cell(model, task).map_or_else(
                || "—".to_string(),
                |c| match (c.stderr, c.n) {
                    (Some(stderr), Some(n)) => format!("{:.4} ± {:.4} (n={n})", c.value, stderr),
                    (Some(stderr), None) => format!("{:.4} ± {:.4}", c.value, stderr),
                    _ => format!("{:.4}", c.value),
                },
            ));
        }
        if !tasks.is_empty() {
            row.push(
                leaderboard
                    .mean(model)
                    .filter(|value| value.is_finite())
                    .map_or_else(|| "—".into(), |value| format!("{value:.4}")),
            );
        }
        for (_, metric, convert, decimals) in &speed_columns {
            row.push(leaderboard.speed(model, &metric.name()).map_or_else(
                || "—".to_string(),
                |c| format!("{:.*}", *decimals, convert(c.record.value)),
            ));
        }
        rows.push(row);
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(&header, rows)
}
