//! Pure types shared by every yardstick crate: metric records (one schema for quality,
//! speed, memory and later cost), run fingerprints (eval units, and bench runs with the
//! machine that measured), per-item results, the statistics used to summarise them (means,
//! standard errors, percentiles), deployments (what a user chooses among: model, engine,
//! quantization, hardware, serving settings), the one facility for closed-set enums ([`closed_set!`])
//! and the Hugging Face settings resolved from an environment the caller passes in
//! ([`HfEnvironment`]).
//!
//! This crate must not do I/O, must not be async and must not read a clock: everything
//! here is a pure function of its inputs, so it can be tested exhaustively.

pub mod bench;
pub mod closed_set;
pub mod deployment;
pub mod execution;
pub mod fingerprint;
pub mod host;
pub mod hugging_face;
pub mod item;
pub mod metric;
pub mod stats;

pub use bench::{BenchFingerprint, BenchPlanRecord, HostRole, TargetDescription};
pub use closed_set::{ClosedSet, UnknownName};
pub use deployment::{Deployment, Engine, EngineKind, Hardware, ModelIdentity, ServingSettings};
pub use execution::{pass_at_k, Execution, ExecutionKind};
pub use fingerprint::{
    sha256_hex, EndpointFingerprint, Fingerprint, PromptFormat, RunFingerprint, StreamHasher,
    TaskFingerprint,
};
pub use host::Host;
pub use hugging_face::{HfEnvironment, NoHfCache, DEFAULT_HF_ENDPOINT};
pub use item::ItemResult;
pub use metric::{MetricRecord, Unit};
