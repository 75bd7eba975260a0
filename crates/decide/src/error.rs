//! The one error type of the decide crate.

/// Why a decision could not be computed. Every variant names the input and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError {
    /// An argument is out of range or inconsistent (`what`: which input, `reason`: why).
    #[error("{what}: {reason}")]
    InvalidInput { what: String, reason: String },
    /// Too few observations to compute the statistic honestly.
    #[error("{what}: needs at least {needed} observations, has {available}")]
    TooFewObservations {
        what: String,
        needed: usize,
        available: usize,
    },
    /// A name that is not in a closed set (a preset, a criterion, an instance type).
    #[error("unknown {kind} `{name}`; valid: {valid}")]
    UnknownName {
        kind: String,
        name: String,
        valid: String,
    },
    /// The request cannot be answered (the message says why, naming the input).
    #[error("{0}")]
    Refused(String),
    /// A report's document or plot could not be built.
    #[error("building the report: {0}")]
    Report(String),
    /// A catalog or configuration document that cannot be read.
    #[error("{source_name}: {reason}")]
    Document { source_name: String, reason: String },
}

impl From<yardstick_report::ReportError> for DecideError {
    fn from(error: yardstick_report::ReportError) -> Self {
        DecideError::Report(error.to_string())
    }
}
