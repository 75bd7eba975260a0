//! Metrics: what each `metric_list` entry of a task config computes ([`TaskMetric`]), the
//! per-item scoring of items, exactly as lm-eval's `ConfigurableTask.process_results` does
//! it, and the aggregation of per-item values over a task. The entries as written are
//! [`crate::config::MetricConfig`] (re-exported here).
//!
//! `acc` is right when the most likely choice (first on ties) is the gold one. `acc_norm`
//! divides each loglikelihood by the choice's length in *characters* (Python's `len(choice)`
//! of the choice string, without the target delimiter), which is what lm-eval computes even
//! though it is often described as byte normalisation; `acc_bytes` divides by the UTF-8
//! byte length instead. `exact_match` is whether the gold continuation is the greedy one.

use crate::config::OutputType;
pub use crate::config::{Aggregation, MetricConfig};
use crate::scoring::{ExactMatchOptions, ExactMatcher, RougeKind};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use yardstick_core::stats::{self, argmax};
use yardstick_core::{ItemResult, MetricRecord, Unit};

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

/// What a metric computes, per output type (lm-eval's metric registry, the part yardstick
/// implements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// multiple_choice: argmax is gold; loglikelihood: the continuation is the greedy one.
    Acc,
    AccNorm,
    AccBytes,
    /// multiple_choice: gold continuation is greedy; generate_until: HF `exact_match`.
    ExactMatch,
    /// multiple_choice: scikit-learn F1 of (gold, prediction) over the task;
    /// generate_until: SQuAD token F1 against the best reference.
    F1,
    /// multiple_choice: Matthews correlation of (gold, prediction) over the task.
    Mcc,
    /// generate_until: corpus BLEU (sacrebleu defaults).
    Bleu,
    /// generate_until: ROUGE F-measure (rouge-score) against the best reference, ×100.
    Rouge1,
    Rouge2,
    RougeL,
    /// loglikelihood: exp(-mean loglikelihood).
    Perplexity,
    /// loglikelihood_rolling, weighted by words / bytes.
    WordPerplexity,
    BytePerplexity,
    BitsPerByte,
    /// Needs code execution (`pass@k`): generations are stored, the metric is not computed.
    NotScored,
    /// Reported by a `process_results` hook; aggregated as configured.
    Reported,
}

/// A metric a task reports, with how it is aggregated.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMetric {
    /// The metric's name as reported (`acc`, `exact_match`, `bleu_max`, ...).
    pub name: String,
    pub kind: MetricKind,
    pub aggregation: Aggregation,
    pub higher_is_better: bool,
    /// Keyword arguments from the `metric_list` entry (`ignore_case`, `regexes_to_ignore`).
    pub kwargs: Map<String, Value>,
}

/// Metric names of code-execution metrics (stored generations, "not scored").
const CODE_EXECUTION: [&str; 4] = ["pass@1", "pass@k", "pass_at_k", "pass_at_1"];

/// Whether a metric needs code execution, which yardstick does not do yet.
pub fn is_not_scored(metric: &TaskMetric) -> bool {
    metric.kind == MetricKind::NotScored
}

impl TaskMetric {
    fn new(name: &str, kind: MetricKind) -> TaskMetric {
        let (aggregation, higher_is_better) = match kind {
            MetricKind::Perplexity => (Aggregation::Perplexity, false),
            MetricKind::WordPerplexity | MetricKind::BytePerplexity => {
                (Aggregation::WeightedPerplexity, false)
            }
            MetricKind::BitsPerByte => (Aggregation::BitsPerByte, false),
            MetricKind::Bleu => (Aggregation::Bleu, true),
            MetricKind::Mcc => (Aggregation::MatthewsCorrcoef, true),
            _ => (Aggregation::Mean, true),
        };
        TaskMetric {
            name: name.to_string(),
            kind,
            aggregation,
            higher_is_better,
            kwargs: Map::new(),
        }
    }

