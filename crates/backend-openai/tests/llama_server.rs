//! The client and the probe against a real llama.cpp server (`llama-server`, built from
//! source by the set-up) serving Gemma-3-270M on loopback.

use std::time::{Duration, Instant};

use yardstick_backend_openai::{probe, Api, Endpoint, LoadRequest, OpenAiClient, Support};
use yardstick_load::TokenCountSource;
use yardstick_test_support::fixtures::gemma_model;
use yardstick_test_support::llama_server::{llama_server_binary, LlamaServer};

fn server() -> Option<LlamaServer> {
    let model = gemma_model()?;
    let binary = llama_server_binary()?;
    Some(LlamaServer::start(&binary, &model, &[]).unwrap_or_else(|error| panic!("{error}")))
}

fn endpoint(server: &LlamaServer, api: Api) -> Endpoint {
    let mut endpoint = Endpoint::new(server.base_url(), "gemma", api);
    endpoint.timeout = Duration::from_secs(60);
    endpoint
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_reports_what_llama_server_supports() {
    let Some(server) = server() else {
        return;
    };
    let report = probe(&endpoint(&server, Api::Completions))
        .await
        .expect("the probe runs");
    assert_eq!(report.models.len(), 1, "{report}");
    assert_eq!(report.streaming.support, Support::Yes, "{report}");
    assert_eq!(report.stream_usage.support, Support::Yes, "{report}");
    assert_eq!(report.ignore_eos.support, Support::Yes, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_requests_record_every_token_on_both_apis() {
    let Some(server) = server() else {
        return;
    };
    for api in [Api::Completions, Api::ChatCompletions] {
        let client = OpenAiClient::new(endpoint(&server, api)).expect("client");
        let mut request = LoadRequest::new("Write a long story about a lighthouse.", 16);
        request.ignore_eos = true;
        let start = Instant::now();
        let timing = client.send_streaming(&request, start).await;
        assert!(
            timing.succeeded(),
            "{api:?}: {timing:?}\n{}",
            server.log_text()
        );
        let completion = timing.completion_tokens.expect("usage");
        assert_eq!(completion.count, 16, "{api:?}");
        assert_eq!(completion.source, TokenCountSource::ServerUsage);
        assert_eq!(timing.chunk_tokens(), 16, "{api:?}: one token per event");
        let first = timing.first_token().expect("a token");
        assert!(first > timing.sent);
        let arrivals: Vec<Duration> = timing.token_chunks().map(|chunk| chunk.arrived).collect();
        assert!(arrivals.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(timing.prompt_tokens.expect("prompt usage").count > 5);
    }
}
