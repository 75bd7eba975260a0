//! Pure types shared by every yardstick crate: metric records (one schema for quality,
//! speed, memory and later cost), run fingerprints (eval units, and bench runs with the
//! machine that measured), per-item results and the statistics used to summarise them
//! (means, standard errors, percentiles).
//!
//! This crate must not do I/O, must not be async and must not read a clock: everything
//! here is a pure function of its inputs, so it can be tested exhaustively.

pub mod bench;
pub mod fingerprint;
pub mod host;
pub mod item;
pub mod metric;
pub mod stats;

pub use bench::{BenchFingerprint, BenchPlanRecord, HostRole, TargetDescription};
pub use fingerprint::{
    sha256_hex, Fingerprint, PromptFormat, RunFingerprint, StreamHasher, TaskFingerprint,
};
pub use host::Host;
pub use item::ItemResult;
pub use metric::{MetricRecord, Unit};