    /// The metric a `metric_list` entry asks for, for a task of `output_type`.
    /// `has_results_hook`: the task's `process_results` hook reports the values.
    pub fn resolve(
        entry: &MetricConfig,
        output_type: OutputType,
        has_results_hook: bool,
    ) -> Result<TaskMetric, String> {
        let name = entry.metric.as_str();
        // `!function utils.pass_at_k` → `pass_at_k`.
        let base = name.rsplit('.').next().unwrap_or(name);
        let kind = if CODE_EXECUTION.contains(&base) {
            MetricKind::NotScored
        } else if entry.is_function {
            return Err(format!(
                "`!function {name}` names a Python function, which yardstick cannot run"
            ));
        } else if has_results_hook {
            MetricKind::Reported
        } else {
            kind_for(name, output_type)?
        };
        let mut metric = TaskMetric::new(name, kind);
        if let Some(aggregation) = &entry.aggregation {
            if let Aggregation::Function(function) = aggregation {
                return Err(format!(
                    "aggregation `!function {function}` names a Python function, which yardstick cannot run"
                ));
            }
            metric.aggregation = aggregation.clone();
        }
        if let Some(higher) = entry.higher_is_better {
            metric.higher_is_better = higher;
        }
        if output_type == OutputType::MultipleChoice && entry.aggregation.is_none() {
            match kind {
                MetricKind::F1 => metric.aggregation = Aggregation::F1,
                MetricKind::Mcc => metric.aggregation = Aggregation::MatthewsCorrcoef,
                _ => {}
            }
        }
        metric.kwargs = entry.kwargs.clone();
        if kind == MetricKind::ExactMatch && output_type == OutputType::GenerateUntil {
            metric.compile_exact_matcher()?;
        }
        Ok(metric)
    }

    /// The compiled options of a generative `exact_match` metric (`ignore_case`,
    /// `regexes_to_ignore`, ...), to score many items with; `None` for other metrics and for
    /// tasks that do not generate.
    pub(crate) fn exact_matcher(
        &self,
        output_type: OutputType,
    ) -> Result<Option<ExactMatcher>, String> {
        if self.kind == MetricKind::ExactMatch && output_type == OutputType::GenerateUntil {
            self.compile_exact_matcher().map(Some)
        } else {
            Ok(None)
        }
    }

    fn compile_exact_matcher(&self) -> Result<ExactMatcher, String> {
        let options =
            ExactMatchOptions::from_kwargs(&self.kwargs).map_err(|error| error.to_string())?;
        ExactMatcher::new(&options).map_err(|error| error.to_string())
    }
}

fn kind_for(name: &str, output_type: OutputType) -> Result<MetricKind, String> {
    let valid: &[(&str, MetricKind)] = match output_type {
        OutputType::MultipleChoice => &[
            ("acc", MetricKind::Acc),
            ("acc_norm", MetricKind::AccNorm),
            ("acc_bytes", MetricKind::AccBytes),
            ("exact_match", MetricKind::ExactMatch),
            ("f1", MetricKind::F1),
            ("mcc", MetricKind::Mcc),
        ],
        OutputType::Loglikelihood => &[
            ("acc", MetricKind::Acc),
            ("perplexity", MetricKind::Perplexity),
        ],
        OutputType::LoglikelihoodRolling => &[
            ("word_perplexity", MetricKind::WordPerplexity),
            ("byte_perplexity", MetricKind::BytePerplexity),
            ("bits_per_byte", MetricKind::BitsPerByte),
        ],
        OutputType::GenerateUntil => &[
            ("exact_match", MetricKind::ExactMatch),
            ("f1", MetricKind::F1),
            ("bleu", MetricKind::Bleu),
            ("rouge1", MetricKind::Rouge1),
            ("rouge2", MetricKind::Rouge2),
            ("rougeL", MetricKind::RougeL),
        ],
    };
    valid
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .map(|(_, kind)| *kind)
        .ok_or_else(|| {
            let names: Vec<&str> = valid.iter().map(|(name, _)| *name).collect();
            format!(
                "unknown metric `{name}` for a {output_type} task; valid metrics: {} (and pass@1 for code tasks, stored as not scored)",
                names.join(", ")
            )
        })
}

/// lm-eval's default metrics of an output type (no `metric_list`).
pub fn default_metrics(output_type: OutputType) -> Vec<TaskMetric> {
    let defaults: &[(&str, MetricKind)] = match output_type {
        OutputType::MultipleChoice => {
            &[("acc", MetricKind::Acc), ("acc_norm", MetricKind::AccNorm)]
        }
        OutputType::Loglikelihood => &[
            ("perplexity", MetricKind::Perplexity),
            ("acc", MetricKind::Acc),
        ],
        OutputType::LoglikelihoodRolling => &[
            ("word_perplexity", MetricKind::WordPerplexity),
            ("byte_perplexity", MetricKind::BytePerplexity),
            ("bits_per_byte", MetricKind::BitsPerByte),
        ],
        OutputType::GenerateUntil => &[("exact_match", MetricKind::ExactMatch)],
    };
    defaults
        .iter()
        .map(|(name, kind)| TaskMetric::new(name, *kind))
        .collect()
}

