//! lm-eval 0.4 task configs: the typed form of one task YAML after `include`s are merged.
//!
//! Keys yardstick interprets are typed fields. Keys lm-eval defines that yardstick does not
//! interpret yet are kept in [`TaskConfig::deferred`] (and refused where they would change
//! results, see [`crate::TaskDefinition::check_supported`]). Keys lm-eval does not know are
//! kept in [`TaskConfig::unknown`] and logged as a warning.

use crate::error::TaskError;
use crate::loader::{function_name, Origin};
use crate::metrics::MetricConfig;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

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

impl OutputType {
    pub const ALL: [OutputType; 4] = [
        OutputType::MultipleChoice,
        OutputType::Loglikelihood,
        OutputType::LoglikelihoodRolling,
        OutputType::GenerateUntil,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::MultipleChoice => "multiple_choice",
            OutputType::Loglikelihood => "loglikelihood",
            OutputType::LoglikelihoodRolling => "loglikelihood_rolling",
            OutputType::GenerateUntil => "generate_until",
        }
    }

    /// Whether yardstick can run tasks of this type.
    pub fn is_supported(self) -> bool {
        true
    }
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutputType {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OutputType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                let valid: Vec<&str> = OutputType::ALL.iter().map(|kind| kind.as_str()).collect();
                format!(
                    "unknown output_type `{text}`; valid values: {}",
                    valid.join(", ")
                )
            })
    }
}

/// How `doc_to_text`, `doc_to_target`, `doc_to_choice` (and `description`, `gen_prefix`)
/// turn a doc into text, lm-eval's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum DocField {
    /// A string: the value of the doc's field if the doc has a key by this name, otherwise a
    /// Jinja template rendered with the doc's fields (decided per doc, as lm-eval does).
    Text(String),
    /// A fixed integer (e.g. `doc_to_target: 0`).
    Integer(i64),
    /// A fixed list (e.g. `doc_to_choice: ["no", "yes"]`; a YAML mapping gives its values).
    List(Vec<Value>),
    /// `!function module.name`: a hook (only `yardstick.*` hooks can exist).
    Function(String),
}

/// `dataset_kwargs`: yardstick reads `data_files` (split name -> file or files, relative to
/// the data directory); the other keys are kept for the hash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetKwargs {
    pub data_files: BTreeMap<String, Vec<String>>,
    pub other: Map<String, Value>,
}

/// `generation_kwargs` of a `generate_until` task (lm-eval passes them to the model).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GenerationKwargs {
    /// Stop sequences; `None`: lm-eval's default, the task's `fewshot_delimiter`.
    pub until: Option<Vec<String>>,
    /// Most tokens to generate (lm-eval's default: 256).
    pub max_gen_toks: Option<u32>,
    pub do_sample: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    /// Other keys (kept for the hash, not interpreted).
    pub other: Map<String, Value>,
}

impl GenerationKwargs {
    /// lm-eval's default `max_gen_toks`.
    pub const DEFAULT_MAX_GEN_TOKS: u32 = 256;

    /// Whether the config asks for sampling (`do_sample: true` with a temperature above 0).
    pub fn samples(&self) -> bool {
        self.do_sample && self.temperature.unwrap_or(1.0) > 0.0
    }
}

/// `fewshot_config`: where few-shot examples come from and how they are formatted (lm-eval's
/// `FewshotConfig`; unset fields fall back to the task's own).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FewshotConfig {
    /// `default` (seeded random sample) or `first_n`.
    pub sampler: Option<String>,
    /// Fixed few-shot docs given in the YAML (`samples: [...]`).
    pub samples: Option<Vec<Map<String, Value>>>,
    pub doc_to_text: Option<DocField>,
    pub doc_to_target: Option<DocField>,
    pub doc_to_choice: Option<DocField>,
    pub gen_prefix: Option<String>,
    pub target_delimiter: Option<String>,
    pub fewshot_delimiter: Option<String>,
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

/// Reads typed values out of a config map, naming the file and key in errors.
pub(crate) struct Keys<'a> {
    pub origin: &'a Origin,
    pub map: Map<String, Value>,
    /// `task X` / `group X` once the name is known, to say which config in errors.
    pub label: Option<String>,
}

