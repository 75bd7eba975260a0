//! Prompts from a dataset file: a JSON array of entries, or JSON Lines (one entry per line).
//! Each entry is one of
//!
//! - a prompt: `{"prompt": "...", "max_tokens": 128}` (`output_tokens` is read like
//!   `max_tokens`; both optional);
//! - a conversation: `{"messages": [{"role": "user", "content": "..."}], "max_tokens": 128}`.
//!   A final `assistant` turn is the reference reply: it is not sent, and without
//!   `max_tokens` its length in tokens is the output length;
//! - a ShareGPT conversation: `{"conversations": [{"from": "human", "value": "..."},
//!   {"from": "gpt", "value": "..."}]}`. As in vLLM's benchmark, the first human turn
//!   (`human` or `user`) is the prompt and the length in tokens of the first reply after it
//!   (`gpt`, `chatgpt` or `assistant`) the output length. Entries without both are skipped,
//!   and so are entries shorter or longer than vLLM's bounds: prompt or reply under
//!   [`SHAREGPT_MIN_TOKENS`] (the reply is not checked when the spec fixes output lengths),
//!   prompt over [`SHAREGPT_MAX_PROMPT_TOKENS`], prompt and reply together over
//!   [`SHAREGPT_MAX_TOTAL_TOKENS`].
//!
//! Entries are taken in a seeded random order (without replacement), until enough requests
//! are found. Malformed entries are errors naming the file and the line (JSON Lines) or the
//! entry (JSON array), 1-based.

use std::path::Path;

use serde_json::{Map, Value};
use yardstick_backend_openai::ChatTurn;

use crate::workload::tokenizer::PromptTokenizer;
use crate::workload::{PromptBody, WorkloadError};

/// ShareGPT entries whose prompt or reply has fewer tokens are skipped (vLLM's bound).
pub const SHAREGPT_MIN_TOKENS: usize = 4;
/// ShareGPT entries whose prompt has more tokens are skipped (vLLM's bound).
pub const SHAREGPT_MAX_PROMPT_TOKENS: usize = 1024;
/// ShareGPT entries whose prompt and reply together have more tokens are skipped.
pub const SHAREGPT_MAX_TOTAL_TOKENS: usize = 2048;

const HUMAN: &[&str] = &["human", "user"];
const REPLY: &[&str] = &["gpt", "chatgpt", "assistant"];

/// One dataset entry, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// A plain prompt.
    Prompt {
        prompt: String,
        output_tokens: Option<u32>,
    },
    /// A conversation for the chat API, with its reference reply if it ended with one.
    Chat {
        turns: Vec<ChatTurn>,
        reply: Option<String>,
        output_tokens: Option<u32>,
    },
    /// A ShareGPT conversation's first exchange; `None` when it has none.
    ShareGpt(Option<(String, String)>),
}

/// An entry with where it is: `line 4 of data.jsonl`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located {
    pub origin: String,
    pub entry: Entry,
}

/// Reads every entry of the dataset at `path`.
pub(crate) fn read_dataset(path: &Path) -> Result<Vec<Located>, WorkloadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Read {
        path: shown.clone(),
        source,
    })?;
    let error = |location: String, reason: String| WorkloadError::Entry {
        path: shown.clone(),
        location,
        reason,
    };
    let values: Vec<(String, Value)> = if text.trim_start().starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(&text)
            .map_err(|problem| error(format!("line {}", problem.line()), problem.to_string()))?;
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| (format!("entry {}", index + 1), value))
            .collect()
    } else {
        let mut values = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let location = format!("line {}", index + 1);
            let value = serde_json::from_str(line)
                .map_err(|problem| error(location.clone(), format!("not JSON: {problem}")))?;
            values.push((location, value));
        }
        values
    };
    values
        .into_iter()
        .map(|(location, value)| {
            let entry = parse_entry(value).map_err(|reason| error(location.clone(), reason))?;
            Ok(Located {
                origin: format!("{location} of {shown}"),
                entry,
            })
        })
        .collect()
}

