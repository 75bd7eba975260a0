//! The model and its context on the inference thread ([`Engine`]): tokenizing, detokenizing
//! and decoding runs of [`BatchEntry`]s in `llama_decode` calls. What scoring
//! (`loglikelihood`), generation (`batcher`) and the command loop (`worker`) share.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, LogOptions};
use yardstick_backend::BackendError;

use crate::command::ModelFacts;
use crate::options::LoadOptions;
use crate::scoring::{decode_calls, Token};

/// Counters the tests (and progress reports) read while the worker runs.
#[derive(Debug, Default)]
pub(crate) struct EngineStats {
    /// Tokens passed to `llama_decode`, all requests together.
    pub tokens_evaluated: AtomicU64,
    /// Calls to `llama_decode`.
    pub decode_calls: AtomicU64,
}

/// Initialises llama.cpp once per process (it is process-global) and routes its logs to
/// `tracing` instead of stderr.
pub(crate) fn llama_backend() -> Result<&'static LlamaBackend, String> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            send_logs_to_tracing(LogOptions::default());
            LlamaBackend::init().map_err(|error| format!("initialising llama.cpp: {error}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Settings the engine needs on every request, in the units it uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub window: usize,
    pub batch_tokens: usize,
    pub logits_rows: usize,
    pub max_sequences: usize,
}

/// The model, its context and what the requests need to know about them.
pub(crate) struct Engine<'model> {
    pub model: &'model LlamaModel,
    pub context: LlamaContext<'model>,
    pub batch: LlamaBatch<'static>,
    pub settings: Settings,
    /// The GGUF metadata asks for BOS at the start of a text (`tokenizer.ggml.add_bos_token`).
    pub add_bos: bool,
    pub bos: Option<Token>,
    /// lm-eval's `prefix_token_id`: BOS, else EOS. The context of an empty-context pair.
    pub prefix_token: Option<Token>,
    pub n_vocab: usize,
    /// Every end-of-generation token (EOS, EOT, …), masked while a generation has not yet
    /// reached its `min_tokens`.
    pub end_of_generation: Vec<Token>,
    pub stats: Arc<EngineStats>,
}

fn special_token(token: LlamaToken) -> Option<Token> {
    (token.0 >= 0).then_some(token.0)
}

impl<'model> Engine<'model> {
    pub fn new(
        model: &'model LlamaModel,
        context: LlamaContext<'model>,
        options: &LoadOptions,
        stats: Arc<EngineStats>,
    ) -> Self {
        let vocab = model.vocab();
        let bos = special_token(vocab.bos());
        let eos = special_token(vocab.eos());
        let to_usize = |value: u32| usize::try_from(value).unwrap_or(usize::MAX);
        Engine {
            model,
            context,
            // A shared-prefix token belongs to every sequence of its group.
            batch: LlamaBatch::new(
                to_usize(options.batch_tokens),
                i32::try_from(options.max_sequences).unwrap_or(i32::MAX),
            ),
            settings: Settings {
                window: to_usize(options.context_tokens),
                batch_tokens: to_usize(options.batch_tokens),
                logits_rows: to_usize(options.logits_rows),
                max_sequences: to_usize(options.max_sequences),
            },
            add_bos: vocab.should_add_bos() && bos.is_some(),
            bos,
            prefix_token: bos.or(eos),
            n_vocab: usize::try_from(vocab.n_tokens()).unwrap_or(0),
            end_of_generation: (0..vocab.n_tokens())
                .filter(|&token| vocab.is_eog(LlamaToken(token)))
                .collect(),
            stats,
        }
    }

    /// What the async side learns of the model once it is loaded.
    pub fn facts(&self) -> ModelFacts {
        let vocab = self.model.vocab();
        let text = |token: Option<Token>| {
            token.map_or_else(String::new, |token| {
                String::from_utf8_lossy(&vocab.token_to_piece(LlamaToken(token), true, None))
                    .into_owned()
            })
        };
        ModelFacts {
            chat_template: self
                .model
                .chat_template(None)
                .ok()
                .and_then(|template| template.to_string().ok()),
            bos_text: text(self.bos),
            eos_text: text(special_token(vocab.eos())),
        }
    }

    /// Tokens of `text`, special tokens parsed (as Hugging Face tokenizers do). With
    /// `add_bos`, BOS is prepended unless the text already starts with BOS's text (as
    /// lm-eval's `tok_encode` does for rendered chat templates). EOS is never added.
    pub fn encode(&self, text: &str, add_bos: bool) -> Vec<Token> {
        self.encode_marked(text, add_bos).0
    }

