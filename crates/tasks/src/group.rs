//! Groups: lm-eval group configs (`group`, `task` list, `aggregate_metric_list`) and the
//! group records aggregated from the leaf tasks' records.
//!
//! As lm-eval does, a group's metric is computed over *all its leaf tasks* (not over its
//! sub-groups' results), weighted by each leaf's item count when `weight_by_size` is true
//! (the default), with the pooled standard error. yardstick extension: an
//! `aggregate_metric_list` entry may set `name` to report the aggregate under another metric
//! name, so that the same metric can be aggregated twice; the built-in `mmlu` group uses it
//! for `acc_macro`, the unweighted mean over its 57 subjects. For an unweighted mean the
//! standard error is `sqrt(sum(stderr_i^2)) / k` (independent subtasks), not lm-eval's pooled
//! formula, which describes the size-weighted mean.

use crate::config::Keys;
use crate::error::TaskError;
use crate::loader::Origin;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use yardstick_core::stats::{pooled_sample_stderr, weighted_mean};
use yardstick_core::{MetricRecord, Unit};

/// One `aggregate_metric_list` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateMetric {
    /// The leaf metric to aggregate (e.g. `acc`).
    pub metric: String,
    /// Only `mean` exists in lm-eval.
    pub aggregation: String,
    pub weight_by_size: bool,
    /// lm-eval's filter names; kept, not used (multiple-choice results have one filter).
    pub filter_list: Option<Vec<String>>,
    /// yardstick extension: the name of the group record (default: `metric`).
    pub name: Option<String>,
}

impl AggregateMetric {
    /// The name of the group's record.
    pub fn record_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.metric)
    }
}

/// A group config, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupConfig {
    pub group: String,
    pub group_alias: Option<String>,
    /// Member names: tasks, groups or tags (a tag stands for every task with that tag).
    pub task: Vec<String>,
    pub aggregate_metric_list: Vec<AggregateMetric>,
    pub metadata: Option<Value>,
    /// Keys lm-eval groups do not define; kept, and logged as a warning.
    pub unknown: BTreeMap<String, Value>,
}

impl GroupConfig {
    pub(crate) fn from_map(
        map: Map<String, Value>,
        origin: &Origin,
    ) -> Result<GroupConfig, TaskError> {
        let mut keys = Keys {
            origin,
            map,
            label: None,
        };
        let group = keys.required_string("group")?;
        keys.label = Some(format!("group {group}"));
        let task = match keys.take("task") {
            Some(Value::String(one)) => vec![one],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(name) => Ok(name),
                    Value::Object(_) => Err(keys.error("task", "inline task configs in a group are not supported yet; name a task file instead")),
                    other => Err(keys.error("task", format!("expected task or group names, got {other}"))),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(keys.error("task", "a group needs a list of task, group or tag names")),
        };
        let aggregate_metric_list = match keys.take("aggregate_metric_list") {
            None => Vec::new(),
            Some(Value::Array(entries)) => entries
                .into_iter()
                .map(|entry| aggregate_metric(entry, &keys))
                .collect::<Result<_, _>>()?,
            // lm-eval accepts a single mapping too.
            Some(entry @ Value::Object(_)) => vec![aggregate_metric(entry, &keys)?],
            Some(other) => {
                return Err(keys.error(
                    "aggregate_metric_list",
                    format!("expected a list, got {other}"),
                ))
            }
        };
        let config = GroupConfig {
            group_alias: keys.string("group_alias")?,
            metadata: keys.take("metadata"),
            group,
            task,
            aggregate_metric_list,
            unknown: BTreeMap::new(),
        };
        let mut config = config;
        for (key, value) in std::mem::take(&mut keys.map) {
            tracing::warn!(group = %config.group, origin = %origin, key = %key, "unknown group config key (kept, not used)");
            config.unknown.insert(key, value);
        }
        Ok(config)
    }
}

fn aggregate_metric(entry: Value, keys: &Keys<'_>) -> Result<AggregateMetric, TaskError> {
    let key = "aggregate_metric_list";
    let Value::Object(map) = entry else {
        return Err(keys.error(
            key,
            format!("expected a mapping with a `metric` key, got {entry}"),
        ));
    };
    let mut entry = Keys {
        origin: keys.origin,
        map,
        label: keys.label.clone(),
    };
    let metric = entry
        .string("metric")?
        .ok_or_else(|| keys.error(key, "an entry has no `metric`"))?;
    let aggregation = entry
        .string("aggregation")?
        .unwrap_or_else(|| "mean".into());
    if aggregation != "mean" {
        return Err(keys.error(
            key,
            format!("aggregation `{aggregation}`: only `mean` is defined for groups"),
        ));
    }
    let filter_list = match entry.take("filter_list") {
        None => None,
        Some(Value::String(one)) => Some(vec![one]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Some(other) => {
            return Err(keys.error(key, format!("filter_list: expected names, got {other}")))
        }
    };
    Ok(AggregateMetric {
        weight_by_size: entry.boolean("weight_by_size")?.unwrap_or(true),
        name: entry.string("name")?,
        metric,
        aggregation,
        filter_list,
    })
}

/// A group as resolved for a run: its direct members and every leaf task under it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDefinition {
    pub config: GroupConfig,
    pub origin: Origin,
    /// Direct members after tag expansion: task and group names, in config order.
    pub children: Vec<String>,
    /// Every leaf task under the group, in order, without repeats.
    pub leaves: Vec<String>,
}

