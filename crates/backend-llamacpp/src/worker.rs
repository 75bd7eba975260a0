//! The inference thread: one dedicated OS thread owns the llama.cpp model and context and
//! serves [`Command`]s from a channel, answering each on its own oneshot channel. The async
//! side only sends and awaits, so it never blocks.
//!
//! Commands are served in arrival order. Generations run side by side, up to
//! `LoadOptions::parallel` of them ([`crate::batcher`]); a scoring command waits until every
//! running generation has finished and then runs alone (its scheme needs the whole KV cache),
//! and the commands behind it wait for it. Tokenizing needs no KV cache and is answered at
//! once.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, LogOptions};
use tokio::sync::oneshot;
use yardstick_backend::{
    BackendError, ContinuationScore, GenerateRequest, Generation, LoglikelihoodRequest,
    RollingScore,
};

use crate::batcher::Generations;
use crate::generation::{PreparedGeneration, TokenEvent};
use crate::scoring::{decode_calls, Token};
use crate::LoadOptions;

/// llama.cpp's flash-attention policy (`LLAMA_FLASH_ATTN_TYPE_DISABLED`). Off: ggml's CPU
/// flash attention splits the KV range of a single-query batch across threads and switches
/// kernels with the number of queries in a batch, which makes scores depend on the thread
/// count and on how tokens were batched. See the crate documentation.
const FLASH_ATTENTION_DISABLED: i32 = 0;

/// Counters the tests (and progress reports) read while the worker runs.
#[derive(Debug, Default)]
pub(crate) struct EngineStats {
    /// Tokens passed to `llama_decode`, all requests together.
    pub tokens_evaluated: AtomicU64,
    /// Calls to `llama_decode`.
    pub decode_calls: AtomicU64,
}

