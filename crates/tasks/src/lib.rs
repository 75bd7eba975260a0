//! Benchmark definitions in lm-evaluation-harness's (0.4) YAML task format: parsing task and
//! group configs (with `include`), reading local dataset files, rendering prompts exactly as
//! lm-eval renders them, and scoring multiple-choice items (`acc`, `acc_norm`, `acc_bytes`,
//! `exact_match`) and aggregating them per task and per group.
//!
//! This crate does no inference and no network I/O: it turns a task name and a data
//! directory into [`TaskItem`]s (each with its [`yardstick_backend::LoglikelihoodRequest`])
//! and turns per-choice scores back into [`yardstick_core::ItemResult`]s and
//! [`yardstick_core::MetricRecord`]s. It must not load models or talk to backends.
//!
//! # Built-in tasks
//!
//! `arc_easy`, `arc_challenge`, `hellaswag`, `piqa`, `openbookqa`, `boolq`, and the group
//! `mmlu` (groups `mmlu_stem`, `mmlu_humanities`, `mmlu_social_sciences`, `mmlu_other` of the
//! 57 `mmlu_<subject>` tasks). Their YAML files live in `crates/tasks/tasks/` and are lm-eval's
//! with the templates unchanged. `mmlu` reports `acc` (weighted by subject size, as lm-eval)
//! and `acc_macro` (the unweighted mean over the 57 subjects); see [`group`].
//!
//! # Data files
//!
//! `dataset_kwargs.data_files` maps split names to files relative to the data directory
//! (`YARDSTICK_DATA` / `--data-dir`): `.jsonl`, `.json` (an array, or JSON lines), `.csv`,
//! each optionally `.gz`. Items come from `test_split` if it is set, else `validation_split`,
//! as in lm-eval. Hugging Face hub datasets are not supported yet.
//!
//! # Rust `process_docs` hooks
//!
//! lm-eval's `process_docs: !function utils.process_docs` runs Python; yardstick instead runs
//! Rust functions registered in [`process_docs::HOOKS`], named with the same YAML tag and the
//! module `yardstick`:
//!
//! ```yaml
//! process_docs: !function yardstick.hellaswag
//! ```
//!
//! Any other module (`!function utils.foo`) is refused with [`TaskError::UnknownHook`], which
//! names the task and the hook and lists the hooks that exist.
//!
//! # What is not supported yet
//!
//! Output types other than `multiple_choice` (they parse, then are refused with "not supported
//! yet"), few-shot examples (`num_fewshot > 0`; the context builder already takes few-shot
//! turns), filters, Hugging Face datasets, multiple-input and multiple-target tasks, Python
//! hooks other than `process_docs`, and the Jinja filter `regex_replace`.
//!
//! Known differences from Python: YAML is read as YAML 1.2 (an unquoted `yes`/`no` is a
//! string, PyYAML reads a boolean); CSV columns are typed per column like pandas, roughly.

pub mod builtin;
pub mod config;
pub mod context;
pub mod dataset;
pub mod error;
pub mod fewshot;
pub mod filters;
pub mod functions;
pub mod group;
pub mod hub;
pub mod loader;
pub mod metrics;
pub mod process_docs;
pub mod python;
pub mod python_regex;
pub mod registry;
pub mod scoring;
pub mod task;
mod template;

pub use config::{DatasetKwargs, DocField, OutputType, TaskConfig};
pub use context::{build_context, ChatTurn, ContextParts, FewshotTurn, Message, Role};
pub use error::{RecordLocation, TaskError};
pub use group::{AggregateMetric, GroupConfig, GroupDefinition};
pub use loader::Origin;
pub use metrics::{
    aggregate, score_multiple_choice, AggregateOptions, Aggregation, MetricConfig, MetricKind,
    MultipleChoiceMetric, MultipleChoiceOutcome, TaskMetric,
};
pub use registry::{
    is_path_spec, list, resolve, resolve_spec, EntryKind, RegistryEntry, Resolved, TaskRegistry,
};
pub use task::{ItemKind, SamplingSpec, Selection, TaskDefinition, TaskItem, TaskItems};
