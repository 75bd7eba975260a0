//! In-process llama.cpp backend: loads a GGUF model with `llama-cpp-2` and implements
//! yardstick's [`Backend`] trait on it (loglikelihoods lm-evaluation-harness's way, greedy
//! generation with stop sequences and timings, tokenization, chat templates).
//!
//! This is the only yardstick crate allowed `unsafe` and FFI. It must never run inference
//! on the async executor: one dedicated OS thread owns the model and its context and serves
//! commands from a channel; the async methods only send and await the answer. Requests are
//! served in the order they arrive: scoring requests one at a time, generations up to
//! [`LoadOptions::parallel`] side by side (continuous batching; 1 by default).
//!
//! # Batching scheme: `item-isolated-shared-prefix-v2`
//!
//! Scores must be a function of the request alone (bit for bit), because the run
//! fingerprint promises that two runs with equal fingerprints score equally. llama.cpp's
//! float results depend on where tokens sit in the KV cache and on which kernels a batch
//! takes, so the scheme fixes both:
//!
//! 1. **Tokenization** (lm-eval's `_encode_pair`): trailing whitespace of the context moves to
//!    the front of the continuation; `context + continuation` and `context` are tokenized
//!    separately (special tokens parsed, BOS prepended when the GGUF metadata says
//!    `add_bos_token`, unless the text already starts with BOS's text; EOS never added); the
//!    continuation is `whole[len(context)..]`; the model reads `context + continuation`
//!    minus its last token. An empty context becomes lm-eval's prefix token (BOS, else EOS,
//!    as the GGUF metadata names them: for Qwen2.5 that is `<|endoftext|>`, where Hugging
//!    Face, having no BOS, would use EOS), or the continuation's first token when it already
//!    is that token. A context that tokenizes to nothing (whitespace, no BOS) is an error.
//! 2. **Isolation**: every request (and every generation, unless `parallel` > 1 batches
//!    generations together) starts from an empty KV cache, so cell indices and positions
//!    never depend on earlier requests.
//! 3. **Groups**: the pairs of a request, in order, form groups of at most `max_sequences`
//!    pairs whose cells (shared prefix once + each pair's remainder) fit `context_tokens`;
//!    a request that fits is a single group. Each group starts from an empty KV cache.
//! 4. **Shared prefix**: a group is one run of batch entries: the longest common token prefix
//!    of its inputs once, each token tagged with the sequence of the first pair and of every
//!    pair that reads past the prefix (a unified KV cache stores it once, visible to all of
//!    them), then every pair's remaining tokens in its own sequence, pair after pair; logits
//!    only at positions that score a continuation token.
//! 5. **Calls**: the run is split into `llama_decode` calls in order, each as long as
//!    possible with at most `batch_tokens` tokens and at most `logits_rows` of them asking
//!    for logits, so an item that fits is one call, shaped like a plain prefill of its
//!    unique tokens. The row cap bounds memory: llama.cpp keeps a vocabulary-sized f32 row
//!    per requested logit twice (the graph's output tensor and the context's logits buffer,
//!    each grown to the largest call so far), 1 MiB each for Gemma 3, so without it one long
//!    item or a 512-token perplexity window would hold a gigabyte for the rest of the run.
//!    (v1 decoded the prefix alone, copied it to the other sequences with `seq_cp` and
//!    decoded the remainders in a second call, with no row cap; its scores were
//!    bit-identical on the development machine, the second call cost time.)
//! 6. **Arithmetic**: a continuation's loglikelihood is the sum, in position order, of
//!    `logit[target] - logsumexp(logits)` from llama.cpp's f32 logits: max-shifted, each
//!    exponential in f32 sixteen lanes at a time, partial sums of 64 per lane added in f64
//!    (within ~1e-7 nats of an all-f64 sum, tested); `is_greedy` holds when every target is
//!    the first argmax of its row.
//! 7. **Fixed engine settings**: unified KV cache; full-size sliding-window caches (cells
//!    never wrap); flash attention off, because ggml's CPU flash attention splits a
//!    single-query batch's KV range across threads and changes kernels with the number of
//!    queries (ggml-cpu `ops.cpp`), which would make scores depend on `threads` and batching.
//! 8. **Recorded settings**: what the scheme cannot make invariant is recorded with it.
//!    [`batching_scheme`] appends `batch_tokens`, `logits_rows`, `max_sequences` and
//!    `context_tokens`: the last two decide how the pairs of a request are grouped, and the
//!    first two how its tokens are split into calls, which some ggml kernel sets round
//!    differently (an AVX2 build of these sources changed the bits of some ARC items
//!    between batches of 512 and 16; the AVX-512 build on the development machine gave
//!    identical bits for 512, 64, 16, 8, 7 and 5). `threads` is left out: results do not depend on it. The kernel set itself
//!    ([`llama_system_info`]) also decides the bits; compare scores across machines only
//!    when it is the same.
//!
//! Verified by the tests in `tests/` against the real Gemma-3-270M: a request's scores are
//! bit-identical alone, after other requests, among concurrent requests and in a fresh
//! backend (`determinism::scores_are_identical_alone_after_other_requests_concurrently_and_in_a_fresh_backend`),
//! with 1 or 2 threads on a context of over 512 tokens
//! (`determinism::scores_are_identical_with_one_or_two_threads`), and with `batch_tokens`
//! 512 or 64, `logits_rows` 64 or 2 and `context_tokens` 1024 or 4096 for an item that fits
//! one batch
//! (`determinism::batch_size_logits_rows_and_window_do_not_change_scores_of_requests_that_fit_one_batch`).
//! A 4-choice item costs one context prefill, in one `llama_decode` call
//! (`loglikelihood::four_choices_prefill_the_shared_context_once`).
//!
//! # Prompt and token logprobs (what `yardstick serve` returns)
//!
//! [`LlamaCppBackend::prompt_logprobs`] gives every token of a prompt its log-probability
//! given the tokens before it, tokenized as step 1 tokenizes (an added BOS is reported
//! first, at offset 0, without a logprob), read like a scoring request (step 2: alone, from
//! an empty KV cache; step 5: split by `batch_tokens` and `logits_rows`), each value with
//! step 6's formula; offsets are in characters (Python's `len`). For a (context,
//! continuation) pair the continuation tokens' values sum to the pair's loglikelihood
//! scored alone, bit for bit, since the model reads the same tokens in the same calls
//! (`prompt_logprobs::a_long_pair_scored_alone_equals_its_prompt_logprobs_bit_for_bit`).
//! Among the other pairs of its item, which share one call, a pair's score can differ from
//! that (up to 0.16 nats measured here): the CPU kernels round a row differently by the
//! shape of its call. [`LlamaCppBackend::generate_streaming_with`] reports each generated
//! token's logprob and alternatives from the row it was chosen from, with the same formula.
//!
//! # Versions
//!
//! [`llama_cpp_version`] names the `llama-cpp-sys-2` release (which pins the vendored
//! llama.cpp sources) and ggml's version; llama.cpp's own build number and commit are not
//! known to a crates.io build.

