//! Serving load tests: what to send ([`workload`]), where to send it ([`target`]: any
//! OpenAI-compatible server, or the in-process llama.cpp engine through the same token-event
//! record), when to send it ([`scheduler`]: closed loop at a concurrency, open loop on a seeded
//! arrival schedule), sweeps and SLO search over load points, resource sampling during a run
//! ([`resources`]) and reports ([`report`]). The pure metric definitions live in
//! `yardstick-load`.

pub mod clock;
pub mod point;
pub mod report;

pub use point::{LoadPoint, PointResult};
mod error;
pub mod scheduler;
pub mod target;
pub mod workload;

pub use clock::{Clock, SystemClock, TokioClock};
pub use error::BenchError;
pub use scheduler::{run_point, NoProgress, ProgressSink, RunSettings};
pub use target::{InProcessTarget, OpenAiTarget, Target, TargetDescription};
pub mod sweep;

pub use sweep::{across_trials, Bench, SloObjective, SloOutcome, SloSearch};
pub mod resources;
