//! What a load test sends: a [`WorkloadSpec`] (serde; its JSON goes into the fingerprint)
//! becomes a [`Workload`], the list of requests with their expected prompt token counts and
//! a content hash ([`Workload::digest`]).
//!
//! Prompts come from one [`PromptSource`]:
//!
//! - `synthetic`: random English words cut to an exact token count drawn from a
//!   [`LengthDistribution`], every prompt distinct (how the counts are made exact, and when
//!   that fails: `workload/synthetic.rs`);
//! - `shared_prefix`: groups of prompts that start with the same prefix of exactly K tokens
//!   and continue with distinct suffixes;
//! - `dataset`: a JSON or JSON Lines file of prompts, chat conversations or ShareGPT
//!   conversations (formats and ShareGPT's length bounds: [`SHAREGPT_MIN_TOKENS`] and
//!   following);
//! - `task`: the rendered prompts of any yardstick task.
//!
//! Token counts are the server's: `encode(prompt, add_special = true)` with the model's
//! tokenizer ([`PromptTokenizer`]: a GGUF's vocabulary through llama.cpp, or a Hugging Face
//! `tokenizer.json`). A chat request's count is left unknown: the server's chat template
//! adds tokens. `max_tokens` comes from the spec's output distribution when it has one
//! (drawn per request), else from the source (a dataset entry's `max_tokens`, a reply's
//! length, a task's `max_gen_toks`); `ignore_eos` and `min_tokens = max_tokens` are sent as
//! the spec asks, so a caller can leave out what its target does not support.
//!
//! Randomness is a `ChaCha8Rng` seeded with the spec's seed, one independent stream per
//! purpose (input lengths, output lengths, text, dataset order), so the same spec, tokenizer
//! and count give the same workload on every platform, and changing the output lengths does
//! not change the prompts.

mod dataset;
mod distribution;
mod error;
mod synthetic;
mod task_prompts;
mod tokenizer;
mod words;

#[cfg(test)]
mod test_tokenizers;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use yardstick_backend_openai::{ChatTurn, LoadRequest};

pub use dataset::{SHAREGPT_MAX_PROMPT_TOKENS, SHAREGPT_MAX_TOTAL_TOKENS, SHAREGPT_MIN_TOKENS};
pub use distribution::{LengthDistribution, LengthSampler};
pub use error::WorkloadError;
pub use synthetic::{MAX_CUTS, MAX_DRAWS};
pub use tokenizer::{GgufTokenizer, HfTokenizer, PromptTokenizer};

/// Everything that decides a workload besides the tokenizer and the request count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Where the prompts come from.
    pub prompts: PromptSource,
    /// Output lengths (`max_tokens`), drawn per request. When set it overrides the lengths
    /// a source carries; synthetic and shared-prefix workloads need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<LengthDistribution>,
    /// Send `ignore_eos: true`, so the server generates `max_tokens` tokens (vLLM, SGLang,
    /// llama.cpp's server).
    #[serde(default = "yes")]
    pub ignore_eos: bool,
    /// Send `min_tokens = max_tokens` (vLLM), for servers that stop early otherwise.
    #[serde(default = "yes")]
    pub min_tokens: bool,
    /// Seeds every random choice: lengths, text, dataset order, few-shot examples.
    pub seed: u64,
}

fn yes() -> bool {
    true
}

/// Where a workload's prompts come from. Serialised with a `kind` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PromptSource {
    /// Distinct random-word prompts of exact token counts drawn from `input`.
    Synthetic { input: LengthDistribution },
    /// `groups` groups (request `i` in group `i % groups`); a group's prompts start with
    /// the same prefix of exactly `prefix_tokens` tokens (special tokens included), followed
    /// by a distinct suffix of a length drawn from `input`.
    SharedPrefix {
        prefix_tokens: u32,
        groups: u32,
        input: LengthDistribution,
    },
    /// Entries of a JSON or JSON Lines file, in a seeded random order.
    Dataset { path: PathBuf },
    /// Rendered prompts of a yardstick task or group, in a seeded random order.
    Task {
        /// A built-in task or group name, or a task YAML file.
        task: String,
        /// Where the task's data files are (`--data-dir`).
        data_dir: PathBuf,
        /// Overrides the task's `num_fewshot`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        num_fewshot: Option<u64>,
    },
}

