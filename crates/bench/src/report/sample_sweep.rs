//! A small hand-made sweep for the report tests: three load points whose every timestamp is
//! written out, summarised with `yardstick_load::summarize_run`.
//!
//! - `c=1`: 5 streamed requests, the first one warm-up.
//! - `c=4`: 8 streamed requests (1 warm-up), one HTTP 503 and one malformed response.
//! - `poisson@2/s`: open loop, sent up to 40 ms after schedule (behind schedule), interrupted,
//!   its last request cancelled.
//!
//! Every point has an SLO of TTFT ≤ 150 ms, so goodput is reported.

use std::time::Duration;

use yardstick_core::{MetricRecord, Unit};
use yardstick_load::{
    summarize_run, ArrivalProcess, Chunk, ErrorCause, MetricsOptions, RequestTiming, Slo,
    TokenCount, TokenCountSource,
};

use crate::point::{LoadPoint, PointResult};

/// A duration of `value` microseconds.
pub fn us(value: u64) -> Duration {
    Duration::from_micros(value)
}

/// A streamed request: a role-only event 1 ms before the first token, `tokens` one-token
/// chunks `gap_us` apart from `sent + ttft_us`, then a usage event 500 µs after the last
/// token, which ends the response.
pub fn streamed(
    scheduled_us: Option<u64>,
    sent_us: u64,
    ttft_us: u64,
    gap_us: u64,
    tokens: u32,
) -> RequestTiming {
    let first_token = sent_us + ttft_us;
    let mut chunks = vec![Chunk {
        arrived: us(first_token - 1_000),
        tokens: 0,
    }];
    chunks.extend((0..u64::from(tokens)).map(|index| Chunk {
        arrived: us(first_token + index * gap_us),
        tokens: 1,
    }));
    let last_token = first_token + u64::from(tokens.saturating_sub(1)) * gap_us;
    RequestTiming {
        scheduled: scheduled_us.map(us),
        sent: us(sent_us),
        first_byte: Some(us(first_token - 1_000)),
        chunks,
        last_byte: Some(us(last_token + 500)),
        finished: us(last_token + 500),
        prompt_tokens: Some(TokenCount::new(100, TokenCountSource::ServerUsage)),
        completion_tokens: Some(TokenCount::new(
            u64::from(tokens),
            TokenCountSource::ServerUsage,
        )),
        http_status: Some(200),
        error: None,
    }
}

/// A request that failed `after_us` after it was sent, without a response body.
pub fn failed(
    scheduled_us: Option<u64>,
    sent_us: u64,
    after_us: u64,
    cause: ErrorCause,
) -> RequestTiming {
    let http_status = match &cause {
        ErrorCause::Http { status } => Some(*status),
        ErrorCause::Malformed { .. } => Some(200),
        _ => None,
    };
    RequestTiming {
        scheduled: scheduled_us.map(us),
        sent: us(sent_us),
        first_byte: http_status.map(|_| us(sent_us + after_us)),
        chunks: Vec::new(),
        last_byte: None,
        finished: us(sent_us + after_us),
        prompt_tokens: None,
        completion_tokens: None,
        http_status,
        error: Some(cause),
    }
}

fn options(warmup_requests: usize) -> MetricsOptions {
    MetricsOptions {
        warmup_requests,
        slo: Slo {
            ttft: Some(Duration::from_millis(150)),
            ..Slo::default()
        },
        ..MetricsOptions::default()
    }
}

/// Summarises `timings` into a point result.
pub fn point_result(
    point: LoadPoint,
    timings: Vec<RequestTiming>,
    options: &MetricsOptions,
    interrupted: bool,
) -> PointResult {
    let metrics = match summarize_run(&timings, options) {
        Ok(metrics) => metrics,
        Err(error) => panic!("the sample records are consistent: {error}"),
    };
    PointResult {
        started: std::time::Instant::now(),
        point,
        timings,
        metrics,
        resources: Vec::new(),
        interrupted,
    }
}

/// The three-point sweep described in the module doc.
pub fn sweep() -> Vec<PointResult> {
    let closed_one = (0..5)
        .map(|index| streamed(None, index * 300_000, 50_000 + index * 1_500, 10_000, 20))
        .collect();
    let mut closed_four: Vec<RequestTiming> = (0..6)
        .map(|index| streamed(None, index * 100_000, 120_000 + index * 10_000, 15_000, 20))
        .collect();
    closed_four.push(failed(
        None,
        650_000,
        2_250,
        ErrorCause::Http { status: 503 },
    ));
    closed_four.push(failed(
        None,
        700_000,
        80_000,
        ErrorCause::Malformed {
            what: "usage block".to_string(),
        },
    ));
    let lags = [200, 500, 25_000, 40_000];
    let mut open: Vec<RequestTiming> = lags
        .iter()
        .zip(0u64..)
        .map(|(lag, index)| {
            let scheduled = index * 500_000;
            streamed(
                Some(scheduled),
                scheduled + lag,
                140_000 + index * 20_000,
                12_000,
                8,
            )
        })
        .collect();
    open.push(failed(
        Some(2_000_000),
        2_000_100,
        30_000,
        ErrorCause::Cancelled,
    ));

    let mut open_result = point_result(
        LoadPoint::Rate {
            process: ArrivalProcess::Poisson,
            rate: 2.0,
        },
        open,
        &options(0),
        true,
    );
    open_result.resources = vec![
        MetricRecord::new("cpu_percent.mean", 42.5, Unit::Scalar).with_n(4),
        MetricRecord::new("rss_bytes.max", 1_048_576.0, Unit::Bytes),
    ];
    vec![
        point_result(
            LoadPoint::Concurrency { concurrency: 1 },
            closed_one,
            &options(1),
            false,
        ),
        point_result(
            LoadPoint::Concurrency { concurrency: 4 },
            closed_four,
            &options(1),
            false,
        ),
        open_result,
    ]
}
