//! A runnable task: its resolved config, the items it yields (streamed from the data files,
//! with few-shot examples, rendered exactly as lm-eval renders them), how an item's model
//! outputs become per-item metrics, and the fingerprint inputs.

use crate::config::{DocField, OutputType, TaskConfig};
use crate::context::{self, ChatTurn, ContextParts, FewshotTurn, Message};
use crate::dataset::{file_sha256, resolve_data_file, RawRecord, RecordReader};
use crate::error::{RecordLocation, TaskError};
use crate::fewshot::{passes_eval_doc, FewshotSampler, SamplerKind};
use crate::filters::{parse_filter_list, FilterPipeline};
use crate::functions::{self, Outcome};
use crate::hub::{self, HubDatasetRef, HubOptions};
use crate::loader::{canonical_json, Origin};
use crate::metrics::{self, AggregateOptions, MetricKind, TaskMetric};
use crate::process_docs::{self, DocProcessor, HookContext};
use crate::template::{Doc, Renderer, TargetValue, TextValue};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use yardstick_backend::{ContinuationPair, ContinuationScore, LoglikelihoodRequest};
use yardstick_core::{sha256_hex, ItemResult, MetricRecord, StreamHasher, TaskFingerprint};

/// Sampling settings of a generative item (`do_sample: true`).
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingSpec {
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
}

/// What the model is asked for, per output type.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `multiple_choice`: score every pair of [`TaskItem::request`], pick the most likely.
    Choices,
    /// `loglikelihood`: score the single pair of [`TaskItem::request`].
    Loglikelihood,
    /// `loglikelihood_rolling`: the loglikelihood of the whole text, lm-eval's windows.
    Rolling { text: String },
    /// `generate_until`: generate from [`TaskItem::context`].
    Generate {
        until: Vec<String>,
        max_tokens: u32,
        /// `None`: greedy.
        sampling: Option<SamplingSpec>,
        /// Generations per item (`repeats`).
        repeats: u32,
    },
}

/// One dataset item, ready to be run.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskItem {
    /// Position in the evaluation split after `process_docs`, in dataset order (0-based).
    pub index: u64,
    /// The dataset's own id (`id`, `idx`, `ind`, `task_id`, `question_id` field).
    pub id: Option<String>,
    /// The prompt as plain text: description + few-shot examples + `doc_to_text` (the first
    /// input's for multiple-input tasks).
    pub context: String,
    /// The choices, without the target delimiter (the contexts' variable parts for
    /// multiple-input tasks, as lm-eval's `doc_to_choice`).
    pub choices: Vec<String>,
    /// Index of the gold choice (0 when the task has no choices).
    pub gold: usize,
    /// The loglikelihood pairs (empty for generative and rolling items).
    pub request: LoglikelihoodRequest,
    pub kind: ItemKind,
    /// Reference answers of a generative item (doc_to_target; several for lists).
    pub references: Vec<String>,
    /// Indices into the few-shot docs of the examples in the prompt, in prompt order.
    pub fewshot: Vec<usize>,
    /// The prompt as lm-eval's messages (one list per input), for chat templates.
    pub messages: Vec<Vec<Message>>,
    /// The doc after `process_docs` (process_results hooks read it).
    pub doc: Map<String, Value>,
    target_delimiter: String,
    gen_prefix: Option<String>,
    /// Multiple-input continuation (the shared target), when the task has several inputs.
    shared_continuation: Option<String>,
}

impl TaskItem {
    /// Adds the rendered prompt(s), continuations, few-shot ids and references to a hash.
    pub fn hash_into(&self, hasher: &mut StreamHasher) {
        hasher.update(&self.context);
        for pair in &self.request.pairs {
            hasher.update(&pair.context);
            hasher.update(&pair.continuation);
        }
        if let ItemKind::Rolling { text } = &self.kind {
            hasher.update(text);
        }
        for reference in &self.references {
            hasher.update(reference);
        }
        let fewshot: Vec<String> = self.fewshot.iter().map(usize::to_string).collect();
        hasher.update(&fewshot.join(","));
    }

    /// The chat messages of each input, as lm-eval's `--apply_chat_template` without
    /// `--fewshot_as_multiturn` gives them to the template: the system message, then few-shot
    /// examples and the question as one user message, then the `gen_prefix` (if any) as an
    /// assistant message. The bool: whether to add the generation prompt (no `gen_prefix`).
    pub fn chat_turns(&self) -> (Vec<Vec<ChatTurn>>, bool) {
        let turns = self
            .messages
            .iter()
            .map(|messages| context::single_turn(messages))
            .collect();
        (turns, self.gen_prefix.is_none())
    }

    /// The item with its contexts replaced by chat-template renderings of
    /// [`TaskItem::chat_turns`] (one per input). Multiple-choice continuations lose the
    /// target delimiter unless a `gen_prefix` without trailing whitespace precedes them, as
    /// in lm-eval's `construct_requests`.
    pub fn with_chat_contexts(&self, contexts: Vec<String>) -> Result<TaskItem, String> {
        if contexts.len() != self.messages.len() {
            return Err(format!(
                "{} chat contexts for {} inputs",
                contexts.len(),
                self.messages.len()
            ));
        }
        let delimiter = match &self.gen_prefix {
            Some(prefix) if !prefix.ends_with(crate::python::is_space) => {
                self.target_delimiter.clone()
            }
            _ => String::new(),
        };
        let mut item = self.clone();
        item.set_contexts(contexts, &delimiter);
        Ok(item)
    }

