//! yardstick's load-test client checked against the scripted mock server's own send log.
//!
//! 1. **Timing error.** Closed loop (`run_point`, streaming `/v1/completions`, exactly the
//!    `yardstick bench --endpoint` path) at 1, 16 and 64 streams against a mock that sends
//!    the first token `--ttft-ms` after a request arrives and then one token every
//!    `--gap-ms`. Every request has its own prompt, and the mock logs each request's prompt
//!    with the time of each write, so each client record is joined to the mock's entry of
//!    the same request. For every token: error = when the client recorded the event − when
//!    the mock wrote it. Reported over every token, and over first and last tokens alone.
//! 2. **Client ceiling.** A zero-delay mock (no TTFT, no gaps, one token per event); the
//!    client runs `--ceiling-seconds` at `--ceiling-streams` streams, once with long outputs
//!    (streamed events/s) and once with one-token outputs (requests/s).
//!
//! The client always runs on a current-thread tokio runtime: one thread, so at most one
//! core. By default the mock runs in the same process on its own OS thread (a one-worker
//! runtime) and both sides read the same monotonic clock. With `--endpoint URL --mock-log
//! PATH` (and `--ceiling-endpoint URL`) the client talks to the standalone mock
//! (`cargo run --release -p yardstick-test-support --example mock_server`) in another
//! process instead; the mock logs UNIX wall-clock seconds, and the client turns its own
//! monotonic readings into wall-clock time through one (`Instant`, `SystemTime`) pair read
//! together, as a tool timing with `time.time()` would. Pin the two processes to separate
//! cores with `taskset` to measure the client on one core of its own:
//!
//! ```text
//! taskset -c 1 mock_server --port 18301 --ttft-ms 0 --gap-ms 0 &
//! taskset -c 0 self_check --skip-timing --ceiling-endpoint http://127.0.0.1:18301/v1
//! ```
//!
//! The client thread's CPU time and its time waiting for a CPU come from
//! `/proc/thread-self/schedstat`, so a ceiling measured on a busy machine says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use clap::Parser;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::{Api, Endpoint, LoadRequest, OpenAiClient};
use yardstick_bench::{
    run_point, LoadPoint, NoProgress, OpenAiTarget, PointResult, RunSettings, SystemClock, Target,
    TargetDescription,
};
use yardstick_core::stats::{mean, percentile};
use yardstick_load::{MetricsOptions, RequestTiming};
use yardstick_test_support::mock_openai::{MockScript, MockServer};

#[derive(Debug, Parser, Serialize)]
#[command(about = "yardstick's load client against the mock's own send log")]
struct Args {
    /// Closed-loop stream counts of the timing check.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    concurrency: Vec<usize>,
    /// Requests per stream at each concurrency …
    #[arg(long, default_value_t = 8)]
    requests_per_stream: usize,
    /// … and at least this many requests at each concurrency.
    #[arg(long, default_value_t = 40)]
    min_requests: usize,
    /// Output lengths cycle through this range (max_tokens with ignore_eos).
    #[arg(long, default_value_t = 32)]
    min_output_tokens: u32,
    #[arg(long, default_value_t = 64)]
    max_output_tokens: u32,
    /// The in-process mock's time to first token.
    #[arg(long, default_value_t = 20.0)]
    ttft_ms: f64,
    /// The in-process mock's gap between tokens.
    #[arg(long, default_value_t = 5.0)]
    gap_ms: f64,
    /// Seconds of each ceiling run.
    #[arg(long, default_value_t = 10.0)]
    ceiling_seconds: f64,
    /// Streams of the ceiling runs.
    #[arg(long, default_value_t = 16)]
    ceiling_streams: usize,
    /// Tokens per request of the events/s ceiling run.
    #[arg(long, default_value_t = 512)]
    ceiling_tokens: u32,
    #[arg(long)]
    skip_timing: bool,
    #[arg(long)]
    skip_ceiling: bool,
    /// An external mock for the timing check (`http://127.0.0.1:PORT/v1`); needs
    /// --mock-log. Its own --ttft-ms/--gap-ms apply, not these.
    #[arg(long, requires = "mock_log")]
    endpoint: Option<String>,
    /// The external mock's JSONL log (its `--log`).
    #[arg(long)]
    mock_log: Option<PathBuf>,
    /// An external zero-delay mock for the ceiling runs.
    #[arg(long)]
    ceiling_endpoint: Option<String>,
    /// Also write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Times on one axis, in seconds: since a monotonic origin (in-process mock), or UNIX
/// wall-clock seconds (external mock).
#[derive(Clone, Copy)]
enum TimeBase {
    Monotonic { origin: Instant },
    Wall { instant: Instant, unix_seconds: f64 },
}

impl TimeBase {
    fn wall() -> TimeBase {
        let instant = Instant::now();
        let unix_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the system clock is after 1970")
            .as_secs_f64();
        TimeBase::Wall {
            instant,
            unix_seconds,
        }
    }

