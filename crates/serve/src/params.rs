//! Request bodies raised once into what the engine is asked: [`CompletionParams`] and
//! [`ChatParams`], every default filled and every field checked, errors naming the field.

use std::hash::{BuildHasher, RandomState};

use serde_json::Value;
use yardstick_backend::{ChatEnd, ChatMessage, Sampling};
use yardstick_backend_llamacpp::MAX_TOP_LOGPROBS;

use crate::error::ServeError;
use crate::fields::{describe, Fields};

/// `max_tokens` of `/v1/completions` when the request gives none (OpenAI's default).
pub const DEFAULT_COMPLETION_TOKENS: u32 = 16;

/// One prompt: text (tokenized as scoring tokenizes it) or token ids used as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prompt {
    Text(String),
    Tokens(Vec<u32>),
}

/// How to generate, shared by both APIs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GenerationParams {
    /// `None`: chat's default, the rest of the context window.
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    pub ignore_eos: bool,
    pub min_tokens: u32,
    /// `None`: greedy (temperature absent or 0).
    pub sampling: Option<Sampling>,
}

/// Whether and how to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StreamParams {
    pub stream: bool,
    /// `stream_options.include_usage`: a last chunk with the usage and no choices.
    pub include_usage: bool,
}

/// A `/v1/completions` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompletionParams {
    /// One choice per prompt, in order.
    pub prompts: Vec<Prompt>,
    pub echo: bool,
    /// Top alternatives per token (legacy `logprobs` integer).
    pub logprobs: Option<u32>,
    /// yardstick's extension `echo_logprobs_from`: per prompt, the character of its text
    /// from which the echoed tokens carry logprobs (earlier ones `null`); `None` for every
    /// token.
    pub echo_logprobs_from: Vec<Option<usize>>,
    pub generation: GenerationParams,
    pub stream: StreamParams,
}

/// The name of yardstick's echo extension field.
pub const ECHO_LOGPROBS_FROM: &str = "echo_logprobs_from";

/// A `/v1/chat/completions` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChatParams {
    pub messages: Vec<ChatMessage>,
    /// vLLM's `add_generation_prompt` (default true) and `continue_final_message`
    /// (default false): open the assistant's turn, or continue the final message.
    pub end: ChatEnd,
    /// `top_logprobs` when `logprobs` is true.
    pub logprobs: Option<u32>,
    pub generation: GenerationParams,
    pub stream: StreamParams,
}