impl<'a> Keys<'a> {
    pub fn error(&self, key: &str, message: impl Into<String>) -> TaskError {
        let origin = match &self.label {
            Some(label) => format!("{label} ({})", self.origin),
            None => self.origin.to_string(),
        };
        TaskError::Config {
            origin,
            key: key.to_string(),
            message: message.into(),
        }
    }

    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|value| !value.is_null())
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, TaskError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            // PyYAML would hand a number to lm-eval, which then formats it; be as lenient.
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(other) => Err(self.error(key, format!("expected a string, got {other}"))),
        }
    }

    pub fn required_string(&mut self, key: &str) -> Result<String, TaskError> {
        self.string(key)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    pub fn string_list(&mut self, key: &str) -> Result<Vec<String>, TaskError> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::String(one)) => Ok(vec![one]),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    other => Err(self.error(key, format!("expected strings, got {other}"))),
                })
                .collect(),
            Some(other) => {
                Err(self.error(key, format!("expected a string or a list, got {other}")))
            }
        }
    }

    pub fn unsigned(&mut self, key: &str) -> Result<Option<u64>, TaskError> {
        match self.take(key) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                self.error(key, format!("expected a non-negative integer, got {value}"))
            }),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Result<Option<bool>, TaskError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(flag)),
            Some(other) => Err(self.error(key, format!("expected true or false, got {other}"))),
        }
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, TaskError> {
        match self.take(key) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.error(key, format!("expected a number, got {value}"))),
        }
    }

    /// The mapping under `key` (a section such as `generation_kwargs`) as its own `Keys`,
    /// `None` when the key is absent; map the section's errors with [`Keys::in_section`].
    fn section(&mut self, key: &str) -> Result<Option<Keys<'a>>, TaskError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let Value::Object(map) = value else {
            return Err(self.error(key, format!("expected a mapping, got {value}")));
        };
        Ok(Some(Keys {
            origin: self.origin,
            map,
            label: self.label.clone(),
        }))
    }

    /// Puts `section.` before the key of an error raised by a section's `Keys`, so that it
    /// names the key as written in the file (`generation_kwargs.top_k`).
    fn in_section(section: &str) -> impl Fn(TaskError) -> TaskError + Copy + '_ {
        move |error| match error {
            TaskError::Config {
                origin,
                key,
                message,
            } => TaskError::Config {
                origin,
                key: format!("{section}.{key}"),
                message,
            },
            other => other,
        }
    }

    fn generation_kwargs(&mut self) -> Result<GenerationKwargs, TaskError> {
        let Some(mut inner) = self.section("generation_kwargs")? else {
            return Ok(GenerationKwargs::default());
        };
        let prefixed = Self::in_section("generation_kwargs");
        let until = match inner.take("until") {
            None => None,
            Some(Value::String(one)) => Some(vec![one]),
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text),
                        other => Err(self.error(
                            "generation_kwargs.until",
                            format!("expected strings, got {other}"),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(self.error(
                    "generation_kwargs.until",
                    format!("expected a string or a list of strings, got {other}"),
                ))
            }
        };
        let max_gen_toks = inner
            .unsigned("max_gen_toks")
            .map_err(prefixed)?
            .map(|tokens| u32::try_from(tokens).unwrap_or(u32::MAX));
        let do_sample = inner
            .boolean("do_sample")
            .map_err(prefixed)?
            .unwrap_or(false);
        let temperature = inner.number("temperature").map_err(prefixed)?;
        let top_p = inner.number("top_p").map_err(prefixed)?;
        let top_k = inner
            .unsigned("top_k")
            .map_err(prefixed)?
            .map(|k| u32::try_from(k).unwrap_or(u32::MAX));
        Ok(GenerationKwargs {
            until,
            max_gen_toks,
            do_sample,
            temperature,
            top_p,
            top_k,
            other: inner.map,
        })
    }

    fn fewshot_config(&mut self) -> Result<FewshotConfig, TaskError> {
        let Some(mut inner) = self.section("fewshot_config")? else {
            return Ok(FewshotConfig::default());
        };
        let prefixed = Self::in_section("fewshot_config");
        let sampler = inner.string("sampler").map_err(prefixed)?;
        if let Some(name) = &sampler {
            if !["default", "first_n"].contains(&name.as_str()) {
                return Err(self.error(
                    "fewshot_config.sampler",
                    format!("unknown sampler `{name}`; valid values: default, first_n"),
                ));
            }
        }
        let samples = match inner.take("samples") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| match item {
                        Value::Object(doc) => Ok(doc),
                        other => Err(self.error(
                            "fewshot_config.samples",
                            format!("element {index} is {other}, expected a mapping"),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => match function_name(&other) {
                Some(name) => {
                    return Err(self.error(
                        "fewshot_config.samples",
                        format!("`!function {name}` names a Python function, which yardstick cannot run; list the samples in the YAML"),
                    ))
                }
                None => {
                    return Err(self.error(
                        "fewshot_config.samples",
                        format!("expected a list of docs, got {other}"),
                    ))
                }
            },
        };
        let config = FewshotConfig {
            sampler,
            samples,
            doc_to_text: inner.doc_field("doc_to_text").map_err(prefixed)?,
            doc_to_target: inner.doc_field("doc_to_target").map_err(prefixed)?,
            doc_to_choice: inner.doc_field("doc_to_choice").map_err(prefixed)?,
            gen_prefix: inner.string("gen_prefix").map_err(prefixed)?,
            target_delimiter: inner.string("target_delimiter").map_err(prefixed)?,
            fewshot_delimiter: inner.string("fewshot_delimiter").map_err(prefixed)?,
        };
        if let Some(key) = inner.map.keys().next() {
            return Err(self.error(
                &format!("fewshot_config.{key}"),
                "is not supported (valid keys: sampler, samples, doc_to_text, doc_to_target, doc_to_choice, gen_prefix, target_delimiter, fewshot_delimiter)",
            ));
        }
        Ok(config)
    }

    fn doc_field(&mut self, key: &str) -> Result<Option<DocField>, TaskError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        if let Some(name) = function_name(&value) {
            return Ok(Some(DocField::Function(name.to_string())));
        }
        match value {
            Value::String(text) => Ok(Some(DocField::Text(text))),
            Value::Number(number) => number
                .as_i64()
                .map(|integer| Some(DocField::Integer(integer)))
                .ok_or_else(|| self.error(key, format!("expected an integer, got {number}"))),
            Value::Array(items) => Ok(Some(DocField::List(items))),
            // lm-eval: a dict's values are the choices.
            Value::Object(map) => Ok(Some(DocField::List(
                map.into_iter().map(|(_, v)| v).collect(),
            ))),
            other => Err(self.error(
                key,
                format!("expected a string, a list or a number, got {other}"),
            )),
        }
    }
}

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
            Some(text) => text
                .parse()
                .map_err(|message: String| keys.error("output_type", message))?,
        };
        let process_docs = match keys.take("process_docs") {
            None => None,
            Some(value) => match function_name(&value) {
                Some(name) => Some(name.to_string()),
                None => {
                    return Err(keys.error(
                        "process_docs",
                        format!("expected `!function module.name`, got {value}"),
                    ))
                }
            },
        };
        let metric_list = match keys.take("metric_list") {
            None => None,
            Some(Value::Array(entries)) => Some(
                entries
                    .into_iter()
                    .map(|entry| MetricConfig::from_value(entry, &keys))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(keys.error("metric_list", format!("expected a list, got {other}")))
            }
        };
        let dataset_kwargs = match keys.take("dataset_kwargs") {
            None => DatasetKwargs::default(),
            Some(Value::Object(mut map)) => {
                let data_files = match map.remove("data_files") {
                    None | Some(Value::Null) => BTreeMap::new(),
                    Some(value) => parse_data_files(value)
                        .map_err(|message| keys.error("dataset_kwargs.data_files", message))?,
                };
                DatasetKwargs {
                    data_files,
                    other: map,
                }
            }
            Some(other) => {
                return Err(keys.error("dataset_kwargs", format!("expected a mapping, got {other}")))
            }
        };
        let description = match keys.doc_field("description")? {
            None => String::new(),
            Some(DocField::Text(text)) => text,
            Some(_) => return Err(keys.error("description", "expected a string")),
        };
        let process_results = match keys.take("process_results") {
            None => None,
            Some(value) => match function_name(&value) {
                Some(name) => Some(name.to_string()),
                None => {
                    return Err(keys.error(
                        "process_results",
                        format!("expected `!function module.name`, got {value}"),
                    ))
                }
            },
        };
        let generation_kwargs = keys.generation_kwargs()?;
        let fewshot_config = keys.fewshot_config()?;
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
            doc_to_text: keys.doc_field("doc_to_text")?,
            doc_to_target: keys.doc_field("doc_to_target")?,
            doc_to_choice: keys.doc_field("doc_to_choice")?,
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
