//! Turning a doc into prompt text with lm-eval's rules, using minijinja configured to behave
//! like the Jinja2 environment lm-eval renders with (`StrictUndefined`,
//! `keep_trailing_newline=True`, values printed with Python's `str()`, Python's string and
//! list methods such as `.strip()` and `.index()`).
//!
//! lm-eval's rules, per field (`doc_to_text`, `doc_to_target`, `doc_to_choice`):
//! - a string that is a key of the doc means that field's value, as it is;
//! - a YAML list is a literal list, a YAML integer a literal index;
//! - any other string is a template. lm-eval renders it and then, for `doc_to_choice`
//!   (always) and `doc_to_target` (when it looks like `[...]`), parses the text as a Python
//!   literal; a rendered text of digits is an index. A template that is exactly one
//!   `{{ expression }}` is evaluated to a value here instead, which is what the Python
//!   round trip (`str()` then `ast.literal_eval`) gives back.

use crate::config::DocField;
use crate::python;
use minijinja::value::{from_args, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde_json::{Map, Value as Json};

/// A doc as both JSON (to look keys up) and a template value (to render with).
pub(crate) struct Doc {
    pub fields: Map<String, Json>,
    pub value: Value,
}

impl Doc {
    pub fn new(fields: Map<String, Json>) -> Doc {
        let value = Value::from_serialize(&fields);
        Doc { fields, value }
    }
}

/// What `doc_to_text` gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TextValue {
    Text(String),
    /// An index into the choices (lm-eval's "multiple input" tasks, e.g. Winogrande).
    Index(i64),
}

/// What `doc_to_target` gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TargetValue {
    Index(i64),
    Text(String),
    /// Several acceptable targets (lm-eval's "multiple target" tasks).
    List(Vec<Value>),
}

/// Global names minijinja provides, which are not doc fields.
const TEMPLATE_GLOBALS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "lipsum",
    "cycler",
    "joiner",
];