/// A random `u64` (the standard library's per-process random keys).
pub(crate) fn random_u64() -> u64 {
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Refuses a `model` other than the served one (absent means the served one).
pub(crate) fn check_model(fields: &Fields, served: &str) -> Result<(), ServeError> {
    match fields.string("model")? {
        Some(requested) if requested != served => Err(ServeError::UnknownModel {
            requested: requested.to_string(),
            served: served.to_string(),
        }),
        _ => Ok(()),
    }
}

impl CompletionParams {
    pub fn parse(fields: &Fields) -> Result<CompletionParams, ServeError> {
        let prompts = prompts(fields)?;
        let echo = fields.boolean("echo")?.unwrap_or(false);
        let logprobs = fields.count("logprobs", 0, MAX_TOP_LOGPROBS)?;
        let max_tokens = fields
            .count("max_tokens", 0, u32::MAX)?
            .unwrap_or(DEFAULT_COMPLETION_TOKENS);
        if max_tokens == 0 && !echo {
            return Err(ServeError::field(
                "max_tokens",
                "0 is allowed only with `echo: true` (scoring the prompt)",
            ));
        }
        if fields
            .string("suffix")?
            .is_some_and(|suffix| !suffix.is_empty())
        {
            return Err(ServeError::field("suffix", "is not supported"));
        }
        only_one(fields, "best_of")?;
        let echo_logprobs_from = echo_logprobs_from(fields, prompts.len())?;
        if echo_logprobs_from.iter().any(Option::is_some) && !(echo && logprobs.is_some()) {
            return Err(ServeError::field(
                ECHO_LOGPROBS_FROM,
                "needs `echo: true` and `logprobs`",
            ));
        }
        Ok(CompletionParams {
            prompts,
            echo,
            logprobs,
            echo_logprobs_from,
            generation: generation(fields, Some(max_tokens))?,
            stream: stream(fields)?,
        })
    }
}

impl ChatParams {
    pub fn parse(fields: &Fields) -> Result<ChatParams, ServeError> {
        let messages = messages(fields)?;
        let max_tokens = match fields.count("max_completion_tokens", 1, u32::MAX)? {
            Some(tokens) => Some(tokens),
            None => fields.count("max_tokens", 1, u32::MAX)?,
        };
        let wants_logprobs = fields.boolean("logprobs")?.unwrap_or(false);
        let top = fields.count("top_logprobs", 0, MAX_TOP_LOGPROBS)?;
        if top.is_some() && !wants_logprobs {
            return Err(ServeError::field("top_logprobs", "needs `logprobs: true`"));
        }
        let add_generation_prompt = fields.boolean("add_generation_prompt")?.unwrap_or(true);
        let continue_final_message = fields.boolean("continue_final_message")?.unwrap_or(false);
        let end = match (add_generation_prompt, continue_final_message) {
            (true, false) => ChatEnd::GenerationPrompt,
            (false, true) => ChatEnd::ContinueFinalMessage,
            (true, true) => {
                return Err(ServeError::field(
                    "continue_final_message",
                    "cannot be true together with `add_generation_prompt` (set it to false)",
                ))
            }
            (false, false) => {
                return Err(ServeError::field(
                    "add_generation_prompt",
                    "false needs `continue_final_message: true` (a closed conversation has nothing to generate)",
                ))
            }
        };
        Ok(ChatParams {
            messages,
            end,
            logprobs: wants_logprobs.then(|| top.unwrap_or(0)),
            generation: generation(fields, max_tokens)?,
            stream: stream(fields)?,
        })
    }
}

/// Refuses a count other than 1 (`n`, `best_of`): one choice per prompt.
fn only_one(fields: &Fields, field: &str) -> Result<(), ServeError> {
    match fields.integer(field, i64::MIN, i64::MAX)? {
        None | Some(1) => Ok(()),
        Some(other) => Err(ServeError::field(
            field,
            format!("only 1 is supported, not {other}"),
        )),
    }
}

fn generation(fields: &Fields, max_tokens: Option<u32>) -> Result<GenerationParams, ServeError> {
    only_one(fields, "n")?;
    let temperature = fields
        .number("temperature", "a number of at least 0", |t| t >= 0.0)?
        .unwrap_or(0.0);
    let top_p = fields.number("top_p", "a number in (0, 1]", |p| p > 0.0 && p <= 1.0)?;
    let top_k = fields
        .integer("top_k", -1, i64::from(u32::MAX))?
        .and_then(|k| u32::try_from(k).ok())
        .filter(|k| *k > 0);
    let seed = fields
        .integer("seed", i64::MIN, i64::MAX)?
        // Any integer is a seed; negative ones keep their bits.
        .map(|seed| seed as u64);
    let min_tokens = fields.count("min_tokens", 0, u32::MAX)?.unwrap_or(0);
    if let Some(max_tokens) = max_tokens.filter(|max| min_tokens > *max) {
        return Err(ServeError::field(
            "min_tokens",
            format!("{min_tokens} is more than max_tokens ({max_tokens})"),
        ));
    }
    Ok(GenerationParams {
        max_tokens,
        stop: fields.strings("stop")?,
        ignore_eos: fields.boolean("ignore_eos")?.unwrap_or(false),
        min_tokens,
        sampling: (temperature > 0.0).then(|| Sampling {
            temperature,
            top_k,
            top_p,
            seed: seed.unwrap_or_else(random_u64),
        }),
    })
}

fn stream(fields: &Fields) -> Result<StreamParams, ServeError> {
    let stream = fields.boolean("stream")?.unwrap_or(false);
    let options = fields.object("stream_options")?;
    let option = |name: &str| -> Result<bool, ServeError> {
        match &options {
            Some(options) => Ok(options.boolean(name)?.unwrap_or(false)),
            None => Ok(false),
        }
    };
    // vLLM's `continuous_usage_stats` is not offered: the usage comes once, at the end.
    Ok(StreamParams {
        stream,
        include_usage: stream && option("include_usage")?,
    })
}

/// `prompt`: a string, a list of strings, a list of token ids, or a list of such lists.
fn prompts(fields: &Fields) -> Result<Vec<Prompt>, ServeError> {
    let invalid = |problem: String| ServeError::field("prompt", problem);
    let shape = "must be a string, a list of strings, a list of token ids or a list of \
                 lists of token ids";
    let prompts = match fields.get("prompt") {
        None => return Err(invalid("is required".to_string())),
        Some(Value::String(text)) => vec![Prompt::Text(text.clone())],
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(invalid("must not be an empty list".to_string()))
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_number) => {
            vec![Prompt::Tokens(token_ids(items).map_err(invalid)?)]
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => Ok(Prompt::Text(text.clone())),
                Value::Array(ids) if !ids.is_empty() => token_ids(ids)
                    .map(Prompt::Tokens)
                    .map_err(|problem| invalid(format!("item {index}: {problem}"))),
                other => Err(invalid(format!(
                    "item {index} is {}: {shape}",
                    describe(other)
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(invalid(format!("is {}: {shape}", describe(other)))),
    };
    Ok(prompts)
}

/// `echo_logprobs_from`: one character offset for every prompt, or a list of one per
/// prompt; absent, every prompt is scored from its first token.
fn echo_logprobs_from(fields: &Fields, prompts: usize) -> Result<Vec<Option<usize>>, ServeError> {
    let invalid = |problem: String| ServeError::field(ECHO_LOGPROBS_FROM, problem);
    let offset = |value: &Value| {
        value
            .as_u64()
            .and_then(|offset| usize::try_from(offset).ok())
            .ok_or_else(|| format!("offsets must be non-negative integers, not {value}"))
    };
    match fields.get(ECHO_LOGPROBS_FROM) {
        None | Some(Value::Null) => Ok(vec![None; prompts]),
        Some(Value::Array(items)) => {
            if items.len() != prompts {
                return Err(invalid(format!(
                    "has {} offsets for {prompts} prompts",
                    items.len()
                )));
            }
            items
                .iter()
                .map(|item| offset(item).map(Some).map_err(invalid))
                .collect()
        }
        Some(value) => Ok(vec![Some(offset(value).map_err(invalid)?); prompts]),
    }
}

pub(crate) fn token_ids(items: &[Value]) -> Result<Vec<u32>, String> {
    items
        .iter()
        .map(|item| {
            item.as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| format!("token ids must be non-negative integers, not {item}"))
        })
        .collect()
}

/// `messages`: a list of `{role, content}`; content a string or a list of text parts.
fn messages(fields: &Fields) -> Result<Vec<ChatMessage>, ServeError> {
    let Some(Value::Array(items)) = fields.get("messages") else {
        return Err(ServeError::field(
            "messages",
            "is required: a list of messages",
        ));
    };
    if items.is_empty() {
        return Err(ServeError::field("messages", "must not be empty"));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| format!("messages[{index}].{name}");
            let role = item
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(|| ServeError::field(&field("role"), "must be a string"))?;
            let content = match item.get("content") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(parts)) => text_parts(parts, &field("content"))?,
                Some(other) => {
                    return Err(ServeError::field(
                        &field("content"),
                        format!(
                            "must be a string or a list of text parts, not {}",
                            describe(other)
                        ),
                    ))
                }
            };
            Ok(ChatMessage {
                role: role.to_string(),
                content,
            })
        })
        .collect()
}

