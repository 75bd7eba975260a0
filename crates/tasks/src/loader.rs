//! Reading lm-eval YAML files: from the binary (built-in tasks) or from disk (user tasks),
//! following `include` (a path or a list of paths relative to the including file; included
//! configs are merged in order and the including file's own keys win, as lm-eval does).
//!
//! The result is plain JSON: `!function module.name` becomes `{"!function": "module.name"}`
//! so that the resolved config can be hashed as canonical JSON and inspected uniformly.

use crate::error::TaskError;
use serde_json::{Map, Value};
use std::path::{Component, Path, PathBuf};

/// The JSON key that stands for a `!function` YAML tag.
pub const FUNCTION_TAG: &str = "!function";

/// Where a config file lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// A file compiled into the binary, by its path under `crates/tasks/tasks/`.
    Builtin(String),
    /// A file on disk.
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin(path) => write!(f, "built-in {path}"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Origin {
    fn read(&self) -> Result<String, TaskError> {
        match self {
            Origin::Builtin(path) => {
                crate::builtin::file(path)
                    .map(str::to_string)
                    .ok_or_else(|| TaskError::Yaml {
                        origin: self.to_string(),
                        message: "no such built-in file".into(),
                    })
            }
            Origin::File(path) => std::fs::read_to_string(path).map_err(|error| TaskError::Yaml {
                origin: self.to_string(),
                message: format!("cannot read: {error}"),
            }),
        }
    }

    /// The file an `include: <relative>` in this file refers to.
    fn include(&self, relative: &str) -> Origin {
        match self {
            Origin::Builtin(path) => {
                let parent = Path::new(path).parent().unwrap_or(Path::new(""));
                Origin::Builtin(normalize(&parent.join(relative)))
            }
            Origin::File(path) => {
                let relative = Path::new(relative);
                if relative.is_absolute() {
                    Origin::File(relative.to_path_buf())
                } else {
                    let parent = path.parent().unwrap_or(Path::new("."));
                    Origin::File(parent.join(relative))
                }
            }
        }
    }
}

/// `a/./b/../c` -> `a/c`, with forward slashes (built-in paths are not real paths).
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Reads one config file and everything it includes, merged.
pub fn load(origin: &Origin) -> Result<Map<String, Value>, TaskError> {
    load_with_stack(origin, &mut Vec::new())
}

fn load_with_stack(
    origin: &Origin,
    stack: &mut Vec<Origin>,
) -> Result<Map<String, Value>, TaskError> {
    if stack.contains(origin) {
        return Err(TaskError::Yaml {
            origin: origin.to_string(),
            message: "include cycle".into(),
        });
    }
    let text = origin.read()?;
    let mut config = parse_mapping(&text, origin)?;
    let Some(includes) = config.remove("include") else {
        return Ok(config);
    };
    let includes: Vec<String> = match includes {
        Value::String(one) => vec![one],
        Value::Array(many) => many
            .into_iter()
            .map(|item| match item {
                Value::String(path) => Ok(path),
                other => Err(other),
            })
            .collect::<Result<_, _>>()
            .map_err(|other| TaskError::Config {
                origin: origin.to_string(),
                key: "include".into(),
                message: format!("expected a file name, got {other}"),
            })?,
        other => {
            return Err(TaskError::Config {
                origin: origin.to_string(),
                key: "include".into(),
                message: format!("expected a file name or a list of them, got {other}"),
            })
        }
    };
    stack.push(origin.clone());
    let mut merged = Map::new();
    for include in includes {
        let mut included = load_with_stack(&origin.include(&include), stack)?;
        // lm-eval: a `task_list` defines tasks for the included file only.
        included.remove("task_list");
        merged.extend(included);
    }
    stack.pop();
    merged.extend(config);
    Ok(merged)
}

/// Parses YAML text that must be a mapping, converting it to JSON.
pub fn parse_mapping(text: &str, origin: &Origin) -> Result<Map<String, Value>, TaskError> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|error| TaskError::Yaml {
            origin: origin.to_string(),
            message: format!("invalid YAML: {error}"),
        })?;
    match yaml_to_json(yaml, origin, "")? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(TaskError::Yaml {
            origin: origin.to_string(),
            message: format!("expected a mapping of keys to values at the top level, got {other}"),
        }),
    }
}

