//! A scripted OpenAI-compatible server on loopback, for testing yardstick's HTTP load client.
//!
//! One axum server on `127.0.0.1:0` answers `GET /v1/models`, `POST /v1/completions` and
//! `POST /v1/chat/completions`, streaming (SSE `data: {...}` events ending with
//! `data: [DONE]`) or not. It honours `max_tokens` (or `max_completion_tokens`),
//! `ignore_eos`/`min_tokens`, `stream_options.include_usage` (a final usage-only event),
//! vLLM's `stream_options.continuous_usage_stats` (running usage in every event),
//! `logprobs`, and `echo` with `max_tokens: 0` (prompt logprobs); each capability can be
//! switched off in the [`MockScript`], as can the API key check (401).
//!
//! Its timing is scripted (time to first token, inter-token gap, tokens per event, seeded
//! jitter, a concurrency limit that queues), and it injects [`Fault`]s into chosen requests:
//! an HTTP error status, 429 with `Retry-After`, a connection closed mid-stream, a body
//! that just ends without `[DONE]`, an event with malformed JSON, a stall. It logs every write with the monotonic `Instant` just
//! before the bytes went to the HTTP server ([`RequestLog`]), so tests can compare a client's
//! timestamps with the server's. All waiting is tokio time; nothing blocks a thread.

mod body;
mod script;

pub use script::{Fault, FaultRule, FaultWhen, MockScript, RequestLog, SentEvent, SentKind};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use body::{Planned, Route};

/// The running mock. Dropping it (or [`MockServer::stop`]) stops accepting connections.
#[derive(Debug)]
pub struct MockServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    current: Mutex<Current>,
    log: Mutex<Vec<RequestLog>>,
}

#[derive(Debug, Clone)]
struct Current {
    script: Arc<MockScript>,
    slots: Option<Arc<Semaphore>>,
}

