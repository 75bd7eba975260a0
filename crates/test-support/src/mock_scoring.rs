//! A scoring mock: an OpenAI-compatible server on loopback whose "model" is a formula, so
//! tests can compute every loglikelihood it gives and check what a client made of it.
//!
//! Tokens are whitespace-led words (`"The cat"` → `"The"`, `" cat"`), after a `<s>` the
//! server puts first when [`ScoringMock::bos`] is set. The logprob of token `t` after token
//! `p` is [`ScoringMock::logprob`]: `-0.5` for `" and"` (the most likely token everywhere),
//! otherwise a value in `[-1, -5)` from a hash of `p` and `t`. Greedy generation repeats
//! `" and"`. It answers in the shape chosen by [`Shape`]: the legacy echo object, vLLM's
//! `prompt_logprobs`, a server that ignores echo (llama-server), or echo logprobs shifted by
//! one position (llama-cpp-python's server without BOS). It injects [`ScoringFault`]s into
//! chosen requests (numbered from 0 in arrival order, `/models` excluded) and counts the
//! requests it got.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Response, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How the mock returns prompt logprobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `echo: true, logprobs: N, max_tokens: 0` → `choices[i].logprobs` (vLLM, SGLang).
    Echo,
    /// Echo is ignored; `prompt_logprobs: N` gives vLLM's list.
    PromptLogprobs,
    /// Echo is ignored and there are no prompt logprobs (llama.cpp's server).
    NoPromptLogprobs,
    /// Echo logprobs one position late (each token gets its predecessor's value).
    ShiftedEcho,
}

/// A failure injected into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoringFault {
    /// 429 with `Retry-After: 0`.
    RateLimited,
    /// HTTP 500 with an error body.
    ServerError,
    /// Headers sent, then the body breaks off (a dropped connection).
    Drop,
}

/// What the mock serves.
#[derive(Debug, Clone)]
pub struct ScoringMock {
    pub model: String,
    pub shape: Shape,
    /// A `<s>` token before every prompt.
    pub bos: bool,
    /// Accept a list of prompts in one request.
    pub prompt_lists: bool,
    /// `(request number, fault)`.
    pub faults: Vec<(u64, ScoringFault)>,
    /// Every request from this number on fails with a 503 (a server that went down).
    pub down_from: Option<u64>,
}

impl ScoringMock {
    pub fn new(shape: Shape) -> ScoringMock {
        ScoringMock {
            model: "toy".into(),
            shape,
            bos: true,
            prompt_lists: true,
            faults: Vec::new(),
            down_from: None,
        }
    }

    /// The mock's tokens of `text` (no `<s>`).
    pub fn tokens(text: &str) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        let mut current = String::new();
        for character in text.chars() {
            let word_started = current.chars().any(|c| !c.is_whitespace());
            if character.is_whitespace() && word_started {
                tokens.push(std::mem::take(&mut current));
            }
            current.push(character);
        }
        if !current.is_empty() {
            tokens.push(current);
        }
        tokens
    }

    /// `ln p(token | previous)` of the toy model.
    pub fn logprob(previous: &str, token: &str) -> f64 {
        if token == " and" {
            return -0.5;
        }
        let digest = Sha256::digest(format!("{previous}\u{0}{token}").as_bytes());
        let fraction = f64::from(u16::from_be_bytes([digest[0], digest[1]])) / 65536.0;
        -1.0 - 4.0 * fraction
    }

    /// The loglikelihood of `continuation` after `context`, as a correct client computes it
    /// (tokens of the whole text from the context's end on; lm-eval's whitespace move).
    pub fn continuation_loglikelihood(context: &str, continuation: &str) -> f64 {
        let trimmed = context.trim_end();
        let whole = format!("{context}{continuation}");
        let tokens = ScoringMock::tokens(&whole);
        let mut offset = 0;
        let mut previous = "<s>".to_string();
        let mut sum = 0.0;
        for token in tokens {
            if offset >= trimmed.chars().count() {
                sum += ScoringMock::logprob(&previous, &token);
            }
            offset += token.chars().count();
            previous = token;
        }
        sum
    }

    /// Starts the server on `127.0.0.1:0`.
    pub async fn start(self) -> std::io::Result<RunningMock> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(MockState {
            down_from: AtomicU64::new(self.down_from.unwrap_or(u64::MAX)),
            mock: self,
            requests: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/v1/models", get(models))
            .route("/v1/completions", post(completions))
            .route("/v1/chat/completions", post(chat))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RunningMock {
            address,
            state,
            server,
        })
    }
}

