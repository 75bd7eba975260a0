//! The capability probe against the mock with each capability on and off.

mod common;

use std::time::Duration;

use yardstick_backend_openai::{probe, Api, Endpoint, OpenAiError, ProbeReport, Support};
use yardstick_test_support::mock_openai::{Fault, FaultRule, FaultWhen, MockScript, MockServer};

use common::MODEL;

fn quick(script: MockScript) -> MockScript {
    MockScript {
        time_to_first_token: Duration::from_millis(2),
        inter_token_gap: Duration::from_millis(1),
        // The "model" stops after 4 tokens unless told to ignore end-of-sequence.
        natural_length: Some(4),
        ..script
    }
}

async fn probe_with(script: MockScript, api: Api, model: &str) -> ProbeReport {
    let server = MockServer::start(quick(script))
        .await
        .expect("the mock starts");
    let endpoint = Endpoint::new(server.base_url(), model, api);
    probe(&endpoint).await.expect("the probe reaches the mock")
}

fn supports(report: &ProbeReport) -> Vec<Support> {
    report
        .findings()
        .iter()
        .map(|(_, finding)| finding.support)
        .collect()
}

#[tokio::test]
async fn every_capability_on() {
    for api in Api::ALL {
        let report = probe_with(MockScript::default(), api, MODEL).await;
        assert_eq!(supports(&report), vec![Support::Yes; 6], "{report}");
        assert_eq!(report.models, vec![MODEL.to_string()]);
        assert_eq!(report.ignore_eos.reason, "asked for 32 tokens, got 32");
        let table = report.to_string();
        assert!(table.contains("streaming"), "{table}");
        assert!(table.lines().count() == 8, "{table}");
    }
}

#[tokio::test]
async fn every_capability_off() {
    let script = MockScript {
        honour_ignore_eos: false,
        usage_in_stream: false,
        continuous_usage: false,
        echo_logprobs: false,
        ..MockScript::default()
    };
    let report = probe_with(script, Api::ChatCompletions, MODEL).await;
    assert_eq!(
        supports(&report),
        [
            Support::Yes,
            Support::Yes,
            Support::No,
            Support::Unknown,
            Support::No,
            Support::No
        ],
        "{report}"
    );
    assert_eq!(report.stream_usage.reason, "the stream carried no usage");
    assert_eq!(report.ignore_eos.reason, "asked for 32 tokens, got 4");
    assert!(
        report
            .echo_logprobs
            .reason
            .contains("HTTP 400: echo is not supported"),
        "{}",
        report.echo_logprobs.reason
    );
}

#[tokio::test]
async fn running_usage_off_alone() {
    let script = MockScript {
        continuous_usage: false,
        ..MockScript::default()
    };
    let report = probe_with(script, Api::Completions, MODEL).await;
    assert_eq!(report.stream_usage.support, Support::Yes);
    assert_eq!(report.continuous_usage.support, Support::No);
}

#[tokio::test]
async fn an_unknown_model_and_a_failing_server_say_why() {
    let report = probe_with(MockScript::default(), Api::Completions, "other-model").await;
    assert_eq!(report.model_listed.support, Support::No);
    assert_eq!(report.model_listed.reason, "listed: mock-model");
    assert_eq!(report.streaming.support, Support::No);
    assert!(
        report.streaming.reason.contains("HTTP status 404"),
        "{}",
        report.streaming.reason
    );

    let failing = MockScript {
        faults: vec![FaultRule::new(
            Fault::HttpStatus { status: 500 },
            FaultWhen::Always,
        )],
        ..MockScript::default()
    };
    let report = probe_with(failing, Api::Completions, MODEL).await;
    assert_eq!(report.model_listed.support, Support::Yes);
    assert_eq!(
        supports(&report)[1..5],
        [
            Support::No,
            Support::Unknown,
            Support::Unknown,
            Support::Unknown
        ],
        "{report}"
    );
}

#[tokio::test]
async fn a_refused_key_or_a_closed_port_stops_the_probe_with_a_clear_error() {
    let script = MockScript {
        api_key: Some("right-key".to_string()),
        ..MockScript::default()
    };
    let server = MockServer::start(script).await.expect("the mock starts");
    let mut endpoint = Endpoint::new(server.base_url(), MODEL, Api::Completions);
    endpoint.api_key = Some("wrong-key".to_string());
    let error = probe(&endpoint).await.err();
    assert!(
        matches!(
            error,
            Some(OpenAiError::Unauthorized {
                status: 401,
                key_sent: true,
                ..
            })
        ),
        "{error:?}"
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("refused the API key (one was sent); Incorrect API key provided"),
        "{message}"
    );
    assert!(!message.contains("wrong-key"));

    endpoint.api_key = Some("right-key".to_string());
    assert!(probe(&endpoint).await.is_ok());

    server.stop().await;
    let error = probe(&endpoint).await.err();
    assert!(
        matches!(error, Some(OpenAiError::Unreachable { .. })),
        "{error:?}"
    );
}