/// One request of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    /// The request as it will be sent.
    pub request: LoadRequest,
    /// The prompt's tokens as the completions API counts them (`encode(prompt, true)`),
    /// when known: always for synthetic prompts, for plain prompts when a tokenizer was
    /// given, never for chat conversations.
    pub prompt_tokens: Option<u32>,
}

/// The requests of a load test, in the order they are to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// The requests, in sending order.
    pub requests: Vec<WorkItem>,
    /// [`PromptTokenizer::identity`] of the tokenizer that counted the tokens, if any.
    pub tokenizer: Option<String>,
    /// Dataset entries looked at and left out (ShareGPT entries without an exchange or
    /// outside the length bounds).
    pub skipped_entries: usize,
}

impl Workload {
    /// sha256 (hex) over every request as it will be sent (prompt or turns, `max_tokens`,
    /// `ignore_eos`, `min_tokens`, temperature, usage options, extra body), in order: equal
    /// digests mean equal workloads.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for item in &self.requests {
            let request = &item.request;
            let canonical = json!({
                "prompt": request.prompt,
                "messages": request.messages,
                "max_tokens": request.max_tokens,
                "ignore_eos": request.ignore_eos,
                "min_tokens": request.min_tokens,
                "temperature": request.temperature,
                "include_usage": request.include_usage,
                "continuous_usage": request.continuous_usage,
                "extra_body": request.extra_body,
            });
            hasher.update(canonical.to_string().as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(hasher.finalize())
    }
}

/// A prompt's text or conversation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PromptBody {
    Text(String),
    Chat(Vec<ChatTurn>),
}

/// A prompt from a source, before its output length is decided.
#[derive(Debug)]
struct SourcePrompt {
    /// Where it came from, for errors: `line 3 of data.jsonl`.
    origin: String,
    body: PromptBody,
    prompt_tokens: Option<u32>,
    output_tokens: Option<u32>,
}

/// The independent random streams of a seed.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
enum Stream {
    InputLengths = 1,
    OutputLengths = 2,
    Text = 3,
    Order = 4,
}

fn stream(seed: u64, which: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which as u64);
    rng
}

/// Builds `count` requests as `spec` describes, counting tokens with `tokenizer` (needed by
/// synthetic and shared-prefix prompts, ShareGPT entries, and conversations whose output
/// length is their reply's). Blocking (tokenizing, reading files): call it off the async
/// executor.
pub fn build_workload(
    spec: &WorkloadSpec,
    tokenizer: Option<&dyn PromptTokenizer>,
    count: usize,
) -> Result<Workload, WorkloadError> {
    let output = spec
        .output
        .as_ref()
        .map(LengthDistribution::sampler)
        .transpose()?;
    let (prompts, skipped_entries) = source_prompts(spec, tokenizer, count)?;
    let mut output_rng = stream(spec.seed, Stream::OutputLengths);
    let mut requests = Vec::with_capacity(prompts.len());
    for prompt in prompts {
        let max_tokens = match &output {
            Some(sampler) => sampler.sample(&mut output_rng),
            None => prompt
                .output_tokens
                .ok_or_else(|| WorkloadError::NoOutputLength {
                    what: prompt.origin.clone(),
                })?,
        };
        let mut request = match prompt.body {
            PromptBody::Text(text) => LoadRequest::new(text, max_tokens),
            PromptBody::Chat(turns) => LoadRequest::chat(turns, max_tokens),
        };
        request.ignore_eos = spec.ignore_eos;
        request.min_tokens = spec.min_tokens.then_some(max_tokens);
        requests.push(WorkItem {
            request,
            prompt_tokens: prompt.prompt_tokens,
        });
    }
    Ok(Workload {
        requests,
        tokenizer: tokenizer.map(PromptTokenizer::identity),
        skipped_entries,
    })
}

