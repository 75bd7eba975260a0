//! What the mock OpenAI server does ([`MockScript`], [`Fault`]) and what it remembers
//! ([`RequestLog`]).

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How the mock behaves during one run. Build one with `..MockScript::default()`.
///
/// Token `i` (0-based) of a response is ready at `time_to_first_token + i × inter_token_gap`
/// after the request was admitted (each delay scaled by the jitter), and a chunk is sent when
/// its last token is ready, so several tokens per chunk arrive later and together, as from a
/// server that buffers its output.
#[derive(Debug, Clone, PartialEq)]
pub struct MockScript {
    /// Model ids listed by `GET /v1/models`; a request naming another model gets 404.
    pub models: Vec<String>,
    /// From admission (after any queueing) to the first token.
    pub time_to_first_token: Duration,
    /// Between two consecutive tokens.
    pub inter_token_gap: Duration,
    /// Tokens per streamed event (at least 1).
    pub tokens_per_chunk: u32,
    /// Each delay is multiplied by a factor drawn uniformly from `[1 − jitter, 1 + jitter]`
    /// (clamped to `0..=1`); 0 means exact delays.
    pub jitter: f64,
    /// Seeds the jitter and fault-rate draws; request `i` draws from stream `i` of a
    /// ChaCha8 generator, so a request's draws do not depend on the others.
    pub seed: u64,
    /// Requests generating at once; later ones wait in a queue. `None`: no limit.
    pub max_concurrent: Option<usize>,
    /// Checked in order for each generation request; the first rule that matches applies.
    pub faults: Vec<FaultRule>,
    /// When set, every route answers 401 unless `Authorization: Bearer <key>` is sent.
    pub api_key: Option<String>,
    /// `max_tokens` when the request gives none.
    pub default_max_tokens: u32,
    /// The model "emits end-of-sequence" after this many tokens, unless `ignore_eos` or
    /// `min_tokens` asks for more and `honour_ignore_eos` is set. `None`: never.
    pub natural_length: Option<u32>,
    /// Whether `ignore_eos` and `min_tokens` are honoured.
    pub honour_ignore_eos: bool,
    /// Whether `stream_options.include_usage` adds the final usage event.
    pub usage_in_stream: bool,
    /// Whether `stream_options.continuous_usage_stats` (vLLM) adds the running usage to
    /// every streamed event.
    pub continuous_usage: bool,
    /// Whether `/v1/completions` answers `echo` with prompt logprobs (otherwise 400).
    pub echo_logprobs: bool,
    /// End SSE lines with `\r\n` instead of `\n`.
    pub crlf: bool,
}

impl Default for MockScript {
    fn default() -> Self {
        MockScript {
            models: vec!["mock-model".to_string()],
            time_to_first_token: Duration::from_millis(20),
            inter_token_gap: Duration::from_millis(5),
            tokens_per_chunk: 1,
            jitter: 0.0,
            seed: 0,
            max_concurrent: None,
            faults: Vec::new(),
            api_key: None,
            default_max_tokens: 16,
            natural_length: None,
            honour_ignore_eos: true,
            usage_in_stream: true,
            continuous_usage: true,
            echo_logprobs: true,
            crlf: false,
        }
    }
}

/// A failure the mock injects into a generation request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer at once with this status and an OpenAI-style error body.
    HttpStatus { status: u16 },
    /// Answer at once with 429 and `Retry-After` (whole seconds, rounded up).
    RateLimited { retry_after: Duration },
    /// Close the connection after the event that brings the tokens sent to at least
    /// `after_tokens` (0: after the chat role event, before any token), without `[DONE]`.
    DropStream { after_tokens: u32 },
    /// End the body cleanly (no error, no usage event, no `[DONE]`) once `after_tokens`
    /// tokens were sent, or after the last token if there are fewer: a server that just
    /// stops. Streaming only.
    EndStream { after_tokens: u32 },
    /// Send an event whose data is not valid JSON after `after_tokens` tokens, then go on.
    MalformedJson { after_tokens: u32 },
    /// Pause for `pause` once `after_tokens` tokens were sent, then go on.
    Stall { after_tokens: u32, pause: Duration },
}

/// Which generation requests a [`Fault`] hits. Requests are numbered from 0 in the order
/// the mock received them (completions and chat completions together).
#[derive(Debug, Clone, PartialEq)]
pub enum FaultWhen {
    Always,
    Requests(Vec<u64>),
    /// Each request independently, with this probability (seeded by [`MockScript::seed`]).
    Rate {
        probability: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub fault: Fault,
    pub when: FaultWhen,
}

impl FaultRule {
    pub fn new(fault: Fault, when: FaultWhen) -> FaultRule {
        FaultRule { fault, when }
    }
}

/// What the mock sent in one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentKind {
    /// The chat role-only event.
    Role,
    /// An event carrying tokens.
    Tokens,
    /// The final usage-only event.
    Usage,
    /// `data: [DONE]`.
    Done,
    /// An event with invalid JSON.
    Malformed,
    /// The connection was closed mid-stream.
    Dropped,
    /// A whole non-streaming response body or error body.
    Body,
}

