//! A GGUF model's tokenizer without its weights: llama.cpp loads the file with
//! `vocab_only`, so tokenizing costs the vocabulary's memory (a few MiB), not the model's.
//! Used to build prompts of exact token counts for load tests against a server running the
//! same GGUF.

use std::path::{Path, PathBuf};

use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use yardstick_backend::BackendError;

use crate::engine::llama_backend;

/// The tokenizer of a GGUF file, loaded with llama.cpp's `vocab_only` model parameter.
/// Its methods are synchronous and cheap; loading reads the file's metadata (tens of
/// milliseconds), so call [`GgufVocabulary::load`] off the async executor.
pub struct GgufVocabulary {
    model: LlamaModel,
    path: PathBuf,
    vocab_size: usize,
}

impl std::fmt::Debug for GgufVocabulary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GgufVocabulary")
            .field("path", &self.path)
            .field("vocab_size", &self.vocab_size)
            .finish_non_exhaustive()
    }
}

impl GgufVocabulary {
    /// Loads the vocabulary of the GGUF file at `path` (no weights, no context).
    pub fn load(path: &Path) -> Result<GgufVocabulary, BackendError> {
        let load_error = |reason: String| BackendError::Load {
            path: path.display().to_string(),
            reason,
        };
        let backend = llama_backend().map_err(load_error)?;
        if !path.is_file() {
            return Err(load_error("no such file".to_string()));
        }
        let params = LlamaModelParams::default().with_vocab_only(true);
        let model = LlamaModel::load_from_file(backend, path, &params).map_err(|error| {
            load_error(format!(
                "llama.cpp could not load its vocabulary as a GGUF model ({error})"
            ))
        })?;
        let vocab_size = usize::try_from(model.vocab().n_tokens()).unwrap_or(0);
        Ok(GgufVocabulary {
            model,
            path: path.to_path_buf(),
            vocab_size,
        })
    }

    /// The file the vocabulary was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tokens of `text` as llama.cpp's server counts a prompt: special tokens written in the
    /// text are parsed, and with `add_special` BOS (and EOS) are added when the GGUF metadata
    /// asks for them (`tokenizer.ggml.add_bos_token`, `add_eos_token`).
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, BackendError> {
        if i32::try_from(text.len()).is_err() {
            return Err(BackendError::Tokenize {
                what: format!("a text of {} bytes", text.len()),
                reason: "llama.cpp tokenizes at most 2^31 - 1 bytes at once".to_string(),
            });
        }
        let tokens = self
            .model
            .vocab()
            .tokenize(text.as_bytes(), add_special, true);
        tokens
            .into_iter()
            .map(|token| {
                u32::try_from(token.0).map_err(|_| BackendError::Tokenize {
                    what: format!("a text of {} bytes", text.len()),
                    reason: format!("llama.cpp returned the negative token id {}", token.0),
                })
            })
            .collect()
    }

    /// The text of `tokens`, special tokens written out (`<bos>`), as lossy UTF-8.
    pub fn decode(&self, tokens: &[u32]) -> Result<String, BackendError> {
        let mut llama_tokens = Vec::with_capacity(tokens.len());
        for (index, &token) in tokens.iter().enumerate() {
            match i32::try_from(token) {
                Ok(id) if usize::try_from(token).is_ok_and(|token| token < self.vocab_size) => {
                    llama_tokens.push(LlamaToken(id));
                }
                _ => {
                    return Err(BackendError::Tokenize {
                        what: format!("token {index} of {} for decoding", tokens.len()),
                        reason: format!(
                            "id {token} is outside the vocabulary of {}",
                            self.vocab_size
                        ),
                    })
                }
            }
        }
        let bytes = self.model.vocab().detokenize(&llama_tokens, false, true);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_a_load_error() {
        let error =
            GgufVocabulary::load(Path::new("/nonexistent/vocab.gguf")).expect_err("no such file");
        assert!(
            matches!(&error, BackendError::Load { reason, .. } if reason == "no such file"),
            "{error}"
        );
    }

    #[test]
    fn gemma_vocabulary_round_trips_text_and_counts_bos() {
        let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
            return;
        };
        let vocabulary = GgufVocabulary::load(&path).expect("Gemma's vocabulary loads");
        assert_eq!(vocabulary.vocab_size(), 262_144);
        let plain = vocabulary
            .encode("The quick brown fox", false)
            .expect("encodes");
        let with_bos = vocabulary
            .encode("The quick brown fox", true)
            .expect("encodes");
        assert_eq!(with_bos.len(), plain.len() + 1, "Gemma adds BOS");
        assert_eq!(&with_bos[1..], &plain[..]);
        assert_eq!(
            vocabulary.decode(&plain).expect("decodes"),
            "The quick brown fox"
        );
        assert!(vocabulary.decode(&[u32::MAX]).is_err());
    }
}
