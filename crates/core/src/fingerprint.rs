//! Run fingerprints: everything that can change a score, recorded with every run.
//!
//! Two runs with the same fingerprint id must produce bit-identical per-item scores; the
//! test suite checks this against the real models.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What identifies the task side of a run: its definition, data and rendered prompts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFingerprint {
    pub task: String,
    /// sha256 of the resolved task definition (after includes), as canonical JSON.
    pub task_hash: String,
    /// sha256 of each dataset file the task read, by file name.
    pub dataset_sha256: BTreeMap<String, String>,
    /// sha256 over every rendered prompt (context and continuations) of the selected items.
    pub prompt_hash: String,
    /// `--limit` as given (None: the whole dataset).
    pub limit: Option<u64>,
    /// Number of items selected.
    pub items: u64,
    /// sha256 of the chosen item indices (`--samples`), when items were chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_sha256: Option<String>,
}

/// Everything that can change the scores of one model on one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub model: String,
    pub model_sha256: String,
    pub task: TaskFingerprint,
    pub yardstick_version: String,
    pub git_commit: String,
    pub llama_cpp_version: String,
    pub seed: u64,
    pub batching_scheme: String,
    pub threads: u32,
    /// How prompts were formatted when not plain text (chat template, system instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_format: Option<PromptFormat>,
    /// The server scored through, when the model was not run in-process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointFingerprint>,
}

/// An OpenAI-compatible server that scored a unit: what identifies the weights and the
/// engine behind it as far as the server tells, and every request parameter that could
/// change a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointFingerprint {
    /// The base URL, `http://host:port/v1`.
    pub base_url: String,
    /// The `model` field of every request.
    pub served_model: String,
    /// `completions` or `chat`: the API generations went to.
    pub api: String,
    /// The served model's entry in `GET /models`, as canonical JSON (`max_model_len`,
    /// `owned_by`, `root`… as the server reports them).
    pub model_entry: String,
    /// The `server` (or vendor version) header of the server's answers.
    pub server_version: Option<String>,
    /// How prompts were split into context and continuation tokens: the server's own
    /// tokenizer through its token offsets, or a named local tokenizer with its sha256.
    pub tokenizer: String,
    /// The fixed request parameters, `name=value` sorted by name (echo, logprobs,
    /// max_tokens, temperature, prompts per request…).
    pub request_parameters: Vec<String>,
}

/// A prompt format other than lm-eval's plain text: the model's chat template (by sha256)
/// and the system instruction, both of which change every prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptFormat {
    /// sha256 of the chat template text (`None`: plain text with a system instruction).
    pub chat_template_sha256: Option<String>,
    pub system_instruction: Option<String>,
    /// Few-shot examples as alternating chat turns (`--fewshot-as-multiturn`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fewshot_as_multiturn: bool,
}

impl Fingerprint {
    /// A short, stable identifier: the first 16 hex digits of the sha256 of the canonical
    /// JSON form (serde_json writes struct fields in declaration order and BTreeMaps sorted).
    pub fn id(&self) -> String {
        short_hash(self)
    }
}

/// The fingerprint of a whole `eval` invocation: the shared settings and one
/// [`Fingerprint`] per model × task unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFingerprint {
    pub yardstick_version: String,
    pub git_commit: String,
    pub llama_cpp_version: String,
    pub seed: u64,
    pub batching_scheme: String,
    pub threads: u32,
    pub units: Vec<Fingerprint>,
}

impl RunFingerprint {
    pub fn id(&self) -> String {
        short_hash(self)
    }
}

/// sha256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn short_hash<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail: no maps with non-string keys, no floats.
    let json = serde_json::to_vec(value).unwrap_or_default();
    let mut digest = sha256_hex(&json);
    digest.truncate(16);
    digest
}

/// Incremental sha256 for hashing many pieces (prompts) in order, with unambiguous framing.
#[derive(Debug, Default, Clone)]
pub struct StreamHasher {
    hasher: Sha256,
}

impl StreamHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one piece, length-prefixed so that ("ab","c") and ("a","bc") differ.
    pub fn update(&mut self, piece: &str) {
        self.hasher.update((piece.len() as u64).to_le_bytes());
        self.hasher.update(piece.as_bytes());
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_hasher_frames_pieces() {
        let mut one = StreamHasher::new();
        one.update("ab");
        one.update("c");
        let mut two = StreamHasher::new();
        two.update("a");
        two.update("bc");
        assert_ne!(one.finish(), two.finish());
    }
}
