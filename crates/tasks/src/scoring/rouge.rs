//! ROUGE as Google's `rouge-score` package (0.1.2) computes it with its default tokenizer
//! and no stemmer (`rouge_scorer.RougeScorer(rouge_types)`), which is how lm-eval's
//! truthfulqa (`lm_eval/tasks/truthfulqa/utils.py`, `rouge`) calls it: `rouge1`, `rouge2`,
//! `rougeLsum` (and `rougeL`).
//!
//! Stemming (`use_stemmer=True`, nltk's Porter stemmer) is not implemented: no lm-eval task
//! that yardstick runs uses it.
//!
//! The functions return rouge-score's raw precision, recall and F-measure in [0, 1];
//! [`truthfulqa_rouge`] returns truthfulqa's F-measure × 100.

use crate::scoring::{python_str, ScoringError};
use std::collections::{BTreeSet, HashMap};

/// rouge-score's `Score`: precision, recall and F-measure, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RougeScore {
    pub precision: f64,
    pub recall: f64,
    pub fmeasure: f64,
}

impl RougeScore {
    /// `scoring.fmeasure(precision, recall)` with the precision and recall.
    fn from_precision_recall(precision: f64, recall: f64) -> RougeScore {
        let fmeasure = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        RougeScore {
            precision,
            recall,
            fmeasure,
        }
    }
}

/// rouge-score's default tokenizer (`tokenize.tokenize(text, stemmer=None)`): `str.lower()`,
/// every run of characters other than `[a-z0-9]` becomes a separator, empty tokens are
/// dropped. Non-ASCII letters therefore separate words and are lost (`"café"` → `["caf"]`).
pub fn rouge_tokenize(text: &str) -> Vec<String> {
    python_str::lower(text)
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|token| !token.is_empty())
        .map(str::to_string)
        .collect()
}

/// `_create_ngrams(tokens, n)`.
fn ngram_counts(tokens: &[String], n: usize) -> HashMap<&[String], u64> {
    let mut counts = HashMap::new();
    for window in tokens.windows(n) {
        *counts.entry(window).or_default() += 1;
    }
    counts
}

/// `_score_ngrams`: clipped n-gram overlap; precision and recall divide by at least 1.
fn score_ngrams(target: &[String], prediction: &[String], n: usize) -> RougeScore {
    let target_counts = ngram_counts(target, n);
    let prediction_counts = ngram_counts(prediction, n);
    let overlap: u64 = target_counts
        .iter()
        .map(|(ngram, count)| (*count).min(prediction_counts.get(ngram).copied().unwrap_or(0)))
        .sum();
    let target_total: u64 = target_counts.values().sum();
    let prediction_total: u64 = prediction_counts.values().sum();
    RougeScore::from_precision_recall(
        overlap as f64 / prediction_total.max(1) as f64,
        overlap as f64 / target_total.max(1) as f64,
    )
}

/// `rougeN` of `RougeScorer.score(target, prediction)` for `n ≥ 1` (`n = 0` is an error,
/// as rouge-score raises).
pub fn rouge_n(target: &str, prediction: &str, n: usize) -> Result<RougeScore, ScoringError> {
    if n == 0 {
        return Err(ScoringError::UnknownOption {
            what: "ROUGE n-gram order",
            given: n.to_string(),
            valid: "1 or more",
        });
    }
    Ok(score_ngrams(
        &rouge_tokenize(target),
        &rouge_tokenize(prediction),
        n,
    ))
}

/// `_lcs_table(ref, can)`.
fn lcs_table(reference: &[String], candidate: &[String]) -> Vec<Vec<u32>> {
    let mut table = vec![vec![0u32; candidate.len() + 1]; reference.len() + 1];
    for i in 1..=reference.len() {
        for j in 1..=candidate.len() {
            table[i][j] = if reference[i - 1] == candidate[j - 1] {
                table[i - 1][j - 1] + 1
            } else {
                table[i - 1][j].max(table[i][j - 1])
            };
        }
    }
    table
}

