//! lm-eval 0.4 task configs: the typed form of one task YAML after `include`s are merged.
//!
//! Keys yardstick interprets are typed fields. Keys lm-eval defines that yardstick does not
//! interpret yet are kept in [`TaskConfig::deferred`] (and refused where they would change
//! results, see [`crate::TaskDefinition::check_supported`]). Keys lm-eval does not know are
//! kept in [`TaskConfig::unknown`] and logged as a warning.

mod keys;
mod metric_list;
mod sections;

pub(crate) use keys::Keys;
pub use metric_list::{Aggregation, MetricConfig};
pub use sections::{DocField, FewshotConfig, GenerationKwargs};

use crate::error::TaskError;
use crate::loader::{function_name, Origin};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use yardstick_core::ClosedSet;

/// What a task asks the model for. Closed set, as in lm-eval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputType {
    /// Score each choice's continuation; pick the most likely.
    MultipleChoice,
    /// Score one continuation (`acc` = is it the greedy one, `perplexity`).
    Loglikelihood,
    /// Score a whole document (perplexity tasks).
    LoglikelihoodRolling,
    /// Generate text until a stop sequence.
    GenerateUntil,
}

yardstick_core::closed_set!(OutputType, "output_type", {
    MultipleChoice => "multiple_choice",
    Loglikelihood => "loglikelihood",
    LoglikelihoodRolling => "loglikelihood_rolling",
    GenerateUntil => "generate_until",
});

impl OutputType {
    /// Whether yardstick can run tasks of this type.
    pub fn is_supported(self) -> bool {
        true
    }
}

/// the data directory); the other keys are kept for the hash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetKwargs {
    pub data_files: BTreeMap<String, Vec<String>>,
    pub other: Map<String, Value>,
}

/// One task config, typed. Defaults are lm-eval's.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskConfig {
    pub task: String,
    pub task_alias: Option<String>,
    /// `tag`: names under which the task can also be selected (a string or a list in YAML).
    pub tags: Vec<String>,
    pub dataset_path: Option<String>,
    pub dataset_name: Option<String>,
    pub dataset_kwargs: DatasetKwargs,
    pub training_split: Option<String>,
    pub validation_split: Option<String>,
    pub test_split: Option<String>,
    pub fewshot_split: Option<String>,
    /// `process_docs: !function module.name`: the hook's full name.
    pub process_docs: Option<String>,
    pub doc_to_text: Option<DocField>,
    pub doc_to_target: Option<DocField>,
    pub doc_to_choice: Option<DocField>,
    /// Prepended to every context; itself a template (or a doc key), as in lm-eval.
    pub description: String,
    pub target_delimiter: String,
    pub fewshot_delimiter: String,
    pub gen_prefix: Option<String>,
    pub num_fewshot: Option<u64>,
    pub output_type: OutputType,
    /// `None`: lm-eval's default metrics for the output type.
    pub metric_list: Option<Vec<MetricConfig>>,
    pub generation_kwargs: GenerationKwargs,
    pub fewshot_config: FewshotConfig,
    /// How many times each `generate_until` request is sampled (self-consistency).
    pub repeats: u32,
    /// `filter_list` as written (parsed by [`crate::filters::parse_filter_list`]).
    pub filter_list: Option<Value>,
    /// `process_results: !function module.name`: the hook's full name.
    pub process_results: Option<String>,
    /// Ignored by yardstick (decontamination is not implemented); a notice is logged.
    pub should_decontaminate: bool,
    pub metadata: Option<Value>,
    /// lm-eval keys that yardstick does not interpret yet (`fewshot_config`,
    /// `generation_kwargs`, `filter_list`, `should_decontaminate`, ...).
    pub deferred: BTreeMap<String, Value>,
    /// Keys lm-eval does not define either; kept, and logged as a warning.
    pub unknown: BTreeMap<String, Value>,
}

/// lm-eval task keys that are kept but not interpreted (yet).
const DEFERRED_KEYS: &[&str] = &[
    "custom_dataset",
    "doc_to_image",
    "doc_to_audio",
    "unsafe_code",
    "use_prompt",
    "doc_to_decontamination_query",
    "task_list",
    "group",
    "group_alias",
];

