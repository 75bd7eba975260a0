//! lm-eval's `filter_list`: named pipelines that turn the K responses of one doc (K =
//! `repeats`) into what the metrics score, as lm-eval 0.4.13's `FilterEnsemble` does.
//!
//! ```yaml
//! filter_list:
//!   - name: strict-match
//!     filter:
//!       - function: regex
//!         regex_pattern: "#### (\\-?[0-9\\.\\,]+)"
//!       - function: take_first
//!   - name: maj@8
//!     filter:
//!       - function: regex
//!         regex_pattern: "The answer is (\\-?[0-9\\.\\,]+)."
//!       - function: majority_vote
//!       - function: take_first
//! ```
//!
//! The steps are lm-eval's filters with the same names and arguments: `regex`,
//! `multi_choice_regex`, `remove_whitespace`, `lowercase`, `uppercase`, `map`, `take_first`,
//! `take_first_k` and `majority_vote`. A task without `filter_list` has one pipeline, `none`,
//! that is `take_first` ([`FilterPipeline::default_none`]).
//!
//! A pipeline works on Python-like values ([`serde_json::Value`]): it starts from the list of
//! responses, most steps map over that list, `take_first` takes its first element (so a
//! pipeline ending in `take_first` yields one string). Everything Python would do with the
//! value is reproduced, down to oddities such as `take_first` on a string taking its first
//! character; where Python raises (an index out of range, `lowercase` on a number) the step
//! returns a [`FilterApplyError`].
//!
//! Regex patterns are Python `re` patterns, compiled once when the list is parsed (with
//! `fancy-regex`, so lookaround and backreferences work); see [`crate::python_regex`] for how the
//! two dialects are reconciled. Python-only filters (`custom`, `!function module.Class`)
//! cannot run and are refused with the list of the filters that exist.

mod config;
mod multi_choice;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use crate::python_regex::RegexRunError;
use crate::python_regex::{Found, PythonRegex};
pub use config::parse_filter_list;
pub use multi_choice::MultiChoiceRegexFilter;

/// The filter functions yardstick implements (lm-eval's names).
pub const KNOWN_FUNCTIONS: &[&str] = &[
    "regex",
    "multi_choice_regex",
    "remove_whitespace",
    "lowercase",
    "uppercase",
    "map",
    "take_first",
    "take_first_k",
    "majority_vote",
    "custom (utils.build_predictions, utils.build_predictions_instruct)",
];

/// lm-eval's default `regex_pattern` (GSM8K's `#### <number>`).
pub const DEFAULT_REGEX_PATTERN: &str = r"#### (\-?[0-9\.\,]+)";

/// lm-eval's default `fallback` for a response the regex does not match.
pub const DEFAULT_FALLBACK: &str = "[invalid]";

/// A `filter_list` that cannot be used: where (`filter_list[1].filter[0].function`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}`: {message}")]
pub struct FilterConfigError {
    /// The key path inside the task config, e.g. `filter_list[1].filter[0].regex_pattern`.
    pub path: String,
    pub message: String,
}

/// A step that failed on a response where lm-eval would have raised (so the run would have
/// stopped there too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter pipeline `{pipeline}`, step {step} (`{function}`): {message}")]
pub struct FilterApplyError {
    pub pipeline: String,
    /// 0-based index of the step in the pipeline.
    pub step: usize,
    pub function: &'static str,
    pub message: String,
}

/// One named pipeline of `filter_list`.
#[derive(Debug, Clone)]
pub struct FilterPipeline {
    /// The name metrics are reported under (`strict-match`, `flexible-extract`, `none`).
    pub name: String,
    pub steps: Vec<FilterStep>,
}

/// One step of a pipeline (an lm-eval filter with its arguments).
#[derive(Debug, Clone)]
pub enum FilterStep {
    /// `regex`: extract with a pattern from every response.
    Regex(RegexFilter),
    /// `multi_choice_regex`: `regex`, then the doc's `choices`, then `: A`-style letters.
    MultiChoiceRegex(Box<MultiChoiceRegexFilter>),
    /// `remove_whitespace`: Python's `str.strip()` on every response (both ends).
    RemoveWhitespace,
    /// `lowercase`: Python's `str.lower()` on every response.
    Lowercase,
    /// `uppercase`: Python's `str.upper()` on every response.
    Uppercase,
    /// `map`: look every response up in `mapping_dict`.
    Map(MapFilter),
    /// `take_first`: the first element (the value itself, no longer a list).
    TakeFirst,
    /// `take_first_k`: the first `k` elements (still a list).
    TakeFirstK { k: usize },
    /// `majority_vote`: a one-element list with the most frequent element (ties: the one
    /// seen first, as `Counter.most_common(1)`).
    MajorityVote,
    /// `custom` with lm-eval humaneval's `utils.build_predictions`: the doc's `prompt`
    /// before every response (the completed function a code metric runs); with
    /// `utils.build_predictions_instruct`, each response first cut at its first ```` ``` ````.
    BuildPredictions { instruct: bool },
}

