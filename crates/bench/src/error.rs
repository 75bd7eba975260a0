//! What can stop a load test before or between runs. Request failures are not errors: they
//! are records with a cause.

/// A load test could not run as asked.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The settings cannot run; the message names the setting and the problem.
    #[error("{0}")]
    Settings(String),
    /// The plan cannot run ([`crate::BenchPlan::validate`]).
    #[error("invalid bench plan: {0}")]
    Plan(String),
}
