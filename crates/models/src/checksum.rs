//! sha256 and size of files and byte streams, and the comparison with what a catalog
//! entry expects.

use crate::ModelError;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// The size and sha256 (lowercase hex) of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checksum {
    pub size_bytes: u64,
    pub sha256: String,
}

impl Checksum {
    /// Checks these bytes against an expected size and sha256 (either may be unknown).
    /// `what` names the bytes in the error.
    pub fn verify(
        &self,
        what: &str,
        expected_size_bytes: Option<u64>,
        expected_sha256: Option<&str>,
    ) -> Result<(), ModelError> {
        if let Some(expected) = expected_size_bytes {
            if expected != self.size_bytes {
                return Err(ModelError::SizeMismatch {
                    what: what.to_owned(),
                    expected,
                    actual: self.size_bytes,
                });
            }
        }
        if let Some(expected) = expected_sha256 {
            if !expected.eq_ignore_ascii_case(&self.sha256) {
                return Err(ModelError::ChecksumMismatch {
                    what: what.to_owned(),
                    expected: expected.to_ascii_lowercase(),
                    actual: self.sha256.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Hashes everything written through it.
#[derive(Default)]
pub(crate) struct HashingCounter {
    hasher: Sha256,
    size_bytes: u64,
}

impl HashingCounter {
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.size_bytes += bytes.len() as u64;
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    pub fn finish(self) -> Checksum {
        Checksum {
            size_bytes: self.size_bytes,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }
}

/// A writer that hashes what passes through to `inner`.
pub(crate) struct HashingWriter<'a, W> {
    pub inner: W,
    pub hash: &'a mut HashingCounter,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hash.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Size and sha256 of the file at `path` (blocking: call from a blocking thread in async
/// code).
pub(crate) fn checksum_file(path: &Path) -> Result<Checksum, ModelError> {
    let mut file = File::open(path).map_err(|source| ModelError::io("opening", path, source))?;
    let mut hash = HashingCounter::default();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(ModelError::io("reading", path, source)),
        };
        hash.update(&buffer[..read]);
    }
    Ok(hash.finish())
}

/// [`checksum_file`] on a blocking thread.
pub(crate) async fn checksum_file_async(path: &Path) -> Result<Checksum, ModelError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || checksum_file(&owned))
        .await
        .map_err(|join| ModelError::io("hashing", path, io::Error::other(join)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_names_expected_and_actual() {
        let mut hash = HashingCounter::default();
        hash.update(b"abc");
        let checksum = hash.finish();
        assert_eq!(
            checksum.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(checksum
            .verify("x", Some(3), Some(&checksum.sha256.to_uppercase()))
            .is_ok());
        let error = checksum
            .verify("x", Some(3), Some(&"0".repeat(64)))
            .expect_err("wrong sha256");
        let message = error.to_string();
        assert!(message.contains(&"0".repeat(64)) && message.contains(&checksum.sha256));
        let error = checksum.verify("x", Some(4), None).expect_err("wrong size");
        assert!(matches!(
            error,
            ModelError::SizeMismatch {
                expected: 4,
                actual: 3,
                ..
            }
        ));
    }
}
