//! What every source shares: the HTTP client, readable transfer errors, and the
//! temporary file in the destination directory that a verified pull renames into place.

use crate::checksum::Checksum;
use crate::ModelError;
use std::error::Error;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::{NamedTempFile, TempPath};

/// Bytes fetched into a temporary file in the destination directory, not yet verified.
/// Dropping it deletes the file.
pub(crate) struct Fetched {
    pub temp: TempPath,
    pub checksum: Checksum,
}

impl Fetched {
    /// Renames the file to `destination` (atomic within one file system).
    pub fn persist(self, destination: &Path) -> Result<(), ModelError> {
        self.temp.persist(destination).map_err(|error| {
            ModelError::io("moving the verified file to", destination, error.error)
        })
    }
}

/// The client for PyPI downloads: a user agent, and timeouts on connecting and on a stalled
/// transfer (`stall_timeout` without a byte) but none on the whole (a large file takes as
/// long as it takes).
pub(crate) fn http_client(stall_timeout: Duration) -> Result<reqwest::Client, ModelError> {
    reqwest::Client::builder()
        .user_agent(concat!("yardstick/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(stall_timeout.min(Duration::from_secs(30)))
        .read_timeout(stall_timeout)
        .build()
        .map_err(|error| ModelError::http("(building the HTTP client)", error_chain(&error)))
}

/// A transfer error with its causes ("connection refused", "HTTP 404 Not Found").
pub(crate) fn response_error(url: &str, error: &reqwest::Error) -> ModelError {
    let reason = match error.status() {
        Some(status) => format!("HTTP {status}"),
        None => error_chain(error),
    };
    ModelError::http(url, reason)
}

/// An error and all its sources, joined by `: `.
pub(crate) fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Creates `<dir>/<prefix>XXXXXX<suffix>`, readable by all like any file a user creates
/// (tempfile's default of owner-only would follow the model into place).
pub(crate) fn new_temp_file(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> Result<NamedTempFile, ModelError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The umask still applies, as for any created file.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
        .tempfile_in(dir)
        .map_err(|source| ModelError::io("creating a temporary file in", dir, source))
}

/// Puts a copy of `source` (a file in another cache, such as Hugging Face's) into a
/// temporary file in `dir`: a hard link when the file systems allow, else a copy.
/// `checksum` is the already-verified content of `source`.
pub(crate) async fn link_or_copy(
    source: &Path,
    dir: &Path,
    file_name: &str,
    checksum: Checksum,
) -> Result<Fetched, ModelError> {
    let source = source.to_path_buf();
    let dir = dir.to_path_buf();
    let file_name = file_name.to_owned();
    let error_path = source.clone();
    tokio::task::spawn_blocking(move || -> Result<Fetched, ModelError> {
        // Link the blob itself, not a symlink to it (a relative symlink would dangle).
        let blob: PathBuf = std::fs::canonicalize(&source)
            .map_err(|error| ModelError::io("resolving", &source, error))?;
        let prefix = format!(".{file_name}.");
        let linked = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".partial")
            .make_in(&dir, |path| std::fs::hard_link(&blob, path));
        let temp = match linked {
            Ok(linked) => linked.into_temp_path(),
            Err(_) => {
                let mut copy = new_temp_file(&dir, &prefix, ".partial")?;
                let mut input = std::fs::File::open(&blob)
                    .map_err(|error| ModelError::io("opening", &blob, error))?;
                io::copy(&mut input, copy.as_file_mut())
                    .and_then(|_| copy.as_file().sync_all())
                    .map_err(|error| ModelError::io("copying", &blob, error))?;
                copy.into_temp_path()
            }
        };
        Ok(Fetched { temp, checksum })
    })
    .await
    .map_err(|join| ModelError::io("copying", error_path, io::Error::other(join)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_joins_distinct_causes() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let outer = io::Error::other(inner);
        assert_eq!(error_chain(&outer), "connection refused");
        #[derive(Debug)]
        struct Outer(io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("request failed")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Outer(io::Error::other("refused"));
        assert_eq!(error_chain(&wrapped), "request failed: refused");
    }
}