    /// Sets the rendered contexts and rebuilds the loglikelihood pairs.
    fn set_contexts(&mut self, contexts: Vec<String>, delimiter: &str) {
        self.context = contexts.first().cloned().unwrap_or_default();
        let pairs = match (&self.kind, &self.shared_continuation) {
            (ItemKind::Choices, Some(target)) => contexts
                .iter()
                .map(|context| ContinuationPair {
                    context: context.clone(),
                    continuation: format!("{delimiter}{target}"),
                })
                .collect(),
            (ItemKind::Choices, None) => self
                .choices
                .iter()
                .map(|choice| ContinuationPair {
                    context: self.context.clone(),
                    continuation: format!("{delimiter}{choice}"),
                })
                .collect(),
            (ItemKind::Loglikelihood, _) => self
                .references
                .first()
                .map(|target| ContinuationPair {
                    context: self.context.clone(),
                    continuation: target.clone(),
                })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        self.request = LoglikelihoodRequest { pairs };
    }
}

/// Which items of a task to run, and the prompt options that apply to all of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// The first N items (after `samples`, if both are given).
    pub limit: Option<u64>,
    /// Only these item indices (`--samples`).
    pub indices: Option<BTreeSet<u64>>,
    /// lm-eval's `--system_instruction`: placed before the description (plain text) or as
    /// the system message (chat templates).
    pub system_instruction: Option<String>,
}

impl Selection {
    pub fn first(limit: Option<u64>) -> Selection {
        Selection {
            limit,
            ..Selection::default()
        }
    }

    fn includes(&self, index: u64) -> bool {
        self.indices
            .as_ref()
            .is_none_or(|indices| indices.contains(&index))
    }

    /// sha256 of the chosen indices, for the fingerprint.
    pub fn indices_sha256(&self) -> Option<String> {
        self.indices.as_ref().map(|indices| {
            let text: Vec<String> = indices.iter().map(u64::to_string).collect();
            sha256_hex(text.join(",").as_bytes())
        })
    }
}

/// A task config after `include`s, with where it came from.
#[derive(Debug, Clone)]
pub struct TaskDefinition {
    config: TaskConfig,
    origin: Origin,
    /// The merged config as canonical JSON (what `task_hash` hashes).
    resolved_json: String,
    resolved: Map<String, Value>,
}

impl TaskDefinition {
    pub(crate) fn new(
        resolved: Map<String, Value>,
        origin: Origin,
    ) -> Result<TaskDefinition, TaskError> {
        let resolved_json = canonical_json(&Value::Object(resolved.clone()));
        let config = TaskConfig::from_map(resolved.clone(), &origin)?;
        if config.should_decontaminate {
            tracing::info!(task = %config.task, "should_decontaminate is ignored: yardstick does not decontaminate");
        }
        Ok(TaskDefinition {
            config,
            origin,
            resolved_json,
            resolved,
        })
    }

    /// The same task with `num_fewshot` set (lm-eval's `--num_fewshot`); the override is part
    /// of the resolved config, so of the task hash.
    pub fn with_num_fewshot(&self, num_fewshot: u64) -> Result<TaskDefinition, TaskError> {
        let mut resolved = self.resolved.clone();
        resolved.insert("num_fewshot".into(), Value::from(num_fewshot));
        TaskDefinition::new(resolved, self.origin.clone())
    }

    /// The same task with `repeats` set (self-consistency: K generations per item, combined
    /// by the task's filters, e.g. `majority_vote`); part of the task hash.
    pub fn with_repeats(&self, repeats: u32) -> Result<TaskDefinition, TaskError> {
        let mut resolved = self.resolved.clone();
        resolved.insert("repeats".into(), Value::from(repeats));
        TaskDefinition::new(resolved, self.origin.clone())
    }

    pub fn name(&self) -> &str {
        &self.config.task
    }

