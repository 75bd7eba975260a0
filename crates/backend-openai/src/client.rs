//! The HTTP client bound to one [`Endpoint`].

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::error::OpenAiError;

/// Sends requests to one endpoint. Cheap to clone (the connection pool is shared); one
/// client can carry many concurrent requests, each on its own HTTP/1.1 connection.
#[derive(Debug, Clone)]
pub struct OpenAiClient {
    pub(crate) endpoint: Endpoint,
    pub(crate) http: reqwest::Client,
    pub(crate) generation_url: Url,
}

impl OpenAiClient {
    /// Checks the endpoint (URL, key, headers) and builds the client. Proxies from the
    /// environment are not used: a load test measures the server, not a proxy.
    pub fn new(endpoint: Endpoint) -> Result<OpenAiClient, OpenAiError> {
        let generation_url = endpoint_url(&endpoint, endpoint.api.path())?;
        let mut headers = HeaderMap::new();
        if let Some(key) = &endpoint.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                endpoint.invalid("the API key holds characters a header cannot carry")
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in &endpoint.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| endpoint.invalid(format!("`{name}` is not a valid header name")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                endpoint.invalid(format!("the value of header `{name}` is not valid"))
            })?;
            headers.append(header, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .no_proxy()
            .tcp_nodelay(true)
            .build()
            .map_err(|source| OpenAiError::Client {
                base_url: endpoint.base_url.clone(),
                source,
            })?;
        Ok(OpenAiClient {
            endpoint,
            http,
            generation_url,
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The model ids `GET {base_url}/models` lists.
    pub async fn list_models(&self) -> Result<Vec<String>, OpenAiError> {
        let url = endpoint_url(&self.endpoint, "models")?;
        let (status, body, _) = self.get_json(url.clone()).await?;
        if !status.is_success() {
            return Err(OpenAiError::Unexpected {
                url: url.to_string(),
                what: format!("HTTP {status}: {}", error_message(&body)),
            });
        }
        let models =
            body.get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| OpenAiError::Unexpected {
                    url: url.to_string(),
                    what: "the answer has no `data` list of models".to_string(),
                })?;
        Ok(models
            .iter()
            .filter_map(|model| model.get("id").and_then(Value::as_str))
            .map(str::to_string)
            .collect())
    }

    /// `GET url` within the endpoint's timeout: the status, the body as JSON (a JSON
    /// string of the text when it is not JSON) and the server's version header. 401/403
    /// and transport failures are errors.
    pub(crate) async fn get_json(
        &self,
        url: Url,
    ) -> Result<(StatusCode, Value, Option<String>), OpenAiError> {
        let send = self.http.get(url.clone()).send();
        let unreachable = |reason: String| OpenAiError::Unreachable {
            url: url.to_string(),
            reason,
        };
        let response = tokio::time::timeout(self.endpoint.timeout, send)
            .await
            .map_err(|_| unreachable(format!("no answer within {:?}", self.endpoint.timeout)))?
            .map_err(|error| unreachable(error_chain(&error)))?;
        let status = response.status();
        let server = crate::call::server_version(response.headers());
        let text = tokio::time::timeout(self.endpoint.timeout, response.text())
            .await
            .map_err(|_| unreachable("the answer did not finish in time".to_string()))?
            .map_err(|error| unreachable(error_chain(&error)))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.check_authorized(&url, status.as_u16(), &body)?;
        Ok((status, body, server))
    }

    /// An [`OpenAiError::Unauthorized`] for a 401 or 403 answer.
    pub(crate) fn check_authorized(
        &self,
        url: &Url,
        status: u16,
        body: &Value,
    ) -> Result<(), OpenAiError> {
        if status != 401 && status != 403 {
            return Ok(());
        }
        Err(OpenAiError::Unauthorized {
            url: url.to_string(),
            status,
            key_sent: self.endpoint.api_key.is_some(),
            message: error_message(body),
        })
    }
}

pub(crate) fn endpoint_url(endpoint: &Endpoint, path: &str) -> Result<Url, OpenAiError> {
    let url = Url::parse(&endpoint.url(path))
        .map_err(|error| endpoint.invalid(format!("the base URL is not a URL ({error})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(endpoint.invalid("the base URL must start with http:// or https://"));
    }
    Ok(url)
}

/// The message of an OpenAI-style error body, or the body itself, shortened.
pub(crate) fn error_message(body: &Value) -> String {
    let message = body
        .pointer("/error/message")
        .or_else(|| body.get("message"))
        .or_else(|| body.get("detail"))
        .and_then(Value::as_str)
        .map_or_else(
            || match body {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            },
            str::to_string,
        );
    let mut message = message.trim().to_string();
    if message.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&at| message.is_char_boundary(at))
            .unwrap_or(0);
        message.truncate(cut);
        message.push('…');
    }
    if message.is_empty() {
        "no message".to_string()
    } else {
        message
    }
}

/// An error with its sources, `outer: inner: innermost`.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
