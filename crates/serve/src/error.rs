//! The server's one error type and how it becomes an OpenAI error response:
//! `{"error": {"message", "type", "param", "code"}}`, `code` being the HTTP status (as vLLM
//! sends it, and as yardstick's client reads an error inside a stream).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use yardstick_backend::BackendError;

/// Everything that can go wrong serving a request (or starting the server).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The body is not a JSON object.
    #[error("{0}")]
    InvalidBody(String),
    /// A field is missing, of the wrong type or out of range.
    #[error("`{field}`: {problem}")]
    InvalidField { field: String, problem: String },
    #[error("the model `{requested}` does not exist: this server serves `{served}`")]
    UnknownModel { requested: String, served: String },
    /// The model has no chat template, or its template refused the messages.
    #[error("{0}")]
    ChatTemplate(String),
    #[error("no route for {method} {path}")]
    NoRoute { method: String, path: String },
    /// The engine refused or failed the request.
    #[error("{0}")]
    Engine(#[from] BackendError),
    #[error("serving HTTP: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    pub(crate) fn field(field: &str, problem: impl Into<String>) -> ServeError {
        ServeError::InvalidField {
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// 400 for what the request got wrong (a prompt too long for the context is the
    /// request's fault), 404 for an unknown model or path, 500 for the engine failing.
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::InvalidBody(_)
            | ServeError::InvalidField { .. }
            | ServeError::ChatTemplate(_) => StatusCode::BAD_REQUEST,
            ServeError::UnknownModel { .. } | ServeError::NoRoute { .. } => StatusCode::NOT_FOUND,
            ServeError::Engine(
                BackendError::ContextOverflow { .. }
                | BackendError::Tokenize { .. }
                | BackendError::Unsupported(_),
            ) => StatusCode::BAD_REQUEST,
            ServeError::Engine(_) | ServeError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OpenAI error object (what goes under `"error"`).
    pub fn body(&self) -> Value {
        let status = self.status();
        let kind = match status {
            StatusCode::NOT_FOUND => "not_found_error",
            StatusCode::BAD_REQUEST => "invalid_request_error",
            _ => "server_error",
        };
        let param = match self {
            ServeError::InvalidField { field, .. } => json!(field),
            ServeError::UnknownModel { .. } => json!("model"),
            ServeError::ChatTemplate(_) => json!("messages"),
            _ => Value::Null,
        };
        json!({
            "message": self.to_string(),
            "type": kind,
            "param": param,
            "code": status.as_u16(),
        })
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "request failed");
        }
        (status, axum::Json(json!({ "error": self.body() }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_status_field_and_openai_type() {
        let error = ServeError::field("max_tokens", "must be an integer");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            error.body(),
            json!({
                "message": "`max_tokens`: must be an integer",
                "type": "invalid_request_error",
                "param": "max_tokens",
                "code": 400,
            })
        );
        let unknown = ServeError::UnknownModel {
            requested: "gpt-4".into(),
            served: "gemma".into(),
        };
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(unknown.body()["param"], "model");
        let overflow = ServeError::Engine(BackendError::ContextOverflow {
            what: "generation".into(),
            needed: 9000,
            available: 4096,
        });
        assert_eq!(overflow.status(), StatusCode::BAD_REQUEST);
        let failed = ServeError::Engine(BackendError::WorkerGone("stopped".into()));
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(failed.body()["type"], "server_error");
    }
}
