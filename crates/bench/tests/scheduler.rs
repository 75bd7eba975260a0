//! The scheduler: closed and open loops, bounds, warm-up, cancellation, sweeps and the SLO
//! search against a server simulated in paused tokio time (`simulated`), so every timing is
//! exact and no assertion depends on how loaded the machine is; faults, refusals and the
//! workload's order against the scripted mock server over HTTP.

mod simulated;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::{Api, Endpoint, LoadRequest, OpenAiClient};
use yardstick_bench::workload::{PromptSource, WorkloadSpec};
use yardstick_bench::{
    run_point, Bench, BenchMode, BenchPlan, Clock, LoadPoint, NoProgress, OpenAiTarget,
    PointResult, RunSettings, SystemClock, Target, TokioClock,
};
use yardstick_bench::{SloObjective, SloSearch};
use yardstick_load::{ArrivalProcess, ErrorCause, ItlDefinition, MetricsOptions, RequestTiming};
use yardstick_test_support::mock_openai::{Fault, FaultRule, FaultWhen, MockScript, MockServer};

use simulated::Simulated;

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

/// One run of a five-prompt workload (4 tokens each) on `clock`.
async fn run_on(
    target: Arc<dyn Target>,
    settings: &RunSettings,
    clock: Arc<dyn Clock>,
) -> PointResult {
    run_point(
        target,
        workload(5, 4),
        settings,
        &CancellationToken::new(),
        Arc::new(NoProgress),
        clock,
    )
    .await
    .expect("the run completes")
}

/// A run against the mock server, in real time.
async fn run(target: Arc<dyn Target>, settings: &RunSettings) -> PointResult {
    run_on(target, settings, Arc::new(SystemClock)).await
}

/// A run against a simulated server, in the paused runtime's time.
async fn simulated_run(target: Arc<Simulated>, settings: &RunSettings) -> PointResult {
    run_on(target, settings, Arc::new(TokioClock)).await
}

#[tokio::test(start_paused = true)]
async fn closed_loop_keeps_exactly_the_concurrency_in_flight_and_counts_warmup_apart() {
    // 45 ms per request: first token at 30 ms, three more 5 ms apart.
    let server = Arc::new(Simulated::new(
        8,
        Duration::from_millis(30),
        Duration::from_millis(5),
    ));
    let result = simulated_run(
        Arc::clone(&server),
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
    assert_eq!(server.peak_in_flight(), 3);
    // Request i is prompt i of the five-prompt workload, which starts over when it runs out.
    let expected: Vec<String> = (0..15)
        .map(|index| format!("prompt {}", index % 5))
        .collect();
    assert_eq!(server.prompts(), expected);
    // Each worker sends its next request the moment its previous one finished: three at
    // 0 ms, three at 45 ms, three at 90 ms, …
    let sent: Vec<Duration> = result.timings.iter().map(|timing| timing.sent).collect();
    let expected: Vec<Duration> = (0..15u32)
        .map(|index| Duration::from_millis(45) * (index / 3))
        .collect();
    assert_eq!(sent, expected);
    // Each request asked for 4 tokens and the server reported them.
    assert_eq!(result.metrics.completion_tokens, 12 * 4);
    assert!(!result.interrupted);
}

#[tokio::test(start_paused = true)]
async fn open_loop_sends_on_schedule_even_when_the_server_queues() {
    // One request at a time, 95 ms each: far slower than 20 arrivals per second.
    let server = Arc::new(Simulated::new(
        1,
        Duration::from_millis(65),
        Duration::from_millis(10),
    ));
    let point = LoadPoint::Rate {
        process: ArrivalProcess::Constant,
        rate: 20.0,
    };
    let result = simulated_run(Arc::clone(&server), &settings(point, 10, 0)).await;
    assert_eq!(result.timings.len(), 10);
    for (index, timing) in result.timings.iter().enumerate() {
        let scheduled = timing.scheduled.expect("open-loop records are scheduled");
        assert_eq!(scheduled, Duration::from_millis(50) * index as u32);
        // Sent when due although the server was still busy (simulated time: no lag at all
        // but the timer's millisecond tick).
        let lag = timing.sent - scheduled;
        assert!(
            lag < Duration::from_millis(1),
            "request {index} sent {lag:?} late"
        );
    }
    // All ten reached the server within the 450 ms of the schedule although it needed
    // 950 ms to serve them one by one: at 450 ms it held the five arrivals it had not yet
    // served (4 were done, at 95, 190, 285 and 380 ms) and the one generating.
    assert_eq!(server.peak_in_flight(), 6);
    // Queueing shows in TTFT from the schedule: the last request, due at 450 ms, got the
    // slot at 9 × 95 = 855 ms and its first token 65 ms later.
    let from_schedule = result.metrics.ttft_from_schedule_ms.expect("ttft");
    let from_sent = result.metrics.ttft_ms.expect("ttft");
    assert!(
        (from_schedule.max - 470.0).abs() < 1e-6,
        "{from_schedule:?}"
    );
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

#[tokio::test(start_paused = true)]
async fn cancelling_keeps_finished_requests_and_marks_those_in_flight() {
    // 140 ms per request: first token at 20 ms, three more 40 ms apart.
    let server = Arc::new(Simulated::new(
        8,
        Duration::from_millis(20),
        Duration::from_millis(40),
    ));
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stopper.cancel();
    });
    let result = run_point(
        server,
        workload(3, 4),
        &settings(LoadPoint::Concurrency { concurrency: 2 }, 1000, 0),
        &cancel,
        Arc::new(NoProgress),
        Arc::new(TokioClock),
    )
    .await
    .expect("an interrupted run still returns its records");
    assert!(result.interrupted);
    // Each worker finished requests at 140, 280 and 420 ms; the two sent at 420 ms were in
    // flight at 500 ms and are recorded as cancelled then.
    assert_eq!(result.timings.len(), 8);
    let cancelled: Vec<&RequestTiming> = result
        .timings
        .iter()
        .filter(|timing| timing.error == Some(ErrorCause::Cancelled))
        .collect();
    assert_eq!(cancelled.len(), 2);
    for timing in cancelled {
        assert_eq!(timing.sent, Duration::from_millis(420));
        assert_eq!(timing.finished, Duration::from_millis(500));
    }
    assert_eq!(result.metrics.completed, 6, "{:?}", result.metrics);
    assert_eq!(result.metrics.cancelled, 2);
    assert_eq!(result.metrics.failed, 0);
}

