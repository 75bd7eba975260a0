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

mod aggregations;
mod bbq;
mod ifeval;
mod refusal;
mod truthfulqa;

pub use aggregations::{
    find_aggregation_function, known_aggregation_functions, AggregationFunction,
    AGGREGATION_FUNCTIONS,
};

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
    DocFunction {
        name: "bbq_doc_to_choice",
        summary: "lm-eval's bbq utils.doc_to_choice: the two non-unknown answers, then the 10 unknown phrasings (12 choices)",
        call: bbq::doc_to_choice,
    },
    DocFunction {
        name: "bbq_doc_to_target",
        summary: "lm-eval's bbq utils.doc_to_target: the labelled answer's index among the choices (2, \"Unknown\", for an unknown label)",
        call: bbq::doc_to_target,
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

/// What a `process_results` hook reports for one item: a value per metric, and for metrics
/// aggregated as a ratio of sums, the item's weight (IFEval's instruction-level accuracy:
/// the share of the item's instructions followed, weighted by their count). A hook may
/// leave out a metric that does not apply to the item (BBQ's `accuracy_amb` on a
/// disambiguated item); only an aggregation function may then aggregate it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reported {
    pub values: Vec<(String, f64)>,
    pub weights: Vec<(String, f64)>,
}

impl Reported {
    /// Values without weights.
    pub fn values(values: Vec<(String, f64)>) -> Reported {
        Reported {
            values,
            weights: Vec::new(),
        }
    }

    /// Adds a metric's value.
    pub fn push(&mut self, name: impl Into<String>, value: f64) {
        self.values.push((name.into(), value));
    }

    /// Adds a metric's value with its weight.
    pub fn push_weighted(&mut self, name: impl Into<String>, value: f64, weight: f64) {
        let name = name.into();
        self.weights.push((name.clone(), weight));
        self.values.push((name, value));
    }
}

/// The doc and the outcome in, the item's reported values out, or what is wrong.
type ResultsFn = fn(&Map<String, Value>, Outcome<'_>) -> Result<Reported, String>;

/// A `process_results` function: per-item metric values from the doc and the outcome.
#[derive(Debug, Clone, Copy)]
pub struct ResultsFunction {
    pub name: &'static str,
    pub summary: &'static str,
    call: ResultsFn,
}

impl ResultsFunction {
    pub fn call(&self, doc: &Map<String, Value>, outcome: Outcome<'_>) -> Result<Reported, String> {
        (self.call)(doc, outcome)
    }
}

pub const RESULTS_FUNCTIONS: &[ResultsFunction] = &[
    ResultsFunction {
        name: "truthfulqa_mc2",
        summary: "lm-eval's truthfulqa utils.process_results_mc2: acc = normalised probability mass on the true answers",
        call: truthfulqa::truthfulqa_mc2,
    },
    ResultsFunction {
        name: "truthfulqa_gen",
        summary: "lm-eval's truthfulqa utils.process_results_gen: BLEU and ROUGE-1/2/L max, diff and acc against true vs false references",
        call: truthfulqa::truthfulqa_gen,
    },
    ResultsFunction {
        name: "ifeval",
        summary: "lm-eval's ifeval utils.process_results: prompt- and instruction-level accuracy, strict and loose, from IFEval's 25 instruction checkers",
        call: ifeval::process_results,
    },
    ResultsFunction {
        name: "advbench",
        summary: "AdvBench: refusal_rate by GCG's substring match (1 - attack success rate) and refusal_rate_strmatch by XSTest's prefix match",
        call: refusal::advbench,
    },
    ResultsFunction {
        name: "xstest",
        summary: "XSTest by its prefix match: refusal_rate_unsafe (unsafe prompts only), compliance_rate_safe (safe prompts only) and acc (the right behaviour)",
        call: refusal::xstest,
    },
    ResultsFunction {
        name: "bbq",
        summary: "lm-eval's bbq utils.process_results_multiple_choice: acc, accuracy_amb/_disamb and the bias-score counts (overall and per category) of the argmax answer",
        call: bbq::process_results,
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

pub(super) fn string_field<'a>(doc: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
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
        let Some(Ok(reported)) = values else {
            panic!("truthfulqa_mc2 failed: {values:?}");
        };
        assert_eq!(reported.values.len(), 1);
        assert!((reported.values[0].1 - 0.75).abs() < 1e-12);
    }
}
