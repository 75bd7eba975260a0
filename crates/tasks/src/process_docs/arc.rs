//! ARC and OpenBookQA: the published jsonl (`question.stem`, `question.choices[{text,label}]`,
//! `answerKey`) as allenai/ai2_arc and allenai/openbookqa give it.

use super::fields::{field, object, text};
use super::DocProcessor;
use crate::dataset::RawRecord;
use serde_json::{Map, Value};

/// ARC's layout, with the question under `stem_key` (`question` for ARC, `question_stem`
/// for OpenBookQA).
pub(super) struct Arc {
    pub(super) stem_key: &'static str,
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
