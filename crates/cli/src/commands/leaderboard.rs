//! `yardstick leaderboard`: models × tasks from the most recent complete result of each
//! (model, task), groups (e.g. `mmlu`) aggregated from their leaves as lm-eval does, plus the
//! latest speed profile of each model, then each model's category scores (weighted means of
//! task scores). The cells come from `yardstick_evidence::scores`, the ranking and categories
//! from `yardstick_decide::leaderboard`; this prints them.

use anyhow::Result;
use yardstick_decide::leaderboard::Leaderboard;
use yardstick_evidence::metric::convert;
use yardstick_evidence::scores::{quality_cells, top_level_groups};
use yardstick_evidence::{gather, ProfileMetric};

use super::Outcome;
use crate::args::{Format, LeaderboardArgs};
use crate::home::Home;
use crate::render::Table;

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

pub async fn run(args: LeaderboardArgs, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    let cells = quality_cells(
        store.latest_units().await?,
        &top_level_groups()?,
        &args.tasks,
    );
    let speed = gather::profile_records(&store).await?;
    let (categories, categories_source) = super::inputs::categories(args.categories.as_deref())?;
    let leaderboard = Leaderboard::new(cells, speed, &categories);

    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&leaderboard)?);
        return Ok(Outcome::Success);
    }
    if leaderboard.is_empty() {
        println!("no results yet: run `yardstick eval` or `yardstick profile` first");
        return Ok(Outcome::Success);
    }
    println!("{}", wide_table(&leaderboard).render(args.format));
    if !leaderboard.categories.is_empty() {
        println!(
            "categories: weighted means of the tasks' main metrics (weights from {categories_source}); \
             ± standard error √(Σ w²·se²)/Σ w; tasks present / defined"
        );
        let mut table = Table::new(&["model", "category", "score", "95% CI", "tasks"]);
        for cell in &leaderboard.categories {
            let (Some(score), Some(stderr), Some(interval)) =
                (cell.score.score, cell.score.stderr, cell.score.interval)
            else {
                continue;
            };
            table.push(vec![
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
        println!("{}", table.render(args.format));
    }
    Ok(Outcome::Success)
}

fn wide_table(leaderboard: &Leaderboard) -> Table {
    let tasks = leaderboard.tasks();
    let speed_columns: Vec<_> = speed_columns()
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
    let mut table = Table {
        header,
        rows: Vec::new(),
    };
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
        table.push(row);
    }
    table
}
