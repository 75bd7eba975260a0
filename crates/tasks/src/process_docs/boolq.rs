//! BoolQ: the published jsonl as super_glue's boolq (passage prefixed with its title).

use super::fields::{field, object, text};
use super::DocProcessor;
use crate::dataset::RawRecord;
use serde_json::{Map, Value};

pub(super) struct BoolQ {
    /// The next record's `idx`, counted from 0 as super_glue numbers them.
    pub(super) index: u64,
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
