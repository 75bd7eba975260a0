//! Per-item results: what a run records for each dataset item it scored.

use serde::{Deserialize, Serialize};

/// The outcome of scoring one multiple-choice (or loglikelihood) item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Position of the item in the dataset, in dataset order (0-based).
    pub item_index: u64,
    /// The dataset's own id for the item, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// Sum of token log-probabilities of each choice's continuation.
    pub choice_loglikelihoods: Vec<f64>,
    /// Whether each choice's continuation is the greedy one (lm-eval's `is_greedy`).
    pub choice_is_greedy: Vec<bool>,
    /// Index of the gold choice.
    pub gold: usize,
    /// argmax of the loglikelihoods (first on ties).
    pub prediction: usize,
    /// argmax of the length-normalised loglikelihoods (first on ties).
    pub prediction_norm: usize,
    /// The per-item metric values (e.g. `acc` = 1.0 or 0.0, `acc_norm`). For generative
    /// tasks with named filters the name is `metric,filter` as lm-eval reports it.
    pub metrics: Vec<(String, f64)>,
    /// Weights of weighted metrics (`word_perplexity` → word count, `bits_per_byte` → bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<(String, f64)>,
    /// Generated texts (one per repeat) of a `generate_until` item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<String>,
    /// The answer each filter pipeline extracted: (filter name, answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filtered: Vec<(String, String)>,
    /// The reference answers a generation is compared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Each generation run against the task's tests (code tasks), in sample order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executions: Vec<crate::execution::Execution>,
}

impl ItemResult {
    pub fn correct(&self) -> bool {
        self.prediction == self.gold
    }

    /// The weight of a weighted metric for this item.
    pub fn weight(&self, name: &str) -> Option<f64> {
        self.weights
            .iter()
            .find(|(metric, _)| metric == name)
            .map(|(_, value)| *value)
    }

    /// The answer a filter pipeline extracted.
    pub fn filtered_answer(&self, filter: &str) -> Option<&str> {
        self.filtered
            .iter()
            .find(|(name, _)| name == filter)
            .map(|(_, answer)| answer.as_str())
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(metric, _)| metric == name)
            .map(|(_, value)| *value)
    }
}
