//! Helpers shared by this crate's integration tests: a mock server and a client for it.

#![allow(dead_code)]

use std::time::Duration;

use yardstick_backend_openai::{Api, Endpoint, OpenAiClient};
use yardstick_test_support::mock_openai::{MockScript, MockServer};

pub const MODEL: &str = "mock-model";

/// Starts the mock with `script` and a client for it on `api`.
pub async fn serve(script: MockScript, api: Api) -> (MockServer, OpenAiClient) {
    let server = MockServer::start(script).await.expect("the mock starts");
    let client = client_for(&server.base_url(), api, |_| {});
    (server, client)
}

/// A client for `base_url`, after `adjust` changed its endpoint.
pub fn client_for(base_url: &str, api: Api, adjust: impl FnOnce(&mut Endpoint)) -> OpenAiClient {
    let mut endpoint = Endpoint::new(base_url, MODEL, api);
    endpoint.timeout = Duration::from_secs(20);
    adjust(&mut endpoint);
    OpenAiClient::new(endpoint).expect("a valid endpoint")
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
