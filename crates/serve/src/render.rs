//! The JSON the server answers with, in OpenAI's shapes: completions with the legacy
//! logprobs object (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`), chat
//! completions with `logprobs.content`, their streamed chunks, usage and models.

use serde_json::{json, Map, Value};
use yardstick_backend::FinishReason;
use yardstick_backend_llamacpp::{PromptLogprobs, TextOffsets, TokenLogprob, TokenLogprobs};

use crate::choice::ChoiceResult;

/// What every answer of one request repeats: its id, time and model.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub id: String,
    pub created: u64,
    pub model: String,
}

impl Envelope {
    fn wrap(&self, object: &str, choices: Value, usage: Option<Value>) -> Value {
        let mut body = json!({
            "id": self.id,
            "object": object,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let (Some(usage), Some(map)) = (usage, body.as_object_mut()) {
            map.insert("usage".into(), usage);
        }
        body
    }
}

pub(crate) const COMPLETION: &str = "text_completion";
pub(crate) const CHAT_COMPLETION: &str = "chat.completion";
pub(crate) const CHAT_CHUNK: &str = "chat.completion.chunk";

/// OpenAI's `finish_reason`: the end-of-sequence token is a `stop` too.
pub(crate) fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop | FinishReason::EndOfSequence => "stop",
        FinishReason::Length => "length",
    }
}

pub(crate) fn usage(prompt_tokens: u32, completion_tokens: u32) -> Value {
    let (prompt, completion) = (u64::from(prompt_tokens), u64::from(completion_tokens));
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

fn total_usage(results: &[ChoiceResult]) -> Value {
    let sum = |count: fn(&ChoiceResult) -> u32| {
        results
            .iter()
            .map(count)
            .fold(0u32, |total, value| total.saturating_add(value))
    };
    usage(
        sum(|result| result.prompt_tokens),
        sum(|result| result.completion_tokens),
    )
}

/// The legacy `logprobs` object, filled token by token.
#[derive(Debug, Default)]
pub(crate) struct LegacyLogprobs {
    tokens: Vec<Value>,
    token_logprobs: Vec<Value>,
    top_logprobs: Vec<Value>,
    text_offset: Vec<Value>,
}

/// `{token text: logprob}` of the alternatives and then the token itself (as OpenAI and
/// vLLM do, so the sampled token is always there); the first of equal texts is kept.
fn top_map(top: &[TokenLogprob], own: Option<(&str, f64)>) -> Value {
    let mut map = Map::new();
    let entries = top
        .iter()
        .map(|entry| (entry.text.as_str(), entry.logprob))
        .chain(own);
    for (text, logprob) in entries {
        if !map.contains_key(text) {
            map.insert(text.to_string(), json!(logprob));
        }
    }
    Value::Object(map)
}

impl LegacyLogprobs {
    /// The prompt's tokens (echo): the first (or an added BOS) has no logprob or top.
    pub fn push_prompt(&mut self, prompt: &PromptLogprobs) {
        for token in &prompt.tokens {
            self.tokens.push(json!(token.text));
            self.text_offset.push(json!(token.offset));
            match token.logprob {
                Some(logprob) => {
                    self.token_logprobs.push(json!(logprob));
                    let own = (token.text.as_str(), logprob);
                    self.top_logprobs.push(top_map(&token.top, Some(own)));
                }
                None => {
                    self.token_logprobs.push(Value::Null);
                    self.top_logprobs.push(Value::Null);
                }
            }
        }
    }

    /// A generated token, `offsets` placing it after the text before it.
    pub fn push_generated(&mut self, token: &TokenLogprobs, offsets: &mut TextOffsets) {
        let chosen = &token.chosen;
        self.tokens.push(json!(chosen.text));
        self.token_logprobs.push(json!(chosen.logprob));
        let own = (chosen.text.as_str(), chosen.logprob);
        self.top_logprobs.push(top_map(&token.top, Some(own)));
        self.text_offset.push(json!(offsets.next(&chosen.bytes)));
    }

    pub fn into_value(self) -> Value {
        json!({
            "tokens": self.tokens,
            "token_logprobs": self.token_logprobs,
            "top_logprobs": self.top_logprobs,
            "text_offset": self.text_offset,
        })
    }
}

/// A whole `/v1/completions` answer.
pub(crate) fn completion(envelope: &Envelope, results: &[ChoiceResult], logprobs: bool) -> Value {
    let choices: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(index, result)| {
            let (echo_text, echo_logprobs) = match &result.echo {
                Some((text, logprobs)) => (text.as_str(), logprobs.as_ref()),
                None => ("", None),
            };
            let logprobs = logprobs.then(|| {
                let mut legacy = LegacyLogprobs::default();
                if let Some(prompt) = echo_logprobs {
                    legacy.push_prompt(prompt);
                }
                let mut offsets = TextOffsets::starting_at(echo_text.chars().count());
                for token in result.tokens.iter().flatten() {
                    legacy.push_generated(token, &mut offsets);
                }
                legacy.into_value()
            });
            json!({
                "index": index,
                "text": format!("{echo_text}{}", result.text),
                "logprobs": logprobs,
                "finish_reason": result.finish_reason.map(finish_reason),
            })
        })
        .collect();
    envelope.wrap(
        COMPLETION,
        Value::Array(choices),
        Some(total_usage(results)),
    )
}

