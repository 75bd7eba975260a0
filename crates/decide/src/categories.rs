//! Category scores (reasoning, knowledge, coding, safety, instruction following): documented
//! weighted means of task scores, with standard errors and 95% intervals.
//!
//! A category's score is `Σ wᵢ sᵢ / Σ wᵢ` over its tasks present in the results; tasks are
//! independent samples, so its standard error is `√(Σ wᵢ² seᵢ²) / Σ wᵢ` and its interval the
//! normal one, `score ± 1.96 se`. Missing tasks are listed and the weights renormalised over
//! the present ones (the category is then `partial`); a category with no task present is not
//! available rather than 0. The definitions are data (`data/categories.yaml`, or a user's
//! file in the same format).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bootstrap::{Estimate, Interval};
use crate::paired::TaskComparison;
use crate::DecideError;

const BUILTIN: &str = include_str!("../data/categories.yaml");

/// z for a two-sided 95% normal interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// One task of a category and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedTask {
    pub task: String,
    pub weight: f64,
}

/// Category name → its weighted tasks, in name order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Categories(pub BTreeMap<String, Vec<WeightedTask>>);

impl Categories {
    /// The built-in definitions (`data/categories.yaml`).
    pub fn builtin() -> Result<Categories, DecideError> {
        Categories::from_yaml(BUILTIN, "the built-in categories")
    }

    /// The categories that count `task` (or a group `task` belongs to, given as `groups`),
    /// in name order.
    pub fn of_task(&self, task: &str, groups: &[String]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(_, tasks)| {
                tasks
                    .iter()
                    .any(|weighted| weighted.task == task || groups.contains(&weighted.task))
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Parses and checks definitions: every weight positive and finite, no task twice in
    /// a category, no empty category.
    pub fn from_yaml(text: &str, source_name: &str) -> Result<Categories, DecideError> {
        let categories: Categories =
            serde_yaml_ng::from_str(text).map_err(|error| DecideError::Document {
                source_name: source_name.to_string(),
                reason: error.to_string(),
            })?;
        for (name, tasks) in &categories.0 {
            let invalid = |reason: String| DecideError::Document {
                source_name: source_name.to_string(),
                reason: format!("category `{name}`: {reason}"),
            };
            if tasks.is_empty() {
                return Err(invalid("has no tasks".to_string()));
            }
            for (index, entry) in tasks.iter().enumerate() {
                if !(entry.weight.is_finite() && entry.weight > 0.0) {
                    return Err(invalid(format!(
                        "task `{}` has weight {}; weights must be positive",
                        entry.task, entry.weight
                    )));
                }
                if tasks[..index]
                    .iter()
                    .any(|earlier| earlier.task == entry.task)
                {
                    return Err(invalid(format!("task `{}` is listed twice", entry.task)));
                }
            }
        }
        Ok(categories)
    }
}

/// A task's score and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TaskScore {
    pub value: f64,
    pub stderr: f64,
}

/// One category's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    pub category: String,
    /// `None` when none of its tasks is in the results.
    pub score: Option<f64>,
    pub stderr: Option<f64>,
    pub interval: Option<Interval>,
    pub tasks_used: Vec<String>,
    pub tasks_missing: Vec<String>,
    /// Some of its tasks are missing (weights renormalised over the others).
    pub partial: bool,
}

/// Scores every category from `scores` (task name → score).
pub fn category_scores(
    categories: &Categories,
    scores: &BTreeMap<String, TaskScore>,
) -> Vec<CategoryScore> {
    categories
        .0
        .iter()
        .map(|(category, tasks)| {
            let (present, missing): (Vec<&WeightedTask>, Vec<&WeightedTask>) = tasks
                .iter()
                .partition(|entry| scores.contains_key(&entry.task));
            let total_weight: f64 = present.iter().map(|entry| entry.weight).sum();
            let (score, stderr) = if present.is_empty() {
                (None, None)
            } else {
                let mut weighted = 0.0;
                let mut variance = 0.0;
                for entry in &present {
                    if let Some(task) = scores.get(&entry.task) {
                        weighted += entry.weight * task.value;
                        variance += (entry.weight * task.stderr).powi(2);
                    }
                }
                (
                    Some(weighted / total_weight),
                    Some(variance.sqrt() / total_weight),
                )
            };
            CategoryScore {
                category: category.clone(),
                score,
                stderr,
                interval: score.zip(stderr).map(|(score, stderr)| Interval {
                    low: score - Z_95 * stderr,
                    high: score + Z_95 * stderr,
                    level: 0.95,
                }),
                tasks_used: present.iter().map(|entry| entry.task.clone()).collect(),
                tasks_missing: missing.iter().map(|entry| entry.task.clone()).collect(),
                partial: !present.is_empty() && !missing.is_empty(),
            }
        })
        .collect()
}

/// One category compared between two sides, over the tasks compared on both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryComparison {
    pub category: String,
    /// The weighted mean of the tasks' baseline means.
    pub baseline: f64,
    pub candidate: f64,
    /// `candidate − baseline`: the weighted mean of the tasks' paired differences, with a
    /// normal 95% interval from their standard errors (tasks are independent samples).
    pub difference: Estimate,
    pub tasks_used: Vec<String>,
    /// Tasks of the category not compared (absent on a side, or refused).
    pub tasks_missing: Vec<String>,
}

