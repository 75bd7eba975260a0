//! Rust versions of the Python functions lm-eval's built-in tasks name with `!function` for
//! `doc_to_text` / `doc_to_target` / `doc_to_choice` and `process_results`. A YAML refers to
//! them with the module `yardstick`, as for [`crate::process_docs`]:
//!
//! ```yaml
//! doc_to_text: !function yardstick.winogrande_doc_to_text
//! process_results: !function yardstick.truthfulqa_mc2
//! ```
//!
//! Any other module is a Python function, which yardstick cannot run: the task is refused
//! with an error naming the hook, the key and the task.

use crate::process_docs::MODULE;
use serde_json::{Map, Value};

/// A `doc_to_*` function: the doc in, the value lm-eval's Python function returns out
/// (a string, an integer index or a list of strings).
#[derive(Debug, Clone, Copy)]
pub struct DocFunction {
    pub name: &'static str,
    pub summary: &'static str,
    call: fn(&Map<String, Value>) -> Result<Value, String>,
}

impl DocFunction {
    pub fn call(&self, doc: &Map<String, Value>) -> Result<Value, String> {
        (self.call)(doc)
    }
}

pub const DOC_FUNCTIONS: &[DocFunction] = &[
    DocFunction {
        name: "winogrande_doc_to_text",
        summary: "lm-eval's preprocess_winogrande.doc_to_text: the gold option's index (answer \"1\" -> 0, \"2\" -> 1)",
        call: winogrande_doc_to_text,
    },
    DocFunction {
        name: "winogrande_doc_to_target",
        summary: "lm-eval's preprocess_winogrande.doc_to_target: the sentence after the blank, stripped",
        call: winogrande_doc_to_target,
    },
    DocFunction {
        name: "winogrande_doc_to_choice",
        summary: "lm-eval's preprocess_winogrande.doc_to_choice: the sentence up to the blank + each option",
        call: winogrande_doc_to_choice,
    },
];

/// What a `process_results` function is given for one item.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Per-choice loglikelihoods (multiple-choice tasks).
    Loglikelihoods(&'a [f64]),
    /// The (filtered) generation (generative tasks).
    Generation(&'a str),
}

/// Per-item (metric, value) pairs from the doc and the outcome, or what is wrong.
type ResultsFn = fn(&Map<String, Value>, Outcome<'_>) -> Result<Vec<(String, f64)>, String>;

/// A `process_results` function: per-item metric values from the doc and the outcome.
#[derive(Debug, Clone, Copy)]
pub struct ResultsFunction {
    pub name: &'static str,
    pub summary: &'static str,
    call: ResultsFn,
}

impl ResultsFunction {
    pub fn call(
        &self,
        doc: &Map<String, Value>,
        outcome: Outcome<'_>,
    ) -> Result<Vec<(String, f64)>, String> {
        (self.call)(doc, outcome)
    }
}

pub const RESULTS_FUNCTIONS: &[ResultsFunction] = &[
    ResultsFunction {
        name: "truthfulqa_mc2",
        summary: "lm-eval's truthfulqa utils.process_results_mc2: acc = normalised probability mass on the true answers",
        call: truthfulqa_mc2,
    },
    ResultsFunction {
        name: "truthfulqa_gen",
        summary: "lm-eval's truthfulqa utils.process_results_gen: BLEU and ROUGE-1/2/L max, diff and acc against true vs false references",
        call: truthfulqa_gen,
    },
];

/// The doc function `module.name`, if it is one of yardstick's.
pub fn find_doc_function(full_name: &str) -> Option<&'static DocFunction> {
    let name = full_name.strip_prefix(MODULE)?.strip_prefix('.')?;
    DOC_FUNCTIONS.iter().find(|function| function.name == name)
}

/// The results function `module.name`, if it is one of yardstick's.
pub fn find_results_function(full_name: &str) -> Option<&'static ResultsFunction> {
    let name = full_name.strip_prefix(MODULE)?.strip_prefix('.')?;
    RESULTS_FUNCTIONS
        .iter()
        .find(|function| function.name == name)
}

