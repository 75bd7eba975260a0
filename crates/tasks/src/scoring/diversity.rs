//! Diversity of a set of generations, for creativity tasks: how varied a model's answers
//! are across prompts. Each measure is corpus-level (over all the task's answers), has one
//! documented definition, and is computed on whitespace tokens of the lower-cased text.
//!
//! - **distinct-n** (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural
//!   Conversation Models"): distinct n-grams over all n-grams of all answers. Higher is more
//!   diverse.
//! - **self-BLEU** (Zhu et al. 2018, Texygen): the mean, over answers, of the sentence BLEU-4
//!   of an answer against all the other answers as references (uniform weights, NLTK's
//!   `SmoothingFunction().method1`: a zero n-gram match count becomes 0.1; the brevity
//!   penalty uses the reference length closest to the answer's, the shorter on ties; no
//!   unigram match gives 0). Lower is more diverse.
//! - **compression ratio** (Shaib et al. 2024, "Standardizing the Measurement of Text
//!   Diversity"): the UTF-8 bytes of the answers joined by spaces over their gzip size at
//!   level 9. Lower is more diverse. The deflate encoder is miniz_oxide, not zlib, so the
//!   ratio can differ from Python's `gzip.compress` in the second or third decimal.
//! - **embedding diversity**: the mean pairwise cosine distance (1 − cos) of the answers'
//!   sentence embeddings (vectors given by the caller). Higher is more diverse.
//!
//! Pure functions of the texts (and vectors): no I/O, no randomness.

use std::collections::HashMap;
use std::io::Write;

/// Per n-gram: the largest count in any text, the index of that text, and the second
/// largest count (in another text).
type TopTwo<'a> = HashMap<&'a [String], (usize, usize, usize)>;

/// The lower-cased whitespace tokens of a text.
fn tokens(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// The n-grams of a token list with their counts.
fn ngram_counts(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if n == 0 || tokens.len() < n {
        return counts;
    }
    for window in tokens.windows(n) {
        *counts.entry(window).or_insert(0) += 1;
    }
    counts
}

/// distinct-n over all texts: distinct n-grams / all n-grams; `None` when the texts have no
/// n-gram at all.
pub fn distinct_n(texts: &[&str], n: usize) -> Option<f64> {
    let tokenized: Vec<Vec<String>> = texts.iter().map(|text| tokens(text)).collect();
    let mut distinct: std::collections::HashSet<&[String]> = std::collections::HashSet::new();
    let mut total = 0usize;
    for tokens in &tokenized {
        if n == 0 || tokens.len() < n {
            continue;
        }
        for window in tokens.windows(n) {
            distinct.insert(window);
            total += 1;
        }
    }
    (total > 0).then(|| distinct.len() as f64 / total as f64)
}

/// The mean self-BLEU-4 of the texts; `None` with fewer than two texts.
pub fn self_bleu(texts: &[&str]) -> Option<f64> {
    const ORDER: usize = 4;
    if texts.len() < 2 {
        return None;
    }
    let tokenized: Vec<Vec<String>> = texts.iter().map(|text| tokens(text)).collect();
    let lengths: Vec<usize> = tokenized.iter().map(Vec::len).collect();
    // Per order: each text's n-gram counts, and per n-gram the two largest counts across
    // texts with the holder of the largest, so that "the most in any other text" is O(1).
    let counts: Vec<Vec<HashMap<&[String], usize>>> = (1..=ORDER)
        .map(|n| {
            tokenized
                .iter()
                .map(|tokens| ngram_counts(tokens, n))
                .collect()
        })
        .collect();
    let top_two: Vec<TopTwo<'_>> = counts
        .iter()
        .map(|per_text| {
            let mut best: TopTwo<'_> = HashMap::new();
            for (index, text_counts) in per_text.iter().enumerate() {
                for (gram, &count) in text_counts {
                    let entry = best.entry(gram).or_insert((0, usize::MAX, 0));
                    if count > entry.0 {
                        *entry = (count, index, entry.0);
                    } else if count > entry.2 {
                        entry.2 = count;
                    }
                }
            }
            best
        })
        .collect();
    let mut sum = 0.0;
    for (index, hypothesis) in tokenized.iter().enumerate() {
        let hypothesis_length = hypothesis.len();
        let mut log_precision = 0.0;
        let mut no_unigram_match = false;
        for order in 0..ORDER {
            let grams = &counts[order][index];
            let total: usize = grams.values().sum();
            let clipped: usize = grams
                .iter()
                .map(|(gram, &count)| {
                    let (first, holder, second) = top_two[order][gram];
                    let most_elsewhere = if holder == index { second } else { first };
                    count.min(most_elsewhere)
                })
                .sum();
            if order == 0 && clipped == 0 {
                no_unigram_match = true;
                break;
            }
            let precision = if clipped == 0 {
                0.1 / total.max(1) as f64
            } else {
                clipped as f64 / total as f64
            };
            log_precision += precision.ln() / ORDER as f64;
        }
        if no_unigram_match || hypothesis_length == 0 {
            continue;
        }
        let reference_length = lengths
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .map(|(_, &length)| length)
            .min_by_key(|&length| (length.abs_diff(hypothesis_length), length))
            .unwrap_or(0);
        let brevity = if hypothesis_length > reference_length {
            1.0
        } else {
            (1.0 - reference_length as f64 / hypothesis_length as f64).exp()
        };
        sum += brevity * log_precision.exp();
    }
    Some(sum / texts.len() as f64)
}

/// The compression ratio of the texts joined by spaces; `None` for empty text.
pub fn compression_ratio(texts: &[&str]) -> Option<f64> {
    let joined = texts.join(" ");
    if joined.is_empty() {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
    encoder.write_all(joined.as_bytes()).ok()?;
    let compressed = encoder.finish().ok()?;
    Some(joined.len() as f64 / compressed.len() as f64)
}

/// Cosine similarity of two vectors (0 when either is all zeros).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator == 0.0 {
        0.0
    } else {
        dot / denominator
    }
}

