//! `POST /v1/chat/completions`: the messages rendered with the model's own chat template
//! (`Backend::apply_chat_template`, the rendering evaluations use, with the generation
//! prompt), then generated like a completion of that text; streamed as
//! `chat.completion.chunk`s.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::task::AbortOnDropHandle;
use yardstick_backend::{Backend, BackendError};

use crate::choice::{run_all, spawn_choices, ChoiceEvent, ChoiceRequest, Message};
use crate::error::ServeError;
use crate::fields::Fields;
use crate::params::{check_model, ChatParams, Prompt};
use crate::render::{self, Envelope};
use crate::stream::{error_chunk, first_message, sse};
use crate::ServeState;

pub(crate) async fn chat_completions(
    State(state): State<ServeState>,
    body: Bytes,
) -> Result<Response, ServeError> {
    let fields = Fields::parse(&body)?;
    check_model(&fields, state.served_model())?;
    let params = ChatParams::parse(&fields)?;
    let backend = state.backend();
    let prompt = backend
        .apply_chat_template(&params.messages, params.end)
        .await
        .map_err(|error| match error {
            BackendError::Unsupported(_) => ServeError::ChatTemplate(format!(
                "the model `{}` has no chat template (a base model?): use /v1/completions",
                state.served_model()
            )),
            other => ServeError::ChatTemplate(other.to_string()),
        })?;
    let mut generation = params.generation.clone();
    if generation.max_tokens.is_none() {
        // The rest of the context window, as vLLM does.
        let prompt_tokens = backend.tokenize(&prompt, true).await?.len();
        let window = usize::try_from(backend.describe().context_tokens).unwrap_or(usize::MAX);
        let left = window.saturating_sub(prompt_tokens);
        if left == 0 {
            return Err(ServeError::Engine(BackendError::ContextOverflow {
                what: "the rendered messages".to_string(),
                needed: prompt_tokens,
                available: window,
            }));
        }
        generation.max_tokens = Some(u32::try_from(left).unwrap_or(u32::MAX));
    }
    let choice = ChoiceRequest {
        index: 0,
        prompt: Prompt::Text(prompt),
        echo: false,
        logprobs: params.logprobs,
        logprobs_from: None,
        generation,
        echoed: None,
    };
    let envelope = state.envelope("chatcmpl");
    let logprobs = params.logprobs.is_some();
    if !params.stream.stream {
        let results = run_all(backend, vec![choice]).await?;
        let result = results.first().cloned().unwrap_or_default();
        return Ok(Json(render::chat(&envelope, &result, logprobs)).into_response());
    }
    let (messages, mut received) = unbounded_channel();
    let running = spawn_choices(backend, vec![choice], &messages);
    drop(messages);
    let first = first_message(&mut received).await?;
    let stream = ChatStream {
        envelope,
        logprobs,
        include_usage: params.stream.include_usage,
    };
    Ok(sse(move |chunks| {
        stream.run(first, received, running, chunks)
    }))
}

/// Turns a chat request's events into `chat.completion.chunk`s.
struct ChatStream {
    envelope: Envelope,
    logprobs: bool,
    include_usage: bool,
}

impl ChatStream {
    async fn run(
        self,
        first: Option<Message>,
        mut received: UnboundedReceiver<Message>,
        _running: Vec<AbortOnDropHandle<()>>,
        chunks: UnboundedSender<Value>,
    ) {
        let role = json!({ "role": "assistant", "content": "" });
        if chunks
            .send(render::chat_chunk(&self.envelope, role, None, None))
            .is_err()
        {
            return;
        }
        let mut next = first;
        let mut usage = None;
        while let Some((_, message)) = next {
            let chunk = match message {
                Ok(ChoiceEvent::Finished {
                    text,
                    finish_reason,
                    prompt_tokens,
                    completion_tokens,
                }) => {
                    usage = Some(render::usage(prompt_tokens, completion_tokens));
                    let delta = if text.is_empty() {
                        json!({})
                    } else {
                        json!({ "content": text })
                    };
                    Some(render::chat_chunk(
                        &self.envelope,
                        delta,
                        None,
                        Some(finish_reason),
                    ))
                }
                Ok(ChoiceEvent::Token { text, logprobs }) => {
                    let logprobs = logprobs
                        .filter(|_| self.logprobs)
                        .map(|token| json!({ "content": [render::chat_logprob(&token)] }));
                    (!text.is_empty() || logprobs.is_some()).then(|| {
                        let delta = json!({ "content": text });
                        render::chat_chunk(&self.envelope, delta, logprobs, None)
                    })
                }
                Ok(ChoiceEvent::Echo { .. }) => None,
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
        if let (true, Some(usage)) = (self.include_usage, usage) {
            let _ = chunks.send(render::usage_chunk(
                &self.envelope,
                render::CHAT_CHUNK,
                usage,
            ));
        }
    }
}
