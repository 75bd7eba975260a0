//! BLEU as sacrebleu (2.x) computes it: `sacrebleu.corpus_bleu`, `sacrebleu.sentence_bleu`
//! (`sacrebleu/metrics/bleu.py`), lm-eval's `bleu` aggregation, and truthfulqa's `bleu`
//! (`lm_eval/tasks/truthfulqa/utils.py`). Scores are on sacrebleu's 0–100 scale (`.score`).

use crate::python;
use crate::scoring::bleu_tokenize::Tokenize;
use crate::scoring::{python_str, ScoringError};
use std::collections::HashMap;

/// sacrebleu's maximum n-gram order (`MAX_NGRAM_ORDER`).
pub const MAX_NGRAM_ORDER: usize = 4;

/// sacrebleu's `smooth_method` with its `smooth_value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Smooth {
    /// `"exp"` (NIST geometric smoothing, the default); takes no value.
    Exp,
    /// `"floor"` with its value (sacrebleu's default is [`Smooth::FLOOR_DEFAULT`]).
    Floor(f64),
    /// `"add-k"` with its value (sacrebleu's default is [`Smooth::ADD_K_DEFAULT`]).
    AddK(f64),
    /// `"none"`.
    None,
}

impl Smooth {
    /// sacrebleu's default `smooth_value` for `floor`.
    pub const FLOOR_DEFAULT: f64 = 0.1;
    /// sacrebleu's default `smooth_value` for `add-k`.
    pub const ADD_K_DEFAULT: f64 = 1.0;
}

/// The arguments of `sacrebleu.corpus_bleu` that change a score (`force` only silences a
/// warning, and the n-gram order is sacrebleu's fixed 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BleuOptions {
    pub tokenize: Tokenize,
    pub smooth: Smooth,
    pub lowercase: bool,
    pub use_effective_order: bool,
}

impl BleuOptions {
    /// `sacrebleu.corpus_bleu`'s defaults, which lm-eval's `bleu` aggregation uses: 13a,
    /// exp smoothing, case-sensitive, no effective order.
    pub fn corpus() -> BleuOptions {
        BleuOptions {
            tokenize: Tokenize::Mteval13a,
            smooth: Smooth::Exp,
            lowercase: false,
            use_effective_order: false,
        }
    }

    /// `sacrebleu.sentence_bleu`'s defaults: as [`BleuOptions::corpus`] with effective order.
    pub fn sentence() -> BleuOptions {
        BleuOptions {
            use_effective_order: true,
            ..BleuOptions::corpus()
        }
    }

    /// truthfulqa's `bleu`: `tokenize="intl"`, `smooth_method="exp"`, `smooth_value=0.0`
    /// (unused by exp), `lowercase=False`, `use_effective_order=False`.
    pub fn truthfulqa() -> BleuOptions {
        BleuOptions {
            tokenize: Tokenize::Intl,
            ..BleuOptions::corpus()
        }
    }
}

impl Default for BleuOptions {
    fn default() -> BleuOptions {
        BleuOptions::corpus()
    }
}

/// sacrebleu's `BLEUScore`. `counts` and `totals` are the matched and total n-grams before
/// smoothing (sacrebleu's object holds them after `add-k` has added its value).
#[derive(Debug, Clone, PartialEq)]
pub struct BleuScore {
    /// BLEU, 0–100.
    pub score: f64,
    pub counts: [u64; MAX_NGRAM_ORDER],
    pub totals: [u64; MAX_NGRAM_ORDER],
    /// n-gram precisions, 0–100, after smoothing.
    pub precisions: [f64; MAX_NGRAM_ORDER],
    /// Brevity penalty.
    pub bp: f64,
    /// Total hypothesis length in tokens.
    pub sys_len: u64,
    /// Total length of the closest references in tokens.
    pub ref_len: u64,
}

