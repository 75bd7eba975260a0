//! The runner turns validated plans ([`EvalPlan`], [`ProfilePlan`]) into work: it loads
//! backends through a [`BackendLoader`], streams task items, scores them, writes every
//! finished item to the store before starting the next, resumes unfinished runs, and turns
//! per-item results into metric records.
//!
//! It must not parse flags or print: the CLI builds plans and renders outcomes; progress
//! goes through a [`ProgressSink`].

pub mod eval;
pub mod loader;
pub mod memory;
pub mod plan;
pub mod profile;
pub mod progress;

pub use eval::{resume_eval, run_eval, EvalContext, EvalOutcome, ResultRow};
pub use loader::{
    load_options, BackendLoader, EngineFacts, FixedLoader, LlamaCppLoader, LoadedBackend,
};
pub use plan::{EngineSettings, EvalPlan, ModelSpec, ProfilePlan};
pub use profile::{profile_models, ModelProfile};
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
}

impl RunnerError {
    fn encode(what: &'static str) -> impl Fn(serde_json::Error) -> RunnerError {
        move |source| RunnerError::Encode { what, source }
    }
}

/// The git commit yardstick was built from (`-dirty` when the tree had changes).
pub const GIT_COMMIT: &str = env!("YARDSTICK_GIT_COMMIT");
