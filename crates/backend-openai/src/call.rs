//! One JSON request of a quality evaluation, sent once: its answer, or a
//! [`BackendError::Request`] saying why it failed and whether sending it again may help
//! (the runner retries; this crate never does).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER, SERVER};
use serde_json::Value;
use yardstick_backend::BackendError;

use crate::client::{endpoint_url, error_chain, error_message, OpenAiClient};

/// A successful answer's JSON.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub json: Value,
}

impl OpenAiClient {
    /// `POST {base_url}/{path}` with `body`, within the endpoint's timeout.
    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Result<Answer, BackendError> {
        let what = format!("POST {}", self.endpoint.url(path));
        let url = endpoint_url(&self.endpoint, path).map_err(|error| BackendError::Request {
            what: format!("{what}: {error}"),
            cause: "invalid_endpoint".into(),
            status: None,
            retryable: false,
            retry_after: None,
        })?;
        let exchange = async {
            let response = self.http.post(url).json(body).send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, headers, text))
        };
        let (status, headers, text) =
            match tokio::time::timeout(self.endpoint.timeout, exchange).await {
                Err(_) => {
                    return Err(failure(
                        &what,
                        "timeout",
                        format!("no complete answer within {:?}", self.endpoint.timeout),
                        true,
                        None,
                    ))
                }
                Ok(Err(error)) => return Err(transport_failure(&what, &error)),
                Ok(Ok(answer)) => answer,
            };
        let json: Result<Value, _> = serde_json::from_str(&text);
        if !(200..300).contains(&status) {
            let body = json.unwrap_or(Value::String(text));
            let message = error_message(&body);
            let retry_after = retry_after(&headers);
            let (cause, retryable) = match status {
                429 => ("rate_limited".to_string(), true),
                408 | 500..=599 => (format!("http_{status}"), true),
                _ => (format!("http_{status}"), false),
            };
            return Err(BackendError::Request {
                what: format!("{what}: HTTP {status}: {message}"),
                cause,
                status: Some(status),
                retryable,
                retry_after,
            });
        }
        let json = json.map_err(|error| {
            failure(
                &what,
                "malformed",
                format!("the answer is not JSON ({error})"),
                true,
                None,
            )
        })?;
        if let Some(error) = json.get("error").filter(|error| !error.is_null()) {
            let message = error_message(&serde_json::json!({ "error": error }));
            return Err(failure(
                &what,
                "server_error",
                format!("the answer is an error: {message}"),
                false,
                None,
            ));
        }
        Ok(Answer { json })
    }
}

fn failure(
    what: &str,
    cause: &str,
    detail: String,
    retryable: bool,
    retry_after: Option<Duration>,
) -> BackendError {
    BackendError::Request {
        what: format!("{what}: {detail}"),
        cause: cause.to_string(),
        status: None,
        retryable,
        retry_after,
    }
}

fn transport_failure(what: &str, error: &reqwest::Error) -> BackendError {
    let cause = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection_refused"
    } else if error.is_body() || error.is_decode() {
        "stream_dropped"
    } else {
        "connection_reset"
    };
    failure(what, cause, error_chain(error), true, None)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by inference servers).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// The server's name and version as its headers give them: `server`, or a vendor header.
pub(crate) fn server_version(headers: &HeaderMap) -> Option<String> {
    [SERVER.as_str(), "x-server-version", "x-vllm-version"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
