//! The client's timestamps and token counts against the mock server's own log.
//!
//! No test asserts how fast anything is: they assert what the definitions imply (order,
//! causality, the scripted delays as lower bounds) and that the client's view agrees with the
//! server's within a tolerance that a loaded shared machine still meets on the median.

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use yardstick_backend_openai::{Api, LoadRequest};
use yardstick_load::{RequestTiming, TokenCount, TokenCountSource};
use yardstick_test_support::mock_openai::{MockScript, RequestLog, SentKind};

use common::{median, serve};

/// How far apart the client's and the server's view of one interval may be, on the median.
/// Generous on purpose: CI runs this beside llama.cpp tests whose OpenMP threads spin on the
/// same two cores. The measured accuracy (about 0.1 ms here) belongs in the self-check
/// benchmark, not in an assertion that flakes on a busy machine.
const TOLERANCE: Duration = Duration::from_millis(50);
/// A bound no single request should exceed even on a busy machine.
const GENEROUS: Duration = Duration::from_millis(250);

fn token_counts(timing: &RequestTiming) -> Vec<u32> {
    timing.token_chunks().map(|chunk| chunk.tokens).collect()
}

fn server_token_counts(log: &RequestLog) -> Vec<u32> {
    log.token_sends().iter().map(|sent| sent.tokens).collect()
}

#[tokio::test]
async fn client_ttft_and_itl_agree_with_the_servers_send_log() {
    let script = MockScript {
        time_to_first_token: Duration::from_millis(30),
        inter_token_gap: Duration::from_millis(8),
        ..MockScript::default()
    };
    let (server, client) = serve(script, Api::Completions).await;
    let start = Instant::now();
    let request = LoadRequest::new("one two three", 8);
    let mut records = Vec::new();
    for _ in 0..6 {
        records.push(client.send_streaming(&request, start).await);
    }
    let log = server.log();
    assert_eq!(log.len(), records.len());
    let (mut ttft_differences, mut gap_differences) = (Vec::new(), Vec::new());
    for (timing, served) in records.iter().zip(&log) {
        assert_eq!(timing.error, None, "{timing:?}");
        assert_eq!(timing.check(), Ok(()));
        assert_eq!(timing.http_status, Some(200));
        // 8 token events, the usage event, [DONE].
        assert_eq!(timing.chunks.len(), 10);
        assert_eq!(token_counts(timing), vec![1; 8]);
        assert_eq!(
            timing.completion_tokens,
            Some(TokenCount::new(8, TokenCountSource::ServerUsage))
        );
        assert_eq!(
            timing.prompt_tokens,
            Some(TokenCount::new(3, TokenCountSource::ServerUsage))
        );
        let sent = start + timing.sent;
        assert!(sent <= served.received, "sent after the server received it");
        let server_sends = served.token_sends();
        assert_eq!(server_sends.len(), 8);
        let arrivals: Vec<Instant> = timing
            .token_chunks()
            .map(|chunk| start + chunk.arrived)
            .collect();
        for (arrived, sent_by_server) in arrivals.iter().zip(&server_sends) {
            assert!(*arrived >= sent_by_server.at, "arrived before it was sent");
            assert!(*arrived - sent_by_server.at < GENEROUS);
        }
        let client_ttft = arrivals[0] - sent;
        let server_ttft = server_sends[0].at - served.received;
        assert!(server_ttft >= Duration::from_millis(30), "{server_ttft:?}");
        assert!(client_ttft >= server_ttft);
        ttft_differences.push(client_ttft - server_ttft);
        for index in 1..arrivals.len() {
            let client_gap = arrivals[index] - arrivals[index - 1];
            let server_gap = server_sends[index].at - server_sends[index - 1].at;
            assert!(server_gap >= Duration::from_millis(8), "{server_gap:?}");
            gap_differences.push(client_gap.abs_diff(server_gap));
        }
        let done = served.sends.last().map(|sent| sent.kind);
        assert_eq!(done, Some(SentKind::Done));
        assert!(Some(start + timing.finished) >= served.finished);
    }
    let ttft = median(&mut ttft_differences);
    let gap = median(&mut gap_differences);
    assert!(ttft <= TOLERANCE, "median TTFT difference {ttft:?}");
    assert!(gap <= TOLERANCE, "median ITL difference {gap:?}");
}

#[tokio::test]
async fn chat_role_event_is_not_a_token_and_crlf_streams_parse() {
    let script = MockScript {
        crlf: true,
        ..MockScript::default()
    };
    let (server, client) = serve(script, Api::ChatCompletions).await;
    let start = Instant::now();
    let timing = client
        .send_streaming(&LoadRequest::new("hello there", 5), start)
        .await;
    assert_eq!(timing.error, None, "{timing:?}");
    assert_eq!(timing.chunks[0].tokens, 0, "the role-only event");
    assert_eq!(token_counts(&timing), vec![1; 5]);
    let log = &server.log()[0];
    assert_eq!(log.sends[0].kind, SentKind::Role);
    // TTFT starts at the first token, not at the role event.
    assert!(timing.first_token() > Some(timing.chunks[0].arrived));
    assert_eq!(
        timing.first_token().map(|at| start + at >= log.sends[1].at),
        Some(true)
    );
}

