//! The `Backend` trait: what yardstick asks of an inference engine, whatever it is
//! (in-process llama.cpp today, OpenAI-compatible servers later), its request and response
//! types, and the capability model that lets a run refuse, before starting, a backend that
//! cannot answer it honestly (e.g. loglikelihood tasks on a server without logprobs).
//!
//! This crate defines contracts only: no inference, no I/O.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a backend can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Log-probabilities of a continuation given a context.
    pub loglikelihood: bool,
    /// Text generation with stop sequences.
    pub generate: bool,
    /// Tokenize and detokenize with the model's own vocabulary.
    pub tokenize: bool,
    /// A chat template is available.
    pub chat_template: bool,
}

/// Static facts about a loaded backend, recorded in run fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendDescription {
    /// e.g. `llamacpp`.
    pub kind: String,
    /// Engine version, e.g. the llama.cpp build number.
    pub engine_version: String,
    /// How loglikelihood requests are batched (documented per backend); part of the
    /// fingerprint because it could change scores.
    pub batching_scheme: String,
    /// Inference threads.
    pub threads: u32,
    pub capabilities: Capabilities,
    /// Context window the backend was loaded with, in tokens.
    pub context_tokens: u32,
    /// What the backend cannot do, each with the reason, found before any item is scored
    /// (e.g. a server that ignores `echo`). A run refuses a task that needs one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<Unavailable>,
}

/// What a task asks of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// Loglikelihoods of continuations (`loglikelihood`, `multiple_choice`).
    Loglikelihood,
    /// The loglikelihood of whole texts (`loglikelihood_rolling`).
    RollingLoglikelihood,
    /// Text generation (`generate_until`).
    Generate,
    /// The model's chat template applied to a conversation (`--apply-chat-template`).
    ChatTemplate,
}

yardstick_core::closed_set!(Need, "capability", {
    Loglikelihood => "loglikelihood",
    RollingLoglikelihood => "rolling_loglikelihood",
    Generate => "generate",
    ChatTemplate => "chat_template",
});

impl Serialize for Need {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Need {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A capability a backend lacks, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    pub need: Need,
    pub reason: String,
}

impl BackendDescription {
    /// Why the backend cannot serve `need`, or `None` when it can.
    pub fn lacks(&self, need: Need) -> Option<&str> {
        Unavailable::reason_in(&self.unavailable, need)
    }
}

impl Unavailable {
    /// Why `need` is unavailable according to `list`, or `None` when it is not listed.
    pub fn reason_in(list: &[Unavailable], need: Need) -> Option<&str> {
        list.iter()
            .find(|unavailable| unavailable.need == need)
            .map(|unavailable| unavailable.reason.as_str())
    }
}

/// One (context, continuation) pair to score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuationPair {
    pub context: String,
    pub continuation: String,
}

/// All the pairs of one dataset item (e.g. the four choices of a question). A backend scores
/// them as a unit and may share the KV cache of their common token prefix; the result must
/// depend only on this request, never on what else is being scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoglikelihoodRequest {
    pub pairs: Vec<ContinuationPair>,
}

/// The score of one continuation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContinuationScore {
    /// Sum of the log-probabilities (natural log) of the continuation's tokens.
    pub loglikelihood: f64,
    /// Whether greedy decoding from the context would produce exactly these tokens.
    pub is_greedy: bool,
    /// Number of continuation tokens scored.
    pub continuation_tokens: u32,
    /// Number of context tokens (including BOS when the model adds one).
    pub context_tokens: u32,
}

/// A generation request: greedy unless `sampling` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub prompt: String,
    pub max_tokens: u32,
    /// Generation stops before the first occurrence of any of these strings.
    pub stop: Vec<String>,
    /// Keep generating through end-of-sequence tokens (for speed measurements).
    pub ignore_eos: bool,
    /// Seeded random sampling instead of greedy decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
}

