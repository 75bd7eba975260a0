//! A serving target simulated in tokio's time, for the scheduler's timing tests: run under a
//! paused runtime (`#[tokio::test(start_paused = true)]`) with [`TokioClock`], every delay is
//! exact and a run's timings are a pure function of the script, however loaded the machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use yardstick_backend_openai::LoadRequest;
use yardstick_bench::{Clock, Target, TargetDescription, TokioClock};
use yardstick_load::{Chunk, RequestTiming, TokenCount, TokenCountSource};

/// A server with `slots` generation slots (more requests queue, first come first served);
/// a request holding a slot streams `max_tokens` tokens, the first `time_to_first_token`
/// after it got the slot and each next one `inter_token_gap` later, one token per event.
#[derive(Debug)]
pub struct Simulated {
    slots: Semaphore,
    time_to_first_token: Duration,
    inter_token_gap: Duration,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    prompts: Mutex<Vec<String>>,
}

impl Simulated {
    pub fn new(slots: usize, time_to_first_token: Duration, inter_token_gap: Duration) -> Self {
        Simulated {
            slots: Semaphore::new(slots),
            time_to_first_token,
            inter_token_gap,
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            prompts: Mutex::new(Vec::new()),
        }
    }

    /// The most requests the server held at once, queued or generating.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    /// Every prompt received, in arrival order.
    pub fn prompts(&self) -> Vec<String> {
        self.prompts.lock().expect("not poisoned").clone()
    }
}

/// Counts a request in flight until dropped (finished, or cancelled with its run).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Target for Simulated {
    fn describe(&self) -> TargetDescription {
        TargetDescription {
            kind: "simulated".to_string(),
            model: "simulated-model".to_string(),
            details: String::new(),
        }
    }

    async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        let clock = TokioClock;
        let sent = clock.since(start);
        self.prompts
            .lock()
            .expect("not poisoned")
            .push(request.prompt.clone());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        let _in_flight = InFlight(&self.in_flight);
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the semaphore stays open");
        let mut chunks = Vec::new();
        for token in 0..request.max_tokens {
            let gap = if token == 0 {
                self.time_to_first_token
            } else {
                self.inter_token_gap
            };
            tokio::time::sleep(gap).await;
            chunks.push(Chunk {
                arrived: clock.since(start),
                tokens: 1,
            });
        }
        let finished = clock.since(start);
        RequestTiming {
            scheduled: None,
            sent,
            first_byte: chunks.first().map(|chunk| chunk.arrived),
            last_byte: chunks.last().map(|chunk| chunk.arrived),
            chunks,
            finished,
            prompt_tokens: Some(TokenCount::new(8, TokenCountSource::ServerUsage)),
            completion_tokens: Some(TokenCount::new(
                u64::from(request.max_tokens),
                TokenCountSource::ServerUsage,
            )),
            http_status: Some(200),
            error: None,
        }
    }
}
