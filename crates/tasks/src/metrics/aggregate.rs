//! Aggregating a task's per-item values into metric records: the aggregate of every metric
//! under every filter, its standard error and the item count.

use super::{filtered_name, Aggregation, MetricKind, TaskMetric};
use yardstick_core::stats;
use yardstick_core::{ItemResult, MetricRecord, Unit};

/// Sentence embeddings for the metrics that need them (embedding diversity, semantic
/// similarity): a model the caller loads (the runner's `yardstick-embed`), so that this
/// crate runs no model itself.
pub trait TextEmbedder: Send + Sync + std::fmt::Debug {
    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
    /// The model's name, for records and errors.
    fn name(&self) -> &str;
}

/// Settings of aggregation: bootstrap resamples for metrics without a closed-form standard
/// error (lm-eval's `--bootstrap_iters`, default 100000; BLEU is capped at 100 as lm-eval
/// does), the bootstrap's seed, and the sentence embedder of embedding metrics.
#[derive(Debug, Clone)]
pub struct AggregateOptions {
    pub bootstrap_iters: u32,
    pub seed: u64,
    /// Required by a task with an embedding metric; `None` refuses such a metric.
    pub embedder: Option<std::sync::Arc<dyn TextEmbedder>>,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            bootstrap_iters: 100_000,
            seed: 1234,
            embedder: None,
        }
    }
}

/// A task's records from its items' results, for every metric under every filter: the
/// aggregate, its standard error (closed form for means, as lm-eval; a seeded bootstrap for
/// median, perplexity, BLEU, F1 and MCC; none for weighted perplexities and bits per byte,
/// as lm-eval) and the item count. An aggregation function (`!function yardstick.name`)
/// covers the items that report its metric, without a standard error, and gives no record
/// when none does (lm-eval: NaN). Errors (as text) when there are no items or an item lacks a value.
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
            let name = filtered_name(&metric.name, filter);
            if let Some(record) = aggregate_one(metric, &name, filter, results, options)? {
                records.push(record);
            }
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

/// One aggregate of a metric: its value, its standard error if it has one, and its unit.
struct Aggregated {
    value: f64,
    stderr: Option<f64>,
    unit: Unit,
}

/// The items being aggregated, with the bootstrap's settings.
struct Items<'a> {
    results: &'a [ItemResult],
    /// Every item's index, the sample the bootstrap resamples.
    all: Vec<usize>,
    seed: u64,
}

impl Items<'_> {
    /// The bootstrap standard error of `statistic` over the items, with `iters` resamples.
    fn bootstrap(&self, iters: u32, statistic: &dyn Fn(&[usize]) -> f64) -> Option<f64> {
        crate::scoring::bootstrap_stderr(&self.all, statistic, u64::from(iters), self.seed)
    }
}