/// Every category with at least one task among `rows` (a comparison's family rows: top-level
/// tasks and groups; subtask rows are skipped), compared as [`CategoryComparison`] says.
/// Descriptive: the tests and their multiplicity correction are the task rows'.
pub fn compare_categories(
    categories: &Categories,
    rows: &[TaskComparison],
) -> Vec<CategoryComparison> {
    let family: Vec<&TaskComparison> = rows.iter().filter(|row| row.group.is_none()).collect();
    categories
        .0
        .iter()
        .filter_map(|(category, tasks)| {
            let mut used = Vec::new();
            let mut missing = Vec::new();
            let (mut weights, mut baseline, mut candidate, mut difference, mut variance) =
                (0.0, 0.0, 0.0, 0.0, 0.0);
            for entry in tasks {
                let Some(row) = family.iter().find(|row| row.task == entry.task) else {
                    missing.push(entry.task.clone());
                    continue;
                };
                weights += entry.weight;
                baseline += entry.weight * row.baseline_mean;
                candidate += entry.weight * row.candidate_mean;
                difference += entry.weight * row.difference.value;
                variance += (entry.weight * row.difference.stderr).powi(2);
                used.push(entry.task.clone());
            }
            if used.is_empty() {
                return None;
            }
            let stderr = variance.sqrt() / weights;
            let value = difference / weights;
            Some(CategoryComparison {
                category: category.clone(),
                baseline: baseline / weights,
                candidate: candidate / weights,
                difference: Estimate {
                    value,
                    interval: Interval {
                        low: value - Z_95 * stderr,
                        high: value + Z_95 * stderr,
                        level: 0.95,
                    },
                    stderr,
                },
                tasks_used: used,
                tasks_missing: missing,
            })
        })
        .collect()
}

/// Each category's score from a deployment's task records (main metric and its standard
/// error, by task), for the categories with at least one task present.
pub fn scores_of(
    categories: &Categories,
    records: &BTreeMap<String, yardstick_core::MetricRecord>,
) -> Vec<CategoryScore> {
    let scores: BTreeMap<String, TaskScore> = records
        .iter()
        .map(|(task, record)| {
            (
                task.clone(),
                TaskScore {
                    value: record.value,
                    stderr: record.stderr.unwrap_or(0.0),
                },
            )
        })
        .collect();
    category_scores(categories, &scores)
        .into_iter()
        .filter(|score| score.score.is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(value: f64, stderr: f64) -> TaskScore {
        TaskScore { value, stderr }
    }

    #[test]
    fn the_builtin_categories_parse_and_name_the_six_categories() {
        let categories = Categories::builtin().expect("built-in");
        let names: Vec<&str> = categories.0.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "coding",
                "creativity",
                "instruction_following",
                "knowledge",
                "reasoning",
                "safety"
            ]
        );
    }

    #[test]
    fn weighted_means_and_stderrs_match_hand_computation() {
        let categories = Categories::from_yaml(
            "reasoning:\n  - { task: a, weight: 1 }\n  - { task: b, weight: 3 }\n  - { task: c, weight: 1 }\ncoding:\n  - { task: d, weight: 1 }\n",
            "test",
        )
        .expect("categories");
        let scores = BTreeMap::from([
            ("a".to_string(), score(0.4, 0.02)),
            ("b".to_string(), score(0.8, 0.01)),
        ]);
        let results = category_scores(&categories, &scores);
        // coding: no task present → not available, not 0.
        assert_eq!(results[0].category, "coding");
        assert_eq!(results[0].score, None);
        assert!(!results[0].partial);
        // reasoning: (1·0.4 + 3·0.8) / 4 = 0.7; se = √(0.02² + 0.03²) / 4 = 0.0090139.
        let reasoning = &results[1];
        assert!((reasoning.score.expect("score") - 0.7).abs() < 1e-12);
        let stderr = (0.02f64.powi(2) + 0.03f64.powi(2)).sqrt() / 4.0;
        assert!((reasoning.stderr.expect("stderr") - stderr).abs() < 1e-12);
        assert!(reasoning.partial);
        assert_eq!(reasoning.tasks_missing, ["c"]);
        let interval = reasoning.interval.expect("interval");
        assert!((interval.high - (0.7 + Z_95 * stderr)).abs() < 1e-12);
    }

    #[test]
    fn bad_definitions_name_the_category_and_task() {
        let error = Categories::from_yaml("x:\n  - { task: a, weight: 0 }\n", "mine.yaml")
            .expect_err("zero weight");
        assert_eq!(
            error.to_string(),
            "mine.yaml: category `x`: task `a` has weight 0; weights must be positive"
        );
        let error = Categories::from_yaml(
            "x:\n  - { task: a, weight: 1 }\n  - { task: a, weight: 2 }\n",
            "mine.yaml",
        )
        .expect_err("twice");
        assert!(error.to_string().contains("listed twice"));
        assert!(Categories::from_yaml("x:\n  - { task: a, wieght: 1 }\n", "mine.yaml").is_err());
    }
}
