//! Hand-computed cases for the per-request and run-level metrics.

use std::time::Duration;

use yardstick_core::Unit;
use yardstick_load::metrics::{
    e2e, e2e_from_schedule, inter_token_latencies, schedule_lag, tpot, ttft, ttft_from_schedule,
};
use yardstick_load::{
    summarize_run, Chunk, ErrorCause, ItlDefinition, LatencyOrigin, LoadError, MetricsOptions,
    RequestTiming, Slo, TokenCount, TokenCountSource,
};

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// A completed closed-loop request: sent at `sent`, chunks `(arrival ms, tokens)`, the last
/// byte with the last chunk, `completion_tokens` from the server.
fn completed(sent: u64, chunks: &[(u64, u32)], completion_tokens: u64) -> RequestTiming {
    let end = chunks.last().map_or(ms(sent), |(at, _)| ms(*at));
    RequestTiming {
        scheduled: None,
        sent: ms(sent),
        first_byte: chunks.first().map(|(at, _)| ms(*at)),
        chunks: chunks
            .iter()
            .map(|(at, tokens)| Chunk {
                arrived: ms(*at),
                tokens: *tokens,
            })
            .collect(),
        last_byte: Some(end),
        finished: end,
        prompt_tokens: Some(TokenCount::new(10, TokenCountSource::ServerUsage)),
        completion_tokens: Some(TokenCount::new(
            completion_tokens,
            TokenCountSource::ServerUsage,
        )),
        http_status: Some(200),
        error: None,
    }
}

fn failed(sent: u64, finished: u64, cause: ErrorCause) -> RequestTiming {
    RequestTiming {
        scheduled: None,
        sent: ms(sent),
        first_byte: None,
        chunks: Vec::new(),
        last_byte: None,
        finished: ms(finished),
        prompt_tokens: None,
        completion_tokens: None,
        http_status: match cause {
            ErrorCause::Http { status } => Some(status),
            _ => None,
        },
        error: Some(cause),
    }
}

fn close(a: f64, b: f64) -> bool {
    // Durations are whole nanoseconds: 1e-6 ms.
    (a - b).abs() < 1e-6
}

#[test]
fn the_worked_example() {
    // Sent at 0; chunks at 100 ms (1 token), 150 ms (2 tokens), 250 ms (1 token).
    let record = completed(0, &[(100, 1), (150, 2), (250, 1)], 4);
    assert_eq!(ttft(&record), Some(ms(100)));
    assert_eq!(e2e(&record), Some(ms(250)));
    // (250 - 100) / (4 - 1)
    assert_eq!(tpot(&record), Some(ms(50)));
    assert_eq!(
        inter_token_latencies(&record, ItlDefinition::PerChunk),
        [ms(50), ms(100)]
    );
    // The 50 ms gap before the 2-token chunk is shared by its 2 tokens.
    assert_eq!(
        inter_token_latencies(&record, ItlDefinition::PerToken),
        [ms(25), ms(25), ms(100)]
    );
    // Closed loop: nothing measured from a schedule.
    assert_eq!(ttft_from_schedule(&record), None);
    assert_eq!(e2e_from_schedule(&record), None);
    assert_eq!(schedule_lag(&record), None);
}

#[test]
fn open_loop_latencies_from_the_schedule_include_the_clients_lateness() {
    let mut record = completed(1030, &[(1130, 1), (1180, 1)], 2);
    record.scheduled = Some(ms(1000));
    record.last_byte = Some(ms(1400));
    record.finished = ms(1400);
    assert_eq!(schedule_lag(&record), Some(ms(30)));
    assert_eq!(ttft(&record), Some(ms(100)));
    assert_eq!(ttft_from_schedule(&record), Some(ms(130)));
    assert_eq!(e2e(&record), Some(ms(370)));
    assert_eq!(e2e_from_schedule(&record), Some(ms(400)));
}

