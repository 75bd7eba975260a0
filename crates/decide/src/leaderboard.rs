//! The leaderboard: every model's latest score per task (groups counted once, by their
//! aggregate), its category scores, and its profile speed records; models ranked by their
//! mean over the table's tasks.

use std::collections::BTreeMap;

use serde::Serialize;
use yardstick_evidence::gather::ProfileRecord;
use yardstick_evidence::scores::{is_partial_group, QualityCell};

use crate::categories::{category_scores, Categories, CategoryScore, TaskScore};

/// A model's score in a category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryCell {
    pub model: String,
    #[serde(flatten)]
    pub score: CategoryScore,
}

/// Everything the leaderboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Leaderboard {
    pub quality: Vec<QualityCell>,
    pub categories: Vec<CategoryCell>,
    pub speed: Vec<ProfileRecord>,
}

impl Leaderboard {
    /// The leaderboard of these cells and speed records, with category scores from the
    /// whole tasks and complete groups (a group with missing subtasks is left out);
    /// categories with none of their tasks are left out.
    pub fn new(
        quality: Vec<QualityCell>,
        speed: Vec<ProfileRecord>,
        categories: &Categories,
    ) -> Leaderboard {
        let categories = category_cells(&quality, categories);
        Leaderboard {
            quality,
            categories,
            speed,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.quality.is_empty() && self.speed.is_empty()
    }

    /// The table's task columns, (task, metric), sorted.
    pub fn tasks(&self) -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = Vec::new();
        for cell in &self.quality {
            if !seen.iter().any(|(task, _)| *task == cell.task) {
                seen.push((cell.task.clone(), cell.metric.clone()));
            }
        }
        seen.sort();
        seen
    }

    /// `model`'s cell on `task`.
    pub fn cell(&self, model: &str, task: &str) -> Option<&QualityCell> {
        self.quality
            .iter()
            .find(|cell| cell.model == model && cell.task == task)
    }

    /// `model`'s mean over the table's tasks; `None` unless it has every one of them.
    pub fn mean(&self, model: &str) -> Option<f64> {
        let tasks = self.tasks();
        let values: Vec<f64> = tasks
            .iter()
            .filter_map(|(task, _)| self.cell(model, task))
            .map(|cell| cell.value)
            .collect();
        if values.len() == tasks.len() {
            yardstick_core::stats::mean(&values)
        } else {
            None
        }
    }

    /// Every model with a score or a speed record, best mean first (models without a mean
    /// over every task last), ties in name order.
    pub fn ranked_models(&self) -> Vec<String> {
        let mut models: Vec<String> = self
            .quality
            .iter()
            .map(|cell| cell.model.clone())
            .chain(self.speed.iter().map(|cell| cell.model.clone()))
            .collect();
        models.sort();
        models.dedup();
        let average = |model: &str| -> f64 { self.mean(model).unwrap_or(f64::NEG_INFINITY) };
        models.sort_by(|a, b| average(b).total_cmp(&average(a)));
        models
    }

    /// `model`'s speed record named `name`.
    pub fn speed(&self, model: &str, name: &str) -> Option<&ProfileRecord> {
        self.speed
            .iter()
            .find(|cell| cell.model == model && cell.record.name == name)
    }
}

/// Every model's category scores from the cells.
fn category_cells(cells: &[QualityCell], categories: &Categories) -> Vec<CategoryCell> {
    let mut by_model: BTreeMap<&str, BTreeMap<String, TaskScore>> = BTreeMap::new();
    for cell in cells.iter().filter(|cell| !is_partial_group(&cell.task)) {
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
