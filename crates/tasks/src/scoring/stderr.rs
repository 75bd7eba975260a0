//! Standard errors of aggregated metrics, chosen as lm-eval chooses them:
//! `stderr_for_metric` (`lm_eval/api/metrics.py`) and its caller
//! `_compute_task_aggregations` (`lm_eval/evaluator_utils.py`).
//!
//! - `bootstrap_iters` (lm-eval's default [`DEFAULT_BOOTSTRAP_ITERS`] = 100 000) of 0
//!   turns standard errors off.
//! - The `mean` aggregation has the closed form `sample_stddev / sqrt(n)`
//!   ([`yardstick_core::stats::mean_stderr`]).
//! - `median`, `matthews_corrcoef`, `f1`, `perplexity`, `bleu`, `chrf`, `ter` and `nanmean`
//!   are bootstrapped; metrics *named* `bleu`, `chrf` or `ter` with at most 100 resamples.
//! - Every other aggregation (`weighted_perplexity`, `bits_per_byte`, `brier_score`,
//!   custom functions) gets none, and neither does a metric with fewer than 2 items ("N/A").
//!
//! Two bootstraps: [`lm_eval_bootstrap_stderr`] draws exactly the resamples lm-eval draws
//! (Python's Mersenne Twister, `random.Random(chunk_index)` per chunk of 1000), so its value
//! equals lm-eval's for the same items and statistic; [`bootstrap_stderr`] draws from a
//! ChaCha RNG seeded by the caller (the run's seed). Both draw the same number of resamples
//! and use the same estimator (sample standard deviation of the statistic over them).

use crate::fewshot::PyRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yardstick_core::stats;

/// lm-eval's default `bootstrap_iters` (`simple_evaluate`, `evaluate`).
pub const DEFAULT_BOOTSTRAP_ITERS: u64 = 100_000;

/// The cap lm-eval puts on `bootstrap_iters` for metrics named `bleu`, `chrf` and `ter`.
pub const CORPUS_METRIC_BOOTSTRAP_CAP: u64 = 100;

/// lm-eval's registered aggregation functions, which decide how a standard error is
/// computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LmEvalAggregation {
    Mean,
    Median,
    Nanmean,
    Perplexity,
    WeightedPerplexity,
    BitsPerByte,
    F1,
    MatthewsCorrcoef,
    Bleu,
    Chrf,
    Ter,
    BrierScore,
    Bypass,
    /// Any other function (`aggregation: !function module.name`).
    Custom(String),
}

impl LmEvalAggregation {
    /// The aggregation registered under `name` in lm-eval; unknown names are
    /// [`LmEvalAggregation::Custom`].
    pub fn from_name(name: &str) -> LmEvalAggregation {
        match name {
            "mean" => LmEvalAggregation::Mean,
            "median" => LmEvalAggregation::Median,
            "nanmean" => LmEvalAggregation::Nanmean,
            "perplexity" => LmEvalAggregation::Perplexity,
            "weighted_perplexity" => LmEvalAggregation::WeightedPerplexity,
            "bits_per_byte" => LmEvalAggregation::BitsPerByte,
            "f1" => LmEvalAggregation::F1,
            "matthews_corrcoef" => LmEvalAggregation::MatthewsCorrcoef,
            "bleu" => LmEvalAggregation::Bleu,
            "chrf" => LmEvalAggregation::Chrf,
            "ter" => LmEvalAggregation::Ter,
            "brier_score" => LmEvalAggregation::BrierScore,
            "bypass" => LmEvalAggregation::Bypass,
            other => LmEvalAggregation::Custom(other.to_string()),
        }
    }

    /// Whether lm-eval bootstraps this aggregation (its `bootstrappable` list).
    pub fn is_bootstrappable(&self) -> bool {
        matches!(
            self,
            LmEvalAggregation::Median
                | LmEvalAggregation::MatthewsCorrcoef
                | LmEvalAggregation::F1
                | LmEvalAggregation::Perplexity
                | LmEvalAggregation::Bleu
                | LmEvalAggregation::Chrf
                | LmEvalAggregation::Ter
                | LmEvalAggregation::Nanmean
        )
    }
}

