//! Reading typed values out of one config mapping (a task's, a group's, or a section of
//! them such as `generation_kwargs`), with errors that name the file, the config and the key.

use crate::error::TaskError;
use crate::loader::Origin;
use serde_json::{Map, Value};

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

    pub(super) fn number(&mut self, key: &str) -> Result<Option<f64>, TaskError> {
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
    pub(super) fn section(&mut self, key: &str) -> Result<Option<Keys<'a>>, TaskError> {
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
    pub(super) fn in_section(section: &str) -> impl Fn(TaskError) -> TaskError + Copy + '_ {
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
}
