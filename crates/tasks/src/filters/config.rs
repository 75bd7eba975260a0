//! Reading `filter_list` from a task config: every pipeline and step checked, every pattern
//! compiled, errors naming the key path (`filter_list[1].filter[0].function`).

use serde_json::{Map, Value};

use super::{
    FilterConfigError, FilterPipeline, FilterStep, MapFilter, MultiChoiceRegexFilter, RegexFilter,
    DEFAULT_FALLBACK, DEFAULT_REGEX_PATTERN, KNOWN_FUNCTIONS,
};
use crate::python_regex::PythonRegex;

/// Parses the value of a task's `filter_list` (as the YAML loader gives it, with
/// `!function x` as `{"!function": "x"}`), compiling every pattern.
pub fn parse_filter_list(value: &Value) -> Result<Vec<FilterPipeline>, FilterConfigError> {
    let error = |path: String, message: String| FilterConfigError { path, message };
    let Value::Array(pipelines) = value else {
        return Err(error(
            "filter_list".into(),
            format!("expected a list of `{{name, filter}}` pipelines, got {value}"),
        ));
    };
    let mut parsed: Vec<FilterPipeline> = Vec::with_capacity(pipelines.len());
    for (index, pipeline) in pipelines.iter().enumerate() {
        let path = format!("filter_list[{index}]");
        let Value::Object(map) = pipeline else {
            return Err(error(
                path,
                format!("expected a mapping with `name` and `filter`, got {pipeline}"),
            ));
        };
        let name = match map.get("name") {
            Some(Value::String(name)) => name.clone(),
            Some(other) => {
                return Err(error(
                    format!("{path}.name"),
                    format!("expected a string, got {other}"),
                ))
            }
            None => return Err(error(format!("{path}.name"), "is missing".into())),
        };
        if parsed.iter().any(|earlier| earlier.name == name) {
            return Err(error(
                format!("{path}.name"),
                format!("pipeline `{name}` is defined twice"),
            ));
        }
        let steps = match map.get("filter") {
            Some(Value::Array(steps)) => steps,
            Some(other) => {
                return Err(error(
                    format!("{path}.filter"),
                    format!("expected a list of steps, got {other}"),
                ))
            }
            None => return Err(error(format!("{path}.filter"), "is missing".into())),
        };
        if let Some(key) = map
            .keys()
            .find(|key| !["name", "filter"].contains(&key.as_str()))
        {
            return Err(error(
                format!("{path}.{key}"),
                "unknown key (a pipeline has `name` and `filter`)".into(),
            ));
        }
        let steps = steps
            .iter()
            .enumerate()
            .map(|(step, value)| parse_step(value, &format!("{path}.filter[{step}]")))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.push(FilterPipeline { name, steps });
    }
    Ok(parsed)
}

/// The arguments of one step, taken out one by one so that leftovers can be reported.
struct Arguments<'a> {
    path: &'a str,
    map: Map<String, Value>,
}

impl Arguments<'_> {
    fn error(&self, key: &str, message: impl Into<String>) -> FilterConfigError {
        FilterConfigError {
            path: format!("{}.{key}", self.path),
            message: message.into(),
        }
    }

    fn string(&mut self, key: &str, default: &str) -> Result<String, FilterConfigError> {
        match self.map.remove(key) {
            None => Ok(default.to_string()),
            Some(Value::String(text)) => Ok(text),
            Some(other) => Err(self.error(key, format!("expected a string, got {other}"))),
        }
    }

    fn integer(&mut self, key: &str, default: i64) -> Result<i64, FilterConfigError> {
        match self.map.remove(key) {
            None => Ok(default),
            Some(value) => value
                .as_i64()
                .ok_or_else(|| self.error(key, format!("expected an integer, got {value}"))),
        }
    }

    fn boolean(&mut self, key: &str) -> Result<bool, FilterConfigError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(flag),
            Some(other) => Err(self.error(key, format!("expected true or false, got {other}"))),
        }
    }

    fn strings(&mut self, key: &str) -> Result<Vec<String>, FilterConfigError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(text) => Ok(text),
                    other => Err(self.error(
                        &format!("{key}[{index}]"),
                        format!("expected a string, got {other}"),
                    )),
                })
                .collect(),
            Some(other) => Err(self.error(key, format!("expected a list of strings, got {other}"))),
        }
    }

    /// Fails on the first argument nobody took.
    fn finish(self, function: &str, valid: &[&str]) -> Result<(), FilterConfigError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(self.error(
                key,
                format!(
                    "`{function}` takes no argument `{key}` (valid: {})",
                    if valid.is_empty() {
                        "none".to_string()
                    } else {
                        valid.join(", ")
                    }
                ),
            )),
        }
    }

    fn regex(&mut self, function: &str) -> Result<PythonRegex, FilterConfigError> {
        let pattern = self.string("regex_pattern", DEFAULT_REGEX_PATTERN)?;
        PythonRegex::new(&pattern).map_err(|message| {
            self.error(
                "regex_pattern",
                format!("`{function}` pattern `{pattern}` does not compile: {message}"),
            )
        })
    }
}

