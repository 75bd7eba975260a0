//! Serving load tests: what to do ([`plan`]: a validated [`BenchPlan`] with its mode —
//! explicit load points, the automatic sweep or the SLO search), what to send ([`workload`]),
//! where to send it ([`target`]: any OpenAI-compatible server, or the in-process llama.cpp
//! engine through the same token-event record), when to send it ([`scheduler`]: closed loop
//! at a concurrency, open loop on a seeded arrival schedule, timed by a [`clock`]), many runs
//! ([`sweep`]: [`Bench::execute`] runs a plan) with latency objectives ([`slo`]), resource
//! sampling during a run ([`resources`]) and reports ([`report`]). The pure metric
//! definitions live in `yardstick-load`.
//!
//! This crate neither parses flags (a front end raises them into a [`BenchPlan`]) nor stores
//! anything (the caller stores each finished run, handed to its [`ProgressSink`]).

pub mod clock;
mod error;
pub mod plan;
pub mod point;
pub mod report;
pub mod resources;
pub mod scheduler;
pub mod slo;
pub mod sweep;
pub mod target;
pub mod workload;

pub use clock::{Clock, SystemClock, TokioClock};
pub use error::BenchError;
pub use plan::{BenchMode, BenchPlan};
pub use point::{LoadPoint, PointResult};
pub use scheduler::{run_point, NoProgress, ProgressSink, RunSettings};
pub use slo::{SloObjective, SloOutcome, SloSearch};
pub use sweep::{across_trials, Bench, BenchOutcome};
pub use target::{InProcessTarget, OpenAiTarget, Target, TargetDescription};