pub(crate) struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    pub fn new() -> Renderer {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_unknown_method_callback(python_methods);
        env.set_formatter(|out, _state, value| {
            let text = python::to_str(value);
            out.write_str(&text).map_err(Error::from)
        });
        Renderer { env }
    }

    /// Checks that `source` compiles as a template (for validating configs).
    pub fn check_syntax(&self, source: &str) -> Result<(), String> {
        self.env
            .template_from_str(source)
            .map(|_| ())
            .map_err(|error| describe(&error))
    }

    /// Renders `source` with the doc's fields.
    pub fn render(&self, source: &str, doc: &Doc) -> Result<String, String> {
        let template = self
            .env
            .template_from_str(source)
            .map_err(|error| describe(&error))?;
        // Strict undefined (as lm-eval's Jinja2): only a field that is used but missing is an
        // error (`x is defined` tests and untaken branches are fine); name it when it is.
        template.render(&doc.value).map_err(|error| {
            missing_fields(template.undeclared_variables(false), doc)
                .err()
                .unwrap_or_else(|| describe(&error))
        })
    }

    /// A template that is one `{{ expression }}`, evaluated to a value; other templates are
    /// rendered to a string value.
    pub fn evaluate(&self, source: &str, doc: &Doc) -> Result<Evaluated, String> {
        if let Some(expression) = single_expression(source) {
            let compiled = self
                .env
                .compile_expression(expression)
                .map_err(|error| describe(&error))?;
            let value = compiled.eval(&doc.value).map_err(|error| {
                missing_fields(compiled.undeclared_variables(false), doc)
                    .err()
                    .unwrap_or_else(|| describe(&error))
            })?;
            return Ok(Evaluated::Value(value));
        }
        self.render(source, doc).map(Evaluated::Rendered)
    }

    /// lm-eval's `resolve_field`, used for `description` and `gen_prefix`: the doc's field
    /// when it is a key of the doc, otherwise a template.
    pub fn resolve_field(&self, field: &str, doc: &Doc) -> Result<String, String> {
        match doc.fields.get(field) {
            Some(value) => Ok(python::to_str(&Value::from_serialize(value))),
            None => self.render(field, doc),
        }
    }

    pub fn doc_to_text(
        &self,
        field: &DocField,
        doc: &Doc,
        has_choices: bool,
    ) -> Result<TextValue, String> {
        match field {
            DocField::Text(source) => match doc.fields.get(source) {
                Some(Json::String(text)) => Ok(TextValue::Text(text.clone())),
                Some(Json::Number(number)) => {
                    number.as_i64().map(TextValue::Index).ok_or_else(|| {
                        format!("field `{source}` is {number}, not a string or an index")
                    })
                }
                Some(other) => Err(format!("field `{source}` is {other}, not a string")),
                None => {
                    let text = self.render(source, doc)?;
                    if has_choices && python::is_ascii_digits(&text) {
                        return parse_index(&text).map(TextValue::Index);
                    }
                    Ok(TextValue::Text(text))
                }
            },
            DocField::Integer(index) => Ok(TextValue::Index(*index)),
            DocField::List(_) => Err("a list cannot be a prompt text".into()),
            DocField::Function(name) => Err(format!("`!function {name}` cannot be run")),
        }
    }

    pub fn doc_to_target(
        &self,
        field: &DocField,
        doc: &Doc,
        has_choices: bool,
    ) -> Result<TargetValue, String> {
        match field {
            DocField::Text(source) => match doc.fields.get(source) {
                Some(value) => raw_target(value, source),
                None => match self.evaluate(source, doc)? {
                    Evaluated::Value(value) => match value.kind() {
                        ValueKind::Number if value.is_integer() => value
                            .as_i64()
                            .map(TargetValue::Index)
                            .ok_or_else(|| format!("target {value} is out of range")),
                        ValueKind::Seq => Ok(TargetValue::List(
                            value.try_iter().map_err(|e| describe(&e))?.collect(),
                        )),
                        _ => rendered_target(python::to_str(&value), has_choices),
                    },
                    Evaluated::Rendered(text) => rendered_target(text, has_choices),
                },
            },
            DocField::Integer(index) => Ok(TargetValue::Index(*index)),
            DocField::List(items) => Ok(TargetValue::List(
                items.iter().map(Value::from_serialize).collect(),
            )),
            DocField::Function(name) => Err(format!("`!function {name}` cannot be run")),
        }
    }

    pub fn doc_to_choice(&self, field: &DocField, doc: &Doc) -> Result<Vec<String>, String> {
        let value = match field {
            DocField::Text(source) => match doc.fields.get(source) {
                Some(value) => Value::from_serialize(value),
                None => match self.evaluate(source, doc)? {
                    Evaluated::Value(value) => value,
                    Evaluated::Rendered(text) => python::literal_eval(&text).map_err(|error| {
                        format!("the rendered choices `{text}` are not a Python list: {error}")
                    })?,
                },
            },
            DocField::List(items) => Value::from_serialize(items),
            DocField::Integer(_) => return Err("choices must be a list, not a number".into()),
            DocField::Function(name) => return Err(format!("`!function {name}` cannot be run")),
        };
        if value.kind() != ValueKind::Seq {
            return Err(format!(
                "choices must be a list, got {}",
                python::repr(&value)
            ));
        }
        value
            .try_iter()
            .map_err(|error| describe(&error))?
            .map(|choice| match choice.as_str() {
                Some(text) if choice.kind() == ValueKind::String => Ok(text.to_string()),
                _ => Err(format!("choice {} is not a string", python::repr(&choice))),
            })
            .collect()
    }
}

pub(crate) enum Evaluated {
    Value(Value),
    Rendered(String),
}