/// One write of a response, timed on the mock's monotonic clock just before the bytes were
/// handed to the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentEvent {
    pub at: Instant,
    pub kind: SentKind,
    /// Generated tokens in this write.
    pub tokens: u32,
}

/// What the mock did with one generation request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLog {
    pub index: u64,
    /// `/v1/completions` or `/v1/chat/completions`.
    pub path: String,
    pub stream: bool,
    /// The prompt's words (every message's content for chat) joined by single spaces; empty
    /// until the body was parsed.
    pub prompt: String,
    /// When the handler started (the request body had been read).
    pub received: Instant,
    /// When the request got a concurrency slot; `None` if it never did.
    pub admitted: Option<Instant>,
    pub status: u16,
    pub fault: Option<Fault>,
    pub sends: Vec<SentEvent>,
    /// When the response was complete; `None` if it was dropped or abandoned.
    pub finished: Option<Instant>,
    /// Tokens the mock decided to generate.
    pub completion_tokens: u32,
}

impl RequestLog {
    /// Writes that carried tokens, in order.
    pub fn token_sends(&self) -> Vec<SentEvent> {
        self.sends
            .iter()
            .filter(|sent| sent.tokens > 0)
            .copied()
            .collect()
    }

    /// When the first token was sent.
    pub fn first_token_sent(&self) -> Option<Instant> {
        self.sends
            .iter()
            .find(|sent| sent.tokens > 0)
            .map(|sent| sent.at)
    }
}

impl MockScript {
    /// The generator of request `index`'s draws.
    pub(super) fn rng_for(&self, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        rng
    }

    /// The fault that hits request `index`, if any. Draws one number per rate rule, whether
    /// an earlier rule matched or not, so later draws do not depend on which rule matched.
    pub(super) fn fault_for(&self, index: u64, rng: &mut ChaCha8Rng) -> Option<Fault> {
        let mut chosen = None;
        for rule in &self.faults {
            let hit = match &rule.when {
                FaultWhen::Always => true,
                FaultWhen::Requests(indices) => indices.contains(&index),
                FaultWhen::Rate { probability } => rng.random::<f64>() < *probability,
            };
            if hit && chosen.is_none() {
                chosen = Some(rule.fault.clone());
            }
        }
        chosen
    }

    /// `delay` scaled by a jitter factor drawn from `rng`.
    pub(super) fn jittered(&self, delay: Duration, rng: &mut ChaCha8Rng) -> Duration {
        let jitter = self.jitter.clamp(0.0, 1.0);
        if jitter == 0.0 {
            return delay;
        }
        let factor = 1.0 + jitter * (2.0 * rng.random::<f64>() - 1.0);
        delay.mul_f64(factor.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_by_index_and_rate_are_deterministic() {
        let script = MockScript {
            faults: vec![
                FaultRule::new(
                    Fault::HttpStatus { status: 500 },
                    FaultWhen::Requests(vec![2]),
                ),
                FaultRule::new(
                    Fault::HttpStatus { status: 503 },
                    FaultWhen::Rate { probability: 0.5 },
                ),
            ],
            seed: 7,
            ..MockScript::default()
        };
        let draw = |index| script.fault_for(index, &mut script.rng_for(index));
        assert_eq!(draw(2), Some(Fault::HttpStatus { status: 500 }));
        let rated: Vec<Option<Fault>> = (0..200).map(draw).collect();
        assert_eq!(rated, (0..200).map(draw).collect::<Vec<_>>());
        let hits = rated
            .iter()
            .filter(|fault| **fault == Some(Fault::HttpStatus { status: 503 }))
            .count();
        assert!((60..140).contains(&hits), "{hits} of 200 at rate 0.5");
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let script = MockScript {
            jitter: 0.2,
            ..MockScript::default()
        };
        let mut rng = script.rng_for(0);
        for _ in 0..100 {
            let delay = script.jittered(Duration::from_millis(10), &mut rng);
            assert!(delay >= Duration::from_millis(8) && delay <= Duration::from_millis(12));
        }
        let exact = MockScript::default();
        assert_eq!(
            exact.jittered(Duration::from_millis(10), &mut rng),
            Duration::from_millis(10)
        );
    }
}
