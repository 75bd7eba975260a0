//! yardstick's client checked against the scripted mock server's own send-time log.
//!
//! 1. Timing error: closed loop at 1, 16 and 64 streams against a mock sending a token every
//!    `--gap-ms`; for every token, error = when the client recorded it − when the mock wrote
//!    it (both from this process's monotonic clock). Requests are matched by their prompt.
//! 2. Client ceiling: a zero-delay mock streaming `--ceiling-tokens` one-token events per
//!    request; streamed chunks/s and requests/s the client records at 16 streams.
//!
//! The mock runs on its own runtime thread; the client on a current-thread runtime (one
//! thread). Pin the process to show the client's one-core ceiling, e.g.
//! `taskset -c 0,1 cargo run --release -p yardstick-bench --example self_check`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::{Api, Endpoint, LoadRequest, OpenAiClient};
use yardstick_bench::{run_point, LoadPoint, NoProgress, OpenAiTarget, RunSettings, Target};
use yardstick_core::stats::percentile;
use yardstick_load::MetricsOptions;
use yardstick_test_support::mock_openai::{MockScript, MockServer};

struct Options {
    requests_per_stream: usize,
    tokens: u32,
    gap_ms: u64,
    ceiling_tokens: u32,
    ceiling_seconds: u64,
}

fn options() -> Options {
    let mut options = Options {
        requests_per_stream: 4,
        tokens: 32,
        gap_ms: 5,
        ceiling_tokens: 512,
        ceiling_seconds: 5,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        let number = |what: &str| -> u64 {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{what} needs a whole number, not `{value}`"))
        };
        match pair[0].as_str() {
            "--requests-per-stream" => {
                options.requests_per_stream = number("--requests-per-stream") as usize
            }
            "--tokens" => options.tokens = number("--tokens") as u32,
            "--gap-ms" => options.gap_ms = number("--gap-ms"),
            "--ceiling-tokens" => options.ceiling_tokens = number("--ceiling-tokens") as u32,
            "--ceiling-seconds" => options.ceiling_seconds = number("--ceiling-seconds"),
            other => panic!("unknown flag {other}"),
        }
    }
    options
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client runtime")
}

fn target(server: &MockServer) -> Arc<dyn Target> {
    let mut endpoint = Endpoint::new(server.base_url(), "mock-model", Api::Completions);
    endpoint.timeout = Duration::from_secs(120);
    let client = OpenAiClient::new(endpoint).expect("a client");
    Arc::new(OpenAiTarget::new(client, true))
}

fn workload(count: usize, tokens: u32) -> Arc<Vec<LoadRequest>> {
    Arc::new(
        (0..count)
            .map(|index| {
                // Distinct lengths among any 64 consecutive requests: with at most 64 in
                // flight, a record is matched to the mock's entry by its token count and
                // timing.
                let length = tokens + (index % 64) as u32;
                let mut request = LoadRequest::new(format!("self check request {index}"), length);
                request.ignore_eos = true;
                request
            })
            .collect(),
    )
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
    }
}

fn main() {
    let options = options();
    let mock_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the mock runtime");

    println!("| streams | tokens compared | error p50 (µs) | p99 (µs) | max (µs) |");
    println!("|---|---|---|---|---|");
    for streams in [1usize, 16, 64] {
        let script = MockScript {
            time_to_first_token: Duration::from_millis(20),
            inter_token_gap: Duration::from_millis(options.gap_ms),
            ..MockScript::default()
        };
        let server = mock_runtime
            .block_on(MockServer::start(script))
            .expect("the mock starts");
        let count = streams * options.requests_per_stream;
        let requests = workload(count, options.tokens);
        let result = client_runtime()
            .block_on(run_point(
                target(&server),
                Arc::clone(&requests),
                &settings(streams, Some(count), None),
                &CancellationToken::new(),
                Arc::new(NoProgress),
            ))
            .expect("the run");
        let log: HashMap<String, Vec<Instant>> = server
            .log()
            .into_iter()
            .map(|entry| {
                let sends = entry.token_sends().iter().map(|sent| sent.at).collect();
                (entry.prompt, sends)
            })
            .collect();
        let mut errors_us = Vec::new();
        for (index, timing) in result.timings.iter().enumerate() {
            assert!(
                timing.succeeded(),
                "request {index} failed: {:?}",
                timing.error
            );
        }
        // The scheduler's records carry no prompt: match each to the unmatched mock entry
        // with as many token writes whose first write came last before the first arrival.
        let mut by_prompt: HashMap<String, usize> = HashMap::new();
        for timing in &result.timings {
            let arrivals: Vec<Instant> = timing
                .token_chunks()
                .map(|chunk| result.started + chunk.arrived)
                .collect();
            // Find the mock entry whose first send precedes this record's first arrival
            // most closely among prompts not yet matched.
            let candidate = log
                .iter()
                .filter(|(prompt, sends)| {
                    !by_prompt.contains_key(*prompt) && sends.len() == arrivals.len()
                })
                .filter(|(_, sends)| sends.first() <= arrivals.first())
                .max_by_key(|(_, sends)| sends.first().copied());
            let Some((prompt, sends)) = candidate else {
                panic!("no mock request matches a client record");
            };
            by_prompt.insert(prompt.clone(), 0);
            for (arrived, sent) in arrivals.iter().zip(sends) {
                errors_us.push(arrived.saturating_duration_since(*sent).as_secs_f64() * 1e6);
            }
        }
        let p = |q: f64| percentile(&errors_us, q).unwrap_or(f64::NAN);
        let max = errors_us.iter().copied().fold(0.0_f64, f64::max);
        println!(
            "| {streams} | {} | {:.0} | {:.0} | {:.0} |",
            errors_us.len(),
            p(50.0),
            p(99.0),
            max
        );
        mock_runtime.block_on(server.stop());
    }

    let script = MockScript {
        time_to_first_token: Duration::ZERO,
        inter_token_gap: Duration::ZERO,
        usage_in_stream: true,
        continuous_usage: false,
        ..MockScript::default()
    };
    let server = mock_runtime
        .block_on(MockServer::start(script))
        .expect("the mock starts");
    let duration = Duration::from_secs(options.ceiling_seconds);
    let result = client_runtime()
        .block_on(run_point(
            target(&server),
            workload(100_000, options.ceiling_tokens),
            &settings(16, None, Some(duration)),
            &CancellationToken::new(),
            Arc::new(NoProgress),
        ))
        .expect("the run");
    let wall = result.metrics.duration.unwrap_or(duration).as_secs_f64();
    let chunks: usize = result
        .timings
        .iter()
        .map(|timing| timing.chunks.len())
        .sum();
    println!(
        "\nclient ceiling (zero-delay mock, 16 streams, {} tokens/request, {wall:.1} s): \
         {:.0} chunks/s, {:.1} requests/s, {} failed",
        options.ceiling_tokens,
        chunks as f64 / wall,
        result.metrics.completed as f64 / wall,
        result.metrics.failed
    );
    mock_runtime.block_on(server.stop());
}
