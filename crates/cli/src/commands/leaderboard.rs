//! `yardstick leaderboard`: models × tasks from the most recent complete result of each
//! (model, task), groups (e.g. `mmlu`) aggregated from their leaves as lm-eval does, plus the
//! latest speed profile of each model, then each model's category scores (weighted means of
//! task scores, `yardstick_decide::categories`).

use super::Outcome;
use crate::args::{Format, LeaderboardArgs};
use crate::home::Home;
use crate::render::Table;
use anyhow::Result;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use yardstick_core::MetricRecord;
use yardstick_decide::categories::{category_scores, Categories, CategoryScore, TaskScore};
use yardstick_runner::profile::names;
use yardstick_store::{RunKind, Status};
use yardstick_tasks::GroupDefinition;

/// Speed columns: (header, metric name, scale, decimals).
fn speed_columns() -> Vec<(&'static str, String, f64, usize)> {
    vec![
        ("prefill tok/s (512)", names::prefill(512), 1.0, 1),
        ("decode tok/s (128)", names::decode(128), 1.0, 1),
        ("TTFT ms (128)", names::ttft(128), 1.0, 1),
        ("load ms", names::LOAD_TIME_MS.to_string(), 1.0, 0),
        (
            "peak RSS MiB",
            names::PEAK_RSS_BYTES.to_string(),
            1.0 / (1024.0 * 1024.0),
            0,
        ),
    ]
}

#[derive(Debug, Clone, Serialize)]
struct Cell {
    model: String,
    task: String,
    metric: String,
    value: f64,
    stderr: Option<f64>,
    n: Option<u64>,
    /// Run of the result (for a group: of its most recent leaf).
    run_id: String,
    /// The unit's fingerprint; None for group aggregates.
    fingerprint_id: Option<String>,
}

/// A leaf task's records with the run and fingerprint they come from.
type LeafResult = (Vec<MetricRecord>, String, String);

#[derive(Debug, Clone, Serialize)]
struct SpeedCell {
    model: String,
    run_id: String,
    record: MetricRecord,
}

/// The main metric of a task: `acc_norm` where the task has it, else `acc`, else the first.
pub(crate) fn main_metric(records: &[MetricRecord]) -> Option<&MetricRecord> {
    let quality: Vec<&MetricRecord> = records
        .iter()
        .filter(|record| record.name != yardstick_runner::eval::ITEMS_PER_SECOND)
        .collect();
    ["acc_norm", "acc"]
        .iter()
        .find_map(|name| quality.iter().find(|record| record.name == *name).copied())
        .or_else(|| quality.first().copied())
}