#[tokio::test(start_paused = true)]
async fn a_duration_bound_stops_sending_new_requests() {
    // 40 ms per request: first token at 10 ms, three more 10 ms apart.
    let server = Arc::new(Simulated::new(
        1,
        Duration::from_millis(10),
        Duration::from_millis(10),
    ));
    let mut bounded = settings(LoadPoint::Concurrency { concurrency: 1 }, 0, 0);
    bounded.requests = None;
    bounded.duration = Some(Duration::from_millis(300));
    let result = simulated_run(server, &bounded).await;
    // Sent at 0, 40, …, 280 ms; at 320 ms the bound had passed, so no ninth request.
    let sent: Vec<Duration> = result.timings.iter().map(|timing| timing.sent).collect();
    let expected: Vec<Duration> = (0..8u32)
        .map(|index| Duration::from_millis(40) * index)
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(result.metrics.completed, 8);
    assert!(!result.interrupted);
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
        Arc::new(SystemClock),
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
        Arc::new(SystemClock),
    )
    .await
    .expect_err("no workers");
    assert!(error.to_string().contains("concurrency"), "{error}");
}

/// A plan of `mode` with `requests` measured requests per run, no warm-up, one trial.
fn plan(mode: BenchMode, requests: usize) -> BenchPlan {
    BenchPlan {
        mode,
        requests: Some(requests),
        duration: None,
        warmup: 0,
        trials: 1,
        seed: 1,
        itl: ItlDefinition::PerToken,
        objectives: Vec::new(),
        workload: WorkloadSpec {
            prompts: PromptSource::Dataset {
                path: "prompts.jsonl".into(),
            },
            output: None,
            ignore_eos: true,
            min_tokens: true,
            seed: 1,
        },
    }
}

