//! lm-eval's aggregations of per-item values that are not a plain mean
//! (`lm_eval/api/metrics.py`): `median`, `nanmean`, `perplexity`, `weighted_perplexity`,
//! `bits_per_byte`, and the per-item word and byte counts of `loglikelihood_rolling` tasks
//! (`ConfigurableTask.count_words` / `count_bytes`). The mean is
//! [`yardstick_core::stats::mean`].
//!
//! Each returns `None` where Python raises (an empty list, a zero total weight). Sums run
//! left to right, as Python 3.11's `sum` does (3.12 compensates float sums, which can
//! change the last bits).

use crate::scoring::python_str;
use yardstick_core::stats;

/// lm-eval's `median`: `sorted(arr)[len(arr) // 2]`, the upper middle value for an even
/// count (not the average of the two middle values). NaN sorts last.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted[sorted.len() / 2])
}

/// lm-eval's `nanmean`: the mean of the non-NaN values; NaN when there are none.
pub fn nanmean(values: &[f64]) -> f64 {
    let kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    stats::mean(&kept).unwrap_or(f64::NAN)
}

/// lm-eval's `perplexity` aggregation: `exp(-mean(loglikelihoods))`.
pub fn perplexity(loglikelihoods: &[f64]) -> Option<f64> {
    Some((-stats::mean(loglikelihoods)?).exp())
}

/// lm-eval's `weighted_mean`: `sum(loglikelihoods) / sum(weights)` over `(ll, weight)`.
fn weighted_mean(items: &[(f64, u64)]) -> Option<f64> {
    if items.is_empty() {
        return None;
    }
    let loglikelihood: f64 = items.iter().fold(0.0, |sum, (ll, _)| sum + ll);
    let weight: u64 = items.iter().map(|(_, weight)| weight).sum();
    if weight == 0 {
        return None;
    }
    Some(loglikelihood / weight as f64)
}

/// lm-eval's `weighted_perplexity` (`word_perplexity`, `byte_perplexity`):
/// `exp(-sum(ll) / sum(weight))` over `(loglikelihood, words or bytes)` items.
pub fn weighted_perplexity(items: &[(f64, u64)]) -> Option<f64> {
    Some((-weighted_mean(items)?).exp())
}

/// lm-eval's `bits_per_byte`: `-sum(ll) / sum(bytes) / ln 2` over `(loglikelihood, bytes)`.
pub fn bits_per_byte(items: &[(f64, u64)]) -> Option<f64> {
    Some(-weighted_mean(items)? / std::f64::consts::LN_2)
}

/// `ConfigurableTask.count_words`: `len(re.split(r"\s+", doc))`. Leading or trailing
/// whitespace adds an (empty) word, and `""` counts as 1.
pub fn count_words(document: &str) -> u64 {
    python_str::count_regex_split_pieces(document) as u64
}

/// `ConfigurableTask.count_bytes`: `len(doc.encode("utf-8"))`.
pub fn count_bytes(document: &str) -> u64 {
    document.len() as u64
}

/// The per-item values of a `loglikelihood_rolling` task: lm-eval's `process_results`
/// gives `word_perplexity` `(ll, words)`, `byte_perplexity` and `bits_per_byte`
/// `(ll, bytes)`, both counted on `doc_to_target(doc)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollingItem {
    pub loglikelihood: f64,
    pub words: u64,
    pub bytes: u64,
}

impl RollingItem {
    /// The item of a document (the target text) and its rolling loglikelihood.
    pub fn new(loglikelihood: f64, target: &str) -> RollingItem {
        RollingItem {
            loglikelihood,
            words: count_words(target),
            bytes: count_bytes(target),
        }
    }

    /// The `(ll, words)` pair `word_perplexity` aggregates.
    pub fn by_words(&self) -> (f64, u64) {
        (self.loglikelihood, self.words)
    }

    /// The `(ll, bytes)` pair `byte_perplexity` and `bits_per_byte` aggregate.
    pub fn by_bytes(&self) -> (f64, u64) {
        (self.loglikelihood, self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_the_upper_middle() {
        assert_eq!(median(&[3.0, 1.0, 2.0, 4.0]), Some(3.0));
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn nanmean_skips_nan() {
        assert_eq!(nanmean(&[1.0, f64::NAN, 3.0]), 2.0);
        assert!(nanmean(&[f64::NAN]).is_nan());
        assert!(nanmean(&[]).is_nan());
    }

    #[test]
    fn perplexities() {
        assert_eq!(perplexity(&[-1.0, -3.0]), Some(2f64.exp()));
        assert_eq!(perplexity(&[]), None);
        assert_eq!(
            weighted_perplexity(&[(-2.0, 1), (-4.0, 2)]),
            Some(2f64.exp())
        );
        assert_eq!(weighted_perplexity(&[(-2.0, 0)]), None);
        let bits = bits_per_byte(&[(-std::f64::consts::LN_2 * 8.0, 8)]);
        assert!(bits.is_some_and(|bits| (bits - 1.0).abs() < 1e-15));
    }

    #[test]
    fn rolling_counts_follow_lm_eval() {
        let item = RollingItem::new(-10.0, " héllo  world\n");
        assert_eq!(item.words, 4);
        assert_eq!(item.bytes, 15);
        assert_eq!(count_words(""), 1);
        assert_eq!(count_bytes(""), 0);
    }
}
