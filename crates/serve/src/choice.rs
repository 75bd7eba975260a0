//! One choice of a request on the engine: the echoed prompt with its token logprobs
//! (a scoring command: alone on the engine, from an empty KV cache), then the generation
//! (continuous batching beside other requests), reported as [`ChoiceEvent`]s as they
//! happen. Streaming sends them on; a whole answer gathers them into a [`ChoiceResult`].

use std::sync::Arc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_util::task::AbortOnDropHandle;
use yardstick_backend::{Backend, BackendError, FinishReason, GenerateRequest};
use yardstick_backend_llamacpp::{
    EchoPrompt, GenerationOptions, LlamaCppBackend, PromptInput, PromptLogprobs, TokenLogprobs,
};

use crate::error::ServeError;
use crate::params::{GenerationParams, Prompt};

/// What one choice asks of the engine.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceRequest {
    pub index: usize,
    pub prompt: Prompt,
    /// Report the prompt first (`echo`).
    pub echo: bool,
    /// Top alternatives per token, for the echoed prompt and the generated tokens.
    pub logprobs: Option<u32>,
    /// The character of the prompt from which echoed tokens carry logprobs.
    pub logprobs_from: Option<usize>,
    /// `max_tokens` is filled.
    pub generation: GenerationParams,
    /// The echoed prompt's logprobs, already computed with the request's other prompts
    /// ([`echo_together`]).
    pub echoed: Option<PromptLogprobs>,
}

/// Computes the echoed prompts' logprobs of a request's choices in one engine command, laid
/// out as one scoring request (shared prefix once): a multiple-choice item's choices sent as
/// one prompt list are read exactly as in-process scoring reads them.
pub(crate) async fn echo_together(
    backend: &LlamaCppBackend,
    choices: &mut [ChoiceRequest],
) -> Result<(), ServeError> {
    let Some(top) = choices.first().and_then(|choice| choice.logprobs) else {
        return Ok(());
    };
    if choices.len() < 2 || !choices.iter().all(|choice| choice.echo) {
        return Ok(());
    }
    let inputs = choices.iter().map(ChoiceRequest::echo_prompt).collect();
    let echoed = backend.prompt_logprobs_from(inputs, top).await?;
    for (choice, logprobs) in choices.iter_mut().zip(echoed) {
        choice.echoed = Some(logprobs);
    }
    Ok(())
}

impl ChoiceRequest {
    fn input(&self) -> PromptInput {
        match &self.prompt {
            Prompt::Text(text) => PromptInput::Text(text.clone()),
            Prompt::Tokens(tokens) => PromptInput::Tokens(tokens.clone()),
        }
    }

    fn echo_prompt(&self) -> EchoPrompt {
        EchoPrompt {
            input: self.input(),
            logprobs_from: self.logprobs_from,
        }
    }
}

/// What happened to a choice, in order.
#[derive(Debug, Clone)]
pub(crate) enum ChoiceEvent {
    /// The echoed prompt, with its token logprobs when asked.
    Echo {
        text: String,
        logprobs: Option<PromptLogprobs>,
    },
    /// A generated token and the text it made final (possibly empty: held back).
    Token {
        text: String,
        logprobs: Option<TokenLogprobs>,
    },
    /// The end: the text still held back, why it ended, and the token counts.
    Finished {
        text: String,
        finish_reason: FinishReason,
        prompt_tokens: u32,
        completion_tokens: u32,
    },
}

/// A choice's events, tagged with its index; an error ends the choice.
pub(crate) type Message = (usize, Result<ChoiceEvent, ServeError>);

/// Runs every choice concurrently, each sending its events to `messages`. Dropping the
/// returned handles aborts the choices (the engine then frees their sequences).
pub(crate) fn spawn_choices(
    backend: &Arc<LlamaCppBackend>,
    choices: Vec<ChoiceRequest>,
    messages: &UnboundedSender<Message>,
) -> Vec<AbortOnDropHandle<()>> {
    choices
        .into_iter()
        .map(|choice| {
            let backend = Arc::clone(backend);
            let messages = messages.clone();
            AbortOnDropHandle::new(tokio::spawn(async move {
                let index = choice.index;
                let send = |event| messages.send((index, Ok(event))).is_ok();
                if let Err(error) = run(&backend, choice, send).await {
                    let _ = messages.send((index, Err(error)));
                }
            }))
        })
        .collect()
}

