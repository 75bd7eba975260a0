//! Every injected failure becomes a record with the right cause; none panics or is lost.

mod common;

use std::time::{Duration, Instant};

use yardstick_backend_openai::{Api, LoadRequest};
use yardstick_load::{ErrorCause, RequestTiming, TokenCount, TokenCountSource};
use yardstick_test_support::mock_openai::{Fault, FaultRule, FaultWhen, MockScript, MockServer};

use common::{client_for, serve};

fn script_with(fault: Fault, when: FaultWhen) -> MockScript {
    MockScript {
        time_to_first_token: Duration::from_millis(5),
        inter_token_gap: Duration::from_millis(2),
        faults: vec![FaultRule::new(fault, when)],
        ..MockScript::default()
    }
}

/// Checks what every record must satisfy, failed or not.
fn consistent(timing: &RequestTiming) {
    assert_eq!(timing.check(), Ok(()), "{timing:?}");
}

#[tokio::test]
async fn http_errors_hit_the_chosen_requests_only() {
    let script = script_with(
        Fault::HttpStatus { status: 500 },
        FaultWhen::Requests(vec![1]),
    );
    let (_server, client) = serve(script, Api::Completions).await;
    let start = Instant::now();
    let request = LoadRequest::new("x", 3);
    let mut records = Vec::new();
    for _ in 0..3 {
        records.push(client.send_streaming(&request, start).await);
    }
    let causes: Vec<Option<ErrorCause>> = records.iter().map(|r| r.error.clone()).collect();
    assert_eq!(causes, [None, Some(ErrorCause::Http { status: 500 }), None]);
    let failed = &records[1];
    consistent(failed);
    assert_eq!(failed.http_status, Some(500));
    assert!(failed.first_byte.is_some() && failed.chunks.is_empty());
}

