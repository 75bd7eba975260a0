//! A task's scoring plan: what is scored and how, resolved once when the task is built —
//! the metrics (`metric_list`, or lm-eval's defaults), the filter pipelines their answers go
//! through (`filter_list`), the compiled `exact_match` options and the `process_results`
//! hook — and the per-item scoring and aggregation that follow it.

use super::item::{ItemKind, TaskItem};
use crate::config::{OutputType, TaskConfig};
use crate::error::TaskError;
use crate::filters::{parse_filter_list, FilterPipeline};
use crate::functions::{self, Outcome, ResultsFunction};
use crate::metrics::{self, AggregateOptions, MetricKind, TaskMetric};
use crate::scoring::ExactMatcher;
use serde_json::Value;
use yardstick_backend::ContinuationScore;
use yardstick_core::{ItemResult, MetricRecord};

/// What is scored for a task and how; see the module documentation.
#[derive(Debug, Clone)]
pub struct ScoringPlan {
    task: String,
    metrics: Vec<TaskMetric>,
    /// One per metric, in the same order: a generative `exact_match` metric's compiled
    /// options, `None` for the others.
    exact_matchers: Vec<Option<ExactMatcher>>,
    /// `generate_until`: the task's pipelines; other output types: lm-eval's `none`.
    filters: Vec<FilterPipeline>,
    results_hook: Option<&'static ResultsFunction>,
}

/// Why a task's scoring plan cannot be resolved: the config key and what is wrong with it.
/// Kept with the task (which is cloned freely) and raised as [`TaskError::Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PlanError {
    pub key: String,
    pub message: String,
}

