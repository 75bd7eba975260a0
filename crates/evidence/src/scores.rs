//! Task scores as the leaderboard scores them: each task's main metric, and each top-level
//! group (`mmlu`) aggregated from the subtasks present — in place of them, so that a
//! 57-subject group counts once, not 57 times, wherever scores are averaged or compared.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use yardstick_core::MetricRecord;
use yardstick_store::UnitResults;
use yardstick_tasks::GroupDefinition;

use crate::metric::{ITEMS_PER_SECOND, MAIN_METRIC_PREFERENCE};
use crate::EvidenceError;

/// The main metric of a task: `acc_norm` where the task has it, else `acc`, else its first
/// quality record.
pub fn main_metric(records: &[MetricRecord]) -> Option<&MetricRecord> {
    let quality: Vec<&MetricRecord> = records
        .iter()
        .filter(|record| record.name != ITEMS_PER_SECOND)
        .collect();
    MAIN_METRIC_PREFERENCE
        .iter()
        .find_map(|name| quality.iter().find(|record| record.name == *name).copied())
        .or_else(|| quality.first().copied())
}

/// The built-in groups that are not members of another group (`mmlu`, not `mmlu_stem`).
pub fn top_level_groups() -> Result<Vec<GroupDefinition>, EvidenceError> {
    let tasks = |error: yardstick_tasks::TaskError| EvidenceError::Tasks(error.to_string());
    let mut groups = Vec::new();
    for entry in yardstick_tasks::list().map_err(tasks)? {
        if entry.kind != yardstick_tasks::EntryKind::Group {
            continue;
        }
        let resolved = yardstick_tasks::resolve(&entry.name).map_err(tasks)?;
        groups.extend(
            resolved
                .groups
                .into_iter()
                .filter(|group| group.name() == entry.name),
        );
    }
    let nested: BTreeSet<String> = groups
        .iter()
        .flat_map(|group| group.children.iter().cloned())
        .collect();
    groups.retain(|group| !nested.contains(group.name()));
    Ok(groups)
}

/// `mmlu`, or `mmlu (3/57 subtasks)` when only `present` of its leaves are there.
pub fn group_label(group: &GroupDefinition, present: usize) -> String {
    label_of_group(group.name(), present, group.leaves.len())
}

/// Whether a task label names a group with missing subtasks (`mmlu (3/57 subtasks)`).
pub fn is_partial_group(label: &str) -> bool {
    label.contains(" (")
}

/// Aggregates a group from its leaves, going through its subgroups as the runner does.
pub fn aggregate_group(
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

/// One model's results as the leaderboard scores them: each top-level group aggregated from
/// the leaves present, in place of those leaves (labelled by [`group_label`]), other tasks as
/// they are; the main metric of each.
pub fn scores_by_task(
    groups: &[GroupDefinition],
    leaves: &BTreeMap<String, Vec<MetricRecord>>,
) -> BTreeMap<String, MetricRecord> {
    let mut scores = BTreeMap::new();
    let mut grouped: BTreeSet<&String> = BTreeSet::new();
    for group in groups {
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
    scores
}

/// Which top-level group each task belongs to: what a comparison needs to count a group
/// once (its aggregate) and correct its subtasks within it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupMembership {
    /// Group name → its leaf tasks, in order.
    groups: Vec<(String, Vec<String>)>,
}

impl GroupMembership {
    /// Groups given as (name, leaves).
    pub fn new(groups: Vec<(String, Vec<String>)>) -> GroupMembership {
        GroupMembership { groups }
    }

    pub fn from_definitions(groups: &[GroupDefinition]) -> GroupMembership {
        GroupMembership::new(
            groups
                .iter()
                .map(|group| (group.name().to_string(), group.leaves.clone()))
                .collect(),
        )
    }

    /// The built-in top-level groups.
    pub fn builtin() -> Result<GroupMembership, EvidenceError> {
        Ok(GroupMembership::from_definitions(&top_level_groups()?))
    }

    /// The group `task` is a leaf of, and how many leaves that group has.
    pub fn group_of(&self, task: &str) -> Option<(&str, usize)> {
        self.groups
            .iter()
            .find(|(_, leaves)| leaves.iter().any(|leaf| leaf == task))
            .map(|(name, leaves)| (name.as_str(), leaves.len()))
    }
}

/// `mmlu`, or `mmlu (3/57 subtasks)` when only `present` of its `total` leaves are there.
pub fn label_of_group(name: &str, present: usize, total: usize) -> String {
    if present == total {
        name.to_string()
    } else {
        format!("{name} ({present}/{total} subtasks)")
    }
}

/// One model's score on one task (or group) as the leaderboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityCell {
    pub model: String,
    pub task: String,
    pub metric: String,
    pub value: f64,
    pub stderr: Option<f64>,
    pub n: Option<u64>,
    /// Run of the result (for a group: of its most recent leaf).
    pub run_id: String,
    /// The unit's fingerprint; `None` for group aggregates.
    pub fingerprint_id: Option<String>,
}

