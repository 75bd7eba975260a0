//! What the async side and the inference thread say to each other: one [`Command`] per
//! request, each answered on its own oneshot [`Reply`]; the model's facts once it has
//! loaded ([`Ready`]); and the [`TokenEvent`]s of a streaming generation.

use std::time::Instant;

use tokio::sync::oneshot;
use yardstick_backend::{
    BackendError, ContinuationScore, GenerateRequest, Generation, LoglikelihoodRequest,
    RollingScore,
};

use crate::logprobs::{PromptLogprobs, TokenLogprobs};

/// One generated token as the engine produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenEvent {
    pub token: u32,
    /// When it was sampled (its logits computed and the choice made).
    pub sampled_at: Instant,
    /// The generated text this token made final: text is held back while it is an
    /// incomplete UTF-8 character or could be the start of a stop sequence, so the events'
    /// texts in order are always a prefix of the finished [`Generation::text`] (the rest
    /// of which is the text still held back when the generation ended).
    pub text: String,
    /// The token's log-probability and the most likely alternatives, when
    /// [`GenerationOptions::logprobs`] asked for them.
    pub logprobs: Option<TokenLogprobs>,
}

/// What a generation reports and honours beyond its [`GenerateRequest`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationOptions {
    /// Give every [`TokenEvent`] the token's log-probability and this many most likely
    /// alternatives (at most [`crate::MAX_TOP_LOGPROBS`]).
    pub logprobs: Option<u32>,
    /// End-of-generation tokens are not chosen before this many tokens were generated
    /// (vLLM's `min_tokens`: their logits are masked for the choice, not for logprobs).
    pub min_tokens: u32,
    /// Generate from these tokens exactly as given (no BOS added) instead of tokenizing
    /// the request's prompt.
    pub prompt_tokens: Option<Vec<u32>>,
}

/// A prompt to score token by token: text (tokenized as scoring tokenizes it) or token ids
/// used as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptInput {
    Text(String),
    Tokens(Vec<u32>),
}

/// A prompt to score and where its wanted logprobs start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoPrompt {
    pub input: PromptInput,
    /// Score only the tokens that start at or after this character of the prompt's text
    /// (the first token excepted, it has no logprob); the earlier tokens are returned
    /// without logprobs, and their logits are never computed. `None`: every token.
    pub logprobs_from: Option<usize>,
}

impl From<PromptInput> for EchoPrompt {
    fn from(input: PromptInput) -> EchoPrompt {
        EchoPrompt {
            input,
            logprobs_from: None,
        }
    }
}

/// What the async side learns once the model is loaded.
#[derive(Debug, Clone)]
pub(crate) struct ModelFacts {
    pub chat_template: Option<String>,
    pub bos_text: String,
    pub eos_text: String,
}

/// Where the inference thread sends one command's answer.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, BackendError>>;

/// Answers once the model is loaded (its facts) or could not be.
pub(crate) type Ready = oneshot::Receiver<Result<ModelFacts, BackendError>>;

/// A request to the inference thread.
pub(crate) enum Command {
    Loglikelihood(LoglikelihoodRequest, Reply<Vec<ContinuationScore>>),
    Generate(GenerateRequest, Reply<Generation>),
    GenerateStreaming(
        GenerateRequest,
        GenerationOptions,
        tokio::sync::mpsc::UnboundedSender<TokenEvent>,
        Reply<Generation>,
    ),
    PromptLogprobs {
        prompts: Vec<EchoPrompt>,
        top: u32,
        reply: Reply<Vec<PromptLogprobs>>,
    },
    Rolling(String, Reply<RollingScore>),
    Tokenize {
        text: String,
        add_special: bool,
        reply: Reply<Vec<u32>>,
    },
    Detokenize(Vec<u32>, Reply<String>),
}
