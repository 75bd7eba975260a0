//! Metrics: the `metric_list` entries of a task config and the per-item scoring of
//! multiple-choice items, exactly as lm-eval's `ConfigurableTask.process_results` does it.
//!
//! `acc` is right when the most likely choice (first on ties) is the gold one. `acc_norm`
//! divides each loglikelihood by the choice's length in *characters* (Python's `len(choice)`
//! of the choice string, without the target delimiter), which is what lm-eval computes even
//! though it is often described as byte normalisation; `acc_bytes` divides by the UTF-8
//! byte length instead. `exact_match` is whether the gold continuation is the greedy one.

use crate::config::Keys;
use crate::error::TaskError;
use crate::loader::function_name;
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use yardstick_core::stats::{self, argmax};
use yardstick_core::{ItemResult, MetricRecord, Unit};

/// How per-item values are summarised over a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aggregation {
    Mean,
    Median,
    Perplexity,
    WeightedPerplexity,
    BitsPerByte,
    /// `aggregation: !function module.name`.
    Function(String),
}

impl Aggregation {
    const NAMED: [(&'static str, Aggregation); 5] = [
        ("mean", Aggregation::Mean),
        ("median", Aggregation::Median),
        ("perplexity", Aggregation::Perplexity),
        ("weighted_perplexity", Aggregation::WeightedPerplexity),
        ("bits_per_byte", Aggregation::BitsPerByte),
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Aggregation::Function(name) => name,
            named => Self::NAMED
                .iter()
                .find(|(_, candidate)| candidate == named)
                .map(|(name, _)| *name)
                .unwrap_or("mean"),
        }
    }
}

impl FromStr for Aggregation {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::NAMED
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, aggregation)| aggregation.clone())
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::NAMED.iter().map(|(name, _)| *name).collect();
                format!(
                    "unknown aggregation `{text}`; valid values: {}",
                    valid.join(", ")
                )
            })
    }
}

/// One `metric_list` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricConfig {
    /// The metric's name (or, for `metric: !function m.f`, the function's name).
    pub metric: String,
    pub is_function: bool,
    /// `None`: the metric's default (mean for every multiple-choice metric).
    pub aggregation: Option<Aggregation>,
    /// `None`: the metric's default (true for every multiple-choice metric).
    pub higher_is_better: Option<bool>,
    /// Further keys (metric keyword arguments in lm-eval).
    pub kwargs: Map<String, Value>,
}

impl MetricConfig {
    pub(crate) fn from_value(value: Value, keys: &Keys<'_>) -> Result<MetricConfig, TaskError> {
        let Value::Object(mut entry) = value else {
            return Err(keys.error(
                "metric_list",
                format!("expected a mapping with a `metric` key, got {value}"),
            ));
        };
        let (metric, is_function) = match entry.remove("metric") {
            Some(Value::String(name)) => (name, false),
            Some(other) => match function_name(&other) {
                Some(name) => (name.to_string(), true),
                None => {
                    return Err(keys.error(
                        "metric_list.metric",
                        format!("expected a metric name, got {other}"),
                    ))
                }
            },
            None => return Err(keys.error("metric_list", "an entry has no `metric` key")),
        };
        let aggregation = match entry.remove("aggregation") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(
                name.parse()
                    .map_err(|message: String| keys.error("metric_list.aggregation", message))?,
            ),
            Some(other) => match function_name(&other) {
                Some(name) => Some(Aggregation::Function(name.to_string())),
                None => {
                    return Err(keys.error(
                        "metric_list.aggregation",
                        format!("expected an aggregation name, got {other}"),
                    ))
                }
            },
        };
        let higher_is_better = match entry.remove("higher_is_better") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(flag),
            Some(other) => {
                return Err(keys.error(
                    "metric_list.higher_is_better",
                    format!("expected true or false, got {other}"),
                ))
            }
        };
        Ok(MetricConfig {
            metric,
            is_function,
            aggregation,
            higher_is_better,
            kwargs: entry,
        })
    }
}

/// The per-item metrics of a multiple-choice task that yardstick computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MultipleChoiceMetric {
    /// argmax of the loglikelihoods is the gold choice.
    Acc,
    /// argmax of loglikelihood / character count of the choice is the gold choice.
    AccNorm,
    /// argmax of loglikelihood / UTF-8 byte count of the choice is the gold choice.
    AccBytes,
    /// the gold choice's continuation is the greedy one.
    ExactMatch,
}

impl MultipleChoiceMetric {
    pub const ALL: [MultipleChoiceMetric; 4] = [
        MultipleChoiceMetric::Acc,
        MultipleChoiceMetric::AccNorm,
        MultipleChoiceMetric::AccBytes,
        MultipleChoiceMetric::ExactMatch,
    ];

    /// lm-eval multiple-choice metrics yardstick does not compute yet.
    pub const NOT_YET: [&'static str; 6] = [
        "acc_mutual_info",
        "f1",
        "mcc",
        "brier_score",
        "likelihood",
        "bypass",
    ];