/// Names each unit's leaderboard row: its model's name when all its model's units belong to
/// one deployment (or to none), else its deployment's name from `names` (by id) — a model
/// evaluated in-process and through a server is two rows. The row name replaces the unit's
/// `model`, which [`quality_cells`] groups by.
pub fn rows_by_deployment(
    units: Vec<UnitResults>,
    names: &BTreeMap<String, String>,
) -> Vec<UnitResults> {
    rows_and_speed_by_deployment(units, Vec::new(), names).0
}

/// [`rows_by_deployment`], and the profile speed records renamed the same way: a record of
/// a model shown under its deployments' names takes the name of the deployment it measured,
/// so speed lines up with the quality of that deployment.
pub fn rows_and_speed_by_deployment(
    mut units: Vec<UnitResults>,
    mut speed: Vec<crate::gather::ProfileRecord>,
    names: &BTreeMap<String, String>,
) -> (Vec<UnitResults>, Vec<crate::gather::ProfileRecord>) {
    let mut deployments_of: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
    for unit in &units {
        deployments_of
            .entry(unit.unit.model.clone())
            .or_default()
            .insert(unit.unit.deployment_id.clone());
    }
    for unit in &mut units {
        let shared = deployments_of
            .get(&unit.unit.model)
            .is_some_and(|deployments| deployments.len() > 1);
        if !shared {
            continue;
        }
        if let Some(name) = unit
            .unit
            .deployment_id
            .as_ref()
            .and_then(|id| names.get(id))
        {
            unit.unit.model = name.clone();
        }
    }
    for record in &mut speed {
        let shared = deployments_of
            .get(&record.model)
            .is_some_and(|deployments| deployments.len() > 1);
        if let (true, Some(name)) = (
            shared,
            record.deployment_id.as_ref().and_then(|id| names.get(id)),
        ) {
            record.model = name.clone();
        }
    }
    (units, speed)
}

/// A leaf task's records with the run and fingerprint they come from.
type LeafResult = (Vec<MetricRecord>, String, String);

/// The leaderboard's cells from each model's latest unit per task: each top-level group
/// aggregated from the leaves present (in place of them, unless a leaf is asked for by name
/// in `asked`), other tasks as they are; with `asked` non-empty, only the tasks and groups
/// it names.
pub fn quality_cells(
    units: Vec<UnitResults>,
    groups: &[GroupDefinition],
    asked: &[String],
) -> Vec<QualityCell> {
    let mut leaf_records: BTreeMap<String, BTreeMap<String, LeafResult>> = BTreeMap::new();
    for unit in units {
        leaf_records
            .entry(unit.unit.model.clone())
            .or_default()
            .insert(
                unit.unit.task.clone(),
                (unit.metrics, unit.unit.run_id, unit.unit.fingerprint_id),
            );
    }
    let mut cells: Vec<QualityCell> = Vec::new();
    for (model, tasks) in &leaf_records {
        let mut grouped: BTreeSet<String> = BTreeSet::new();
        for group in groups {
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
            if let Some(record) = main_metric(&aggregate_group(group, &present)) {
                cells.push(cell(
                    model,
                    &group_label(group, present.len()),
                    record,
                    run_id,
                    None,
                ));
            }
        }
        for (task, (records, run_id, fingerprint_id)) in tasks {
            let explicitly_asked = asked.iter().any(|name| name == task);
            if grouped.contains(task) && !explicitly_asked {
                continue;
            }
            if let Some(record) = main_metric(records) {
                cells.push(cell(
                    model,
                    task,
                    record,
                    run_id.clone(),
                    Some(fingerprint_id.clone()),
                ));
            }
        }
    }
    if !asked.is_empty() {
        cells.retain(|cell| {
            asked
                .iter()
                .any(|name| cell.task == *name || cell.task.starts_with(&format!("{name} (")))
        });
    }
    cells
}

