//! `POST /v1/completions`: one choice per prompt, run concurrently; echo and the legacy
//! logprobs object; streamed as `text_completion` chunks.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::task::AbortOnDropHandle;
use yardstick_backend_llamacpp::TextOffsets;

use crate::choice::{echo_together, run_all, spawn_choices, ChoiceEvent, ChoiceRequest, Message};
use crate::error::ServeError;
use crate::fields::Fields;
use crate::params::{check_model, CompletionParams};
use crate::render::{self, Envelope, LegacyLogprobs};
use crate::stream::{error_chunk, first_message, sse};
use crate::ServeState;

pub(crate) async fn completions(
    State(state): State<ServeState>,
    body: Bytes,
) -> Result<Response, ServeError> {
    let fields = Fields::parse(&body)?;
    check_model(&fields, state.served_model())?;
    let params = CompletionParams::parse(&fields)?;
    let envelope = state.envelope("cmpl");
    let choices: Vec<ChoiceRequest> = params
        .prompts
        .iter()
        .enumerate()
        .zip(&params.echo_logprobs_from)
        .map(|((index, prompt), &logprobs_from)| ChoiceRequest {
            index,
            prompt: prompt.clone(),
            echo: params.echo,
            logprobs: params.logprobs,
            logprobs_from,
            generation: params.generation.clone(),
            echoed: None,
        })
        .collect();
    let mut choices: Vec<ChoiceRequest> = choices;
    echo_together(state.backend(), &mut choices).await?;
    let logprobs = params.logprobs.is_some();
    if !params.stream.stream {
        let results = run_all(state.backend(), choices).await?;
        return Ok(Json(render::completion(&envelope, &results, logprobs)).into_response());
    }
    let prompts = choices.len();
    let (messages, mut received) = unbounded_channel();
    let running = spawn_choices(state.backend(), choices, &messages);
    drop(messages);
    let first = first_message(&mut received).await?;
    let stream = CompletionStream {
        envelope,
        logprobs,
        include_usage: params.stream.include_usage,
        offsets: vec![TextOffsets::default(); prompts],
        usage: (0, 0),
    };
    Ok(sse(move |chunks| {
        stream.run(first, received, running, chunks)
    }))
}

/// Turns a request's choice events into `text_completion` chunks.
struct CompletionStream {
    envelope: Envelope,
    logprobs: bool,
    include_usage: bool,
    /// Per choice: where its next token starts in its text.
    offsets: Vec<TextOffsets>,
    /// Prompt and completion tokens of the finished choices.
    usage: (u32, u32),
}

impl CompletionStream {
    async fn run(
        mut self,
        first: Option<Message>,
        mut received: UnboundedReceiver<Message>,
        _running: Vec<AbortOnDropHandle<()>>,
        chunks: UnboundedSender<Value>,
    ) {
        let mut next = first;
        while let Some((index, message)) = next {
            let chunk = match message {
                Ok(event) => self.chunk(index, event),
                Err(error) => {
                    let _ = chunks.send(error_chunk(&error));
                    return;
                }
            };
            if chunk.is_some_and(|chunk| chunks.send(chunk).is_err()) {
                return;
            }
            next = received.recv().await;
        }
        if self.include_usage {
            let usage = render::usage(self.usage.0, self.usage.1);
            let _ = chunks.send(render::usage_chunk(
                &self.envelope,
                render::COMPLETION,
                usage,
            ));
        }
    }

    /// The chunk of one event; `None` for a token whose text is held back and that has no
    /// logprobs to report.
    fn chunk(&mut self, index: usize, event: ChoiceEvent) -> Option<Value> {
        let envelope = &self.envelope;
        match event {
            ChoiceEvent::Echo { text, logprobs } => {
                if let Some(offsets) = self.offsets.get_mut(index) {
                    *offsets = TextOffsets::starting_at(text.chars().count());
                }
                let logprobs = logprobs.filter(|_| self.logprobs).map(|prompt| {
                    let mut legacy = LegacyLogprobs::default();
                    legacy.push_prompt(&prompt);
                    legacy.into_value()
                });
                Some(render::completion_chunk(
                    envelope, index, &text, logprobs, None,
                ))
            }
            ChoiceEvent::Token { text, logprobs } => {
                let logprobs = match (logprobs, self.offsets.get_mut(index)) {
                    (Some(token), Some(offsets)) if self.logprobs => {
                        let mut legacy = LegacyLogprobs::default();
                        legacy.push_generated(&token, offsets);
                        Some(legacy.into_value())
                    }
                    _ => None,
                };
                if text.is_empty() && logprobs.is_none() {
                    return None;
                }
                Some(render::completion_chunk(
                    envelope, index, &text, logprobs, None,
                ))
            }
            ChoiceEvent::Finished {
                text,
                finish_reason,
                prompt_tokens,
                completion_tokens,
            } => {
                self.usage.0 = self.usage.0.saturating_add(prompt_tokens);
                self.usage.1 = self.usage.1.saturating_add(completion_tokens);
                let finish = Some(finish_reason);
                Some(render::completion_chunk(
                    envelope, index, &text, None, finish,
                ))
            }
        }
    }
}
