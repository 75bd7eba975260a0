//! The one error type of this crate. A failed *request* is not an error here: it is a
//! `RequestTiming` with an `ErrorCause`. These are the failures that stop something before
//! any measurement: a bad endpoint, a client that cannot be built, a probe that cannot
//! reach or authenticate with the server.

/// What can go wrong before a request is measured.
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    /// The endpoint's base URL, a header or the API key cannot be used.
    #[error("endpoint {base_url}: {what}")]
    InvalidEndpoint { base_url: String, what: String },

    /// The HTTP client could not be built (e.g. no TLS backend).
    #[error("building the HTTP client for {base_url}: {source}")]
    Client {
        base_url: String,
        source: reqwest::Error,
    },

    /// The server refused the credentials: 401 or 403.
    #[error(
        "{url} answered HTTP {status}: the server refused the API key ({}); {message}",
        if *key_sent { "one was sent" } else { "none was sent" }
    )]
    Unauthorized {
        url: String,
        status: u16,
        key_sent: bool,
        message: String,
    },

    /// The server answered, but not as the OpenAI API does.
    #[error("{url}: unexpected answer: {what}")]
    Unexpected { url: String, what: String },

    /// Nothing answered at the endpoint (refused, unresolvable, timed out).
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
}
