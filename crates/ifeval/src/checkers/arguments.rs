//! An instruction's keyword arguments, read once into typed values.
//!
//! As lm-eval's ifeval `utils.py` does before `build_description(**kwargs)`, arguments whose
//! value is falsy in Python (`null`, `false`, `0`, `""`, `[]`, `{}`) are dropped: the dataset on
//! the Hugging Face hub gives every instruction every key, mostly `null`. Where the reference
//! would then draw a random value (a required argument missing, a negative count), or stop with
//! an exception (an unknown argument, a relation other than `less than` / `at least`, a value of
//! the wrong type), this is an [`IfevalError::Arguments`] naming the instruction and the problem.

use serde_json::Value;

use crate::{IfevalError, Instruction};

/// `less than` or `at least`, the two comparisons the reference supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    LessThan,
    AtLeast,
}

impl Relation {
    /// Whether `count` stands in this relation to `threshold`.
    pub(crate) fn holds(self, count: usize, threshold: i64) -> bool {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        match self {
            Relation::LessThan => count < threshold,
            Relation::AtLeast => count >= threshold,
        }
    }
}

/// The kept (truthy) arguments of one instruction.
pub(crate) struct Arguments<'a> {
    id: &'a str,
    kept: Vec<(&'a str, &'a Value)>,
}

impl<'a> Arguments<'a> {
    /// The instruction's arguments, of which only `accepted` may be given.
    pub(crate) fn new(
        instruction: &'a Instruction,
        accepted: &[&str],
    ) -> Result<Self, IfevalError> {
        let arguments = Arguments {
            id: &instruction.id,
            kept: instruction
                .kwargs
                .iter()
                .filter(|(_, value)| is_truthy(value))
                .map(|(name, value)| (name.as_str(), value))
                .collect(),
        };
        if let Some((name, _)) = arguments
            .kept
            .iter()
            .find(|(name, _)| !accepted.contains(name))
        {
            let accepted = if accepted.is_empty() {
                "it takes none".to_string()
            } else {
                format!("it takes {}", quoted_list(accepted))
            };
            return Err(arguments.error(format!("unexpected argument `{name}` ({accepted})")));
        }
        Ok(arguments)
    }

    /// An [`IfevalError::Arguments`] for this instruction.
    pub(crate) fn error(&self, message: impl Into<String>) -> IfevalError {
        IfevalError::Arguments {
            id: self.id.to_string(),
            message: message.into(),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.kept
            .iter()
            .find(|(kept, _)| *kept == name)
            .map(|(_, value)| *value)
    }

    fn required(&self, name: &str) -> Result<&'a Value, IfevalError> {
        self.get(name).ok_or_else(|| {
            self.error(format!(
                "missing argument `{name}` (null, 0 and empty values count as missing; \
                 the reference would draw a random one)"
            ))
        })
    }

    /// An integer argument (a JSON integer, or a float with no fractional part).
    pub(crate) fn integer(&self, name: &str) -> Result<i64, IfevalError> {
        let value = self.required(name)?;
        let integer = value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                .map(|float| float as i64)
        });
        integer.ok_or_else(|| self.error(format!("`{name}` is {value}, not an integer")))
    }

    /// An integer argument that the reference replaces by a random one when negative.
    pub(crate) fn count(&self, name: &str) -> Result<i64, IfevalError> {
        let count = self.integer(name)?;
        if count < 0 {
            return Err(self.error(format!(
                "`{name}` is {count}; the reference draws a random value for a negative one"
            )));
        }
        Ok(count)
    }

    pub(crate) fn string(&self, name: &str) -> Result<&'a str, IfevalError> {
        let value = self.required(name)?;
        value
            .as_str()
            .ok_or_else(|| self.error(format!("`{name}` is {value}, not a string")))
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Vec<&'a str>, IfevalError> {
        let value = self.required(name)?;
        let not_strings = || self.error(format!("`{name}` is {value}, not a list of strings"));
        value
            .as_array()
            .ok_or_else(not_strings)?
            .iter()
            .map(|item| item.as_str().ok_or_else(not_strings))
            .collect()
    }

    pub(crate) fn relation(&self, name: &str) -> Result<Relation, IfevalError> {
        match self.string(name)? {
            "less than" => Ok(Relation::LessThan),
            "at least" => Ok(Relation::AtLeast),
            other => Err(self.error(format!(
                "`{name}` is \"{other}\"; the relation must be \"less than\" or \"at least\""
            ))),
        }
    }

    /// A regular expression made from an argument, compiled by the Rust `regex` crate.
    pub(crate) fn regex(&self, name: &str, pattern: &str) -> Result<regex::Regex, IfevalError> {
        regex::Regex::new(pattern).map_err(|error| {
            self.error(format!(
                "`{name}` does not make a valid regular expression: {error}"
            ))
        })
    }
}

/// Python's truth value of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn instruction(kwargs: Value) -> Instruction {
        let Value::Object(kwargs) = kwargs else {
            panic!("kwargs must be an object");
        };
        Instruction {
            id: "length_constraints:number_words".into(),
            kwargs,
        }
    }

    #[test]
    fn falsy_values_are_dropped_and_count_as_missing() {
        let instruction = instruction(json!({
            "num_words": 0, "relation": "at least", "keyword": null, "keywords": [], "end_phrase": ""
        }));
        let arguments = Arguments::new(&instruction, &["num_words", "relation"]).expect("accepted");
        let error = arguments
            .integer("num_words")
            .expect_err("missing")
            .to_string();
        assert!(error.contains("missing argument `num_words`"), "{error}");
        assert!(
            error.starts_with("instruction `length_constraints:number_words`"),
            "{error}"
        );
        assert_eq!(
            arguments.relation("relation").expect("valid"),
            Relation::AtLeast
        );
    }

    #[test]
    fn unexpected_and_ill_typed_arguments_are_errors() {
        let unexpected = instruction(json!({"num_words": 3, "prompt": "hi"}));
        let error = Arguments::new(&unexpected, &["num_words"])
            .err()
            .expect("unexpected")
            .to_string();
        assert!(error.contains("unexpected argument `prompt`"), "{error}");

        let ill_typed = instruction(json!({"num_words": "300", "relation": "at most", "n": -2}));
        let arguments =
            Arguments::new(&ill_typed, &["num_words", "relation", "n"]).expect("accepted");
        assert!(arguments.integer("num_words").is_err());
        let relation = arguments
            .relation("relation")
            .expect_err("invalid")
            .to_string();
        assert!(relation.contains("\"at most\""), "{relation}");
        assert!(arguments
            .count("n")
            .expect_err("negative")
            .to_string()
            .contains("negative"));
        assert_eq!(arguments.integer("n").expect("integer"), -2);
    }

    #[test]
    fn integers_may_be_written_as_whole_floats() {
        let instruction = instruction(json!({"a": 300.0, "b": 2.5}));
        let arguments = Arguments::new(&instruction, &["a", "b"]).expect("accepted");
        assert_eq!(arguments.integer("a").expect("integer"), 300);
        assert!(arguments.integer("b").is_err());
    }

    #[test]
    fn relations_compare_counts() {
        assert!(Relation::LessThan.holds(2, 3));
        assert!(!Relation::LessThan.holds(3, 3));
        assert!(Relation::AtLeast.holds(3, 3));
        assert!(!Relation::AtLeast.holds(2, 3));
        assert!(!Relation::LessThan.holds(0, -1));
    }
}
