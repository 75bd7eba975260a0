//! A runnable task: its resolved config, the items it yields (streamed from the data files,
//! rendered exactly as lm-eval renders them) and the fingerprint inputs.

use crate::config::{DocField, OutputType, TaskConfig};
use crate::context::{build_context, ContextParts, FewshotTurn};
use crate::dataset::{file_sha256, resolve_data_file, RawRecord, RecordReader};
use crate::error::{RecordLocation, TaskError};
use crate::loader::{canonical_json, Origin};
use crate::metrics::{
    aggregate_items, score_multiple_choice, Aggregation, MultipleChoiceMetric, TaskMetric,
};
use crate::process_docs::{self, DocProcessor, HookContext};
use crate::template::{Doc, Renderer, TargetValue, TextValue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yardstick_backend::{ContinuationPair, ContinuationScore, LoglikelihoodRequest};
use yardstick_core::{sha256_hex, ItemResult, MetricRecord, StreamHasher, TaskFingerprint};

/// One dataset item, ready to be scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskItem {
    /// Position in the evaluation split after `process_docs`, in dataset order (0-based).
    pub index: u64,
    /// The dataset's own id (`id`, `idx` or `ind` field), where it has one.
    pub id: Option<String>,
    /// The prompt: description + few-shot examples + `doc_to_text`.
    pub context: String,
    /// The choices, without the target delimiter.
    pub choices: Vec<String>,
    /// Index of the gold choice.
    pub gold: usize,
    /// One pair per choice: (context, target_delimiter + choice).
    pub request: LoglikelihoodRequest,
}

impl TaskItem {
    /// Adds the rendered context and continuations to a prompt hash.
    pub fn hash_into(&self, hasher: &mut StreamHasher) {
        hasher.update(&self.context);
        for pair in &self.request.pairs {
            hasher.update(&pair.continuation);
        }
    }
}

/// A task config after `include`s, with where it came from.
#[derive(Debug, Clone)]
pub struct TaskDefinition {
    config: TaskConfig,
    origin: Origin,
    /// The merged config as canonical JSON (what `task_hash` hashes).
    resolved_json: String,
}

impl TaskDefinition {
    pub(crate) fn new(
        resolved: Map<String, Value>,
        origin: Origin,
    ) -> Result<TaskDefinition, TaskError> {
        let resolved_json = canonical_json(&Value::Object(resolved.clone()));
        let config = TaskConfig::from_map(resolved, &origin)?;
        Ok(TaskDefinition {
            config,
            origin,
            resolved_json,
        })
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
        let Some(list) = &self.config.metric_list else {
            return Ok(MultipleChoiceMetric::DEFAULT
                .iter()
                .map(|metric| TaskMetric {
                    metric: *metric,
                    aggregation: Aggregation::Mean,
                    higher_is_better: true,
                })
                .collect());
        };
        list.iter()
            .map(|entry| {
                if entry.is_function {
                    return Err(self.unsupported(format!("metric `!function {}`", entry.metric)));
                }
                if MultipleChoiceMetric::NOT_YET.contains(&entry.metric.as_str()) {
                    return Err(self.unsupported(format!("metric `{}`", entry.metric)));
                }
                let metric = entry
                    .metric
                    .parse::<MultipleChoiceMetric>()
                    .map_err(|message| self.config_error("metric_list.metric", message))?;
                let aggregation = entry.aggregation.clone().unwrap_or(Aggregation::Mean);
                if !matches!(aggregation, Aggregation::Mean | Aggregation::Median) {
                    return Err(self.unsupported(format!(
                        "aggregation `{}` of metric `{metric}`",
                        aggregation.as_str()
                    )));
                }
                Ok(TaskMetric {
                    metric,
                    aggregation,
                    higher_is_better: entry.higher_is_better.unwrap_or(true),
                })
            })
            .collect()
    }

    /// Refuses, before anything runs, a config yardstick cannot run faithfully yet.
    pub fn check_supported(&self) -> Result<(), TaskError> {
        let config = &self.config;
        if !config.output_type.is_supported() {
            return Err(self.unsupported(format!(
                "output_type `{}` (only `{}` for now)",
                config.output_type,
                OutputType::MultipleChoice
            )));
        }
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
        for (key, field) in [
            ("doc_to_text", &config.doc_to_text),
            ("doc_to_target", &config.doc_to_target),
            ("doc_to_choice", &config.doc_to_choice),
        ] {
            match field {
                None => return Err(self.config_error(key, "is required for multiple_choice tasks")),
                Some(DocField::Function(hook)) => {
                    return Err(TaskError::UnknownHook {
                        task: self.name().to_string(),
                        key: key.into(),
                        hook: hook.clone(),
                        known: "none for this key yet".into(),
                    })
                }
                Some(DocField::Text(source)) => {
                    Renderer::new().check_syntax(source).map_err(|message| {
                        self.config_error(key, format!("invalid template: {message}"))
                    })?
                }
                Some(_) => {}
            }
        }
        for key in [
            "custom_dataset",
            "doc_to_image",
            "doc_to_audio",
            "process_results",
            "use_prompt",
            "filter_list",
        ] {
            if config.deferred.contains_key(key) {
                return Err(self.unsupported(format!("`{key}`")));
            }
        }
        if config
            .deferred
            .get("repeats")
            .is_some_and(|repeats| repeats != &Value::from(1))
        {
            return Err(self.unsupported("`repeats` other than 1"));
        }
        if config.num_fewshot.unwrap_or(0) > 0 {
            return Err(self.unsupported("few-shot prompting (num_fewshot > 0)"));
        }
        self.metrics().map(|_| ())
    }