/// `yardstick.a, yardstick.b` for error messages.
pub fn known_doc_functions() -> String {
    DOC_FUNCTIONS
        .iter()
        .map(|function| format!("{MODULE}.{}", function.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `yardstick.a, yardstick.b` for error messages.
pub fn known_results_functions() -> String {
    RESULTS_FUNCTIONS
        .iter()
        .map(|function| format!("{MODULE}.{}", function.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn string_field<'a>(doc: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    doc.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("field `{key}` is missing or not a string"))
}

/// Byte offset of the blank `_` in a Winogrande sentence.
fn blank(sentence: &str) -> Result<usize, String> {
    sentence
        .find('_')
        .ok_or_else(|| format!("the sentence `{sentence}` has no `_` blank"))
}

fn winogrande_doc_to_text(doc: &Map<String, Value>) -> Result<Value, String> {
    match string_field(doc, "answer")? {
        "1" => Ok(Value::from(0)),
        "2" => Ok(Value::from(1)),
        other => Err(format!(
            "field `answer` is `{other}`, expected \"1\" or \"2\""
        )),
    }
}

fn winogrande_doc_to_target(doc: &Map<String, Value>) -> Result<Value, String> {
    let sentence = string_field(doc, "sentence")?;
    let after = &sentence[blank(sentence)? + 1..];
    Ok(Value::from(crate::python::strip(after)))
}

fn winogrande_doc_to_choice(doc: &Map<String, Value>) -> Result<Value, String> {
    let sentence = string_field(doc, "sentence")?;
    let before = &sentence[..blank(sentence)?];
    let options = ["option1", "option2"]
        .iter()
        .map(|key| Ok(format!("{before}{}", string_field(doc, key)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Value::from(options))
}

fn truthfulqa_mc2(
    doc: &Map<String, Value>,
    outcome: Outcome<'_>,
) -> Result<Vec<(String, f64)>, String> {
    let Outcome::Loglikelihoods(loglikelihoods) = outcome else {
        return Err("truthfulqa_mc2 scores multiple-choice loglikelihoods".into());
    };
    let labels: Vec<i64> = doc
        .get("mc2_targets")
        .and_then(|targets| targets.get("labels"))
        .and_then(Value::as_array)
        .ok_or("field `mc2_targets.labels` is missing")?
        .iter()
        .map(|label| label.as_i64().ok_or("a label is not an integer"))
        .collect::<Result<_, _>>()?;
    if labels.len() != loglikelihoods.len() {
        return Err(format!(
            "{} labels but {} loglikelihoods",
            labels.len(),
            loglikelihoods.len()
        ));
    }
    // numpy: probs = exp(ll); probs / sum(probs); sum over labels == 1.
    let probabilities: Vec<f64> = loglikelihoods.iter().map(|ll| ll.exp()).collect();
    let total: f64 = probabilities.iter().sum();
    let true_mass: f64 = probabilities
        .iter()
        .zip(&labels)
        .filter(|(_, label)| **label == 1)
        .map(|(probability, _)| probability / total)
        .sum();
    Ok(vec![("acc".into(), true_mass)])
}

fn truthfulqa_gen(
    doc: &Map<String, Value>,
    outcome: Outcome<'_>,
) -> Result<Vec<(String, f64)>, String> {
    let Outcome::Generation(completion) = outcome else {
        return Err("truthfulqa_gen scores a generation".into());
    };
    let answers = |key: &str| -> Result<Vec<String>, String> {
        doc.get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("field `{key}` is missing or not a list"))?
            .iter()
            .map(|answer| {
                answer
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("an element of `{key}` is not a string"))
            })
            .collect()
    };
    let true_refs = answers("correct_answers")?;
    let false_refs = answers("incorrect_answers")?;
    if true_refs.is_empty() || false_refs.is_empty() {
        return Err("truthfulqa_gen needs both correct and incorrect answers".into());
    }
    let mut values = Vec::new();
    let mut push = |name: &str, scores: &dyn Fn(&str) -> f64| {
        let best = |refs: &[String]| {
            refs.iter()
                .map(|reference| scores(reference))
                .fold(f64::NAN, nan_max)
        };
        let correct = best(&true_refs);
        let incorrect = best(&false_refs);
        values.push((format!("{name}_max"), correct));
        values.push((
            format!("{name}_acc"),
            if correct > incorrect { 1.0 } else { 0.0 },
        ));
        values.push((format!("{name}_diff"), correct - incorrect));
    };
    push("bleu", &|reference| {
        crate::scoring::truthfulqa_bleu(reference, completion)
    });
    let rouges: Vec<crate::scoring::TruthfulqaRouge> = true_refs
        .iter()
        .chain(&false_refs)
        .map(|reference| crate::scoring::truthfulqa_rouge(reference, completion))
        .collect();
    let lookup = |reference: &str| -> Option<&crate::scoring::TruthfulqaRouge> {
        true_refs
            .iter()
            .chain(&false_refs)
            .position(|candidate| candidate == reference)
            .map(|index| &rouges[index])
    };
    push("rouge1", &|reference| {
        lookup(reference).map_or(f64::NAN, |r| r.rouge1)
    });
    push("rouge2", &|reference| {
        lookup(reference).map_or(f64::NAN, |r| r.rouge2)
    });
    push("rougeL", &|reference| {
        lookup(reference).map_or(f64::NAN, |r| r.rouge_lsum)
    });
    Ok(values)
}

/// numpy's `nanmax` step: NaN only when every value is NaN.
fn nan_max(accumulator: f64, value: f64) -> f64 {
    if accumulator.is_nan() {
        value
    } else if value.is_nan() {
        accumulator
    } else {
        accumulator.max(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn winogrande_functions_follow_lm_eval() {
        let doc = doc(json!({
            "sentence": "Sarah was a much better surgeon than Maria so _ always got the easier cases.",
            "option1": "Sarah", "option2": "Maria", "answer": "2"
        }));
        let call = |name: &str| {
            find_doc_function(&format!("yardstick.{name}")).map(|function| function.call(&doc))
        };
        assert_eq!(call("winogrande_doc_to_text"), Some(Ok(json!(1))));
        assert_eq!(
            call("winogrande_doc_to_target"),
            Some(Ok(json!("always got the easier cases.")))
        );
        assert_eq!(
            call("winogrande_doc_to_choice"),
            Some(Ok(json!([
                "Sarah was a much better surgeon than Maria so Sarah",
                "Sarah was a much better surgeon than Maria so Maria"
            ])))
        );
        assert!(find_doc_function("utils.doc_to_text").is_none());
    }

    #[test]
    fn truthfulqa_mc2_is_the_normalised_true_mass() {
        let doc = doc(json!({"mc2_targets": {"choices": ["a", "b", "c"], "labels": [1, 1, 0]}}));
        let function = find_results_function("yardstick.truthfulqa_mc2");
        let values = function.map(|function| {
            function.call(
                &doc,
                Outcome::Loglikelihoods(&[0.5f64.ln(), 0.25f64.ln(), 0.25f64.ln()]),
            )
        });
        let Some(Ok(values)) = values else {
            panic!("truthfulqa_mc2 failed: {values:?}");
        };
        assert_eq!(values.len(), 1);
        assert!((values[0].1 - 0.75).abs() < 1e-12);
    }
}