fn yaml_to_json(
    yaml: serde_yaml_ng::Value,
    origin: &Origin,
    key: &str,
) -> Result<Value, TaskError> {
    use serde_yaml_ng::Value as Yaml;
    let config_error = |message: String| TaskError::Config {
        origin: origin.to_string(),
        key: key.to_string(),
        message,
    };
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::Bool(flag),
        Yaml::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Value::from(integer)
            } else if let Some(integer) = number.as_u64() {
                Value::from(integer)
            } else {
                let float = number.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(float)
                    .map(Value::Number)
                    .ok_or_else(|| config_error(format!("{float} cannot be represented")))?
            }
        }
        Yaml::String(text) => Value::String(text),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|item| yaml_to_json(item, origin, key))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut map = Map::new();
            for (entry_key, entry_value) in mapping {
                let name = match entry_key {
                    Yaml::String(text) => text,
                    Yaml::Number(number) => number.to_string(),
                    Yaml::Bool(flag) => flag.to_string(),
                    other => {
                        return Err(config_error(format!("unsupported mapping key {other:?}")))
                    }
                };
                let path = if key.is_empty() {
                    name.clone()
                } else {
                    format!("{key}.{name}")
                };
                map.insert(name, yaml_to_json(entry_value, origin, &path)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => {
            if tagged.tag == "function" {
                match tagged.value {
                    Yaml::String(name) => {
                        let mut map = Map::new();
                        map.insert(FUNCTION_TAG.into(), Value::String(name));
                        Value::Object(map)
                    }
                    other => {
                        return Err(config_error(format!(
                            "`!function` needs a name, got {other:?}"
                        )))
                    }
                }
            } else {
                return Err(config_error(format!(
                    "unsupported YAML tag `{}` (only `!function` is understood)",
                    tagged.tag
                )));
            }
        }
    })
}

/// The function name of a `!function` value, if `value` is one.
pub fn function_name(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(FUNCTION_TAG).and_then(Value::as_str),
        _ => None,
    }
}

/// Canonical JSON: object keys sorted at every level, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = Map::new();
                for (key, item) in entries {
                    out.insert(key.clone(), sorted(item));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // serde_json's default `Map` is a BTreeMap, so keys come out sorted; `sorted` keeps this
    // true even if a dependency turns on `preserve_order`.
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_tags_and_escaped_line_breaks() {
        let origin = Origin::Builtin("test.yaml".into());
        let text = "process_docs: !function utils.process_docs\n\
                    \"description\": \"about abstract\\\n  \\ algebra.\\n\\n\"\n";
        let map = parse_mapping(text, &origin).unwrap_or_default();
        assert_eq!(
            map.get("process_docs").and_then(function_name),
            Some("utils.process_docs")
        );
        assert_eq!(
            map.get("description").and_then(Value::as_str),
            Some("about abstract algebra.\n\n")
        );
    }

    #[test]
    fn includes_merge_and_local_keys_win() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
        };
        write("base.yaml", "a: 1\nb: 2\ntask_list: [x]\n");
        write("other.yaml", "b: 3\nc: 4\n");
        write("task.yaml", "include: [base.yaml, other.yaml]\nc: 5\n");
        let map = load(&Origin::File(dir.path().join("task.yaml"))).unwrap_or_default();
        assert_eq!(
            canonical_json(&Value::Object(map)),
            r#"{"a":1,"b":3,"c":5}"#
        );
        write("loop.yaml", "include: loop.yaml\n");
        let error = load(&Origin::File(dir.path().join("loop.yaml")));
        assert!(
            matches!(error, Err(TaskError::Yaml { message, .. }) if message == "include cycle")
        );
    }

    #[test]
    fn builtin_include_paths_are_relative() {
        let origin = Origin::Builtin("mmlu/default/mmlu_anatomy.yaml".into());
        assert_eq!(
            origin.include("_default_template_yaml"),
            Origin::Builtin("mmlu/default/_default_template_yaml".into())
        );
        assert_eq!(
            origin.include("../x.yaml"),
            Origin::Builtin("mmlu/x.yaml".into())
        );
    }
}
