//! HellaSwag: the published jsonl as Rowan/hellaswag, then lm-eval's own `process_docs`.

use super::fields::{field, strings, text};
use super::DocProcessor;
use crate::dataset::RawRecord;
use crate::python;
use serde_json::{Map, Value};

pub(super) struct HellaSwag;

/// lm-eval's `hellaswag/utils.py` `preprocess`: strip, `" [title]"` -> `". "`, drop `[...]`
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
}