    /// lm-eval's default metrics when a multiple-choice task has no `metric_list`.
    pub const DEFAULT: [MultipleChoiceMetric; 2] =
        [MultipleChoiceMetric::Acc, MultipleChoiceMetric::AccNorm];

    pub fn as_str(self) -> &'static str {
        match self {
            MultipleChoiceMetric::Acc => "acc",
            MultipleChoiceMetric::AccNorm => "acc_norm",
            MultipleChoiceMetric::AccBytes => "acc_bytes",
            MultipleChoiceMetric::ExactMatch => "exact_match",
        }
    }
}

impl fmt::Display for MultipleChoiceMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MultipleChoiceMetric {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|metric| metric.as_str() == text)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|metric| metric.as_str()).collect();
                format!(
                    "unknown multiple-choice metric `{text}`; valid metrics: {}",
                    valid.join(", ")
                )
            })
    }
}

/// A metric a task reports, with how it is aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMetric {
    pub metric: MultipleChoiceMetric,
    pub aggregation: Aggregation,
    pub higher_is_better: bool,
}

/// The outcome of one multiple-choice item.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipleChoiceOutcome {
    /// argmax of the loglikelihoods (first on ties).
    pub prediction: usize,
    /// argmax of loglikelihood / character count.
    pub prediction_norm: usize,
    /// argmax of loglikelihood / UTF-8 byte count.
    pub prediction_bytes: usize,
    /// The requested metrics, in the order asked for: 1.0 (right) or 0.0.
    pub values: Vec<(MultipleChoiceMetric, f64)>,
}

/// Scores one multiple-choice item as lm-eval's `process_results` does. `loglikelihoods` and
/// `is_greedy` are per choice, in choice order; `choices` are the choice strings without the
/// target delimiter. Errors (as text) on mismatched lengths, no choices, a gold index out of
/// range, or loglikelihoods that are all NaN.
pub fn score_multiple_choice(
    metrics: &[MultipleChoiceMetric],
    loglikelihoods: &[f64],
    is_greedy: &[bool],
    choices: &[String],
    gold: usize,
) -> Result<MultipleChoiceOutcome, String> {
    if choices.is_empty() {
        return Err("the item has no choices".into());
    }
    if loglikelihoods.len() != choices.len() || is_greedy.len() != choices.len() {
        return Err(format!(
            "{} choices but {} loglikelihoods and {} greedy flags",
            choices.len(),
            loglikelihoods.len(),
            is_greedy.len()
        ));
    }
    if gold >= choices.len() {
        return Err(format!(
            "gold index {gold} is out of range for {} choices",
            choices.len()
        ));
    }
    let normalised = |length: fn(&str) -> usize| -> Vec<f64> {
        loglikelihoods
            .iter()
            .zip(choices)
            .map(|(loglikelihood, choice)| loglikelihood / length(choice) as f64)
            .collect()
    };
    let no_winner = || "every loglikelihood is NaN".to_string();
    let prediction = argmax(loglikelihoods).ok_or_else(no_winner)?;
    let prediction_norm =
        argmax(&normalised(|choice| choice.chars().count())).ok_or_else(no_winner)?;
    let prediction_bytes = argmax(&normalised(str::len)).ok_or_else(no_winner)?;
    let hit = |predicted: usize| if predicted == gold { 1.0 } else { 0.0 };
    let values = metrics
        .iter()
        .map(|metric| {
            let value = match metric {
                MultipleChoiceMetric::Acc => hit(prediction),
                MultipleChoiceMetric::AccNorm => hit(prediction_norm),
                MultipleChoiceMetric::AccBytes => hit(prediction_bytes),
                MultipleChoiceMetric::ExactMatch => {
                    if is_greedy[gold] {
                        1.0
                    } else {
                        0.0
                    }
                }
            };
            (*metric, value)
        })
        .collect();
    Ok(MultipleChoiceOutcome {
        prediction,
        prediction_norm,
        prediction_bytes,
        values,
    })
}

