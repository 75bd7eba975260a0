//! IFEval (Zhou et al. 2023, "Instruction-Following Evaluation for Large Language Models"):
//! the 25 instruction checkers, run on a response exactly as lm-eval's `ifeval` task runs
//! the reference Python (`instructions.py`), in a strict and a loose form, and NLTK's Punkt
//! sentence splitter with its English parameters, which the sentence-count checker needs.
//!
//! Pure functions: no I/O, no randomness, no clock. The task config, the dataset and the
//! metrics live in `yardstick-tasks`.
//!
//! Where the reference is random, it is pinned: language detection (Python `langdetect`,
//! reproduced bit for bit by the `langdetect` crate) runs with seed 0, and an argument for
//! which the reference would draw a random value is an error, except `letter_frequency`'s
//! `letter` that is not an ASCII letter (IFEval's `#` and `!`), where the character given is
//! counted instead of a random letter. `tests/reference_verdicts.rs` checks every verdict
//! against lm-eval's own on IFEval's 541 prompts.
//!
//! Modules: [`evaluate()`] (strict and loose), `checkers` (one submodule per instruction
//! group), [`punkt`] (sentences), [`word_tokenize`] (NLTK's `word_tokenize`),
//! `language_detection`, and Python semantics: [`python_str`] (whitespace, `re`'s `\w`,
//! `isupper`) and `python_json` (what `json.loads` accepts).

mod checkers;
mod evaluate;
mod language_detection;
pub mod punkt;
mod python_json;
pub mod python_str;
pub mod word_tokenize;

pub use checkers::INSTRUCTION_IDS;
pub use evaluate::evaluate;

use serde_json::{Map, Value};

/// What is wrong with an instruction of a prompt.
#[derive(Debug, thiserror::Error)]
pub enum IfevalError {
    /// The instruction id is not one of IFEval's 25.
    #[error("unknown IFEval instruction `{id}` (known: {known})")]
    UnknownInstruction { id: String, known: String },
    /// An instruction's keyword arguments are missing, unexpected or of the wrong type, or
    /// would make the reference draw a random value or raise.
    #[error("instruction `{id}`: {message}")]
    Arguments { id: String, message: String },
}

/// One instruction of a prompt: its id (`punctuation:no_comma`) and keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    pub id: String,
    pub kwargs: Map<String, Value>,
}

/// Whether each instruction of a prompt was followed, in the prompt's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts {
    /// The response as it is.
    pub strict: Vec<bool>,
    /// Followed by the response or one of its seven loosened forms.
    pub loose: Vec<bool>,
}