mod batcher;
mod chat_template;
mod command;
mod engine;
mod generated_text;
mod generation;
mod loglikelihood;
mod logprobs;
mod options;
mod prompt_logprobs;
mod sampling;
mod scoring;
mod version;
mod vocab;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::oneshot;
use yardstick_backend::{
    Backend, BackendDescription, BackendError, Capabilities, ChatMessage, ContinuationScore,
    GenerateRequest, Generation, LoglikelihoodRequest, RollingScore,
};

use crate::chat_template::ChatTemplate;
use crate::command::Command;
use crate::engine::EngineStats;

pub use crate::command::{EchoPrompt, GenerationOptions, PromptInput, TokenEvent};
pub use crate::logprobs::{
    character_count, text_offsets, PromptLogprobs, PromptToken, TextOffsets, TokenLogprob,
    TokenLogprobs, MAX_TOP_LOGPROBS,
};
pub use crate::options::LoadOptions;
pub use crate::version::{llama_cpp_version, llama_system_info, LLAMA_CPP_SYS_VERSION};
pub use crate::vocab::GgufVocabulary;

/// Name of the batching scheme described in the crate documentation.
pub const BATCHING_SCHEME: &str = "item-isolated-shared-prefix-v2";

/// The batching scheme as recorded in run fingerprints
/// ([`BackendDescription::batching_scheme`]): [`BATCHING_SCHEME`] plus the load options that
/// can change scores (how tokens are split into `llama_decode` calls and how pairs are
/// grouped), e.g.
/// `item-isolated-shared-prefix-v2;batch_tokens=512;logits_rows=64;max_sequences=16;context_tokens=4096`.
/// `threads` is not part of it: scores do not depend on it. `;parallel=N` is appended when
/// generations are batched together (`parallel` > 1), which makes generated tokens depend
/// on what else runs.
pub fn batching_scheme(options: &LoadOptions) -> String {
    let mut scheme = format!(
        "{BATCHING_SCHEME};batch_tokens={};logits_rows={};max_sequences={};context_tokens={}",
        options.batch_tokens, options.logits_rows, options.max_sequences, options.context_tokens
    );
    if options.parallel > 1 {
        scheme.push_str(&format!(";parallel={}", options.parallel));
    }
    scheme
}

/// `kind` in [`BackendDescription`].
pub const BACKEND_KIND: &str = "llamacpp";