/// A task's records from its items' results: for each metric, the mean (or median) over the
/// items, with lm-eval's standard error of the mean (none for a median or a single item) and
/// the item count. Errors (as text) when there are no items or an item lacks a metric.
pub fn aggregate_items(
    task_metrics: &[TaskMetric],
    results: &[ItemResult],
) -> Result<Vec<MetricRecord>, String> {
    if results.is_empty() {
        return Err("no scored items to aggregate".into());
    }
    task_metrics
        .iter()
        .map(|task_metric| {
            let name = task_metric.metric.as_str();
            let values: Vec<f64> = results
                .iter()
                .map(|result| {
                    result
                        .metric(name)
                        .ok_or_else(|| format!("item {} has no `{name}` value", result.item_index))
                })
                .collect::<Result<_, _>>()?;
            let (value, stderr) = match task_metric.aggregation {
                Aggregation::Median => (stats::median(&values), None),
                _ => (stats::mean(&values), stats::mean_stderr(&values)),
            };
            let mut record = MetricRecord::new(name, value.unwrap_or(f64::NAN), Unit::Ratio)
                .with_n(values.len() as u64);
            record.stderr = stderr;
            Ok(record)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| text.to_string()).collect()
    }

    const ALL: [MultipleChoiceMetric; 4] = MultipleChoiceMetric::ALL;

    #[test]
    fn ties_go_to_the_first_choice() {
        let outcome = score_multiple_choice(
            &ALL,
            &[-1.0, -1.0],
            &[false, true],
            &choices(&["a", "b"]),
            1,
        );
        let outcome = outcome.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(outcome.prediction, 0);
        assert_eq!(
            outcome.values,
            vec![
                (MultipleChoiceMetric::Acc, 0.0),
                (MultipleChoiceMetric::AccNorm, 0.0),
                (MultipleChoiceMetric::AccBytes, 0.0),
                (MultipleChoiceMetric::ExactMatch, 1.0),
            ]
        );
    }

    #[test]
    fn acc_norm_divides_by_characters_and_can_flip_the_prediction() {
        // "no": -2.0 / 2 = -1.0; "not at all": -4.0 / 10 = -0.4 -> norm picks choice 1.
        let outcome = score_multiple_choice(
            &ALL,
            &[-2.0, -4.0],
            &[false, false],
            &choices(&["no", "not at all"]),
            1,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (
                outcome.prediction,
                outcome.prediction_norm,
                outcome.prediction_bytes
            ),
            (0, 1, 1)
        );
        assert_eq!(outcome.values[0], (MultipleChoiceMetric::Acc, 0.0));
        assert_eq!(outcome.values[1], (MultipleChoiceMetric::AccNorm, 1.0));
    }

    #[test]
    fn characters_and_bytes_differ_for_non_ascii() {
        // "日本": 2 characters, 6 bytes; "abcd": 4 and 4.
        // chars: -3/2 = -1.5 vs -5/4 = -1.25 -> 1; bytes: -3/6 = -0.5 vs -1.25 -> 0.
        let outcome = score_multiple_choice(
            &ALL,
            &[-3.0, -5.0],
            &[false, false],
            &choices(&["日本", "abcd"]),
            1,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (
                outcome.prediction,
                outcome.prediction_norm,
                outcome.prediction_bytes
            ),
            (0, 1, 0)
        );
        assert_eq!(outcome.values[1], (MultipleChoiceMetric::AccNorm, 1.0));
        assert_eq!(outcome.values[2], (MultipleChoiceMetric::AccBytes, 0.0));
    }

    #[test]
    fn only_requested_metrics_and_clear_errors() {
        let outcome = score_multiple_choice(
            &[MultipleChoiceMetric::Acc],
            &[-1.0, -0.5],
            &[false, true],
            &choices(&["a", "b"]),
            1,
        );
        assert_eq!(
            outcome.map(|outcome| outcome.values),
            Ok(vec![(MultipleChoiceMetric::Acc, 1.0)])
        );
        let error = score_multiple_choice(&ALL, &[-1.0], &[false], &choices(&["a", "b"]), 0);
        assert_eq!(
            error.err().as_deref(),
            Some("2 choices but 1 loglikelihoods and 1 greedy flags")
        );
        let error =
            score_multiple_choice(&ALL, &[-1.0, -2.0], &[false; 2], &choices(&["a", "b"]), 2);
        assert_eq!(
            error.err().as_deref(),
            Some("gold index 2 is out of range for 2 choices")
        );
    }

    #[test]
    fn task_aggregate_is_mean_with_sample_stderr() {
        let result = |index: u64, acc: f64| ItemResult {
            item_index: index,
            item_id: None,
            choice_loglikelihoods: vec![],
            choice_is_greedy: vec![],
            gold: 0,
            prediction: 0,
            prediction_norm: 0,
            metrics: vec![("acc".into(), acc)],
        };
        let results = [
            result(0, 1.0),
            result(1, 0.0),
            result(2, 1.0),
            result(3, 1.0),
        ];
        let metric = TaskMetric {
            metric: MultipleChoiceMetric::Acc,
            aggregation: Aggregation::Mean,
            higher_is_better: true,
        };
        let records = aggregate_items(std::slice::from_ref(&metric), &results).unwrap_or_default();
        // mean 0.75; sample variance (3 * 0.0625 + 0.5625) / 3 = 0.25; stderr 0.5 / sqrt(4).
        assert_eq!(
            records,
            vec![MetricRecord::new("acc", 0.75, Unit::Ratio)
                .with_n(4)
                .with_stderr(0.25)]
        );
        let missing = TaskMetric {
            metric: MultipleChoiceMetric::AccNorm,
            ..metric
        };
        assert_eq!(
            aggregate_items(&[missing], &results).err().as_deref(),
            Some("item 0 has no `acc_norm` value")
        );
    }
}
