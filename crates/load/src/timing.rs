//! The per-request timing record of a load test: what the client saw of one request, as
//! offsets from the run's monotonic start. The client fills it in; [`crate::metrics`]
//! computes everything else from it, so a stored record can be re-summarised under another
//! definition without re-running the load.
//!
//! In JSON every time is an integer number of nanoseconds since the run's start, in a field
//! whose name ends in `_ns`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where a token count comes from, from most to least trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenCountSource {
    /// The server's `usage` block.
    ServerUsage,
    /// The client tokenized the text with the model's tokenizer.
    Tokenizer,
    /// The client counted streamed chunks, assuming the tokens each chunk says it carries
    /// (one per chunk when nothing says otherwise).
    ChunkCount,
}

/// A number of tokens and where it was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCount {
    pub count: u64,
    pub source: TokenCountSource,
}

impl TokenCount {
    pub fn new(count: u64, source: TokenCountSource) -> TokenCount {
        TokenCount { count, source }
    }
}

/// One streamed chunk (for SSE, one `data:` event) as it reached the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// When the chunk was complete at the client.
    #[serde(rename = "arrived_ns", with = "nanoseconds")]
    pub arrived: Duration,
    /// Generated tokens it carries: 0 for a role-only, usage-only or keep-alive event, more
    /// than 1 when the server batches tokens (speculative decoding, buffered streaming).
    pub tokens: u32,
}

/// Why a request failed. A failed request is a measurement: it is recorded with its cause,
/// counted, and never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum ErrorCause {
    /// The server answered with an error status other than 429.
    Http { status: u16 },
    /// HTTP 429, or the server's own rate-limit error.
    RateLimited,
    /// The client's deadline for the request passed.
    Timeout,
    /// Nothing accepted the connection.
    ConnectionRefused,
    /// The connection or stream ended before the response was complete.
    StreamDropped,
    /// The response could not be understood; `what` says which part.
    Malformed { what: String },
    /// The client cancelled the request (the run ended or was interrupted).
    Cancelled,
    /// An in-process engine failed the request; `what` is its reason.
    Engine { what: String },
}

impl ErrorCause {
    /// A short stable label for counting errors by cause: `http_503`, `rate_limited`,
    /// `timeout`, `connection_refused`, `stream_dropped`, `malformed`, `cancelled`, `engine`.
    pub fn label(&self) -> String {
        match self {
            ErrorCause::Http { status } => format!("http_{status}"),
            ErrorCause::RateLimited => "rate_limited".to_string(),
            ErrorCause::Timeout => "timeout".to_string(),
            ErrorCause::ConnectionRefused => "connection_refused".to_string(),
            ErrorCause::StreamDropped => "stream_dropped".to_string(),
            ErrorCause::Malformed { .. } => "malformed".to_string(),
            ErrorCause::Cancelled => "cancelled".to_string(),
            ErrorCause::Engine { .. } => "engine".to_string(),
        }
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCause::Http { status } => write!(f, "HTTP status {status}"),
            ErrorCause::RateLimited => f.write_str("rate limited"),
            ErrorCause::Timeout => f.write_str("timed out"),
            ErrorCause::ConnectionRefused => f.write_str("connection refused"),
            ErrorCause::StreamDropped => f.write_str("stream dropped before the end"),
            ErrorCause::Malformed { what } => write!(f, "malformed response: {what}"),
            ErrorCause::Cancelled => f.write_str("cancelled"),
            ErrorCause::Engine { what } => write!(f, "engine error: {what}"),
        }
    }
}

/// What the client observed of one request. Every time is a `Duration` since the run's
/// monotonic start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestTiming {
    /// When the schedule said the request was due (open loop); `None` in a closed loop,
    /// where a request is due when a worker is free.
    #[serde(rename = "scheduled_ns", with = "optional_nanoseconds", default)]
    pub scheduled: Option<Duration>,
    /// When the request left the client (its first byte was written).
    #[serde(rename = "sent_ns", with = "nanoseconds")]
    pub sent: Duration,
    /// When the first byte of the response arrived.
    #[serde(rename = "first_byte_ns", with = "optional_nanoseconds", default)]
    pub first_byte: Option<Duration>,
    /// Every chunk of the response body in arrival order, token-carrying or not.
    #[serde(default)]
    pub chunks: Vec<Chunk>,
    /// When the last byte of the response arrived (the end of the stream).
    #[serde(rename = "last_byte_ns", with = "optional_nanoseconds", default)]
    pub last_byte: Option<Duration>,
    /// When the client recorded the outcome: the end of the response for a success; the
    /// moment the error was observed (deadline fired, connection refused, stream ended,
    /// cancellation) for a failure.
    #[serde(rename = "finished_ns", with = "nanoseconds")]
    pub finished: Duration,
    #[serde(default)]
    pub prompt_tokens: Option<TokenCount>,
    #[serde(default)]
    pub completion_tokens: Option<TokenCount>,
    #[serde(default)]
    pub http_status: Option<u16>,
    /// `None` for a request that completed.
    #[serde(default)]
    pub error: Option<ErrorCause>,
}