impl Current {
    fn new(script: MockScript) -> Current {
        Current {
            slots: script
                .max_concurrent
                .map(|slots| Arc::new(Semaphore::new(slots))),
            script: Arc::new(script),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has failed already; keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MockServer {
    /// Starts the mock on an ephemeral loopback port (call inside a tokio runtime).
    pub async fn start(script: MockScript) -> std::io::Result<MockServer> {
        MockServer::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), script).await
    }

    /// Starts the mock listening on `address` (port 0: an ephemeral port), for a mock
    /// that tools outside the process talk to (call inside a tokio runtime).
    pub async fn start_on(address: SocketAddr, script: MockScript) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            current: Mutex::new(Current::new(script)),
            log: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/models", get(models))
            .route("/v1/completions", post(completions))
            .route("/v1/chat/completions", post(chat))
            .with_state(shared.clone());
        // As real servers do: without TCP_NODELAY, Nagle's algorithm holds a small event
        // back until the client's delayed ACK of the previous write (~10 ms more TTFT on a
        // reused connection).
        let listener = listener.tap_io(|stream| {
            // Only latency is at stake; the mock still works without it.
            let _ = stream.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            // The server ends only when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(MockServer {
            address,
            shared,
            server,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL an OpenAI client expects.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// Replaces the script for requests received from now on (and resets the concurrency
    /// slots); requests in flight keep theirs.
    pub fn set_script(&self, script: MockScript) {
        *lock(&self.shared.current) = Current::new(script);
    }

    /// Every generation request received so far, by index.
    pub fn log(&self) -> Vec<RequestLog> {
        lock(&self.shared.log).clone()
    }

    /// The generation requests from index `first` on, without copying the earlier ones (for
    /// a long-running mock that writes its log out as requests finish).
    pub fn log_from(&self, first: usize) -> Vec<RequestLog> {
        lock(&self.shared.log)
            .get(first..)
            .map(<[RequestLog]>::to_vec)
            .unwrap_or_default()
    }

    /// Stops listening and waits until the port is closed; connections already open are
    /// not waited for.
    pub async fn stop(mut self) {
        self.server.abort();
        // Aborted: the join error says so, and the listener has been dropped.
        let _ = (&mut self.server).await;
    }
}

impl Shared {
    fn update(&self, index: u64, change: impl FnOnce(&mut RequestLog)) {
        if let Some(entry) = lock(&self.log).get_mut(index as usize) {
            change(entry);
        }
    }

    fn record(&self, index: u64, kind: SentKind, tokens: u32) {
        let at = Instant::now();
        self.update(index, |entry| {
            entry.sends.push(SentEvent { at, kind, tokens })
        });
    }
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An OpenAI-style error body.
fn error_response(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        json!({ "error": { "message": message, "type": kind, "code": status.as_u16() } }),
    )
}

fn unauthorized(script: &MockScript, headers: &HeaderMap) -> Option<Response<Body>> {
    let key = script.api_key.as_ref()?;
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    (sent != Some(format!("Bearer {key}").as_str())).then(|| {
        error_response(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Incorrect API key provided",
        )
    })
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response<Body> {
    let script = lock(&shared.current).script.clone();
    if let Some(denied) = unauthorized(&script, &headers) {
        return denied;
    }
    let data: Vec<serde_json::Value> = script
        .models
        .iter()
        .map(|id| json!({ "id": id, "object": "model", "created": 0, "owned_by": "mock" }))
        .collect();
    json_response(StatusCode::OK, json!({ "object": "list", "data": data }))
}

async fn completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    generate(shared, Route::Completions, headers, body).await
}

async fn chat(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    generate(shared, Route::Chat, headers, body).await
}

/// Answers one generation request, logging everything it sends.
async fn generate(
    shared: Arc<Shared>,
    route: Route,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response<Body> {
    let received = Instant::now();
    let Current { script, slots } = lock(&shared.current).clone();
    let index = {
        let mut log = lock(&shared.log);
        let index = log.len() as u64;
        log.push(RequestLog {
            index,
            path: route.path().to_string(),
            stream: false,
            prompt: String::new(),
            received,
            admitted: None,
            status: 200,
            fault: None,
            sends: Vec::new(),
            finished: None,
            completion_tokens: 0,
        });
        index
    };
    let response = respond(&shared, index, &script, slots, route, &headers, &bytes).await;
    if response.status() != StatusCode::OK {
        let status = response.status().as_u16();
        shared.record(index, SentKind::Body, 0);
        shared.update(index, |entry| {
            entry.status = status;
            entry.finished = Some(Instant::now());
        });
    }
    response
}

async fn respond(
    shared: &Arc<Shared>,
    index: u64,
    script: &MockScript,
    slots: Option<Arc<Semaphore>>,
    route: Route,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Response<Body> {
    if let Some(denied) = unauthorized(script, headers) {
        return denied;
    }
    let parsed = match body::parse(route, bytes, script) {
        Ok(parsed) => parsed,
        Err(message) => {
            return error_response(StatusCode::BAD_REQUEST, "BadRequestError", &message)
        }
    };
    shared.update(index, |entry| {
        entry.stream = parsed.stream;
        entry.prompt = parsed.prompt_words.join(" ");
    });
    if !script.models.contains(&parsed.model) {
        let message = format!("The model `{}` does not exist.", parsed.model);
        return error_response(StatusCode::NOT_FOUND, "NotFoundError", &message);
    }
    if parsed.echo && (!script.echo_logprobs || parsed.stream || route == Route::Chat) {
        let message = "echo is not supported here";
        return error_response(StatusCode::BAD_REQUEST, "BadRequestError", message);
    }
    let mut rng = script.rng_for(index);
    let fault = script.fault_for(index, &mut rng);
    shared.update(index, |entry| entry.fault = fault.clone());
    match &fault {
        Some(Fault::HttpStatus { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error_response(status, "InternalServerError", "injected failure");
        }
        Some(Fault::RateLimited { retry_after }) => {
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitError",
                "injected rate limit",
            );
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        _ => {}
    }
    let permit = match slots {
        Some(slots) => match slots.acquire_owned().await {
            Ok(permit) => Some(permit),
            Err(_) => {
                let message = "the concurrency queue closed";
                return error_response(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", message);
            }
        },
        None => None,
    };
    shared.update(index, |entry| entry.admitted = Some(Instant::now()));
    let (completion_tokens, finish_reason) = body::completion_length(&parsed, script);
    shared.update(index, |entry| entry.completion_tokens = completion_tokens);
    let times = body::token_times(completion_tokens, script, fault.as_ref(), &mut rng);
    let response = body::Response {
        parsed: &parsed,
        id: format!("mock-{index}"),
        completion_tokens,
        finish_reason,
    };
    if parsed.stream {
        let plan = response.stream_plan(script, &times, fault.as_ref());
        return streaming_response(shared.clone(), index, plan, permit);
    }
    let ready = times.last().copied().unwrap_or(script.time_to_first_token);
    tokio::time::sleep(ready).await;
    let text = match &fault {
        Some(Fault::MalformedJson { .. }) => "{\"choices\": [{\"text\": ".to_string(),
        _ => response.full_body().to_string(),
    };
    if let Some(Fault::DropStream { .. }) = fault {
        let plan = vec![Planned {
            delay: std::time::Duration::ZERO,
            kind: SentKind::Dropped,
            tokens: 0,
            bytes: None,
        }];
        return streaming_response(shared.clone(), index, plan, permit);
    }
    shared.record(index, SentKind::Body, completion_tokens);
    shared.update(index, |entry| entry.finished = Some(Instant::now()));
    drop(permit);
    let mut response = json_response(StatusCode::OK, json!(null));
    *response.body_mut() = Body::from(text);
    response
}

/// What the body stream carries from one write to the next.
struct Streaming {
    shared: Arc<Shared>,
    index: u64,
    events: VecDeque<Planned>,
    dropped: bool,
    _permit: Option<OwnedSemaphorePermit>,
}

fn streaming_response(
    shared: Arc<Shared>,
    index: u64,
    plan: Vec<Planned>,
    permit: Option<OwnedSemaphorePermit>,
) -> Response<Body> {
    let state = Streaming {
        shared,
        index,
        events: plan.into(),
        dropped: false,
        _permit: permit,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        if state.dropped {
            return None;
        }
        let Some(event) = state.events.pop_front() else {
            state
                .shared
                .update(state.index, |entry| entry.finished = Some(Instant::now()));
            return None;
        };
        if !event.delay.is_zero() {
            tokio::time::sleep(event.delay).await;
        }
        if event.bytes.is_none() {
            // Give the server one turn to flush what was already written: an error from
            // the body makes hyper close the connection without flushing its buffer.
            tokio::task::yield_now().await;
        }
        state.shared.record(state.index, event.kind, event.tokens);
        let item = match event.bytes {
            Some(text) => Ok(Bytes::from(text)),
            None => {
                state.dropped = true;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the mock drops the stream",
                ))
            }
        };
        Some((item, state))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