/// How to compute a metric's standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StderrPolicy {
    /// None is reported (lm-eval writes "N/A").
    NotComputed,
    /// `mean_stderr`: sample standard deviation / sqrt(n).
    MeanStderr,
    /// `bootstrap_stderr` with this `iters` (see [`bootstrap_resample_count`]).
    Bootstrap { iters: u64 },
}

impl StderrPolicy {
    /// The policy for a metric with `item_count` items: lm-eval computes none for fewer
    /// than 2.
    pub fn for_items(self, item_count: usize) -> StderrPolicy {
        if item_count > 1 {
            self
        } else {
            StderrPolicy::NotComputed
        }
    }
}

/// lm-eval's choice of standard error for metric `metric_name` aggregated by
/// `aggregation`, with `bootstrap_iters` as given to `simple_evaluate` (0 = none).
pub fn stderr_policy(
    metric_name: &str,
    aggregation: &LmEvalAggregation,
    bootstrap_iters: u64,
) -> StderrPolicy {
    if bootstrap_iters == 0 {
        return StderrPolicy::NotComputed;
    }
    let iters = if matches!(metric_name, "bleu" | "chrf" | "ter") {
        bootstrap_iters.min(CORPUS_METRIC_BOOTSTRAP_CAP)
    } else {
        bootstrap_iters
    };
    if aggregation.is_bootstrappable() {
        StderrPolicy::Bootstrap { iters }
    } else if *aggregation == LmEvalAggregation::Mean {
        StderrPolicy::MeanStderr
    } else {
        StderrPolicy::NotComputed
    }
}

/// How many resamples lm-eval's `bootstrap_stderr(f, xs, iters)` draws: chunks of
/// `min(1000, iters)`, `iters // chunk` of them, so 2 500 gives 2 000.
pub fn bootstrap_resample_count(iters: u64) -> u64 {
    let chunk = iters.min(1000);
    iters.checked_div(chunk).unwrap_or(0) * chunk
}

/// Bootstrap standard error of `statistic(items)` (lm-eval's `bootstrap_stderr`): the
/// sample standard deviation of the statistic over [`bootstrap_resample_count`]`(iters)`
/// resamples of the items with replacement, each as large as `items`. The resamples come
/// from a ChaCha8 RNG seeded with `seed`, so the result is deterministic per seed.
///
/// `None` with no items or fewer than 2 resamples (Python divides by zero there).
pub fn bootstrap_stderr<T, F>(items: &[T], mut statistic: F, iters: u64, seed: u64) -> Option<f64>
where
    T: Clone,
    F: FnMut(&[T]) -> f64,
{
    if items.is_empty() {
        return None;
    }
    let resamples = bootstrap_resample_count(iters);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sample: Vec<T> = Vec::with_capacity(items.len());
    let mut values = Vec::with_capacity(usize::try_from(resamples).unwrap_or(0));
    for _ in 0..resamples {
        sample.clear();
        sample.extend((0..items.len()).map(|_| items[rng.random_range(0..items.len())].clone()));
        values.push(statistic(&sample));
    }
    stats::sample_stddev(&values)
}

/// One index of Python's `choices(population, k=...)` without weights:
/// `floor(random() * len(population))`.
fn choice_index(random: &mut PyRandom, length: usize) -> usize {
    (random.random() * length as f64).floor() as usize
}