    pub fn config(&self) -> &TaskConfig {
        &self.config
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The resolved config (after `include`s) as canonical JSON: keys sorted, no spaces,
    /// `!function x` as `{"!function":"x"}`.
    pub fn resolved_json(&self) -> &str {
        &self.resolved_json
    }

    /// The resolved config as a JSON map.
    pub fn resolved(&self) -> &Map<String, Value> {
        &self.resolved
    }

    /// sha256 (hex) of [`TaskDefinition::resolved_json`].
    pub fn task_hash(&self) -> String {
        sha256_hex(self.resolved_json.as_bytes())
    }

    fn unsupported(&self, what: impl Into<String>) -> TaskError {
        TaskError::Unsupported {
            task: self.name().to_string(),
            what: what.into(),
        }
    }

    fn config_error(&self, key: &str, message: impl Into<String>) -> TaskError {
        TaskError::Config {
            origin: format!("task {} ({})", self.name(), self.origin),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// The metrics this task reports, from `metric_list` (lm-eval's defaults without one).
    pub fn metrics(&self) -> Result<Vec<TaskMetric>, TaskError> {
        let config = &self.config;
        let has_hook = config.process_results.is_some();
        let Some(list) = &config.metric_list else {
            return Ok(metrics::default_metrics(config.output_type));
        };
        list.iter()
            .enumerate()
            .map(|(index, entry)| {
                TaskMetric::resolve(entry, config.output_type, has_hook).map_err(|message| {
                    self.config_error(&format!("metric_list[{index}].metric"), message)
                })
            })
            .collect()
    }

    /// The filter pipelines of a generative task (`filter_list`, or lm-eval's single
    /// pipeline `none` that takes the first generation).
    pub fn filters(&self) -> Result<Vec<FilterPipeline>, TaskError> {
        match &self.config.filter_list {
            None => Ok(vec![FilterPipeline::default_none()]),
            Some(value) => parse_filter_list(value).map_err(|error| TaskError::Config {
                origin: format!("task {} ({})", self.name(), self.origin),
                key: "filter_list".into(),
                message: error.to_string(),
            }),
        }
    }

    fn doc_function_error(&self, key: &str, hook: &str) -> TaskError {
        TaskError::UnknownHook {
            task: self.name().to_string(),
            key: key.into(),
            hook: hook.to_string(),
            known: functions::known_doc_functions(),
        }
    }

    /// Refuses, before anything runs, a config yardstick cannot run faithfully.
    pub fn check_supported(&self) -> Result<(), TaskError> {
        let config = &self.config;
        if let Some(hook) = &config.process_docs {
            if process_docs::find(hook).is_none() {
                return Err(TaskError::UnknownHook {
                    task: self.name().to_string(),
                    key: "process_docs".into(),
                    hook: hook.clone(),
                    known: process_docs::known_names(),
                });
            }
        }
        if let Some(hook) = &config.process_results {
            if functions::find_results_function(hook).is_none() {
                return Err(TaskError::UnknownHook {
                    task: self.name().to_string(),
                    key: "process_results".into(),
                    hook: hook.clone(),
                    known: functions::known_results_functions(),
                });
            }
        }
        let needs_choices = config.output_type == OutputType::MultipleChoice;
        let fields = [
            ("doc_to_text", &config.doc_to_text, true),
            ("doc_to_target", &config.doc_to_target, true),
            ("doc_to_choice", &config.doc_to_choice, needs_choices),
            (
                "fewshot_config.doc_to_text",
                &config.fewshot_config.doc_to_text,
                false,
            ),
            (
                "fewshot_config.doc_to_target",
                &config.fewshot_config.doc_to_target,
                false,
            ),
            (
                "fewshot_config.doc_to_choice",
                &config.fewshot_config.doc_to_choice,
                false,
            ),
        ];
        for (key, field, required) in fields {
            match field {
                None if required => {
                    return Err(self.config_error(
                        key,
                        format!("is required for {} tasks", config.output_type),
                    ))
                }
                None => {}
                Some(DocField::Function(hook)) if functions::find_doc_function(hook).is_none() => {
                    return Err(self.doc_function_error(key, hook));
                }
                Some(DocField::Text(source)) => {
                    Renderer::new().check_syntax(source).map_err(|message| {
                        self.config_error(key, format!("invalid template: {message}"))
                    })?
                }
                Some(_) => {}
            }
        }
        if config.output_type == OutputType::LoglikelihoodRolling
            && config.num_fewshot.unwrap_or(0) > 0
        {
            return Err(self.config_error(
                "num_fewshot",
                "loglikelihood_rolling tasks cannot have few-shot examples (lm-eval refuses them too)",
            ));
        }
        for key in [
            "custom_dataset",
            "doc_to_image",
            "doc_to_audio",
            "use_prompt",
        ] {
            if config.deferred.contains_key(key) {
                return Err(self.unsupported(format!("`{key}`")));
            }
        }
        if config.repeats > 1 && config.output_type != OutputType::GenerateUntil {
            return Err(self.config_error("repeats", "only generate_until tasks can repeat"));
        }
        if config.output_type == OutputType::GenerateUntil {
            self.filters()?;
        }
        self.metrics().map(|_| ())
    }

    /// The data-file keys (splits) this task reads: the evaluation split, the few-shot split
    /// when examples come from one, and the files the `process_docs` hook reads.
    fn split_keys(&self) -> Result<Vec<String>, TaskError> {
        let config = &self.config;
        let split = config.eval_split().ok_or_else(|| {
            self.config_error(
                "test_split",
                "neither test_split nor validation_split is set",
            )
        })?;
        let mut keys = vec![split.to_string()];
        if let Some(fewshot_split) = self.fewshot_split() {
            if !keys.contains(&fewshot_split) {
                keys.push(fewshot_split);
            }
        }
        if let Some(hook) = config.process_docs.as_deref().and_then(process_docs::find) {
            keys.extend(hook.extra_files.iter().map(|key| key.to_string()));
        }
        Ok(keys)
    }

    /// The number of few-shot examples per item.
    pub fn num_fewshot(&self) -> u64 {
        self.config.num_fewshot.unwrap_or(0)
    }

    /// Where few-shot docs come from when they come from a split: `fewshot_split`, else (no
    /// `samples` in the YAML) lm-eval's fallback: training, validation, then test split.
    fn fewshot_split(&self) -> Option<String> {
        let config = &self.config;
        if self.num_fewshot() == 0 {
            return None;
        }
        if let Some(split) = &config.fewshot_split {
            return Some(split.clone());
        }
        if config.fewshot_config.samples.is_some() {
            return None;
        }
        config
            .training_split
            .clone()
            .or_else(|| config.validation_split.clone())
            .or_else(|| config.test_split.clone())
    }

    /// The data files items are read from (the evaluation split's, the few-shot split's, then
    /// the files the `process_docs` hook reads), as named in `dataset_kwargs.data_files`.
    pub fn data_files(&self) -> Result<Vec<String>, TaskError> {
        let config = &self.config;
        if config.dataset_kwargs.data_files.is_empty() {
            return Err(self.unsupported(format!(
                "loading the Hugging Face dataset `{}` without a local data directory (give local files in dataset_kwargs.data_files)",
                config.dataset_path.as_deref().unwrap_or("?")
            )));
        }
        let mut files = Vec::new();
        for (position, key) in self.split_keys()?.into_iter().enumerate() {
            match config.dataset_kwargs.data_files.get(&key) {
                Some(names) => files.extend(names.iter().cloned()),
                // The evaluation split is required; the others only when they are used.
                None if position == 0 => {
                    return Err(self.config_error(
                        "dataset_kwargs.data_files",
                        format!("has no files for the `{key}` split"),
                    ))
                }
                None => {
                    return Err(self.config_error(
                        "dataset_kwargs.data_files",
                        format!(
                            "has no files for the `{key}` split, which the {} few-shot examples come from (set num_fewshot to 0, e.g. with --num-fewshot 0, or add the split's files)",
                            self.num_fewshot()
                        ),
                    ))
                }
            }
        }
        Ok(files)
    }

    /// The hub dataset `dataset_path` names, if it names one (not one of `datasets`' file
    /// loaders such as `json`).
    pub fn hub_dataset(&self) -> Option<HubDatasetRef> {
        const FILE_LOADERS: [&str; 7] = [
            "json",
            "csv",
            "parquet",
            "text",
            "arrow",
            "pandas",
            "webdataset",
        ];
        let config = &self.config;
        let path = config.dataset_path.as_deref()?;
        if FILE_LOADERS.contains(&path) {
            return None;
        }
        let option = |key: &str| {
            config
                .dataset_kwargs
                .other
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(HubDatasetRef {
            path: path.to_string(),
            name: config.dataset_name.clone(),
            revision: option("revision"),
            data_dir: option("data_dir"),
        })
    }

    /// Whether the task reads its data from the hub: it names a hub dataset and has no local
    /// files to read (no `data_files`, or a built-in task without a local data directory).
    pub fn reads_hub(&self, data_dir: &Path) -> bool {
        let has_files = !self.config.dataset_kwargs.data_files.is_empty();
        let local = has_files && (matches!(self.origin, Origin::File(_)) || data_dir.is_dir());
        !local && self.hub_dataset().is_some()
    }

    /// The files of one split, named as in the config (local) or `hf://datasets/...` (hub).
    fn split_files(
        &self,
        data_dir: &Path,
        split: &str,
    ) -> Result<Vec<(String, PathBuf)>, TaskError> {
        if self.reads_hub(data_dir) {
            let dataset = self
                .hub_dataset()
                .ok_or_else(|| self.unsupported("a hub dataset without dataset_path"))?;
            let hint = if matches!(self.origin, Origin::Builtin(_)) {
                format!(
                    "; or read the local files: the data directory {} does not exist (set YARDSTICK_DATA or pass --data-dir)",
                    data_dir.display()
                )
            } else {
                String::new()
            };
            let hub_error = |source: hub::HubError| TaskError::Hub {
                task: self.name().to_string(),
                source: Box::new(source),
                hint: hint.clone(),
            };
            let options = HubOptions::from_env().map_err(hub_error)?;
            let fetched = hub::fetch_dataset_split(&dataset, split, &options).map_err(hub_error)?;
            return Ok(fetched.record_files());
        }
        self.data_files()?;
        self.config
            .dataset_kwargs
            .data_files
            .get(split)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|file| self.resolve_file(data_dir, &file).map(|path| (file, path)))
            .collect()
    }

    /// sha256 of every data file the task reads, by its name in `data_files` (or its
    /// `hf://` name for hub data).
    pub fn dataset_sha256(&self, data_dir: &Path) -> Result<BTreeMap<String, String>, TaskError> {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        if self.reads_hub(data_dir) {
            for split in self.split_keys()? {
                files.extend(self.split_files(data_dir, &split)?);
            }
        } else {
            for file in self.data_files()? {
                let path = self.resolve_file(data_dir, &file)?;
                files.push((file, path));
            }
        }
        files
            .into_iter()
            .map(|(file, path)| {
                let digest = file_sha256(&path).map_err(|source| TaskError::Io {
                    task: self.name().to_string(),
                    file: file.clone(),
                    source,
                })?;
                Ok((file, digest))
            })
            .collect()
    }

    /// Where a `data_files` entry is. Built-in tasks: under the data directory. Tasks from a
    /// YAML file on disk: an absolute path as it is; a relative one, as Hugging Face
    /// `datasets` (and so lm-eval) resolves it, against the current directory, then next to
    /// the YAML file, then under the data directory.
    fn resolve_file(&self, data_dir: &Path, file: &str) -> Result<PathBuf, TaskError> {
        if let Origin::File(yaml) = &self.origin {
            let mut bases: Vec<PathBuf> = Vec::new();
            if let Ok(current) = std::env::current_dir() {
                bases.push(current);
            }
            if let Some(parent) = yaml.parent() {
                bases.push(parent.to_path_buf());
            }
            if let Some(found) = bases
                .iter()
                .map(|base| base.join(file))
                .find(|candidate| candidate.is_file())
            {
                return Ok(found);
            }
            if !data_dir.is_dir() {
                return Err(TaskError::DataFileMissing {
                    task: self.name().to_string(),
                    file: file.to_string(),
                    path: bases
                        .first()
                        .map(|base| base.join(file))
                        .unwrap_or_default(),
                });
            }
        }
        resolve_data_file(self.name(), data_dir, file)
    }

    fn hook_context<'a>(&'a self, data_dir: &'a Path) -> HookContext<'a> {
        HookContext {
            task: self.name(),
            dataset_name: self.config.dataset_name.as_deref(),
            data_dir,
            data_files: &self.config.dataset_kwargs.data_files,
        }
    }

    fn processor(&self, data_dir: &Path) -> Result<Option<Box<dyn DocProcessor>>, TaskError> {
        match self
            .config
            .process_docs
            .as_deref()
            .and_then(process_docs::find)
        {
            Some(hook) if self.reads_hub(data_dir) => {
                hook.create_for_hub(&self.hook_context(data_dir))
            }
            Some(hook) => Ok(Some(hook.create(&self.hook_context(data_dir))?)),
            None => Ok(None),
        }
    }

    /// The docs of one split (after `process_docs`), read into memory.
    fn split_docs(
        &self,
        data_dir: &Path,
        split: &str,
    ) -> Result<Vec<Map<String, Value>>, TaskError> {
        let files = self.split_files(data_dir, split)?;
        let mut processor = self.processor(data_dir)?;
        let mut docs = Vec::new();
        for record in RecordReader::new(self.name(), files) {
            let record = record?;
            let (file, location) = (record.file.clone(), record.location);
            let fields = match processor.as_mut() {
                None => Some(record.fields),
                Some(processor) => {
                    processor
                        .process(record)
                        .map_err(|message| TaskError::Record {
                            task: self.name().to_string(),
                            file,
                            location,
                            message,
                        })?
                }
            };
            docs.extend(fields);
        }
        Ok(docs)
    }

    /// The few-shot examples' source for a run: docs and a seeded sampler.
    fn fewshot_source(
        &self,
        data_dir: &Path,
        seed: u64,
    ) -> Result<Option<FewshotSource>, TaskError> {
        let num = self.num_fewshot();
        if num == 0 {
            return Ok(None);
        }
        let config = &self.config;
        let docs = match self.fewshot_split() {
            Some(split) => self.split_docs(data_dir, &split)?,
            None => config.fewshot_config.samples.clone().unwrap_or_default(),
        };
        // lm-eval passes the eval doc to the sampler (to leave it out) when the configured
        // few-shot split equals the test split, comparing the config values as they are.
        let same_split = passes_eval_doc(
            config.fewshot_split.as_deref(),
            config.test_split.as_deref(),
        );
        let kind = match config.fewshot_config.sampler.as_deref() {
            Some("first_n") => SamplerKind::FirstN,
            _ => SamplerKind::Default,
        };
        if (docs.len() as u64) < num {
            return Err(self.config_error(
                "num_fewshot",
                format!(
                    "asks for {num} few-shot examples but only {} few-shot docs exist",
                    docs.len()
                ),
            ));
        }
        let sampler = FewshotSampler::new(kind, seed, docs.len());
        Ok(Some(FewshotSource {
            docs,
            sampler,
            num: num as usize,
            same_split,
        }))
    }

    /// The first `limit` items (all without a limit), in dataset order, read lazily.
    pub fn items(&self, data_dir: &Path, limit: Option<u64>) -> Result<TaskItems<'_>, TaskError> {
        self.select_items(data_dir, &Selection::first(limit), 1234)
    }

    /// The selected items, in dataset order, read lazily; `seed` seeds few-shot sampling
    /// (lm-eval's `fewshot_random_seed`, 1234 by default).
    pub fn select_items(
        &self,
        data_dir: &Path,
        selection: &Selection,
        seed: u64,
    ) -> Result<TaskItems<'_>, TaskError> {
        self.check_supported()?;
        let config = &self.config;
        let split = config.eval_split().unwrap_or_default();
        if !self.reads_hub(data_dir) {
            // Every split the task reads must be there before anything is read.
            self.data_files()?;
        }
        let files = self.split_files(data_dir, split)?;
        Ok(TaskItems {
            task: self,
            metrics: self.metrics()?,
            records: RecordReader::new(self.name(), files),
            processor: self.processor(data_dir)?,
            fewshot: self.fewshot_source(data_dir, seed)?,
            renderer: Renderer::new(),
            selection: selection.clone(),
            next_index: 0,
            selected: 0,
            finished: false,
        })
    }

    /// How many items the evaluation split has (reads it once).
    pub fn count_items(&self, data_dir: &Path) -> Result<u64, TaskError> {
        let mut count = 0;
        for item in self.select_items(data_dir, &Selection::default(), 1234)? {
            item?;
            count += 1;
        }
        Ok(count)
    }

    fn score_error(&self, item: u64, message: String) -> TaskError {
        TaskError::Score {
            task: self.name().to_string(),
            item,
            message,
        }
    }

    fn hook_values(
        &self,
        item: &TaskItem,
        outcome: Outcome<'_>,
    ) -> Result<Vec<(String, f64)>, TaskError> {
        let Some(hook) = self
            .config
            .process_results
            .as_deref()
            .and_then(functions::find_results_function)
        else {
            return Ok(Vec::new());
        };
        hook.call(&item.doc, outcome)
            .map_err(|message| self.score_error(item.index, message))
    }

    /// Scores a `multiple_choice` or `loglikelihood` item from the backend's scores of its
    /// pairs (in pair order).
    pub fn score(
        &self,
        item: &TaskItem,
        scores: &[ContinuationScore],
    ) -> Result<ItemResult, TaskError> {
        let loglikelihoods: Vec<f64> = scores.iter().map(|score| score.loglikelihood).collect();
        let is_greedy: Vec<bool> = scores.iter().map(|score| score.is_greedy).collect();
        let task_metrics = self.metrics()?;
        let mut result = match item.kind {
            ItemKind::Loglikelihood => {
                let (Some(loglikelihood), Some(greedy)) =
                    (loglikelihoods.first(), is_greedy.first())
                else {
                    return Err(
                        self.score_error(item.index, "no score for the continuation".into())
                    );
                };
                let values = task_metrics
                    .iter()
                    .filter_map(|metric| match metric.kind {
                        MetricKind::Perplexity => Some((metric.name.clone(), *loglikelihood)),
                        MetricKind::Acc => {
                            Some((metric.name.clone(), if *greedy { 1.0 } else { 0.0 }))
                        }
                        _ => None,
                    })
                    .collect();
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy.clone(),
                    metrics: values,
                    references: item.references.clone(),
                    ..Default::default()
                }
            }
            _ => {
                let outcome = metrics::score_choices(
                    &task_metrics,
                    &loglikelihoods,
                    &is_greedy,
                    &item.choices,
                    item.gold,
                )
                .map_err(|message| self.score_error(item.index, message))?;
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy,
                    gold: item.gold,
                    prediction: outcome.prediction,
                    prediction_norm: outcome.prediction_norm,
                    metrics: outcome.values,
                    ..Default::default()
                }
            }
        };
        let reported = self.hook_values(item, Outcome::Loglikelihoods(&loglikelihoods))?;
        merge_reported(&mut result.metrics, reported);
        Ok(result)
    }

    /// Scores a `generate_until` item from its generations (one per repeat): every filter
    /// pipeline extracts an answer, every metric scores it against the references. Metric
    /// names are `metric` for lm-eval's default filter `none`, else `metric,filter`.
    pub fn score_generation(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<ItemResult, TaskError> {
        let filters = self.filters()?;
        let task_metrics = self.metrics()?;
        let mut result = ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            gold: item.gold,
            generations: generations.to_vec(),
            references: item.references.clone(),
            ..Default::default()
        };
        let doc = Value::Object(item.doc.clone());
        for filter in &filters {
            let answer = filter
                .apply_with_doc(generations, Some(&doc))
                .map_err(|error| self.score_error(item.index, error.to_string()))?;
            for metric in &task_metrics {
                let name = metrics::filtered_name(&metric.name, filter.name());
                let value = metrics::score_generation(metric, &answer, &item.references)
                    .map_err(|message| self.score_error(item.index, message))?;
                if let Some(value) = value {
                    result.metrics.push((name, value));
                }
            }
            let reported = self.hook_values(item, Outcome::Generation(&answer))?;
            let reported = reported
                .into_iter()
                .map(|(name, value)| (metrics::filtered_name(&name, filter.name()), value))
                .collect();
            merge_reported(&mut result.metrics, reported);
            result.filtered.push((filter.name().to_string(), answer));
        }
        Ok(result)
    }

    /// Scores a `loglikelihood_rolling` item from the loglikelihood of its whole text.
    pub fn score_rolling(
        &self,
        item: &TaskItem,
        loglikelihood: f64,
    ) -> Result<ItemResult, TaskError> {
        let ItemKind::Rolling { text } = &item.kind else {
            return Err(self.score_error(item.index, "not a loglikelihood_rolling item".into()));
        };
        let mut result = ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            choice_loglikelihoods: vec![loglikelihood],
            ..Default::default()
        };
        for metric in self.metrics()? {
            if let Some(weight) = metrics::rolling_weight(metric.kind, text) {
                result.metrics.push((metric.name.clone(), loglikelihood));
                result.weights.push((metric.name.clone(), weight));
            }
        }
        Ok(result)
    }

    /// The task's records (one per metric and filter: value, stderr, n) from its items.
    pub fn aggregate(&self, results: &[ItemResult]) -> Result<Vec<MetricRecord>, TaskError> {
        self.aggregate_with(results, &AggregateOptions::default())
    }

    /// [`TaskDefinition::aggregate`] with explicit bootstrap settings.
    pub fn aggregate_with(
        &self,
        results: &[ItemResult],
        options: &AggregateOptions,
    ) -> Result<Vec<MetricRecord>, TaskError> {
        let filters: Vec<String> = if self.config.output_type == OutputType::GenerateUntil {
            self.filters()?
                .iter()
                .map(|filter| filter.name().to_string())
                .collect()
        } else {
            vec![FilterPipeline::NONE.to_string()]
        };
        metrics::aggregate(&self.metrics()?, &filters, results, options).map_err(|message| {
            TaskError::Aggregate {
                task: self.name().to_string(),
                message,
            }
        })
    }

    /// The task side of a run fingerprint: reads and renders the selected items once.
    pub fn fingerprint(
        &self,
        data_dir: &Path,
        limit: Option<u64>,
    ) -> Result<TaskFingerprint, TaskError> {
        self.fingerprint_selection(data_dir, &Selection::first(limit), 1234)
    }

    /// [`TaskDefinition::fingerprint`] for any selection and few-shot seed.
    pub fn fingerprint_selection(
        &self,
        data_dir: &Path,
        selection: &Selection,
        seed: u64,
    ) -> Result<TaskFingerprint, TaskError> {
        let mut hasher = StreamHasher::new();
        let mut items = 0;
        for item in self.select_items(data_dir, selection, seed)? {
            item?.hash_into(&mut hasher);
            items += 1;
        }
        Ok(TaskFingerprint {
            task: self.name().to_string(),
            task_hash: self.task_hash(),
            dataset_sha256: self.dataset_sha256(data_dir)?,
            prompt_hash: hasher.finish(),
            limit: selection.limit,
            items,
            samples_sha256: selection.indices_sha256(),
        })
    }
}

