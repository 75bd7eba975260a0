//! MMLU: the jsonl of all subjects as cais/mmlu, keeping one subject.

use super::fields::{field, object, strings, text};
use super::{DocProcessor, HookContext};
use crate::dataset::RawRecord;
use crate::error::TaskError;
use serde_json::{Map, Value};

pub(super) struct Mmlu {
    subject: String,
}

impl Mmlu {
    pub(super) fn create(context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
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