/// Runs one choice, handing each event to `send` (false: nobody listens any more).
async fn run(
    backend: &LlamaCppBackend,
    mut choice: ChoiceRequest,
    send: impl Fn(ChoiceEvent) -> bool,
) -> Result<(), ServeError> {
    let mut prompt_tokens = None;
    if choice.echo {
        let logprobs = match (choice.echoed.take(), choice.logprobs) {
            (Some(echoed), _) => Some(echoed),
            (None, Some(top)) => backend
                .prompt_logprobs_from(vec![choice.echo_prompt()], top)
                .await?
                .pop(),
            (None, None) => None,
        };
        prompt_tokens = logprobs.as_ref().map(|logprobs| logprobs.tokens.len());
        let text = match (&choice.prompt, &logprobs) {
            (Prompt::Text(text), _) => text.clone(),
            (Prompt::Tokens(_), Some(logprobs)) => logprobs.text.clone(),
            (Prompt::Tokens(tokens), None) => backend.detokenize(tokens).await?,
        };
        if !send(ChoiceEvent::Echo { text, logprobs }) {
            return Ok(());
        }
    }
    let max_tokens = choice.generation.max_tokens.unwrap_or(0);
    if max_tokens == 0 {
        let prompt_tokens = match (prompt_tokens, &choice.prompt) {
            (Some(count), _) => count,
            (None, Prompt::Tokens(tokens)) => tokens.len(),
            (None, Prompt::Text(text)) => backend.tokenize(text, true).await?.len(),
        };
        send(ChoiceEvent::Finished {
            text: String::new(),
            finish_reason: FinishReason::Length,
            prompt_tokens: u32::try_from(prompt_tokens).unwrap_or(u32::MAX),
            completion_tokens: 0,
        });
        return Ok(());
    }
    generate(backend, choice, max_tokens, send).await
}

async fn generate(
    backend: &LlamaCppBackend,
    choice: ChoiceRequest,
    max_tokens: u32,
    send: impl Fn(ChoiceEvent) -> bool,
) -> Result<(), ServeError> {
    let generation = choice.generation;
    let (prompt, prompt_tokens) = match choice.prompt {
        Prompt::Text(text) => (text, None),
        Prompt::Tokens(tokens) => (String::new(), Some(tokens)),
    };
    let request = GenerateRequest {
        prompt,
        max_tokens,
        stop: generation.stop,
        ignore_eos: generation.ignore_eos,
        sampling: generation.sampling,
    };
    let options = GenerationOptions {
        logprobs: choice.logprobs,
        min_tokens: generation.min_tokens,
        prompt_tokens,
    };
    let (events, mut received) = unbounded_channel();
    let generating = backend.generate_streaming_with(request, options, events);
    let mut streamed = String::new();
    let forwarding = async {
        // Ends when the engine drops the sender (the generation ended, either way).
        while let Some(event) = received.recv().await {
            streamed.push_str(&event.text);
            let token = ChoiceEvent::Token {
                text: event.text,
                logprobs: event.logprobs,
            };
            if !send(token) {
                return false;
            }
        }
        true
    };
    let (finished, listened) = tokio::join!(generating, forwarding);
    let finished = finished?;
    if listened {
        // The events' texts are a prefix of the whole text; the rest was held back.
        let rest = finished
            .text
            .strip_prefix(streamed.as_str())
            .unwrap_or_else(|| {
                tracing::warn!("streamed text is not a prefix of the generation");
                ""
            });
        send(ChoiceEvent::Finished {
            text: rest.to_string(),
            finish_reason: finished.finish_reason,
            prompt_tokens: finished.prompt_tokens,
            completion_tokens: finished.completion_tokens,
        });
    }
    Ok(())
}

/// A choice gathered from its events, for a non-streaming answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChoiceResult {
    pub echo: Option<(String, Option<PromptLogprobs>)>,
    /// The generated text (without the echo).
    pub text: String,
    pub tokens: Vec<Option<TokenLogprobs>>,
    pub finish_reason: Option<FinishReason>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

impl ChoiceResult {
    pub fn apply(&mut self, event: ChoiceEvent) {
        match event {
            ChoiceEvent::Echo { text, logprobs } => self.echo = Some((text, logprobs)),
            ChoiceEvent::Token { text, logprobs } => {
                self.text.push_str(&text);
                self.tokens.push(logprobs);
            }
            ChoiceEvent::Finished {
                text,
                finish_reason,
                prompt_tokens,
                completion_tokens,
            } => {
                self.text.push_str(&text);
                self.finish_reason = Some(finish_reason);
                self.prompt_tokens = prompt_tokens;
                self.completion_tokens = completion_tokens;
            }
        }
    }
}

/// Runs the choices and gathers them, in index order; the first error fails them all.
pub(crate) async fn run_all(
    backend: &Arc<LlamaCppBackend>,
    choices: Vec<ChoiceRequest>,
) -> Result<Vec<ChoiceResult>, ServeError> {
    let mut results = vec![ChoiceResult::default(); choices.len()];
    let (messages, mut received) = unbounded_channel();
    let _running = spawn_choices(backend, choices, &messages);
    drop(messages);
    while let Some((index, message)) = received.recv().await {
        let event = message?;
        if let Some(result) = results.get_mut(index) {
            result.apply(event);
        }
    }
    if let Some(index) = results
        .iter()
        .position(|result| result.finish_reason.is_none())
    {
        return Err(ServeError::Engine(BackendError::Inference {
            what: format!("answering choice {index}"),
            reason: "its task ended without an answer".to_string(),
        }));
    }
    Ok(results)
}
