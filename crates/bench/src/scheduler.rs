//! Sending a workload to a target at one load point.
//!
//! - **Closed loop** ([`LoadPoint::Concurrency`]): `concurrency` workers; each sends its next
//!   request the moment its previous one finished, so exactly that many are in flight.
//! - **Open loop** ([`LoadPoint::Rate`]): request `i` is due at the `i`-th offset of a seeded
//!   arrival schedule and is sent then, however many are still in flight: a slow target
//!   cannot slow the arrivals down. Each record keeps its scheduled time, so latencies can be
//!   measured from the schedule (coordinated omission) and the lag between schedule and
//!   sending shows whether the client itself kept up.
//!
//! Request `i` of the run is `workload[(first_request + i) % workload.len()]` (a sweep starts
//! each run where the previous one stopped, so a server's prompt cache never sees a prompt
//! twice while the workload lasts); the first `warmup` requests by
//! send time are warm-up (kept, left out of the statistics). A run ends when `warmup +
//! requests` requests were sent, or when `duration` has passed since the first one (no new
//! request starts after it; those in flight finish), whichever comes first, or when it is
//! cancelled: requests in flight are then recorded as `cancelled` and what finished is kept.
//!
//! Every time the scheduler reads or waits for comes from the run's [`Clock`], so its logic
//! is tested in simulated time (`tests/scheduler.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::LoadRequest;
use yardstick_load::{ArrivalSchedule, ErrorCause, MetricsOptions, RequestTiming};

use crate::clock::Clock;
use crate::error::BenchError;
use crate::point::{LoadPoint, PointResult};
use crate::target::Target;

/// How long one run at a load point goes on, and how it is summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub point: LoadPoint,
    /// Measured requests (after warm-up); `None` = until `duration` ends.
    pub requests: Option<usize>,
    /// No request is sent later than this after the run's start.
    pub duration: Option<Duration>,
    /// Requests sent first and left out of the statistics.
    pub warmup: usize,
    /// Seeds the arrival schedule of an open-loop run.
    pub seed: u64,
    /// ITL definition and SLOs (its `warmup_requests` is replaced by `warmup`).
    pub metrics: MetricsOptions,
    /// Index in the workload of the run's first request.
    pub first_request: usize,
}

impl RunSettings {
    fn total(&self) -> Option<usize> {
        self.requests.map(|requests| requests + self.warmup)
    }
}

/// Told about every finished request, for live progress.
pub trait ProgressSink: Send + Sync {
    fn started(&self, _settings: &RunSettings) {}
    fn finished(&self, timing: &RequestTiming);
    /// A whole run ended (trial `trial` of its point), resources attached.
    fn point_finished(&self, _result: &PointResult, _trial: u64) {}
}

/// A sink that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn finished(&self, _timing: &RequestTiming) {}
}

/// What the tasks of one run share.
struct Shared {
    target: Arc<dyn Target>,
    workload: Arc<Vec<LoadRequest>>,
    first_request: usize,
    clock: Arc<dyn Clock>,
    start: Instant,
    cancel: CancellationToken,
    progress: Arc<dyn ProgressSink>,
    records: Mutex<Vec<RequestTiming>>,
}

impl Shared {
    /// Sends request `index` (scheduled at `scheduled`, open loop) and keeps its record.
    async fn send(&self, index: usize, scheduled: Option<Duration>) {
        let request = &self.workload[self.first_request.wrapping_add(index) % self.workload.len()];
        let sent = self.elapsed();
        let mut timing = tokio::select! {
            timing = self.target.send(request, self.start) => timing,
            () = self.cancel.cancelled() => cancelled(sent, self.elapsed()),
        };
        timing.scheduled = scheduled;
        self.progress.finished(&timing);
        if let Ok(mut records) = self.records.lock() {
            records.push(timing);
        }
    }

    /// Time since the run's start, on the run's clock.
    fn elapsed(&self) -> Duration {
        self.clock.since(self.start)
    }
}