/// One streamed `/v1/completions` chunk of choice `index`.
pub(crate) fn completion_chunk(
    envelope: &Envelope,
    index: usize,
    text: &str,
    logprobs: Option<Value>,
    finish: Option<FinishReason>,
) -> Value {
    let choice = json!({
        "index": index,
        "text": text,
        "logprobs": logprobs,
        "finish_reason": finish.map(finish_reason),
    });
    envelope.wrap(COMPLETION, json!([choice]), None)
}

/// The last chunk of a stream asked for its usage: no choices.
pub(crate) fn usage_chunk(envelope: &Envelope, object: &str, usage: Value) -> Value {
    envelope.wrap(object, json!([]), Some(usage))
}

/// A chat `logprobs.content` entry.
pub(crate) fn chat_logprob(token: &TokenLogprobs) -> Value {
    let entry = |token: &TokenLogprob| json!({ "token": token.text, "logprob": token.logprob, "bytes": token.bytes });
    let mut value = entry(&token.chosen);
    if let Some(map) = value.as_object_mut() {
        let top: Vec<Value> = token.top.iter().map(entry).collect();
        map.insert("top_logprobs".into(), Value::Array(top));
    }
    value
}

/// A whole `/v1/chat/completions` answer.
pub(crate) fn chat(envelope: &Envelope, result: &ChoiceResult, logprobs: bool) -> Value {
    let logprobs = logprobs.then(|| {
        let content: Vec<Value> = result.tokens.iter().flatten().map(chat_logprob).collect();
        json!({ "content": content })
    });
    let choice = json!({
        "index": 0,
        "message": { "role": "assistant", "content": result.text },
        "logprobs": logprobs,
        "finish_reason": result.finish_reason.map(finish_reason),
    });
    let usage = usage(result.prompt_tokens, result.completion_tokens);
    envelope.wrap(CHAT_COMPLETION, json!([choice]), Some(usage))
}

/// One streamed chat chunk.
pub(crate) fn chat_chunk(
    envelope: &Envelope,
    delta: Value,
    logprobs: Option<Value>,
    finish: Option<FinishReason>,
) -> Value {
    let choice = json!({
        "index": 0,
        "delta": delta,
        "logprobs": logprobs,
        "finish_reason": finish.map(finish_reason),
    });
    envelope.wrap(CHAT_CHUNK, json!([choice]), None)
}

/// `GET /v1/models`.
pub(crate) fn models(model: &str, created: u64, context_tokens: u32) -> Value {
    json!({
        "object": "list",
        "data": [{
            "id": model,
            "object": "model",
            "created": created,
            "owned_by": "yardstick",
            "max_model_len": context_tokens,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yardstick_backend_llamacpp::PromptToken;

    fn alternative(text: &str, logprob: f64) -> TokenLogprob {
        TokenLogprob {
            token: 1,
            text: text.to_string(),
            bytes: text.as_bytes().to_vec(),
            logprob,
        }
    }

    #[test]
    fn legacy_logprobs_put_the_prompt_first_and_offset_the_generated_tokens() {
        let prompt = PromptLogprobs {
            text: "Hi".to_string(),
            tokens: vec![
                PromptToken {
                    token: 2,
                    text: "<bos>".into(),
                    bytes: b"<bos>".to_vec(),
                    offset: 0,
                    logprob: None,
                    top: Vec::new(),
                    added: true,
                },
                PromptToken {
                    token: 5,
                    text: "Hi".into(),
                    bytes: b"Hi".to_vec(),
                    offset: 0,
                    logprob: Some(-3.0),
                    top: vec![alternative("The", -1.0)],
                    added: false,
                },
            ],
        };
        let generated = TokenLogprobs {
            chosen: alternative(" there", -0.5),
            top: vec![alternative(" there", -0.5), alternative("!", -2.0)],
        };
        let mut legacy = LegacyLogprobs::default();
        legacy.push_prompt(&prompt);
        let mut offsets = TextOffsets::starting_at(2);
        legacy.push_generated(&generated, &mut offsets);
        assert_eq!(
            legacy.into_value(),
            json!({
                "tokens": ["<bos>", "Hi", " there"],
                "token_logprobs": [null, -3.0, -0.5],
                "top_logprobs": [null, {"The": -1.0, "Hi": -3.0}, {" there": -0.5, "!": -2.0}],
                "text_offset": [0, 0, 2],
            })
        );
    }

    #[test]
    fn chat_entries_list_alternatives_with_bytes() {
        let token = TokenLogprobs {
            chosen: alternative("é", -0.1),
            top: vec![alternative("é", -0.1)],
        };
        assert_eq!(
            chat_logprob(&token),
            json!({
                "token": "é", "logprob": -0.1, "bytes": [195, 169],
                "top_logprobs": [{"token": "é", "logprob": -0.1, "bytes": [195, 169]}],
            })
        );
        assert_eq!(finish_reason(FinishReason::EndOfSequence), "stop");
        assert_eq!(usage(3, 4)["total_tokens"], 7);
    }
}
