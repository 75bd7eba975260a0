//! Per-request metrics: pure functions of one [`RequestTiming`].
//!
//! Notation, all offsets from the run's start: `scheduled` (when the request was due; open
//! loop only), `sent`, `first_token` (arrival of the first chunk carrying at least one token),
//! `last_token` (arrival of the last such chunk), `last_byte` (end of the response),
//! `n` = `completion_tokens.count`.
//!
//! These functions compute a value whenever the timestamps allow it, whether the request
//! succeeded or not; the run summary ([`super::summarize_run`]) only uses completed requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::timing::RequestTiming;

/// Which inter-token latency samples a request contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItlDefinition {
    /// One sample per generated token after the first. A chunk carrying `k` tokens that
    /// arrived `g` after the previous token-carrying chunk contributes `k` samples of `g / k`;
    /// the extra `k - 1` tokens of the first token-carrying chunk contribute `k - 1` samples
    /// of zero (they arrived with the first token). A request's samples therefore sum to
    /// `last_token - first_token` and number (tokens in its chunks) - 1, so their mean is its
    /// TPOT whenever the chunks' token counts add up to `completion_tokens`. Independent of
    /// how the server groups tokens into chunks. The default.
    #[default]
    PerToken,
    /// One sample per gap between consecutive token-carrying chunks, whatever the number of
    /// tokens in them: `vllm bench serve`'s ITL and AIPerf's inter-chunk latency.
    PerChunk,
}

yardstick_core::closed_set!(ItlDefinition, "ITL definition", {
    PerToken => "per_token",
    PerChunk => "per_chunk",
});

/// The instant a latency is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyOrigin {
    /// When the request was sent: what the server is responsible for.
    #[default]
    Sent,
    /// When the request was due (open loop): what a user arriving on schedule experiences,
    /// including any time the request waited in the client because the load generator fell
    /// behind, so coordinated omission cannot hide queueing. A request without a scheduled
    /// time (closed loop) is due when it is sent.
    Scheduled,
}

yardstick_core::closed_set!(LatencyOrigin, "latency origin", {
    Sent => "sent",
    Scheduled => "scheduled",
});

impl LatencyOrigin {
    /// The origin instant of this record.
    pub fn of(self, record: &RequestTiming) -> Duration {
        match self {
            LatencyOrigin::Sent => record.sent,
            LatencyOrigin::Scheduled => record.scheduled.unwrap_or(record.sent),
        }
    }
}

/// Time to first token: `first_token - sent`. `None` without a token-carrying chunk.
pub fn ttft(record: &RequestTiming) -> Option<Duration> {
    record.first_token()?.checked_sub(record.sent)
}

/// Time to first token from the schedule: `first_token - scheduled`. `None` in a closed
/// loop or without a token-carrying chunk.
pub fn ttft_from_schedule(record: &RequestTiming) -> Option<Duration> {
    record.first_token()?.checked_sub(record.scheduled?)
}

/// End-to-end latency: `last_byte - sent`. `None` without a last byte.
pub fn e2e(record: &RequestTiming) -> Option<Duration> {
    record.last_byte?.checked_sub(record.sent)
}

/// End-to-end latency from the schedule: `last_byte - scheduled`. `None` in a closed loop or
/// without a last byte.
pub fn e2e_from_schedule(record: &RequestTiming) -> Option<Duration> {
    record.last_byte?.checked_sub(record.scheduled?)
}

/// How late the client sent the request: `sent - scheduled`. `None` in a closed loop.
pub fn schedule_lag(record: &RequestTiming) -> Option<Duration> {
    record.sent.checked_sub(record.scheduled?)
}

/// Time per output token after the first (vLLM's TPOT):
/// `(last_token - first_token) / (n - 1)`. `None` when `n` is unknown or below 2, or
/// without a token-carrying chunk.
pub fn tpot(record: &RequestTiming) -> Option<Duration> {
    let tokens = record.completion_tokens?.count;
    if tokens < 2 {
        return None;
    }
    let decode = record.last_token()?.checked_sub(record.first_token()?)?;
    Some(divide(decode, tokens - 1))
}

/// The request's inter-token latency samples under `definition`, in arrival order. Empty
/// with fewer than two tokens (per token) or two token-carrying chunks (per chunk).
pub fn inter_token_latencies(record: &RequestTiming, definition: ItlDefinition) -> Vec<Duration> {
    let mut samples = Vec::new();
    let mut chunks = record.token_chunks();
    let Some(first) = chunks.next() else {
        return samples;
    };
    if definition == ItlDefinition::PerToken {
        samples.extend((1..first.tokens).map(|_| Duration::ZERO));
    }
    let mut previous = first.arrived;
    for chunk in chunks {
        let gap = chunk.arrived.saturating_sub(previous);
        match definition {
            ItlDefinition::PerChunk => samples.push(gap),
            ItlDefinition::PerToken => {
                let share = divide(gap, u64::from(chunk.tokens));
                samples.extend((0..chunk.tokens).map(|_| share));
            }
        }
        previous = chunk.arrived;
    }
    samples
}

/// `duration / by` in whole nanoseconds (truncated); `by` must be above 0.
fn divide(duration: Duration, by: u64) -> Duration {
    let nanos = duration.as_nanos() / u128::from(by.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The per-request metrics of one record, as [`super::summarize_run`] uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMetrics {
    pub ttft: Option<Duration>,
    pub ttft_from_schedule: Option<Duration>,
    pub e2e: Option<Duration>,
    pub e2e_from_schedule: Option<Duration>,
    pub schedule_lag: Option<Duration>,
    pub tpot: Option<Duration>,
    pub inter_token_latencies: Vec<Duration>,
}

impl RequestMetrics {
    pub fn of(record: &RequestTiming, definition: ItlDefinition) -> RequestMetrics {
        RequestMetrics {
            ttft: ttft(record),
            ttft_from_schedule: ttft_from_schedule(record),
            e2e: e2e(record),
            e2e_from_schedule: e2e_from_schedule(record),
            schedule_lag: schedule_lag(record),
            tpot: tpot(record),
            inter_token_latencies: inter_token_latencies(record, definition),
        }
    }
}
