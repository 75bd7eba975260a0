//! Benchmark definitions in lm-evaluation-harness's (0.4) YAML task format: parsing task and
//! group configs (with `include`), reading datasets (local files or Hugging Face hub
//! datasets), rendering prompts exactly as lm-eval renders them (few-shot examples included),
//! turning model outputs into per-item metrics and aggregating them per task and per group.
//!
//! This crate does no inference: it turns a task and a data directory into [`TaskItem`]s
//! (each with what to ask the model: loglikelihood pairs, a rolling text, or a generation
//! with stop sequences) and turns the model's outputs back into
//! [`yardstick_core::ItemResult`]s and [`yardstick_core::MetricRecord`]s. The only network
//! I/O is downloading hub datasets ([`hub`]) when a task has no local files.
//!
//! # Output types
//!
//! `multiple_choice` (including lm-eval's multiple-input tasks such as Winogrande),
//! `loglikelihood`, `loglikelihood_rolling` (word/byte perplexity, bits per byte) and
//! `generate_until` (stop sequences, `max_gen_toks`, seeded sampling, `repeats`), with
//! `filter_list` pipelines ([`filters`]) and lm-eval's metrics ([`metrics`], [`scoring`]).
//!
//! # Built-in tasks
//!
//! `arc_easy`, `arc_challenge`, `hellaswag`, `piqa`, `openbookqa`, `boolq`, `winogrande`,
//! `truthfulqa_mc1`, `truthfulqa_mc2`, `truthfulqa_gen`, `gsm8k`, `gsm8k_cot`, `triviaqa`,
//! `humaneval`, `humaneval_instruct`, `mbpp`, `ifeval`, `bbq` (`bbq_ambig`, `bbq_disambig`),
//! `advbench`, `xstest`, yardstick's `creative_writing`, and the group `mmlu` (groups
//! `mmlu_stem`, `mmlu_humanities`, `mmlu_social_sciences`, `mmlu_other` of the 57
//! `mmlu_<subject>` tasks; 5-shot with the dev split through `num_fewshot`). Their YAML files
//! live in `crates/tasks/tasks/` and are lm-eval's with the templates unchanged (advbench,
//! xstest and creative_writing are yardstick's own, in the same format). Code tasks report
//! pass@k from runs of their programs, which the runner makes in a sandbox
//! ([`TaskDefinition::code_programs`], [`TaskDefinition::score_code`]).

//! # Data
//!
//! `dataset_kwargs.data_files` maps split names to files relative to the data directory
//! (`YARDSTICK_DATA` / `--data-dir`; for a user's YAML file, relative to the current
//! directory or the YAML file): `.jsonl`, `.json`, `.csv`, `.parquet`, each optionally `.gz`.
//! Without local files (or, for built-in tasks, without a data directory), `dataset_path` is
//! read as a hub dataset id and downloaded into the HF cache ([`hub`]).
//!
//! # Rust hooks
//!
//! lm-eval's `!function module.name` hooks run Python; yardstick instead runs Rust functions
//! named with the module `yardstick`: `process_docs` ([`process_docs::HOOKS`]),
//! `doc_to_text`/`doc_to_target`/`doc_to_choice` and `process_results`
//! ([`functions::DOC_FUNCTIONS`], [`functions::RESULTS_FUNCTIONS`]). Any other module is
//! refused with [`TaskError::UnknownHook`], naming the task, the key and the hook.
//!
//! # Not supported
//!
//! Python hooks, `custom` filters, `acc_mutual_info`, `brier_score`, multiple-target
//! multiple-choice tasks, multimodal inputs, and decontamination (`should_decontaminate` is
//! ignored with a notice). Known differences from Python: YAML is read as YAML 1.2 (an
//! unquoted `yes`/`no` is a string); CSV columns are typed per column like pandas, roughly.

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
    MultipleChoiceMetric, MultipleChoiceOutcome, TaskMetric, TextEmbedder,
};
pub use registry::{
    is_path_spec, list, resolve, resolve_spec, EntryKind, RegistryEntry, Resolved, TaskRegistry,
};
pub use task::{
    ItemKind, SamplingSpec, ScoringPlan, Selection, TaskDefinition, TaskItem, TaskItems,
};