/// Sufficient statistics of one or more segments (sacrebleu's per-segment stats list).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Statistics {
    sys_len: u64,
    ref_len: u64,
    correct: [u64; MAX_NGRAM_ORDER],
    total: [u64; MAX_NGRAM_ORDER],
}

impl Statistics {
    fn add(&mut self, other: &Statistics) {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for order in 0..MAX_NGRAM_ORDER {
            self.correct[order] += other.correct[order];
            self.total[order] += other.total[order];
        }
    }
}

/// `BLEU._preprocess_segment`: optional `str.lower()`, `str.rstrip()`, tokenize.
fn preprocess(segment: &str, options: &BleuOptions) -> String {
    if options.lowercase {
        options
            .tokenize
            .apply(python::rstrip(&python_str::lower(segment)))
    } else {
        options.tokenize.apply(python::rstrip(segment))
    }
}

/// `extract_all_word_ngrams(line, 1, 4)`: n-gram counts keyed by the tokens joined with a
/// space (tokens hold no whitespace, so the key also encodes the order), and the length.
fn word_ngrams(line: &str) -> (HashMap<String, u64>, u64) {
    let tokens: Vec<&str> = python_str::split_whitespace(line).collect();
    let mut counts = HashMap::new();
    for order in 1..=MAX_NGRAM_ORDER {
        for window in tokens.windows(order) {
            *counts.entry(window.join(" ")).or_default() += 1;
        }
    }
    (counts, tokens.len() as u64)
}

/// `_get_closest_ref_len`: the reference length closest to the hypothesis length, the
/// shorter one on ties.
fn closest_reference_length(hypothesis_length: u64, reference_lengths: &[u64]) -> u64 {
    let mut closest: Option<(u64, u64)> = None;
    for &length in reference_lengths {
        let difference = hypothesis_length.abs_diff(length);
        closest = match closest {
            Some((best_difference, best_length))
                if difference > best_difference
                    || (difference == best_difference && length >= best_length) =>
            {
                Some((best_difference, best_length))
            }
            _ => Some((difference, length)),
        };
    }
    closest.map_or(0, |(_, length)| length)
}

/// One segment's statistics against its (at least one) references: reference n-gram counts
/// merged by maximum, then clipped matches (`_extract_reference_info` and
/// `_compute_segment_statistics`).
fn segment_statistics(
    hypothesis: &str,
    first_reference: &str,
    other_references: &[&str],
    options: &BleuOptions,
) -> Statistics {
    let mut reference_counts: HashMap<String, u64> = HashMap::new();
    let mut reference_lengths = Vec::with_capacity(1 + other_references.len());
    for reference in std::iter::once(first_reference).chain(other_references.iter().copied()) {
        let (counts, length) = word_ngrams(&preprocess(reference, options));
        reference_lengths.push(length);
        for (ngram, count) in counts {
            let merged = reference_counts.entry(ngram).or_default();
            *merged = (*merged).max(count);
        }
    }
    let (hypothesis_counts, hypothesis_length) = word_ngrams(&preprocess(hypothesis, options));
    let mut statistics = Statistics {
        sys_len: hypothesis_length,
        ref_len: closest_reference_length(hypothesis_length, &reference_lengths),
        ..Statistics::default()
    };
    for (ngram, count) in &hypothesis_counts {
        let order = ngram.matches(' ').count();
        statistics.total[order] += count;
        if let Some(reference_count) = reference_counts.get(ngram) {
            statistics.correct[order] += (*count).min(*reference_count);
        }
    }
    statistics
}

/// sacrebleu's `my_log`: `log`, with log(0) floored to -9999999999.
fn floored_log(value: f64) -> f64 {
    if value == 0.0 {
        -9_999_999_999.0
    } else {
        value.ln()
    }
}