    fn seconds(&self, at: Instant) -> f64 {
        let (anchor, offset) = match *self {
            TimeBase::Monotonic { origin } => (origin, 0.0),
            TimeBase::Wall {
                instant,
                unix_seconds,
            } => (instant, unix_seconds),
        };
        if at >= anchor {
            offset + (at - anchor).as_secs_f64()
        } else {
            offset - (anchor - at).as_secs_f64()
        }
    }
}

/// Keeps each request's prompt beside its record (the scheduler's records carry none).
struct RecordingTarget {
    inner: Arc<dyn Target>,
    records: Mutex<Vec<(String, RequestTiming)>>,
}

#[async_trait]
impl Target for RecordingTarget {
    fn describe(&self) -> TargetDescription {
        self.inner.describe()
    }

    async fn send(&self, request: &LoadRequest, start: Instant) -> RequestTiming {
        let timing = self.inner.send(request, start).await;
        if let Ok(mut records) = self.records.lock() {
            records.push((request.prompt.clone(), timing.clone()));
        }
        timing
    }
}

fn openai_target(base_url: &str) -> Arc<dyn Target> {
    let mut endpoint = Endpoint::new(base_url, "mock-model", Api::Completions);
    endpoint.timeout = Duration::from_secs(120);
    let client = OpenAiClient::new(endpoint).expect("a client for the mock");
    Arc::new(OpenAiTarget::new(client, true))
}

fn settings(
    concurrency: usize,
    requests: Option<usize>,
    duration: Option<Duration>,
) -> RunSettings {
    RunSettings {
        point: LoadPoint::Concurrency { concurrency },
        requests,
        duration,
        warmup: 0,
        seed: 0,
        metrics: MetricsOptions::default(),
        first_request: 0,
    }
}

/// Runs one closed-loop point on a current-thread runtime (this thread), with what the
/// thread did meanwhile.
fn run_client(
    target: Arc<dyn Target>,
    workload: Vec<LoadRequest>,
    settings: &RunSettings,
) -> (PointResult, Option<ThreadUsage>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client runtime");
    let (started, before) = (Instant::now(), thread_times());
    let result = runtime
        .block_on(run_point(
            target,
            Arc::new(workload),
            settings,
            &CancellationToken::new(),
            Arc::new(NoProgress),
            Arc::new(SystemClock),
        ))
        .expect("the run's settings are valid");
    let usage = before
        .zip(thread_times())
        .map(|((ran, waited), (running, waiting))| ThreadUsage {
            wall: started.elapsed(),
            running: running.saturating_sub(ran),
            waiting: waiting.saturating_sub(waited),
        });
    (result, usage)
}

/// What the client thread did from the start of a run to its summary: wall time, time on a
/// CPU, time runnable but waiting for a CPU (others had it).
#[derive(Debug, Clone, Copy)]
struct ThreadUsage {
    wall: Duration,
    running: Duration,
    waiting: Duration,
}

/// This thread's time on a CPU and time waiting for one so far
/// (`/proc/thread-self/schedstat`).
fn thread_times() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let running = Duration::from_nanos(fields.next()?.ok()?);
    let waiting = Duration::from_nanos(fields.next()?.ok()?);
    Some((running, waiting))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Distribution of errors, in microseconds.
#[derive(Debug, Serialize)]
struct ErrorStats {
    count: usize,
    mean_us: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    min_us: f64,
    max_us: f64,
}

impl ErrorStats {
    fn of(values: &[f64]) -> ErrorStats {
        let p = |q| percentile(values, q).unwrap_or(f64::NAN);
        ErrorStats {
            count: values.len(),
            mean_us: mean(values).unwrap_or(f64::NAN),
            p50_us: p(50.0),
            p90_us: p(90.0),
            p99_us: p(99.0),
            min_us: values.iter().copied().fold(f64::NAN, f64::min),
            max_us: values.iter().copied().fold(f64::NAN, f64::max),
        }
    }