#[test]
fn a_first_chunk_with_several_tokens_contributes_zero_gaps_per_token() {
    let record = completed(0, &[(100, 3), (160, 2)], 5);
    assert_eq!(
        inter_token_latencies(&record, ItlDefinition::PerToken),
        [ms(0), ms(0), ms(30), ms(30)]
    );
    assert_eq!(
        inter_token_latencies(&record, ItlDefinition::PerChunk),
        [ms(60)]
    );
    // 60 / 4: the mean of the per-token samples.
    assert_eq!(tpot(&record), Some(ms(15)));
}

#[test]
fn empty_events_are_not_tokens() {
    // A role-only event at 80 ms and a usage-only event at 260 ms carry no token.
    let mut record = completed(0, &[(80, 0), (100, 1), (250, 1), (260, 0)], 2);
    record.last_byte = Some(ms(265));
    record.finished = ms(265);
    assert_eq!(ttft(&record), Some(ms(100)));
    assert_eq!(tpot(&record), Some(ms(150)));
    assert_eq!(e2e(&record), Some(ms(265)));
    assert_eq!(
        inter_token_latencies(&record, ItlDefinition::PerChunk),
        [ms(150)]
    );
}

#[test]
fn one_token_has_no_tpot_and_no_itl() {
    let record = completed(0, &[(100, 1)], 1);
    assert_eq!(tpot(&record), None);
    assert!(inter_token_latencies(&record, ItlDefinition::PerToken).is_empty());
    assert!(inter_token_latencies(&record, ItlDefinition::PerChunk).is_empty());
    let mut unknown = completed(0, &[(100, 1), (200, 1)], 2);
    unknown.completion_tokens = None;
    assert_eq!(tpot(&unknown), None, "TPOT needs a completion token count");
}

#[test]
fn run_summary_counts_every_error_by_cause() {
    let records = vec![
        completed(0, &[(100, 1), (200, 1)], 2),
        failed(10, 20, ErrorCause::Http { status: 503 }),
        completed(50, &[(150, 1), (350, 3)], 4),
        failed(60, 5060, ErrorCause::Timeout),
        failed(70, 90, ErrorCause::Http { status: 503 }),
        failed(
            80,
            120,
            ErrorCause::Malformed {
                what: "data: line is not JSON".to_string(),
            },
        ),
    ];
    let run = summarize_run(&records, &MetricsOptions::default());
    let Ok(run) = run else {
        panic!("consistent records: {run:?}");
    };
    assert_eq!((run.requests, run.completed, run.failed), (6, 2, 4));
    let by_cause: Vec<(&str, usize)> = run
        .failed_by_cause
        .iter()
        .map(|(cause, count)| (cause.as_str(), *count))
        .collect();
    assert_eq!(
        by_cause,
        [("http_503", 2), ("malformed", 1), ("timeout", 1)]
    );
    assert_eq!(run.error_rate(), Some(4.0 / 6.0));
    // The timeout finishing at 5.06 s ends the run window: 0 → 5060 ms.
    assert_eq!(run.duration, Some(ms(5060)));
    assert!(close(
        run.request_throughput().unwrap_or_default(),
        2.0 / 5.06
    ));
    assert!(close(
        run.output_token_throughput().unwrap_or_default(),
        6.0 / 5.06
    ));
    assert!(close(
        run.total_token_throughput().unwrap_or_default(),
        26.0 / 5.06
    ));
    // Latencies come from the completed requests only.
    let ttft = run.ttft_ms.map(|d| (d.count, d.mean, d.min, d.max));
    assert_eq!(ttft, Some((2, 100.0, 100.0, 100.0)));
    let e2e = run.e2e_ms.map(|d| (d.min, d.max));
    assert_eq!(e2e, Some((200.0, 300.0)));
    // TPOT: 100 / 1 and 200 / 3.
    let tpot_mean = run.tpot_ms.map(|d| d.mean).unwrap_or_default();
    assert!(close(tpot_mean, (100.0 + 200.0 / 3.0) / 2.0));
    // Per-token ITL pools [100] and [200/3, 200/3, 200/3]: 4 samples.
    assert_eq!(run.itl_ms.map(|d| d.count), Some(4));

    let records = run.records();
    let find = |name: &str| records.iter().find(|record| record.name == name);
    assert_eq!(find("requests_failed.http_503").map(|r| r.value), Some(2.0));
    assert_eq!(
        find("requests_failed.timeout").map(|r| r.unit),
        Some(Unit::Count)
    );
    assert_eq!(find("error_rate").map(|r| r.unit), Some(Unit::Ratio));
    assert_eq!(find("duration_s").map(|r| r.value), Some(5.06));
    assert_eq!(
        find("requests_per_second").map(|r| r.unit),
        Some(Unit::ItemsPerSecond)
    );
    assert_eq!(
        find("output_tokens_per_second").map(|r| r.unit),
        Some(Unit::TokensPerSecond)
    );
    assert_eq!(
        find("ttft_ms.p50").map(|r| r.unit),
        Some(Unit::Milliseconds)
    );
    assert_eq!(find("itl_per_token_ms.p99").map(|r| r.n), Some(Some(4)));
    assert!(find("good_requests").is_none(), "no SLO, no goodput");
    assert!(find("ttft_from_schedule_ms.mean").is_none(), "closed loop");
}