/// The text of `[{"type": "text", "text": ...}, ...]`, joined.
fn text_parts(parts: &[Value], field: &str) -> Result<String, ServeError> {
    parts
        .iter()
        .enumerate()
        .map(
            |(index, part)| match (part.get("type").and_then(Value::as_str), part.get("text")) {
                (Some("text"), Some(Value::String(text))) => Ok(text.as_str()),
                _ => Err(ServeError::field(
                    &format!("{field}[{index}]"),
                    "only text parts ({\"type\": \"text\", \"text\": ...}) are supported",
                )),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completion(body: &str) -> Result<CompletionParams, ServeError> {
        CompletionParams::parse(&Fields::parse(body.as_bytes()).expect("an object"))
    }

    fn chat(body: &str) -> Result<ChatParams, ServeError> {
        ChatParams::parse(&Fields::parse(body.as_bytes()).expect("an object"))
    }

    fn problem(result: Result<impl std::fmt::Debug, ServeError>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn completion_defaults_and_prompt_shapes() {
        let params = completion(r#"{"prompt": "Hi"}"#).expect("valid");
        assert_eq!(params.prompts, vec![Prompt::Text("Hi".into())]);
        assert_eq!(
            params.generation.max_tokens,
            Some(DEFAULT_COMPLETION_TOKENS)
        );
        assert_eq!(params.generation.sampling, None);
        assert!(!params.echo && params.logprobs.is_none() && !params.stream.stream);

        let params = completion(r#"{"prompt": ["a", [1, 2]], "max_tokens": 0, "echo": true}"#)
            .expect("valid");
        assert_eq!(
            params.prompts,
            vec![Prompt::Text("a".into()), Prompt::Tokens(vec![1, 2])]
        );
        let params = completion(r#"{"prompt": [5, 6]}"#).expect("valid");
        assert_eq!(params.prompts, vec![Prompt::Tokens(vec![5, 6])]);

        assert!(problem(completion(r#"{}"#)).contains("`prompt`: is required"));
        assert!(problem(completion(r#"{"prompt": [true]}"#)).contains("item 0 is a boolean"));
        assert!(problem(completion(r#"{"prompt": [[-1]]}"#)).contains("non-negative"));
        assert!(problem(completion(r#"{"prompt": "x", "max_tokens": 0}"#))
            .contains("`max_tokens`: 0 is allowed only with `echo: true`"));
        assert!(problem(completion(r#"{"prompt": "x", "logprobs": 21}"#))
            .contains("`logprobs`: must be between 0 and 20"));
        assert!(problem(completion(r#"{"prompt": "x", "n": 2}"#)).contains("`n`: only 1"));
    }

    #[test]
    fn sampling_streaming_and_stops() {
        let params = completion(
            r#"{"prompt": "x", "temperature": 0.7, "top_p": 0.9, "top_k": -1, "seed": 5,
                "stop": "\n", "stream": true, "ignore_eos": true, "min_tokens": 4,
                "stream_options": {"include_usage": true}}"#,
        )
        .expect("valid");
        assert_eq!(
            params.generation.sampling,
            Some(Sampling {
                temperature: 0.7,
                top_k: None,
                top_p: Some(0.9),
                seed: 5
            })
        );
        assert_eq!(params.generation.stop, vec!["\n"]);
        assert!(params.generation.ignore_eos);
        assert_eq!(params.generation.min_tokens, 4);
        assert!(params.stream.stream && params.stream.include_usage);
        let greedy = completion(r#"{"prompt": "x", "temperature": 0, "top_k": 5}"#).expect("valid");
        assert_eq!(greedy.generation.sampling, None);
        assert!(
            problem(completion(r#"{"prompt": "x", "temperature": -1}"#)).contains("`temperature`")
        );
        assert!(problem(completion(r#"{"prompt": "x", "top_p": 0}"#)).contains("`top_p`"));
        assert!(problem(completion(r#"{"prompt": "x", "min_tokens": 20}"#))
            .contains("`min_tokens`: 20 is more than max_tokens (16)"));
        assert!(problem(completion(
            r#"{"prompt": "x", "stream": true, "stream_options": {"include_usage": 1}}"#
        ))
        .contains("`stream_options.include_usage`"));
    }

    #[test]
    fn a_final_assistant_message_is_continued_on_request() {
        let messages = r#""messages": [{"role": "user", "content": "Q"},
                                        {"role": "assistant", "content": "A:"}]"#;
        let params = chat(&format!("{{{messages}}}")).expect("valid");
        assert_eq!(params.end, ChatEnd::GenerationPrompt);
        let params = chat(&format!(
            r#"{{{messages}, "add_generation_prompt": false, "continue_final_message": true}}"#
        ))
        .expect("valid");
        assert_eq!(params.end, ChatEnd::ContinueFinalMessage);
        assert!(problem(chat(&format!(
            r#"{{{messages}, "continue_final_message": true}}"#
        )))
        .contains("cannot be true together"));
        assert!(problem(chat(&format!(
            r#"{{{messages}, "add_generation_prompt": false}}"#
        )))
        .contains("needs `continue_final_message: true`"));
    }

    #[test]
    fn echo_logprobs_from_is_one_offset_for_all_or_one_per_prompt() {
        let params = completion(
            r#"{"prompt": ["ab", "cd"], "echo": true, "logprobs": 1, "max_tokens": 0,
                "echo_logprobs_from": 3}"#,
        )
        .expect("valid");
        assert_eq!(params.echo_logprobs_from, vec![Some(3), Some(3)]);
        let params = completion(
            r#"{"prompt": ["ab", "cd"], "echo": true, "logprobs": 1, "max_tokens": 0,
                "echo_logprobs_from": [1, 2]}"#,
        )
        .expect("valid");
        assert_eq!(params.echo_logprobs_from, vec![Some(1), Some(2)]);
        let params = completion(r#"{"prompt": "ab"}"#).expect("valid");
        assert_eq!(params.echo_logprobs_from, vec![None]);
        assert!(problem(completion(
            r#"{"prompt": "ab", "max_tokens": 1, "echo_logprobs_from": 1}"#
        ))
        .contains("needs `echo: true` and `logprobs`"));
        assert!(problem(completion(
            r#"{"prompt": "ab", "echo": true, "logprobs": 1, "echo_logprobs_from": -1}"#
        ))
        .contains("non-negative integers"));
    }

    #[test]
    fn chat_messages_logprobs_and_token_limits() {
        let params = chat(
            r#"{"messages": [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}],
                "max_completion_tokens": 8, "max_tokens": 99, "logprobs": true, "top_logprobs": 2}"#,
        )
        .expect("valid");
        assert_eq!(params.messages[1].content, "Hi there");
        assert_eq!(params.generation.max_tokens, Some(8));
        assert_eq!(params.logprobs, Some(2));
        let params = chat(r#"{"messages": [{"role": "user", "content": "x"}]}"#).expect("valid");
        assert_eq!(
            (params.generation.max_tokens, params.logprobs),
            (None, None)
        );
        assert!(problem(chat(r#"{"messages": []}"#)).contains("`messages`: must not be empty"));
        assert!(problem(chat(r#"{"messages": [{"content": "x"}]}"#)).contains("`messages[0].role`"));
        assert!(problem(chat(
            r#"{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}"#
        ))
        .contains("needs `logprobs: true`"));
    }

    #[test]
    fn another_model_is_refused() {
        let fields = Fields::parse(br#"{"model": "gpt-4"}"#).expect("an object");
        let error = check_model(&fields, "gemma").expect_err("unknown");
        assert!(matches!(error, ServeError::UnknownModel { .. }));
        let fields = Fields::parse(br#"{"model": "gemma"}"#).expect("an object");
        assert!(check_model(&fields, "gemma").is_ok());
        assert!(check_model(&Fields::parse(b"{}").expect("an object"), "gemma").is_ok());
    }
}
