//! `process_docs` hooks written in Rust. lm-eval runs Python functions here
//! (`process_docs: !function utils.process_docs`); yardstick cannot, so a config names one
//! of these instead, with the same tag and the module `yardstick`:
//!
//! ```yaml
//! process_docs: !function yardstick.hellaswag
//! ```
//!
//! The built-in ones read the datasets in their *original* published layouts (what is in the
//! data directory) and return docs shaped like the Hugging Face datasets lm-eval's templates
//! were written for, plus whatever lm-eval's own `process_docs` adds (HellaSwag). A hook sees
//! one record at a time (so nothing holds the dataset in memory), may drop it (MMLU keeps
//! the records of one subject), and may read further files named in `data_files` (PIQA's
//! labels).

use crate::dataset::{open_text, resolve_data_file, RawRecord};
use crate::error::TaskError;
use crate::python;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// The module name of yardstick's hooks in `!function yardstick.<name>`.
pub const MODULE: &str = "yardstick";

/// What a hook is created with.
#[derive(Debug, Clone, Copy)]
pub struct HookContext<'a> {
    pub task: &'a str,
    pub dataset_name: Option<&'a str>,
    pub data_dir: &'a Path,
    pub data_files: &'a BTreeMap<String, Vec<String>>,
}

/// Converts records into docs, one at a time, in dataset order.
pub trait DocProcessor: Send {
    /// The doc for `record`, `Ok(None)` to drop the record, or what is wrong with it.
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String>;
}

/// What a hook does to docs read from the Hugging Face hub, which are already in the layout
/// the hub dataset has (the layout lm-eval's templates were written for).
#[derive(Debug, Clone, Copy)]
pub enum OnHub {
    /// Nothing: the hook only converts the local file's original layout.
    Skip,
    /// The same hook (it accepts the hub layout too).
    Same,
    /// Another hook, for the hub layout.
    Other(fn(&HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError>),
}

/// A registered hook.
#[derive(Debug, Clone, Copy)]
pub struct Hook {
    /// The name after `yardstick.`.
    pub name: &'static str,
    /// What the hook expects and returns.
    pub summary: &'static str,
    /// `data_files` keys the hook reads besides the evaluation split.
    pub extra_files: &'static [&'static str],
    /// What it does for hub data.
    pub on_hub: OnHub,
    create: fn(&HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError>,
}

impl Hook {
    pub fn create(&self, context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
        (self.create)(context)
    }

    /// The processor for docs from the hub, if the hook has anything to do with them.
    pub fn create_for_hub(
        &self,
        context: &HookContext<'_>,
    ) -> Result<Option<Box<dyn DocProcessor>>, TaskError> {
        match self.on_hub {
            OnHub::Skip => Ok(None),
            OnHub::Same => self.create(context).map(Some),
            OnHub::Other(create) => create(context).map(Some),
        }
    }
}

pub const HOOKS: &[Hook] = &[
    Hook {
        name: "arc",
        summary: "ARC jsonl (question.stem, question.choices[{text,label}], answerKey) -> allenai/ai2_arc",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(Arc { stem_key: "question" })),
    },
    Hook {
        name: "openbookqa",
        summary: "OpenBookQA main jsonl (same layout as ARC) -> allenai/openbookqa main (question_stem)",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(Arc { stem_key: "question_stem" })),
    },
    Hook {
        name: "boolq",
        summary: "BoolQ jsonl (question, title, passage, answer: bool) -> super_glue boolq (passage = title + ' -- ' + passage, label 0/1, idx)",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(BoolQ { index: 0 })),
    },
    Hook {
        name: "piqa",
        summary: "PIQA jsonl (goal, sol1, sol2) + the `labels` data file, one 0/1 per line -> baber/piqa (label)",
        extra_files: &["labels"],
        on_hub: OnHub::Skip,
        create: Piqa::create,
    },
    Hook {
        name: "hellaswag",
        summary: "HellaSwag jsonl -> Rowan/hellaswag (label as text), then lm-eval's hellaswag process_docs (query, choices, gold)",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(HellaSwag)),
    },
    Hook {
        name: "mmlu",
        summary: "MMLU jsonl of all subjects (question, subject, choices, answer) -> cais/mmlu, keeping the subject named by dataset_name",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: Mmlu::create,
    },
    Hook {
        name: "truthfulqa_mc",
        summary: "TruthfulQA mc_task.json (question, mc1_targets/mc2_targets: {answer: 0/1}) -> truthful_qa multiple_choice ({choices, labels})",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(TruthfulQaMc)),
    },
    Hook {
        name: "truthfulqa_gen",
        summary: "TruthfulQA.csv -> truthful_qa generation (answers split at ';'), then lm-eval's process_docs_gen (answers end with '.', 'I have no comment.' is a correct answer)",
        extra_files: &[],
        on_hub: OnHub::Other(|_| Ok(Box::new(TruthfulQaGenHub))),
        create: |_| Ok(Box::new(TruthfulQaGen)),
    },
    Hook {
        name: "mbpp",
        summary: "MBPP mbpp.jsonl (all splits) -> the split named by dataset_kwargs.split_task_ids or the test split (task_id 11-510), as google-research-datasets/mbpp full",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(MbppTest)),
    },
];

