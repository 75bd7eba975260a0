//! Sending one request and recording what the client saw of it as a [`RequestTiming`].
//!
//! Timestamps are `std::time::Instant`s taken at once when each thing happens, stored as
//! offsets from the run's start:
//! - `sent`: just before the request is handed to the HTTP client (the body is already
//!   serialised; connecting, if the pool has no idle connection, comes after);
//! - `first_byte`: when the first bytes of the response *body* arrived (for an empty body,
//!   when the response head arrived);
//! - each SSE event: when the read that completed it returned, before any parsing, so
//!   events that arrived together share a time;
//! - `last_byte`: the last read that returned bytes;
//! - `finished`: when the outcome was known (end of body, error observed, deadline).
//!
//! Every failure is a record with a cause, never a panic or an `Err`.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::time::timeout_at;
use yardstick_load::{Chunk, ErrorCause, RequestTiming, TokenCount, TokenCountSource};

use crate::client::{error_chain, error_message, OpenAiClient};
use crate::request::LoadRequest;
use crate::sse::{SseEvent, SseParser};
use crate::wire::{Completion, Tally};

/// The record of one exchange, with what the probe also wants to know.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub timing: RequestTiming,
    /// The server's error message, or the transport error, for a failure.
    pub message: Option<String>,
    /// Some streamed event's token count came from running usage.
    pub counted_from_usage: bool,
}

/// How long the body may go on after `data: [DONE]` before the client stops reading.
const AFTER_DONE_GRACE: Duration = Duration::from_secs(1);

/// How hyper reports a reused connection that the server had already closed.
const STALE_CONNECTION: &str = "connection closed before message completed";

/// Error bodies are kept up to this many bytes for their message.
const ERROR_BODY_LIMIT: usize = 4096;

impl OpenAiClient {
    /// Sends `request` streaming and records it. `start` is the run's monotonic start; every
    /// time in the record is an offset from it. `scheduled` is left for the caller.
    ///
    /// Per event, the token count is the number of tokens in its logprobs when it has
    /// any, else the growth of the running usage when `request.continuous_usage` is set
    /// and the server sends it, else 1 for an event with output and 0 otherwise.
    /// `completion_tokens` is the server's usage when sent (`ServerUsage`), else the sum
    /// over events (`ChunkCount`). The stream is complete at `data: [DONE]`, or at a clean
    /// end of the body after an event with a `finish_reason`; anything else is
    /// `StreamDropped`.
    pub async fn send_streaming(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        self.exchange(request, true, start).await.timing
    }

    /// Sends `request` without streaming and records it. The whole body is one chunk,
    /// arriving at the last byte and carrying every generated token (the server's usage
    /// count; 1 when it sent none but some text). So TTFT equals end-to-end latency and
    /// TPOT and ITL are 0: summarise non-streaming runs by end-to-end latency and
    /// throughput only. `completion_tokens` is `None` without a usage block.
    pub async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        self.exchange(request, false, start).await.timing
    }

    pub(crate) async fn exchange(
        &self,
        request: &LoadRequest,
        stream: bool,
        start: Instant,
    ) -> Outcome {
        let body = request.body(&self.endpoint.served_model, self.endpoint.api, stream);
        let built = self
            .http
            .post(self.generation_url.clone())
            .json(&body)
            .build();
        let sent = Instant::now();
        let mut recording = Recording::new(start, sent);
        let http_request = match built {
            Ok(http_request) => http_request,
            Err(error) => {
                let what = format!("the request could not be built: {error}");
                return recording.fail(ErrorCause::Malformed { what }, None);
            }
        };
        let deadline = tokio::time::Instant::from_std(sent);
        let deadline = deadline
            .checked_add(self.endpoint.timeout)
            .unwrap_or(deadline + Duration::from_secs(365 * 24 * 3600));
        // A pooled keep-alive connection the server closed just before it was reused fails
        // before the request reached the server (hyper: "connection closed before message
        // completed", no response byte). That is not the server failing the request: it is
        // sent once more, on a fresh connection; `sent` stays the first attempt's time.
        let retry = http_request.try_clone();
        let mut outcome = timeout_at(deadline, self.http.execute(http_request)).await;
        if let (Ok(Err(error)), Some(retry)) = (&outcome, retry) {
            if error_chain(error).contains(STALE_CONNECTION) {
                outcome = timeout_at(deadline, self.http.execute(retry)).await;
            }
        }
        let response = match outcome {
            Err(_) => return recording.fail(ErrorCause::Timeout, None),
            Ok(Err(error)) => {
                return recording.fail(transport_cause(&error), Some(error_chain(&error)))
            }
            Ok(Ok(response)) => response,
        };
        let head = Instant::now();
        let status = response.status();
        recording.timing.http_status = Some(status.as_u16());
        let mut body = Body { response, deadline };
        if !status.is_success() {
            return recording.error_status(&mut body, head).await;
        }
        if stream {
            recording
                .read_stream(&mut body, request.continuous_usage)
                .await
        } else {
            recording.read_whole(&mut body, head).await
        }
    }
}