/// Random sampling settings, applied in the order Hugging Face's `generate` applies them:
/// temperature, then top-k, then top-p (nucleus); the draw uses a ChaCha20 generator seeded
/// with `seed`, so the same request gives the same text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f64,
    pub top_k: Option<u32>,
    pub top_p: Option<f64>,
    pub seed: u64,
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A stop sequence was produced (it is not part of the text).
    Stop,
    /// The model produced its end-of-sequence token.
    EndOfSequence,
    /// `max_tokens` was reached.
    Length,
}

/// Timing of one generation, measured by the backend with a monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GenerationTiming {
    /// From the request to the first generated token (prefill included).
    pub time_to_first_token: Duration,
    /// Time spent evaluating the prompt.
    pub prefill: Duration,
    /// Time from the first generated token to the last.
    pub decode: Duration,
}

/// A finished generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub finish_reason: FinishReason,
    pub timing: GenerationTiming,
}

/// The loglikelihood of a whole text, scored in lm-eval's rolling windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RollingScore {
    /// Sum of the log-probabilities (natural log) of every token of the text.
    pub loglikelihood: f64,
    /// Tokens scored (BOS included where the model adds one, as lm-eval's HF backend does).
    pub tokens: u32,
    /// Windows the text was split into.
    pub windows: u32,
}

/// How a conversation rendered with a chat template ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatEnd {
    /// The assistant's turn is opened for the model to write (`add_generation_prompt`).
    GenerationPrompt,
    /// The final message is left open for the model to continue (transformers'
    /// `continue_final_message`; lm-eval's rendering of a task's `gen_prefix` as the start
    /// of the assistant's answer): the text ends where the message's content ends.
    ContinueFinalMessage,
}

impl ChatEnd {
    /// lm-eval's rule: a generation prompt, or else the final message continued.
    pub fn from_generation_prompt(add_generation_prompt: bool) -> ChatEnd {
        if add_generation_prompt {
            ChatEnd::GenerationPrompt
        } else {
            ChatEnd::ContinueFinalMessage
        }
    }
}

/// One message for a chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// Errors a backend reports. Each says what was being done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("loading model {path}: {reason}")]
    Load { path: String, reason: String },
    #[error("tokenizing {what}: {reason}")]
    Tokenize { what: String, reason: String },
    #[error("{what} needs {needed} tokens but the context window is {available}")]
    ContextOverflow {
        what: String,
        needed: usize,
        available: usize,
    },
    #[error("inference failed while {what}: {reason}")]
    Inference { what: String, reason: String },
    #[error("this backend cannot {0}")]
    Unsupported(String),
    #[error("inference worker stopped: {0}")]
    WorkerGone(String),
    /// A request to a remote backend failed (HTTP error, rate limit, timeout, dropped
    /// connection, malformed answer). `retryable` failures may succeed when sent again,
    /// after `retry_after` when the server said so.
    #[error("{what}: {cause}")]
    Request {
        what: String,
        /// A short stable label of the cause (`http_503`, `rate_limited`, `timeout`, …).
        cause: String,
        /// The HTTP status when the server answered with an error.
        status: Option<u16>,
        retryable: bool,
        retry_after: Option<Duration>,
    },
}

/// An inference engine. Implementations run inference off the async executor (blocking
/// threads) so that callers never block.
#[async_trait]
pub trait Backend: Send + Sync {
    fn describe(&self) -> BackendDescription;

    /// Scores every pair of one item, lm-eval's way: context and continuation are tokenized
    /// together and split at the context's token length.
    async fn loglikelihood(
        &self,
        request: LoglikelihoodRequest,
    ) -> Result<Vec<ContinuationScore>, BackendError>;

    async fn generate(&self, request: GenerateRequest) -> Result<Generation, BackendError>;

    /// The loglikelihood of `text` as a whole (lm-eval's `loglikelihood_rolling`): the
    /// text's tokens are split into disjoint windows of at most the context length, each
    /// conditioned on the tokens before it in the window (the first on the prefix token).
    async fn loglikelihood_rolling(&self, text: &str) -> Result<RollingScore, BackendError> {
        let _ = text;
        Err(BackendError::Unsupported(
            "score rolling loglikelihoods (loglikelihood_rolling tasks)".into(),
        ))
    }

    /// Tokens of `text`; `add_special` adds BOS where the model's metadata asks for it.
    async fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>, BackendError>;

