//! The client and the probe against a real llama.cpp server (`llama-server`, built from
//! source by the set-up) serving Gemma-3-270M on loopback.

use std::time::{Duration, Instant};

use yardstick_backend_openai::{probe, Api, Endpoint, LoadRequest, OpenAiClient, Support};
use yardstick_load::TokenCountSource;
use yardstick_test_support::fixtures::gemma_model;
use yardstick_test_support::llama_server::{llama_server_binary, LlamaServer};

/// The name the server lists the model under (`--alias`) and the requests ask for.
const SERVED_MODEL: &str = "gemma";

fn server() -> Option<LlamaServer> {
    let model = gemma_model()?;
    let binary = llama_server_binary()?;
    let server = LlamaServer::start(&binary, &model, &["--alias", SERVED_MODEL])
        .unwrap_or_else(|error| panic!("{error}"));
    Some(server)
}

fn endpoint(server: &LlamaServer, api: Api) -> Endpoint {
    let mut endpoint = Endpoint::new(server.base_url(), SERVED_MODEL, api);
    endpoint.timeout = Duration::from_secs(60);
    endpoint
}

/// What this llama.cpp's server does, as the probe must report it: it lists the alias,
/// streams, sends usage in a last event when asked (`stream_options.include_usage`) but no
/// running usage per event (vLLM's `continuous_usage_stats`), honours `ignore_eos`, and
/// does not echo the prompt with logprobs on `/completions`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_reports_what_llama_server_supports() {
    let Some(server) = server() else {
        return;
    };
    let report = probe(&endpoint(&server, Api::Completions))
        .await
        .expect("the probe runs");
    eprintln!("{report}");
    assert_eq!(report.models, vec![SERVED_MODEL.to_string()], "{report}");
    assert_eq!(report.model_listed.support, Support::Yes, "{report}");
    assert_eq!(report.streaming.support, Support::Yes, "{report}");
    assert_eq!(report.stream_usage.support, Support::Yes, "{report}");
    assert_eq!(report.continuous_usage.support, Support::No, "{report}");
    assert_eq!(report.ignore_eos.support, Support::Yes, "{report}");
    assert_eq!(report.echo_logprobs.support, Support::No, "{report}");
}

/// One streamed request of 16 tokens with `ignore_eos` on `api`: the server's usage counts
/// exactly 16, one token per event, arriving in order after the request was sent.
async fn streams_sixteen_tokens(server: &LlamaServer, api: Api) {
    let client = OpenAiClient::new(endpoint(server, api)).expect("client");
    let mut request = LoadRequest::new("Write a long story about a lighthouse.", 16);
    request.ignore_eos = true;
    request.temperature = Some(0.0);
    let start = Instant::now();
    let timing = client.send_streaming(&request, start).await;
    assert!(
        timing.succeeded(),
        "{api:?}: {timing:?}\n{}",
        server.log_text()
    );
    timing
        .check()
        .unwrap_or_else(|error| panic!("{api:?}: {error}"));
    assert_eq!(timing.http_status, Some(200), "{api:?}");
    let completion = timing.completion_tokens.expect("usage");
    assert_eq!(completion.count, 16, "{api:?}");
    assert_eq!(completion.source, TokenCountSource::ServerUsage, "{api:?}");
    assert_eq!(
        timing.token_chunks().count(),
        16,
        "{api:?}: one token per event"
    );
    assert_eq!(timing.chunk_tokens(), 16, "{api:?}");
    let first = timing.first_token().expect("a token");
    let last = timing.last_token().expect("a token");
    assert!(first > timing.sent, "{api:?}: first token before sending");
    assert!(last > first, "{api:?}: all tokens at one instant");
    let arrivals: Vec<Duration> = timing.token_chunks().map(|chunk| chunk.arrived).collect();
    assert!(
        arrivals.windows(2).all(|pair| pair[0] <= pair[1]),
        "{api:?}: {arrivals:?}"
    );
    let prompt = timing.prompt_tokens.expect("prompt usage");
    assert_eq!(prompt.source, TokenCountSource::ServerUsage, "{api:?}");
    assert!(prompt.count > 5, "{api:?}: {} prompt tokens", prompt.count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_completion_records_every_token() {
    if let Some(server) = server() {
        streams_sixteen_tokens(&server, Api::Completions).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_chat_completion_records_every_token() {
    if let Some(server) = server() {
        streams_sixteen_tokens(&server, Api::ChatCompletions).await;
    }
}
