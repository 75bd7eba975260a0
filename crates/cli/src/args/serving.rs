//! Arguments of the serving commands: `probe`, `bench` and `serve`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{EngineArgs, Format};

/// Where an OpenAI-compatible server is and how to talk to it.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// Base URL of an OpenAI-compatible server, API version included
    /// (`http://127.0.0.1:8080/v1`).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The `model` the server serves [default: the first one `/v1/models` lists].
    #[arg(long, requires = "endpoint")]
    pub served_model: Option<String>,
    /// Which API: `completions` (`/v1/completions`) or `chat` (`/v1/chat/completions`).
    #[arg(long, default_value = "completions", requires = "endpoint")]
    pub api: String,
    /// Sent as `Authorization: Bearer <key>`.
    #[arg(long, env = "YARDSTICK_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Extra header sent with every request, `Name: value`. Repeat for several.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Longest a request may take, in seconds; past it the request is a timeout.
    #[arg(long, default_value_t = 600.0)]
    pub request_timeout: f64,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--itl`: inter-token latency per token or per streamed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItlArg {
    PerToken,
    PerChunk,
}

/// `--plot-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlotFormatArg {
    Svg,
    Png,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Model to run in-process (name or .gguf path); with --endpoint, only the tokenizer
    /// source for synthetic prompts.
    #[arg(long, short = 'm')]
    pub model: Option<String>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    #[command(flatten)]
    pub deployment: super::DeploymentArgs,
    /// Send requests without streaming (then only end-to-end latency and throughput mean
    /// anything).
    #[arg(long)]
    pub no_stream: bool,
    /// Tokenizer for exact prompt lengths: a tokenizer.json or a .gguf file [default: the
    /// --model's GGUF vocabulary].
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,

    // Workload.
    /// Prompt length in tokens: `N`, `uniform:MIN:MAX`, `normal:MEAN:STD[:MIN:MAX]` or
    /// `file:PATH`.
    #[arg(long, default_value = "128")]
    pub input_tokens: String,
    /// Output length in tokens (max_tokens, with ignore_eos/min_tokens), same forms
    /// [default: 64 for synthetic prompts; a dataset's or task's own lengths].
    #[arg(long)]
    pub output_tokens: Option<String>,
    /// Prompts from a file instead of synthetic ones: JSONL of `{"prompt"}` or
    /// `{"messages"}`, or ShareGPT JSON/JSONL.
    #[arg(long, conflicts_with = "task")]
    pub dataset: Option<PathBuf>,
    /// Prompts of a yardstick task (e.g. `gsm8k`).
    #[arg(long)]
    pub task: Option<String>,
    /// Directory with the benchmark datasets (for --task).
    #[arg(long, env = "YARDSTICK_DATA")]
    pub data_dir: Option<PathBuf>,
    /// Every request starts with one of --prefix-groups shared prefixes of this many tokens.
    #[arg(long)]
    pub shared_prefix: Option<u32>,
    /// How many distinct shared prefixes.
    #[arg(long, default_value_t = 1, requires = "shared_prefix")]
    pub prefix_groups: u32,
    /// Do not ask the server to ignore end-of-sequence (output lengths then vary).
    #[arg(long)]
    pub allow_eos: bool,

    // Load.
    /// Closed loop at these concurrencies (comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["rate", "sweep"])]
    pub concurrency: Vec<usize>,
    /// Open loop at these rates in requests per second (comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', conflicts_with = "sweep")]
    pub rate: Vec<f64>,
    /// Arrival process of the open loop: `constant`, `poisson` or `gamma:<shape>`.
    #[arg(long, default_value = "poisson")]
    pub arrivals: String,
    /// `auto`: closed loop at 1, 2, 4, … until throughput stops growing.
    #[arg(long, value_parser = ["auto"])]
    pub sweep: Option<String>,
    /// Highest concurrency of the automatic sweep.
    #[arg(long, default_value_t = 64)]
    pub max_concurrency: usize,
    /// Latency objective `metric:statistic<=ms` (ttft/tpot/itl/e2e; mean/p50/p90/p95/p99),
    /// e.g. `ttft:p99<=500`. Repeat for several; also defines goodput.
    #[arg(long = "slo")]
    pub slos: Vec<String>,
    /// Search for the highest rate meeting every --slo (bisection).
    #[arg(long, requires = "slos")]
    pub search: bool,
    /// Top of the search range in requests/s [default: 1.2 × the saturated throughput].
    #[arg(long, requires = "search")]
    pub rate_max: Option<f64>,
    /// Bisection steps of the search.
    #[arg(long, default_value_t = 5)]
    pub search_steps: usize,
    /// Runs per load point (different arrival seeds); >1 gives confidence intervals.
    #[arg(long, default_value_t = 1)]
    pub trials: usize,
    /// Measured requests per run (after warm-up).
    #[arg(long)]
    pub requests: Option<usize>,
    /// Stop sending new requests after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Warm-up requests per run, left out of the statistics.
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,
    /// Seeds prompts, lengths and arrivals (recorded in the fingerprint).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Inter-token latency per token (GuideLLM, AIPerf) or per streamed chunk (vLLM).
    #[arg(long, value_enum, default_value_t = ItlArg::PerToken)]
    pub itl: ItlArg,

    // Resources and output.
    /// Sample CPU and memory of this local server process.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Write report.json, requests.csv, metrics.csv and plots here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PlotFormatArg::Svg)]
    pub plot_format: PlotFormatArg,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// In-process engine only: most generations decoded side by side (continuous batching,
    /// like llama-server's `--parallel` slots; more requests wait for a free one)
    /// [default: 4].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub parallel: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Model name (registered or catalog) or a path to a .gguf file.
    #[arg(long, short = 'm')]
    pub model: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port; the URL is printed).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Most generations decoded side by side (continuous batching); more requests wait.
    /// 1 makes every generation the engine's solo one (bit-identical to in-process runs).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub parallel: u32,
    /// The name clients send as `model` [default: the model's registered name].
    #[arg(long)]
    pub served_model_name: Option<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
}