/// What the async side learns once the model is loaded.
#[derive(Debug, Clone)]
pub(crate) struct ModelFacts {
    pub chat_template: Option<String>,
    pub bos_text: String,
    pub eos_text: String,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, BackendError>>;

/// Answers once the model is loaded (its facts) or could not be.
pub(crate) type Ready = oneshot::Receiver<Result<ModelFacts, BackendError>>;

/// A request to the inference thread.
pub(crate) enum Command {
    Loglikelihood(LoglikelihoodRequest, Reply<Vec<ContinuationScore>>),
    Generate(GenerateRequest, Reply<Generation>),
    GenerateStreaming(
        GenerateRequest,
        tokio::sync::mpsc::UnboundedSender<TokenEvent>,
        Reply<Generation>,
    ),
    Rolling(String, Reply<RollingScore>),
    Tokenize {
        text: String,
        add_special: bool,
        reply: Reply<Vec<u32>>,
    },
    Detokenize(Vec<u32>, Reply<String>),
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

/// Starts the inference thread. The receiver yields the model's facts once it has loaded,
/// or why it could not.
pub(crate) fn spawn(
    path: PathBuf,
    options: LoadOptions,
    stats: Arc<EngineStats>,
) -> Result<(mpsc::Sender<Command>, Ready, std::thread::JoinHandle<()>), BackendError> {
    let (command_sender, commands) = mpsc::channel();
    let (ready_sender, ready) = oneshot::channel();
    let thread_path = path.clone();
    let handle = std::thread::Builder::new()
        .name("llamacpp-inference".to_string())
        .spawn(move || run(&thread_path, &options, stats, ready_sender, commands))
        .map_err(|error| BackendError::Load {
            path: path.display().to_string(),
            reason: format!("starting the inference thread: {error}"),
        })?;
    Ok((command_sender, ready, handle))
}

fn run(
    path: &Path,
    options: &LoadOptions,
    stats: Arc<EngineStats>,
    ready: oneshot::Sender<Result<ModelFacts, BackendError>>,
    commands: mpsc::Receiver<Command>,
) {
    let load_error = |reason: String| BackendError::Load {
        path: path.display().to_string(),
        reason,
    };
    let backend = match llama_backend() {
        Ok(backend) => backend,
        Err(reason) => {
            let _ = ready.send(Err(load_error(reason)));
            return;
        }
    };
    if !path.is_file() {
        let _ = ready.send(Err(load_error("no such file".to_string())));
        return;
    }
    let model = match LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()) {
        Ok(model) => model,
        Err(error) => {
            let reason = format!("llama.cpp could not load it as a GGUF model ({error})");
            let _ = ready.send(Err(load_error(reason)));
            return;
        }
    };
    let context = match model.new_context(backend, context_params(options)) {
        Ok(context) => context,
        Err(error) => {
            let reason = format!(
                "creating a context of {} tokens, batch {}, {} sequences: {error}",
                options.context_tokens, options.batch_tokens, options.max_sequences
            );
            let _ = ready.send(Err(load_error(reason)));
            return;
        }
    };
    let mut engine = Engine::new(&model, context, options, stats);
    if ready.send(Ok(engine.facts())).is_err() {
        return;
    }
    serve(&mut engine, options, &commands);
}

/// Work taken from the channel that has not started yet, in arrival order.
enum Waiting {
    Generation(PreparedGeneration),
    Scoring(Command),
}

/// The command loop: takes commands as they come, starts generations while there is room,
/// runs scoring commands when no generation is running, and advances the running
/// generations one decode step at a time. Ends when the channel is closed and everything
/// taken has been answered.
fn serve(engine: &mut Engine<'_>, options: &LoadOptions, commands: &mpsc::Receiver<Command>) {
    let parallel = usize::try_from(options.parallel).unwrap_or(usize::MAX);
    let mut generations = Generations::new(parallel, engine.settings.window);
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let mut open = true;
    loop {
        if generations.is_idle() && waiting.is_empty() {
            // Nothing to do: block until the next command.
            match commands.recv() {
                Ok(command) => engine.take(command, &mut waiting),
                Err(_) => return,
            }
        }
        while open {
            match commands.try_recv() {
                Ok(command) => engine.take(command, &mut waiting),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => open = false,
            }
        }
        while let Some(next) = waiting.front() {
            match next {
                Waiting::Generation(prepared) if prepared.abandoned() => {}
                Waiting::Generation(prepared) if !generations.has_room_for(prepared) => break,
                Waiting::Scoring(_) if !generations.is_idle() => break,
                _ => {}
            }
            match waiting.pop_front() {
                Some(Waiting::Generation(prepared)) if !prepared.abandoned() => {
                    generations.admit(engine, prepared);
                }
                Some(Waiting::Scoring(command)) => engine.handle(command),
                _ => {}
            }
        }
        generations.step(engine);
        if !open && generations.is_idle() && waiting.is_empty() {
            return;
        }
    }
}

fn context_params(options: &LoadOptions) -> LlamaContextParams {
    let threads = i32::try_from(options.threads).unwrap_or(i32::MAX);
    LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(options.context_tokens))
        .with_n_batch(options.batch_tokens)
        .with_n_ubatch(options.batch_tokens)
        .with_n_seq_max(options.max_sequences)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        // One cell pool for all sequences: a shared-prefix token tagged with several
        // sequences is stored once and visible to all of them.
        .with_kv_unified(true)
        // Full-size sliding-window caches: cells never wrap, so a cell's index (and the
        // order attention visits cells in) never depends on the batch size.
        .with_swa_full(true)
        .with_flash_attention_policy(FLASH_ATTENTION_DISABLED)
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
    pub stats: Arc<EngineStats>,
}

fn special_token(token: LlamaToken) -> Option<Token> {
    (token.0 >= 0).then_some(token.0)
}