/// The hook named `module.name`, if it is one of yardstick's.
pub fn find(full_name: &str) -> Option<&'static Hook> {
    let name = full_name.strip_prefix(MODULE)?.strip_prefix('.')?;
    HOOKS.iter().find(|hook| hook.name == name)
}

/// `yardstick.arc, yardstick.boolq, ...` for error messages.
pub fn known_names() -> String {
    HOOKS
        .iter()
        .map(|hook| format!("{MODULE}.{}", hook.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn field<'a>(record: &'a Map<String, Value>, path: &str) -> Result<&'a Value, String> {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or(path);
    let mut value = record
        .get(first)
        .ok_or_else(|| format!("missing field `{path}`"))?;
    for part in parts {
        value = value
            .as_object()
            .and_then(|object| object.get(part))
            .ok_or_else(|| format!("missing field `{path}`"))?;
    }
    Ok(value)
}

fn text(record: &Map<String, Value>, path: &str) -> Result<String, String> {
    match field(record, path)? {
        Value::String(text) => Ok(text.clone()),
        other => Err(format!("field `{path}` is {other}, not a string")),
    }
}

fn strings(record: &Map<String, Value>, path: &str) -> Result<Vec<String>, String> {
    match field(record, path)? {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("field `{path}` has a non-string item {item}"))
            })
            .collect(),
        other => Err(format!("field `{path}` is {other}, not a list")),
    }
}

fn object(entries: Vec<(&str, Value)>) -> Map<String, Value> {
    entries
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
}

struct Arc {
    stem_key: &'static str,
}

impl DocProcessor for Arc {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let fields = &record.fields;
        let Value::Array(choices) = field(fields, "question.choices")? else {
            return Err("field `question.choices` is not a list".into());
        };
        let mut texts = Vec::with_capacity(choices.len());
        let mut labels = Vec::with_capacity(choices.len());
        for (position, choice) in choices.iter().enumerate() {
            let Value::Object(choice) = choice else {
                return Err(format!("question.choices[{position}] is not an object"));
            };
            texts.push(Value::from(
                text(choice, "text").map_err(|e| format!("question.choices[{position}]: {e}"))?,
            ));
            labels.push(Value::from(
                text(choice, "label").map_err(|e| format!("question.choices[{position}]: {e}"))?,
            ));
        }
        Ok(Some(object(vec![
            ("id", Value::from(text(fields, "id")?)),
            (self.stem_key, Value::from(text(fields, "question.stem")?)),
            (
                "choices",
                Value::Object(object(vec![
                    ("text", Value::Array(texts)),
                    ("label", Value::Array(labels)),
                ])),
            ),
            ("answerKey", Value::from(text(fields, "answerKey")?)),
        ])))
    }
}

struct BoolQ {
    index: u64,
}

impl DocProcessor for BoolQ {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let fields = &record.fields;
        let answer = match field(fields, "answer")? {
            Value::Bool(answer) => *answer,
            other => return Err(format!("field `answer` is {other}, not true or false")),
        };
        // SuperGLUE's BoolQ passages are the original passages prefixed with the page title.
        let passage = format!("{} -- {}", text(fields, "title")?, text(fields, "passage")?);
        let doc = object(vec![
            ("question", Value::from(text(fields, "question")?)),
            ("passage", Value::from(passage)),
            ("idx", Value::from(self.index)),
            ("label", Value::from(u8::from(answer))),
        ]);
        self.index += 1;
        Ok(Some(doc))
    }
}

struct Piqa {
    labels_file: String,
    labels: Box<dyn BufRead + Send>,
    line: u64,
}

impl Piqa {
    fn create(context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
        let labels_file = match context.data_files.get("labels").map(Vec::as_slice) {
            Some([one]) => one.clone(),
            _ => {
                return Err(TaskError::Config {
                    origin: format!("task {}", context.task),
                    key: "dataset_kwargs.data_files.labels".into(),
                    message: "yardstick.piqa needs exactly one labels file (one 0/1 per line)"
                        .into(),
                })
            }
        };
        let path = resolve_data_file(context.task, context.data_dir, &labels_file)?;
        let labels = open_text(&path).map_err(|source| TaskError::Io {
            task: context.task.to_string(),
            file: labels_file.clone(),
            source,
        })?;
        Ok(Box::new(Piqa {
            labels_file,
            labels,
            line: 0,
        }))
    }
}