/// `lcs_ind(ref, can)`: the reference indices of one longest common subsequence, read out
/// by `_backtrack_norec` (its tie-breaking decides which one, and so the summary score).
fn lcs_indices(reference: &[String], candidate: &[String]) -> Vec<usize> {
    let table = lcs_table(reference, candidate);
    let (mut i, mut j) = (reference.len(), candidate.len());
    let mut indices = Vec::new();
    while i > 0 && j > 0 {
        if reference[i - 1] == candidate[j - 1] {
            indices.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i][j - 1] > table[i - 1][j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    indices.reverse();
    indices
}

/// `rougeL` of `RougeScorer.score`: longest common subsequence over the whole texts.
pub fn rouge_l(target: &str, prediction: &str) -> RougeScore {
    let target = rouge_tokenize(target);
    let prediction = rouge_tokenize(prediction);
    if target.is_empty() || prediction.is_empty() {
        return RougeScore::default();
    }
    let table = lcs_table(&target, &prediction);
    let lcs = f64::from(table[target.len()][prediction.len()]);
    RougeScore::from_precision_recall(lcs / prediction.len() as f64, lcs / target.len() as f64)
}

/// The sentences of `rougeLsum` without `split_summaries`: the text split on `"\n"`, empty
/// pieces dropped (before tokenizing, so a piece of punctuation stays, with no tokens).
fn summary_sentences(text: &str) -> Vec<Vec<String>> {
    text.split('\n')
        .filter(|sentence| !sentence.is_empty())
        .map(rouge_tokenize)
        .collect()
}

/// `rougeLsum` of `RougeScorer.score` (`_summary_level_lcs`): for each target sentence, the
/// union of its LCS with every prediction sentence, counted without reusing a token more
/// often than it occurs on either side.
pub fn rouge_lsum(target: &str, prediction: &str) -> RougeScore {
    let reference_sentences = summary_sentences(target);
    let candidate_sentences = summary_sentences(prediction);
    if reference_sentences.is_empty() || candidate_sentences.is_empty() {
        return RougeScore::default();
    }
    let reference_length: usize = reference_sentences.iter().map(Vec::len).sum();
    let candidate_length: usize = candidate_sentences.iter().map(Vec::len).sum();
    if reference_length == 0 || candidate_length == 0 {
        return RougeScore::default();
    }
    let mut reference_counts: HashMap<&str, i64> = HashMap::new();
    let mut candidate_counts: HashMap<&str, i64> = HashMap::new();
    for token in reference_sentences.iter().flatten() {
        *reference_counts.entry(token).or_default() += 1;
    }
    for token in candidate_sentences.iter().flatten() {
        *candidate_counts.entry(token).or_default() += 1;
    }
    let mut hits = 0u64;
    for reference in &reference_sentences {
        let union: BTreeSet<usize> = candidate_sentences
            .iter()
            .flat_map(|candidate| lcs_indices(reference, candidate))
            .collect();
        for index in union {
            let token = reference[index].as_str();
            let in_candidate = candidate_counts.get(token).copied().unwrap_or(0);
            let in_reference = reference_counts.get(token).copied().unwrap_or(0);
            if in_candidate > 0 && in_reference > 0 {
                hits += 1;
                candidate_counts.insert(token, in_candidate - 1);
                reference_counts.insert(token, in_reference - 1);
            }
        }
    }
    RougeScore::from_precision_recall(
        hits as f64 / candidate_length as f64,
        hits as f64 / reference_length as f64,
    )
}

/// A ROUGE type by rouge-score's name: `rouge1` … `rouge9`, `rougeL`, `rougeLsum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RougeKind {
    /// `rougeN`, n-gram overlap, n in 1..=9.
    N(u8),
    /// `rougeL`, longest common subsequence over the whole texts.
    L,
    /// `rougeLsum`, summary-level LCS over newline-separated sentences.
    Lsum,
}

impl RougeKind {
    /// `RougeScorer([kind]).score(target, prediction)[kind]`.
    pub fn score(self, target: &str, prediction: &str) -> RougeScore {
        match self {
            RougeKind::N(n) => score_ngrams(
                &rouge_tokenize(target),
                &rouge_tokenize(prediction),
                usize::from(n.max(1)),
            ),
            RougeKind::L => rouge_l(target, prediction),
            RougeKind::Lsum => rouge_lsum(target, prediction),
        }
    }
}

impl std::str::FromStr for RougeKind {
    type Err = ScoringError;

    /// rouge-score's names (its `re.match(r"rouge[0-9]$")` accepts `rouge1`..`rouge9`;
    /// `rouge0` is refused, as rouge-score raises for n ≤ 0).
    fn from_str(name: &str) -> Result<RougeKind, ScoringError> {
        match name {
            "rougeL" => Ok(RougeKind::L),
            "rougeLsum" => Ok(RougeKind::Lsum),
            _ => name
                .strip_prefix("rouge")
                .and_then(|digit| digit.parse::<u8>().ok().filter(|n| (1..=9).contains(n)))
                .filter(|_| name.len() == "rouge1".len())
                .map(RougeKind::N)
                .ok_or_else(|| ScoringError::UnknownOption {
                    what: "ROUGE type",
                    given: name.to_string(),
                    valid: "rouge1 … rouge9, rougeL, rougeLsum",
                }),
        }
    }
}

/// truthfulqa's ROUGE F-measures × 100 for one reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthfulqaRouge {
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_lsum: f64,
}

