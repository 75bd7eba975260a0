//! What one load request asks for ([`LoadRequest`]) and its JSON body.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::endpoint::Api;

/// One turn of a conversation sent to the chat API: `{"role": ..., "content": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatTurn {
    /// `system`, `user`, `assistant` (sent as given).
    pub role: String,
    /// The turn's text.
    pub content: String,
}

impl ChatTurn {
    /// A turn of `role` saying `content`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ChatTurn {
        ChatTurn {
            role: role.into(),
            content: content.into(),
        }
    }

    /// The conversation as plain text, one `role: content` line per turn, joined by `\n`:
    /// what the completions API is sent for a chat request (see [`LoadRequest::chat`]).
    pub fn plain_text(turns: &[ChatTurn]) -> String {
        let lines: Vec<String> = turns
            .iter()
            .map(|turn| format!("{}: {}", turn.role, turn.content))
            .collect();
        lines.join("\n")
    }
}

/// One generation request of a load test. Fields a plain OpenAI server rejects
/// (`ignore_eos`, `min_tokens`, `continuous_usage_stats`) are sent only when asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRequest {
    /// The prompt. Without [`LoadRequest::messages`] the chat API sends it as one user
    /// message; with them it is their plain-text rendering, which only the completions API
    /// sends.
    pub prompt: String,
    /// A whole conversation for the chat API, sent as `messages` instead of `prompt`. The
    /// completions API has no turns: it sends `prompt`, which [`LoadRequest::chat`] sets to
    /// the turns as `role: content` lines ([`ChatTurn::plain_text`]).
    pub messages: Option<Vec<ChatTurn>>,
    /// `max_tokens` (also for chat: the servers yardstick targets all accept it).
    pub max_tokens: u32,
    /// Keep generating past end-of-sequence (vLLM, SGLang, llama.cpp's server).
    pub ignore_eos: bool,
    /// Generate at least this many tokens (vLLM).
    pub min_tokens: Option<u32>,
    /// `temperature`; the server's default when `None`.
    pub temperature: Option<f64>,
    /// Streaming only: `stream_options.include_usage`, so the server's token counts arrive
    /// in a final usage event.
    pub include_usage: bool,
    /// Streaming only: vLLM's `stream_options.continuous_usage_stats`, a running usage in
    /// every event, from which each event's exact token count follows.
    pub continuous_usage: bool,
    /// Merged into the body last, overriding the fields above (e.g. `logprobs`, `seed`,
    /// vendor parameters).
    pub extra_body: Map<String, Value>,
}

impl LoadRequest {
    /// A request for `max_tokens` tokens of `prompt`, asking for the usage event.
    pub fn new(prompt: impl Into<String>, max_tokens: u32) -> LoadRequest {
        LoadRequest {
            prompt: prompt.into(),
            messages: None,
            max_tokens,
            ignore_eos: false,
            min_tokens: None,
            temperature: None,
            include_usage: true,
            continuous_usage: false,
            extra_body: Map::new(),
        }
    }

    /// A request for `max_tokens` tokens continuing the conversation `messages`; `prompt` is
    /// their plain-text rendering ([`ChatTurn::plain_text`]) for the completions API.
    pub fn chat(messages: Vec<ChatTurn>, max_tokens: u32) -> LoadRequest {
        LoadRequest {
            messages: Some(messages.clone()),
            ..LoadRequest::new(ChatTurn::plain_text(&messages), max_tokens)
        }
    }

    /// The JSON body for `model` on `api`.
    pub fn body(&self, model: &str, api: Api, stream: bool) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(model));
        match api {
            Api::Completions => body.insert("prompt".into(), json!(self.prompt)),
            Api::ChatCompletions => match &self.messages {
                Some(messages) => body.insert("messages".into(), json!(messages)),
                None => body.insert(
                    "messages".into(),
                    json!([{ "role": "user", "content": self.prompt }]),
                ),
            },
        };
        body.insert("max_tokens".into(), json!(self.max_tokens));
        body.insert("stream".into(), json!(stream));
        if let Some(temperature) = self.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if self.ignore_eos {
            body.insert("ignore_eos".into(), json!(true));
        }
        if let Some(min_tokens) = self.min_tokens {
            body.insert("min_tokens".into(), json!(min_tokens));
        }
        if stream && (self.include_usage || self.continuous_usage) {
            let mut options = Map::new();
            if self.include_usage {
                options.insert("include_usage".into(), json!(true));
            }
            if self.continuous_usage {
                options.insert("continuous_usage_stats".into(), json!(true));
            }
            body.insert("stream_options".into(), Value::Object(options));
        }
        for (key, value) in &self.extra_body {
            body.insert(key.clone(), value.clone());
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_only_what_was_asked() {
        let plain = LoadRequest::new("Hi", 8).body("m", Api::Completions, false);
        assert_eq!(
            plain,
            json!({ "model": "m", "prompt": "Hi", "max_tokens": 8, "stream": false })
        );
        let mut request = LoadRequest::new("Hi", 8);
        request.ignore_eos = true;
        request.min_tokens = Some(8);
        request.continuous_usage = true;
        request.extra_body.insert("logprobs".into(), json!(true));
        let chat = request.body("m", Api::ChatCompletions, true);
        assert_eq!(
            chat,
            json!({
                "model": "m", "messages": [{ "role": "user", "content": "Hi" }],
                "max_tokens": 8, "stream": true, "ignore_eos": true, "min_tokens": 8,
                "stream_options": { "include_usage": true, "continuous_usage_stats": true },
                "logprobs": true,
            })
        );
    }

    #[test]
    fn conversations_are_turns_for_chat_and_lines_for_completions() {
        let request = LoadRequest::chat(
            vec![
                ChatTurn::new("system", "Be brief."),
                ChatTurn::new("user", "Hi"),
            ],
            4,
        );
        assert_eq!(request.prompt, "system: Be brief.\nuser: Hi");
        assert_eq!(
            request.body("m", Api::ChatCompletions, false),
            json!({
                "model": "m",
                "messages": [
                    { "role": "system", "content": "Be brief." },
                    { "role": "user", "content": "Hi" },
                ],
                "max_tokens": 4, "stream": false,
            })
        );
        assert_eq!(
            request.body("m", Api::Completions, false),
            json!({
                "model": "m", "prompt": "system: Be brief.\nuser: Hi", "max_tokens": 4,
                "stream": false,
            })
        );
    }
}