/// The running mock; dropping it stops the server.
#[derive(Debug)]
pub struct RunningMock {
    address: SocketAddr,
    state: Arc<MockState>,
    server: tokio::task::JoinHandle<()>,
}

impl RunningMock {
    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// Requests received so far (`/models` excluded).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The server is up again: no more 503s from [`ScoringMock::down_from`].
    pub fn recover(&self) {
        self.state.down_from.store(u64::MAX, Ordering::SeqCst);
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Debug)]
struct MockState {
    mock: ScoringMock,
    requests: AtomicU64,
    down_from: AtomicU64,
}

fn with_server(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(
        header::SERVER,
        header::HeaderValue::from_static("toy-scoring-mock/1.0"),
    );
    response
}

fn json_response(status: StatusCode, body: Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    with_server(response)
}

async fn models(State(state): State<Arc<MockState>>) -> Response<Body> {
    json_response(
        StatusCode::OK,
        json!({"object": "list", "data": [
            {"id": state.mock.model, "object": "model", "owned_by": "test", "max_model_len": 2048}
        ]}),
    )
}

/// The injected fault of this request, if any.
fn fault(state: &MockState) -> Option<Response<Body>> {
    let number = state.requests.fetch_add(1, Ordering::SeqCst);
    let error = |status: StatusCode, message: &str| {
        json_response(
            status,
            json!({"error": {"message": message, "type": "mock"}}),
        )
    };
    if number >= state.down_from.load(Ordering::SeqCst) {
        return Some(error(StatusCode::SERVICE_UNAVAILABLE, "the mock is down"));
    }
    let (_, fault) = state.mock.faults.iter().find(|(at, _)| *at == number)?;
    Some(match fault {
        ScoringFault::RateLimited => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "slow down");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("0"));
            response
        }
        ScoringFault::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "boom"),
        ScoringFault::Drop => {
            let broken = futures::stream::iter(vec![
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"choices\": [")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped",
                )),
            ]);
            let mut response = Response::new(Body::from_stream(broken));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            with_server(response)
        }
    })
}

/// Per prompt token: (text, offset in characters, logprob, top-1 object).
fn scored_tokens(mock: &ScoringMock, prompt: &str) -> Vec<(String, usize, Option<f64>, Value)> {
    let mut scored = Vec::new();
    let mut previous: Option<String> = None;
    if mock.bos {
        scored.push(("<s>".to_string(), 0, None, Value::Null));
        previous = Some("<s>".to_string());
    }
    let mut offset = 0;
    for token in ScoringMock::tokens(prompt) {
        let (logprob, top) = match &previous {
            None => (None, Value::Null),
            Some(previous) => (
                Some(ScoringMock::logprob(previous, &token)),
                json!({" and": -0.5}),
            ),
        };
        let length = token.chars().count();
        scored.push((token.clone(), offset, logprob, top));
        offset += length;
        previous = Some(token);
    }
    if mock.shape == Shape::ShiftedEcho {
        let values: Vec<Option<f64>> = scored.iter().map(|token| token.2).collect();
        for (position, token) in scored.iter_mut().enumerate() {
            token.2 = if position == 0 {
                None
            } else {
                values[position - 1].or(Some(-1.0))
            };
        }
    }
    scored
}

fn generated(prompt: &str, max_tokens: u64, stop: &[String]) -> (String, Value) {
    let _ = prompt;
    let tokens = vec![" and"; max_tokens as usize];
    let mut text = tokens.concat();
    let cut = stop
        .iter()
        .filter_map(|stop| text.find(stop.as_str()))
        .min();
    if let Some(at) = cut {
        text.truncate(at);
    }
    let logprobs = json!({
        "tokens": tokens, "token_logprobs": vec![-0.5; tokens.len()],
        "top_logprobs": vec![json!({" and": -0.5}); tokens.len()],
        "text_offset": (0..tokens.len()).map(|i| i * 4).collect::<Vec<_>>(),
    });
    (text, logprobs)
}