/// A GGUF model loaded in-process with llama.cpp.
pub struct LlamaCppBackend {
    commands: mpsc::Sender<Command>,
    options: LoadOptions,
    path: PathBuf,
    chat_template: Option<Result<ChatTemplate, String>>,
    stats: Arc<EngineStats>,
    load_duration: Duration,
    /// The inference thread, joined on drop so that the model's memory is released when the
    /// backend goes away (a following load or RSS measurement never overlaps with it).
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LlamaCppBackend {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; it then frees the context and model.
        // Joining blocks for that cleanup (milliseconds), plus the rest of a request whose
        // caller gave up on it (a cancelled eval): at most one item's inference.
        let (closed, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.commands, closed));
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl std::fmt::Debug for LlamaCppBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LlamaCppBackend")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl LlamaCppBackend {
    /// Loads the GGUF model at `path` on the inference thread and creates its context.
    pub async fn load(path: &Path, options: LoadOptions) -> Result<Self, BackendError> {
        options.validate().map_err(|reason| BackendError::Load {
            path: path.display().to_string(),
            reason: format!("invalid load options: {reason}"),
        })?;
        let started = Instant::now();
        let stats = Arc::new(EngineStats::default());
        let (commands, ready, worker) =
            worker::spawn(path.to_path_buf(), options, Arc::clone(&stats))?;
        let facts = ready.await.map_err(|_| {
            BackendError::WorkerGone("the inference thread stopped while loading".to_string())
        })??;
        let load_duration = started.elapsed();
        let chat_template = facts
            .chat_template
            .map(|source| ChatTemplate::parse(source, facts.bos_text, facts.eos_text));
        tracing::info!(
            path = %path.display(),
            load_ms = load_duration.as_millis() as u64,
            "llama.cpp model loaded"
        );
        Ok(LlamaCppBackend {
            commands,
            options,
            path: path.to_path_buf(),
            chat_template,
            stats,
            load_duration,
            worker: Some(worker),
        })
    }

    /// Wall time [`LlamaCppBackend::load`] took (model file and context).
    pub fn load_duration(&self) -> Duration {
        self.load_duration
    }

    /// The options the model was loaded with.
    pub fn options(&self) -> LoadOptions {
        self.options
    }

    /// Tokens passed to `llama_decode` since loading, all requests together.
    pub fn tokens_evaluated(&self) -> u64 {
        self.stats.tokens_evaluated.load(Ordering::Relaxed)
    }

    /// `llama_decode` calls since loading.
    pub fn decode_calls(&self) -> u64 {
        self.stats.decode_calls.load(Ordering::Relaxed)
    }

    /// Generates like [`Backend::generate`], sending each generated token to `events` the
    /// moment the inference thread sampled it, so a caller sees the same token stream a
    /// streaming server would send. Up to [`LoadOptions::parallel`] generations run side by
    /// side; more wait for a free sequence, in arrival order.
    pub async fn generate_streaming(
        &self,
        request: GenerateRequest,
        events: tokio::sync::mpsc::UnboundedSender<TokenEvent>,
    ) -> Result<Generation, BackendError> {
        self.generate_streaming_with(request, GenerationOptions::default(), events)
            .await
    }

    /// [`LlamaCppBackend::generate_streaming`] with what [`GenerationOptions`] adds: each
    /// event's log-probabilities (from the logits the token was chosen from, with the
    /// scoring formula), `min_tokens`, a prompt given as token ids. With the default
    /// options it is exactly `generate_streaming` (greedy tokens bit-identical).
    pub async fn generate_streaming_with(
        &self,
        request: GenerateRequest,
        options: GenerationOptions,
        events: tokio::sync::mpsc::UnboundedSender<TokenEvent>,
    ) -> Result<Generation, BackendError> {
        self.ask(|reply| Command::GenerateStreaming(request, options, events, reply))
            .await
    }

    /// Every token of `text` with its log-probability given the tokens before it and the
    /// `top` (at most [`MAX_TOP_LOGPROBS`]) most likely tokens at its position: what an
    /// OpenAI server returns for `echo` with `logprobs`. The text is tokenized as scoring
    /// tokenizes it (special tokens parsed, BOS per the GGUF metadata: then the first token
    /// is that BOS, marked [`PromptToken::added`], at offset 0 with no logprob) and read
    /// from an empty KV cache, alone like a scoring request; each value is
    /// `logit[token] - logsumexp(logits)` as in [`Backend::loglikelihood`], so the sum over
    /// a continuation's tokens is that continuation's score.
    pub async fn prompt_logprobs(
        &self,
        text: &str,
        top: u32,
    ) -> Result<PromptLogprobs, BackendError> {
        self.prompt_logprobs_of(PromptInput::Text(text.to_string()), top)
            .await
    }