/// The reported name of a metric under a filter: lm-eval's default filter `none` keeps the
/// plain name; any other filter gives `metric,filter`.
pub fn filtered_name(metric: &str, filter: &str) -> String {
    if filter == crate::filters::FilterPipeline::NONE {
        metric.to_string()
    } else {
        format!("{metric},{filter}")
    }
}

/// A multiple-choice item scored for a task's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceOutcome {
    pub prediction: usize,
    pub prediction_norm: usize,
    /// (metric name, value) for the per-item metrics, in the task's order.
    pub values: Vec<(String, f64)>,
}

/// Scores a multiple-choice item for the task's metrics (corpus-level metrics such as `f1`
/// and `mcc` are computed from the items' gold and prediction when aggregating).
pub fn score_choices(
    task_metrics: &[TaskMetric],
    loglikelihoods: &[f64],
    is_greedy: &[bool],
    choices: &[String],
    gold: usize,
) -> Result<ChoiceOutcome, String> {
    let outcome = score_multiple_choice(
        &MultipleChoiceMetric::ALL,
        loglikelihoods,
        is_greedy,
        choices,
        gold,
    )?;
    let value = |metric: MultipleChoiceMetric| {
        outcome
            .values
            .iter()
            .find(|(candidate, _)| *candidate == metric)
            .map(|(_, value)| *value)
    };
    let values = task_metrics
        .iter()
        .filter_map(|metric| {
            let value = match metric.kind {
                MetricKind::Acc => value(MultipleChoiceMetric::Acc),
                MetricKind::AccNorm => value(MultipleChoiceMetric::AccNorm),
                MetricKind::AccBytes => value(MultipleChoiceMetric::AccBytes),
                MetricKind::ExactMatch => value(MultipleChoiceMetric::ExactMatch),
                _ => None,
            }?;
            Some((metric.name.clone(), value))
        })
        .collect();
    Ok(ChoiceOutcome {
        prediction: outcome.prediction,
        prediction_norm: outcome.prediction_norm,
        values,
    })
}

/// One generative metric for one item: `None` for corpus-level metrics (BLEU) and metrics
/// that are not scored here (code execution) or reported by a hook.
pub fn score_generation(
    metric: &TaskMetric,
    answer: &str,
    references: &[String],
) -> Result<Option<f64>, String> {
    score_generation_with(metric, None, answer, references)
}

/// [`score_generation`] with the metric's `exact_match` options already compiled
/// ([`TaskMetric::exact_matcher`]), as a task's scoring plan holds them; `None`: compiled
/// here from the metric's keyword arguments.
pub(crate) fn score_generation_with(
    metric: &TaskMetric,
    matcher: Option<&ExactMatcher>,
    answer: &str,
    references: &[String],
) -> Result<Option<f64>, String> {
    if references.is_empty() && !matches!(metric.kind, MetricKind::NotScored | MetricKind::Reported)
    {
        return Err("the item has no reference answer".into());
    }
    let best = |score: &dyn Fn(&str) -> f64| {
        references
            .iter()
            .map(|reference| score(reference))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let rouge = |kind: RougeKind| {
        Some(best(&|reference| {
            100.0 * kind.score(reference, answer).fmeasure
        }))
    };
    Ok(match metric.kind {
        MetricKind::ExactMatch => {
            let compiled;
            let matcher = match matcher {
                Some(matcher) => matcher,
                None => {
                    compiled = metric.compile_exact_matcher()?;
                    &compiled
                }
            };
            // lm-eval: one target is compared as is; a list of targets scores 1 when any
            // of them matches.
            let value = match references {
                [one] => matcher.score(answer, one),
                many => matcher.score_any(answer, many),
            };
            Some(value.map_err(|error| error.to_string())?)
        }
        MetricKind::F1 => Some(best(&|reference| {
            crate::scoring::squad_f1(answer, reference)
        })),
        MetricKind::Rouge1 => rouge(RougeKind::N(1)),
        MetricKind::Rouge2 => rouge(RougeKind::N(2)),
        MetricKind::RougeL => rouge(RougeKind::L),
        _ => None,
    })
}

/// The weight of a rolling-loglikelihood metric for one document (lm-eval's `count_words` /
/// `count_bytes`); `None` for other metrics.
pub fn rolling_weight(kind: MetricKind, text: &str) -> Option<f64> {
    match kind {
        MetricKind::WordPerplexity => Some(crate::scoring::count_words(text) as f64),
        MetricKind::BytePerplexity | MetricKind::BitsPerByte => {
            Some(crate::scoring::count_bytes(text) as f64)
        }
        _ => None,
    }
}

/// Settings of aggregation: bootstrap resamples for metrics without a closed-form standard
/// error (lm-eval's `--bootstrap_iters`, default 100000; BLEU is capped at 100 as lm-eval
/// does) and the bootstrap's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateOptions {
    pub bootstrap_iters: u32,
    pub seed: u64,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            bootstrap_iters: 100_000,
            seed: 1234,
        }
    }
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

