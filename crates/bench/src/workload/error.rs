//! Why a workload could not be built.

/// A workload could not be built as specified. Every message names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// A length distribution string that does not parse or holds invalid values.
    #[error("invalid length distribution `{given}`: {reason} (valid forms: {valid})")]
    Distribution {
        given: String,
        reason: String,
        valid: &'static str,
    },
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A line (JSONL, lengths file) or entry (JSON array) of a file is malformed.
    #[error("{path}, {location}: {reason}")]
    Entry {
        path: String,
        /// `line 12` or `entry 12` (1-based).
        location: String,
        reason: String,
    },
    /// The tokenizer failed on an input.
    #[error("tokenizer {tokenizer}: {what}: {reason}")]
    Tokenizer {
        tokenizer: String,
        what: String,
        reason: String,
    },
    /// The workload needs token counts but no tokenizer was given.
    #[error("{what} needs a tokenizer (a GGUF file or a tokenizer.json) to count tokens")]
    NeedsTokenizer { what: String },
    /// No prompt of the asked token count could be found.
    #[error(
        "could not build a prompt of exactly {target} tokens with tokenizer {tokenizer}: {reason}"
    )]
    ExactLength {
        target: usize,
        tokenizer: String,
        reason: String,
    },
    /// The source holds fewer usable prompts than requests were asked for.
    #[error("{source_name} has {available} usable prompts, fewer than the {requested} requests asked for{detail}")]
    NotEnoughPrompts {
        source_name: String,
        available: usize,
        requested: usize,
        /// Why entries were left out, e.g. `; 12 entries were skipped: ...`; may be empty.
        detail: String,
    },
    /// A request has no output length: neither the source nor the spec gives one.
    #[error("{what} has no output length; give an output length distribution")]
    NoOutputLength { what: String },
    /// A yardstick task could not be resolved or read.
    #[error("prompts from task `{task}`: {source}")]
    Task {
        task: String,
        #[source]
        source: yardstick_tasks::TaskError,
    },
    /// The spec is inconsistent; the message names the setting and the problem.
    #[error("{0}")]
    Spec(String),
}
