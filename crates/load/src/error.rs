//! The one error type of this crate. Every variant names the value it rejects.

/// What can go wrong when building a schedule, parsing a setting or summarising a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// An arrival rate that is not a finite number above zero.
    #[error("arrival rate must be a finite number of requests per second above 0, got {rate}")]
    InvalidRate { rate: f64 },

    /// A gamma shape that is not a finite number above zero.
    #[error("gamma shape must be a finite number above 0, got {shape}")]
    InvalidShape { shape: f64 },

    /// An arrival process that names nothing known. (The closed sets, ITL definition and
    /// latency origin, fail with `yardstick_core::UnknownName`.)
    #[error("unknown {setting} `{given}`; valid values are: {valid}")]
    UnknownSetting {
        setting: &'static str,
        given: String,
        valid: String,
    },

    /// A request record whose timestamps contradict each other (a chunk before the request
    /// was sent, chunks out of order, ...): a bug in whatever recorded it.
    #[error("request record {index} (in the order given) is inconsistent: {reason}")]
    InconsistentRecord { index: usize, reason: String },
}