/// A task's records from its items' results, for every metric under every filter: the
/// aggregate, its standard error (closed form for means, as lm-eval; a seeded bootstrap for
/// median, perplexity, BLEU, F1 and MCC; none for weighted perplexities and bits per byte,
/// as lm-eval) and the item count. Metrics that are not scored (code execution) give no
/// record. Errors (as text) when there are no items or an item lacks a value.
pub fn aggregate(
    task_metrics: &[TaskMetric],
    filters: &[String],
    results: &[ItemResult],
    options: &AggregateOptions,
) -> Result<Vec<MetricRecord>, String> {
    if results.is_empty() {
        return Err("no scored items to aggregate".into());
    }
    let mut records = Vec::new();
    for filter in filters {
        for metric in task_metrics {
            if metric.kind == MetricKind::NotScored {
                continue;
            }
            let name = filtered_name(&metric.name, filter);
            let record = aggregate_one(metric, &name, filter, results, options)?;
            records.push(record);
        }
    }
    Ok(records)
}

fn values_of(name: &str, results: &[ItemResult]) -> Result<Vec<f64>, String> {
    results
        .iter()
        .map(|result| {
            result
                .metric(name)
                .ok_or_else(|| format!("item {} has no `{name}` value", result.item_index))
        })
        .collect()
}

fn weights_of(name: &str, results: &[ItemResult]) -> Result<Vec<f64>, String> {
    results
        .iter()
        .map(|result| {
            result
                .weight(name)
                .ok_or_else(|| format!("item {} has no `{name}` weight", result.item_index))
        })
        .collect()
}

