//! The one error type of this crate. Every variant says what was being done and with which
//! input: the task (or file) and, where there is one, the YAML key or the dataset line.

use std::path::PathBuf;

/// Where in a dataset file a record came from: `line 812` (JSON lines), `element 3`
/// (a JSON array), `row 7` (CSV, counting the header as row 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordLocation {
    Line(u64),
    Element(u64),
    Row(u64),
}

impl std::fmt::Display for RecordLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordLocation::Line(number) => write!(f, "line {number}"),
            RecordLocation::Element(number) => write!(f, "element {number}"),
            RecordLocation::Row(number) => write!(f, "row {number}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A YAML file that does not parse, or an `include` that cannot be followed.
    #[error("{origin}: {message}")]
    Yaml { origin: String, message: String },

    /// A key of a task or group config with a wrong or missing value.
    #[error("{origin}: key `{key}`: {message}")]
    Config {
        origin: String,
        key: String,
        message: String,
    },

    /// A valid lm-eval feature that yardstick does not implement yet.
    #[error("task {task}: {what} is not supported yet")]
    Unsupported { task: String, what: String },

    /// `!function module.name` naming a hook that is not one of yardstick's Rust hooks
    /// (lm-eval's Python hooks cannot run here).
    #[error(
        "task {task}: `{key}: !function {hook}` names a Python function, which yardstick cannot \
         run; the Rust hooks available are: {known}"
    )]
    UnknownHook {
        task: String,
        key: String,
        hook: String,
        known: String,
    },

    /// A task, group or tag name that is not registered.
    #[error("unknown task `{name}`{suggestion}; valid names: {valid}")]
    UnknownTask {
        name: String,
        /// `" (did you mean `arc_easy`?)"` or empty.
        suggestion: String,
        valid: String,
    },

    /// Two registered configs with the same name.
    #[error("{name} is defined twice: in {first} and in {second}")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },

    /// The data directory does not exist.
    #[error(
        "task {task}: data directory {} does not exist; set YARDSTICK_DATA or pass --data-dir \
         to the directory that holds the benchmark datasets (one folder per task, e.g. \
         arc_easy/ARC-Easy-Test.jsonl)",
        path.display()
    )]
    DataDirMissing { task: String, path: PathBuf },

    /// A dataset file named by `dataset_kwargs.data_files` is not in the data directory.
    #[error(
        "task {task}: dataset file {} not found; set YARDSTICK_DATA or pass --data-dir to the \
         directory that holds `{file}`",
        path.display()
    )]
    DataFileMissing {
        task: String,
        file: String,
        path: PathBuf,
    },

    /// A Hugging Face hub dataset that could not be fetched.
    #[error("task {task}: {source}{hint}")]
    Hub {
        task: String,
        #[source]
        source: Box<crate::hub::HubError>,
        /// What else could be done (`; or ...`), or empty.
        hint: String,
    },

    /// An I/O failure while reading a dataset file.
    #[error("task {task}: reading {file}: {source}")]
    Io {
        task: String,
        file: String,
        #[source]
        source: std::io::Error,
    },

    /// A dataset record that cannot be turned into an item.
    #[error("task {task}, {location} of {file}: {message}")]
    Record {
        task: String,
        file: String,
        location: RecordLocation,
        message: String,
    },

    /// Item results that cannot be summarised.
    #[error("task {task}: {message}")]
    Aggregate { task: String, message: String },

    /// Scores that do not fit the item they are for.
    #[error("task {task}, item {item}: {message}")]
    Score {
        task: String,
        item: u64,
        message: String,
    },
}