/// What became of one read of the body.
enum Read<B> {
    Bytes(B, Instant),
    End,
    Failed(ErrorCause, String),
}

struct Body {
    response: reqwest::Response,
    deadline: tokio::time::Instant,
}

impl Body {
    async fn read(&mut self) -> Read<impl AsRef<[u8]>> {
        match timeout_at(self.deadline, self.response.chunk()).await {
            Ok(Ok(Some(bytes))) => Read::Bytes(bytes, Instant::now()),
            Ok(Ok(None)) => Read::End,
            Ok(Err(error)) => Read::Failed(transport_cause(&error), error_chain(&error)),
            Err(_) => Read::Failed(ErrorCause::Timeout, "the deadline passed".to_string()),
        }
    }
}

/// A transport failure's cause: the deadline, nothing accepting the connection, or the
/// connection ending before the response was complete.
fn transport_cause(error: &reqwest::Error) -> ErrorCause {
    if error.is_timeout() {
        ErrorCause::Timeout
    } else if error.is_connect() {
        ErrorCause::ConnectionRefused
    } else {
        ErrorCause::StreamDropped
    }
}

struct Recording {
    start: Instant,
    timing: RequestTiming,
}

impl Recording {
    fn new(start: Instant, sent: Instant) -> Recording {
        let sent = sent.saturating_duration_since(start);
        Recording {
            start,
            timing: RequestTiming {
                scheduled: None,
                sent,
                first_byte: None,
                chunks: Vec::new(),
                last_byte: None,
                finished: sent,
                prompt_tokens: None,
                completion_tokens: None,
                http_status: None,
                error: None,
            },
        }
    }

    fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }

    fn bytes_arrived(&mut self, at: Instant) {
        let at = self.offset(at);
        self.timing.first_byte.get_or_insert(at);
        self.timing.last_byte = Some(at);
    }

    fn done(mut self, error: Option<ErrorCause>, message: Option<String>) -> Outcome {
        self.timing.finished = self.offset(Instant::now());
        self.timing.error = error;
        Outcome {
            timing: self.timing,
            message,
            counted_from_usage: false,
        }
    }

    fn fail(self, cause: ErrorCause, message: Option<String>) -> Outcome {
        self.done(Some(cause), message)
    }

    /// Reads an error response to its end (within the deadline) for its timing and
    /// message; the status is the cause whatever happens to the body.
    async fn error_status(mut self, body: &mut Body, head: Instant) -> Outcome {
        let status = body.response.status().as_u16();
        let mut kept = Vec::new();
        // The body ends, fails or times out: the status stays the cause either way.
        while let Read::Bytes(bytes, at) = body.read().await {
            self.bytes_arrived(at);
            let room = ERROR_BODY_LIMIT.saturating_sub(kept.len());
            kept.extend(bytes.as_ref().iter().take(room));
        }
        if self.timing.first_byte.is_none() {
            self.bytes_arrived(head);
        }
        let text = String::from_utf8_lossy(&kept).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let cause = if status == 429 {
            ErrorCause::RateLimited
        } else {
            ErrorCause::Http { status }
        };
        self.fail(cause, Some(error_message(&json)))
    }

    /// Reads a whole non-streaming body and records it as one chunk.
    async fn read_whole(mut self, body: &mut Body, head: Instant) -> Outcome {
        let mut bytes = Vec::new();
        loop {
            match body.read().await {
                Read::Bytes(read, at) => {
                    self.bytes_arrived(at);
                    bytes.extend_from_slice(read.as_ref());
                }
                Read::End => break,
                Read::Failed(cause, message) => return self.fail(cause, Some(message)),
            }
        }
        if self.timing.first_byte.is_none() {
            self.bytes_arrived(head);
        }
        let parsed = serde_json::from_slice::<Value>(&bytes).and_then(|raw| {
            serde_json::from_value::<Completion>(raw.clone()).map(|parsed| (raw, parsed))
        });
        let (raw, completion) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                let what = format!("the response body is not a completion: {error}");
                return self.fail(ErrorCause::Malformed { what }, None);
            }
        };
        if let Some((cause, message)) = completion.error(&raw) {
            return self.fail(cause, Some(message));
        }
        let Some(choices) = &completion.choices else {
            let what = "the response body has no `choices`".to_string();
            return self.fail(ErrorCause::Malformed { what }, None);
        };
        let usage = completion.usage.unwrap_or_default();
        let output = choices.iter().any(|choice| choice.has_output());
        let tokens = usage.completion_tokens.unwrap_or(u64::from(output));
        self.timing.chunks.push(Chunk {
            arrived: self.timing.last_byte.unwrap_or(self.timing.sent),
            tokens: u32::try_from(tokens).unwrap_or(u32::MAX),
        });
        let server = |count| TokenCount::new(count, TokenCountSource::ServerUsage);
        self.timing.prompt_tokens = usage.prompt_tokens.map(server);
        self.timing.completion_tokens = usage.completion_tokens.map(server);
        self.done(None, None)
    }

    /// Reads an SSE stream event by event.
    async fn read_stream(mut self, body: &mut Body, continuous: bool) -> Outcome {
        let mut parser = SseParser::new();
        let mut stream = StreamState {
            tally: Tally::new(continuous),
            done: false,
            finish_seen: false,
        };
        let mut last_read = None;
        let ended = loop {
            match body.read().await {
                Read::Bytes(bytes, at) => {
                    self.bytes_arrived(at);
                    last_read = Some(at);
                    if stream.done {
                        continue;
                    }
                    for event in parser.push(bytes.as_ref()) {
                        if let Err((cause, message)) = self.event(&event, at, &mut stream) {
                            return self.stream_outcome(&stream, Some(cause), message);
                        }
                        if stream.done {
                            // Wait a little for the body's end, not for the whole timeout:
                            // a server holding the connection after [DONE] must not
                            // stretch `finished`.
                            let grace = tokio::time::Instant::now() + AFTER_DONE_GRACE;
                            body.deadline = body.deadline.min(grace);
                            break;
                        }
                    }
                }
                Read::End => break None,
                // After [DONE] the response is complete, whatever ends the body.
                Read::Failed(..) if stream.done => break None,
                Read::Failed(cause, message) => break Some((cause, message)),
            }
        };
        // A clean end may leave a last event without its closing empty line.
        if let (false, None, Some(at)) = (stream.done, &ended, last_read) {
            if let Some(event) = parser.finish() {
                if let Err((cause, message)) = self.event(&event, at, &mut stream) {
                    return self.stream_outcome(&stream, Some(cause), message);
                }
            }
        }
        let complete = stream.done || (ended.is_none() && stream.finish_seen);
        match ended {
            _ if complete => self.stream_outcome(&stream, None, None),
            Some((cause, message)) => self.stream_outcome(&stream, Some(cause), Some(message)),
            None => {
                let message = "the body ended before `data: [DONE]`".to_string();
                self.stream_outcome(&stream, Some(ErrorCause::StreamDropped), Some(message))
            }
        }
    }

    /// Records one SSE event that arrived at `at`.
    fn event(
        &mut self,
        event: &SseEvent,
        at: Instant,
        stream: &mut StreamState,
    ) -> Result<(), (ErrorCause, Option<String>)> {
        let arrived = self.offset(at);
        let data = event.data.trim();
        let mut chunk = Chunk { arrived, tokens: 0 };
        if data == "[DONE]" {
            stream.done = true;
        } else if !data.is_empty() {
            let number = self.timing.chunks.len();
            let parsed = serde_json::from_str::<Value>(data).and_then(|raw| {
                serde_json::from_value::<Completion>(raw.clone()).map(|parsed| (raw, parsed))
            });
            let (raw, completion) = parsed.map_err(|error| {
                let what = format!("SSE event {number} is not a completion chunk: {error}");
                (ErrorCause::Malformed { what }, Some(data.to_string()))
            })?;
            if let Some((cause, message)) = completion.error(&raw) {
                return Err((cause, Some(message)));
            }
            if event.event.as_deref() == Some("error") {
                let what = format!("SSE event {number} is an `error` event");
                return Err((ErrorCause::Malformed { what }, Some(data.to_string())));
            }
            chunk.tokens = stream.tally.tokens_in(&completion);
            stream.finish_seen |= completion.finished();
        }
        self.timing.chunks.push(chunk);
        Ok(())
    }

    fn stream_outcome(
        mut self,
        stream: &StreamState,
        error: Option<ErrorCause>,
        message: Option<String>,
    ) -> Outcome {
        let usage = stream.tally.usage;
        let server = |count| TokenCount::new(count, TokenCountSource::ServerUsage);
        self.timing.prompt_tokens = usage.prompt_tokens.map(server);
        self.timing.completion_tokens = Some(usage.completion_tokens.map_or_else(
            || TokenCount::new(self.timing.chunk_tokens(), TokenCountSource::ChunkCount),
            server,
        ));
        let mut outcome = self.done(error, message);
        outcome.counted_from_usage = stream.tally.counted_from_usage;
        outcome
    }
}

struct StreamState {
    tally: Tally,
    /// `data: [DONE]` arrived.
    done: bool,
    /// Some event carried a `finish_reason`.
    finish_seen: bool,
}