pub async fn run(args: LeaderboardArgs, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    let units = store.latest_units().await?;

    // Leaf records by model, and which leaves belong to a built-in group.
    let mut leaf_records: BTreeMap<String, BTreeMap<String, LeafResult>> = BTreeMap::new();
    for unit in units {
        leaf_records
            .entry(unit.unit.model.clone())
            .or_default()
            .insert(
                unit.unit.task.clone(),
                (
                    unit.metrics,
                    unit.unit.run_id.clone(),
                    unit.unit.fingerprint_id.clone(),
                ),
            );
    }
    let groups = top_level_groups()?;
    let mut cells: Vec<Cell> = Vec::new();
    for (model, tasks) in &leaf_records {
        let mut grouped: BTreeSet<String> = BTreeSet::new();
        for group in &groups {
            let present: BTreeMap<String, Vec<MetricRecord>> = tasks
                .iter()
                .filter(|(task, _)| group.leaves.contains(task))
                .map(|(task, (records, _, _))| (task.clone(), records.clone()))
                .collect();
            if present.is_empty() {
                continue;
            }
            grouped.extend(present.keys().cloned());
            let run_id = tasks
                .iter()
                .filter(|(task, _)| group.leaves.contains(task))
                .map(|(_, (_, run, _))| run.clone())
                .max()
                .unwrap_or_default();
            let records = aggregate_group(group, &present);
            if let Some(record) = main_metric(&records) {
                cells.push(Cell {
                    model: model.clone(),
                    task: group_label(group, present.len()),
                    metric: record.name.clone(),
                    value: record.value,
                    stderr: record.stderr,
                    n: record.n,
                    run_id,
                    fingerprint_id: None,
                });
            }
        }
        for (task, (records, run_id, fingerprint_id)) in tasks {
            let explicitly_asked = args.tasks.iter().any(|name| name == task);
            if grouped.contains(task) && !explicitly_asked {
                continue;
            }
            if let Some(record) = main_metric(records) {
                cells.push(Cell {
                    model: model.clone(),
                    task: task.clone(),
                    metric: record.name.clone(),
                    value: record.value,
                    stderr: record.stderr,
                    n: record.n,
                    run_id: run_id.clone(),
                    fingerprint_id: Some(fingerprint_id.clone()),
                });
            }
        }
    }
    if !args.tasks.is_empty() {
        cells.retain(|cell| {
            args.tasks
                .iter()
                .any(|name| cell.task == *name || cell.task.starts_with(&format!("{name} (")))
        });
    }

    // Speed: for each model and metric, the most recent complete profile that measured it
    // (a quick `profile --prompt-tokens 128` does not hide an earlier 512-token figure).
    let mut speed: Vec<SpeedCell> = Vec::new();
    for run in store.list_runs().await? {
        if run.kind != RunKind::Profile || run.status != Status::Complete {
            continue;
        }
        for stored in store.metrics_for_run(&run.run_id).await? {
            let known = speed
                .iter()
                .any(|cell| cell.model == stored.model && cell.record.name == stored.record.name);
            if !known {
                speed.push(SpeedCell {
                    model: stored.model.clone(),
                    run_id: run.run_id.clone(),
                    record: stored.record,
                });
            }
        }
    }

    let (categories, categories_source) = super::evidence::categories(args.categories.as_deref())?;
    let category_cells = category_cells(&cells, &categories);

    if args.format == Format::Json {
        let json = serde_json::json!({
            "quality": cells,
            "categories": category_cells,
            "speed": speed,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(Outcome::Success);
    }
    if cells.is_empty() && speed.is_empty() {
        println!("no results yet: run `yardstick eval` or `yardstick profile` first");
        return Ok(Outcome::Success);
    }
    println!("{}", wide_table(&cells, &speed).render(args.format));
    if !category_cells.is_empty() {
        println!(
            "categories: weighted means of the tasks' main metrics (weights from {categories_source}); \
             ± standard error √(Σ w²·se²)/Σ w; tasks present / defined"
        );
        let mut table = Table::new(&["model", "category", "score", "95% CI", "tasks"]);
        for cell in &category_cells {
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

/// A model's score in a category.
#[derive(Debug, Clone, Serialize)]
struct CategoryCell {
    model: String,
    #[serde(flatten)]
    score: CategoryScore,
}

/// Every model's category scores from the leaderboard's cells (whole tasks and complete
/// groups; a group with missing subtasks is left out), categories without any of their tasks
/// left out.
fn category_cells(cells: &[Cell], categories: &Categories) -> Vec<CategoryCell> {
    let mut by_model: BTreeMap<&str, BTreeMap<String, TaskScore>> = BTreeMap::new();
    for cell in cells.iter().filter(|cell| !cell.task.contains(" (")) {
        by_model.entry(&cell.model).or_default().insert(
            cell.task.clone(),
            TaskScore {
                value: cell.value,
                stderr: cell.stderr.unwrap_or(0.0),
            },
        );
    }
    by_model
        .into_iter()
        .flat_map(|(model, scores)| {
            category_scores(categories, &scores)
                .into_iter()
                .filter(|score| score.score.is_some())
                .map(move |score| CategoryCell {
                    model: model.to_string(),
                    score,
                })
        })
        .collect()
}

/// One model's results as the leaderboard scores them: each top-level group (`mmlu`)
/// aggregated from the leaves present, in place of those leaves (named `mmlu (3/57
/// subtasks)` when some are missing), other tasks as they are; the main metric of each.
/// Report and recommend average these, so a 57-subject group counts once, not 57 times.
pub(crate) fn scores_by_task(
    leaves: &BTreeMap<String, Vec<MetricRecord>>,
) -> Result<BTreeMap<String, MetricRecord>> {
    let mut scores = BTreeMap::new();
    let mut grouped: BTreeSet<&String> = BTreeSet::new();
    for group in &top_level_groups()? {
        let present: BTreeMap<String, Vec<MetricRecord>> = leaves
            .iter()
            .filter(|(task, _)| group.leaves.contains(*task))
            .map(|(task, records)| (task.clone(), records.clone()))
            .collect();
        if present.is_empty() {
            continue;
        }
        grouped.extend(leaves.keys().filter(|task| group.leaves.contains(*task)));
        if let Some(record) = main_metric(&aggregate_group(group, &present)) {
            scores.insert(group_label(group, present.len()), record.clone());
        }
    }
    for (task, records) in leaves {
        if grouped.contains(task) {
            continue;
        }
        if let Some(record) = main_metric(records) {
            scores.insert(task.clone(), record.clone());
        }
    }
    Ok(scores)
}

/// `mmlu`, or `mmlu (3/57 subtasks)` when only `present` of its leaves are there.
fn group_label(group: &GroupDefinition, present: usize) -> String {
    if present == group.leaves.len() {
        group.name().to_string()
    } else {
        format!(
            "{} ({}/{} subtasks)",
            group.name(),
            present,
            group.leaves.len()
        )
    }
}

/// Groups that are not members of another group (e.g. `mmlu`, not `mmlu_stem`).
fn top_level_groups() -> Result<Vec<GroupDefinition>> {
    let mut groups = Vec::new();
    for entry in yardstick_tasks::list()? {
        if entry.kind != yardstick_tasks::EntryKind::Group {
            continue;
        }
        let resolved = yardstick_tasks::resolve(&entry.name)?;
        groups.extend(
            resolved
                .groups
                .into_iter()
                .filter(|g| g.name() == entry.name),
        );
    }
    let nested: BTreeSet<String> = groups
        .iter()
        .flat_map(|group| group.children.iter().cloned())
        .collect();
    groups.retain(|group| !nested.contains(group.name()));
    Ok(groups)
}

/// Aggregates a group from its leaves, going through its subgroups as the runner does.
fn aggregate_group(
    group: &GroupDefinition,
    leaves: &BTreeMap<String, Vec<MetricRecord>>,
) -> Vec<MetricRecord> {
    let mut records = leaves.clone();
    if let Ok(resolved) = yardstick_tasks::resolve(group.name()) {
        for subgroup in resolved.groups {
            let aggregated = subgroup.aggregate(&records);
            records.insert(subgroup.name().to_string(), aggregated);
        }
    }
    records
        .remove(group.name())
        .unwrap_or_else(|| group.aggregate(leaves))
}

fn wide_table(cells: &[Cell], speed: &[SpeedCell]) -> Table {
    let tasks: Vec<(String, String)> = {
        let mut seen: Vec<(String, String)> = Vec::new();
        for cell in cells {
            if !seen.iter().any(|(task, _)| *task == cell.task) {
                seen.push((cell.task.clone(), cell.metric.clone()));
            }
        }
        seen.sort();
        seen
    };
    let speed_columns: Vec<_> = speed_columns()
        .into_iter()
        .filter(|(_, name, _, _)| speed.iter().any(|cell| cell.record.name == *name))
        .collect();
    let mut models: Vec<String> = cells
        .iter()
        .map(|c| c.model.clone())
        .chain(speed.iter().map(|c| c.model.clone()))
        .collect();
    models.sort();
    models.dedup();
    // Best average quality first.
    // The mean over the table's tasks, only for models that have every one of them.
    let average = |model: &str| -> f64 {
        let values: Vec<f64> = tasks
            .iter()
            .filter_map(|(task, _)| cells.iter().find(|c| c.model == model && c.task == *task))
            .map(|c| c.value)
            .collect();
        if values.len() == tasks.len() {
            yardstick_core::stats::mean(&values).unwrap_or(f64::NEG_INFINITY)
        } else {
            f64::NEG_INFINITY
        }
    };
    models.sort_by(|a, b| average(b).total_cmp(&average(a)));

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
    for model in &models {
        let mut row = vec![model.clone()];
        for (task, _) in &tasks {
            let cell = cells.iter().find(|c| c.model == *model && c.task == *task);
            row.push(cell.map_or_else(
                || "—".to_string(),
                |c| match (c.stderr, c.n) {
                    (Some(stderr), Some(n)) => format!("{:.4} ± {:.4} (n={n})", c.value, stderr),
                    (Some(stderr), None) => format!("{:.4} ± {:.4}", c.value, stderr),
                    _ => format!("{:.4}", c.value),
                },
            ));
        }
        if !tasks.is_empty() {
            let value = average(model);
            row.push(if value.is_finite() {
                format!("{value:.4}")
            } else {
                "—".into()
            });
        }
        for (_, name, scale, decimals) in &speed_columns {
            let cell = speed
                .iter()
                .find(|c| c.model == *model && c.record.name == *name);
            row.push(cell.map_or_else(
                || "—".to_string(),
                |c| format!("{:.*}", *decimals, c.record.value * scale),
            ));
        }
        table.push(row);
    }
    table
}