fn aggregate_one(
    metric: &TaskMetric,
    name: &str,
    filter: &str,
    results: &[ItemResult],
    options: &AggregateOptions,
) -> Result<MetricRecord, String> {
    let n = results.len();
    let all: Vec<usize> = (0..n).collect();
    let bootstrap = |iters: u32, statistic: &dyn Fn(&[usize]) -> f64| {
        crate::scoring::bootstrap_stderr(&all, statistic, u64::from(iters), options.seed)
    };
    let (value, stderr, unit) = match (&metric.aggregation, metric.kind) {
        (_, MetricKind::F1 | MetricKind::Mcc)
            if results.iter().all(|result| result.generations.is_empty()) =>
        {
            let pairs: Vec<(i64, i64)> = results
                .iter()
                .map(|result| (result.gold as i64, result.prediction as i64))
                .collect();
            let statistic = |indices: &[usize]| -> Result<f64, String> {
                let chosen: Vec<(i64, i64)> = indices.iter().map(|index| pairs[*index]).collect();
                let value = if metric.kind == MetricKind::F1 {
                    crate::scoring::f1_score(&chosen)
                } else {
                    crate::scoring::matthews_corrcoef(&chosen)
                };
                value.map_err(|error| error.to_string())
            };
            let value = statistic(&all)?;
            let stderr = bootstrap(options.bootstrap_iters, &|indices| {
                statistic(indices).unwrap_or(f64::NAN)
            });
            (value, stderr, Unit::Ratio)
        }
        (_, MetricKind::Bleu) => {
            let answers: Vec<&str> = results
                .iter()
                .map(|result| result.filtered_answer(filter).unwrap_or_default())
                .collect();
            let statistic = |indices: &[usize]| -> Result<f64, String> {
                let predictions: Vec<&str> = indices.iter().map(|index| answers[*index]).collect();
                let references: Vec<&[String]> = indices
                    .iter()
                    .map(|index| results[*index].references.as_slice())
                    .collect();
                crate::scoring::lm_eval_bleu(&references, &predictions)
                    .map_err(|error| error.to_string())
            };
            let value = statistic(&all)?;
            let stderr = bootstrap(options.bootstrap_iters.min(100), &|indices| {
                statistic(indices).unwrap_or(f64::NAN)
            });
            (value, stderr, Unit::Scalar)
        }
        (Aggregation::WeightedPerplexity, _) => {
            let loglikelihoods = values_of(name, results)?;
            let weights = weights_of(name, results)?;
            let value = (-loglikelihoods.iter().sum::<f64>() / weights.iter().sum::<f64>()).exp();
            (value, None, Unit::Scalar)
        }
        (Aggregation::BitsPerByte, _) => {
            let loglikelihoods = values_of(name, results)?;
            let weights = weights_of(name, results)?;
            let value = -loglikelihoods.iter().sum::<f64>()
                / weights.iter().sum::<f64>()
                / std::f64::consts::LN_2;
            (value, None, Unit::Scalar)
        }
        (Aggregation::Perplexity, _) => {
            let values = values_of(name, results)?;
            let statistic = |indices: &[usize]| {
                let chosen: Vec<f64> = indices.iter().map(|index| values[*index]).collect();
                crate::scoring::perplexity(&chosen).unwrap_or(f64::NAN)
            };
            (
                statistic(&all),
                bootstrap(options.bootstrap_iters, &statistic),
                Unit::Scalar,
            )
        }
        (Aggregation::Median, _) => {
            let values = values_of(name, results)?;
            let statistic = |indices: &[usize]| {
                let chosen: Vec<f64> = indices.iter().map(|index| values[*index]).collect();
                stats::median(&chosen).unwrap_or(f64::NAN)
            };
            (
                statistic(&all),
                bootstrap(options.bootstrap_iters, &statistic),
                unit_for(metric),
            )
        }
        (Aggregation::Mean, _) => {
            let values = values_of(name, results)?;
            (
                stats::mean(&values).unwrap_or(f64::NAN),
                stats::mean_stderr(&values),
                unit_for(metric),
            )
        }
        (other, _) => {
            return Err(format!(
                "aggregation `{}` does not apply to metric `{name}`",
                other.as_str()
            ))
        }
    };
    let mut record = MetricRecord::new(name, value, unit).with_n(n as u64);
    record.stderr = stderr.filter(|stderr| stderr.is_finite());
    Ok(record)
}

/// Accuracy-like metrics are ratios; BLEU/ROUGE/F1 scores and hook values are scores.
fn unit_for(metric: &TaskMetric) -> Unit {
    match metric.kind {
        MetricKind::Acc
        | MetricKind::AccNorm
        | MetricKind::AccBytes
        | MetricKind::ExactMatch
        | MetricKind::F1 => Unit::Ratio,
        _ => Unit::Scalar,
    }
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
            ..Default::default()
        };
        let results = [
            result(0, 1.0),
            result(1, 0.0),
            result(2, 1.0),
            result(3, 1.0),
        ];
        let metric = TaskMetric::new("acc", MetricKind::Acc);
        let none = ["none".to_string()];
        let options = AggregateOptions::default();
        let records =
            aggregate(std::slice::from_ref(&metric), &none, &results, &options).unwrap_or_default();
        // mean 0.75; sample variance (3 * 0.0625 + 0.5625) / 3 = 0.25; stderr 0.5 / sqrt(4).
        assert_eq!(
            records,
            vec![MetricRecord::new("acc", 0.75, Unit::Ratio)
                .with_n(4)
                .with_stderr(0.25)]
        );
        let missing = TaskMetric::new("acc_norm", MetricKind::AccNorm);
        assert_eq!(
            aggregate(&[missing], &none, &results, &options)
                .err()
                .as_deref(),
            Some("item 0 has no `acc_norm` value")
        );
    }
}
