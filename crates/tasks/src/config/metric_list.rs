//! The entries of a task's `metric_list` as written: which metric, how its per-item values
//! are summarised, and its keyword arguments. What a metric computes is decided when a task's
//! scoring plan is resolved ([`crate::metrics::TaskMetric::resolve`]).

use super::keys::Keys;
use crate::error::TaskError;
use crate::loader::function_name;
use serde_json::{Map, Value};
use std::str::FromStr;

/// How per-item values are summarised over a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aggregation {
    Mean,
    Median,
    Perplexity,
    WeightedPerplexity,
    BitsPerByte,
    /// Corpus BLEU over all items (sacrebleu's `corpus_bleu`).
    Bleu,
    /// F1 over all items' (gold, prediction) pairs (scikit-learn's `f1_score`).
    F1,
    /// Matthews correlation over all items' (gold, prediction) pairs.
    MatthewsCorrcoef,
    /// `aggregation: !function module.name`.
    Function(String),
}

impl Aggregation {
    const NAMED: [(&'static str, Aggregation); 8] = [
        ("mean", Aggregation::Mean),
        ("median", Aggregation::Median),
        ("perplexity", Aggregation::Perplexity),
        ("weighted_perplexity", Aggregation::WeightedPerplexity),
        ("bits_per_byte", Aggregation::BitsPerByte),
        ("bleu", Aggregation::Bleu),
        ("f1", Aggregation::F1),
        ("matthews_corrcoef", Aggregation::MatthewsCorrcoef),
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
    /// The `metric_list` of a task config, `None` when it has none.
    pub(super) fn list_from_keys(
        keys: &mut Keys<'_>,
    ) -> Result<Option<Vec<MetricConfig>>, TaskError> {
        match keys.take("metric_list") {
            None => Ok(None),
            Some(Value::Array(entries)) => entries
                .into_iter()
                .map(|entry| MetricConfig::from_value(entry, keys))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(keys.error("metric_list", format!("expected a list, got {other}"))),
        }
    }

    fn from_value(value: Value, keys: &Keys<'_>) -> Result<MetricConfig, TaskError> {
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