    async fn detokenize(&self, tokens: &[u32]) -> Result<String, BackendError>;

    /// Whether this backend applies the model's chat template itself to a conversation
    /// ([`Backend::generate_chat`]: a server's chat API) rather than letting the caller
    /// render it with [`Backend::apply_chat_template`].
    fn renders_chat_itself(&self) -> bool {
        false
    }

    /// Generates a reply to a conversation, the backend applying the model's template
    /// (only where [`Backend::renders_chat_itself`]). `request.prompt` is unused.
    async fn generate_chat(
        &self,
        messages: &[ChatMessage],
        request: GenerateRequest,
    ) -> Result<Generation, BackendError> {
        let _ = (messages, request);
        Err(BackendError::Unsupported(
            "generate from a conversation with its own template".into(),
        ))
    }

    /// Renders messages with the model's own chat template, ending as `end` says.
    async fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        end: ChatEnd,
    ) -> Result<String, BackendError>;
}

/// One window of a rolling loglikelihood: the tokens it predicts, and the tokens before them
/// it is conditioned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollingWindow<T> {
    pub context: Vec<T>,
    pub continuation: Vec<T>,
}

/// lm-eval's `get_rolling_token_windows(tokens, prefix_token, max_seq_len, context_len=1)`
/// followed by `make_disjoint_window`: the first window predicts the first `max_seq_len`
/// tokens from the prefix token; each later window predicts the next up to `max_seq_len`
/// tokens, conditioned on the tokens just before them so that the window is `max_seq_len`
/// tokens long. Every token is predicted exactly once, and a window's context plus its
/// continuation but the last token (what the model reads) is at most `max_seq_len` tokens.
pub fn rolling_windows<T: Copy>(
    tokens: &[T],
    prefix_token: T,
    max_seq_len: usize,
) -> Vec<RollingWindow<T>> {
    let max_seq_len = max_seq_len.max(1);
    let mut windows = Vec::new();
    if tokens.is_empty() {
        return windows;
    }
    let first = max_seq_len.min(tokens.len());
    windows.push(RollingWindow {
        context: vec![prefix_token],
        continuation: tokens[..first].to_vec(),
    });
    let mut predicted = first;
    while predicted < tokens.len() {
        let length = (tokens.len() - predicted).min(max_seq_len);
        let end = predicted + length;
        // lm-eval's window is tokens[end - max_seq_len - 1 .. end - 1]; made disjoint, the
        // context is its first max_seq_len - (length - 1) tokens.
        let start = end.saturating_sub(max_seq_len + 1);
        let window = &tokens[start..end - 1];
        let context_len = window.len() - (length - 1);
        windows.push(RollingWindow {
            context: window[..context_len].to_vec(),
            continuation: tokens[end - length..end].to_vec(),
        });
        predicted = end;
    }
    windows
}

#[cfg(test)]
mod rolling_tests {
    use super::*;

    #[test]
    fn rolling_windows_predict_every_token_once_within_the_window() {
        let tokens: Vec<u32> = (10..20).collect();
        let windows = rolling_windows(&tokens, 1, 4);
        let predicted: Vec<u32> = windows
            .iter()
            .flat_map(|window| window.continuation.clone())
            .collect();
        assert_eq!(predicted, tokens);
        assert_eq!(windows[0].context, vec![1]);
        assert_eq!(windows[0].continuation, vec![10, 11, 12, 13]);
        // lm-eval: window tokens[4-1..8-1] = [13, 14, 15, 16] predicting [14..17]; disjoint
        // context = the first 4 - 3 = 1 token.
        assert_eq!(windows[1].context, vec![13]);
        assert_eq!(windows[1].continuation, vec![14, 15, 16, 17]);
        assert_eq!(windows[2].context, vec![15, 16, 17]);
        assert_eq!(windows[2].continuation, vec![18, 19]);
        assert!(windows
            .iter()
            .all(|window| window.context.len() + window.continuation.len() - 1 <= 4));
        assert!(rolling_windows::<u32>(&[], 1, 4).is_empty());
    }
}