    /// The data files items are read from (the evaluation split's, then the files the
    /// `process_docs` hook reads), as named in `dataset_kwargs.data_files`.
    pub fn data_files(&self) -> Result<Vec<String>, TaskError> {
        let config = &self.config;
        let split = config.eval_split().ok_or_else(|| {
            self.config_error(
                "test_split",
                "neither test_split nor validation_split is set",
            )
        })?;
        if config.dataset_kwargs.data_files.is_empty() {
            return Err(self.unsupported(format!(
                "loading the Hugging Face dataset `{}` (give local files in dataset_kwargs.data_files)",
                config.dataset_path.as_deref().unwrap_or("?")
            )));
        }
        let mut files = config
            .dataset_kwargs
            .data_files
            .get(split)
            .cloned()
            .ok_or_else(|| {
                self.config_error(
                    "dataset_kwargs.data_files",
                    format!("has no files for the `{split}` split"),
                )
            })?;
        if let Some(hook) = config.process_docs.as_deref().and_then(process_docs::find) {
            for key in hook.extra_files {
                files.extend(
                    config
                        .dataset_kwargs
                        .data_files
                        .get(*key)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        Ok(files)
    }

    /// sha256 of every data file the task reads, by its name in `data_files`.
    pub fn dataset_sha256(&self, data_dir: &Path) -> Result<BTreeMap<String, String>, TaskError> {
        self.data_files()?
            .into_iter()
            .map(|file| {
                let path = resolve_data_file(self.name(), data_dir, &file)?;
                let digest = file_sha256(&path).map_err(|source| TaskError::Io {
                    task: self.name().to_string(),
                    file: file.clone(),
                    source,
                })?;
                Ok((file, digest))
            })
            .collect()
    }

    /// The first `limit` items (all without a limit), in dataset order, read lazily.
    pub fn items(&self, data_dir: &Path, limit: Option<u64>) -> Result<TaskItems<'_>, TaskError> {
        self.check_supported()?;
        let config = &self.config;
        let split = config.eval_split().unwrap_or_default();
        let split_files = self.data_files()?;
        let split_count = config
            .dataset_kwargs
            .data_files
            .get(split)
            .map_or(0, Vec::len);
        let files: Vec<(String, PathBuf)> = split_files
            .into_iter()
            .take(split_count)
            .map(|file| resolve_data_file(self.name(), data_dir, &file).map(|path| (file, path)))
            .collect::<Result<_, _>>()?;
        let processor = match config.process_docs.as_deref().and_then(process_docs::find) {
            Some(hook) => Some(hook.create(&HookContext {
                task: self.name(),
                dataset_name: config.dataset_name.as_deref(),
                data_dir,
                data_files: &config.dataset_kwargs.data_files,
            })?),
            None => None,
        };
        Ok(TaskItems {
            task: self,
            metrics: self.metrics()?,
            records: RecordReader::new(self.name(), files),
            processor,
            renderer: Renderer::new(),
            limit,
            next_index: 0,
            finished: false,
        })
    }

    /// Scores one item from the backend's per-choice scores (in choice order).
    pub fn score(
        &self,
        item: &TaskItem,
        scores: &[ContinuationScore],
    ) -> Result<ItemResult, TaskError> {
        let metrics: Vec<MultipleChoiceMetric> = self
            .metrics()?
            .into_iter()
            .map(|metric| metric.metric)
            .collect();
        let loglikelihoods: Vec<f64> = scores.iter().map(|score| score.loglikelihood).collect();
        let is_greedy: Vec<bool> = scores.iter().map(|score| score.is_greedy).collect();
        let outcome = score_multiple_choice(
            &metrics,
            &loglikelihoods,
            &is_greedy,
            &item.choices,
            item.gold,
        )
        .map_err(|message| TaskError::Score {
            task: self.name().to_string(),
            item: item.index,
            message,
        })?;
        Ok(ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            choice_loglikelihoods: loglikelihoods,
            choice_is_greedy: is_greedy,
            gold: item.gold,
            prediction: outcome.prediction,
            prediction_norm: outcome.prediction_norm,
            metrics: outcome
                .values
                .into_iter()
                .map(|(metric, value)| (metric.as_str().to_string(), value))
                .collect(),
        })
    }

    /// The task's records (one per metric: mean, stderr, n) from its items' results.
    pub fn aggregate(&self, results: &[ItemResult]) -> Result<Vec<MetricRecord>, TaskError> {
        aggregate_items(&self.metrics()?, results).map_err(|message| TaskError::Aggregate {
            task: self.name().to_string(),
            message,
        })
    }

    /// The task side of a run fingerprint: reads and renders the selected items once.
    pub fn fingerprint(
        &self,
        data_dir: &Path,
        limit: Option<u64>,
    ) -> Result<TaskFingerprint, TaskError> {
        let mut hasher = StreamHasher::new();
        let mut items = 0;
        for item in self.items(data_dir, limit)? {
            item?.hash_into(&mut hasher);
            items += 1;
        }
        Ok(TaskFingerprint {
            task: self.name().to_string(),
            task_hash: self.task_hash(),
            dataset_sha256: self.dataset_sha256(data_dir)?,
            prompt_hash: hasher.finish(),
            limit,
            items,
        })
    }

    /// The few-shot examples for one item: none until few-shot sampling exists (configs with
    /// `num_fewshot > 0` are refused by [`TaskDefinition::check_supported`]).
    fn fewshot_turns(&self, _doc: &Doc) -> Vec<FewshotTurn> {
        Vec::new()
    }
}

/// The items of a task, streamed. Stops after the first error.
pub struct TaskItems<'a> {
    task: &'a TaskDefinition,
    metrics: Vec<TaskMetric>,
    records: RecordReader,
    processor: Option<Box<dyn DocProcessor>>,
    renderer: Renderer,
    limit: Option<u64>,
    next_index: u64,
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

impl TaskItems<'_> {
    /// The metrics each item will be scored with.
    pub fn metrics(&self) -> &[TaskMetric] {
        &self.metrics
    }

