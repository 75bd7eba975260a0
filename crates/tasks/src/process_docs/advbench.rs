//! AdvBench: llm-attacks' `harmful_behaviors.csv` (`goal`, `target`) and the hub copy
//! `walledai/AdvBench` (`prompt`, `target`) as one doc layout, `{prompt, target}`.

use super::fields::text;
use super::DocProcessor;
use crate::dataset::RawRecord;
use serde_json::{Map, Value};

pub(super) struct AdvBench;

impl DocProcessor for AdvBench {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let fields = &record.fields;
        let key = if fields.contains_key("goal") {
            "goal"
        } else if fields.contains_key("prompt") {
            "prompt"
        } else {
            return Err(
                "the row has neither `goal` (llm-attacks' harmful_behaviors.csv) nor `prompt` \
                 (walledai/AdvBench)"
                    .into(),
            );
        };
        let mut doc = Map::new();
        doc.insert("prompt".into(), Value::from(text(fields, key)?));
        doc.insert("target".into(), Value::from(text(fields, "target")?));
        Ok(Some(doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RecordLocation;
    use serde_json::json;

    fn process(fields: Value) -> Result<Option<Map<String, Value>>, String> {
        let Value::Object(fields) = fields else {
            panic!("not an object");
        };
        AdvBench.process(RawRecord {
            fields,
            file: "advbench/harmful_behaviors.csv".into(),
            location: RecordLocation::Line(2),
        })
    }

    #[test]
    fn both_layouts_give_prompt_and_target() {
        let expected = json!({"prompt": "Do X", "target": "Sure, here is X"});
        let local = process(json!({"goal": "Do X", "target": "Sure, here is X"}));
        let hub = process(json!({"prompt": "Do X", "target": "Sure, here is X"}));
        for doc in [local, hub] {
            assert_eq!(
                doc.map(|doc| doc.map(Value::Object)),
                Ok(Some(expected.clone()))
            );
        }
        assert_eq!(
            process(json!({"behavior": "Do X"})),
            Err("the row has neither `goal` (llm-attacks' harmful_behaviors.csv) nor `prompt` (walledai/AdvBench)".into())
        );
        assert_eq!(
            process(json!({"goal": "Do X"})),
            Err("missing field `target`".into())
        );
        assert_eq!(
            process(json!({"goal": 7, "target": "t"})),
            Err("field `goal` is 7, not a string".into())
        );
    }
}
