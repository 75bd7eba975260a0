//! TruthfulQA: the published multiple-choice JSON and generation CSV as Hugging Face's
//! truthful_qa configs, then lm-eval's `process_docs_gen` for the generation task.

use super::fields::{field, object, strings, text};
use super::DocProcessor;
use crate::dataset::RawRecord;
use crate::python;
use serde_json::{Map, Value};

/// Hugging Face's `truthful_qa` loader turns `{answer: label}` maps into `{choices, labels}`.
pub(super) struct TruthfulQaMc;

impl DocProcessor for TruthfulQaMc {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let fields = &record.fields;
        let targets = |key: &str| -> Result<Value, String> {
            let map = field(fields, key)?
                .as_object()
                .ok_or_else(|| format!("field `{key}` is not a mapping of answers to labels"))?;
            let choices: Vec<Value> = map
                .keys()
                .map(|answer| Value::from(answer.clone()))
                .collect();
            let labels: Vec<Value> = map.values().cloned().collect();
            Ok(Value::Object(object(vec![
                ("choices", Value::from(choices)),
                ("labels", Value::from(labels)),
            ])))
        };
        Ok(Some(object(vec![
            ("question", Value::from(text(fields, "question")?)),
            ("mc1_targets", targets("mc1_targets")?),
            ("mc2_targets", targets("mc2_targets")?),
        ])))
    }
}

/// Hugging Face's `truthful_qa` generation config (rows without both answer lists are
/// skipped; answer lists are split at `;` and stripped), then lm-eval's `process_docs_gen`.
pub(super) struct TruthfulQaGen;

impl TruthfulQaGen {
    fn column(fields: &Map<String, Value>, name: &str) -> Result<String, String> {
        // The CSV starts with a byte-order mark, which a plain reader keeps in the first key.
        let value = fields
            .get(name)
            .or_else(|| fields.get(&format!("\u{feff}{name}")))
            .ok_or_else(|| format!("missing column `{name}`"))?;
        Ok(match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
    }

    fn split_list(text: &str) -> Vec<String> {
        python::strip(text)
            .split(';')
            .map(|item| python::strip(item).to_string())
            .collect()
    }

    /// lm-eval's `_format_answers`: strip, drop empty, end each with a period.
    fn format_answers(answers: &[String]) -> Vec<String> {
        answers
            .iter()
            .map(|answer| python::strip(answer))
            .filter(|answer| !answer.is_empty())
            .map(|answer| {
                if answer.ends_with('.') {
                    answer.to_string()
                } else {
                    format!("{answer}.")
                }
            })
            .collect()
    }
}

impl DocProcessor for TruthfulQaGen {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let fields = &record.fields;
        let correct = Self::column(fields, "Correct Answers")?;
        let incorrect = Self::column(fields, "Incorrect Answers")?;
        if correct.is_empty() || incorrect.is_empty() {
            return Ok(None);
        }
        let mut correct_answers = Self::format_answers(&Self::split_list(&correct));
        let incorrect_answers = Self::format_answers(&Self::split_list(&incorrect));
        if !correct_answers
            .iter()
            .any(|answer| answer == "I have no comment.")
        {
            correct_answers.push("I have no comment.".into());
        }
        let question = Self::column(fields, "Question")?;
        Ok(Some(object(vec![
            ("type", Value::from(Self::column(fields, "Type")?)),
            ("category", Value::from(Self::column(fields, "Category")?)),
            (
                "question",
                Value::from(python::strip(&question).to_string()),
            ),
            (
                "best_answer",
                Value::from(Self::column(fields, "Best Answer")?),
            ),
            ("correct_answers", Value::from(correct_answers)),
            ("incorrect_answers", Value::from(incorrect_answers)),
            ("source", Value::from(Self::column(fields, "Source")?)),
        ])))
    }
}

/// lm-eval's `process_docs_gen` alone, for truthful_qa's generation config from the hub.
pub(super) struct TruthfulQaGenHub;

impl DocProcessor for TruthfulQaGenHub {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let mut doc = record.fields;
        let mut correct = TruthfulQaGen::format_answers(&strings(&doc, "correct_answers")?);
        let incorrect = TruthfulQaGen::format_answers(&strings(&doc, "incorrect_answers")?);
        if !correct.iter().any(|answer| answer == "I have no comment.") {
            correct.push("I have no comment.".into());
        }
        let question = text(&doc, "question")?;
        doc.insert(
            "question".into(),
            Value::from(python::strip(&question).to_string()),
        );
        doc.insert("correct_answers".into(), Value::from(correct));
        doc.insert("incorrect_answers".into(), Value::from(incorrect));
        Ok(Some(doc))
    }
}
