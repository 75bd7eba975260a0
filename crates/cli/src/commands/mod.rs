//! One module per subcommand: each turns parsed arguments into a plan or a query, runs it,
//! and prints the result.

pub mod bench;
pub mod compare;
pub mod cost;
pub mod deployments;
pub mod eval;
pub mod export;
pub mod inputs;
pub mod leaderboard;
pub mod models;
pub mod probe;
pub mod profile;
pub mod recommend;
pub mod regress;
pub mod report;
pub mod runs;
pub mod score_code;
pub mod serve;
pub mod tasks;

use crate::args::EngineArgs;
use yardstick_runner::EngineSettings;

/// Engine flags with defaults filled: threads default to the number of cores.
pub fn engine_settings(args: &EngineArgs) -> EngineSettings {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    EngineSettings {
        threads: args.threads.unwrap_or(cores).max(1),
        context_tokens: args.context_tokens,
        batch_tokens: args.batch_tokens,
        logits_rows: args.logits_rows,
    }
}

/// How a command ended, for the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Interrupted by the user (Ctrl-C); resumable.
    Interrupted,
    /// Finished, but some part failed (reported).
    PartialFailure,
    /// `regress` found a regression (exit status 1, for CI pipelines).
    Regression,
}
