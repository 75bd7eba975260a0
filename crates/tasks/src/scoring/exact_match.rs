//! `exact_match` for generated answers: lm-eval's `exact_match_hf_evaluate`
//! (`lm_eval/api/metrics.py`, a port of Hugging Face evaluate's `exact_match`), and the
//! any-of-the-references rule `ConfigurableTask.process_results` applies when a task's
//! `doc_to_target` is a list (triviaqa's aliases).
//!
//! The Python function works on numpy string arrays, and the port keeps the two numpy
//! effects that can change a score:
//!
//! - numpy drops trailing NUL characters when it stores a string (`"a\0" == "a"`);
//! - `np.char.lower` keeps the array's width (the longest input, in characters), so a
//!   string that grows when lowercased (`"İ"` → `"i̇"`) is cut to that width.

use crate::python_regex::PythonRegex;
use crate::scoring::{python_str, ScoringError};
use serde_json::{Map, Value};

/// The options of lm-eval's `exact_match` metric, as written in a task's `metric_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExactMatchOptions {
    /// `ignore_case`: compare `str.lower()`ed strings.
    pub ignore_case: bool,
    /// `ignore_punctuation`: delete the ASCII characters of `string.punctuation`.
    pub ignore_punctuation: bool,
    /// `ignore_numbers`: delete the ASCII digits `0-9`.
    pub ignore_numbers: bool,
    /// `regexes_to_ignore`: Python regular expressions whose matches are deleted, in order,
    /// before everything else.
    pub regexes_to_ignore: Vec<String>,
}

impl ExactMatchOptions {
    /// The options a task's `metric_list` entry passes to `exact_match` (its keys other
    /// than `metric`, `aggregation`, `higher_is_better`): `ignore_case`,
    /// `ignore_punctuation`, `ignore_numbers` (booleans; null is false) and
    /// `regexes_to_ignore` (a list of patterns; a single string is, as in Python's
    /// `for s in regexes_to_ignore`, one pattern per character). Any other key is an error,
    /// as it is a `TypeError` in lm-eval.
    pub fn from_kwargs(kwargs: &Map<String, Value>) -> Result<ExactMatchOptions, ScoringError> {
        let invalid =
            |key: &str, value: &Value, expected: &'static str| ScoringError::InvalidOption {
                what: "exact_match",
                key: key.to_string(),
                given: value.to_string(),
                expected,
            };
        let flag = |key: &str, value: &Value| match value {
            Value::Bool(flag) => Ok(*flag),
            Value::Null => Ok(false),
            other => Err(invalid(key, other, "true or false")),
        };
        let mut options = ExactMatchOptions::default();
        for (key, value) in kwargs {
            match key.as_str() {
                "ignore_case" => options.ignore_case = flag(key, value)?,
                "ignore_punctuation" => options.ignore_punctuation = flag(key, value)?,
                "ignore_numbers" => options.ignore_numbers = flag(key, value)?,
                "regexes_to_ignore" => {
                    options.regexes_to_ignore = match value {
                        Value::Null => Vec::new(),
                        Value::String(text) => text.chars().map(String::from).collect(),
                        Value::Array(patterns) => patterns
                            .iter()
                            .map(|pattern| match pattern {
                                Value::String(pattern) => Ok(pattern.clone()),
                                other => Err(invalid(key, other, "a list of strings")),
                            })
                            .collect::<Result<_, _>>()?,
                        other => return Err(invalid(key, other, "a list of strings")),
                    }
                }
                _ => {
                    return Err(ScoringError::UnknownOption {
                        what: "exact_match option",
                        given: key.clone(),
                        valid: "ignore_case, ignore_punctuation, ignore_numbers, regexes_to_ignore",
                    })
                }
            }
        }
        Ok(options)
    }

    /// triviaqa's options (`ignore_case: true`, `ignore_punctuation: true`).
    pub fn triviaqa() -> ExactMatchOptions {
        ExactMatchOptions {
            ignore_case: true,
            ignore_punctuation: true,
            ..ExactMatchOptions::default()
        }
    }
}

