//! A fake Hugging Face hub and PyPI index on loopback, for pull tests.
//!
//! One axum server on `127.0.0.1:0` answers:
//! - the hub's file download path as `hf-hub` uses it: `GET /{owner}/{repo}/resolve/{revision}/{file}`
//!   with `Range` support (206 + `Content-Range`), `ETag`/`X-Linked-Etag` (the sha256, as the
//!   hub does for LFS files) and `X-Repo-Commit`; and `GET /api/models/{owner}/{repo}[/revision/{rev}]`;
//! - the same two routes for dataset repositories, as `hf-hub` spells them for
//!   `RepoType::Dataset`: `GET /datasets/{repo}/resolve/{revision}/{file}` and
//!   `GET /api/datasets/{repo}[/revision/{rev}]` (the revision percent-encoded, e.g.
//!   `refs%2Fconvert%2Fparquet`; `{repo}` with or without an owner);
//! - PyPI's JSON API, `GET /pypi/{package}/{version}/json` and `GET /pypi/{package}/json`,
//!   and the wheels themselves under `/packages/{filename}`, built in memory as zips.
//!
//! Content is configurable per test: serve the right bytes, wrong bytes, a wheel whose
//! advertised digest lies, or nothing (404). Every request is recorded with its
//! `Authorization` header so tests can assert a token was sent.

mod hub_repository;
mod pypi;
mod response;

pub use pypi::build_wheel;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use axum::Router;
use hub_repository::{check_token, file_or_404, repo_info, HubFiles};
use pypi::{normalize_package, project_json, version_json, FakeWheel};
use response::{bytes_response, status};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::JoinHandle;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
}

#[derive(Debug)]
struct FakeState {
    /// (repo, revision, file) → content, for model repositories.
    hub_files: HubFiles,
    /// (repo, revision, file) → content, for dataset repositories.
    dataset_files: HubFiles,
    hub_token: Option<String>,
    wheels: Vec<FakeWheel>,
    versioned_json: bool,
    stall_hub: bool,
    requests: Vec<RecordedRequest>,
}

