//! What the async side and the inference thread say to each other: one [`Command`] per
//! request, each answered on its own oneshot [`Reply`]; the model's facts once it has
//! loaded ([`Ready`]); and the [`TokenEvent`]s of a streaming generation.

use std::time::Instant;

use tokio::sync::oneshot;
use yardstick_backend::{
    BackendError, ContinuationScore, GenerateRequest, Generation, LoglikelihoodRequest,
    RollingScore,
};

/// One generated token as the engine produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenEvent {
    pub token: u32,
    /// When it was sampled (its logits computed and the choice made).
    pub sampled_at: Instant,
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
        tokio::sync::mpsc::UnboundedSender<TokenEvent>,
        Reply<Generation>,
    ),
    Rolling(String, Reply<RollingScore>),
    Tokenize {
        text: String,
        add_special: bool,
        reply: Reply<Vec<u32>>,
    },
    Detokenize(Vec<u32>, Reply<String>),
}
