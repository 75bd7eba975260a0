//! One runnable item of a task (what the model is asked, what the answer is checked
//! against) and the selection of which items to run.

use crate::context::{self, ChatTurn, Message};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use yardstick_backend::{ContinuationPair, LoglikelihoodRequest};
use yardstick_core::{sha256_hex, StreamHasher};

/// Sampling settings of a generative item (`do_sample: true`).
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingSpec {
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
}

/// What the model is asked for, per output type.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `multiple_choice`: score every pair of [`TaskItem::request`], pick the most likely.
    Choices,
    /// `loglikelihood`: score the single pair of [`TaskItem::request`].
    Loglikelihood,
    /// `loglikelihood_rolling`: the loglikelihood of the whole text, lm-eval's windows.
    Rolling { text: String },
    /// `generate_until`: generate from [`TaskItem::context`].
    Generate {
        until: Vec<String>,
        max_tokens: u32,
        /// `None`: greedy.
        sampling: Option<SamplingSpec>,
        /// Generations per item (`repeats`).
        repeats: u32,
    },
}

/// One dataset item, ready to be run.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskItem {
    /// Position in the evaluation split after `process_docs`, in dataset order (0-based).
    pub index: u64,
    /// The dataset's own id (`id`, `idx`, `ind`, `task_id`, `question_id` field).
    pub id: Option<String>,
    /// The prompt as plain text: description + few-shot examples + `doc_to_text` (the first
    /// input's for multiple-input tasks).
    pub context: String,
    /// The choices, without the target delimiter (the contexts' variable parts for
    /// multiple-input tasks, as lm-eval's `doc_to_choice`).
    pub choices: Vec<String>,
    /// Index of the gold choice (0 when the task has no choices).
    pub gold: usize,
    /// The loglikelihood pairs (empty for generative and rolling items).
    pub request: LoglikelihoodRequest,
    pub kind: ItemKind,
    /// Reference answers of a generative item (doc_to_target; several for lists).
    pub references: Vec<String>,
    /// Indices into the few-shot docs of the examples in the prompt, in prompt order.
    pub fewshot: Vec<usize>,
    /// The prompt as lm-eval's messages (one list per input), for chat templates.
    pub messages: Vec<Vec<Message>>,
    /// The doc after `process_docs` (process_results hooks read it).
    pub doc: Map<String, Value>,
    pub(super) target_delimiter: String,
    pub(super) gen_prefix: Option<String>,
    /// Multiple-input continuation (the shared target), when the task has several inputs.
    pub(super) shared_continuation: Option<String>,
}

impl TaskItem {
    /// Adds the rendered prompt(s), continuations, few-shot ids and references to a hash.
    pub fn hash_into(&self, hasher: &mut StreamHasher) {
        hasher.update(&self.context);
        for pair in &self.request.pairs {
            hasher.update(&pair.context);
            hasher.update(&pair.continuation);
        }
        if let ItemKind::Rolling { text } = &self.kind {
            hasher.update(text);
        }
        for reference in &self.references {
            hasher.update(reference);
        }
        let fewshot: Vec<String> = self.fewshot.iter().map(usize::to_string).collect();
        hasher.update(&fewshot.join(","));
    }

    /// The chat messages of each input, as lm-eval's `--apply_chat_template` without
    /// `--fewshot_as_multiturn` gives them to the template: the system message, then few-shot
    /// examples and the question as one user message, then the `gen_prefix` (if any) as an
    /// assistant message. The bool: whether to add the generation prompt (no `gen_prefix`).
    pub fn chat_turns(&self) -> (Vec<Vec<ChatTurn>>, bool) {
        let turns = self
            .messages
            .iter()
            .map(|messages| context::single_turn(messages))
            .collect();
        (turns, self.gen_prefix.is_none())
    }

    /// The chat messages of each input with few-shot examples as their own user and
    /// assistant turns (lm-eval's `--fewshot_as_multiturn`); the bool as in
    /// [`TaskItem::chat_turns`].
    pub fn chat_turns_multiturn(&self) -> (Vec<Vec<ChatTurn>>, bool) {
        let turns = self
            .messages
            .iter()
            .map(|messages| context::multi_turn(messages))
            .collect();
        (turns, self.gen_prefix.is_none())
    }

    /// The item with its contexts replaced by chat-template renderings of
    /// [`TaskItem::chat_turns`] (one per input). Multiple-choice continuations lose the
    /// target delimiter unless a `gen_prefix` without trailing whitespace precedes them, as
    /// in lm-eval's `construct_requests`.
    pub fn with_chat_contexts(&self, contexts: Vec<String>) -> Result<TaskItem, String> {
        if contexts.len() != self.messages.len() {
            return Err(format!(
                "{} chat contexts for {} inputs",
                contexts.len(),
                self.messages.len()
            ));
        }
        let delimiter = match &self.gen_prefix {
            Some(prefix) if !prefix.ends_with(crate::python::is_space) => {
                self.target_delimiter.clone()
            }
            _ => String::new(),
        };
        let mut item = self.clone();
        item.set_contexts(contexts, &delimiter);
        Ok(item)
    }

    /// Sets the rendered contexts and rebuilds the loglikelihood pairs.
    pub(super) fn set_contexts(&mut self, contexts: Vec<String>, delimiter: &str) {
        self.context = contexts.first().cloned().unwrap_or_default();
        let pairs = match (&self.kind, &self.shared_continuation) {
            (ItemKind::Choices, Some(target)) => contexts
                .iter()
                .map(|context| ContinuationPair {
                    context: context.clone(),
                    continuation: format!("{delimiter}{target}"),
                })
                .collect(),
            (ItemKind::Choices, None) => self
                .choices
                .iter()
                .map(|choice| ContinuationPair {
                    context: self.context.clone(),
                    continuation: format!("{delimiter}{choice}"),
                })
                .collect(),
            (ItemKind::Loglikelihood, _) => self
                .references
                .first()
                .map(|target| ContinuationPair {
                    context: self.context.clone(),
                    continuation: target.clone(),
                })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        self.request = LoglikelihoodRequest { pairs };
    }
}

/// Which items of a task to run, and the prompt options that apply to all of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// The first N items (after `samples`, if both are given).
    pub limit: Option<u64>,
    /// Only these item indices (`--samples`).
    pub indices: Option<BTreeSet<u64>>,
    /// lm-eval's `--system_instruction`: placed before the description (plain text) or as
    /// the system message (chat templates).
    pub system_instruction: Option<String>,
}

impl Selection {
    pub fn first(limit: Option<u64>) -> Selection {
        Selection {
            limit,
            ..Selection::default()
        }
    }

    pub(super) fn includes(&self, index: u64) -> bool {
        self.indices
            .as_ref()
            .is_none_or(|indices| indices.contains(&index))
    }

    /// sha256 of the chosen indices, for the fingerprint.
    pub fn indices_sha256(&self) -> Option<String> {
        self.indices.as_ref().map(|indices| {
            let text: Vec<String> = indices.iter().map(u64::to_string).collect();
            sha256_hex(text.join(",").as_bytes())
        })
    }
}