/// The running fake; the server stops when this is dropped.
#[derive(Debug)]
pub struct FakeHub {
    base_url: String,
    state: Arc<Mutex<FakeState>>,
    server: JoinHandle<()>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    // A test that panicked while holding the lock has failed already; keep serving.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// sha256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl FakeHub {
    /// Starts the server on an ephemeral loopback port (call inside a tokio runtime).
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState {
            hub_files: BTreeMap::new(),
            dataset_files: BTreeMap::new(),
            hub_token: None,
            wheels: Vec::new(),
            versioned_json: true,
            stall_hub: false,
            requests: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding an ephemeral loopback port");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let base_url = format!("http://{address}");
        let app = Router::new()
            .fallback(handle)
            .with_state((state.clone(), base_url.clone()));
        let server = tokio::spawn(async move {
            // The server ends only when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url,
            state,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`: the HF endpoint and the PyPI index base alike.
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// Serves `content` as `file` of hub repository `repo` (`owner/name`) at `revision`.
    pub fn add_hub_file(
        &self,
        repo: &str,
        revision: &str,
        file: &str,
        content: impl Into<Vec<u8>>,
    ) {
        lock(&self.state).hub_files.insert(
            (repo.to_owned(), revision.to_owned(), file.to_owned()),
            content.into(),
        );
    }

    /// Serves `content` as `path` of the hub *dataset* repository `repo` (`owner/name`, or a
    /// bare legacy name such as `piqa`) at `revision` (`main`, `refs/convert/parquet`, ...).
    pub fn add_dataset_file(
        &self,
        repo: &str,
        revision: &str,
        path: &str,
        content: impl Into<Vec<u8>>,
    ) {
        lock(&self.state).dataset_files.insert(
            (repo.to_owned(), revision.to_owned(), path.to_owned()),
            content.into(),
        );
    }

    /// Makes hub requests without `Authorization: Bearer <token>` fail with 401.
    pub fn require_hub_token(&self, token: &str) {
        lock(&self.state).hub_token = Some(token.to_owned());
    }

    /// Publishes `package==version` as one wheel holding `member` with `content`, with the
    /// wheel's true sha256. Returns the wheel's file name.
    pub fn add_wheel(&self, package: &str, version: &str, member: &str, content: &[u8]) -> String {
        let bytes = build_wheel(package, version, member, content);
        let sha256 = sha256_hex(&bytes);
        self.add_wheel_bytes(package, version, bytes, &sha256)
    }

    /// Publishes `package==version` as a wheel with these exact bytes, advertising
    /// `advertised_sha256` in the JSON API (which may be a lie). Returns the file name.
    pub fn add_wheel_bytes(
        &self,
        package: &str,
        version: &str,
        bytes: Vec<u8>,
        advertised_sha256: &str,
    ) -> String {
        let filename = format!(
            "{}-{version}-py3-none-any.whl",
            normalize_package(package).replace('-', "_")
        );
        let mut state = lock(&self.state);
        state.wheels.retain(|wheel| {
            !(normalize_package(&wheel.package) == normalize_package(package)
                && wheel.version == version)
        });
        state.wheels.push(FakeWheel {
            package: package.to_owned(),
            version: version.to_owned(),
            filename: filename.clone(),
            bytes,
            advertised_sha256: advertised_sha256.to_owned(),
        });
        filename
    }

    /// Whether `/pypi/{package}/{version}/json` answers (default) or 404s, as on mirrors
    /// that serve only the project document.
    pub fn set_versioned_json(&self, enabled: bool) {
        lock(&self.state).versioned_json = enabled;
    }

    /// Makes every hub file request hang without an answer (a stalled transfer).
    pub fn stall_hub_downloads(&self) {
        lock(&self.state).stall_hub = true;
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }
}

type AppState = (Arc<Mutex<FakeState>>, String);

async fn handle(
    State((state, base_url)): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let (response, stall) = {
        let mut state = lock(&state);
        let stall = state.stall_hub && uri.path().contains("/resolve/");
        (
            respond(&mut state, &base_url, &method, &uri, &headers),
            stall,
        )
    };
    if stall {
        // Accept the request, then never answer: a transfer that stalls.
        std::future::pending::<()>().await;
    }
    response
}

fn respond(
    state: &mut FakeState,
    base_url: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response<Body> {
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    state.requests.push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: header_text(header::AUTHORIZATION),
        range: header_text(header::RANGE),
    });
    if *method != Method::GET && *method != Method::HEAD {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let segments: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["pypi", package, "json"] => project_json(state, package, base_url),
        ["pypi", package, version, "json"] if state.versioned_json => {
            version_json(state, package, version, base_url)
        }
        ["pypi", ..] => status(StatusCode::NOT_FOUND),
        ["packages", filename] => match state.wheels.iter().find(|w| w.filename == *filename) {
            Some(wheel) => bytes_response(StatusCode::OK, wheel.bytes.clone()),
            None => status(StatusCode::NOT_FOUND),
        },
        ["api", "models", owner, name, rest @ ..] => {
            if let Some(denied) = check_token(state, header_text(header::AUTHORIZATION)) {
                return denied;
            }
            let revision = match rest {
                [] => "main",
                ["revision", revision] => revision,
                _ => return status(StatusCode::NOT_FOUND),
            };
            repo_info(&state.hub_files, &format!("{owner}/{name}"), revision)
        }
        ["api", "datasets", rest @ ..] if !rest.is_empty() => {
            if let Some(denied) = check_token(state, header_text(header::AUTHORIZATION)) {
                return denied;
            }
            let (repo, revision) = match rest {
                [repo @ .., "revision", revision] if !repo.is_empty() => (repo, *revision),
                repo => (repo, "main"),
            };
            repo_info(&state.dataset_files, &repo.join("/"), revision)
        }
        ["datasets", rest @ ..] => {
            let Some(at) = rest.iter().position(|segment| *segment == "resolve") else {
                return status(StatusCode::NOT_FOUND);
            };
            match (&rest[..at], &rest[at + 1..]) {
                (repo, [revision, file @ ..]) if !repo.is_empty() && !file.is_empty() => {
                    if let Some(denied) = check_token(state, header_text(header::AUTHORIZATION)) {
                        return denied;
                    }
                    let key = (repo.join("/"), revision.to_string(), file.join("/"));
                    file_or_404(&state.dataset_files, &key, header_text(header::RANGE))
                }
                _ => status(StatusCode::NOT_FOUND),
            }
        }
        [owner, name, "resolve", revision, file @ ..] if !file.is_empty() => {
            if let Some(denied) = check_token(state, header_text(header::AUTHORIZATION)) {
                return denied;
            }
            let key = (
                format!("{owner}/{name}"),
                revision.to_string(),
                file.join("/"),
            );
            file_or_404(&state.hub_files, &key, header_text(header::RANGE))
        }
        _ => status(StatusCode::NOT_FOUND),
    }
}

/// Decodes `%XX` escapes (enough for revisions like `refs%2Fpr%2F1`).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| segment.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::hub_repository::parse_range;
    use super::*;

    #[test]
    fn ranges_and_escapes_parse() {
        assert_eq!(parse_range("bytes=0-0"), Some((0, Some(0))));
        assert_eq!(parse_range("bytes=10-"), Some((10, None)));
        assert_eq!(parse_range("items=1-2"), None);
        assert_eq!(percent_decode("refs%2Fpr%2F1"), "refs/pr/1");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