/// [`ExactMatchOptions`] with its regular expressions compiled once, to score many items.
#[derive(Debug, Clone)]
pub struct ExactMatcher {
    options: ExactMatchOptions,
    regexes: Vec<PythonRegex>,
}

/// One numpy string array: the strings as numpy stores them, and its width in characters.
struct NumpyStrings {
    values: Vec<String>,
    width: usize,
}

impl NumpyStrings {
    /// `np.asarray(list_of_str)`: the width is the longest string (trailing NULs included),
    /// the stored strings lose their trailing NULs.
    fn from_python(values: Vec<String>) -> NumpyStrings {
        let width = values
            .iter()
            .map(|value| value.chars().count())
            .max()
            .unwrap_or(0);
        NumpyStrings {
            values: values.into_iter().map(strip_trailing_nul).collect(),
            width,
        }
    }

    /// An elementwise numpy string operation that keeps the array's dtype.
    fn map_same_width(self, operation: impl Fn(&str) -> String) -> NumpyStrings {
        let width = self.width;
        NumpyStrings {
            values: self
                .values
                .iter()
                .map(|value| {
                    let mut result = operation(value);
                    if let Some((cut, _)) = result.char_indices().nth(width) {
                        result.truncate(cut);
                    }
                    strip_trailing_nul(result)
                })
                .collect(),
            width,
        }
    }
}

fn strip_trailing_nul(mut value: String) -> String {
    let kept = value.trim_end_matches('\0').len();
    value.truncate(kept);
    value
}