#[tokio::test]
async fn rate_limits_are_their_own_cause_and_carry_retry_after() {
    let script = script_with(
        Fault::RateLimited {
            retry_after: Duration::from_millis(1500),
        },
        FaultWhen::Always,
    );
    let (server, client) = serve(script, Api::ChatCompletions).await;
    let timing = client
        .send_streaming(&LoadRequest::new("x", 3), Instant::now())
        .await;
    consistent(&timing);
    assert_eq!(timing.error, Some(ErrorCause::RateLimited));
    assert_eq!(timing.http_status, Some(429));
    let raw = reqwest::Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .body(r#"{"model":"mock-model","messages":[]}"#)
        .send()
        .await
        .expect("the mock answers");
    let retry_after = raw
        .headers()
        .get("retry-after")
        .map(|v| v.as_bytes().to_vec());
    assert_eq!(retry_after, Some(b"2".to_vec()));
}

#[tokio::test]
async fn faults_by_rate_match_the_servers_log() {
    let mut script = script_with(
        Fault::HttpStatus { status: 503 },
        FaultWhen::Rate { probability: 0.4 },
    );
    script.seed = 11;
    let (server, client) = serve(script, Api::Completions).await;
    let start = Instant::now();
    let mut failed = Vec::new();
    for _ in 0..20 {
        let timing = client
            .send_streaming(&LoadRequest::new("x", 2), start)
            .await;
        consistent(&timing);
        failed.push(timing.error == Some(ErrorCause::Http { status: 503 }));
    }
    let injected: Vec<bool> = server.log().iter().map(|l| l.fault.is_some()).collect();
    assert_eq!(failed, injected);
    assert!(failed.contains(&true) && failed.contains(&false));
}

#[tokio::test]
async fn a_dropped_stream_keeps_the_tokens_that_arrived() {
    let script = script_with(Fault::DropStream { after_tokens: 3 }, FaultWhen::Always);
    let (_server, client) = serve(script, Api::Completions).await;
    let streamed = client
        .send_streaming(&LoadRequest::new("x", 8), Instant::now())
        .await;
    consistent(&streamed);
    assert_eq!(streamed.error, Some(ErrorCause::StreamDropped));
    assert_eq!(streamed.http_status, Some(200));
    assert_eq!(streamed.token_chunks().count(), 3);
    assert!(streamed.last_byte.is_some());
    let whole = client.send(&LoadRequest::new("x", 8), Instant::now()).await;
    consistent(&whole);
    assert_eq!(whole.error, Some(ErrorCause::StreamDropped));
}

#[tokio::test]
async fn a_body_that_just_ends_is_complete_only_after_a_finish_reason() {
    let mut script = script_with(
        Fault::EndStream { after_tokens: 2 },
        FaultWhen::Requests(vec![0]),
    );
    script.faults.push(FaultRule::new(
        Fault::EndStream { after_tokens: 100 },
        FaultWhen::Requests(vec![1]),
    ));
    let (_server, client) = serve(script, Api::Completions).await;
    let request = LoadRequest::new("x", 4);
    let cut = client.send_streaming(&request, Instant::now()).await;
    consistent(&cut);
    assert_eq!(cut.error, Some(ErrorCause::StreamDropped));
    assert_eq!(cut.token_chunks().count(), 2);
    // All tokens, the last with its finish_reason, then the end: complete, counted by
    // events since no usage came.
    let ended = client.send_streaming(&request, Instant::now()).await;
    consistent(&ended);
    assert_eq!(ended.error, None, "{ended:?}");
    assert_eq!(ended.chunks.len(), 4);
    assert_eq!(
        ended.completion_tokens,
        Some(TokenCount::new(4, TokenCountSource::ChunkCount))
    );
}

#[tokio::test]
async fn malformed_json_is_named() {
    let script = script_with(Fault::MalformedJson { after_tokens: 2 }, FaultWhen::Always);
    let (_server, client) = serve(script, Api::ChatCompletions).await;
    let streamed = client
        .send_streaming(&LoadRequest::new("x", 8), Instant::now())
        .await;
    consistent(&streamed);
    let Some(ErrorCause::Malformed { what }) = &streamed.error else {
        panic!("expected a malformed event, got {streamed:?}");
    };
    // The role event, then two token events, then the broken one.
    assert!(
        what.starts_with("SSE event 3 is not a completion chunk"),
        "{what}"
    );
    assert_eq!(streamed.token_chunks().count(), 2);
    let whole = client.send(&LoadRequest::new("x", 8), Instant::now()).await;
    assert!(matches!(whole.error, Some(ErrorCause::Malformed { .. })));
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let server = MockServer::start(MockScript::default())
        .await
        .expect("the mock starts");
    let base_url = server.base_url();
    server.stop().await;
    let client = client_for(&base_url, Api::Completions, |_| {});
    let timing = client
        .send_streaming(&LoadRequest::new("x", 2), Instant::now())
        .await;
    consistent(&timing);
    assert_eq!(timing.error, Some(ErrorCause::ConnectionRefused));
    assert_eq!(timing.http_status, None);
    assert_eq!(timing.first_byte, None);
}

#[tokio::test]
async fn a_stall_past_the_deadline_is_a_timeout() {
    let script = script_with(
        Fault::Stall {
            after_tokens: 2,
            pause: Duration::from_secs(5),
        },
        FaultWhen::Always,
    );
    let server = MockServer::start(script).await.expect("the mock starts");
    let client = client_for(&server.base_url(), Api::Completions, |endpoint| {
        endpoint.timeout = Duration::from_millis(400);
    });
    let streamed = client
        .send_streaming(&LoadRequest::new("x", 6), Instant::now())
        .await;
    consistent(&streamed);
    assert_eq!(streamed.error, Some(ErrorCause::Timeout));
    assert_eq!(streamed.token_chunks().count(), 2);
    let waited = streamed.finished - streamed.sent;
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // Not streaming, the stall keeps the head from coming at all.
    let whole = client.send(&LoadRequest::new("x", 6), Instant::now()).await;
    consistent(&whole);
    assert_eq!(whole.error, Some(ErrorCause::Timeout));
    assert_eq!(whole.http_status, None);
}

#[tokio::test]
async fn a_wrong_api_key_is_recorded_as_401() {
    let script = MockScript {
        api_key: Some("right-key".to_string()),
        ..MockScript::default()
    };
    let server = MockServer::start(script).await.expect("the mock starts");
    let with_key = |key: Option<&str>| {
        client_for(&server.base_url(), Api::Completions, |endpoint| {
            endpoint.api_key = key.map(str::to_string);
        })
    };
    let request = LoadRequest::new("x", 2);
    for key in [None, Some("wrong-key")] {
        let timing = with_key(key).send_streaming(&request, Instant::now()).await;
        consistent(&timing);
        assert_eq!(timing.error, Some(ErrorCause::Http { status: 401 }));
    }
    let timing = with_key(Some("right-key"))
        .send_streaming(&request, Instant::now())
        .await;
    assert_eq!(timing.error, None, "{timing:?}");
}
