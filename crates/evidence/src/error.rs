//! The one error type of the evidence crate.

use yardstick_store::StoreError;

/// Why evidence could not be gathered. Every variant names the input and the problem.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that is not among the accepted spellings (a direction and its aliases).
    #[error("unknown {kind} `{name}`; valid: {valid}")]
    UnknownName {
        kind: String,
        name: String,
        valid: String,
    },
    /// Something asked for is not there (`what`: the input that named it, `reason`: what is
    /// missing and what there is instead).
    #[error("{what}: {reason}")]
    Missing { what: String, reason: String },
    /// A stored record that cannot be read.
    #[error("{what}: {reason}")]
    Unreadable { what: String, reason: String },
    /// The request cannot be answered from what is stored (the message says why).
    #[error("{0}")]
    Refused(String),
    /// The task registry could not resolve a built-in group.
    #[error("reading the built-in task groups: {0}")]
    Tasks(String),
}
