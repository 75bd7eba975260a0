//! Where the scheduler's time comes from. A run reads its start, every send time and its
//! duration bound from a [`Clock`] and waits on it for open-loop arrivals, so the scheduling
//! logic can be tested in simulated time: [`TokioClock`] under a paused tokio runtime moves
//! only when every task waits, by exactly what the earliest waits for, which makes a run
//! against a simulated target a pure function of the target's delays.
//!
//! Targets stamp their own events (as close to the socket as possible); a run's clock and its
//! target's must be the same: [`SystemClock`] for real targets.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;

/// A monotonic clock the scheduler reads and waits on.
#[async_trait]
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;

    /// Returns once [`Clock::now`] has reached `deadline` (at once if it has).
    async fn sleep_until(&self, deadline: Instant);

    /// Time since `earlier` (zero if `earlier` is later).
    fn since(&self, earlier: Instant) -> Duration {
        self.now().saturating_duration_since(earlier)
    }
}

/// The machine's monotonic clock, what real runs use. Tokio's timer fires on millisecond
/// ticks; to send within microseconds of an open-loop schedule, [`Clock::sleep_until`]
/// sleeps until shortly before the deadline, then yields until it has come.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    async fn sleep_until(&self, deadline: Instant) {
        const SPIN: Duration = Duration::from_micros(1500);
        if let Some(coarse) = deadline.checked_sub(SPIN) {
            if Instant::now() < coarse {
                tokio::time::sleep_until(coarse.into()).await;
            }
        }
        while Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
    }
}

/// Tokio's clock (`tokio::time::Instant`), waited on with tokio's timer at its millisecond
/// resolution. Under a paused runtime (`#[tokio::test(start_paused = true)]`) it is simulated
/// time: it stands still while any task can run and then jumps to the next timer, so tests of
/// scheduling logic neither sleep nor depend on how loaded the machine is. Outside one it is
/// the system clock with a coarser wait than [`SystemClock`].
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

#[async_trait]
impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_moves_only_by_what_is_waited_for() {
        let clock = TokioClock;
        let start = clock.now();
        assert_eq!(clock.since(start), Duration::ZERO);
        clock.sleep_until(start + Duration::from_millis(250)).await;
        assert_eq!(clock.since(start), Duration::from_millis(250));
        // A deadline already passed returns at once, without moving the clock.
        clock.sleep_until(start).await;
        assert_eq!(clock.since(start), Duration::from_millis(250));
    }

    #[tokio::test]
    async fn the_system_clock_waits_until_the_deadline() {
        let clock = SystemClock;
        let deadline = clock.now() + Duration::from_millis(5);
        clock.sleep_until(deadline).await;
        assert!(clock.now() >= deadline);
    }
}
