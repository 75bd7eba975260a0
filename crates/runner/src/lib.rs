//! The runner turns validated plans ([`EvalPlan`], [`ProfilePlan`]) into work: it loads
//! backends through a [`BackendLoader`], streams task items, scores them, writes every
//! finished item to the store before starting the next, resumes unfinished runs, and turns
//! per-item results into metric records. It resolves the models runs name ([`models`], in
//! the data directory [`Home`]) and stores finished bench points ([`bench_record`]) and
//! profiles ([`profile_record`]), every unit attached to the [`deployment`] it measured, so
//! the CLI and a service do both alike.
//!
//! It must not parse flags or print: the CLI builds plans and renders outcomes; progress
//! goes through a [`ProgressSink`].

pub mod bench_record;
pub mod code;
pub mod deployment;
pub mod endpoint;
pub mod eval;
pub mod home;
pub mod loader;
pub mod memory;
pub mod models;
pub mod plan;
pub mod profile;
pub mod profile_record;
pub mod progress;

pub use bench_record::{store_point, unit_fingerprint, unit_task, BuiltWorkload};
pub use deployment::DeploymentFlags;
pub use endpoint::EndpointLoader;
pub use eval::{resume_eval, run_eval, EvalContext, EvalOutcome, ResultRow};
pub use home::Home;
pub use loader::{
    load_options, BackendLoader, EngineFacts, FixedLoader, LlamaCppLoader, LoadedBackend,
};
pub use models::{chat_template_sha256, register, resolve_model};
pub use plan::{EndpointSettings, EngineSettings, EvalPlan, ModelSpec, ProfilePlan, RetryPolicy};
pub use profile::{profile_models, ModelProfile};
pub use profile_record::{profile_deployments, store_profile};
pub use progress::{NoProgress, ProgressSink};

/// Errors of the runner. Item-level backend failures name the task and item.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("invalid plan: {0}")]
    Plan(String),
    #[error(transparent)]
    Task(#[from] yardstick_tasks::TaskError),
    #[error(transparent)]
    Store(#[from] yardstick_store::StoreError),
    #[error("model {model}: {source}")]
    Backend {
        model: String,
        #[source]
        source: yardstick_backend::BackendError,
    },
    #[error("task {task}, item {item}: {source}")]
    Item {
        task: String,
        item: u64,
        #[source]
        source: yardstick_backend::BackendError,
    },
    #[error("no run with id {0} (see `yardstick runs list`)")]
    UnknownRun(String),
    /// A code task's programs cannot be run: the sandbox is missing or failed.
    #[error("running {task}'s programs: {source}")]
    Sandbox {
        task: String,
        #[source]
        source: yardstick_sandbox::SandboxError,
    },
    /// A task needs what the backend cannot do; nothing was scored.
    #[error("refusing task {task}: it needs {need}, which {backend} cannot give: {reason}")]
    Refused {
        task: String,
        need: yardstick_backend::Need,
        backend: String,
        reason: String,
    },
    /// Too many requests failed in a row: the run stops rather than hammer a failing server.
    #[error(
        "stopping: {failures} requests in a row failed (last: {last}); the server looks down or overloaded. Everything scored is kept; continue later with `yardstick eval --resume {run_id}`"
    )]
    CircuitOpen {
        run_id: String,
        failures: u32,
        last: String,
    },
    #[error("connecting to {url}: {source}")]
    Endpoint {
        url: String,
        #[source]
        source: yardstick_backend_openai::OpenAiError,
    },
    #[error("the API key variable {0} is not set (from --api-key-env)")]
    MissingApiKey(String),
    #[error("run {run_id} cannot be resumed: {reason}")]
    NotResumable { run_id: String, reason: String },
    #[error("profile: {0}")]
    Profile(String),
    #[error("encoding {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("background worker failed: {0}")]
    Worker(String),
    #[error(transparent)]
    Model(#[from] yardstick_models::ModelError),
    // These say what was being done and leave the cause to `source()`: the CLI prints the
    // chain (`{:#}`), so its messages read as they did when they were anyhow contexts.
    #[error("finding the yardstick data directory")]
    DataHome(#[source] yardstick_models::ModelError),
    #[error("opening the results database in {}", root.display())]
    OpenStore {
        root: std::path::PathBuf,
        #[source]
        source: yardstick_store::StoreError,
    },
    #[error("inspecting the model file")]
    InspectWorker(#[source] tokio::task::JoinError),
    #[error("the model file name is not valid UTF-8")]
    ModelFileName,
    #[error(
        "model {name} is registered at {} but that file no longer exists; pull or add it again",
        path.display()
    )]
    ModelFileMissing {
        name: String,
        path: std::path::PathBuf,
    },
    #[error("model {0} is in the catalog but not downloaded; run `yardstick models pull {0}`")]
    ModelNotDownloaded(String),
    #[error(
        "unknown model `{spec}`: not a registered model ({}), not a catalog model ({}), and not a path to a .gguf file",
        models::registered_list(registered),
        catalog.join(", ")
    )]
    UnknownModel {
        spec: String,
        registered: Vec<String>,
        catalog: Vec<String>,
    },
}

impl RunnerError {
    fn encode(what: &'static str) -> impl Fn(serde_json::Error) -> RunnerError {
        move |source| RunnerError::Encode { what, source }
    }
}

/// The git commit yardstick was built from (`-dirty` when the tree had changes).
pub const GIT_COMMIT: &str = env!("YARDSTICK_GIT_COMMIT");
