//! Where load-test requests go. A [`Target`] sends one [`LoadRequest`] and records what the
//! client saw of it as a [`RequestTiming`]; the scheduler never knows which kind it drives,
//! so a served model and the in-process engine are measured by the same code.
//!
//! - [`OpenAiTarget`]: any OpenAI-compatible server, streaming (SSE events stamped on
//!   arrival) or not.
//! - [`InProcessTarget`]: the embedded llama.cpp engine. Each generated token is an event,
//!   stamped when the scheduler's task receives it from the inference thread (the in-process
//!   analogue of an SSE event arriving), one token per chunk; prompt and completion counts
//!   are the engine's own (recorded as `server_usage`: the engine is the server). The engine
//!   runs one request at a time: at a concurrency above 1, requests queue inside it, and
//!   that queueing is part of their TTFT, as it would be in a server with one slot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;
use yardstick_backend::{Backend, ChatMessage, GenerateRequest, Sampling};
use yardstick_backend_llamacpp::LlamaCppBackend;
use yardstick_backend_openai::{LoadRequest, OpenAiClient};
use yardstick_load::{Chunk, ErrorCause, RequestTiming, TokenCount, TokenCountSource};

/// What a target is, for reports and the run fingerprint (defined in `yardstick-core`).
pub use yardstick_core::TargetDescription;

/// Sends one request and records it. Never fails: a failure is a record with its cause.
#[async_trait]
pub trait Target: Send + Sync {
    fn describe(&self) -> TargetDescription;

    /// Sends `request`; every time in the record is an offset from `start`, the run's
    /// monotonic start. `scheduled` is left to the caller.
    async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming;
}

/// An OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiTarget {
    client: OpenAiClient,
    stream: bool,
}

impl OpenAiTarget {
    pub fn new(client: OpenAiClient, stream: bool) -> OpenAiTarget {
        OpenAiTarget { client, stream }
    }
}

#[async_trait]
impl Target for OpenAiTarget {
    fn describe(&self) -> TargetDescription {
        let endpoint = self.client.endpoint();
        TargetDescription {
            kind: "openai".to_string(),
            model: endpoint.served_model.clone(),
            details: format!(
                "{} {}{}",
                endpoint.base_url,
                endpoint.api.as_str(),
                if self.stream { ", streaming" } else { "" }
            ),
        }
    }

    async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        if self.stream {
            self.client.send_streaming(request, start).await
        } else {
            self.client.send(request, start).await
        }
    }
}

/// The embedded llama.cpp engine.
#[derive(Debug, Clone)]
pub struct InProcessTarget {
    backend: Arc<LlamaCppBackend>,
    model: String,
    timeout: Duration,
}

impl InProcessTarget {
    /// `model` names the model in results. Requests taking longer than `timeout` from
    /// sending are recorded as timeouts (the engine stops them and frees their sequence).
    pub fn new(backend: Arc<LlamaCppBackend>, model: String, timeout: Duration) -> Self {
        InProcessTarget {
            backend,
            model,
            timeout,
        }
    }

    /// The prompt as the engine reads it: the text, or for a chat request the turns
    /// rendered with the model's chat template (generation prompt added).
    async fn prompt(&self, request: &LoadRequest) -> Result<String, String> {
        let Some(turns) = &request.messages else {
            return Ok(request.prompt.clone());
        };
        let messages: Vec<ChatMessage> = turns
            .iter()
            .map(|turn| ChatMessage {
                role: turn.role.clone(),
                content: turn.content.clone(),
            })
            .collect();
        self.backend
            .apply_chat_template(&messages, yardstick_backend::ChatEnd::GenerationPrompt)
            .await
            .map_err(|error| error.to_string())
    }
}

#[async_trait]
impl Target for InProcessTarget {
    fn describe(&self) -> TargetDescription {
        let options = self.backend.options();
        TargetDescription {
            kind: "in-process".to_string(),
            model: self.model.clone(),
            details: format!(
                "llama.cpp {}, threads {}, context {} tokens, batch {} tokens, {} parallel generations",
                yardstick_backend_llamacpp::llama_cpp_version(),
                options.threads,
                options.context_tokens,
                options.batch_tokens,
                options.parallel
            ),
        }
    }

    async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        let sent = Instant::now();
        let mut timing = RequestTiming {
            scheduled: None,
            sent: sent - start,
            first_byte: None,
            chunks: Vec::new(),
            last_byte: None,
            finished: sent - start,
            prompt_tokens: None,
            completion_tokens: None,
            http_status: None,
            error: None,
        };
        let prompt = match self.prompt(request).await {
            Ok(prompt) => prompt,
            Err(reason) => {
                timing.finished = start.elapsed();
                timing.error = Some(ErrorCause::Engine {
                    what: format!("the chat template could not render the request: {reason}"),
                });
                return timing;
            }
        };
        let generate = GenerateRequest {
            prompt,
            max_tokens: request.max_tokens,
            stop: Vec::new(),
            ignore_eos: request.ignore_eos || request.min_tokens.is_some(),
            sampling: request
                .temperature
                .filter(|temperature| *temperature > 0.0)
                .map(|temperature| Sampling {
                    temperature,
                    top_k: None,
                    top_p: None,
                    seed: 0,
                }),
        };
        let (events, mut received) = mpsc::unbounded_channel();
        let backend = Arc::clone(&self.backend);
        // Dropped (a timeout, or this request cancelled with the run): the task is aborted,
        // which tells the engine to stop the generation and free its sequence.
        let generation = AbortOnDropHandle::new(tokio::spawn(async move {
            backend.generate_streaming(generate, events).await
        }));
        let deadline = tokio::time::Instant::from_std(sent + self.timeout);
        loop {
            match tokio::time::timeout_at(deadline, received.recv()).await {
                Ok(Some(_event)) => {
                    let arrived = start.elapsed();
                    timing.first_byte.get_or_insert(arrived);
                    timing.last_byte = Some(arrived);
                    timing.chunks.push(Chunk { arrived, tokens: 1 });
                }
                // The sender is dropped when the generation ended, either way.
                Ok(None) => break,
                Err(_) => {
                    timing.finished = start.elapsed();
                    timing.error = Some(ErrorCause::Timeout);
                    return timing;
                }
            }
        }
        let outcome = generation.await;
        timing.finished = start.elapsed();
        match outcome {
            Ok(Ok(generation)) => {
                timing.prompt_tokens = Some(TokenCount::new(
                    u64::from(generation.prompt_tokens),
                    TokenCountSource::ServerUsage,
                ));
                timing.completion_tokens = Some(TokenCount::new(
                    u64::from(generation.completion_tokens),
                    TokenCountSource::ServerUsage,
                ));
                if timing.last_byte.is_none() {
                    timing.last_byte = Some(timing.finished);
                }
            }
            Ok(Err(error)) => {
                timing.error = Some(ErrorCause::Engine {
                    what: format!("the engine failed: {error}"),
                });
            }
            Err(join_error) => {
                timing.error = Some(ErrorCause::Engine {
                    what: format!("the engine task ended abnormally: {join_error}"),
                });
            }
        }
        timing
    }
}