    fn cells(&self) -> String {
        format!(
            "{:.0} | {:.0} | {:.0}",
            self.p50_us, self.p99_us, self.max_us
        )
    }
}

#[derive(Debug, Serialize)]
struct TimingRow {
    streams: usize,
    requests: usize,
    failed: usize,
    /// Client records without exactly one mock entry of the same prompt, or with another number of
    /// token events.
    unmatched: usize,
    every_token: ErrorStats,
    first_token: ErrorStats,
    last_token: ErrorStats,
}

/// What the mock logged of each prompt: the time of each write carrying tokens; `None`
/// for a prompt it saw more than once (which request is which cannot be told).
type MockSends = HashMap<String, Option<Vec<f64>>>;

/// The external mock's log: every finished request's prompt and token writes.
fn read_mock_log(path: &Path) -> MockSends {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading the mock's log {}: {error}", path.display()));
    let mut sends = MockSends::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("a line of {}: {error}", path.display()));
        let prompt = entry["prompt"].as_str().unwrap_or_default().to_string();
        let times = entry["sends"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter(|event| event["tokens"].as_u64().unwrap_or(0) > 0)
                    .filter_map(|event| event["at"].as_f64())
                    .collect()
            })
            .unwrap_or_default();
        let repeated = sends.contains_key(&prompt);
        sends.insert(prompt, (!repeated).then_some(times));
    }
    sends
}