/// A bench of `plan` on a four-prompt workload, timed by `clock`.
fn bench(target: Arc<dyn Target>, plan: BenchPlan, clock: Arc<dyn Clock>) -> Bench {
    Bench {
        clock,
        ..Bench::new(target, workload(4, 4), plan)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_runs_send_the_next_prompts_of_the_workload() {
    let (server, target) = target_for(MockScript::default()).await;
    let points = vec![LoadPoint::Concurrency { concurrency: 1 }; 2];
    let mut plan = plan(BenchMode::Points { points }, 3);
    plan.trials = 2;
    let bench = Bench {
        workload: workload(10, 2),
        ..bench(target, plan, Arc::new(SystemClock))
    };
    let outcome = bench.execute().await.expect("the points run");
    assert!(outcome.slo.is_none());
    let results = outcome.runs;
    assert_eq!(results.len(), 4);
    let prompts: Vec<String> = server.log().into_iter().map(|log| log.prompt).collect();
    // Four runs of three requests: prompts 0..9, then the workload starts over.
    let expected: Vec<String> = (0..12)
        .map(|index| format!("prompt {}", index % 10))
        .collect();
    assert_eq!(prompts, expected);
}

#[tokio::test(start_paused = true)]
async fn the_automatic_sweep_stops_when_the_server_saturates() {
    // Two slots, 35 ms per request: output throughput doubles from 1 to 2 and then stays.
    let server = Arc::new(Simulated::new(
        2,
        Duration::from_millis(20),
        Duration::from_millis(5),
    ));
    let sweep = plan(
        BenchMode::AutoSweep {
            max_concurrency: 64,
        },
        8,
    );
    let outcome = bench(server, sweep, Arc::new(TokioClock))
        .execute()
        .await
        .expect("the sweep runs");
    assert!(outcome.slo.is_none());
    let results = outcome.runs;
    let concurrencies: Vec<String> = results.iter().map(|result| result.point.label()).collect();
    assert_eq!(concurrencies, ["c=1", "c=2", "c=4"]);
    // 8 requests of 4 tokens: 280 ms one at a time, 140 ms two at a time, and still 140 ms
    // four at a time (two wait for a slot).
    let throughputs: Vec<f64> = results
        .iter()
        .map(|result| result.metrics.output_token_throughput().expect("tokens"))
        .collect();
    let expected = [32.0 / 0.28, 32.0 / 0.14, 32.0 / 0.14];
    for (throughput, expected) in throughputs.iter().zip(expected) {
        assert!((throughput - expected).abs() < 1e-6, "{throughputs:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_slo_search_brackets_the_capacity_of_a_one_slot_server() {
    // One slot, 50 ms per request (first token at 35 ms, three more 5 ms apart). 20 evenly
    // spaced requests at a rate r above 20/s queue: request i gets the slot at 50·i ms and
    // its TTFT is 35 + i·(50 − 1000/r) ms. Its p99 (rank 18.81 of 0..19) stays within
    // 200 ms up to r = 1000 / (50 − 165/18.81) ≈ 24.26 requests/s.
    let server = Arc::new(Simulated::new(
        1,
        Duration::from_millis(35),
        Duration::from_millis(5),
    ));
    let search = SloSearch {
        process: ArrivalProcess::Constant,
        high: Some(40.0),
        saturation_concurrency: 4,
        steps: 4,
        tolerance: 0.05,
    };
    let mut search = plan(BenchMode::SloSearch(search), 20);
    search.objectives = vec!["ttft:p99<=200".parse::<SloObjective>().expect("valid")];
    let outcome = bench(server, search, Arc::new(TokioClock))
        .execute()
        .await
        .expect("the search runs");
    let found = outcome.slo.expect("the search's finding");
    // 40/s fails, 20/s holds, 30/s and 25/s fail, 22.5/s holds: five runs, and the
    // bracket [22.5, 25) holds the capacity.
    let rates: Vec<String> = outcome
        .runs
        .iter()
        .map(|result| result.point.label())
        .collect();
    assert_eq!(
        rates,
        [
            "constant@40/s",
            "constant@20/s",
            "constant@30/s",
            "constant@25/s",
            "constant@22.5/s"
        ]
    );
    assert_eq!(found.best_rate, Some(22.5));
    assert_eq!(found.lowest_failing_rate, Some(25.0));
    let capacity = 1000.0 / (50.0 - 165.0 / 18.81);
    assert!((22.5..25.0).contains(&capacity), "{capacity}");
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
