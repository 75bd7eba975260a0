//! The scheduler against the scripted mock server: closed and open loops, bounds, warm-up,
//! cancellation, faults, sweeps and the SLO search.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::{Api, Endpoint, LoadRequest, OpenAiClient};
use yardstick_bench::sweep::{SloObjective, SloSearch};
use yardstick_bench::{
    run_point, Bench, LoadPoint, NoProgress, OpenAiTarget, PointResult, RunSettings, Target,
};
use yardstick_load::{ArrivalProcess, ErrorCause, MetricsOptions};
use yardstick_test_support::mock_openai::{
    Fault, FaultRule, FaultWhen, MockScript, MockServer, RequestLog,
};

async fn target_for(script: MockScript) -> (MockServer, Arc<dyn Target>) {
    let server = MockServer::start(script).await.expect("the mock starts");
    let mut endpoint = Endpoint::new(server.base_url(), "mock-model", Api::Completions);
    endpoint.timeout = Duration::from_secs(20);
    let client = OpenAiClient::new(endpoint).expect("a valid endpoint");
    (server, Arc::new(OpenAiTarget::new(client, true)))
}

fn workload(count: usize, max_tokens: u32) -> Arc<Vec<LoadRequest>> {
    Arc::new(
        (0..count)
            .map(|index| LoadRequest::new(format!("prompt {index}"), max_tokens))
            .collect(),
    )
}

fn settings(point: LoadPoint, requests: usize, warmup: usize) -> RunSettings {
    RunSettings {
        point,
        requests: Some(requests),
        duration: None,
        warmup,
        seed: 1,
        metrics: MetricsOptions::default(),
        first_request: 0,
    }
}

async fn run(target: Arc<dyn Target>, settings: &RunSettings) -> PointResult {
    run_point(
        target,
        workload(5, 4),
        settings,
        &CancellationToken::new(),
        Arc::new(NoProgress),
    )
    .await
    .expect("the run completes")
}