/// A request the client gave up on because the run was cancelled.
fn cancelled(sent: Duration, finished: Duration) -> RequestTiming {
    RequestTiming {
        scheduled: None,
        sent,
        first_byte: None,
        chunks: Vec::new(),
        last_byte: None,
        finished,
        prompt_tokens: None,
        completion_tokens: None,
        http_status: None,
        error: Some(ErrorCause::Cancelled),
    }
}

/// Runs `workload` against `target` at `settings.point`, timed by `clock` (the target's own
/// clock: [`crate::SystemClock`] for real targets). Fails only on settings that cannot run
/// (empty workload, no bound, a bad rate); every request outcome is a record.
pub async fn run_point(
    target: Arc<dyn Target>,
    workload: Arc<Vec<LoadRequest>>,
    settings: &RunSettings,
    cancel: &CancellationToken,
    progress: Arc<dyn ProgressSink>,
    clock: Arc<dyn Clock>,
) -> Result<PointResult, BenchError> {
    if workload.is_empty() {
        return Err(BenchError::Settings(
            "the workload has no requests".to_string(),
        ));
    }
    if settings.requests.is_none() && settings.duration.is_none() {
        return Err(BenchError::Settings(
            "a run needs a bound: a number of requests, a duration, or both".to_string(),
        ));
    }
    progress.started(settings);
    let shared = Arc::new(Shared {
        target,
        workload,
        first_request: settings.first_request,
        start: clock.now(),
        clock,
        cancel: cancel.clone(),
        progress,
        records: Mutex::new(Vec::new()),
    });
    match settings.point {
        LoadPoint::Concurrency { concurrency } => {
            closed_loop(&shared, settings, concurrency).await?;
        }
        LoadPoint::Rate { process, rate } => {
            let schedule = ArrivalSchedule::new(process, rate, settings.seed)
                .map_err(|error| BenchError::Settings(error.to_string()))?;
            open_loop(&shared, settings, &schedule).await;
        }
    }
    let mut timings = shared
        .records
        .lock()
        .map(|mut records| std::mem::take(&mut *records))
        .unwrap_or_default();
    timings.sort_by_key(|timing| timing.sent);
    let options = MetricsOptions {
        warmup_requests: settings.warmup,
        ..settings.metrics
    };
    let metrics = yardstick_load::summarize_run(&timings, &options)
        .map_err(|error| BenchError::Settings(format!("summarising the run: {error}")))?;
    Ok(PointResult {
        point: settings.point,
        started: shared.start,
        timings,
        metrics,
        resources: Vec::new(),
        interrupted: cancel.is_cancelled(),
    })
}

/// The closed loop: `concurrency` workers taking the next request index in turn.
async fn closed_loop(
    shared: &Arc<Shared>,
    settings: &RunSettings,
    concurrency: usize,
) -> Result<(), BenchError> {
    if concurrency == 0 {
        return Err(BenchError::Settings(
            "concurrency must be at least 1".to_string(),
        ));
    }
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = settings.total();
    let duration = settings.duration;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let shared = Arc::clone(shared);
        let next = Arc::clone(&next);
        workers.spawn(async move {
            loop {
                if shared.cancel.is_cancelled()
                    || duration.is_some_and(|limit| shared.elapsed() >= limit)
                {
                    break;
                }
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if total.is_some_and(|total| index >= total) {
                    break;
                }
                shared.send(index, None).await;
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// The open loop: one task per arrival, spawned at its scheduled time.
async fn open_loop(shared: &Arc<Shared>, settings: &RunSettings, schedule: &ArrivalSchedule) {
    let total = settings.total();
    let mut in_flight = JoinSet::new();
    for (index, offset) in schedule.offsets().enumerate() {
        if total.is_some_and(|total| index >= total)
            || settings.duration.is_some_and(|limit| offset >= limit)
        {
            break;
        }
        tokio::select! {
            () = shared.clock.sleep_until(shared.start + offset) => {}
            () = shared.cancel.cancelled() => break,
        }
        let task = Arc::clone(shared);
        in_flight.spawn(async move { task.send(index, Some(offset)).await });
        // Reap finished tasks so a long run does not keep every handle.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}