    /// [`Engine::encode`], and whether it prepended BOS (the first token is then not part of
    /// the text).
    pub fn encode_marked(&self, text: &str, add_bos: bool) -> (Vec<Token>, bool) {
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        if let (true, Some(bos)) = (add_bos, self.bos) {
            let bos_text = vocab.token_to_piece(LlamaToken(bos), true, None);
            if bos_text.is_empty() || !text.as_bytes().starts_with(&bos_text) {
                tokens.push(bos);
            }
        }
        let added_bos = !tokens.is_empty();
        let body = vocab.tokenize(text.as_bytes(), false, true);
        tokens.extend(body.into_iter().map(|token| token.0));
        (tokens, added_bos)
    }

    /// Token ids given by a caller, checked against the vocabulary; `what` names them.
    pub fn checked_tokens(&self, tokens: &[u32], what: &str) -> Result<Vec<Token>, BackendError> {
        tokens
            .iter()
            .enumerate()
            .map(|(index, &token)| match i32::try_from(token) {
                Ok(id) if usize::try_from(token).is_ok_and(|token| token < self.n_vocab) => Ok(id),
                _ => Err(BackendError::Tokenize {
                    what: format!("token {index} of {} {what}", tokens.len()),
                    reason: format!("id {token} is outside the vocabulary of {}", self.n_vocab),
                }),
            })
            .collect()
    }

    pub fn detokenize(&self, tokens: &[u32]) -> Result<String, BackendError> {
        let llama_tokens: Vec<LlamaToken> = self
            .checked_tokens(tokens, "for detokenizing")?
            .into_iter()
            .map(LlamaToken)
            .collect();
        let bytes = self.model.vocab().detokenize(&llama_tokens, false, true);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Decodes `entries` in order, split by [`decode_calls`] (at most `batch_tokens` entries
    /// and `logits_rows` logits per `llama_decode`), and hands every entry that asked for
    /// logits to `on_logits` with its row.
    pub fn decode_entries(
        &mut self,
        what: &str,
        entries: &[BatchEntry],
        shared: &[i32],
        mut on_logits: impl FnMut(&BatchEntry, &[f32]) -> Result<(), BackendError>,
    ) -> Result<(), BackendError> {
        let wants_logits: Vec<bool> = entries.iter().map(|entry| entry.logits).collect();
        let calls = decode_calls(
            &wants_logits,
            self.settings.batch_tokens,
            self.settings.logits_rows,
        );
        for call in calls {
            let chunk = &entries[call];
            self.batch.clear();
            for entry in chunk {
                let position =
                    i32::try_from(entry.position).map_err(|_| BackendError::Inference {
                        what: what.to_string(),
                        reason: format!("position {} does not fit llama.cpp", entry.position),
                    })?;
                let own;
                let sequences = match entry.sequence {
                    Some(sequence) => {
                        own = [sequence];
                        &own[..]
                    }
                    None => shared,
                };
                self.batch
                    .add(LlamaToken(entry.token), position, sequences, entry.logits)
                    .map_err(|error| BackendError::Inference {
                        what: what.to_string(),
                        reason: format!("filling a batch: {error}"),
                    })?;
            }
            self.context
                .decode(&mut self.batch)
                .map_err(|error| BackendError::Inference {
                    what: what.to_string(),
                    reason: format!("llama_decode of {} tokens: {error}", chunk.len()),
                })?;
            self.stats
                .tokens_evaluated
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            self.stats.decode_calls.fetch_add(1, Ordering::Relaxed);
            for (index, entry) in chunk.iter().enumerate() {
                if entry.logits {
                    // `index` < batch_tokens, which fits i32 (llama.cpp allocated the batch).
                    let row = self.context.get_logits_ith(index as i32);
                    on_logits(entry, row)?;
                }
            }
        }
        Ok(())
    }
}

/// One token of a batch: what to read, where, in which sequence, and whether its logits
/// are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchEntry {
    pub token: Token,
    pub position: usize,
    /// The KV sequence the token belongs to; `None`: every sequence of the run's shared
    /// prefix (`shared` in [`Engine::decode_entries`]), so the token is stored once for all.
    pub sequence: Option<i32>,
    pub logits: bool,
    /// Index of the pair this entry belongs to within its group (None: the shared prefix).
    pub owner: Option<usize>,
}

/// Runs `work`, turning a panic (llama-cpp-2 panics on some invalid states) into an error so
/// that one bad request does not take the worker down.
pub(crate) fn guarded<T>(
    what: &str,
    work: impl FnOnce() -> Result<T, BackendError>,
) -> Result<T, BackendError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_string()))
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(BackendError::Inference {
            what: what.to_string(),
            reason: format!("the inference thread panicked: {reason}"),
        })
    })
}