impl TaskConfig {
    /// Types a merged task config. `map` must have a string `task` key.
    pub fn from_map(map: Map<String, Value>, origin: &Origin) -> Result<TaskConfig, TaskError> {
        let mut keys = Keys {
            origin,
            map,
            label: None,
        };
        let task = keys.required_string("task")?;
        keys.label = Some(format!("task {task}"));
        let output_type = match keys.string("output_type")? {
            None => OutputType::GenerateUntil,
            Some(text) => text.parse().map_err(|_| {
                keys.error(
                    "output_type",
                    format!(
                        "unknown output_type `{text}`; valid values: {}",
                        OutputType::names().join(", ")
                    ),
                )
            })?,
        };
        let process_docs = hook_name(&mut keys, "process_docs")?;
        let metric_list = MetricConfig::list_from_keys(&mut keys)?;
        let dataset_kwargs = DatasetKwargs::from_keys(&mut keys)?;
        let description = match DocField::from_keys(&mut keys, "description")? {
            None => String::new(),
            Some(DocField::Text(text)) => text,
            Some(_) => return Err(keys.error("description", "expected a string")),
        };
        let process_results = hook_name(&mut keys, "process_results")?;
        let generation_kwargs = GenerationKwargs::from_keys(&mut keys)?;
        let fewshot_config = FewshotConfig::from_keys(&mut keys)?;
        let repeats = keys.unsigned("repeats")?.unwrap_or(1);
        let repeats = u32::try_from(repeats)
            .ok()
            .filter(|repeats| *repeats >= 1)
            .ok_or_else(|| keys.error("repeats", format!("must be at least 1, got {repeats}")))?;
        let should_decontaminate = keys.boolean("should_decontaminate")?.unwrap_or(false);
        let filter_list = keys.take("filter_list");
        let config = TaskConfig {
            generation_kwargs,
            fewshot_config,
            repeats,
            filter_list,
            process_results,
            should_decontaminate,
            task_alias: keys.string("task_alias")?,
            tags: keys.string_list("tag")?,
            dataset_path: keys.string("dataset_path")?,
            dataset_name: keys.string("dataset_name")?,
            dataset_kwargs,
            training_split: keys.string("training_split")?,
            validation_split: keys.string("validation_split")?,
            test_split: keys.string("test_split")?,
            fewshot_split: keys.string("fewshot_split")?,
            process_docs,
            doc_to_text: DocField::from_keys(&mut keys, "doc_to_text")?,
            doc_to_target: DocField::from_keys(&mut keys, "doc_to_target")?,
            doc_to_choice: DocField::from_keys(&mut keys, "doc_to_choice")?,
            description,
            target_delimiter: keys
                .string("target_delimiter")?
                .unwrap_or_else(|| " ".into()),
            fewshot_delimiter: keys
                .string("fewshot_delimiter")?
                .unwrap_or_else(|| "\n\n".into()),
            gen_prefix: keys.string("gen_prefix")?,
            num_fewshot: keys.unsigned("num_fewshot")?,
            output_type,
            metric_list,
            metadata: keys.take("metadata"),
            deferred: BTreeMap::new(),
            unknown: BTreeMap::new(),
            task,
        };
        let mut config = config;
        for (key, value) in std::mem::take(&mut keys.map) {
            if DEFERRED_KEYS.contains(&key.as_str()) {
                config.deferred.insert(key, value);
            } else {
                tracing::warn!(task = %config.task, origin = %origin, key = %key, "unknown task config key (kept, not used)");
                config.unknown.insert(key, value);
            }
        }
        Ok(config)
    }

    /// The split items are read from: `test_split` if set, else `validation_split`
    /// (lm-eval's `eval_docs`).
    pub fn eval_split(&self) -> Option<&str> {
        self.test_split
            .as_deref()
            .or(self.validation_split.as_deref())
    }
}

/// A hook key (`process_docs`, `process_results`): the full name of `!function module.name`.
fn hook_name(keys: &mut Keys<'_>, key: &str) -> Result<Option<String>, TaskError> {
    match keys.take(key) {
        None => Ok(None),
        Some(value) => match function_name(&value) {
            Some(name) => Ok(Some(name.to_string())),
            None => Err(keys.error(
                key,
                format!("expected `!function module.name`, got {value}"),
            )),
        },
    }
}

impl DatasetKwargs {
    /// The `dataset_kwargs` mapping (empty when it is absent), its `data_files` typed.
    fn from_keys(keys: &mut Keys<'_>) -> Result<DatasetKwargs, TaskError> {
        match keys.take("dataset_kwargs") {
            None => Ok(DatasetKwargs::default()),
            Some(Value::Object(mut map)) => {
                let data_files = match map.remove("data_files") {
                    None | Some(Value::Null) => BTreeMap::new(),
                    Some(value) => parse_data_files(value)
                        .map_err(|message| keys.error("dataset_kwargs.data_files", message))?,
                };
                Ok(DatasetKwargs {
                    data_files,
                    other: map,
                })
            }
            Some(other) => {
                Err(keys.error("dataset_kwargs", format!("expected a mapping, got {other}")))
            }
        }
    }
}

fn parse_data_files(value: Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let files = |value: Value| -> Result<Vec<String>, String> {
        match value {
            Value::String(one) => Ok(vec![one]),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(path) => Ok(path),
                    other => Err(format!("expected file paths, got {other}")),
                })
                .collect(),
            other => Err(format!(
                "expected a file path or a list of them, got {other}"
            )),
        }
    };
    match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(split, paths)| Ok((split, files(paths)?)))
            .collect(),
        // Hugging Face: a bare path or list means the `train` split.
        other => Ok(BTreeMap::from([("train".to_string(), files(other)?)])),
    }
}