/// `regex` arguments, with the pattern compiled.
#[derive(Debug, Clone)]
pub struct RegexFilter {
    regex: PythonRegex,
    /// Which `findall` match to keep; negative counts from the end, as a Python index.
    pub group_select: i64,
    /// What a response without any match becomes.
    pub fallback: String,
}

/// `map` arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFilter {
    /// Response text to value. (YAML keys are strings here; lm-eval's Python dict could
    /// also have integer keys, which only matter after a previous `map` made numbers.)
    pub mapping: Map<String, Value>,
    /// What a response missing from `mapping` becomes (`null` by default).
    pub default_value: Value,
}

/// What a pipeline leaves for one doc.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOutput {
    /// One string: pipelines ending in `take_first` (what `exact_match` compares).
    Text(String),
    /// A list: pipelines ending in `take_first_k` or in a per-response step.
    List(Vec<Value>),
    /// Anything else, e.g. the number a `map` step produced.
    Other(Value),
}

impl FilterOutput {
    fn from_value(value: Value) -> Self {
        match value {
            Value::String(text) => FilterOutput::Text(text),
            Value::Array(items) => FilterOutput::List(items),
            other => FilterOutput::Other(other),
        }
    }

    /// The string, for a pipeline that yields one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FilterOutput::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The output as a JSON value (a string, a list, ...).
    pub fn to_value(&self) -> Value {
        match self {
            FilterOutput::Text(text) => Value::String(text.clone()),
            FilterOutput::List(items) => Value::Array(items.clone()),
            FilterOutput::Other(value) => value.clone(),
        }
    }
}

impl RegexFilter {
    /// A `regex` step; the error is the compiler's message for `pattern`.
    pub fn new(pattern: &str, group_select: i64, fallback: &str) -> Result<Self, String> {
        Ok(Self {
            regex: PythonRegex::new(pattern)?,
            group_select,
            fallback: fallback.to_string(),
        })
    }

    /// The pattern as written (Python syntax).
    pub fn pattern(&self) -> &str {
        self.regex.pattern()
    }

    /// lm-eval's `RegexFilter.filter_set` for one response.
    fn extract(&self, response: &str) -> Result<String, String> {
        let found = self.regex.findall(response).map_err(|e| e.to_string())?;
        if found.is_empty() {
            return Ok(self.fallback.clone());
        }
        let chosen = python_index(&found, self.group_select)
            .ok_or_else(|| index_error(self.group_select, found.len(), "matches"))?;
        let text = match chosen {
            Found::Text(text) => text.as_str(),
            Found::Groups(groups) => groups
                .iter()
                .find(|group| !group.is_empty())
                .map_or(self.fallback.as_str(), String::as_str),
        };
        Ok(crate::python::strip(text).to_string())
    }
}

/// `items[index]` with Python's negative indices.
pub(crate) fn python_index<T>(items: &[T], index: i64) -> Option<&T> {
    let length = i64::try_from(items.len()).ok()?;
    let index = if index < 0 { index + length } else { index };
    usize::try_from(index)
        .ok()
        .and_then(|index| items.get(index))
}

pub(crate) fn index_error(index: i64, length: usize, what: &str) -> String {
    format!("group_select {index} is out of range for {length} {what} (Python raises IndexError)")
}