/// Values a `process_results` hook reported replace the built-in ones of the same name.
fn merge_reported(values: &mut Vec<(String, f64)>, reported: Vec<(String, f64)>) {
    for (name, value) in reported {
        match values.iter_mut().find(|(existing, _)| *existing == name) {
            Some(slot) => slot.1 = value,
            None => values.push((name, value)),
        }
    }
}

/// Few-shot docs and the sampler that picks from them, shared across a task's items in
/// order, as lm-eval's sampler is.
struct FewshotSource {
    docs: Vec<Map<String, Value>>,
    sampler: FewshotSampler,
    num: usize,
    same_split: bool,
}

/// The items of a task, streamed. Stops after the first error.
pub struct TaskItems<'a> {
    task: &'a TaskDefinition,
    metrics: Vec<TaskMetric>,
    records: RecordReader,
    processor: Option<Box<dyn DocProcessor>>,
    fewshot: Option<FewshotSource>,
    renderer: Renderer,
    selection: Selection,
    next_index: u64,
    selected: u64,
    finished: bool,
}

impl std::fmt::Debug for TaskItems<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskItems")
            .field("task", &self.task.name())
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

/// A field with `!function` hooks evaluated: the value lm-eval's function would return,
/// stored under a private key that the renderer then reads as a plain field.
fn resolve_function_field(
    field: &Option<DocField>,
    key: &str,
    doc: &mut Map<String, Value>,
) -> Result<Option<DocField>, String> {
    match field {
        Some(DocField::Function(name)) => {
            let function = functions::find_doc_function(name)
                .ok_or_else(|| format!("`!function {name}` is not one of yardstick's functions"))?;
            let value = function.call(doc)?;
            let private = format!("__yardstick_{key}");
            doc.insert(private.clone(), value);
            Ok(Some(DocField::Text(private)))
        }
        other => Ok(other.clone()),
    }
}