/// `BLEU.compute_bleu`: brevity penalty, smoothed precisions, geometric mean.
fn compute_bleu(statistics: &Statistics, options: &BleuOptions) -> BleuScore {
    let sys_len = statistics.sys_len;
    let ref_len = statistics.ref_len;
    let mut bp = 1.0;
    if sys_len < ref_len {
        bp = if sys_len > 0 {
            (1.0 - ref_len as f64 / sys_len as f64).exp()
        } else {
            0.0
        };
    }
    let mut precisions = [0.0; MAX_NGRAM_ORDER];
    let mut score = BleuScore {
        score: 0.0,
        counts: statistics.correct,
        totals: statistics.total,
        precisions,
        bp,
        sys_len,
        ref_len,
    };
    // Early stop if there are no matches (sacrebleu #141).
    if statistics.correct.iter().all(|count| *count == 0) {
        return score;
    }
    let mut correct = statistics.correct.map(|count| count as f64);
    let mut total = statistics.total.map(|count| count as f64);
    let mut smooth_mteval = 1.0;
    let mut effective_order = MAX_NGRAM_ORDER;
    for order in 1..=MAX_NGRAM_ORDER {
        let index = order - 1;
        if let Smooth::AddK(k) = options.smooth {
            if order > 1 {
                correct[index] += k;
                total[index] += k;
            }
        }
        if total[index] == 0.0 {
            break;
        }
        if options.use_effective_order {
            effective_order = order;
        }
        if correct[index] == 0.0 {
            match options.smooth {
                Smooth::Exp => {
                    smooth_mteval *= 2.0;
                    precisions[index] = 100.0 / (smooth_mteval * total[index]);
                }
                Smooth::Floor(value) => precisions[index] = 100.0 * value / total[index],
                Smooth::AddK(_) | Smooth::None => {}
            }
        } else {
            precisions[index] = 100.0 * correct[index] / total[index];
        }
    }
    let log_sum = precisions[..effective_order]
        .iter()
        .fold(0.0, |sum, precision| sum + floored_log(*precision));
    score.score = bp * (log_sum / effective_order as f64).exp();
    score.precisions = precisions;
    score
}

/// `sacrebleu.corpus_bleu(hypotheses, references, ...)` with the references given per
/// hypothesis (`references[i]` are the references of `hypotheses[i]`, any number ≥ 1;
/// sacrebleu's own layout is the transpose, one stream per reference).
///
/// Errors: no hypotheses (sacrebleu raises on `hyps[0]`), a different number of reference
/// lists and hypotheses (sacrebleu silently truncates), a hypothesis without references.
pub fn corpus_bleu<H, R, Refs>(
    hypotheses: &[H],
    references: &[Refs],
    options: &BleuOptions,
) -> Result<BleuScore, ScoringError>
where
    H: AsRef<str>,
    R: AsRef<str>,
    Refs: AsRef<[R]>,
{
    if hypotheses.is_empty() {
        return Err(ScoringError::EmptyInput { what: "BLEU" });
    }
    if hypotheses.len() != references.len() {
        return Err(ScoringError::LengthMismatch {
            what: "BLEU",
            left_name: "hypotheses",
            left: hypotheses.len(),
            right_name: "reference lists",
            right: references.len(),
        });
    }
    let mut corpus = Statistics::default();
    for (index, (hypothesis, references)) in hypotheses.iter().zip(references).enumerate() {
        let references: Vec<&str> = references.as_ref().iter().map(AsRef::as_ref).collect();
        let Some((first, others)) = references.split_first() else {
            return Err(ScoringError::NoReferences {
                what: "BLEU",
                index,
            });
        };
        corpus.add(&segment_statistics(
            hypothesis.as_ref(),
            first,
            others,
            options,
        ));
    }
    Ok(compute_bleu(&corpus, options))
}

/// `sacrebleu.sentence_bleu(hypothesis, references, ...)`; pass
/// [`BleuOptions::sentence`] for sacrebleu's defaults (effective order on).
pub fn sentence_bleu<R: AsRef<str>>(
    hypothesis: &str,
    references: &[R],
    options: &BleuOptions,
) -> Result<BleuScore, ScoringError> {
    corpus_bleu(&[hypothesis], &[references], options)
}

