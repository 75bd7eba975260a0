//! Retrying an item whose request to a remote backend failed: exponential backoff with
//! full jitter (seeded), never shorter than the server's `Retry-After`; every failed
//! attempt stored with its cause; and the circuit breaker that stops the run after too
//! many failures in a row, counted across all items in flight.

use super::item::run_item;
use crate::plan::{EvalPlan, RetryPolicy};
use crate::RunnerError;
use chrono::Utc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use yardstick_backend::{Backend, BackendError};
use yardstick_core::ItemResult;
use yardstick_store::{RequestFailure, RunUnit};
use yardstick_tasks::{TaskDefinition, TaskItem};

/// Failures in a row across the unit's items in flight; a success resets it.
#[derive(Debug, Default)]
pub(super) struct Breaker {
    consecutive: AtomicU32,
}

/// What an item needs to be retried, and where its failed attempts go.
pub(super) struct Attempts<'a> {
    pub(super) plan: &'a EvalPlan,
    pub(super) unit: &'a RunUnit,
    pub(super) breaker: &'a Breaker,
    /// Failed attempts not stored yet. The item futures run inside a buffered stream and
    /// must not wait for the store themselves (the loop polling them may hold its
    /// connection); the loop stores what collects here after each item, and before it
    /// returns an error, so no failure is lost with a future dropped mid-retry.
    pub(super) failures: &'a Mutex<Vec<RequestFailure>>,
    /// Where code tasks' programs run.
    pub(super) sandbox: Option<&'a yardstick_sandbox::Sandbox>,
}

impl Attempts<'_> {
    /// Takes the failed attempts collected so far.
    pub(super) fn take_failures(&self) -> Vec<RequestFailure> {
        self.failures
            .lock()
            .map(|mut failures| std::mem::take(&mut *failures))
            .unwrap_or_default()
    }

    /// Runs the item, retrying failed requests as the plan's policy says.
    pub(super) async fn run(
        &self,
        task: &TaskDefinition,
        item: TaskItem,
        backend: &dyn Backend,
    ) -> Result<ItemResult, RunnerError> {
        let policy = self.plan.retry;
        let index = item.index;
        let mut attempt: u32 = 1;
        loop {
            let error = match run_item(self.plan, task, item.clone(), backend, self.sandbox).await {
                Ok(result) => {
                    self.breaker.consecutive.store(0, Ordering::SeqCst);
                    return Ok(result);
                }
                Err(error) => error,
            };
            let RunnerError::Item {
                source:
                    BackendError::Request {
                        what,
                        cause,
                        retryable,
                        retry_after,
                        ..
                    },
                ..
            } = &error
            else {
                return Err(error);
            };
            let in_a_row = self.breaker.consecutive.fetch_add(1, Ordering::SeqCst) + 1;
            let tripped = in_a_row >= policy.circuit_breaker_failures.max(1);
            let retried = *retryable && attempt < policy.max_attempts && !tripped;
            let failure = RequestFailure {
                unit_id: self.unit.unit_id,
                item_index: index,
                attempt,
                cause: cause.clone(),
                message: what.clone(),
                retry_after_ms: retry_after.map(|wait| wait.as_millis() as u64),
                retried,
                occurred_at: Utc::now(),
            };
            if let Ok(mut failures) = self.failures.lock() {
                failures.push(failure);
            }
            if tripped {
                return Err(RunnerError::CircuitOpen {
                    run_id: self.unit.run_id.clone(),
                    failures: in_a_row,
                    last: format!("{cause}: {what}"),
                });
            }
            if !retried {
                return Err(error);
            }
            let wait = backoff(&policy, attempt, *retry_after, self.plan.seed, index);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// The wait before attempt `attempt + 1`: a uniform draw in `[0, min(max, initial ×
/// 2^(attempt-1))]` ("full jitter"), from a generator seeded by the plan's seed, the item
/// and the attempt; at least `retry_after` when the server gave one.
pub(super) fn backoff(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
    seed: u64,
    item: u64,
) -> Duration {
    let doubling = 2u64.saturating_pow(attempt.saturating_sub(1));
    let ceiling = policy
        .initial_backoff_ms
        .saturating_mul(doubling)
        .min(policy.max_backoff_ms);
    let fraction =
        (mix(seed ^ item.rotate_left(17) ^ u64::from(attempt)) >> 11) as f64 / (1u64 << 53) as f64;
    let jittered = Duration::from_millis((ceiling as f64 * fraction).round() as u64);
    jittered.max(retry_after.unwrap_or(Duration::ZERO))
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_stays_under_its_ceiling_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 6,
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            circuit_breaker_failures: 10,
        };
        let mut longest = Duration::ZERO;
        for attempt in 1..=6 {
            let ceiling = Duration::from_millis((100u64 << (attempt - 1)).min(1_000));
            for item in 0..50 {
                let wait = backoff(&policy, attempt, None, 7, item);
                assert!(wait <= ceiling, "attempt {attempt}: {wait:?} > {ceiling:?}");
                longest = longest.max(wait);
            }
        }
        assert!(
            longest > Duration::from_millis(500),
            "jitter spans the range"
        );
        // Seeded: the same inputs wait the same.
        assert_eq!(
            backoff(&policy, 3, None, 7, 4),
            backoff(&policy, 3, None, 7, 4)
        );
        let told = Duration::from_secs(3);
        assert_eq!(backoff(&policy, 1, Some(told), 7, 4), told);
    }
}
