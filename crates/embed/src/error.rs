//! The one error type of this crate. Every variant names the file (or text, or hub file) it
//! is about and what is wrong with it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model directory lacks files the embedder needs.
    #[error(
        "embedding model directory {}: missing {files}; install it with scripts/setup-embedder.sh",
        dir.display()
    )]
    MissingFiles { dir: PathBuf, files: String },

    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file's size differs from the one this crate was checked against.
    #[error("{}: size is {actual} bytes, expected {expected} bytes (a different or damaged file)", path.display())]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    /// A file's sha256 differs from the one this crate was checked against.
    #[error("{}: sha256 is {actual}, expected {expected} (a different or damaged file)", path.display())]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// A file has the right bytes for its name but cannot be used (tokenizer.json does not
    /// parse, a tensor is missing or has the wrong shape).
    #[error("{}: {reason}", path.display())]
    InvalidFile { path: PathBuf, reason: String },

    /// The tokenizer failed on one of the texts.
    #[error("tokenizing text {index} of the batch: {reason}")]
    Tokenize { index: usize, reason: String },

    /// The forward pass failed (a shape or backend error: a bug, not bad input).
    #[error("running the embedding model on {texts} texts: {source}")]
    Inference {
        texts: usize,
        #[source]
        source: candle_core::Error,
    },

    /// Neither `$YARDSTICK_HOME` nor a platform data directory is available.
    #[error("finding the yardstick data directory: {0}")]
    DataHome(#[source] yardstick_models::ModelError),

    /// The Hugging Face environment (cache directory) cannot be resolved.
    #[error("{0}")]
    Environment(String),

    /// The Hugging Face hub client failed, or the hub is unreachable.
    #[error("Hugging Face {repo} file {file}: {reason}")]
    Hub {
        repo: String,
        file: String,
        reason: String,
    },
}