/// The inner expression of a template that is exactly `{{ expression }}`.
fn single_expression(source: &str) -> Option<&str> {
    let inner = source.strip_prefix("{{")?.strip_suffix("}}")?;
    let has_other_tags = ["{{", "}}", "{%", "%}", "{#", "#}"]
        .iter()
        .any(|tag| inner.contains(tag));
    let trimmed = inner.trim();
    let whitespace_control = trimmed.starts_with(['-', '+']) || trimmed.ends_with(['-', '+']);
    (!has_other_tags && !whitespace_control && !trimmed.is_empty()).then_some(inner)
}

fn parse_index(text: &str) -> Result<i64, String> {
    text.parse()
        .map_err(|_| format!("index `{text}` is out of range"))
}

/// A doc field used as the target, as lm-eval returns it (no conversion of digit strings).
fn raw_target(value: &Json, field: &str) -> Result<TargetValue, String> {
    match value {
        Json::Number(number) => number
            .as_i64()
            .map(TargetValue::Index)
            .ok_or_else(|| format!("field `{field}` is {number}, not an index")),
        Json::String(text) => Ok(TargetValue::Text(text.clone())),
        Json::Array(items) => Ok(TargetValue::List(
            items.iter().map(Value::from_serialize).collect(),
        )),
        other => Err(format!(
            "field `{field}` is {other}, not an index, a string or a list"
        )),
    }
}

/// lm-eval's treatment of a rendered `doc_to_target`: digits are an index (when the task
/// has choices), `[...]` is tried as a Python literal, anything else is the target text.
fn rendered_target(text: String, has_choices: bool) -> Result<TargetValue, String> {
    if has_choices && python::is_ascii_digits(&text) {
        return parse_index(&text).map(TargetValue::Index);
    }
    if text.len() >= 2 && text.starts_with('[') && text.ends_with(']') {
        if let Ok(value) = python::literal_eval(&text) {
            return Ok(match value.kind() {
                ValueKind::Seq => {
                    TargetValue::List(value.try_iter().map_err(|e| describe(&e))?.collect())
                }
                _ => TargetValue::Text(text),
            });
        }
    }
    Ok(TargetValue::Text(text))
}

