//! The parts of a task config that have a shape of their own: doc fields (`doc_to_text`,
//! `doc_to_target`, `doc_to_choice`), the `generation_kwargs` section and the
//! `fewshot_config` section, each read out of the config's [`Keys`].

use super::keys::Keys;
use crate::error::TaskError;
use crate::loader::function_name;
use serde_json::{Map, Value};

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

impl DocField {
    /// The doc field under `key`, `None` when the key is absent.
    pub(super) fn from_keys(keys: &mut Keys<'_>, key: &str) -> Result<Option<DocField>, TaskError> {
        let Some(value) = keys.take(key) else {
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
                .ok_or_else(|| keys.error(key, format!("expected an integer, got {number}"))),
            Value::Array(items) => Ok(Some(DocField::List(items))),
            // lm-eval: a dict's values are the choices.
            Value::Object(map) => Ok(Some(DocField::List(
                map.into_iter().map(|(_, v)| v).collect(),
            ))),
            other => Err(keys.error(
                key,
                format!("expected a string, a list or a number, got {other}"),
            )),
        }
    }
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

    /// The `generation_kwargs` section (defaults when it is absent).
    pub(super) fn from_keys(keys: &mut Keys<'_>) -> Result<GenerationKwargs, TaskError> {
        let Some(mut inner) = keys.section("generation_kwargs")? else {
            return Ok(GenerationKwargs::default());
        };
        let prefixed = Keys::in_section("generation_kwargs");
        let until = match inner.take("until") {
            None => None,
            Some(Value::String(one)) => Some(vec![one]),
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text),
                        other => Err(keys.error(
                            "generation_kwargs.until",
                            format!("expected strings, got {other}"),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(keys.error(
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

impl FewshotConfig {
    /// The `fewshot_config` section (defaults when it is absent); unknown keys are refused.
    pub(super) fn from_keys(keys: &mut Keys<'_>) -> Result<FewshotConfig, TaskError> {
        let Some(mut inner) = keys.section("fewshot_config")? else {
            return Ok(FewshotConfig::default());
        };
        let prefixed = Keys::in_section("fewshot_config");
        let sampler = inner.string("sampler").map_err(prefixed)?;
        if let Some(name) = &sampler {
            if !["default", "first_n"].contains(&name.as_str()) {
                return Err(keys.error(
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
                        other => Err(keys.error(
                            "fewshot_config.samples",
                            format!("element {index} is {other}, expected a mapping"),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => match function_name(&other) {
                Some(name) => {
                    return Err(keys.error(
                        "fewshot_config.samples",
                        format!("`!function {name}` names a Python function, which yardstick cannot run; list the samples in the YAML"),
                    ))
                }
                None => {
                    return Err(keys.error(
                        "fewshot_config.samples",
                        format!("expected a list of docs, got {other}"),
                    ))
                }
            },
        };
        let config = FewshotConfig {
            sampler,
            samples,
            doc_to_text: DocField::from_keys(&mut inner, "doc_to_text").map_err(prefixed)?,
            doc_to_target: DocField::from_keys(&mut inner, "doc_to_target").map_err(prefixed)?,
            doc_to_choice: DocField::from_keys(&mut inner, "doc_to_choice").map_err(prefixed)?,
            gen_prefix: inner.string("gen_prefix").map_err(prefixed)?,
            target_delimiter: inner.string("target_delimiter").map_err(prefixed)?,
            fewshot_delimiter: inner.string("fewshot_delimiter").map_err(prefixed)?,
        };
        if let Some(key) = inner.map.keys().next() {
            return Err(keys.error(
                &format!("fewshot_config.{key}"),
                "is not supported (valid keys: sampler, samples, doc_to_text, doc_to_target, doc_to_choice, gen_prefix, target_delimiter, fewshot_delimiter)",
            ));
        }
        Ok(config)
    }
}
