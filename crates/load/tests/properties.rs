//! Properties of the metrics and schedules over generated inputs.

use std::time::Duration;

use proptest::prelude::*;
use yardstick_load::metrics::{e2e, inter_token_latencies, tpot, ttft};
use yardstick_load::{
    summarize_run, ArrivalProcess, ArrivalSchedule, Chunk, ErrorCause, ItlDefinition,
    MetricsOptions, RequestTiming, Slo, TokenCount, TokenCountSource,
};

/// A completed request whose last chunk is its last byte and whose completion token count
/// is the chunks' total. `chunks` are (gap before it in ns, tokens), tokens may be 0.
fn record(sent_ns: u64, chunks: &[(u64, u32)]) -> RequestTiming {
    let mut at = Duration::from_nanos(sent_ns);
    let chunks: Vec<Chunk> = chunks
        .iter()
        .map(|(gap, tokens)| {
            at += Duration::from_nanos(*gap);
            Chunk {
                arrived: at,
                tokens: *tokens,
            }
        })
        .collect();
    let tokens: u64 = chunks.iter().map(|chunk| u64::from(chunk.tokens)).sum();
    RequestTiming {
        scheduled: None,
        sent: Duration::from_nanos(sent_ns),
        first_byte: None,
        chunks,
        last_byte: Some(at),
        finished: at,
        prompt_tokens: Some(TokenCount::new(7, TokenCountSource::Tokenizer)),
        completion_tokens: Some(TokenCount::new(tokens, TokenCountSource::ChunkCount)),
        http_status: Some(200),
        error: None,
    }
}

/// Chunks ending with a token-carrying one, so that the last token is the last byte.
fn chunks() -> impl Strategy<Value = Vec<(u64, u32)>> {
    (
        prop::collection::vec((0u64..200_000_000, 0u32..6), 0..40),
        (0u64..200_000_000, 1u32..6),
    )
        .prop_map(|(mut chunks, last)| {
            chunks.push(last);
            chunks
        })
}

fn nanos(duration: Duration) -> i128 {
    duration.as_nanos() as i128
}

proptest! {
    #[test]
    fn ttft_plus_tpot_times_remaining_tokens_is_e2e(
        sent in 0u64..1_000_000_000,
        chunks in chunks(),
    ) {
        let record = record(sent, &chunks);
        let tokens = record.completion_tokens.map_or(0, |count| count.count);
        prop_assume!(tokens >= 2);
        let (Some(ttft), Some(tpot), Some(e2e)) = (ttft(&record), tpot(&record), e2e(&record))
        else {
            return Err(TestCaseError::fail("defined for 2+ tokens"));
        };
        let rebuilt = nanos(ttft) + nanos(tpot) * i128::from(tokens - 1);
        // TPOT is truncated to whole nanoseconds: at most 1 ns lost per token.
        let lost = nanos(e2e) - rebuilt;
        prop_assert!((0..i128::from(tokens)).contains(&lost), "lost {lost} ns");
    }

    #[test]
    fn per_token_itl_has_one_sample_per_token_after_the_first(
        sent in 0u64..1_000_000_000,
        chunks in chunks(),
    ) {
        let record = record(sent, &chunks);
        let tokens = record.chunk_tokens();
        let samples = inter_token_latencies(&record, ItlDefinition::PerToken);
        prop_assert_eq!(samples.len() as u64, tokens.saturating_sub(1));
        let decode = match (record.first_token(), record.last_token()) {
            (Some(first), Some(last)) => nanos(last - first),
            _ => 0,
        };
        let total: i128 = samples.iter().copied().map(nanos).sum();
        prop_assert!((0..=i128::from(tokens)).contains(&(decode - total)));
        if let Some(tpot) = tpot(&record) {
            let mean = total as f64 / samples.len() as f64;
            prop_assert!((mean - nanos(tpot) as f64).abs() <= 6.0, "mean {mean}, tpot {tpot:?}");
        }
    }

    #[test]
    fn per_chunk_itl_has_one_sample_per_gap_between_token_chunks(
        sent in 0u64..1_000_000_000,
        chunks in chunks(),
    ) {
        let record = record(sent, &chunks);
        let token_chunks = record.token_chunks().count();
        let samples = inter_token_latencies(&record, ItlDefinition::PerChunk);
        prop_assert_eq!(samples.len(), token_chunks.saturating_sub(1));
        let decode = match (record.first_token(), record.last_token()) {
            (Some(first), Some(last)) => last - first,
            _ => Duration::ZERO,
        };
        prop_assert_eq!(samples.iter().sum::<Duration>(), decode);
    }

    #[test]
    fn a_run_summary_accounts_for_every_request(
        requests in prop::collection::vec(
            (0u64..1_000_000_000, chunks(), prop::option::of(0u16..4)),
            1..40,
        ),
        warmup in 0usize..10,
        ttft_limit_ms in 0u64..500,
    ) {
        let records: Vec<RequestTiming> = requests
            .iter()
            .map(|(sent, chunks, failure)| {
                let mut record = record(*sent, chunks);
                record.error = failure.map(|kind| match kind {
                    0 => ErrorCause::Timeout,
                    1 => ErrorCause::RateLimited,
                    2 => ErrorCause::StreamDropped,
                    _ => ErrorCause::Http { status: 500 },
                });
                record
            })
            .collect();
        let options = MetricsOptions {
            warmup_requests: warmup,
            slo: Slo { ttft: Some(Duration::from_millis(ttft_limit_ms)), ..Slo::default() },
            ..MetricsOptions::default()
        };
        let run = summarize_run(&records, &options);
        let Ok(run) = run else {
            return Err(TestCaseError::fail(format!("{run:?}")));
        };
        prop_assert_eq!(run.warmup_requests + run.completed + run.failed, records.len());
        prop_assert_eq!(run.failed_by_cause.values().sum::<usize>(), run.failed);
        prop_assert!(run.good_requests.unwrap_or(0) <= run.completed);
        prop_assert!(run.goodput() <= run.request_throughput());
        prop_assert!(run.ttft_ms.map_or(0, |d| d.count) <= run.completed);
    }

    #[test]
    fn schedules_start_at_zero_and_never_go_back(
        seed in any::<u64>(),
        rate in 0.01f64..10_000.0,
        kind in 0u8..3,
        shape in 0.05f64..20.0,
    ) {
        let process = match kind {
            0 => ArrivalProcess::Constant,
            1 => ArrivalProcess::Poisson,
            _ => ArrivalProcess::Gamma { shape },
        };
        let schedule = ArrivalSchedule::new(process, rate, seed);
        let Ok(schedule) = schedule else {
            return Err(TestCaseError::fail(format!("{schedule:?}")));
        };
        let offsets = schedule.first(200);
        prop_assert_eq!(offsets.len(), 200);
        prop_assert_eq!(offsets[0], Duration::ZERO);
        prop_assert!(offsets.windows(2).all(|pair| pair[0] <= pair[1]));
    }
}
