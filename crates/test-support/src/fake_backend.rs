//! A deterministic fake backend for runner tests.
//!
//! Its loglikelihood of a continuation is a pure function of the (context, continuation)
//! text (a hash mapped to a negative number), so tests can predict every score. It can be
//! told to fail on a given call, to stall forever on a given call (to simulate a process
//! killed mid-run), and it counts calls.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use yardstick_backend::{
    Backend, BackendDescription, BackendError, Capabilities, ChatMessage, ContinuationScore,
    FinishReason, GenerateRequest, Generation, GenerationTiming, LoglikelihoodRequest,
};

/// What the fake does on a given loglikelihood call (0-based call number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Return an inference error on this call.
    FailAt(u64),
    /// Never answer this call (the future stays pending), like a process that was killed.
    StallAt(u64),
}

/// A backend whose answers are a pure function of the request text.
#[derive(Debug, Default)]
pub struct FakeBackend {
    calls: AtomicU64,
    fault: Mutex<Option<Fault>>,
    /// Every request seen, in order (contexts of the first pair), for ordering tests.
    seen: Mutex<Vec<String>>,
}

impl FakeBackend {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_fault(fault: Fault) -> Self {
        let backend = Self::default();
        if let Ok(mut slot) = backend.fault.lock() {
            *slot = Some(fault);
        }
        backend
    }

    /// Number of loglikelihood calls answered or attempted so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The first context of every request, in the order requests arrived.
    pub fn seen_contexts(&self) -> Vec<String> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }

    /// The loglikelihood the fake gives a continuation: in [-10, 0), from a sha256 of both
    /// texts, so tests can compute the expected prediction independently.
    pub fn score(context: &str, continuation: &str) -> f64 {
        let mut hasher = Sha256::new();
        hasher.update(context.as_bytes());
        hasher.update([0u8]);
        hasher.update(continuation.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let unit = (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;
        -10.0 * (1.0 - unit) - 1e-9
    }
}

#[async_trait]
impl Backend for FakeBackend {
    fn describe(&self) -> BackendDescription {
        BackendDescription {
            kind: "fake".into(),
            engine_version: "fake-1".into(),
            batching_scheme: "fake-per-item".into(),
            threads: 1,
            capabilities: Capabilities {
                loglikelihood: true,
                generate: true,
                tokenize: true,
                chat_template: false,
            },
            context_tokens: 1 << 20,
            unavailable: Vec::new(),
        }
    }

    async fn loglikelihood(
        &self,
        request: LoglikelihoodRequest,
    ) -> Result<Vec<ContinuationScore>, BackendError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let fault = self.fault.lock().ok().and_then(|slot| *slot);
        match fault {
            Some(Fault::FailAt(at)) if at == call => {
                return Err(BackendError::Inference {
                    what: format!("fake call {call}"),
                    reason: "injected failure".into(),
                })
            }
            Some(Fault::StallAt(at)) if at == call => {
                std::future::pending::<()>().await;
            }
            _ => {}
        }
        if let (Ok(mut seen), Some(first)) = (self.seen.lock(), request.pairs.first()) {
            seen.push(first.context.clone());
        }
        Ok(request
            .pairs
            .iter()
            .map(|pair| ContinuationScore {
                loglikelihood: Self::score(&pair.context, &pair.continuation),
                is_greedy: false,
                continuation_tokens: pair.continuation.split_whitespace().count().max(1) as u32,
                context_tokens: pair.context.split_whitespace().count() as u32,
            })
            .collect())
    }

    async fn generate(&self, request: GenerateRequest) -> Result<Generation, BackendError> {
        let words = request.prompt.split_whitespace().count() as u32;
        Ok(Generation {
            text: " fake".repeat(request.max_tokens as usize),
            prompt_tokens: words,
            completion_tokens: request.max_tokens,
            finish_reason: FinishReason::Length,
            timing: GenerationTiming {
                time_to_first_token: Duration::from_millis(u64::from(words)),
                prefill: Duration::from_millis(u64::from(words)),
                decode: Duration::from_millis(u64::from(request.max_tokens)),
            },
        })
    }

    async fn tokenize(&self, text: &str, _add_special: bool) -> Result<Vec<u32>, BackendError> {
        Ok(text
            .split_whitespace()
            .map(|word| word.len() as u32)
            .collect())
    }

    async fn detokenize(&self, tokens: &[u32]) -> Result<String, BackendError> {
        Ok(tokens
            .iter()
            .map(|length| "x".repeat(*length as usize))
            .collect::<Vec<_>>()
            .join(" "))
    }

    async fn apply_chat_template(
        &self,
        _messages: &[ChatMessage],
        _end: yardstick_backend::ChatEnd,
    ) -> Result<String, BackendError> {
        Err(BackendError::Unsupported("apply a chat template".into()))
    }
}
