//! The inference thread: one dedicated OS thread owns the llama.cpp model and context and
//! serves [`Command`]s from a channel, answering each on its own oneshot channel. The async
//! side only sends and awaits, so it never blocks.
//!
//! Commands are served in arrival order. Generations run side by side, up to
//! `LoadOptions::parallel` of them ([`crate::batcher`]); a scoring command (loglikelihoods,
//! rolling loglikelihoods, prompt logprobs) waits until every
//! running generation has finished and then runs alone (its scheme needs the whole KV cache),
//! and the commands behind it wait for it. Tokenizing needs no KV cache and is answered at
//! once.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use tokio::sync::oneshot;
use yardstick_backend::{BackendError, GenerateRequest, Generation};

use crate::batcher::Generations;
use crate::command::{Command, GenerationOptions, ModelFacts, Ready, Reply, TokenEvent};
use crate::engine::{guarded, llama_backend, Engine, EngineStats};
use crate::generation::PreparedGeneration;
use crate::logprobs::MAX_TOP_LOGPROBS;
use crate::options::LoadOptions;

/// llama.cpp's flash-attention policy (`LLAMA_FLASH_ATTN_TYPE_DISABLED`). Off: ggml's CPU
/// flash attention splits the KV range of a single-query batch across threads and switches
/// kernels with the number of queries in a batch, which makes scores depend on the thread
/// count and on how tokens were batched. See the crate documentation.
const FLASH_ATTENTION_DISABLED: i32 = 0;

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

/// The command loop's side of the engine: taking commands and answering those that run
/// alone.
impl Engine<'_> {
    /// Takes a command off the channel: tokenizing is answered at once, a generation is
    /// tokenized and checked now and waits for room, anything else waits its turn.
    fn take(&mut self, command: Command, waiting: &mut VecDeque<Waiting>) {
        let received = Instant::now();
        let prepared = match command {
            Command::Generate(request, reply) => {
                self.prepare(request, GenerationOptions::default(), received, None, reply)
            }
            Command::GenerateStreaming(request, options, events, reply) => {
                self.prepare(request, options, received, Some(events), reply)
            }
            Command::Tokenize { .. } | Command::Detokenize(..) => {
                self.handle(command);
                return;
            }
            Command::Loglikelihood(..) | Command::Rolling(..) | Command::PromptLogprobs { .. } => {
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
        options: GenerationOptions,
        received: Instant,
        events: Option<tokio::sync::mpsc::UnboundedSender<TokenEvent>>,
        reply: Reply<Generation>,
    ) -> Option<PreparedGeneration> {
        let prompt = guarded("tokenizing the generation prompt", || {
            match &options.prompt_tokens {
                Some(tokens) => self.checked_tokens(tokens, "of the generation prompt"),
                None => Ok(self.encode(&request.prompt, self.add_bos)),
            }
        });
        let window = self.settings.window;
        PreparedGeneration::new(request, options, prompt, window, received, events, reply)
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
            Command::GenerateStreaming(_, _, _, reply) => {
                let _ = reply.send(Err(misrouted("a streaming generation")));
            }
            Command::PromptLogprobs {
                prompts,
                top,
                reply,
            } => {
                let top = usize::try_from(top.min(MAX_TOP_LOGPROBS)).unwrap_or(0);
                let result = guarded("scoring the tokens of prompts", || {
                    self.prompt_logprobs(&prompts, top)
                });
                let _ = reply.send(result);
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
}

/// Generations go through [`Engine::take`] and the batcher, never [`Engine::handle`].
fn misrouted(what: &str) -> BackendError {
    BackendError::Inference {
        what: format!("serving {what}"),
        reason: "it reached the single-command path (a bug in the worker)".to_string(),
    }
}