impl<'model> Engine<'model> {
    fn new(
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
            stats,
        }
    }

    fn facts(&self) -> ModelFacts {
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

    /// Takes a command off the channel: tokenizing is answered at once, a generation is
    /// tokenized and checked now and waits for room, anything else waits its turn.
    fn take(&mut self, command: Command, waiting: &mut VecDeque<Waiting>) {
        let received = Instant::now();
        let prepared = match command {
            Command::Generate(request, reply) => self.prepare(request, received, None, reply),
            Command::GenerateStreaming(request, events, reply) => {
                self.prepare(request, received, Some(events), reply)
            }
            Command::Tokenize { .. } | Command::Detokenize(..) => {
                self.handle(command);
                return;
            }
            Command::Loglikelihood(..) | Command::Rolling(..) => {
                waiting.push_back(Waiting::Scoring(command));
                return;
            }
        };
        if let Some(prepared) = prepared {
            waiting.push_back(Waiting::Generation(prepared));
        }
    }

    fn prepare(
        &self,
        request: GenerateRequest,
        received: Instant,
        events: Option<tokio::sync::mpsc::UnboundedSender<TokenEvent>>,
        reply: Reply<Generation>,
    ) -> Option<PreparedGeneration> {
        let prompt = guarded("tokenizing the generation prompt", || {
            Ok(self.encode(&request.prompt, self.add_bos))
        });
        let window = self.settings.window;
        PreparedGeneration::new(request, prompt, window, received, events, reply)
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Loglikelihood(request, reply) => {
                let result = guarded("scoring a loglikelihood request", || {
                    self.loglikelihood(&request)
                });
                let _ = reply.send(result);
            }
            Command::Generate(_, reply) => {
                let _ = reply.send(Err(misrouted("a generation")));
            }
            Command::GenerateStreaming(_, _, reply) => {
                let _ = reply.send(Err(misrouted("a streaming generation")));
            }
            Command::Rolling(text, reply) => {
                let result = guarded("scoring a rolling loglikelihood", || {
                    self.loglikelihood_rolling(&text)
                });
                let _ = reply.send(result);
            }
            Command::Tokenize {
                text,
                add_special,
                reply,
            } => {
                let result = guarded("tokenizing", || {
                    let tokens = self.encode(&text, add_special && self.add_bos);
                    // llama.cpp token ids are never negative.
                    Ok(tokens.into_iter().map(|token| token as u32).collect())
                });
                let _ = reply.send(result);
            }
            Command::Detokenize(tokens, reply) => {
                let result = guarded("detokenizing", || self.detokenize(&tokens));
                let _ = reply.send(result);
            }
        }
    }

    /// Tokens of `text`, special tokens parsed (as Hugging Face tokenizers do). With
    /// `add_bos`, BOS is prepended unless the text already starts with BOS's text (as
    /// lm-eval's `tok_encode` does for rendered chat templates). EOS is never added.
    pub fn encode(&self, text: &str, add_bos: bool) -> Vec<Token> {
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        if let (true, Some(bos)) = (add_bos, self.bos) {
            let bos_text = vocab.token_to_piece(LlamaToken(bos), true, None);
            if bos_text.is_empty() || !text.as_bytes().starts_with(&bos_text) {
                tokens.push(bos);
            }
        }
        let body = vocab.tokenize(text.as_bytes(), false, true);
        tokens.extend(body.into_iter().map(|token| token.0));
        tokens
    }

    fn detokenize(&self, tokens: &[u32]) -> Result<String, BackendError> {
        let mut llama_tokens = Vec::with_capacity(tokens.len());
        for (index, &token) in tokens.iter().enumerate() {
            match i32::try_from(token) {
                Ok(id) if usize::try_from(token).is_ok_and(|token| token < self.n_vocab) => {
                    llama_tokens.push(LlamaToken(id));
                }
                _ => {
                    return Err(BackendError::Tokenize {
                        what: format!("token {index} of {} for detokenizing", tokens.len()),
                        reason: format!("id {token} is outside the vocabulary of {}", self.n_vocab),
                    })
                }
            }
        }
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

/// Generations go through [`Engine::take`] and the batcher, never [`Engine::handle`].
fn misrouted(what: &str) -> BackendError {
    BackendError::Inference {
        what: format!("serving {what}"),
        reason: "it reached the single-command path (a bug in the worker)".to_string(),
    }
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