impl ExactMatcher {
    /// Compiles the options' regular expressions; an invalid one is an error naming it.
    pub fn new(options: &ExactMatchOptions) -> Result<ExactMatcher, ScoringError> {
        let regexes = options
            .regexes_to_ignore
            .iter()
            .map(|pattern| {
                PythonRegex::new(pattern).map_err(|message| ScoringError::InvalidRegex {
                    pattern: pattern.clone(),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExactMatcher {
            options: options.clone(),
            regexes,
        })
    }

    /// The options this matcher was built from.
    pub fn options(&self) -> &ExactMatchOptions {
        &self.options
    }

    /// One side (predictions or references) through the normalisation steps, as numpy.
    fn normalize(&self, texts: &[&str]) -> Result<Vec<String>, ScoringError> {
        let mut array = if self.regexes.is_empty() {
            NumpyStrings::from_python(texts.iter().map(|text| text.to_string()).collect())
        } else {
            let mut values: Vec<String> = texts.iter().map(|text| text.to_string()).collect();
            let mut array = None;
            for regex in &self.regexes {
                let replaced = values
                    .iter()
                    .map(|value| {
                        regex
                            .remove_all(value)
                            .map_err(|error| ScoringError::RegexRuntime {
                                pattern: error.pattern,
                                message: error.message,
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let stored = NumpyStrings::from_python(replaced);
                values = stored.values.clone();
                array = Some(stored);
            }
            array.unwrap_or_else(|| NumpyStrings::from_python(values))
        };
        if self.options.ignore_case {
            array = array.map_same_width(python_str::lower);
        }
        if self.options.ignore_punctuation {
            array = array.map_same_width(python_str::remove_punctuation);
        }
        if self.options.ignore_numbers {
            array = array.map_same_width(python_str::remove_digits);
        }
        Ok(array.values)
    }

    /// `exact_match_hf_evaluate(predictions, references, **options)["exact_match"]`: the
    /// fraction of pairs that are equal after normalisation. An empty batch and batches of
    /// different lengths are errors (numpy would broadcast or return NaN).
    pub fn score_batch(
        &self,
        predictions: &[&str],
        references: &[&str],
    ) -> Result<f64, ScoringError> {
        if predictions.len() != references.len() {
            return Err(ScoringError::LengthMismatch {
                what: "exact_match",
                left_name: "predictions",
                left: predictions.len(),
                right_name: "references",
                right: references.len(),
            });
        }
        if predictions.is_empty() {
            return Err(ScoringError::EmptyInput {
                what: "exact_match",
            });
        }
        let predictions = self.normalize(predictions)?;
        let references = self.normalize(references)?;
        let equal = predictions
            .iter()
            .zip(&references)
            .filter(|(prediction, reference)| prediction == reference)
            .count();
        Ok(equal as f64 / predictions.len() as f64)
    }

    /// The per-item `exact_match` of a task with one target: 1.0 or 0.0.
    pub fn score(&self, prediction: &str, reference: &str) -> Result<f64, ScoringError> {
        self.score_batch(&[prediction], &[reference])
    }

    /// The per-item `exact_match` of a task whose target is a list (`multiple_target`, e.g.
    /// triviaqa's aliases): lm-eval scores `[prediction] * len(references)` against the list
    /// in one call and gives 1.0 if the mean is above 0, so 1.0 if any reference matches.
    /// The references are normalised together, as one numpy array (this only matters for
    /// the lowercase width effect described in the module documentation).
    ///
    /// An empty list scores 0.0 (lm-eval's numpy mean of nothing is NaN, and `NaN > 0` is
    /// false).
    pub fn score_any<S: AsRef<str>>(
        &self,
        prediction: &str,
        references: &[S],
    ) -> Result<f64, ScoringError> {
        if references.is_empty() {
            return Ok(0.0);
        }
        let references: Vec<&str> = references.iter().map(AsRef::as_ref).collect();
        let predictions = vec![prediction; references.len()];
        let mean = self.score_batch(&predictions, &references)?;
        Ok(if mean > 0.0 { 1.0 } else { 0.0 })
    }
}

/// lm-eval's per-item `exact_match` for one reference (see [`ExactMatcher::score`]);
/// compiles the options each call, use an [`ExactMatcher`] for many items.
pub fn exact_match(
    prediction: &str,
    reference: &str,
    options: &ExactMatchOptions,
) -> Result<f64, ScoringError> {
    ExactMatcher::new(options)?.score(prediction, reference)
}

/// lm-eval's per-item `exact_match` for a list of references (see
/// [`ExactMatcher::score_any`]).
pub fn exact_match_any<S: AsRef<str>>(
    prediction: &str,
    references: &[S],
    options: &ExactMatchOptions,
) -> Result<f64, ScoringError> {
    ExactMatcher::new(options)?.score_any(prediction, references)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(case: bool, punctuation: bool, numbers: bool) -> ExactMatchOptions {
        ExactMatchOptions {
            ignore_case: case,
            ignore_punctuation: punctuation,
            ignore_numbers: numbers,
            regexes_to_ignore: Vec::new(),
        }
    }

    #[test]
    fn plain_comparison_is_exact() -> Result<(), ScoringError> {
        let plain = options(false, false, false);
        assert_eq!(exact_match("Paris", "Paris", &plain)?, 1.0);
        assert_eq!(exact_match("Paris", "paris", &plain)?, 0.0);
        assert_eq!(exact_match("Paris ", "Paris", &plain)?, 0.0);
        assert_eq!(exact_match("", "", &plain)?, 1.0);
        Ok(())
    }

    #[test]
    fn options_normalise_in_lm_eval_order() -> Result<(), ScoringError> {
        assert_eq!(
            exact_match("PARIS!", "paris", &options(true, true, false))?,
            1.0
        );
        assert_eq!(
            exact_match("abc123", "ABC", &options(true, false, true))?,
            1.0
        );
        // Only ASCII punctuation is removed.
        assert_eq!(exact_match("¿a?", "a", &options(false, true, false))?, 0.0);
        let gsm8k = ExactMatchOptions {
            regexes_to_ignore: vec![",".into(), r"\$".into(), r"(?s).*#### ".into()],
            ..options(false, false, false)
        };
        assert_eq!(exact_match("so #### $1,234", "1234", &gsm8k)?, 1.0);
        Ok(())
    }

    #[test]
    fn numpy_drops_trailing_nul_characters() -> Result<(), ScoringError> {
        let plain = options(false, false, false);
        assert_eq!(exact_match("a\0", "a", &plain)?, 1.0);
        assert_eq!(exact_match("a\0b", "ab", &plain)?, 0.0);
        Ok(())
    }

    #[test]
    fn numpy_lower_keeps_the_array_width() -> Result<(), ScoringError> {
        // "İ".lower() is two characters; numpy cuts it to the array's width of one.
        let case = options(true, false, false);
        assert_eq!(exact_match("İ", "i", &case)?, 1.0);
        assert_eq!(exact_match("İx", "i\u{307}", &case)?, 1.0);
        assert_eq!(exact_match("İx", "i\u{307}x", &case)?, 0.0);
        Ok(())
    }

    #[test]
    fn any_reference_matching_scores_one() -> Result<(), ScoringError> {
        let matcher = ExactMatcher::new(&ExactMatchOptions::triviaqa())?;
        assert_eq!(
            matcher.score_any("the beatles", &["Beatles", "The Beatles!"])?,
            1.0
        );
        assert_eq!(matcher.score_any("stones", &["Beatles"])?, 0.0);
        assert_eq!(matcher.score_any("x", &[] as &[&str])?, 0.0);
        Ok(())
    }

    #[test]
    fn options_from_task_kwargs() -> Result<(), ScoringError> {
        let kwargs = serde_json::json!({
            "ignore_case": true,
            "ignore_punctuation": null,
            "regexes_to_ignore": [",", "\\$"],
        });
        let kwargs = kwargs.as_object().cloned().unwrap_or_default();
        let options = ExactMatchOptions::from_kwargs(&kwargs)?;
        assert!(options.ignore_case && !options.ignore_punctuation);
        assert_eq!(options.regexes_to_ignore, vec![",", "\\$"]);
        let single = serde_json::json!({"regexes_to_ignore": ",."});
        let single = single.as_object().cloned().unwrap_or_default();
        assert_eq!(
            ExactMatchOptions::from_kwargs(&single)?.regexes_to_ignore,
            vec![",", "."]
        );
        let unknown = serde_json::json!({"ignore_spaces": true});
        let unknown = unknown.as_object().cloned().unwrap_or_default();
        assert!(matches!(
            ExactMatchOptions::from_kwargs(&unknown),
            Err(ScoringError::UnknownOption { .. })
        ));
        let wrong = serde_json::json!({"ignore_case": "yes"});
        let wrong = wrong.as_object().cloned().unwrap_or_default();
        assert!(matches!(
            ExactMatchOptions::from_kwargs(&wrong),
            Err(ScoringError::InvalidOption { .. })
        ));
        Ok(())
    }

    #[test]
    fn batch_errors_are_explicit() -> Result<(), ScoringError> {
        let matcher = ExactMatcher::new(&ExactMatchOptions::default())?;
        assert!(matches!(
            matcher.score_batch(&[], &[]),
            Err(ScoringError::EmptyInput { .. })
        ));
        assert!(matches!(
            matcher.score_batch(&["a"], &["a", "b"]),
            Err(ScoringError::LengthMismatch { .. })
        ));
        assert_eq!(matcher.score_batch(&["a", "b"], &["a", "c"])?, 0.5);
        Ok(())
    }

    #[test]
    fn invalid_pattern_is_an_error_naming_it() {
        let options = ExactMatchOptions {
            regexes_to_ignore: vec!["(unclosed".to_string()],
            ..options(false, false, false)
        };
        let error = ExactMatcher::new(&options).expect_err("invalid pattern");
        assert!(error.to_string().contains("(unclosed"), "{error}");
    }
}