fn missing_fields(names: std::collections::HashSet<String>, doc: &Doc) -> Result<(), String> {
    let mut missing: Vec<String> = names
        .into_iter()
        .filter(|name| !doc.fields.contains_key(name) && !TEMPLATE_GLOBALS.contains(&name.as_str()))
        .collect();
    missing.sort();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(format!("missing field `{one}`")),
        many => Err(format!(
            "missing fields {}",
            many.iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A minijinja error as one line, with its cause.
fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Python methods on template values: `list.index`, `str.index`/`find`/`rfind` (in
/// characters, as Python counts), `strip`/`lstrip`/`rstrip` and `capitalize` with Python's
/// whitespace and case rules; everything else is minijinja-contrib's pycompat.
fn python_methods(
    state: &State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidOperation, message);
    match (value.kind(), method) {
        (ValueKind::Seq, "index") => {
            let (needle,): (&Value,) = from_args(args)?;
            value
                .try_iter()?
                .position(|item| &item == needle)
                .map(Value::from)
                .ok_or_else(|| invalid(format!("{} is not in list", python::repr(needle))))
        }
        (ValueKind::String, "index" | "find" | "rfind") => {
            let text = value.as_str().unwrap_or_default();
            let (needle,): (&str,) = from_args(args)?;
            let found = if method == "rfind" {
                text.rfind(needle)
            } else {
                text.find(needle)
            };
            match found {
                Some(offset) => Ok(Value::from(text[..offset].chars().count())),
                None if method == "index" => Err(invalid("substring not found".into())),
                None => Ok(Value::from(-1)),
            }
        }
        (ValueKind::String, "strip" | "lstrip" | "rstrip" | "capitalize") if args.is_empty() => {
            let text = value.as_str().unwrap_or_default();
            Ok(Value::from(match method {
                "strip" => python::strip(text).to_string(),
                "lstrip" => python::lstrip(text).to_string(),
                "rstrip" => python::rstrip(text).to_string(),
                _ => python::capitalize(text),
            }))
        }
        _ => minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Doc {
        match serde_json::from_str(json) {
            Ok(Json::Object(fields)) => Doc::new(fields),
            _ => Doc::new(Map::new()),
        }
    }

    #[test]
    fn python_methods_and_list_literals() {
        let renderer = Renderer::new();
        let doc = doc(
            r#"{"question": "  Why?\n", "answerKey": " B", "choices": {"text": ["x", "y"], "label": ["A", "B"]}, "sol1": "a", "sol2": "b"}"#,
        );
        assert_eq!(
            renderer.render("{{question.strip()}}\nAnswer:", &doc),
            Ok("Why?\nAnswer:".into())
        );
        let target = renderer.doc_to_target(
            &DocField::Text("{{choices.label.index(answerKey.lstrip())}}".into()),
            &doc,
            true,
        );
        assert_eq!(target, Ok(TargetValue::Index(1)));
        let choices = renderer.doc_to_choice(&DocField::Text("{{[sol1, sol2]}}".into()), &doc);
        assert_eq!(choices, Ok(vec!["a".to_string(), "b".to_string()]));
        let choices = renderer.doc_to_choice(&DocField::Text("{{choices.text}}".into()), &doc);
        assert_eq!(choices, Ok(vec!["x".to_string(), "y".to_string()]));
        // Not a single expression: rendered with Python's str() and parsed back.
        let choices = renderer.doc_to_choice(&DocField::Text("{{choices.text}} ".into()), &doc);
        assert_eq!(choices, Ok(vec!["x".to_string(), "y".to_string()]));
        assert_eq!(
            renderer.render("{{choices.text}}", &doc),
            Ok("['x', 'y']".into())
        );
    }

    #[test]
    fn keys_templates_and_targets() {
        let renderer = Renderer::new();
        let doc = doc(r#"{"label": "3", "answer": 2, "goal": "g", "text": "Paris"}"#);
        // A key gives the raw value: a string stays a string.
        assert_eq!(
            renderer.doc_to_target(&DocField::Text("label".into()), &doc, true),
            Ok(TargetValue::Text("3".into()))
        );
        // A template's digits become an index.
        assert_eq!(
            renderer.doc_to_target(&DocField::Text("{{label}}".into()), &doc, true),
            Ok(TargetValue::Index(3))
        );
        assert_eq!(
            renderer.doc_to_target(&DocField::Text("answer".into()), &doc, true),
            Ok(TargetValue::Index(2))
        );
        assert_eq!(
            renderer.doc_to_target(&DocField::Text("{{text}}".into()), &doc, true),
            Ok(TargetValue::Text("Paris".into()))
        );
        assert_eq!(
            renderer.doc_to_text(&DocField::Text("goal".into()), &doc, true),
            Ok(TextValue::Text("g".into()))
        );
        assert_eq!(
            renderer.doc_to_text(&DocField::Text("Question: {{goal}}\n".into()), &doc, true),
            Ok(TextValue::Text("Question: g\n".into()))
        );
    }

    #[test]
    fn non_ascii_identifiers_and_conditional_expressions() {
        // From lm-eval's galician tasks; every template in lm-eval 0.4.13's task YAMLs compiles.
        let renderer = Renderer::new();
        let doc = doc(r#"{"Avaliación": 0}"#);
        let target = renderer.doc_to_target(
            &DocField::Text("{{0 if Avaliación == 0 else 1}}".into()),
            &doc,
            true,
        );
        assert_eq!(target, Ok(TargetValue::Index(0)));
    }

    #[test]
    fn missing_fields_are_named() {
        let renderer = Renderer::new();
        let doc = doc(r#"{"question": "q"}"#);
        let error = renderer.doc_to_target(
            &DocField::Text("{{choices.label.index(answerKey)}}".into()),
            &doc,
            true,
        );
        assert_eq!(error, Err("missing fields `answerKey`, `choices`".into()));
        assert_eq!(
            renderer.render("{{ nope }}", &doc),
            Err("missing field `nope`".into())
        );
    }
}
