//! yardstick's client for any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server,
//! TGI, hosted APIs): it sends load-test requests to `/v1/completions` or
//! `/v1/chat/completions`, streaming or not, and records what it saw of each as a
//! `yardstick_load::RequestTiming` ([`OpenAiClient::send_streaming`],
//! [`OpenAiClient::send`]); and it probes what a server can do before a run relies on it
//! ([`probe`]: models, streaming, usage in the stream, `ignore_eos`, echo with logprobs).
//! For quality evaluation, [`OpenAiBackend`] is yardstick's `Backend` over the server
//! (loglikelihoods from prompt token logprobs, generations), built by [`connect`] after
//! [`probe_scoring`] has checked that the server's prompt logprobs can be trusted.
//!
//! Timestamps come from the monotonic clock (`std::time::Instant`), taken as close to the
//! socket as the HTTP client allows, as offsets from a run start the caller passes in;
//! every SSE event is stamped with the arrival of the bytes that completed it, before it is
//! parsed (the [`sse`] parser is fed raw reads for this). `docs/metrics.md` defines what is
//! computed from the records.
//!
//! This crate must not: panic, return `Err` or drop a request because the request failed
//! (every failure is a record with an `ErrorCause`: status, rate limit, timeout, refused
//! connection, dropped stream, malformed JSON; a scoring call returns it as a
//! `BackendError::Request` for the runner to retry); retry; compute metrics (that is
//! `yardstick-load`); schedule arrivals or sleep; print; or use a proxy from the
//! environment. Its one error type, [`OpenAiError`], is for what prevents measuring at all:
//! an invalid endpoint, an unreachable server or a refused API key during a probe.

mod call;
mod client;
mod endpoint;
mod error;
mod probe;
pub mod prompt_logprobs;
mod record;
mod request;
mod scorer;
mod scoring_probe;
pub mod sse;
mod wire;

pub use client::OpenAiClient;
pub use endpoint::{Api, Endpoint};
pub use error::OpenAiError;
pub use probe::{probe, Finding, ProbeReport, Support};
pub use request::{ChatTurn, LoadRequest};
pub use scorer::{LogprobSource, OpenAiBackend, RemoteTokenizer, ScoringSettings};
pub use scoring_probe::{connect, probe_scoring, server_version, ScoringProbe};