impl ScoringPlan {
    /// Resolves the plan of a task config: the filter pipelines of a generative task first,
    /// then every `metric_list` entry in order; the first problem is the error.
    pub(super) fn resolve(config: &TaskConfig) -> Result<ScoringPlan, PlanError> {
        let output_type = config.output_type;
        let filters = match (&config.filter_list, output_type) {
            (Some(list), OutputType::GenerateUntil) => {
                parse_filter_list(list).map_err(|error| PlanError {
                    key: "filter_list".into(),
                    message: error.to_string(),
                })?
            }
            _ => vec![FilterPipeline::default_none()],
        };
        let has_hook = config.process_results.is_some();
        let metrics = match &config.metric_list {
            None => metrics::default_metrics(output_type),
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    TaskMetric::resolve(entry, output_type, has_hook).map_err(|message| PlanError {
                        key: format!("metric_list[{index}].metric"),
                        message,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let exact_matchers = metrics
            .iter()
            .enumerate()
            .map(|(index, metric)| {
                metric
                    .exact_matcher(output_type)
                    .map_err(|message| PlanError {
                        key: format!("metric_list[{index}]"),
                        message,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ScoringPlan {
            task: config.task.clone(),
            metrics,
            exact_matchers,
            filters,
            results_hook: config
                .process_results
                .as_deref()
                .and_then(functions::find_results_function),
        })
    }

    /// The metrics each item is scored with, in the task's order.
    pub fn metrics(&self) -> &[TaskMetric] {
        &self.metrics
    }

    /// The filter pipelines a generation goes through (lm-eval's single pipeline `none`,
    /// which takes the first generation, when the task has no `filter_list` or does not
    /// generate).
    pub fn filters(&self) -> &[FilterPipeline] {
        &self.filters
    }

    /// The names metrics are reported under, one per filter pipeline.
    pub fn filter_names(&self) -> Vec<String> {
        self.filters
            .iter()
            .map(|filter| filter.name().to_string())
            .collect()
    }

    fn score_error(&self, item: u64, message: String) -> TaskError {
        TaskError::Score {
            task: self.task.clone(),
            item,
            message,
        }
    }

    /// The values the `process_results` hook reports for an item (none without a hook).
    fn hook_values(
        &self,
        item: &TaskItem,
        outcome: Outcome<'_>,
    ) -> Result<Vec<(String, f64)>, TaskError> {
        let Some(hook) = self.results_hook else {
            return Ok(Vec::new());
        };
        hook.call(&item.doc, outcome)
            .map_err(|message| self.score_error(item.index, message))
    }

    /// Scores a `multiple_choice` or `loglikelihood` item from the backend's scores of its
    /// pairs (in pair order).
    pub(super) fn score(
        &self,
        item: &TaskItem,
        scores: &[ContinuationScore],
    ) -> Result<ItemResult, TaskError> {
        let loglikelihoods: Vec<f64> = scores.iter().map(|score| score.loglikelihood).collect();
        let is_greedy: Vec<bool> = scores.iter().map(|score| score.is_greedy).collect();
        let mut result = match item.kind {
            ItemKind::Loglikelihood => {
                let (Some(loglikelihood), Some(greedy)) =
                    (loglikelihoods.first(), is_greedy.first())
                else {
                    return Err(
                        self.score_error(item.index, "no score for the continuation".into())
                    );
                };
                let values = self
                    .metrics
                    .iter()
                    .filter_map(|metric| match metric.kind {
                        MetricKind::Perplexity => Some((metric.name.clone(), *loglikelihood)),
                        MetricKind::Acc => {
                            Some((metric.name.clone(), if *greedy { 1.0 } else { 0.0 }))
                        }
                        _ => None,
                    })
                    .collect();
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy.clone(),
                    metrics: values,
                    references: item.references.clone(),
                    ..Default::default()
                }
            }
            _ => {
                let outcome = metrics::score_choices(
                    &self.metrics,
                    &loglikelihoods,
                    &is_greedy,
                    &item.choices,
                    item.gold,
                )
                .map_err(|message| self.score_error(item.index, message))?;
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy,
                    gold: item.gold,
                    prediction: outcome.prediction,
                    prediction_norm: outcome.prediction_norm,
                    metrics: outcome.values,
                    ..Default::default()
                }
            }
        };
        let reported = self.hook_values(item, Outcome::Loglikelihoods(&loglikelihoods))?;
        merge_reported(&mut result.metrics, reported);
        Ok(result)
    }

    /// Scores a `generate_until` item from its generations (one per repeat): every filter
    /// pipeline extracts an answer, every metric scores it against the references. Metric
    /// names are `metric` for lm-eval's default filter `none`, else `metric,filter`.
    pub(super) fn score_generation(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<ItemResult, TaskError> {
        let mut result = ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            gold: item.gold,
            generations: generations.to_vec(),
            references: item.references.clone(),
            ..Default::default()
        };
        let doc = Value::Object(item.doc.clone());
        for filter in &self.filters {
            let answer = filter
                .apply_with_doc(generations, Some(&doc))
                .map_err(|error| self.score_error(item.index, error.to_string()))?;
            for (metric, matcher) in self.metrics.iter().zip(&self.exact_matchers) {
                let name = metrics::filtered_name(&metric.name, filter.name());
                let value = metrics::score_generation_with(
                    metric,
                    matcher.as_ref(),
                    &answer,
                    &item.references,
                )
                .map_err(|message| self.score_error(item.index, message))?;
                if let Some(value) = value {
                    result.metrics.push((name, value));
                }
            }
            let reported = self.hook_values(item, Outcome::Generation(&answer))?;
            let reported = reported
                .into_iter()
                .map(|(name, value)| (metrics::filtered_name(&name, filter.name()), value))
                .collect();
            merge_reported(&mut result.metrics, reported);
            result.filtered.push((filter.name().to_string(), answer));
        }
        Ok(result)
    }

    /// Scores a `loglikelihood_rolling` item from the loglikelihood of its whole text.
    pub(super) fn score_rolling(
        &self,
        item: &TaskItem,
        loglikelihood: f64,
    ) -> Result<ItemResult, TaskError> {
        let ItemKind::Rolling { text } = &item.kind else {
            return Err(self.score_error(item.index, "not a loglikelihood_rolling item".into()));
        };
        let mut result = ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            choice_loglikelihoods: vec![loglikelihood],
            ..Default::default()
        };
        for metric in &self.metrics {
            if let Some(weight) = metrics::rolling_weight(metric.kind, text) {
                result.metrics.push((metric.name.clone(), loglikelihood));
                result.weights.push((metric.name.clone(), weight));
            }
        }
        Ok(result)
    }

    /// The task's records (one per metric and filter: value, stderr, n) from its items.
    pub(super) fn aggregate(
        &self,
        results: &[ItemResult],
        options: &AggregateOptions,
    ) -> Result<Vec<MetricRecord>, TaskError> {
        metrics::aggregate(&self.metrics, &self.filter_names(), results, options).map_err(
            |message| TaskError::Aggregate {
                task: self.task.clone(),
                message,
            },
        )
    }
}

/// Values a `process_results` hook reported replace the built-in ones of the same name.
fn merge_reported(values: &mut Vec<(String, f64)>, reported: Vec<(String, f64)>) {
    for (name, value) in reported {
        match values.iter_mut().find(|(existing, _)| *existing == name) {
            Some(slot) => slot.1 = value,
            None => values.push((name, value)),
        }
    }
}