fn parse_step(value: &Value, path: &str) -> Result<FilterStep, FilterConfigError> {
    let Value::Object(map) = value else {
        return Err(FilterConfigError {
            path: path.to_string(),
            message: format!("expected a mapping with `function`, got {value}"),
        });
    };
    let mut arguments = Arguments {
        path,
        map: map.clone(),
    };
    let function = arguments.function()?;
    match function.as_str() {
        "regex" => arguments.regex_step(),
        "multi_choice_regex" => arguments.multi_choice_regex_step(),
        "remove_whitespace" | "lowercase" | "uppercase" | "take_first" | "majority_vote" => {
            arguments.finish(&function, &[])?;
            Ok(match function.as_str() {
                "remove_whitespace" => FilterStep::RemoveWhitespace,
                "lowercase" => FilterStep::Lowercase,
                "uppercase" => FilterStep::Uppercase,
                "take_first" => FilterStep::TakeFirst,
                _ => FilterStep::MajorityVote,
            })
        }
        "take_first_k" => arguments.take_first_k_step(),
        "map" => arguments.map_step(),
        "custom" => arguments.custom_step(),
        "regex_pos" | "format_span" => Err(arguments.error(
            "function",
            format!(
                "lm-eval's `{function}` filter is not implemented in yardstick; known functions: {}",
                KNOWN_FUNCTIONS.join(", ")
            ),
        )),
        other => Err(arguments.error(
            "function",
            format!(
                "unknown filter function `{other}`; known functions: {}",
                KNOWN_FUNCTIONS.join(", ")
            ),
        )),
    }
}

/// The steps with arguments, each read from the step's arguments.
impl Arguments<'_> {
    /// `custom`: only lm-eval humaneval's `filter_fn`s, which yardstick implements.
    fn custom_step(mut self) -> Result<FilterStep, FilterConfigError> {
        let filter_fn = self.map.remove("filter_fn");
        let name = filter_fn.as_ref().and_then(crate::loader::function_name);
        let step = match name {
            Some("utils.build_predictions") => FilterStep::BuildPredictions { instruct: false },
            Some("utils.build_predictions_instruct") => {
                FilterStep::BuildPredictions { instruct: true }
            }
            other => {
                return Err(self.error(
                    "filter_fn",
                    format!(
                        "a `custom` filter runs Python ({}); yardstick implements only humaneval's \
                         `!function utils.build_predictions` and `utils.build_predictions_instruct`",
                        other.unwrap_or("no `!function` given")
                    ),
                ))
            }
        };
        self.finish("custom", &[])?;
        Ok(step)
    }

    /// The step's `function`, a name (a `!function` names a Python filter, refused).
    fn function(&mut self) -> Result<String, FilterConfigError> {
        match self.map.remove("function") {
            Some(Value::String(name)) => Ok(name),
            Some(other) => {
                let message = match crate::loader::function_name(&other) {
                    Some(name) => format!(
                        "`!function {name}` names a Python filter, which yardstick cannot run; \
                         known functions: {}",
                        KNOWN_FUNCTIONS.join(", ")
                    ),
                    None => format!("expected a function name, got {other}"),
                };
                Err(self.error("function", message))
            }
            None => Err(self.error("function", "is missing")),
        }
    }

    fn regex_step(mut self) -> Result<FilterStep, FilterConfigError> {
        let regex = self.regex("regex")?;
        let step = FilterStep::Regex(RegexFilter {
            regex,
            group_select: self.integer("group_select", 0)?,
            fallback: self.string("fallback", DEFAULT_FALLBACK)?,
        });
        self.finish("regex", &["regex_pattern", "group_select", "fallback"])?;
        Ok(step)
    }

    fn multi_choice_regex_step(mut self) -> Result<FilterStep, FilterConfigError> {
        let regex = self.regex("multi_choice_regex")?;
        let group_select = self.integer("group_select", 0)?;
        let fallback = self.string("fallback", DEFAULT_FALLBACK)?;
        let ignore_case = self.boolean("ignore_case")?;
        let ignore_punctuation = self.boolean("ignore_punctuation")?;
        let mut ignored = Vec::new();
        for (index, pattern) in self.strings("regexes_to_ignore")?.into_iter().enumerate() {
            ignored.push(PythonRegex::new(&pattern).map_err(|message| {
                self.error(
                    &format!("regexes_to_ignore[{index}]"),
                    format!("pattern `{pattern}` does not compile: {message}"),
                )
            })?);
        }
        let filter = MultiChoiceRegexFilter::new(
            RegexFilter {
                regex,
                group_select,
                fallback,
            },
            ignore_case,
            ignore_punctuation,
            ignored,
        )
        .map_err(|message| self.error("function", message))?;
        self.finish(
            "multi_choice_regex",
            &[
                "regex_pattern",
                "group_select",
                "fallback",
                "ignore_case",
                "ignore_punctuation",
                "regexes_to_ignore",
            ],
        )?;
        Ok(FilterStep::MultiChoiceRegex(Box::new(filter)))
    }

    fn take_first_k_step(mut self) -> Result<FilterStep, FilterConfigError> {
        let k = match self.map.remove("k") {
            Some(value) => value
                .as_u64()
                .and_then(|k| usize::try_from(k).ok())
                .ok_or_else(|| {
                    self.error("k", format!("expected a non-negative integer, got {value}"))
                })?,
            None => return Err(self.error("k", "is missing (`take_first_k` needs `k`)")),
        };
        self.finish("take_first_k", &["k"])?;
        Ok(FilterStep::TakeFirstK { k })
    }

    fn map_step(mut self) -> Result<FilterStep, FilterConfigError> {
        let mapping = match self.map.remove("mapping_dict") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(mapping)) => mapping,
            Some(other) => {
                return Err(self.error("mapping_dict", format!("expected a mapping, got {other}")))
            }
        };
        let default_value = self.map.remove("default_value").unwrap_or(Value::Null);
        self.finish("map", &["mapping_dict", "default_value"])?;
        Ok(FilterStep::Map(MapFilter {
            mapping,
            default_value,
        }))
    }
}