fn stops(body: &Value) -> Vec<String> {
    match body.get("stop") {
        Some(Value::String(stop)) => vec![stop.clone()],
        Some(Value::Array(stops)) => stops
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

async fn completions(
    State(state): State<Arc<MockState>>,
    Json(body): Json<Value>,
) -> Response<Body> {
    if let Some(response) = fault(&state) {
        return response;
    }
    let mock = &state.mock;
    let prompts: Vec<String> = match body.get("prompt") {
        Some(Value::String(prompt)) => vec![prompt.clone()],
        Some(Value::Array(prompts)) if mock.prompt_lists => prompts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": {"message": "prompt must be a string", "type": "invalid_request_error"}}),
            )
        }
    };
    let echo = body.get("echo").and_then(Value::as_bool) == Some(true)
        && matches!(mock.shape, Shape::Echo | Shape::ShiftedEcho);
    let prompt_logprobs =
        body.get("prompt_logprobs").is_some() && mock.shape == Shape::PromptLogprobs;
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64).unwrap_or(16);
    let wants_logprobs = body.get("logprobs").is_some_and(|value| !value.is_null());
    let stop = stops(&body);
    let mut choices = Vec::new();
    for (index, prompt) in prompts.iter().enumerate() {
        let (text, generation_logprobs) = generated(prompt, max_tokens, &stop);
        let mut choice = json!({"index": index, "finish_reason": "length"});
        if echo {
            let scored = scored_tokens(mock, prompt);
            choice["text"] = json!(format!("{prompt}{text}"));
            choice["logprobs"] = json!({
                "tokens": scored.iter().map(|t| t.0.clone()).collect::<Vec<_>>(),
                "token_logprobs": scored.iter().map(|t| t.2).collect::<Vec<_>>(),
                "top_logprobs": scored.iter().map(|t| t.3.clone()).collect::<Vec<_>>(),
                "text_offset": scored.iter().map(|t| t.1).collect::<Vec<_>>(),
            });
        } else {
            choice["text"] = json!(text);
            choice["logprobs"] = if wants_logprobs {
                generation_logprobs
            } else {
                Value::Null
            };
        }
        if prompt_logprobs {
            // vLLM: null first, then {token id: {logprob, rank, decoded_token}} with the
            // prompt token and the top-1.
            let scored = scored_tokens(mock, prompt);
            let entries: Vec<Value> = scored
                .iter()
                .enumerate()
                .map(|(position, (token, _, logprob, _))| match logprob {
                    None => Value::Null,
                    Some(logprob) => {
                        let rank = if token == " and" { 1 } else { 2 };
                        let mut entry = json!({
                            (1000 + position).to_string():
                                {"logprob": logprob, "rank": rank, "decoded_token": token}
                        });
                        if rank != 1 {
                            entry["7"] =
                                json!({"logprob": -0.5, "rank": 1, "decoded_token": " and"});
                        }
                        entry
                    }
                })
                .collect();
            choice["prompt_logprobs"] = json!(entries);
        }
        choices.push(choice);
    }
    json_response(
        StatusCode::OK,
        json!({"id": "cmpl-toy", "object": "text_completion", "model": mock.model,
               "choices": choices,
               "usage": {"prompt_tokens": 1, "completion_tokens": max_tokens, "total_tokens": 1 + max_tokens}}),
    )
}

async fn chat(State(state): State<Arc<MockState>>, Json(body): Json<Value>) -> Response<Body> {
    if let Some(response) = fault(&state) {
        return response;
    }
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64).unwrap_or(16);
    // The reply says how many turns it saw, so tests can check the conversation arrived.
    let turns = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let (text, _) = generated("", max_tokens, &stops(&body));
    json_response(
        StatusCode::OK,
        json!({"id": "chat-toy", "object": "chat.completion", "model": state.mock.model,
               "choices": [{"index": 0, "finish_reason": "length",
                            "message": {"role": "assistant", "content": format!("{turns} turns:{text}")}}],
               "usage": {"prompt_tokens": 1, "completion_tokens": max_tokens, "total_tokens": 1 + max_tokens}}),
    )
}