/// The external mock writes a request's line shortly after it ended: wait for them all.
fn wait_for_mock_log(path: &Path, prompts: &[String]) -> MockSends {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let sends = read_mock_log(path);
        if prompts.iter().all(|prompt| sends.contains_key(prompt)) || Instant::now() > deadline {
            return sends;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The external mock at `endpoint`, or a mock with `script` started on the mock's runtime
/// in this process; with its base URL.
fn mock_for(
    endpoint: Option<&str>,
    script: MockScript,
    mock_runtime: &tokio::runtime::Runtime,
) -> (Option<MockServer>, String) {
    match endpoint {
        Some(url) => (None, url.to_string()),
        None => {
            let server = mock_runtime
                .block_on(MockServer::start(script))
                .expect("the mock starts");
            let url = server.base_url();
            (Some(server), url)
        }
    }
}

fn timing_workload(args: &Args, streams: usize, tag: &str) -> Vec<LoadRequest> {
    let count = args.min_requests.max(streams * args.requests_per_stream);
    let lengths = args
        .max_output_tokens
        .saturating_sub(args.min_output_tokens)
        + 1;
    (0..count)
        .map(|index| {
            let tokens = args.min_output_tokens + (index as u32 % lengths);
            let prompt = format!("self check {tag} streams {streams} request {index}");
            let mut request = LoadRequest::new(prompt, tokens);
            request.ignore_eos = true;
            request
        })
        .collect()
}

fn timing_point(
    args: &Args,
    streams: usize,
    mock_runtime: &tokio::runtime::Runtime,
    base: TimeBase,
    tag: &str,
) -> TimingRow {
    let workload = timing_workload(args, streams, tag);
    let prompts: Vec<String> = workload.iter().map(|r| r.prompt.clone()).collect();
    let script = MockScript {
        time_to_first_token: Duration::from_secs_f64(args.ttft_ms / 1000.0),
        inter_token_gap: Duration::from_secs_f64(args.gap_ms / 1000.0),
        ..MockScript::default()
    };
    let (in_process, base_url) = mock_for(args.endpoint.as_deref(), script, mock_runtime);
    let target = Arc::new(RecordingTarget {
        inner: openai_target(&base_url),
        records: Mutex::new(Vec::new()),
    });
    let count = workload.len();
    let (result, _) = run_client(
        target.clone(),
        workload,
        &settings(streams, Some(count), None),
    );
    let mock_sends: MockSends = match (in_process, &args.mock_log) {
        (Some(server), _) => {
            let log = server.log();
            mock_runtime.block_on(server.stop());
            log.into_iter()
                .map(|entry| {
                    let times = entry
                        .token_sends()
                        .iter()
                        .map(|s| base.seconds(s.at))
                        .collect();
                    (entry.prompt, Some(times))
                })
                .collect()
        }
        (None, Some(path)) => wait_for_mock_log(path, &prompts),
        (None, None) => unreachable!("--endpoint requires --mock-log"),
    };
    let records = std::mem::take(&mut *target.records.lock().expect("the records"));
    let (mut every, mut first, mut last) = (Vec::new(), Vec::new(), Vec::new());
    let (mut failed, mut unmatched) = (0, 0);
    for (prompt, timing) in &records {
        if !timing.succeeded() {
            failed += 1;
            continue;
        }
        let arrivals: Vec<f64> = timing
            .token_chunks()
            .map(|chunk| base.seconds(result.started + chunk.arrived))
            .collect();
        let sends = mock_sends.get(prompt).and_then(Option::as_ref);
        let Some(sends) = sends.filter(|sends| sends.len() == arrivals.len()) else {
            unmatched += 1;
            continue;
        };
        let errors: Vec<f64> = arrivals
            .iter()
            .zip(sends)
            .map(|(arrived, sent)| (arrived - sent) * 1e6)
            .collect();
        every.extend_from_slice(&errors);
        first.extend(errors.first());
        last.extend(errors.last());
    }
    TimingRow {
        streams,
        requests: records.len(),
        failed,
        unmatched,
        every_token: ErrorStats::of(&every),
        first_token: ErrorStats::of(&first),
        last_token: ErrorStats::of(&last),
    }
}

#[derive(Debug, Serialize)]
struct CeilingRow {
    name: &'static str,
    streams: usize,
    tokens_per_request: u32,
    seconds: f64,
    requests_completed: usize,
    requests_failed: usize,
    events: usize,
    events_per_second: f64,
    requests_per_second: f64,
    /// The client thread, from the start of the run to its summary: wall time, time on a
    /// CPU, and time runnable but waiting for a CPU (others had it).
    client_wall_seconds: Option<f64>,
    client_cpu_seconds: Option<f64>,
    client_wait_seconds: Option<f64>,
}

fn ceiling_run(
    args: &Args,
    name: &'static str,
    tokens: u32,
    mock_runtime: &tokio::runtime::Runtime,
) -> CeilingRow {
    let script = MockScript {
        time_to_first_token: Duration::ZERO,
        inter_token_gap: Duration::ZERO,
        ..MockScript::default()
    };
    let (in_process, base_url) = mock_for(args.ceiling_endpoint.as_deref(), script, mock_runtime);
    let workload: Vec<LoadRequest> = (0..1024)
        .map(|index| {
            let mut request = LoadRequest::new(format!("ceiling request {index}"), tokens);
            request.ignore_eos = true;
            request
        })
        .collect();
    let duration = Duration::from_secs_f64(args.ceiling_seconds);
    let run = settings(args.ceiling_streams, None, Some(duration));
    let (result, used) = run_client(openai_target(&base_url), workload, &run);
    if let Some(server) = in_process {
        mock_runtime.block_on(server.stop());
    }
    let seconds = result.metrics.duration.unwrap_or(duration).as_secs_f64();
    let events: usize = result
        .timings
        .iter()
        .filter(|timing| timing.succeeded())
        .map(|timing| timing.token_chunks().count())
        .sum();
    CeilingRow {
        name,
        streams: args.ceiling_streams,
        tokens_per_request: tokens,
        seconds,
        requests_completed: result.metrics.completed,
        requests_failed: result.metrics.failed,
        events,
        events_per_second: events as f64 / seconds,
        requests_per_second: result.metrics.completed as f64 / seconds,
        client_wall_seconds: used.map(|usage| usage.wall.as_secs_f64()),
        client_cpu_seconds: used.map(|usage| usage.running.as_secs_f64()),
        client_wait_seconds: used.map(|usage| usage.waiting.as_secs_f64()),
    }
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    settings: &'a Args,
    timing_mock: &'static str,
    ceiling_mock: &'static str,
    load_average_before: String,
    load_average_after: String,
    timing: Vec<TimingRow>,
    ceiling: Vec<CeilingRow>,
}

fn mock_kind(endpoint: Option<&str>) -> &'static str {
    match endpoint {
        Some(_) => "external process (wall clock)",
        None => "in-process, own thread (monotonic clock)",
    }
}

fn print_timing(rows: &[TimingRow]) {
    println!(
        "| streams | requests | failed | unmatched | tokens | every token p50 (µs) | p99 | max \
         | first token p50 (µs) | p99 | max | last token p50 (µs) | p99 | max |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.streams,
            row.requests,
            row.failed,
            row.unmatched,
            row.every_token.count,
            row.every_token.cells(),
            row.first_token.cells(),
            row.last_token.cells()
        );
    }
}

