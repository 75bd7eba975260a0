//! Reading a request body field by field. Each accessor names the field and the problem
//! when the value is wrong, so a 400 says exactly what to fix. JSON `null` counts as absent.

use serde_json::{Map, Value};

use crate::error::ServeError;

/// A JSON object being read; `prefix` names nested objects in errors
/// (`stream_options.include_usage`).
#[derive(Debug)]
pub(crate) struct Fields {
    map: Map<String, Value>,
    prefix: String,
}

/// How a JSON value is described in errors.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    /// The body as a JSON object.
    pub fn parse(body: &[u8]) -> Result<Fields, ServeError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| ServeError::InvalidBody(format!("the body is not JSON: {error}")))?;
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                prefix: String::new(),
            }),
            other => Err(ServeError::InvalidBody(format!(
                "the body must be a JSON object, not {}",
                describe(&other)
            ))),
        }
    }

    /// The field's full name for errors.
    pub fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    fn invalid(&self, field: &str, problem: impl Into<String>) -> ServeError {
        ServeError::field(&self.name(field), problem)
    }

    /// The field's value, `None` when absent or null.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|value| !value.is_null())
    }

    pub fn string(&self, field: &str) -> Result<Option<&str>, ServeError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => {
                Err(self.invalid(field, format!("must be a string, not {}", describe(other))))
            }
        }
    }

    pub fn boolean(&self, field: &str) -> Result<Option<bool>, ServeError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(other) => Err(self.invalid(
                field,
                format!("must be true or false, not {}", describe(other)),
            )),
        }
    }

    /// A whole number within `min..=max` (a float with no fraction is accepted, as pydantic
    /// does for vLLM).
    pub fn integer(&self, field: &str, min: i64, max: i64) -> Result<Option<i64>, ServeError> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        let number = value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                .map(|float| float as i64)
        });
        match number {
            Some(number) if (min..=max).contains(&number) => Ok(Some(number)),
            Some(number) => Err(self.invalid(
                field,
                format!("must be between {min} and {max}, not {number}"),
            )),
            None => Err(self.invalid(field, format!("must be a whole number, not {value}"))),
        }
    }

    /// [`Fields::integer`] as a `u32` within `min..=max`.
    pub fn count(&self, field: &str, min: u32, max: u32) -> Result<Option<u32>, ServeError> {
        Ok(self
            .integer(field, i64::from(min), i64::from(max))?
            .and_then(|value| u32::try_from(value).ok()))
    }

    /// A finite number accepted by `valid`, which `expected` describes.
    pub fn number(
        &self,
        field: &str,
        expected: &str,
        valid: impl Fn(f64) -> bool,
    ) -> Result<Option<f64>, ServeError> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        match value.as_f64() {
            Some(number) if number.is_finite() && valid(number) => Ok(Some(number)),
            _ => Err(self.invalid(field, format!("must be {expected}, not {value}"))),
        }
    }

    /// A string or a list of strings (`stop`), as a list; empty when absent.
    pub fn strings(&self, field: &str) -> Result<Vec<String>, ServeError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => Ok(vec![text.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(self.invalid(
                        &format!("{field}[{index}]"),
                        format!("must be a string, not {}", describe(other)),
                    )),
                })
                .collect(),
            Some(other) => Err(self.invalid(
                field,
                format!(
                    "must be a string or a list of strings, not {}",
                    describe(other)
                ),
            )),
        }
    }

    /// A nested object, read with the same accessors.
    pub fn object(&self, field: &str) -> Result<Option<Fields>, ServeError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                map: map.clone(),
                prefix: format!("{}{field}.", self.prefix),
            })),
            Some(other) => {
                Err(self.invalid(field, format!("must be an object, not {}", describe(other))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Fields {
        Fields::parse(body.as_bytes()).expect("an object")
    }

    #[test]
    fn accessors_read_values_and_name_the_field_when_wrong() {
        let body = fields(
            r#"{"a": "x", "b": true, "n": 16, "f": 16.0, "t": 0.5, "s": ["x", "y"], "z": null,
                "o": {"flag": 3}}"#,
        );
        assert_eq!(body.string("a").expect("ok"), Some("x"));
        assert_eq!(body.boolean("b").expect("ok"), Some(true));
        assert_eq!(body.count("n", 0, 20).expect("ok"), Some(16));
        assert_eq!(body.count("f", 0, 20).expect("ok"), Some(16));
        assert_eq!(body.count("z", 0, 20).expect("ok"), None);
        assert_eq!(body.strings("s").expect("ok"), vec!["x", "y"]);
        assert_eq!(body.strings("a").expect("ok"), vec!["x"]);
        assert_eq!(
            body.number("t", "in [0, 1]", |t| (0.0..=1.0).contains(&t))
                .expect("ok"),
            Some(0.5)
        );

        let error = body.count("n", 0, 10).expect_err("out of range");
        assert_eq!(error.to_string(), "`n`: must be between 0 and 10, not 16");
        let error = body.count("t", 0, 10).expect_err("a fraction");
        assert_eq!(error.to_string(), "`t`: must be a whole number, not 0.5");
        let error = body.boolean("a").expect_err("a string");
        assert_eq!(
            error.to_string(),
            "`a`: must be true or false, not a string"
        );
        let nested = body.object("o").expect("ok").expect("present");
        let error = nested.boolean("flag").expect_err("a number");
        assert!(error.to_string().starts_with("`o.flag`:"), "{error}");
        let error = fields(r#"{"s": ["x", 1]}"#)
            .strings("s")
            .expect_err("a number");
        assert!(error.to_string().starts_with("`s[1]`:"), "{error}");
    }

    #[test]
    fn a_body_must_be_a_json_object() {
        assert!(Fields::parse(b"[1]").is_err());
        assert!(Fields::parse(b"{").is_err());
        assert!(Fields::parse(b"{}").is_ok());
    }
}
