//! A real server on a loopback port over a real model, and a client for it.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use yardstick_backend::GenerateRequest;
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};
use yardstick_serve::ServeState;

/// Small fixed options (one thread: test binaries run tests side by side); one generation
/// at a time unless a test asks for more, so generations are the engine's solo ones.
pub fn options(parallel: u32) -> LoadOptions {
    LoadOptions {
        threads: 1,
        context_tokens: 1024,
        batch_tokens: 512,
        max_sequences: 8,
        logits_rows: 64,
        parallel,
    }
}

/// A running server; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT/v1`
    pub base_url: String,
    pub backend: Arc<LlamaCppBackend>,
    pub client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

pub async fn start(path: &Path, served_model: &str, parallel: u32) -> Server {
    let backend = LlamaCppBackend::load(path, options(parallel))
        .await
        .unwrap_or_else(|error| panic!("loading {}: {error}", path.display()));
    let backend = Arc::new(backend);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("an address");
    let state = ServeState::new(Arc::clone(&backend), served_model);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(yardstick_serve::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Server {
        base_url: format!("http://{address}/v1"),
        backend,
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client"),
        _stop: stop,
    }
}

/// The Gemma model served as `gemma`, or None (skip).
pub async fn gemma(parallel: u32) -> Option<Server> {
    let path = yardstick_test_support::fixtures::gemma_model()?;
    Some(start(&path, "gemma", parallel).await)
}

/// The Qwen model served as `qwen`, or None (skip).
pub async fn qwen() -> Option<Server> {
    let path = yardstick_test_support::fixtures::qwen_model()?;
    Some(start(&path, "qwen", 1).await)
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    /// POSTs `body` to `path`: the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_to(self.url(path), body).await
    }

    /// POSTs `body` to `path` at the server's root (beside `/v1`, as vLLM's `/tokenize`).
    pub async fn post_root(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let root = self.base_url.trim_end_matches("/v1");
        self.post_to(format!("{root}/{path}"), body).await
    }

    async fn post_to(&self, url: String, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(url)
            .json(body)
            .send()
            .await
            .expect("an answer");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {text}"));
        (status, json)
    }

    /// POSTs a streaming request: the `data:` payloads in order, `[DONE]` checked last and
    /// left out.
    pub async fn stream(&self, path: &str, body: &Value) -> Vec<Value> {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().expect("ascii");
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let text = response.text().await.expect("a body");
        let data: Vec<&str> = text
            .split("\n\n")
            .filter(|event| !event.trim().is_empty())
            .map(|event| {
                event
                    .strip_prefix("data: ")
                    .unwrap_or_else(|| panic!("not a data event: {event:?}"))
            })
            .collect();
        assert_eq!(data.last(), Some(&"[DONE]"), "{text}");
        data[..data.len() - 1]
            .iter()
            .map(|payload| serde_json::from_str(payload).expect("a JSON chunk"))
            .collect()
    }
}

pub fn greedy(prompt: &str, max_tokens: u32, stop: &[&str]) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.to_string(),
        max_tokens,
        stop: stop.iter().map(|stop| stop.to_string()).collect(),
        ignore_eos: false,
        sampling: None,
    }
}

/// The `text` of every choice of a completions answer.
pub fn texts(answer: &Value) -> Vec<String> {
    answer["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|choice| choice["text"].as_str().expect("text").to_string())
        .collect()
}