fn cell(
    model: &str,
    task: &str,
    record: &MetricRecord,
    run_id: String,
    fingerprint_id: Option<String>,
) -> QualityCell {
    QualityCell {
        model: model.to_string(),
        task: task.to_string(),
        metric: record.name.clone(),
        value: record.value,
        stderr: record.stderr,
        n: record.n,
        run_id,
        fingerprint_id,
    }
}

#[cfg(test)]
mod tests {
    use yardstick_core::Unit;

    use super::*;

    fn records(acc: f64, n: u64) -> Vec<MetricRecord> {
        vec![
            MetricRecord::new("items_per_second", 9.0, Unit::ItemsPerSecond),
            MetricRecord::new("acc", acc, Unit::Ratio)
                .with_stderr(0.01)
                .with_n(n),
        ]
    }

    #[test]
    fn speed_records_take_the_name_of_the_deployment_they_measured() {
        use yardstick_test_support::evidence::run_unit;
        use yardstick_test_support::fingerprint::fingerprint;

        let unit = |model: &str, deployment: &str| {
            let mut unit = run_unit(fingerprint(model, "arc_easy").build());
            unit.deployment_id = Some(deployment.to_string());
            UnitResults {
                unit,
                metrics: records(0.5, 10),
            }
        };
        let speed = |model: &str, deployment: Option<&str>| crate::gather::ProfileRecord {
            model: model.to_string(),
            run_id: "profile".to_string(),
            deployment_id: deployment.map(str::to_string),
            record: MetricRecord::new("load_time_ms", 1.0, Unit::Milliseconds),
        };
        let names = BTreeMap::from([
            ("d1".to_string(), "gemma on laptop".to_string()),
            ("d2".to_string(), "gemma on server".to_string()),
            ("d3".to_string(), "qwen".to_string()),
        ]);
        let (rows, speed) = rows_and_speed_by_deployment(
            vec![unit("gemma", "d1"), unit("gemma", "d2"), unit("qwen", "d3")],
            vec![
                speed("gemma", Some("d2")),
                speed("gemma", None),
                speed("qwen", Some("d3")),
            ],
            &names,
        );
        let rows: Vec<&str> = rows.iter().map(|row| row.unit.model.as_str()).collect();
        assert_eq!(rows, ["gemma on laptop", "gemma on server", "qwen"]);
        let speed: Vec<&str> = speed.iter().map(|record| record.model.as_str()).collect();
        // A model with one deployment keeps its name; an old record (no deployment) too.
        assert_eq!(speed, ["gemma on server", "gemma", "qwen"]);
    }

    #[test]
    fn the_main_metric_prefers_acc_norm_then_acc_and_never_the_rate() {
        let mut list = records(0.5, 10);
        assert_eq!(main_metric(&list).map(|r| r.name.as_str()), Some("acc"));
        list.push(MetricRecord::new("acc_norm", 0.6, Unit::Ratio));
        assert_eq!(
            main_metric(&list).map(|r| r.name.as_str()),
            Some("acc_norm")
        );
        let rate = [MetricRecord::new(
            "items_per_second",
            9.0,
            Unit::ItemsPerSecond,
        )];
        assert!(main_metric(&rate).is_none());
    }

    #[test]
    fn a_group_counts_once_by_its_size_weighted_aggregate() {
        let groups = top_level_groups().expect("built-in groups");
        let mmlu = groups
            .iter()
            .find(|group| group.name() == "mmlu")
            .expect("mmlu is a top-level group");
        assert_eq!(mmlu.leaves.len(), 57);
        assert!(groups.iter().all(|group| group.name() != "mmlu_stem"));
        let leaves = BTreeMap::from([
            ("arc_easy".to_string(), records(0.7, 100)),
            ("mmlu_anatomy".to_string(), records(0.4, 30)),
            ("mmlu_astronomy".to_string(), records(0.6, 10)),
        ]);
        let scores = scores_by_task(&groups, &leaves);
        let names: Vec<&str> = scores.keys().map(String::as_str).collect();
        assert_eq!(names, ["arc_easy", "mmlu (2/57 subtasks)"]);
        // Size-weighted: (0.4 · 30 + 0.6 · 10) / 40.
        let mmlu_score = scores["mmlu (2/57 subtasks)"].value;
        assert!((mmlu_score - 0.45).abs() < 1e-12, "{mmlu_score}");
        assert!(is_partial_group("mmlu (2/57 subtasks)"));
        let membership = GroupMembership::from_definitions(&groups);
        assert_eq!(membership.group_of("mmlu_anatomy"), Some(("mmlu", 57)));
        assert!(membership.group_of("arc_easy").is_none());
    }
}