impl GroupDefinition {
    pub fn name(&self) -> &str {
        &self.config.group
    }

    /// The group's records, from each leaf task's records (by task name). Leaves without a
    /// record for a metric are left out of it (lm-eval warns and does the same); a metric no
    /// leaf has gives no record.
    pub fn aggregate(
        &self,
        leaf_records: &BTreeMap<String, Vec<MetricRecord>>,
    ) -> Vec<MetricRecord> {
        let mut records = Vec::new();
        for aggregate in &self.config.aggregate_metric_list {
            let found: Vec<&MetricRecord> = self
                .leaves
                .iter()
                .filter_map(|leaf| {
                    leaf_records
                        .get(leaf)?
                        .iter()
                        .find(|record| record.name == aggregate.metric)
                })
                .collect();
            if found.len() < self.leaves.len() {
                tracing::warn!(group = %self.name(), metric = %aggregate.metric, missing = self.leaves.len() - found.len(), "some leaf tasks have no record for this metric");
            }
            if let Some(record) = aggregate_records(aggregate, &found) {
                records.push(record);
            }
        }
        records
    }
}

fn aggregate_records(aggregate: &AggregateMetric, found: &[&MetricRecord]) -> Option<MetricRecord> {
    let values: Vec<f64> = found.iter().map(|record| record.value).collect();
    let sizes: Vec<u64> = found.iter().map(|record| record.n.unwrap_or(0)).collect();
    let stderrs: Option<Vec<f64>> = found.iter().map(|record| record.stderr).collect();
    let (value, stderr) = if aggregate.weight_by_size {
        let value = weighted_mean(&values, &sizes)?;
        (
            value,
            stderrs.and_then(|stderrs| pooled_sample_stderr(&stderrs, &sizes)),
        )
    } else {
        let count = values.len() as f64;
        let value = weighted_mean(&values, &vec![1; values.len()])?;
        let stderr = stderrs.map(|stderrs| {
            stderrs
                .iter()
                .map(|stderr| stderr * stderr)
                .sum::<f64>()
                .sqrt()
                / count
        });
        (value, stderr)
    };
    let unit = found.first().map_or(Unit::Ratio, |record| record.unit);
    let mut record =
        MetricRecord::new(aggregate.record_name(), value, unit).with_n(sizes.iter().sum());
    record.stderr = stderr;
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(entries: Vec<AggregateMetric>, leaves: &[&str]) -> GroupDefinition {
        GroupDefinition {
            config: GroupConfig {
                group: "g".into(),
                group_alias: None,
                task: leaves.iter().map(|leaf| leaf.to_string()).collect(),
                aggregate_metric_list: entries,
                metadata: None,
                unknown: BTreeMap::new(),
            },
            origin: Origin::Builtin("g.yaml".into()),
            children: leaves.iter().map(|leaf| leaf.to_string()).collect(),
            leaves: leaves.iter().map(|leaf| leaf.to_string()).collect(),
        }
    }

    fn entry(weight_by_size: bool, name: Option<&str>) -> AggregateMetric {
        AggregateMetric {
            metric: "acc".into(),
            aggregation: "mean".into(),
            weight_by_size,
            filter_list: None,
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn weighted_and_macro_means_by_hand() {
        let leaves = BTreeMap::from([
            (
                "a".to_string(),
                vec![MetricRecord::new("acc", 0.5, Unit::Ratio)
                    .with_n(2)
                    .with_stderr(0.1)],
            ),
            (
                "b".to_string(),
                vec![MetricRecord::new("acc", 0.25, Unit::Ratio)
                    .with_n(4)
                    .with_stderr(0.2)],
            ),
        ]);
        let records = group(
            vec![entry(true, None), entry(false, Some("acc_macro"))],
            &["a", "b"],
        )
        .aggregate(&leaves);
        assert_eq!(records.len(), 2);
        // weighted: (0.5 * 2 + 0.25 * 4) / 6 = 1/3; pooled stderr:
        // ((2-1) * 0.01 * 2 + (4-1) * 0.04 * 4) / (6 - 2) = 0.125, sqrt(0.125 / 6).
        assert_eq!(records[0].name, "acc");
        assert!((records[0].value - 1.0 / 3.0).abs() < 1e-12);
        assert!((records[0].stderr.unwrap_or(f64::NAN) - (0.125f64 / 6.0).sqrt()).abs() < 1e-12);
        assert_eq!(records[0].n, Some(6));
        // macro: (0.5 + 0.25) / 2; stderr sqrt(0.01 + 0.04) / 2.
        assert_eq!(records[1].name, "acc_macro");
        assert!((records[1].value - 0.375).abs() < 1e-12);
        assert!((records[1].stderr.unwrap_or(f64::NAN) - 0.05f64.sqrt() / 2.0).abs() < 1e-12);
    }

    #[test]
    fn leaves_without_the_metric_are_left_out() {
        let leaves = BTreeMap::from([(
            "a".to_string(),
            vec![MetricRecord::new("acc", 0.5, Unit::Ratio).with_n(10)],
        )]);
        let records = group(vec![entry(true, None)], &["a", "b"]).aggregate(&leaves);
        assert_eq!(
            records,
            vec![MetricRecord::new("acc", 0.5, Unit::Ratio).with_n(10)]
        );
        let none = group(vec![entry(true, None)], &["b"]).aggregate(&leaves);
        assert!(none.is_empty());
    }
}
