//! The hub's repository routes: files (with ranges, ETags and the commit), repository
//! descriptions, and the token check.

use super::response::{bytes_response, error_code, json_response, status};
use super::{sha256_hex, FakeState};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use std::collections::BTreeMap;

/// (repo, revision, file) → content.
pub(super) type HubFiles = BTreeMap<(String, String, String), Vec<u8>>;

pub(super) fn file_or_404(
    files: &HubFiles,
    key: &(String, String, String),
    range: Option<String>,
) -> Response<Body> {
    match files.get(key) {
        Some(content) => hub_file(&key.0, &key.1, content, range),
        None => error_code(StatusCode::NOT_FOUND, "EntryNotFound"),
    }
}

pub(super) fn check_token(
    state: &FakeState,
    authorization: Option<String>,
) -> Option<Response<Body>> {
    let required = state.hub_token.as_ref()?;
    (authorization.as_deref() != Some(&format!("Bearer {required}")))
        .then(|| status(StatusCode::UNAUTHORIZED))
}

/// A deterministic 40-hex "commit" for a repository revision.
fn commit_hash(repo: &str, revision: &str) -> String {
    let mut hash = sha256_hex(format!("{repo}@{revision}").as_bytes());
    hash.truncate(40);
    hash
}

fn hub_file(repo: &str, revision: &str, content: &[u8], range: Option<String>) -> Response<Body> {
    let length = content.len() as u64;
    let range = range.as_deref().and_then(parse_range);
    let mut response = match range {
        Some((start, _)) if start >= length && length > 0 => {
            let mut response = status(StatusCode::RANGE_NOT_SATISFIABLE);
            let value = format!("bytes */{length}");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
        Some((start, end)) => {
            let end = end
                .unwrap_or(length.saturating_sub(1))
                .min(length.saturating_sub(1));
            let slice = content
                .get(start as usize..=end as usize)
                .unwrap_or_default()
                .to_vec();
            let mut response = bytes_response(StatusCode::PARTIAL_CONTENT, slice);
            let value = format!("bytes {start}-{end}/{length}");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        None => bytes_response(StatusCode::OK, content.to_vec()),
    };
    let etag = format!("\"{}\"", sha256_hex(content));
    let headers = response.headers_mut();
    for (name, value) in [
        ("etag", etag.clone()),
        ("x-linked-etag", etag),
        ("x-linked-size", length.to_string()),
        ("x-repo-commit", commit_hash(repo, revision)),
        ("accept-ranges", "bytes".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// `bytes=START-[END]` → (start, end).
pub(super) fn parse_range(range: &str) -> Option<(u64, Option<u64>)> {
    let (start, end) = range.strip_prefix("bytes=")?.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => None,
        end => Some(end.parse().ok()?),
    };
    Some((start, end))
}

/// The repository description at a revision; 404 `RepoNotFound` when the repository has no
/// file at any revision, 404 `RevisionNotFound` when it has none at this one.
pub(super) fn repo_info(files: &HubFiles, repo: &str, revision: &str) -> Response<Body> {
    let siblings: Vec<serde_json::Value> = files
        .keys()
        .filter(|(candidate, candidate_revision, _)| {
            candidate == repo && candidate_revision == revision
        })
        .map(|(_, _, file)| serde_json::json!({ "rfilename": file }))
        .collect();
    if siblings.is_empty() {
        let known = files.keys().any(|(candidate, _, _)| candidate == repo);
        return error_code(
            StatusCode::NOT_FOUND,
            if known {
                "RevisionNotFound"
            } else {
                "RepoNotFound"
            },
        );
    }
    json_response(serde_json::json!({
        "id": repo,
        "sha": commit_hash(repo, revision),
        "siblings": siblings,
    }))
}