/// lm-eval's `bleu` aggregation over its items `(reference(s), prediction)`:
/// `_sacreformat` then `sacrebleu.corpus_bleu(preds, refs).score`. `_sacreformat`
/// transposes the reference lists with `zip`, which keeps only as many references per item
/// as the item with the fewest has; that truncation is reproduced here.
pub fn lm_eval_bleu<P, R, Refs>(references: &[Refs], predictions: &[P]) -> Result<f64, ScoringError>
where
    P: AsRef<str>,
    R: AsRef<str>,
    Refs: AsRef<[R]>,
{
    let kept = references
        .iter()
        .map(|references| references.as_ref().len())
        .min()
        .unwrap_or(0);
    let truncated: Vec<&[R]> = references
        .iter()
        .map(|references| &references.as_ref()[..kept])
        .collect();
    Ok(corpus_bleu(predictions, &truncated, &BleuOptions::corpus())?.score)
}

/// truthfulqa's `bleu([[reference]], [prediction])` (one reference, intl tokenization,
/// exp smoothing, no effective order), 0–100.
pub fn truthfulqa_bleu(reference: &str, prediction: &str) -> f64 {
    let options = BleuOptions::truthfulqa();
    compute_bleu(
        &segment_statistics(prediction, reference, &[], &options),
        &options,
    )
    .score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sentences_score_100() -> Result<(), ScoringError> {
        let score = corpus_bleu(
            &["the cat sat on the mat"],
            &[["the cat sat on the mat"]],
            &BleuOptions::corpus(),
        )?;
        assert!((score.score - 100.0).abs() < 1e-9, "{score:?}");
        assert_eq!(score.counts, [6, 5, 4, 3]);
        Ok(())
    }

    #[test]
    fn no_match_scores_zero_and_empty_corpus_is_an_error() -> Result<(), ScoringError> {
        let score = corpus_bleu(&["dog"], &[["cat"]], &BleuOptions::corpus())?;
        assert_eq!(score.score, 0.0);
        let empty: [&str; 0] = [];
        let no_refs: [[&str; 1]; 0] = [];
        assert!(matches!(
            corpus_bleu(&empty, &no_refs, &BleuOptions::corpus()),
            Err(ScoringError::EmptyInput { .. })
        ));
        assert!(matches!(
            corpus_bleu(&["a"], &[Vec::<&str>::new()], &BleuOptions::corpus()),
            Err(ScoringError::NoReferences { index: 0, .. })
        ));
        Ok(())
    }

    #[test]
    fn empty_hypothesis_has_zero_brevity_penalty() -> Result<(), ScoringError> {
        let score = corpus_bleu(
            &["", "a b c d"],
            &[["x y"], ["a b c d"]],
            &BleuOptions::corpus(),
        )?;
        assert_eq!(score.sys_len, 4);
        assert_eq!(score.ref_len, 6);
        assert!(score.bp < 1.0);
        Ok(())
    }

    #[test]
    fn closest_reference_prefers_shorter_on_ties() {
        assert_eq!(closest_reference_length(5, &[7, 3]), 3);
        assert_eq!(closest_reference_length(5, &[6, 4, 5]), 5);
        assert_eq!(closest_reference_length(0, &[2, 1]), 1);
    }

    #[test]
    fn lm_eval_aggregation_truncates_to_fewest_references() -> Result<(), ScoringError> {
        let references = vec![vec!["a b c d", "x"], vec!["e f g h"]];
        let with_truncation = lm_eval_bleu(&references, &["x", "e f g h"])?;
        let single = corpus_bleu(
            &["x", "e f g h"],
            &[["a b c d"], ["e f g h"]],
            &BleuOptions::corpus(),
        )?;
        assert_eq!(with_truncation, single.score);
        Ok(())
    }
}