#[test]
fn goodput_counts_requests_meeting_every_threshold() {
    let records = vec![
        // TTFT 100, TPOT 50: good.
        completed(0, &[(100, 1), (150, 1)], 2),
        // TTFT 300: too slow to start.
        completed(100, &[(400, 1), (420, 1)], 2),
        // TTFT 80, TPOT (480 - 280) / 2 = 100: too slow to stream.
        completed(200, &[(280, 1), (380, 1), (480, 1)], 3),
        // TTFT 50, one token (no TPOT, which meets the TPOT threshold): good.
        completed(300, &[(350, 1)], 1),
        failed(400, 2000, ErrorCause::RateLimited),
    ];
    let options = MetricsOptions {
        slo: Slo {
            ttft: Some(ms(100)),
            tpot: Some(ms(50)),
            ..Slo::default()
        },
        ..MetricsOptions::default()
    };
    let run = summarize_run(&records, &options);
    let Ok(run) = run else {
        panic!("consistent records: {run:?}");
    };
    assert_eq!(run.good_requests, Some(2));
    assert_eq!(run.duration, Some(ms(2000)));
    assert_eq!(run.goodput(), Some(1.0));
    // The failed request counts against the fraction.
    assert_eq!(run.good_request_fraction(), Some(2.0 / 5.0));
    assert!(run.goodput() <= run.request_throughput());

    let names: Vec<String> = run.records().into_iter().map(|r| r.name).collect();
    for name in [
        "good_requests",
        "goodput_requests_per_second",
        "good_request_fraction",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing");
    }
}

#[test]
fn slo_from_the_schedule_counts_the_clients_queueing() {
    let mut record = completed(1080, &[(1150, 1)], 1);
    record.scheduled = Some(ms(1000));
    let from_sent = Slo {
        ttft: Some(ms(100)),
        ..Slo::default()
    };
    let from_schedule = Slo {
        origin: LatencyOrigin::Scheduled,
        ..from_sent
    };
    assert!(from_sent.is_met_by(&record), "TTFT 70 ms from sending");
    assert!(
        !from_schedule.is_met_by(&record),
        "TTFT 150 ms from the schedule"
    );
    let failed = failed(0, 10, ErrorCause::Cancelled);
    assert!(
        !Slo::default().is_met_by(&failed),
        "a failure is never good"
    );
}