/// truthfulqa's `rouge([reference], [prediction])`: both texts through `_prepare_summary`
/// (`" . "` → `".\n"`, so that `rougeLsum` sees sentences), then rouge1, rouge2 and
/// rougeLsum F-measures × 100. (The `BootstrapAggregator` it goes through returns the single
/// score unchanged.)
pub fn truthfulqa_rouge(reference: &str, prediction: &str) -> TruthfulqaRouge {
    let reference = reference.replace(" . ", ".\n");
    let prediction = prediction.replace(" . ", ".\n");
    let reference_tokens = rouge_tokenize(&reference);
    let prediction_tokens = rouge_tokenize(&prediction);
    TruthfulqaRouge {
        rouge1: score_ngrams(&reference_tokens, &prediction_tokens, 1).fmeasure * 100.0,
        rouge2: score_ngrams(&reference_tokens, &prediction_tokens, 2).fmeasure * 100.0,
        rouge_lsum: rouge_lsum(&reference, &prediction).fmeasure * 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_keeps_only_ascii_alphanumerics() {
        assert_eq!(
            rouge_tokenize("The Café's 2nd-best, ÉTÉ!"),
            vec!["the", "caf", "s", "2nd", "best", "t"]
        );
        assert!(rouge_tokenize(" ... ").is_empty());
    }

    #[test]
    fn rouge_n_precision_recall() -> Result<(), ScoringError> {
        let score = rouge_n("the cat sat", "the cat", 1)?;
        assert_eq!(score.precision, 1.0);
        assert!((score.recall - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(rouge_n("a", "", 1)?, RougeScore::default());
        assert!(rouge_n("a", "a", 0).is_err());
        Ok(())
    }

    #[test]
    fn rouge_l_and_lsum_on_one_sentence_agree() {
        let l = rouge_l("a b c d e", "a c e b");
        let lsum = rouge_lsum("a b c d e", "a c e b");
        assert_eq!(l, lsum);
        assert_eq!(rouge_lsum("", "a"), RougeScore::default());
    }

    #[test]
    fn lsum_takes_the_union_over_prediction_sentences() {
        // Reference "a b c d"; the two prediction sentences cover "a b" and "c d".
        let score = rouge_lsum("a b c d", "a b\nc d");
        assert_eq!(score.fmeasure, 1.0);
        let whole = rouge_l("a b c d", "c d a b");
        assert!(whole.fmeasure < 1.0);
    }

    #[test]
    fn kinds_parse_and_score() -> Result<(), ScoringError> {
        assert_eq!("rouge2".parse::<RougeKind>()?, RougeKind::N(2));
        assert_eq!("rougeLsum".parse::<RougeKind>()?, RougeKind::Lsum);
        assert!("rouge0".parse::<RougeKind>().is_err());
        assert!("rouge10".parse::<RougeKind>().is_err());
        assert_eq!(
            RougeKind::N(1).score("the cat sat", "the cat"),
            rouge_n("the cat sat", "the cat", 1)?
        );
        Ok(())
    }

    #[test]
    fn truthfulqa_prepares_sentences() {
        let scores = truthfulqa_rouge("c d . a b", "a b . c d");
        assert_eq!(scores.rouge_lsum, 100.0);
        assert_eq!(scores.rouge1, 100.0);
    }
}