impl FilterStep {
    /// The lm-eval function name of the step.
    pub fn function(&self) -> &'static str {
        match self {
            FilterStep::Regex(_) => "regex",
            FilterStep::MultiChoiceRegex(_) => "multi_choice_regex",
            FilterStep::RemoveWhitespace => "remove_whitespace",
            FilterStep::Lowercase => "lowercase",
            FilterStep::Uppercase => "uppercase",
            FilterStep::Map(_) => "map",
            FilterStep::TakeFirst => "take_first",
            FilterStep::TakeFirstK { .. } => "take_first_k",
            FilterStep::MajorityVote => "majority_vote",
            FilterStep::BuildPredictions { .. } => "custom",
        }
    }

    /// Runs the step on one doc's value; the error message is what went wrong.
    fn apply(&self, value: Value, doc: Option<&Value>) -> Result<Value, String> {
        match self {
            FilterStep::BuildPredictions { instruct } => {
                let prompt = doc
                    .and_then(|doc| doc.get("prompt"))
                    .and_then(Value::as_str)
                    .ok_or("the doc has no `prompt` string (KeyError)")?;
                map_items(&value, |item| {
                    let response = expect_str(item, "__add__")?;
                    let response = match (instruct, response.find("```")) {
                        (true, Some(at)) => &response[..at],
                        _ => response,
                    };
                    Ok(Value::String(format!("{prompt}{response}")))
                })
            }
            FilterStep::Regex(filter) => map_items(&value, |item| {
                let text = item.as_str().unwrap_or_default();
                filter.extract(text).map(Value::String)
            }),
            FilterStep::MultiChoiceRegex(filter) => filter.apply(&value, doc),
            FilterStep::RemoveWhitespace => map_items(&value, |item| {
                Ok(Value::String(
                    crate::python::strip(expect_str(item, "strip")?).to_string(),
                ))
            }),
            FilterStep::Lowercase => map_items(&value, |item| {
                Ok(Value::String(expect_str(item, "lower")?.to_lowercase()))
            }),
            FilterStep::Uppercase => map_items(&value, |item| {
                Ok(Value::String(expect_str(item, "upper")?.to_uppercase()))
            }),
            FilterStep::Map(filter) => map_items(&value, |item| {
                Ok(item
                    .as_str()
                    .and_then(|key| filter.mapping.get(key))
                    .unwrap_or(&filter.default_value)
                    .clone())
            }),
            FilterStep::TakeFirst => match &value {
                Value::Array(items) => items
                    .first()
                    .cloned()
                    .ok_or_else(|| "no responses to take the first of (IndexError)".to_string()),
                Value::String(text) => text
                    .chars()
                    .next()
                    .map(|c| Value::String(c.to_string()))
                    .ok_or_else(|| "empty string has no first element (IndexError)".to_string()),
                other => Err(format!("cannot index {} (TypeError)", type_name(other))),
            },
            FilterStep::TakeFirstK { k } => {
                let items = python_items(&value)?;
                if items.len() < *k {
                    return Err(format!(
                        "need at least {k} responses per doc to take the first {k}, got {}; \
                         increase `repeats`",
                        items.len()
                    ));
                }
                Ok(match value {
                    Value::String(text) => Value::String(text.chars().take(*k).collect()),
                    _ => Value::Array(items.into_iter().take(*k).collect()),
                })
            }
            FilterStep::MajorityVote => {
                let items = python_items(&value)?;
                let mut counts: Vec<(&Value, usize)> = Vec::new();
                for item in &items {
                    match counts.iter_mut().find(|(seen, _)| *seen == item) {
                        Some((_, count)) => *count += 1,
                        None => counts.push((item, 1)),
                    }
                }
                // `max` keeps the first of equal counts; Iterator::max_by_key keeps the last.
                let mut best: Option<(&Value, usize)> = None;
                for (item, count) in counts {
                    if best.is_none_or(|(_, best_count)| count > best_count) {
                        best = Some((item, count));
                    }
                }
                let (vote, _) =
                    best.ok_or_else(|| "no responses to vote on (IndexError)".to_string())?;
                Ok(Value::Array(vec![vote.clone()]))
            }
        }
    }
}

/// Iterates a value as Python would: a list's elements, a string's characters.
fn python_items(value: &Value) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        Value::String(text) => Ok(text.chars().map(|c| Value::String(c.into())).collect()),
        other => Err(format!("{} is not iterable (TypeError)", type_name(other))),
    }
}

/// `[f(item) for item in value]`.
fn map_items(
    value: &Value,
    mut f: impl FnMut(&Value) -> Result<Value, String>,
) -> Result<Value, String> {
    python_items(value)?
        .iter()
        .map(&mut f)
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn expect_str<'a>(item: &'a Value, method: &str) -> Result<&'a str, String> {
    item.as_str().ok_or_else(|| {
        format!(
            "{} has no method `{method}` (AttributeError); the step needs strings",
            type_name(item)
        )
    })
}

/// Python's type name for a JSON value, for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "None",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

impl FilterPipeline {
    /// The name of lm-eval's default pipeline.
    pub const NONE: &'static str = "none";

    /// lm-eval's pipeline for tasks without `filter_list`: `none`, which is `take_first`.
    pub fn default_none() -> Self {
        Self {
            name: Self::NONE.to_string(),
            steps: vec![FilterStep::TakeFirst],
        }
    }

    /// The name metrics are reported under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The one answer the pipeline extracts from the responses to a doc (pipelines ending
    /// in `take_first`). `multi_choice_regex` needs the doc: use
    /// [`FilterPipeline::apply_with_doc`]; pipelines yielding a list or a number: use
    /// [`FilterPipeline::run`].
    pub fn apply(&self, responses: &[String]) -> Result<String, FilterApplyError> {
        self.apply_with_doc(responses, None)
    }

    /// [`FilterPipeline::apply`] with the doc (the dataset record, as lm-eval passes it to
    /// its filters).
    pub fn apply_with_doc(
        &self,
        responses: &[String],
        doc: Option<&Value>,
    ) -> Result<String, FilterApplyError> {
        match self.run(responses, doc)? {
            FilterOutput::Text(text) => Ok(text),
            other => Err(FilterApplyError {
                pipeline: self.name.clone(),
                step: self.steps.len().saturating_sub(1),
                function: self.steps.last().map_or("none", FilterStep::function),
                message: format!(
                    "the pipeline yields {} ({}), not one answer string",
                    type_name(&other.to_value()),
                    other.to_value()
                ),
            }),
        }
    }

    /// Runs the pipeline on the responses to one doc and returns whatever it yields.
    pub fn run(
        &self,
        responses: &[String],
        doc: Option<&Value>,
    ) -> Result<FilterOutput, FilterApplyError> {
        let mut value = Value::Array(responses.iter().cloned().map(Value::String).collect());
        for (index, step) in self.steps.iter().enumerate() {
            value = step.apply(value, doc).map_err(|message| FilterApplyError {
                pipeline: self.name.clone(),
                step: index,
                function: step.function(),
                message,
            })?;
        }
        Ok(FilterOutput::from_value(value))
    }
}