/// One doc rendered: question (or the index of the gold input), choices, target.
struct Rendered {
    text: TextValue,
    choices: Option<Vec<String>>,
    target: TargetValue,
}

impl TaskItems<'_> {
    /// The metrics each item will be scored with.
    pub fn metrics(&self) -> &[TaskMetric] {
        &self.metrics
    }

    fn render(
        &self,
        fields: &Map<String, Value>,
        text_field: &Option<DocField>,
        target_field: &Option<DocField>,
        choice_field: &Option<DocField>,
    ) -> Result<Rendered, String> {
        let mut fields = fields.clone();
        let text_field = resolve_function_field(text_field, "doc_to_text", &mut fields)?;
        let target_field = resolve_function_field(target_field, "doc_to_target", &mut fields)?;
        let choice_field = resolve_function_field(choice_field, "doc_to_choice", &mut fields)?;
        let doc = Doc::new(fields);
        let in_field = |key: &'static str, source: &Option<DocField>| {
            let text = match source {
                Some(DocField::Text(text)) if !text.starts_with("__yardstick_") => {
                    format!(" `{text}`")
                }
                _ => String::new(),
            };
            move |message: String| format!("{key}{text}: {message}")
        };
        let choices = match &choice_field {
            Some(field) => Some(
                self.renderer
                    .doc_to_choice(field, &doc)
                    .map_err(in_field("doc_to_choice", &choice_field))?,
            ),
            None => None,
        };
        let has_choices = choices.is_some();
        let text = match &text_field {
            Some(field) => self
                .renderer
                .doc_to_text(field, &doc, has_choices)
                .map_err(in_field("doc_to_text", &text_field))?,
            None => return Err("doc_to_text is required".into()),
        };
        let target = match &target_field {
            Some(field) => self
                .renderer
                .doc_to_target(field, &doc, has_choices)
                .map_err(in_field("doc_to_target", &target_field))?,
            None => return Err("doc_to_target is required".into()),
        };
        Ok(Rendered {
            text,
            choices,
            target,
        })
    }

    fn resolve_text(
        &self,
        field: &str,
        doc: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<String>, String> {
        if field.is_empty() {
            return Ok(None);
        }
        self.renderer
            .resolve_field(field, &Doc::new(doc.clone()))
            .map(Some)
            .map_err(|message| format!("{key}: {message}"))
    }

    /// The few-shot turns for one doc, and their indices into the few-shot docs.
    fn fewshot_turns(
        &mut self,
        doc: &Map<String, Value>,
    ) -> Result<(Vec<FewshotTurn>, Vec<usize>), String> {
        let Some(source) = self.fewshot.as_mut() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let docs = &source.docs;
        let is_eval_doc = |index: usize| docs[index] == *doc;
        let eval_doc: Option<&dyn Fn(usize) -> bool> = if source.same_split {
            Some(&is_eval_doc)
        } else {
            None
        };
        let chosen = source
            .sampler
            .select(source.num, eval_doc)
            .map_err(|error| format!("few-shot examples: {error}"))?;
        let config = self.task.config();
        let fewshot_config = &config.fewshot_config;
        let text_field = fewshot_config
            .doc_to_text
            .clone()
            .or_else(|| config.doc_to_text.clone());
        let target_field = fewshot_config
            .doc_to_target
            .clone()
            .or_else(|| config.doc_to_target.clone());
        let choice_field = fewshot_config
            .doc_to_choice
            .clone()
            .or_else(|| config.doc_to_choice.clone());
        let target_delimiter = fewshot_config
            .target_delimiter
            .clone()
            .unwrap_or_else(|| config.target_delimiter.clone());
        let fewshot_delimiter = fewshot_config
            .fewshot_delimiter
            .clone()
            .unwrap_or_else(|| config.fewshot_delimiter.clone());
        let docs: Vec<Map<String, Value>> = chosen
            .iter()
            .map(|index| source.docs[*index].clone())
            .collect();
        let mut turns = Vec::with_capacity(docs.len());
        for (fewshot_doc, index) in docs.iter().zip(&chosen) {
            let context = |message: String| format!("few-shot example {index}: {message}");
            let rendered = self
                .render(fewshot_doc, &text_field, &target_field, &choice_field)
                .map_err(context)?;
            let question = match (&rendered.text, &rendered.choices) {
                (TextValue::Text(text), _) => text.clone(),
                (TextValue::Index(input), Some(choices)) => usize::try_from(*input)
                    .ok()
                    .and_then(|input| choices.get(input))
                    .cloned()
                    .ok_or_else(|| context(format!("input index {input} is out of range")))?,
                (TextValue::Index(_), None) => {
                    return Err(context(
                        "doc_to_text gave an index but the task has no choices".into(),
                    ))
                }
            };
            let multiple_input = matches!(rendered.text, TextValue::Index(_));
            let answer = match (&rendered.target, &rendered.choices) {
                (TargetValue::Index(target), Some(choices)) if !multiple_input => {
                    usize::try_from(*target)
                        .ok()
                        .and_then(|target| choices.get(target))
                        .cloned()
                        .ok_or_else(|| context(format!("target index {target} is out of range")))?
                }
                (TargetValue::Index(target), _) => target.to_string(),
                (TargetValue::Text(text), _) => text.clone(),
                (TargetValue::List(items), _) => {
                    items.first().map(crate::python::to_str).unwrap_or_default()
                }
            };
            let gen_prefix = match fewshot_config
                .gen_prefix
                .as_deref()
                .or(config.gen_prefix.as_deref())
            {
                Some(prefix) => self.resolve_text(prefix, fewshot_doc, "gen_prefix")?,
                None => None,
            };
            turns.push(FewshotTurn {
                question,
                answer,
                gen_prefix,
                target_delimiter: target_delimiter.clone(),
                fewshot_delimiter: fewshot_delimiter.clone(),
            });
        }
        Ok((turns, chosen))
    }

    fn item(&mut self, fields: Map<String, Value>) -> Result<TaskItem, String> {
        let config = self.task.config();
        let output_type = config.output_type;
        let rendered = self.render(
            &fields,
            &config.doc_to_text,
            &config.doc_to_target,
            &config.doc_to_choice,
        )?;
        let description = self
            .resolve_text(&config.description, &fields, "description")?
            .unwrap_or_default();
        let gen_prefix = match config.gen_prefix.as_deref() {
            Some(prefix) => self.resolve_text(prefix, &fields, "gen_prefix")?,
            None => None,
        }
        .filter(|prefix| !prefix.is_empty());
        let (fewshot, fewshot_ids) = self.fewshot_turns(&fields)?;
        let choices = rendered.choices.clone().unwrap_or_default();
        // Multiple inputs (Winogrande): doc_to_text is the gold input's index and each
        // choice is a context; the target is the shared continuation.
        let (questions, gold, shared_continuation) = match (&rendered.text, output_type) {
            (TextValue::Index(gold), OutputType::MultipleChoice) => {
                let gold = usize::try_from(*gold)
                    .ok()
                    .filter(|gold| *gold < choices.len())
                    .ok_or_else(|| {
                        format!(
                            "doc_to_text gave input index {gold}, out of range for {} inputs",
                            choices.len()
                        )
                    })?;
                let target = match &rendered.target {
                    TargetValue::Text(text) => text.clone(),
                    TargetValue::Index(index) => index.to_string(),
                    TargetValue::List(_) => {
                        return Err("a multiple-input task needs one target, got a list".into())
                    }
                };
                (choices.clone(), gold, Some(target))
            }
            (TextValue::Index(index), _) => {
                return Err(format!(
                    "doc_to_text gave the index {index}, which only multiple_choice tasks accept"
                ))
            }
            (TextValue::Text(text), OutputType::MultipleChoice) => {
                let gold = match &rendered.target {
                    TargetValue::Index(index) => usize::try_from(*index)
                        .ok()
                        .filter(|index| *index < choices.len())
                        .ok_or_else(|| format!("doc_to_target gave index {index}, out of range for {} choices", choices.len()))?,
                    TargetValue::Text(text) => choices
                        .iter()
                        .position(|choice| choice == text)
                        .ok_or_else(|| format!("doc_to_target gave `{text}`, which is not one of the choices"))?,
                    TargetValue::List(_) => {
                        return Err("doc_to_target gave a list (multiple targets); not supported yet for multiple_choice".into())
                    }
                };
                (vec![text.clone()], gold, None)
            }
            (TextValue::Text(text), _) => (vec![text.clone()], 0, None),
        };
        let references: Vec<String> = match (&rendered.target, output_type) {
            (_, OutputType::MultipleChoice) => Vec::new(),
            // lm-eval: with doc_to_choice set, a generative target is an index into it.
            (TargetValue::Index(index), _) if !choices.is_empty() => vec![usize::try_from(*index)
                .ok()
                .and_then(|index| choices.get(index))
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "doc_to_target gave index {index}, out of range for {} choices",
                        choices.len()
                    )
                })?],
            (TargetValue::Index(index), _) => vec![index.to_string()],
            (TargetValue::Text(text), _) => vec![text.clone()],
            (TargetValue::List(items), _) => items.iter().map(crate::python::to_str).collect(),
        };
        let messages: Vec<Vec<Message>> = questions
            .iter()
            .map(|question| {
                context::build_messages(&ContextParts {
                    system_instruction: self.selection.system_instruction.as_deref(),
                    description: &description,
                    fewshot: &fewshot,
                    question,
                    gen_prefix: gen_prefix.as_deref(),
                    target_delimiter: &config.target_delimiter,
                    fewshot_delimiter: &config.fewshot_delimiter,
                })
            })
            .collect();
        let contexts: Vec<String> = messages
            .iter()
            .map(|messages| context::plain(messages))
            .collect();
        let kind = match output_type {
            OutputType::MultipleChoice => ItemKind::Choices,
            OutputType::Loglikelihood => ItemKind::Loglikelihood,
            OutputType::LoglikelihoodRolling => ItemKind::Rolling {
                text: references.first().cloned().unwrap_or_default(),
            },
            OutputType::GenerateUntil => {
                let kwargs = &config.generation_kwargs;
                ItemKind::Generate {
                    until: kwargs
                        .until
                        .clone()
                        .unwrap_or_else(|| vec![config.fewshot_delimiter.clone()]),
                    max_tokens: kwargs
                        .max_gen_toks
                        .unwrap_or(crate::config::GenerationKwargs::DEFAULT_MAX_GEN_TOKS),
                    sampling: kwargs.samples().then(|| SamplingSpec {
                        temperature: kwargs.temperature.unwrap_or(1.0),
                        top_p: kwargs.top_p,
                        top_k: kwargs.top_k,
                    }),
                    repeats: config.repeats,
                }
            }
        };
        let mut item = TaskItem {
            index: self.next_index,
            id: item_id(&fields),
            context: String::new(),
            choices,
            gold,
            request: LoglikelihoodRequest { pairs: Vec::new() },
            kind,
            references,
            fewshot: fewshot_ids,
            messages,
            doc: fields,
            target_delimiter: config.target_delimiter.clone(),
            gen_prefix,
            shared_continuation,
        };
        let delimiter = config.target_delimiter.clone();
        item.set_contexts(contexts, &delimiter);
        Ok(item)
    }

    fn fail(
        &mut self,
        file: String,
        location: RecordLocation,
        message: String,
    ) -> Option<Result<TaskItem, TaskError>> {
        self.finished = true;
        Some(Err(TaskError::Record {
            task: self.task.name().to_string(),
            file,
            location,
            message,
        }))
    }
}

fn item_id(fields: &Map<String, Value>) -> Option<String> {
    ["id", "idx", "ind", "task_id", "question_id", "qID"]
        .iter()
        .find_map(|key| match fields.get(*key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        })
}

impl Iterator for TaskItems<'_> {
    type Item = Result<TaskItem, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished
                || self
                    .selection
                    .limit
                    .is_some_and(|limit| self.selected >= limit)
            {
                return None;
            }
            let record: RawRecord = match self.records.next()? {
                Ok(record) => record,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            let (file, location) = (record.file.clone(), record.location);
            let fields = match self.processor.as_mut() {
                None => record.fields,
                Some(processor) => match processor.process(record) {
                    Ok(Some(fields)) => fields,
                    Ok(None) => continue,
                    Err(message) => return self.fail(file, location, message),
                },
            };
            if !self.selection.includes(self.next_index) {
                self.next_index += 1;
                continue;
            }
            return match self.item(fields) {
                Ok(item) => {
                    self.next_index += 1;
                    self.selected += 1;
                    Some(Ok(item))
                }
                Err(message) => self.fail(file, location, message),
            };
        }
    }
}