#[test]
fn warmup_requests_are_the_first_by_send_time_and_are_kept_out_of_statistics() {
    // Given out of order: the two earliest sends (0 ms, failed; 10 ms, slow) are warm-up.
    let records = vec![
        completed(200, &[(300, 1), (350, 1)], 2),
        completed(10, &[(1010, 1), (1020, 1)], 2),
        completed(300, &[(400, 1), (450, 1)], 2),
        failed(0, 5, ErrorCause::ConnectionRefused),
    ];
    let options = MetricsOptions {
        warmup_requests: 2,
        ..MetricsOptions::default()
    };
    let run = summarize_run(&records, &options);
    let Ok(run) = run else {
        panic!("consistent records: {run:?}");
    };
    assert_eq!(run.requests, 4);
    assert_eq!((run.warmup_requests, run.warmup_failed), (2, 1));
    assert_eq!((run.completed, run.failed), (2, 0));
    assert!(run.failed_by_cause.is_empty());
    // The 1000 ms TTFT of the warm-up request is not in the statistics.
    assert_eq!(run.ttft_ms.map(|d| d.max), Some(100.0));
    // The window is that of the measured requests: 200 → 450 ms.
    assert_eq!(run.duration, Some(ms(250)));
    let records = run.records();
    let find = |name: &str| records.iter().find(|record| record.name == name);
    assert_eq!(find("requests_warmup").map(|r| r.value), Some(2.0));
    assert_eq!(find("requests_warmup_failed").map(|r| r.value), Some(1.0));

    // More warm-up than requests: everything is warm-up, nothing is measured.
    let options = MetricsOptions {
        warmup_requests: 10,
        ..options
    };
    let all_warmup = summarize_run(&records_of_three(), &options);
    assert_eq!(
        all_warmup.map(|run| (run.warmup_requests, run.measured(), run.duration)),
        Ok((3, 0, None))
    );
}

fn records_of_three() -> Vec<RequestTiming> {
    (0..3)
        .map(|k| completed(k * 10, &[(k * 10 + 5, 1)], 1))
        .collect()
}

#[test]
fn per_chunk_itl_is_named_as_such() {
    let options = MetricsOptions {
        itl: ItlDefinition::PerChunk,
        ..MetricsOptions::default()
    };
    let run = summarize_run(
        &[completed(0, &[(100, 1), (150, 2), (250, 1)], 4)],
        &options,
    );
    let records = run.map(|run| run.records()).unwrap_or_default();
    let p50 = records
        .iter()
        .find(|record| record.name == "itl_per_chunk_ms.p50")
        .map(|record| record.value);
    assert_eq!(p50, Some(75.0));
    assert!(records
        .iter()
        .all(|record| !record.name.starts_with("itl_per_token")));
}

#[test]
fn an_impossible_record_fails_the_summary_naming_it() {
    let mut backwards = completed(100, &[(50, 1)], 1);
    backwards.first_byte = None;
    let records = vec![completed(0, &[(10, 1)], 1), backwards];
    let error = summarize_run(&records, &MetricsOptions::default()).err();
    assert_eq!(
        error,
        Some(LoadError::InconsistentRecord {
            index: 1,
            reason: "chunk 0 at 50ms is before sent at 100ms".to_string()
        })
    );
}

#[test]
fn settings_parse_with_a_list_of_valid_values() {
    assert_eq!("per_chunk".parse(), Ok(ItlDefinition::PerChunk));
    assert_eq!("per_token".parse(), Ok(ItlDefinition::PerToken));
    assert_eq!(ItlDefinition::default(), ItlDefinition::PerToken);
    let message = "per-byte"
        .parse::<ItlDefinition>()
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some("unknown ITL definition `per-byte`; valid values are: per_token, per_chunk")
    );
    assert_eq!("scheduled".parse(), Ok(LatencyOrigin::Scheduled));
    assert!("queue".parse::<LatencyOrigin>().is_err());
}

#[test]
fn settings_serialize_under_their_closed_set_names() {
    for definition in ItlDefinition::ALL {
        let json = serde_json::to_value(definition).ok();
        assert_eq!(json, Some(serde_json::Value::from(definition.as_str())));
    }
    for origin in LatencyOrigin::ALL {
        let json = serde_json::to_value(origin).ok();
        assert_eq!(json, Some(serde_json::Value::from(origin.as_str())));
    }
}
