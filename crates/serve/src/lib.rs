//! `yardstick serve`: an OpenAI-compatible HTTP server over the in-process llama.cpp engine
//! (`GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions`, streaming or
//! not; vLLM's `POST /tokenize` and `/detokenize`), so that any OpenAI client — yardstick's own `--endpoint` evaluations and load
//! tests included — measures exactly the engine arithmetic the in-process evaluations use:
//! echoed prompt logprobs are `LlamaCppBackend::prompt_logprobs` (scoring's tokenization
//! and formula), chat prompts are `Backend::apply_chat_template`'s rendering, generations
//! go through the engine's continuous batcher.
//!
//! Handlers parse the body into checked parameters (`params`, errors naming the field),
//! call the engine (`choice`) and render OpenAI's JSON (`render`, `stream`); nothing
//! else. This crate must not compute scores, sample tokens, tokenize or render templates
//! itself (that is `backend-llamacpp`'s), and must never panic on input: every refusal is
//! an OpenAI error body with a 400, 404 or 500 status ([`ServeError`]).
//!
//! Wire details clients rely on: every response carries `server: yardstick/<version>`;
//! `text_offset`s count characters (Unicode scalar values, Python's `len`) of the returned
//! text; with `echo`, the prompt's tokens come first, a BOS the tokenizer added among them
//! (its piece as token text, offset 0, logprob and top `null`); `top_logprobs` maps each
//! of the `logprobs` most likely tokens' text, and the token itself, to its logprob; error
//! bodies carry the HTTP status as `code`.

mod chat;
mod choice;
mod completions;
mod error;
mod fields;
mod params;
mod render;
mod stream;
mod tokenize;

use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{OriginalUri, State};
use axum::http::header::SERVER;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use tokio::net::TcpListener;
use yardstick_backend::Backend;
use yardstick_backend_llamacpp::LlamaCppBackend;

pub use crate::error::ServeError;
pub use crate::params::DEFAULT_COMPLETION_TOKENS;

/// The `server` header of every response: `yardstick/<version>`.
pub const SERVER_HEADER: &str = concat!("yardstick/", env!("CARGO_PKG_VERSION"));

/// What the handlers share: the loaded engine and the name it is served under.
#[derive(Clone)]
pub struct ServeState {
    shared: Arc<Shared>,
}

struct Shared {
    backend: Arc<LlamaCppBackend>,
    served_model: String,
    /// When the server started (`created` of the model listing).
    started: u64,
}

impl std::fmt::Debug for ServeState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServeState")
            .field("served_model", &self.shared.served_model)
            .finish_non_exhaustive()
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl ServeState {
    /// Serves `backend` under the model name `served_model`.
    pub fn new(backend: Arc<LlamaCppBackend>, served_model: impl Into<String>) -> ServeState {
        ServeState {
            shared: Arc::new(Shared {
                backend,
                served_model: served_model.into(),
                started: unix_seconds(),
            }),
        }
    }

    /// The model name requests must use.
    pub fn served_model(&self) -> &str {
        &self.shared.served_model
    }

    pub fn backend(&self) -> &Arc<LlamaCppBackend> {
        &self.shared.backend
    }

    /// A fresh response id (`{prefix}-…`) with the time and the model.
    fn envelope(&self, prefix: &str) -> render::Envelope {
        render::Envelope {
            id: format!("{prefix}-{:016x}", params::random_u64()),
            created: unix_seconds(),
            model: self.shared.served_model.clone(),
        }
    }
}

/// The routes: `/v1/models`, `/v1/completions`, `/v1/chat/completions`, `/tokenize`,
/// `/detokenize` (vLLM's, at the root as vLLM has them), `/health`.
pub fn app(state: ServeState) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/completions", post(completions::completions))
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/tokenize", post(tokenize::tokenize))
        .route("/detokenize", post(tokenize::detokenize))
        .route("/health", get(|| async { StatusCode::OK }))
        .fallback(no_route)
        .layer(middleware::map_response(server_header))
        .with_state(state)
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: ServeState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Io)
}

async fn models(State(state): State<ServeState>) -> Json<serde_json::Value> {
    let context_tokens = state.backend().describe().context_tokens;
    Json(render::models(
        state.served_model(),
        state.shared.started,
        context_tokens,
    ))
}

async fn no_route(method: Method, OriginalUri(uri): OriginalUri) -> ServeError {
    ServeError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static(SERVER_HEADER));
    response.into_response()
}
