//! Counting prompt tokens as the server will: [`PromptTokenizer`], implemented for a Hugging
//! Face `tokenizer.json` ([`HfTokenizer`]) and for a GGUF file's vocabulary
//! ([`GgufTokenizer`], llama.cpp's own tokenizer).

use std::path::Path;

use sha2::{Digest, Sha256};
use yardstick_backend_llamacpp::GgufVocabulary;

use crate::workload::WorkloadError;

/// A tokenizer that builds and measures prompts. `encode(text, true)` must count a prompt
/// as the server does (BOS included when the model adds it).
pub trait PromptTokenizer: Send + Sync {
    /// Tokens of `text`; with `add_special` the special tokens the model adds to a prompt
    /// (BOS for most models) are included.
    fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, WorkloadError>;

    /// The text of `tokens`.
    fn decode(&self, tokens: &[u32]) -> Result<String, WorkloadError>;

    /// Number of tokens in the vocabulary (added tokens included).
    fn vocab_size(&self) -> usize;

    /// What tokenizer this is, recorded in the fingerprint: `gguf:<sha256>` or
    /// `tokenizer.json:<sha256>` of the file it was read from.
    fn identity(&self) -> String;
}

impl std::fmt::Debug for dyn PromptTokenizer + '_ {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "PromptTokenizer({})", self.identity())
    }
}

/// A Hugging Face tokenizer read from a `tokenizer.json`.
#[derive(Debug)]
pub struct HfTokenizer {
    tokenizer: tokenizers::Tokenizer,
    identity: String,
}

impl HfTokenizer {
    /// Reads the `tokenizer.json` at `path`.
    pub fn from_file(path: &Path) -> Result<HfTokenizer, WorkloadError> {
        let bytes = std::fs::read(path).map_err(|source| WorkloadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        HfTokenizer::from_bytes(&bytes).map_err(|error| match error {
            WorkloadError::Tokenizer { reason, .. } => WorkloadError::Tokenizer {
                tokenizer: path.display().to_string(),
                what: "reading tokenizer.json".to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Builds the tokenizer from the contents of a `tokenizer.json`.
    pub fn from_bytes(bytes: &[u8]) -> Result<HfTokenizer, WorkloadError> {
        let identity = format!("tokenizer.json:{}", hex::encode(Sha256::digest(bytes)));
        let tokenizer =
            tokenizers::Tokenizer::from_bytes(bytes).map_err(|error| WorkloadError::Tokenizer {
                tokenizer: identity.clone(),
                what: "reading tokenizer.json".to_string(),
                reason: error.to_string(),
            })?;
        Ok(HfTokenizer {
            tokenizer,
            identity,
        })
    }

    fn error(&self, what: String, error: impl std::fmt::Display) -> WorkloadError {
        WorkloadError::Tokenizer {
            tokenizer: self.identity.clone(),
            what,
            reason: error.to_string(),
        }
    }
}

impl PromptTokenizer for HfTokenizer {
    fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, WorkloadError> {
        self.tokenizer
            .encode(text, add_special)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|error| self.error(format!("encoding {} bytes", text.len()), error))
    }

    fn decode(&self, tokens: &[u32]) -> Result<String, WorkloadError> {
        self.tokenizer
            .decode(tokens, false)
            .map_err(|error| self.error(format!("decoding {} tokens", tokens.len()), error))
    }

    fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    fn identity(&self) -> String {
        self.identity.clone()
    }
}

/// The tokenizer of a GGUF file, through llama.cpp ([`GgufVocabulary`]): what llama.cpp's
/// server counts for that model.
#[derive(Debug)]
pub struct GgufTokenizer {
    vocabulary: GgufVocabulary,
    identity: String,
}

impl GgufTokenizer {
    /// Loads the vocabulary of the GGUF at `path` and hashes the file for its identity
    /// (a second or two per GiB; use [`GgufTokenizer::with_sha256`] when the hash is known).
    /// Blocking: call it off the async executor.
    pub fn load(path: &Path) -> Result<GgufTokenizer, WorkloadError> {
        let sha256 =
            yardstick_tasks::dataset::file_sha256(path).map_err(|source| WorkloadError::Read {
                path: path.display().to_string(),
                source,
            })?;
        GgufTokenizer::with_sha256(path, &sha256)
    }

    /// Loads the vocabulary of the GGUF at `path` whose sha256 the caller already knows
    /// (from the model catalog or the run's fingerprint). Blocking.
    pub fn with_sha256(path: &Path, sha256: &str) -> Result<GgufTokenizer, WorkloadError> {
        let identity = format!("gguf:{sha256}");
        let vocabulary = GgufVocabulary::load(path).map_err(|error| WorkloadError::Tokenizer {
            tokenizer: identity.clone(),
            what: format!("loading the vocabulary of {}", path.display()),
            reason: error.to_string(),
        })?;
        Ok(GgufTokenizer {
            vocabulary,
            identity,
        })
    }

    fn error(&self, error: yardstick_backend::BackendError) -> WorkloadError {
        WorkloadError::Tokenizer {
            tokenizer: self.identity.clone(),
            what: self.vocabulary.path().display().to_string(),
            reason: error.to_string(),
        }
    }
}

impl PromptTokenizer for GgufTokenizer {
    fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, WorkloadError> {
        self.vocabulary
            .encode(text, add_special)
            .map_err(|error| self.error(error))
    }

    fn decode(&self, tokens: &[u32]) -> Result<String, WorkloadError> {
        self.vocabulary
            .decode(tokens)
            .map_err(|error| self.error(error))
    }

    fn vocab_size(&self) -> usize {
        self.vocabulary.vocab_size()
    }

    fn identity(&self) -> String {
        self.identity.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::test_tokenizers::word_level;

    #[test]
    fn hf_tokenizer_counts_bos_and_names_its_file_by_hash() {
        let tokenizer = word_level();
        let plain = tokenizer.encode("the man said", false).expect("encodes");
        let with_bos = tokenizer.encode("the man said", true).expect("encodes");
        assert_eq!(plain.len(), 3);
        assert_eq!(with_bos.len(), 4);
        assert_eq!(&with_bos[1..], &plain[..]);
        assert_eq!(tokenizer.decode(&plain).expect("decodes"), "the man said");
        let identity = tokenizer.identity();
        assert!(identity.starts_with("tokenizer.json:"), "{identity}");
        assert_eq!(identity.len(), "tokenizer.json:".len() + 64);
    }

    #[test]
    fn a_malformed_tokenizer_json_is_an_error_naming_the_file() {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), b"{\"model\": 3}").expect("writes");
        let error = HfTokenizer::from_file(file.path()).expect_err("not a tokenizer");
        assert!(
            error
                .to_string()
                .contains(&file.path().display().to_string()),
            "{error}"
        );
    }
}
