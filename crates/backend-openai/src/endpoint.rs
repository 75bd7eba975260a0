//! Where requests go: the [`Endpoint`] a user describes and the [`Api`] it speaks.

use std::fmt;
use std::time::Duration;

use crate::error::OpenAiError;

/// Which OpenAI generation API the load is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `POST {base_url}/completions` with a `prompt`.
    Completions,
    /// `POST {base_url}/chat/completions` with the prompt as one user message.
    ChatCompletions,
}

yardstick_core::closed_set!(Api, "API", {
    Completions => "completions",
    ChatCompletions => "chat",
});

impl Api {
    /// The path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Api::Completions => "completions",
            Api::ChatCompletions => "chat/completions",
        }
    }
}

/// An OpenAI-compatible server and how to talk to it.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL the API paths hang under, version included, as OpenAI clients take it:
    /// `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    /// The `model` field of every request.
    pub served_model: String,
    /// Sent as `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    pub api: Api,
    /// The most one request may take, from sending to its last byte; past it the request
    /// is recorded as a timeout.
    pub timeout: Duration,
}

impl Endpoint {
    /// The timeout when none is chosen.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

    /// An endpoint without key or extra headers, with the default timeout.
    pub fn new(base_url: impl Into<String>, served_model: impl Into<String>, api: Api) -> Self {
        Endpoint {
            base_url: base_url.into(),
            served_model: served_model.into(),
            api_key: None,
            headers: Vec::new(),
            api,
            timeout: Endpoint::DEFAULT_TIMEOUT,
        }
    }

    /// `{base_url}/{path}`, with exactly one slash between.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    pub(crate) fn invalid(&self, what: impl Into<String>) -> OpenAiError {
        OpenAiError::InvalidEndpoint {
            base_url: self.base_url.clone(),
            what: what.into(),
        }
    }
}

/// Never prints the API key.
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("served_model", &self.served_model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers)
            .field("api", &self.api)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash_and_keys_stay_hidden() {
        let mut endpoint = Endpoint::new("http://h:1/v1/", "m", Api::ChatCompletions);
        assert_eq!(endpoint.url("/models"), "http://h:1/v1/models");
        assert_eq!(
            endpoint.url(Api::ChatCompletions.path()),
            "http://h:1/v1/chat/completions"
        );
        endpoint.api_key = Some("secret-key".to_string());
        assert!(!format!("{endpoint:?}").contains("secret-key"));
    }

    #[test]
    fn api_names_parse_and_list_the_valid_ones() {
        assert_eq!("chat".parse::<Api>().ok(), Some(Api::ChatCompletions));
        let error = "responses".parse::<Api>().err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown API `responses`; valid values are: completions, chat")
        );
    }
}
