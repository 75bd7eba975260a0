//! Reading fields of a dataset record (`question.stem`) and building docs, for the hooks.

use serde_json::{Map, Value};

pub(super) fn field<'a>(record: &'a Map<String, Value>, path: &str) -> Result<&'a Value, String> {
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

pub(super) fn text(record: &Map<String, Value>, path: &str) -> Result<String, String> {
    match field(record, path)? {
        Value::String(text) => Ok(text.clone()),
        other => Err(format!("field `{path}` is {other}, not a string")),
    }
}

pub(super) fn strings(record: &Map<String, Value>, path: &str) -> Result<Vec<String>, String> {
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

pub(super) fn object(entries: Vec<(&str, Value)>) -> Map<String, Value> {
    entries
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
}