/// The most requests the mock was generating for at once, from its own log.
fn peak_in_flight(log: &[RequestLog]) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for request in log {
        events.push((request.received, 1));
        events.push((request.finished.expect("finished"), -1));
    }
    events.sort();
    let mut current = 0;
    let mut peak = 0;
    for (_, change) in events {
        current += change;
        peak = peak.max(current);
    }
    peak as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_keeps_exactly_the_concurrency_in_flight_and_counts_warmup_apart() {
    let script = MockScript {
        time_to_first_token: Duration::from_millis(30),
        inter_token_gap: Duration::from_millis(5),
        ..MockScript::default()
    };
    let (server, target) = target_for(script).await;
    let result = run(
        target,
        &settings(LoadPoint::Concurrency { concurrency: 3 }, 12, 3),
    )
    .await;
    assert_eq!(result.timings.len(), 15);
    assert_eq!(result.metrics.warmup_requests, 3);
    assert_eq!(result.metrics.completed, 12);
    assert!(result
        .timings
        .iter()
        .all(|timing| timing.scheduled.is_none()));
    let log = server.log();
    assert_eq!(log.len(), 15);
    assert_eq!(peak_in_flight(&log), 3);
    // Each request asked for 4 tokens and the server reported them.
    assert_eq!(result.metrics.completion_tokens, 12 * 4);
    assert!(!result.interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_sends_on_schedule_even_when_the_server_queues() {
    // One request at a time, 100 ms each: far slower than 20 arrivals per second.
    let script = MockScript {
        time_to_first_token: Duration::from_millis(60),
        inter_token_gap: Duration::from_millis(10),
        max_concurrent: Some(1),
        ..MockScript::default()
    };
    let (server, target) = target_for(script).await;
    let point = LoadPoint::Rate {
        process: ArrivalProcess::Constant,
        rate: 20.0,
    };
    let result = run(target, &settings(point, 10, 0)).await;
    assert_eq!(result.timings.len(), 10);
    for (index, timing) in result.timings.iter().enumerate() {
        let scheduled = timing.scheduled.expect("open-loop records are scheduled");
        assert_eq!(scheduled, Duration::from_millis(50) * index as u32);
        let lag = timing.sent - scheduled;
        assert!(
            lag < Duration::from_millis(20),
            "request {index} sent {lag:?} late"
        );
    }
    // All ten reached the server within the 450 ms of the schedule although it needed a
    // second to serve them one by one, and queueing shows in TTFT from the schedule.
    let log = server.log();
    let received: Vec<Instant> = log.iter().map(|request| request.received).collect();
    let spread = *received.iter().max().expect("10") - *received.iter().min().expect("10");
    assert!(spread < Duration::from_millis(500), "{spread:?}");
    assert!(peak_in_flight(&log) >= 5);
    let from_schedule = result.metrics.ttft_from_schedule_ms.expect("ttft");
    let from_sent = result.metrics.ttft_ms.expect("ttft");
    assert!(from_schedule.max >= 400.0, "{from_schedule:?}");
    assert!(from_schedule.max >= from_sent.max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_injected_fault_is_recorded_with_its_cause_and_the_run_completes() {
    let script = MockScript {
        time_to_first_token: Duration::from_millis(5),
        inter_token_gap: Duration::from_millis(2),
        faults: vec![
            FaultRule::new(
                Fault::HttpStatus { status: 500 },
                FaultWhen::Requests(vec![1, 7]),
            ),
            FaultRule::new(
                Fault::RateLimited {
                    retry_after: Duration::from_secs(1),
                },
                FaultWhen::Requests(vec![3]),
            ),
            FaultRule::new(
                Fault::DropStream { after_tokens: 2 },
                FaultWhen::Requests(vec![5]),
            ),
        ],
        ..MockScript::default()
    };
    let (_server, target) = target_for(script).await;
    let result = run(
        target,
        &settings(LoadPoint::Concurrency { concurrency: 1 }, 10, 0),
    )
    .await;
    assert_eq!(result.timings.len(), 10);
    assert_eq!(result.metrics.completed, 6);
    assert_eq!(result.metrics.failed, 4);
    let causes = &result.metrics.failed_by_cause;
    assert_eq!(causes.get("http_500"), Some(&2));
    assert_eq!(causes.get("rate_limited"), Some(&1));
    assert_eq!(causes.get("stream_dropped"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_keeps_finished_requests_and_marks_those_in_flight() {
    let script = MockScript {
        time_to_first_token: Duration::from_millis(20),
        inter_token_gap: Duration::from_millis(40),
        ..MockScript::default()
    };
    let (_server, target) = target_for(script).await;
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stopper.cancel();
    });
    let result = run_point(
        target,
        workload(3, 4),
        &settings(LoadPoint::Concurrency { concurrency: 2 }, 1000, 0),
        &cancel,
        Arc::new(NoProgress),
    )
    .await
    .expect("an interrupted run still returns its records");
    assert!(result.interrupted);
    let cancelled = result
        .timings
        .iter()
        .filter(|timing| timing.error == Some(ErrorCause::Cancelled))
        .count();
    // Each request takes ~140 ms: a few finished, the two in flight were cancelled.
    assert_eq!(cancelled, 2);
    assert!(result.metrics.completed >= 4, "{:?}", result.metrics);
    assert_eq!(result.metrics.cancelled, 2);
    assert_eq!(result.metrics.failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duration_bound_stops_sending_new_requests() {
    let script = MockScript {
        time_to_first_token: Duration::from_millis(10),
        inter_token_gap: Duration::from_millis(10),
        ..MockScript::default()
    };
    let (_server, target) = target_for(script).await;
    let mut bounded = settings(LoadPoint::Concurrency { concurrency: 1 }, 0, 0);
    bounded.requests = None;
    bounded.duration = Some(Duration::from_millis(300));
    let result = run(target, &bounded).await;
    // ~40 ms per request: about 8 in 300 ms, none sent after the bound.
    assert!(
        (5..=9).contains(&result.timings.len()),
        "{}",
        result.timings.len()
    );
    assert!(result
        .timings
        .iter()
        .all(|timing| timing.sent < Duration::from_millis(300)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_cannot_run_are_refused_with_the_reason() {
    let (_server, target) = target_for(MockScript::default()).await;
    let mut unbounded = settings(LoadPoint::Concurrency { concurrency: 1 }, 1, 0);
    unbounded.requests = None;
    let error = run_point(
        Arc::clone(&target),
        workload(1, 1),
        &unbounded,
        &CancellationToken::new(),
        Arc::new(NoProgress),
    )
    .await
    .expect_err("no bound");
    assert!(error.to_string().contains("needs a bound"), "{error}");
    let zero = settings(LoadPoint::Concurrency { concurrency: 0 }, 1, 0);
    let error = run_point(
        target,
        workload(1, 1),
        &zero,
        &CancellationToken::new(),
        Arc::new(NoProgress),
    )
    .await
    .expect_err("no workers");
    assert!(error.to_string().contains("concurrency"), "{error}");
}

fn bench(target: Arc<dyn Target>, requests: usize) -> Bench {
    Bench {
        target,
        workload: workload(4, 4),
        settings: settings(LoadPoint::Concurrency { concurrency: 1 }, requests, 0),
        cancel: CancellationToken::new(),
        progress: Arc::new(NoProgress),
        resources: None,
        requests_sent: AtomicUsize::new(0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_runs_send_the_next_prompts_of_the_workload() {
    let (server, target) = target_for(MockScript::default()).await;
    let bench = Bench {
        workload: workload(10, 2),
        ..bench(target, 3)
    };
    let points = [LoadPoint::Concurrency { concurrency: 1 }; 2];
    let results = bench.sweep(&points, 2).await.expect("sweep");
    assert_eq!(results.len(), 4);
    let prompts: Vec<String> = server.log().into_iter().map(|log| log.prompt).collect();
    // Four runs of three requests: prompts 0..9, then the workload starts over.
    let expected: Vec<String> = (0..12)
        .map(|index| format!("prompt {}", index % 10))
        .collect();
    assert_eq!(prompts, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automatic_sweep_stops_when_the_server_saturates() {
    // Two slots: throughput doubles from 1 to 2 and then stays.
    let script = MockScript {
        time_to_first_token: Duration::from_millis(20),
        inter_token_gap: Duration::from_millis(5),
        max_concurrent: Some(2),
        ..MockScript::default()
    };
    let (_server, target) = target_for(script).await;
    let results = bench(target, 8)
        .auto_sweep(64)
        .await
        .expect("the sweep runs");
    let concurrencies: Vec<String> = results.iter().map(|result| result.point.label()).collect();
    assert_eq!(concurrencies, ["c=1", "c=2", "c=4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slo_search_brackets_the_capacity_of_a_one_slot_server() {
    // One slot, 50 ms per request. 20 evenly spaced requests at rate r arrive over 19/r s
    // and need 1 s of service, so the last one queues 1 - 19/r s: TTFT (35 ms + queueing)
    // stays within 200 ms up to about 22.8 requests/s.
    let script = MockScript {
        time_to_first_token: Duration::from_millis(35),
        inter_token_gap: Duration::from_millis(5),
        max_concurrent: Some(1),
        ..MockScript::default()
    };
    let (_server, target) = target_for(script).await;
    let search = SloSearch {
        objectives: vec!["ttft:p99<=200".parse::<SloObjective>().expect("valid")],
        process: ArrivalProcess::Constant,
        high: Some(40.0),
        saturation_concurrency: 4,
        steps: 4,
        trials: 1,
        tolerance: 0.05,
    };
    let outcome = bench(target, 20)
        .slo_search(&search)
        .await
        .expect("the search runs");
    let best = outcome.best_rate.expect("some rate meets the SLO");
    assert!((15.0..=22.9).contains(&best), "best {best}");
    let failing = outcome.lowest_failing_rate.expect("40/s fails");
    assert!(failing > best && failing <= 30.0, "failing {failing}");
    assert_eq!(outcome.runs.len(), 5);
}

#[test]
fn slo_objectives_parse_and_name_bad_input() {
    let objective: SloObjective = "tpot:p95<=50ms".parse().expect("valid");
    assert_eq!(objective.to_string(), "tpot:p95<=50");
    for bad in [
        "ttft<=5",
        "ttft:p42<=5",
        "foo:p99<=5",
        "ttft:p99<=-1",
        "ttft:p99",
    ] {
        let error = bad.parse::<SloObjective>().expect_err(bad);
        assert!(
            error.contains(bad) && error.contains("ttft:p99<=500"),
            "{error}"
        );
    }
}
