//! SQuAD answer normalisation, exact match and token F1: the official SQuAD v1.1
//! evaluation script (`normalize_answer`, `exact_match_score`, `f1_score`,
//! `metric_max_over_ground_truths`), and the v2.0 script's `compute_exact` / `compute_f1`
//! (what lm-eval's `squadv2` task gets through Hugging Face evaluate's `squad_v2`, and
//! `coqa` through `transformers`' `squad_metrics`), which differ from v1.1 on empty
//! answers.
//!
//! Scores are fractions in [0, 1]; the scripts' corpus-level numbers are 100 × the mean.

use crate::scoring::python_str;
use std::collections::HashMap;

/// `normalize_answer`: `str.lower()`, delete `string.punctuation`, replace the articles
/// `a`, `an`, `the` (whole words, `re`'s `\b(a|an|the)\b`) by a space, then collapse
/// whitespace (`' '.join(text.split())`). Identical in the v1.1 and v2.0 scripts.
pub fn normalize_answer(text: &str) -> String {
    let lowered = python_str::lower(text);
    let without_punctuation = python_str::remove_punctuation(&lowered);
    let without_articles = remove_articles(&without_punctuation);
    python_str::collapse_whitespace(&without_articles)
}

/// `re.sub(r"\b(a|an|the)\b", " ", text)` with Python's word characters.
fn remove_articles(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut previous_is_word = false;
    let mut index = 0;
    while index < text.len() {
        let rest = &text[index..];
        if !previous_is_word {
            // The alternatives in the pattern's order; at most one is followed by a boundary.
            let found = ["a", "an", "the"].into_iter().find(|article| {
                rest.starts_with(article)
                    && !rest[article.len()..]
                        .chars()
                        .next()
                        .is_some_and(python_str::is_word_character)
            });
            if let Some(article) = found {
                output.push(' ');
                index += article.len();
                previous_is_word = true;
                continue;
            }
        }
        let Some(character) = rest.chars().next() else {
            break;
        };
        output.push(character);
        previous_is_word = python_str::is_word_character(character);
        index += character.len_utf8();
    }
    output
}

/// Tokens of a normalised answer (`normalize_answer(text).split()`).
pub fn answer_tokens(text: &str) -> Vec<String> {
    python_str::split_whitespace(&normalize_answer(text))
        .map(str::to_string)
        .collect()
}

/// Number of tokens two bags share (`sum((Counter(a) & Counter(b)).values())`).
fn shared_token_count(left: &[String], right: &[String]) -> usize {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for token in left {
        *counts.entry(token.as_str()).or_default() += 1;
    }
    let mut shared = 0;
    for token in right {
        if let Some(count) = counts.get_mut(token.as_str()) {
            if *count > 0 {
                *count -= 1;
                shared += 1;
            }
        }
    }
    shared
}

/// `(2 * precision * recall) / (precision + recall)` with the scripts' operation order.
fn token_f1(shared: usize, prediction_tokens: usize, reference_tokens: usize) -> f64 {
    let precision = 1.0 * shared as f64 / prediction_tokens as f64;
    let recall = 1.0 * shared as f64 / reference_tokens as f64;
    (2.0 * precision * recall) / (precision + recall)
}

/// v1.1 `exact_match_score(prediction, ground_truth)`: 1.0 if the normalised answers are
/// equal, else 0.0.
pub fn squad_exact_match(prediction: &str, ground_truth: &str) -> f64 {
    if normalize_answer(prediction) == normalize_answer(ground_truth) {
        1.0
    } else {
        0.0
    }
}

/// v1.1 `f1_score(prediction, ground_truth)`: token-overlap F1 of the normalised answers;
/// 0.0 when no token is shared, including when either answer normalises to nothing.
pub fn squad_f1(prediction: &str, ground_truth: &str) -> f64 {
    let prediction_tokens = answer_tokens(prediction);
    let ground_truth_tokens = answer_tokens(ground_truth);
    let shared = shared_token_count(&prediction_tokens, &ground_truth_tokens);
    if shared == 0 {
        return 0.0;
    }
    token_f1(shared, prediction_tokens.len(), ground_truth_tokens.len())
}