/// lm-eval's `bootstrap_stderr(f, xs, iters)`, resample for resample: chunk `i` of
/// `min(1000, iters)` resamples draws from `random.Random(i)` with
/// `rnd.choices(xs, k=len(xs))`, as both its multiprocessing and its single-process paths
/// do; the result is the sample standard deviation of the statistic over all resamples.
/// Equal to lm-eval's value up to the statistic's own floating-point agreement.
///
/// `None` with no items or fewer than 2 resamples.
pub fn lm_eval_bootstrap_stderr<T, F>(items: &[T], mut statistic: F, iters: u64) -> Option<f64>
where
    T: Clone,
    F: FnMut(&[T]) -> f64,
{
    if items.is_empty() {
        return None;
    }
    let chunk = iters.min(1000);
    let chunks = iters.checked_div(chunk).unwrap_or(0);
    let mut sample: Vec<T> = Vec::with_capacity(items.len());
    let mut values = Vec::new();
    for chunk_index in 0..chunks {
        let mut random = PyRandom::new(chunk_index);
        for _ in 0..chunk {
            sample.clear();
            sample.extend(
                (0..items.len()).map(|_| items[choice_index(&mut random, items.len())].clone()),
            );
            values.push(statistic(&sample));
        }
    }
    stats::sample_stddev(&values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::aggregation;

    #[test]
    fn policy_follows_lm_eval() {
        let mean = LmEvalAggregation::from_name("mean");
        assert_eq!(
            stderr_policy("acc", &mean, 100_000),
            StderrPolicy::MeanStderr
        );
        assert_eq!(stderr_policy("acc", &mean, 0), StderrPolicy::NotComputed);
        assert_eq!(
            stderr_policy("mcc", &LmEvalAggregation::MatthewsCorrcoef, 100_000),
            StderrPolicy::Bootstrap { iters: 100_000 }
        );
        assert_eq!(
            stderr_policy("bleu", &LmEvalAggregation::Bleu, 100_000),
            StderrPolicy::Bootstrap { iters: 100 }
        );
        // The cap goes by metric name, the method by aggregation.
        assert_eq!(
            stderr_policy("sacrebleu", &LmEvalAggregation::Bleu, 100_000),
            StderrPolicy::Bootstrap { iters: 100_000 }
        );
        assert_eq!(
            stderr_policy("bleu_max", &mean, 100_000),
            StderrPolicy::MeanStderr
        );
        assert_eq!(
            stderr_policy(
                "word_perplexity",
                &LmEvalAggregation::WeightedPerplexity,
                100_000
            ),
            StderrPolicy::NotComputed
        );
        assert_eq!(
            stderr_policy("x", &LmEvalAggregation::from_name("my_agg"), 10),
            StderrPolicy::NotComputed
        );
        assert_eq!(
            StderrPolicy::MeanStderr.for_items(1),
            StderrPolicy::NotComputed
        );
    }

    #[test]
    fn choices_match_cpython() {
        // python3 -c "import random; print(random.Random(1).choices(range(10), k=5))"
        let mut random = PyRandom::new(1);
        let choices: Vec<usize> = (0..5).map(|_| choice_index(&mut random, 10)).collect();
        assert_eq!(choices, vec![1, 8, 7, 2, 4]);
    }

    #[test]
    fn resample_count_matches_lm_eval_chunking() {
        assert_eq!(bootstrap_resample_count(100_000), 100_000);
        assert_eq!(bootstrap_resample_count(100), 100);
        assert_eq!(bootstrap_resample_count(2_500), 2_000);
        assert_eq!(bootstrap_resample_count(0), 0);
    }

    #[test]
    fn bootstrap_is_seeded_and_close_to_the_closed_form() {
        let values: Vec<f64> = (0..400).map(|i| f64::from(i % 2)).collect();
        let mean = |sample: &[f64]| stats::mean(sample).unwrap_or(f64::NAN);
        let first = bootstrap_stderr(&values, mean, 2_000, 7);
        assert_eq!(first, bootstrap_stderr(&values, mean, 2_000, 7));
        assert_ne!(first, bootstrap_stderr(&values, mean, 2_000, 8));
        let closed = stats::mean_stderr(&values).unwrap_or(f64::NAN);
        let bootstrap = first.unwrap_or(f64::NAN);
        assert!(
            (bootstrap - closed).abs() / closed < 0.1,
            "{bootstrap} vs {closed}"
        );
    }

    #[test]
    fn bootstrap_edge_cases() {
        let median = |sample: &[f64]| aggregation::median(sample).unwrap_or(f64::NAN);
        assert_eq!(bootstrap_stderr(&[] as &[f64], median, 100, 0), None);
        assert_eq!(bootstrap_stderr(&[1.0, 2.0], median, 1, 0), None);
        assert_eq!(bootstrap_stderr(&[3.0], median, 100, 0), Some(0.0));
    }
}
