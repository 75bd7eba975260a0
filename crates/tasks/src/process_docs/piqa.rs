//! PIQA: the published jsonl, with the labels read from their own file, as baber/piqa.

use super::fields::{object, text};
use super::{DocProcessor, HookContext};
use crate::dataset::{open_text, resolve_data_file, RawRecord};
use crate::error::TaskError;
use serde_json::{Map, Value};
use std::io::BufRead;

pub(super) struct Piqa {
    labels_file: String,
    labels: Box<dyn BufRead + Send>,
    line: u64,
}

impl Piqa {
    pub(super) fn create(context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
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