    /// [`LlamaCppBackend::prompt_logprobs`] of a prompt given as text or as token ids
    /// (used as given: no BOS is added).
    pub async fn prompt_logprobs_of(
        &self,
        prompt: PromptInput,
        top: u32,
    ) -> Result<PromptLogprobs, BackendError> {
        let mut all = self.prompt_logprobs_list(vec![prompt], top).await?;
        all.pop().ok_or_else(|| BackendError::Inference {
            what: "scoring the tokens of a prompt".to_string(),
            reason: "no answer for the prompt".to_string(),
        })
    }

    /// [`LlamaCppBackend::prompt_logprobs_of`] of several prompts at once, laid out as one
    /// scoring request's pairs are (grouped, each group's shared token prefix read once):
    /// an item's choices sent together are read in the batches in-process scoring uses, so
    /// their continuations' logprobs sum to the same scores.
    pub async fn prompt_logprobs_list(
        &self,
        prompts: Vec<PromptInput>,
        top: u32,
    ) -> Result<Vec<PromptLogprobs>, BackendError> {
        self.prompt_logprobs_from(prompts.into_iter().map(EchoPrompt::from).collect(), top)
            .await
    }

    /// [`LlamaCppBackend::prompt_logprobs_list`] with logprobs only from a character on
    /// ([`EchoPrompt::logprobs_from`]): a prompt `context + continuation` with the
    /// context's length is laid out exactly as in-process scoring lays out that pair (the
    /// tokens before the continuation as its context, logits at the continuation only), so
    /// it costs what scoring costs and its logprobs sum to the same score.
    pub async fn prompt_logprobs_from(
        &self,
        prompts: Vec<EchoPrompt>,
        top: u32,
    ) -> Result<Vec<PromptLogprobs>, BackendError> {
        self.ask(|reply| Command::PromptLogprobs {
            prompts,
            top,
            reply,
        })
        .await
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, BackendError>>) -> Command,
    ) -> Result<T, BackendError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| {
            BackendError::WorkerGone("the inference thread has stopped".to_string())
        })?;
        answer.await.map_err(|_| {
            BackendError::WorkerGone("the inference thread stopped before answering".to_string())
        })?
    }
}

#[async_trait]
impl Backend for LlamaCppBackend {
    fn describe(&self) -> BackendDescription {
        BackendDescription {
            kind: BACKEND_KIND.to_string(),
            engine_version: llama_cpp_version(),
            batching_scheme: batching_scheme(&self.options),
            threads: self.options.threads,
            capabilities: Capabilities {
                loglikelihood: true,
                generate: true,
                tokenize: true,
                chat_template: matches!(self.chat_template, Some(Ok(_))),
            },
            context_tokens: self.options.context_tokens,
            unavailable: Vec::new(),
        }
    }

    async fn loglikelihood(
        &self,
        request: LoglikelihoodRequest,
    ) -> Result<Vec<ContinuationScore>, BackendError> {
        if request.pairs.is_empty() {
            return Ok(Vec::new());
        }
        self.ask(|reply| Command::Loglikelihood(request, reply))
            .await
    }

    async fn generate(&self, request: GenerateRequest) -> Result<Generation, BackendError> {
        self.ask(|reply| Command::Generate(request, reply)).await
    }

    async fn loglikelihood_rolling(&self, text: &str) -> Result<RollingScore, BackendError> {
        let text = text.to_string();
        self.ask(|reply| Command::Rolling(text, reply)).await
    }

    async fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>, BackendError> {
        let text = text.to_string();
        self.ask(|reply| Command::Tokenize {
            text,
            add_special,
            reply,
        })
        .await
    }

    async fn detokenize(&self, tokens: &[u32]) -> Result<String, BackendError> {
        let tokens = tokens.to_vec();
        self.ask(|reply| Command::Detokenize(tokens, reply)).await
    }

    async fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        end: yardstick_backend::ChatEnd,
    ) -> Result<String, BackendError> {
        match &self.chat_template {
            Some(Ok(template)) => template.render(messages, end),
            Some(Err(reason)) => Err(BackendError::Unsupported(format!(
                "apply the chat template of {}: {reason}",
                self.path.display()
            ))),
            None => Err(BackendError::Unsupported(format!(
                "apply a chat template: {} has no `tokenizer.chat_template` in its GGUF \
                 metadata (base models usually have none)",
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loading_a_missing_file_is_a_load_error() {
        let error =
            LlamaCppBackend::load(Path::new("/nonexistent/model.gguf"), LoadOptions::default())
                .await
                .expect_err("no such file");
        assert!(matches!(error, BackendError::Load { .. }), "{error}");
        assert!(error.to_string().contains("no such file"), "{error}");
    }
}
