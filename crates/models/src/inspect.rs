//! What a model file on disk is: its size, its sha256 and what its GGUF header says.

use crate::checksum::checksum_file;
use crate::gguf::{GgufHeader, GgufSummary};
use crate::ModelError;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A model file on disk, identified by content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFile {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Lowercase hex sha256 of the whole file (what a run fingerprint records).
    pub sha256: String,
    pub gguf: GgufSummary,
}

/// Reads the GGUF header of `path` and hashes the whole file.
///
/// Blocking, and hashing reads every byte (about a second per 500 MB): from async code call
/// it through `tokio::task::spawn_blocking`. Use [`inspect_gguf`] when the hash is not needed.
pub fn inspect(path: &Path) -> Result<ModelFile, ModelError> {
    let gguf = inspect_gguf(path)?;
    let checksum = checksum_file(path)?;
    Ok(ModelFile {
        path: path.to_path_buf(),
        size_bytes: checksum.size_bytes,
        sha256: checksum.sha256,
        gguf,
    })
}

/// Reads only the GGUF header of `path` (a few megabytes at most) and summarises it.
pub fn inspect_gguf(path: &Path) -> Result<GgufSummary, ModelError> {
    Ok(GgufSummary::from_header(&GgufHeader::read(path)?))
}