/// v2.0 `compute_exact(a_gold, a_pred)` (same as v1.1's exact match).
pub fn squad_v2_exact(prediction: &str, gold: &str) -> f64 {
    squad_exact_match(prediction, gold)
}

/// v2.0 `compute_f1(a_gold, a_pred)`: as [`squad_f1`], except that when either answer
/// has no token (an unanswerable question, or an abstaining prediction) it is 1.0 if both
/// have none and 0.0 otherwise.
pub fn squad_v2_f1(prediction: &str, gold: &str) -> f64 {
    let prediction_tokens = answer_tokens(prediction);
    let gold_tokens = answer_tokens(gold);
    if prediction_tokens.is_empty() || gold_tokens.is_empty() {
        return if prediction_tokens == gold_tokens {
            1.0
        } else {
            0.0
        };
    }
    let shared = shared_token_count(&prediction_tokens, &gold_tokens);
    if shared == 0 {
        return 0.0;
    }
    token_f1(shared, prediction_tokens.len(), gold_tokens.len())
}

/// `metric_max_over_ground_truths(metric_fn, prediction, ground_truths)`: the best score
/// over the references; `None` for no references (Python's `max([])` raises).
pub fn max_over_ground_truths<S: AsRef<str>>(
    metric: impl Fn(&str, &str) -> f64,
    prediction: &str,
    ground_truths: &[S],
) -> Option<f64> {
    ground_truths
        .iter()
        .map(|truth| metric(prediction, truth.as_ref()))
        .reduce(f64::max)
}

/// Per-question scores of the v2.0 script (`get_raw_scores`): exact match and F1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SquadScores {
    pub exact: f64,
    pub f1: f64,
}

/// One question of the v2.0 script's `get_raw_scores`: answers that normalise to nothing
/// are dropped, no answer left means the question is unanswerable (the gold is `""`), and
/// each score is the maximum over the golds.
pub fn squad_v2_scores<S: AsRef<str>>(prediction: &str, gold_answers: &[S]) -> SquadScores {
    let mut golds: Vec<&str> = gold_answers
        .iter()
        .map(AsRef::as_ref)
        .filter(|answer| !normalize_answer(answer).is_empty())
        .collect();
    if golds.is_empty() {
        golds.push("");
    }
    SquadScores {
        exact: max_over_ground_truths(squad_v2_exact, prediction, &golds).unwrap_or(0.0),
        f1: max_over_ground_truths(squad_v2_f1, prediction, &golds).unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_the_script() {
        assert_eq!(normalize_answer("The  Cat, a hat!"), "cat hat");
        assert_eq!(
            normalize_answer("An apple and THE  pear."),
            "apple and pear"
        );
        assert_eq!(normalize_answer("theatre another a."), "theatre another");
        assert_eq!(normalize_answer(""), "");
        // Python's \w includes '²' (category No): no boundary, the article stays.
        assert_eq!(normalize_answer("a²"), "a²");
        assert_eq!(normalize_answer("a-b"), "ab");
        assert_eq!(normalize_answer("à la carte"), "à la carte");
    }

    #[test]
    fn f1_counts_shared_tokens_with_multiplicity() {
        assert_eq!(squad_f1("the cat sat", "cat sat down"), 0.8);
        assert_eq!(squad_f1("cat cat", "cat"), 2.0 * 0.5 / 1.5);
        assert_eq!(squad_f1("dog", "cat"), 0.0);
    }

    #[test]
    fn empty_answers_differ_between_v1_and_v2() {
        assert_eq!(squad_f1("", ""), 0.0);
        assert_eq!(squad_v2_f1("", ""), 1.0);
        assert_eq!(squad_v2_f1("the", ""), 1.0);
        assert_eq!(squad_v2_f1("cat", ""), 0.0);
        assert_eq!(squad_exact_match("", "the"), 1.0);
    }

    #[test]
    fn maximum_over_references() {
        let best = max_over_ground_truths(squad_f1, "blue car", &["red car", "blue car"]);
        assert_eq!(best, Some(1.0));
        assert_eq!(max_over_ground_truths(squad_f1, "x", &[] as &[&str]), None);
        let scores = squad_v2_scores("", &["the", "."]);
        assert_eq!(
            scores,
            SquadScores {
                exact: 1.0,
                f1: 1.0
            }
        );
    }
}