    fn item(&self, fields: Map<String, Value>) -> Result<TaskItem, String> {
        let config = self.task.config();
        let doc = Doc::new(fields);
        let renderer = &self.renderer;
        let in_field = |key: &'static str, source: &Option<DocField>| {
            let text = match source {
                Some(DocField::Text(text)) => format!(" `{text}`"),
                _ => String::new(),
            };
            move |message: String| format!("{key}{text}: {message}")
        };
        let (Some(text_field), Some(target_field), Some(choice_field)) = (
            &config.doc_to_text,
            &config.doc_to_target,
            &config.doc_to_choice,
        ) else {
            return Err("doc_to_text, doc_to_target and doc_to_choice are required".into());
        };
        let choices = renderer
            .doc_to_choice(choice_field, &doc)
            .map_err(in_field("doc_to_choice", &config.doc_to_choice))?;
        let question =
            match renderer
                .doc_to_text(text_field, &doc, true)
                .map_err(in_field("doc_to_text", &config.doc_to_text))?
            {
                TextValue::Text(text) => text,
                TextValue::Index(_) => return Err(
                    "doc_to_text gave a choice index (a multiple-input task); not supported yet"
                        .into(),
                ),
            };
        let gold = match renderer
            .doc_to_target(target_field, &doc, true)
            .map_err(in_field("doc_to_target", &config.doc_to_target))?
        {
            TargetValue::Index(index) => usize::try_from(index)
                .ok()
                .filter(|index| *index < choices.len())
                .ok_or_else(|| {
                    format!(
                        "doc_to_target gave index {index}, out of range for {} choices",
                        choices.len()
                    )
                })?,
            TargetValue::Text(text) => choices
                .iter()
                .position(|choice| *choice == text)
                .ok_or_else(|| {
                    format!("doc_to_target gave `{text}`, which is not one of the choices")
                })?,
            TargetValue::List(_) => {
                return Err(
                    "doc_to_target gave a list (multiple targets); not supported yet".into(),
                )
            }
        };
        let description = if config.description.is_empty() {
            String::new()
        } else {
            renderer
                .resolve_field(&config.description, &doc)
                .map_err(|message| format!("description: {message}"))?
        };
        let gen_prefix = match config.gen_prefix.as_deref() {
            Some(prefix) if !prefix.is_empty() => Some(
                renderer
                    .resolve_field(prefix, &doc)
                    .map_err(|message| format!("gen_prefix: {message}"))?,
            ),
            _ => None,
        };
        let fewshot = self.task.fewshot_turns(&doc);
        let context = build_context(&ContextParts {
            system_instruction: None,
            description: &description,
            fewshot: &fewshot,
            question: &question,
            gen_prefix: gen_prefix.as_deref(),
            target_delimiter: &config.target_delimiter,
            fewshot_delimiter: &config.fewshot_delimiter,
        });
        let request = LoglikelihoodRequest {
            pairs: choices
                .iter()
                .map(|choice| ContinuationPair {
                    context: context.clone(),
                    continuation: format!("{}{choice}", config.target_delimiter),
                })
                .collect(),
        };
        Ok(TaskItem {
            index: self.next_index,
            id: item_id(&doc.fields),
            context,
            choices,
            gold,
            request,
        })
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
    ["id", "idx", "ind"]
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
            if self.finished || self.limit.is_some_and(|limit| self.next_index >= limit) {
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
            return match self.item(fields) {
                Ok(item) => {
                    self.next_index += 1;
                    Some(Ok(item))
                }
                Err(message) => self.fail(file, location, message),
            };
        }
    }
}