impl DocProcessor for Piqa {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let mut line = String::new();
        self.line += 1;
        let read = self
            .labels
            .read_line(&mut line)
            .map_err(|error| format!("reading {}: {error}", self.labels_file))?;
        if read == 0 {
            return Err(format!(
                "{} has no line {} (fewer labels than questions)",
                self.labels_file, self.line
            ));
        }
        let label: u8 = match line.trim() {
            "0" => 0,
            "1" => 1,
            other => {
                return Err(format!(
                    "line {} of {}: label `{other}` is not 0 or 1",
                    self.line, self.labels_file
                ))
            }
        };
        let fields = &record.fields;
        Ok(Some(object(vec![
            ("goal", Value::from(text(fields, "goal")?)),
            ("sol1", Value::from(text(fields, "sol1")?)),
            ("sol2", Value::from(text(fields, "sol2")?)),
            ("label", Value::from(label)),
        ])))
    }
}

struct HellaSwag;

/// lm-eval's `hellaswag/utils.py` `preprocess`: strip, " [title]" -> ". ", drop `[...]`
/// (non-greedy, not across lines: Python's `re.sub("\\[.*?\\]", "", text)`), then replace
/// double spaces once, left to right.
pub fn hellaswag_preprocess(text: &str) -> String {
    let text = python::strip(text).replace(" [title]", ". ");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find([']', '\n']) {
            Some(close) if after[close..].starts_with(']') => {
                out.push_str(&rest[..open]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("  ", " ")
}

impl DocProcessor for HellaSwag {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let mut doc = record.fields;
        let activity_label = text(&doc, "activity_label")?;
        let context = format!(
            "{} {}",
            text(&doc, "ctx_a")?,
            python::capitalize(&text(&doc, "ctx_b")?)
        );
        let endings = strings(&doc, "endings")?;
        let gold = match field(&doc, "label")? {
            Value::Number(number) => number
                .as_i64()
                .ok_or_else(|| format!("field `label` is {number}, not an integer"))?,
            Value::String(label) => label
                .trim()
                .parse()
                .map_err(|_| format!("field `label` is `{label}`, not an integer"))?,
            other => return Err(format!("field `label` is {other}, not an integer")),
        };
        // Hugging Face's Rowan/hellaswag stores the label as text.
        doc.insert("label".into(), Value::from(gold.to_string()));
        doc.insert(
            "query".into(),
            Value::from(hellaswag_preprocess(&format!(
                "{activity_label}: {context}"
            ))),
        );
        doc.insert(
            "choices".into(),
            Value::Array(
                endings
                    .iter()
                    .map(|ending| Value::from(hellaswag_preprocess(ending)))
                    .collect(),
            ),
        );
        doc.insert("gold".into(), Value::from(gold));
        Ok(Some(doc))
    }
}

struct Mmlu {
    subject: String,
}

impl Mmlu {
    fn create(context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
        let subject = context.dataset_name.ok_or_else(|| TaskError::Config {
            origin: format!("task {}", context.task),
            key: "dataset_name".into(),
            message: "yardstick.mmlu needs the subject as dataset_name".into(),
        })?;
        Ok(Box::new(Mmlu {
            subject: subject.to_string(),
        }))
    }
}

impl DocProcessor for Mmlu {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        if text(&record.fields, "subject")? != self.subject {
            return Ok(None);
        }
        let fields = &record.fields;
        let answer = field(fields, "answer")?;
        if !answer.is_i64() {
            return Err(format!("field `answer` is {answer}, not an integer"));
        }
        Ok(Some(object(vec![
            ("question", Value::from(text(fields, "question")?)),
            ("subject", Value::from(self.subject.clone())),
            ("choices", Value::from(strings(fields, "choices")?)),
            ("answer", answer.clone()),
        ])))
    }
}

/// Hugging Face's `truthful_qa` loader turns `{answer: label}` maps into `{choices, labels}`.
struct TruthfulQaMc;

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
struct TruthfulQaGen;

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
struct TruthfulQaGenHub;

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

/// MBPP's published file holds every split; the test split is task ids 11 to 510.
struct MbppTest;

impl DocProcessor for MbppTest {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let task_id = field(&record.fields, "task_id")?
            .as_u64()
            .ok_or("field `task_id` is not an integer")?;
        Ok((11..=510).contains(&task_id).then_some(record.fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellaswag_preprocess_matches_lm_eval() {
        // Expected values printed by lm-eval's `preprocess` (hellaswag/utils.py) under Python 3.11.
        assert_eq!(
            hellaswag_preprocess(" Foo [title] Bar [step] baz "),
            "Foo. Bar baz"
        );
        assert_eq!(hellaswag_preprocess("a [x] [y] b"), "a  b");
        assert_eq!(hellaswag_preprocess("a   b"), "a  b");
        assert_eq!(
            hellaswag_preprocess("keep [open\n] and [ok]"),
            "keep [open\n] and "
        );
        assert_eq!(hellaswag_preprocess("a [unclosed"), "a [unclosed");
        assert_eq!(hellaswag_preprocess("[a]]b[[c]d"), "]bd");
    }

    #[test]
    fn hooks_are_found_by_full_name_only() {
        assert!(find("yardstick.arc").is_some());
        assert!(find("utils.process_docs").is_none());
        assert!(find("arc").is_none());
        assert!(known_names().starts_with("yardstick.arc, yardstick.openbookqa"));
    }
}