fn aggregate_one(
    metric: &TaskMetric,
    name: &str,
    filter: &str,
    results: &[ItemResult],
    options: &AggregateOptions,
) -> Result<Option<MetricRecord>, String> {
    let n = results.len();
    let items = Items {
        results,
        all: (0..n).collect(),
        seed: options.seed,
    };
    let iters = options.bootstrap_iters;
    let Aggregated {
        value,
        stderr,
        unit,
    } = match (&metric.aggregation, metric.kind) {
        (_, MetricKind::F1 | MetricKind::Mcc)
            if results.iter().all(|result| result.generations.is_empty()) =>
        {
            classification(metric.kind, &items, iters)?
        }
        (_, MetricKind::Bleu) => bleu(filter, &items, iters)?,
        (_, kind) if kind.is_corpus_level() => {
            match corpus_level(kind, name, filter, results, options)? {
                Some(aggregated) => aggregated,
                None => return Ok(None),
            }
        }
        (Aggregation::WeightedPerplexity, _) => weighted_perplexity(name, results)?,
        (Aggregation::BitsPerByte, _) => bits_per_byte(name, results)?,
        (Aggregation::Perplexity, _) => perplexity(name, &items, iters)?,
        (Aggregation::Median, _) => median(metric, name, &items, iters)?,
        (Aggregation::Mean, _) => mean(metric, name, results)?,
        (Aggregation::Function(function), _) => {
            let function = crate::functions::find_aggregation_function(function)
                .ok_or_else(|| format!("no aggregation function `{function}`"))?;
            let Some((value, items)) = function.call(name, results)? else {
                return Ok(None);
            };
            let mut record = MetricRecord::new(name, value, function.unit).with_n(items);
            record.stderr = None;
            return Ok(Some(record));
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
    Ok(Some(record))
}

/// A diversity or embedding metric over the answers under `filter` ([`MetricKind::is_corpus_level`]),
/// without a standard error; `None` when it is undefined (fewer than two answers, no text).
fn corpus_level(
    kind: MetricKind,
    name: &str,
    filter: &str,
    results: &[ItemResult],
    options: &AggregateOptions,
) -> Result<Option<Aggregated>, String> {
    use crate::scoring::diversity;
    let answers: Vec<&str> = results
        .iter()
        .map(|result| result.filtered_answer(filter).unwrap_or_default())
        .collect();
    let embedder = || {
        options
            .embedder
            .as_ref()
            .ok_or_else(|| format!("`{name}` needs a sentence-embedding model and none was loaded"))
    };
    let (value, unit) = match kind {
        MetricKind::Distinct(n) => (diversity::distinct_n(&answers, usize::from(n)), Unit::Ratio),
        MetricKind::SelfBleu => (diversity::self_bleu(&answers), Unit::Scalar),
        MetricKind::CompressionRatio => (diversity::compression_ratio(&answers), Unit::Scalar),
        MetricKind::EmbeddingDiversity => {
            let vectors = embedder()?.embed(&answers)?;
            (diversity::embedding_diversity(&vectors), Unit::Scalar)
        }
        MetricKind::SemanticSimilarity => {
            let embedder = embedder()?;
            let mut total = 0.0;
            for (result, answer) in results.iter().zip(&answers) {
                if result.references.is_empty() {
                    return Err(format!(
                        "item {} has no reference for `{name}`",
                        result.item_index
                    ));
                }
                let mut texts = vec![*answer];
                texts.extend(result.references.iter().map(String::as_str));
                let vectors = embedder.embed(&texts)?;
                total += vectors[1..]
                    .iter()
                    .map(|reference| diversity::cosine(&vectors[0], reference))
                    .fold(f64::NEG_INFINITY, f64::max);
            }
            (Some(total / results.len() as f64), Unit::Scalar)
        }
        _ => return Err(format!("`{name}` is not a corpus-level metric")),
    };
    Ok(value.map(|value| Aggregated {
        value,
        stderr: None,
        unit,
    }))
}

/// F1 or MCC of a multiple-choice task over the items' (gold, prediction) pairs, with a
/// bootstrap standard error.
fn classification(kind: MetricKind, items: &Items<'_>, iters: u32) -> Result<Aggregated, String> {
    let pairs: Vec<(i64, i64)> = items
        .results
        .iter()
        .map(|result| (result.gold as i64, result.prediction as i64))
        .collect();
    let statistic = |indices: &[usize]| -> Result<f64, String> {
        let chosen: Vec<(i64, i64)> = indices.iter().map(|index| pairs[*index]).collect();
        let value = if kind == MetricKind::F1 {
            crate::scoring::f1_score(&chosen)
        } else {
            crate::scoring::matthews_corrcoef(&chosen)
        };
        value.map_err(|error| error.to_string())
    };
    let value = statistic(&items.all)?;
    let stderr = items.bootstrap(iters, &|indices| statistic(indices).unwrap_or(f64::NAN));
    Ok(Aggregated {
        value,
        stderr,
        unit: Unit::Ratio,
    })
}

/// Corpus BLEU of the answers under `filter`, with a bootstrap standard error of at most 100
/// resamples (as lm-eval).
fn bleu(filter: &str, items: &Items<'_>, iters: u32) -> Result<Aggregated, String> {
    let results = items.results;
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
        crate::scoring::lm_eval_bleu(&references, &predictions).map_err(|error| error.to_string())
    };
    let value = statistic(&items.all)?;
    let stderr = items.bootstrap(iters.min(100), &|indices| {
        statistic(indices).unwrap_or(f64::NAN)
    });
    Ok(Aggregated {
        value,
        stderr,
        unit: Unit::Scalar,
    })
}

/// exp(-Σ loglikelihood / Σ weight), without a standard error (as lm-eval).
fn weighted_perplexity(name: &str, results: &[ItemResult]) -> Result<Aggregated, String> {
    let loglikelihoods = values_of(name, results)?;
    let weights = weights_of(name, results)?;
    let value = (-loglikelihoods.iter().sum::<f64>() / weights.iter().sum::<f64>()).exp();
    Ok(Aggregated {
        value,
        stderr: None,
        unit: Unit::Scalar,
    })
}

/// -Σ loglikelihood / Σ bytes / ln 2, without a standard error (as lm-eval).
fn bits_per_byte(name: &str, results: &[ItemResult]) -> Result<Aggregated, String> {
    let loglikelihoods = values_of(name, results)?;
    let weights = weights_of(name, results)?;
    let value =
        -loglikelihoods.iter().sum::<f64>() / weights.iter().sum::<f64>() / std::f64::consts::LN_2;
    Ok(Aggregated {
        value,
        stderr: None,
        unit: Unit::Scalar,
    })
}

/// exp(-mean loglikelihood), with a bootstrap standard error.
fn perplexity(name: &str, items: &Items<'_>, iters: u32) -> Result<Aggregated, String> {
    let values = values_of(name, items.results)?;
    let statistic = |indices: &[usize]| {
        let chosen: Vec<f64> = indices.iter().map(|index| values[*index]).collect();
        crate::scoring::perplexity(&chosen).unwrap_or(f64::NAN)
    };
    Ok(Aggregated {
        value: statistic(&items.all),
        stderr: items.bootstrap(iters, &statistic),
        unit: Unit::Scalar,
    })
}

/// The median of the values, with a bootstrap standard error.
fn median(
    metric: &TaskMetric,
    name: &str,
    items: &Items<'_>,
    iters: u32,
) -> Result<Aggregated, String> {
    let values = values_of(name, items.results)?;
    let statistic = |indices: &[usize]| {
        let chosen: Vec<f64> = indices.iter().map(|index| values[*index]).collect();
        stats::median(&chosen).unwrap_or(f64::NAN)
    };
    Ok(Aggregated {
        value: statistic(&items.all),
        stderr: items.bootstrap(iters, &statistic),
        unit: unit_for(metric),
    })
}

/// The mean of the values, with the closed-form standard error of the mean (as lm-eval).
fn mean(metric: &TaskMetric, name: &str, results: &[ItemResult]) -> Result<Aggregated, String> {
    let values = values_of(name, results)?;
    Ok(Aggregated {
        value: stats::mean(&values).unwrap_or(f64::NAN),
        stderr: stats::mean_stderr(&values),
        unit: unit_for(metric),
    })
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