fn print_ceiling(rows: &[CeilingRow]) {
    println!(
        "| run | streams | tokens/request | seconds | requests | failed | events/s | requests/s \
         | client thread: wall s | on a CPU s | waiting for a CPU s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let seconds = |value: Option<f64>| value.map_or("n/a".to_string(), |s| format!("{s:.2}"));
    for row in rows {
        println!(
            "| {} | {} | {} | {:.2} | {} | {} | {:.0} | {:.1} | {} | {} | {} |",
            row.name,
            row.streams,
            row.tokens_per_request,
            row.seconds,
            row.requests_completed,
            row.requests_failed,
            row.events_per_second,
            row.requests_per_second,
            seconds(row.client_wall_seconds),
            seconds(row.client_cpu_seconds),
            seconds(row.client_wait_seconds)
        );
    }
}

fn main() {
    let args = Args::parse();
    let load_average_before = load_average();
    let mock_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mock")
        .enable_all()
        .build()
        .expect("the mock's runtime");
    let base = match args.endpoint {
        Some(_) => TimeBase::wall(),
        None => TimeBase::Monotonic {
            origin: Instant::now(),
        },
    };
    // Distinguishes this run's prompts from an earlier run's in an external mock's log.
    let unix_seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let tag = format!("{}-{unix_seconds}", std::process::id());
    let mut timing = Vec::new();
    if !args.skip_timing {
        for &streams in &args.concurrency {
            timing.push(timing_point(&args, streams, &mock_runtime, base, &tag));
        }
        print_timing(&timing);
    }
    let mut ceiling = Vec::new();
    if !args.skip_ceiling {
        ceiling.push(ceiling_run(
            &args,
            "events",
            args.ceiling_tokens,
            &mock_runtime,
        ));
        ceiling.push(ceiling_run(&args, "requests", 1, &mock_runtime));
        println!();
        print_ceiling(&ceiling);
    }
    let report = Report {
        settings: &args,
        timing_mock: mock_kind(args.endpoint.as_deref()),
        ceiling_mock: mock_kind(args.ceiling_endpoint.as_deref()),
        load_average_before,
        load_average_after: load_average(),
        timing,
        ceiling,
    };
    println!(
        "\nload average before {}, after {}",
        report.load_average_before, report.load_average_after
    );
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        std::fs::write(path, text)
            .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
    }
}