/// The mean pairwise cosine distance of the vectors; `None` with fewer than two.
pub fn embedding_diversity(vectors: &[Vec<f32>]) -> Option<f64> {
    let n = vectors.len();
    if n < 2 {
        return None;
    }
    let mut sum = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            sum += 1.0 - cosine(&vectors[i], &vectors[j]);
        }
    }
    Some(sum / (n * (n - 1) / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_n_counts_unique_ngrams_over_all_texts() {
        // Unigrams: the cat sat | the cat ran → 6, distinct {the, cat, sat, ran} = 4.
        let texts = ["The cat sat", "the cat ran"];
        assert_eq!(distinct_n(&texts, 1), Some(4.0 / 6.0));
        // Bigrams: the cat, cat sat, the cat, cat ran → 4, distinct 3.
        assert_eq!(distinct_n(&texts, 2), Some(0.75));
        assert_eq!(distinct_n(&["one"], 2), None);
    }

    #[test]
    fn self_bleu_is_one_for_copies_and_low_for_unrelated_texts() {
        let same = "a quick brown fox jumps over the lazy dog";
        let copies = self_bleu(&[same, same, same]).expect("three texts");
        assert!((copies - 1.0).abs() < 1e-12, "{copies}");
        let unrelated = self_bleu(&["alpha beta gamma delta", "one two three four"]);
        assert_eq!(unrelated, Some(0.0));
        assert_eq!(self_bleu(&[same]), None);
    }

    #[test]
    fn self_bleu_matches_a_hand_computation_with_smoothing() {
        // Hypothesis "a b c d" against "a b c e": unigrams 3/4, bigrams 2/3, trigrams 1/2,
        // 4-grams 0 → 0.1/1; equal lengths, no brevity penalty. Symmetric for the other.
        let value = self_bleu(&["a b c d", "a b c e"]).expect("two texts");
        let expected =
            ((0.75f64.ln() + (2.0f64 / 3.0).ln() + 0.5f64.ln() + 0.1f64.ln()) / 4.0).exp();
        assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
    }

    #[test]
    fn repetitive_text_compresses_better() {
        let varied = compression_ratio(&["The quick brown fox", "jumps over a lazy dog"]);
        let repeated = compression_ratio(&["la la la la la la la la la la la la la la la la"]);
        assert!(repeated.expect("text") > varied.expect("text"));
        assert_eq!(compression_ratio(&[""]), None);
    }

    #[test]
    fn embedding_diversity_is_the_mean_pairwise_cosine_distance() {
        let vectors = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 0.0]];
        // Pairs: (0,1) distance 1, (0,2) 0, (1,2) 1 → 2/3.
        let value = embedding_diversity(&vectors).expect("three vectors");
        assert!((value - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(embedding_diversity(&vectors[..1]), None);
    }
}
