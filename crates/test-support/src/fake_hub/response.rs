//! Building the fake's responses: a bare status, bytes, JSON, the hub's error codes.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};

/// An empty response with the hub's `X-Error-Code` header.
pub(super) fn error_code(code: StatusCode, error: &'static str) -> Response<Body> {
    let mut response = status(code);
    response
        .headers_mut()
        .insert("x-error-code", HeaderValue::from_static(error));
    response
}

pub(super) fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}

pub(super) fn bytes_response(code: StatusCode, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = code;
    response
}

pub(super) fn json_response(value: serde_json::Value) -> Response<Body> {
    let mut response = bytes_response(StatusCode::OK, value.to_string().into_bytes());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