fn source_prompts(
    spec: &WorkloadSpec,
    tokenizer: Option<&dyn PromptTokenizer>,
    count: usize,
) -> Result<(Vec<SourcePrompt>, usize), WorkloadError> {
    let seed = spec.seed;
    let needs_output = |what: &str| match spec.output {
        Some(_) => Ok(()),
        None => Err(WorkloadError::NoOutputLength {
            what: what.to_string(),
        }),
    };
    let synthetic = |prompts: Vec<(String, u32)>| -> Vec<SourcePrompt> {
        prompts
            .into_iter()
            .enumerate()
            .map(|(index, (text, tokens))| SourcePrompt {
                origin: format!("request {index}"),
                body: PromptBody::Text(text),
                prompt_tokens: Some(tokens),
                output_tokens: None,
            })
            .collect()
    };
    let mut length_rng = stream(seed, Stream::InputLengths);
    let mut text_rng = stream(seed, Stream::Text);
    match &spec.prompts {
        PromptSource::Synthetic { input } => {
            needs_output("a synthetic workload")?;
            let tokenizer = required(tokenizer, "a synthetic workload")?;
            let writer = synthetic::PromptWriter::new(tokenizer)?;
            let lengths = input.sampler()?;
            let prompts = synthetic::synthetic_prompts(
                &writer,
                &lengths,
                count,
                &mut length_rng,
                &mut text_rng,
            )?;
            Ok((synthetic(prompts), 0))
        }
        PromptSource::SharedPrefix {
            prefix_tokens,
            groups,
            input,
        } => {
            needs_output("a shared-prefix workload")?;
            let tokenizer = required(tokenizer, "a shared-prefix workload")?;
            let writer = synthetic::PromptWriter::new(tokenizer)?;
            let lengths = input.sampler()?;
            let prompts = synthetic::shared_prefix_prompts(
                &writer,
                *prefix_tokens,
                *groups,
                &lengths,
                count,
                &mut length_rng,
                &mut text_rng,
            )?;
            Ok((synthetic(prompts), 0))
        }
        PromptSource::Dataset { path } => {
            dataset_prompts(path, tokenizer, spec.output.is_some(), count, seed)
        }
        PromptSource::Task {
            task,
            data_dir,
            num_fewshot,
        } => {
            let mut prompts = task_prompts::task_prompts(task, data_dir, *num_fewshot, seed)?;
            let available = prompts.len();
            if available < count {
                return Err(not_enough(format!("task {task}"), available, count, 0));
            }
            prompts.shuffle(&mut stream(seed, Stream::Order));
            prompts.truncate(count);
            let prompts = prompts
                .into_iter()
                .map(|prompt| {
                    let prompt_tokens = tokenizer
                        .map(|tokenizer| tokenizer.encode(&prompt.prompt, true))
                        .transpose()?
                        .map(|tokens| u32::try_from(tokens.len()).unwrap_or(u32::MAX));
                    Ok(SourcePrompt {
                        origin: prompt.origin,
                        body: PromptBody::Text(prompt.prompt),
                        prompt_tokens,
                        output_tokens: prompt.output_tokens,
                    })
                })
                .collect::<Result<_, WorkloadError>>()?;
            Ok((prompts, 0))
        }
    }
}

fn dataset_prompts(
    path: &std::path::Path,
    tokenizer: Option<&dyn PromptTokenizer>,
    fixed_output: bool,
    count: usize,
    seed: u64,
) -> Result<(Vec<SourcePrompt>, usize), WorkloadError> {
    let entries = dataset::read_dataset(path)?;
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.shuffle(&mut stream(seed, Stream::Order));
    let mut prompts = Vec::with_capacity(count);
    let mut skipped = 0;
    for index in order {
        if prompts.len() == count {
            break;
        }
        let located = &entries[index];
        match dataset::prepare(located, tokenizer, fixed_output)? {
            Some(prompt) => prompts.push(SourcePrompt {
                origin: located.origin.clone(),
                body: prompt.prompt,
                prompt_tokens: prompt.prompt_tokens,
                output_tokens: prompt.output_tokens,
            }),
            None => skipped += 1,
        }
    }
    if prompts.len() < count {
        let name = path.display().to_string();
        return Err(not_enough(name, prompts.len(), count, skipped));
    }
    Ok((prompts, skipped))
}

fn not_enough(
    source_name: String,
    available: usize,
    requested: usize,
    skipped: usize,
) -> WorkloadError {
    let detail = if skipped == 0 {
        String::new()
    } else {
        format!(
            "; {skipped} ShareGPT entries were skipped (no human turn with a reply, prompt or \
             reply under {SHAREGPT_MIN_TOKENS} tokens, prompt over \
             {SHAREGPT_MAX_PROMPT_TOKENS}, or both over {SHAREGPT_MAX_TOTAL_TOKENS})"
        )
    };
    WorkloadError::NotEnoughPrompts {
        source_name,
        available,
        requested,
        detail,
    }
}

fn required<'a>(
    tokenizer: Option<&'a dyn PromptTokenizer>,
    what: &str,
) -> Result<&'a dyn PromptTokenizer, WorkloadError> {
    tokenizer.ok_or_else(|| WorkloadError::NeedsTokenizer {
        what: what.to_string(),
    })
}