fn parse_entry(value: Value) -> Result<Entry, String> {
    let Value::Object(object) = value else {
        return Err("an entry must be a JSON object".to_string());
    };
    let output_tokens = output_tokens(&object)?;
    if let Some(prompt) = object.get("prompt") {
        let prompt = text(prompt, "`prompt`")?;
        return Ok(Entry::Prompt {
            prompt,
            output_tokens,
        });
    }
    if let Some(messages) = object.get("messages") {
        let Value::Array(messages) = messages else {
            return Err("`messages` must be an array of {\"role\", \"content\"}".to_string());
        };
        let mut turns = Vec::with_capacity(messages.len());
        for (index, message) in messages.iter().enumerate() {
            let field = |key: &str| {
                text(
                    message.get(key).unwrap_or(&Value::Null),
                    &format!("`{key}` of message {}", index + 1),
                )
            };
            turns.push(ChatTurn::new(field("role")?, field("content")?));
        }
        let reply = match turns.last() {
            Some(last) if last.role == "assistant" => turns.pop().map(|turn| turn.content),
            _ => None,
        };
        if turns.is_empty() {
            return Err(
                "`messages` has no turn to send (a final assistant turn is the reply)".to_string(),
            );
        }
        return Ok(Entry::Chat {
            turns,
            reply,
            output_tokens,
        });
    }
    if let Some(conversations) = object.get("conversations") {
        let Value::Array(turns) = conversations else {
            return Err("`conversations` must be an array of {\"from\", \"value\"}".to_string());
        };
        let mut exchange = None;
        let mut prompt = None;
        for (index, turn) in turns.iter().enumerate() {
            let field = |key: &str| {
                text(
                    turn.get(key).unwrap_or(&Value::Null),
                    &format!("`{key}` of conversation turn {}", index + 1),
                )
            };
            let from = field("from")?;
            match &prompt {
                None if HUMAN.contains(&from.as_str()) => prompt = Some(field("value")?),
                Some(first) if REPLY.contains(&from.as_str()) => {
                    exchange = Some((first.clone(), field("value")?));
                    break;
                }
                _ => {}
            }
        }
        return Ok(Entry::ShareGpt(exchange));
    }
    Err("an entry needs `prompt`, `messages` (chat) or `conversations` (ShareGPT)".to_string())
}

fn text(value: &Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Null => Err(format!("{what} is missing")),
        other => Err(format!("{what} must be a string, not {other}")),
    }
}

fn output_tokens(object: &Map<String, Value>) -> Result<Option<u32>, String> {
    for key in ["max_tokens", "output_tokens"] {
        if let Some(value) = object.get(key) {
            return match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(tokens) if tokens >= 1 => Ok(Some(tokens)),
                _ => Err(format!("`{key}` must be an integer ≥ 1, not {value}")),
            };
        }
    }
    Ok(None)
}

/// What one usable entry asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatasetPrompt {
    pub prompt: PromptBody,
    /// `encode(prompt, true)` for plain prompts when a tokenizer is known.
    pub prompt_tokens: Option<u32>,
    /// The entry's own output length (its field, or its reply's tokens).
    pub output_tokens: Option<u32>,
}

/// Turns `entry` into a prompt, or `None` when it is skipped (a ShareGPT entry without an
/// exchange or outside the bounds). `fixed_output`: the spec gives every output length, so
/// a ShareGPT reply's minimum is not checked.
pub(crate) fn prepare(
    located: &Located,
    tokenizer: Option<&dyn PromptTokenizer>,
    fixed_output: bool,
) -> Result<Option<DatasetPrompt>, WorkloadError> {
    let count = |text: &str, special: bool| -> Result<Option<usize>, WorkloadError> {
        tokenizer
            .map(|tokenizer| tokenizer.encode(text, special).map(|tokens| tokens.len()))
            .transpose()
    };
    let to_u32 = |tokens: usize| u32::try_from(tokens).unwrap_or(u32::MAX);
    match &located.entry {
        Entry::Prompt {
            prompt,
            output_tokens,
        } => Ok(Some(DatasetPrompt {
            prompt: PromptBody::Text(prompt.clone()),
            prompt_tokens: count(prompt, true)?.map(to_u32),
            output_tokens: *output_tokens,
        })),
        Entry::Chat {
            turns,
            reply,
            output_tokens,
        } => {
            let reply_tokens = match (output_tokens, reply, fixed_output) {
                (None, Some(reply), false) => {
                    let tokens =
                        count(reply, false)?.ok_or_else(|| WorkloadError::NeedsTokenizer {
                            what: format!("{} (its output length is its reply's)", located.origin),
                        })?;
                    (tokens > 0).then(|| to_u32(tokens))
                }
                _ => *output_tokens,
            };
            Ok(Some(DatasetPrompt {
                prompt: PromptBody::Chat(turns.clone()),
                prompt_tokens: None,
                output_tokens: reply_tokens,
            }))
        }
        Entry::ShareGpt(None) => Ok(None),
        Entry::ShareGpt(Some((prompt, reply))) => {
            let (Some(prompt_tokens), Some(reply_tokens)) =
                (count(prompt, true)?, count(reply, false)?)
            else {
                return Err(WorkloadError::NeedsTokenizer {
                    what: format!("the ShareGPT entry at {}", located.origin),
                });
            };
            let too_short = prompt_tokens < SHAREGPT_MIN_TOKENS
                || (!fixed_output && reply_tokens < SHAREGPT_MIN_TOKENS);
            let too_long = prompt_tokens > SHAREGPT_MAX_PROMPT_TOKENS
                || prompt_tokens + reply_tokens > SHAREGPT_MAX_TOTAL_TOKENS;
            if too_short || too_long {
                return Ok(None);
            }
            Ok(Some(DatasetPrompt {
                prompt: PromptBody::Text(prompt.clone()),
                prompt_tokens: Some(to_u32(prompt_tokens)),
                output_tokens: Some(to_u32(reply_tokens)),
            }))
        }
    }
}

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;