impl RequestTiming {
    /// Whether the request completed (no error recorded).
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// The chunks that carry at least one token, in arrival order.
    pub fn token_chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.chunks.iter().filter(|chunk| chunk.tokens > 0)
    }

    /// When the first token-carrying chunk arrived.
    pub fn first_token(&self) -> Option<Duration> {
        self.token_chunks().next().map(|chunk| chunk.arrived)
    }

    /// When the last token-carrying chunk arrived.
    pub fn last_token(&self) -> Option<Duration> {
        self.token_chunks().last().map(|chunk| chunk.arrived)
    }

    /// Tokens summed over the chunks (compare with `completion_tokens`).
    pub fn chunk_tokens(&self) -> u64 {
        self.chunks
            .iter()
            .map(|chunk| u64::from(chunk.tokens))
            .sum()
    }

    /// Checks that the timestamps are in a possible order: due ≤ sent ≤ first byte ≤ each
    /// chunk (in order) ≤ last byte ≤ finished, and sent ≤ finished. A violation is a bug in
    /// the recorder; the message says which pair is out of order.
    pub fn check(&self) -> Result<(), String> {
        let mut earlier: Vec<(&str, Duration)> = Vec::new();
        if let Some(scheduled) = self.scheduled {
            earlier.push(("scheduled", scheduled));
        }
        earlier.push(("sent", self.sent));
        if let Some(first_byte) = self.first_byte {
            earlier.push(("first byte", first_byte));
        }
        let chunk_names: Vec<String> = (0..self.chunks.len())
            .map(|index| format!("chunk {index}"))
            .collect();
        for (name, chunk) in chunk_names.iter().zip(&self.chunks) {
            earlier.push((name, chunk.arrived));
        }
        if let Some(last_byte) = self.last_byte {
            earlier.push(("last byte", last_byte));
        }
        earlier.push(("finished", self.finished));
        for pair in earlier.windows(2) {
            let ((first_name, first), (second_name, second)) = (pair[0], pair[1]);
            if second < first {
                return Err(format!(
                    "{second_name} at {second:?} is before {first_name} at {first:?}"
                ));
            }
        }
        Ok(())
    }
}

/// A `Duration` as integer nanoseconds.
mod nanoseconds {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        let nanos = u64::try_from(value.as_nanos())
            .map_err(|_| serde::ser::Error::custom(format!("{value:?} exceeds u64 nanoseconds")))?;
        nanos.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_nanos(u64::deserialize(deserializer)?))
    }
}

/// An optional `Duration` as integer nanoseconds or null.
mod optional_nanoseconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => super::nanoseconds::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    fn record() -> RequestTiming {
        RequestTiming {
            scheduled: Some(ms(0)),
            sent: ms(1),
            first_byte: Some(ms(90)),
            chunks: vec![
                Chunk {
                    arrived: ms(95),
                    tokens: 0,
                },
                Chunk {
                    arrived: ms(100),
                    tokens: 1,
                },
                Chunk {
                    arrived: ms(150),
                    tokens: 2,
                },
            ],
            last_byte: Some(ms(151)),
            finished: ms(151),
            prompt_tokens: Some(TokenCount::new(12, TokenCountSource::ServerUsage)),
            completion_tokens: Some(TokenCount::new(3, TokenCountSource::ServerUsage)),
            http_status: Some(200),
            error: None,
        }
    }

    #[test]
    fn token_chunks_skip_empty_events() {
        let record = record();
        assert_eq!(record.first_token(), Some(ms(100)));
        assert_eq!(record.last_token(), Some(ms(150)));
        assert_eq!(record.chunk_tokens(), 3);
        assert!(record.succeeded());
    }

    #[test]
    fn check_names_the_pair_out_of_order() {
        assert_eq!(record().check(), Ok(()));
        let mut swapped = record();
        swapped.chunks[2].arrived = ms(97);
        assert_eq!(
            swapped.check(),
            Err("chunk 2 at 97ms is before chunk 1 at 100ms".to_string())
        );
        let mut early = record();
        early.sent = Duration::ZERO;
        early.scheduled = Some(ms(5));
        assert_eq!(
            early.check(),
            Err("sent at 0ns is before scheduled at 5ms".to_string())
        );
    }

    #[test]
    fn serializes_times_as_nanoseconds_and_round_trips() {
        let mut record = record();
        record.error = Some(ErrorCause::Http { status: 503 });
        let json = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(json["sent_ns"], 1_000_000);
        assert_eq!(json["chunks"][1]["arrived_ns"], 100_000_000);
        assert_eq!(json["error"]["cause"], "http");
        assert_eq!(json["error"]["status"], 503);
        assert_eq!(json["completion_tokens"]["source"], "server_usage");
        let back: Option<RequestTiming> = serde_json::from_value(json).ok();
        assert_eq!(back, Some(record));
    }

    #[test]
    fn error_labels_are_stable() {
        let causes = [
            (ErrorCause::Http { status: 500 }, "http_500"),
            (ErrorCause::RateLimited, "rate_limited"),
            (ErrorCause::Timeout, "timeout"),
            (ErrorCause::ConnectionRefused, "connection_refused"),
            (ErrorCause::StreamDropped, "stream_dropped"),
            (
                ErrorCause::Malformed {
                    what: "usage block".to_string(),
                },
                "malformed",
            ),
            (ErrorCause::Cancelled, "cancelled"),
        ];
        for (cause, label) in causes {
            assert_eq!(cause.label(), label);
        }
    }
}
