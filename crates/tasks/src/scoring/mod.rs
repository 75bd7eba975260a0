//! Metric functions for generated and classified outputs, each reproducing a named Python
//! function that lm-evaluation-harness (0.4) uses, to the last bit where the arithmetic
//! allows. Pure functions: no I/O, no clock, randomness only from a passed seed.
//!
//! - [`exact_match`]: lm-eval's `exact_match_hf_evaluate`, and the any-reference rule of
//!   list targets (triviaqa).
//! - [`squad`]: SQuAD v1.1 / v2.0 answer normalisation, exact match and token F1.
//! - [`bleu`]: sacrebleu's `corpus_bleu` / `sentence_bleu` with the `13a`, `intl` and `none`
//!   tokenizers ([`bleu_tokenize`]); lm-eval's `bleu` aggregation; truthfulqa's `bleu`.
//! - [`rouge`]: rouge-score's rouge1/rouge2/rougeL/rougeLsum (no stemmer); truthfulqa's
//!   `rouge`.
//! - [`classification`]: lm-eval's `f1` and `matthews_corrcoef` aggregations (scikit-learn).
//! - [`aggregation`]: `median`, `nanmean`, `perplexity`, `weighted_perplexity`,
//!   `bits_per_byte`, and `loglikelihood_rolling`'s word and byte counts.
//! - [`diversity`]: distinct-n, self-BLEU, compression ratio and embedding diversity of a
//!   task's answers (creativity), and the cosine of sentence embeddings.
//! - [`refusal`]: refusal classifiers of the safety tasks (XSTest's string match, GCG's
//!   substring match), checked against XSTest's labels by `tests/refusal_classifier.rs`.
//! - [`stderr`]: lm-eval's choice of standard error, its bootstrap reproduced draw for draw
//!   (with [`crate::fewshot::PyRandom`]), and a bootstrap seeded by the caller.
//!
//! Text is handled with Python's rules ([`python_str`]: whitespace, word characters,
//! lowercase) and task regular expressions with Python's `re` meaning ([`crate::python_regex`]).
//! `tests/scoring_reference.rs` checks every function against values computed by the
//! Python libraries themselves (`tests/scoring_reference/make_reference.py`).

pub mod aggregation;
pub mod bleu;
pub mod bleu_tokenize;
pub mod classification;
pub mod diversity;
pub mod exact_match;
pub mod python_str;
pub mod refusal;
pub mod rouge;
pub mod squad;
pub mod stderr;

pub use aggregation::{
    bits_per_byte, count_bytes, count_words, median, nanmean, perplexity, weighted_perplexity,
    RollingItem,
};
pub use bleu::{
    corpus_bleu, lm_eval_bleu, sentence_bleu, truthfulqa_bleu, BleuOptions, BleuScore, Smooth,
};
pub use bleu_tokenize::Tokenize;
pub use classification::{f1_score, matthews_corrcoef};
pub use exact_match::{exact_match, exact_match_any, ExactMatchOptions, ExactMatcher};
pub use refusal::{RefusalMethod, GCG_TEST_PREFIXES, XSTEST_REFUSAL_PREFIXES};
pub use rouge::{
    rouge_l, rouge_lsum, rouge_n, rouge_tokenize, truthfulqa_rouge, RougeKind, RougeScore,
    TruthfulqaRouge,
};
pub use squad::{
    max_over_ground_truths, normalize_answer, squad_exact_match, squad_f1, squad_v2_exact,
    squad_v2_f1, squad_v2_scores, SquadScores,
};
pub use stderr::{
    bootstrap_resample_count, bootstrap_stderr, lm_eval_bootstrap_stderr, stderr_policy,
    LmEvalAggregation, StderrPolicy, DEFAULT_BOOTSTRAP_ITERS,
};

/// What went wrong computing a metric, with the metric and the offending input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoringError {
    /// A Python regular expression (`regexes_to_ignore`) that does not compile.
    #[error("regular expression `{pattern}` does not compile: {message}")]
    InvalidRegex { pattern: String, message: String },

    /// A regular expression that failed while matching (backtracking limit).
    #[error("regular expression `{pattern}` failed while matching: {message}")]
    RegexRuntime { pattern: String, message: String },

    /// A metric given nothing to score where the Python function raises or returns NaN.
    #[error("{what}: no items to score")]
    EmptyInput { what: &'static str },

    /// Two inputs that must pair up have different lengths.
    #[error("{what}: {left} {left_name} but {right} {right_name}")]
    LengthMismatch {
        what: &'static str,
        left_name: &'static str,
        left: usize,
        right_name: &'static str,
        right: usize,
    },

    /// An item with an empty list of references.
    #[error("{what}: item {index} has no reference")]
    NoReferences { what: &'static str, index: usize },

    /// Binary F1 over labels that are not binary with positive label 1.
    #[error(
        "f1: labels {labels:?} are not binary with positive label 1 (scikit-learn's \
         average='binary', pos_label=1)"
    )]
    NotBinary { labels: Vec<i64> },

    /// An option with a value of the wrong type.
    #[error("{what}: option `{key}` is {given}, expected {expected}")]
    InvalidOption {
        what: &'static str,
        key: String,
        given: String,
        expected: &'static str,
    },

    /// An option value outside the supported set.
    #[error("unknown {what} `{given}`; valid: {valid}")]
    UnknownOption {
        what: &'static str,
        given: String,
        valid: &'static str,
    },
}