#[tokio::test]
async fn several_tokens_per_event_are_counted_from_usage_or_logprobs() {
    let script = MockScript {
        tokens_per_chunk: 3,
        time_to_first_token: Duration::from_millis(5),
        inter_token_gap: Duration::from_millis(2),
        ..MockScript::default()
    };
    let (server, client) = serve(script, Api::ChatCompletions).await;
    let start = Instant::now();
    let ten = |adjust: fn(&mut LoadRequest)| {
        let mut request = LoadRequest::new("count these", 10);
        adjust(&mut request);
        request
    };

    // vLLM's running usage in every event.
    let running = client
        .send_streaming(&ten(|r| r.continuous_usage = true), start)
        .await;
    assert_eq!(running.error, None, "{running:?}");
    assert_eq!(token_counts(&running), vec![3, 3, 3, 1]);
    assert_eq!(server_token_counts(&server.log()[0]), vec![3, 3, 3, 1]);
    assert_eq!(running.chunk_tokens(), 10);
    assert_eq!(
        running.completion_tokens,
        Some(TokenCount::new(10, TokenCountSource::ServerUsage))
    );

    // Token logprobs list each event's tokens.
    let listed = client
        .send_streaming(
            &ten(|r| {
                r.extra_body.insert("logprobs".into(), json!(true));
            }),
            start,
        )
        .await;
    assert_eq!(token_counts(&listed), vec![3, 3, 3, 1]);

    // Without either, one per event; the usage event still gives the true total.
    let plain = client.send_streaming(&ten(|_| {}), start).await;
    assert_eq!(token_counts(&plain), vec![1, 1, 1, 1]);
    assert_eq!(
        plain.completion_tokens,
        Some(TokenCount::new(10, TokenCountSource::ServerUsage))
    );

    // Without usage at all, the count is the events', and says so.
    let counted = client
        .send_streaming(&ten(|r| r.include_usage = false), start)
        .await;
    assert_eq!(counted.error, None, "{counted:?}");
    assert_eq!(
        counted.completion_tokens,
        Some(TokenCount::new(4, TokenCountSource::ChunkCount))
    );
    assert_eq!(counted.prompt_tokens, None);

    // A multi-token event arrives when its last token is ready.
    let log = &server.log()[0];
    let sends = log.token_sends();
    let admitted = log.admitted.expect("admitted");
    assert!(sends[0].at - admitted >= Duration::from_millis(5 + 2 * 2));
}

#[tokio::test]
async fn a_non_streaming_answer_is_one_chunk_at_the_last_byte() {
    let (server, client) = serve(MockScript::default(), Api::Completions).await;
    let start = Instant::now();
    let timing = client.send(&LoadRequest::new("a b", 6), start).await;
    assert_eq!(timing.error, None, "{timing:?}");
    assert_eq!(timing.check(), Ok(()));
    assert_eq!(timing.chunks.len(), 1);
    assert_eq!(timing.chunks[0].tokens, 6);
    assert_eq!(Some(timing.chunks[0].arrived), timing.last_byte);
    assert_eq!(
        timing.completion_tokens,
        Some(TokenCount::new(6, TokenCountSource::ServerUsage))
    );
    let log = &server.log()[0];
    assert!(!log.stream);
    assert_eq!(log.sends.len(), 1);
    assert!(start + timing.chunks[0].arrived >= log.sends[0].at);
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_queue() {
    let script = MockScript {
        max_concurrent: Some(1),
        time_to_first_token: Duration::from_millis(20),
        inter_token_gap: Duration::from_millis(5),
        ..MockScript::default()
    };
    let (server, client) = serve(script, Api::Completions).await;
    let start = Instant::now();
    let request = LoadRequest::new("queue", 4);
    let (first, second, third) = tokio::join!(
        client.send_streaming(&request, start),
        client.send_streaming(&request, start),
        client.send_streaming(&request, start),
    );
    for timing in [&first, &second, &third] {
        assert_eq!(timing.error, None, "{timing:?}");
    }
    let mut log = server.log();
    log.sort_by_key(|entry| entry.admitted);
    for pair in log.windows(2) {
        let (earlier, later) = (&pair[0], &pair[1]);
        let finished = earlier.finished.expect("the earlier request finished");
        assert!(
            later.admitted >= Some(finished),
            "admitted while another ran"
        );
    }
    // The last admitted waited for two whole generations (≥ 2 × (20 + 3 × 5) ms).
    let last = &log[2];
    let waited = last.admitted.map(|at| at - last.received);
    assert!(waited >= Some(Duration::from_millis(70)), "{waited:?}");
    let slowest = [&first, &second, &third]
        .iter()
        .filter_map(|timing| timing.first_token().map(|at| at - timing.sent))
        .max();
    assert!(
        slowest >= Some(Duration::from_millis(70 + 20)),
        "{slowest:?}"
    );
}
