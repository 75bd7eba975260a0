//! The mock's request parsing and response bodies: which tokens it generates, when each
//! streamed event goes out, and the JSON of every event. No I/O here; `super` sends.

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::script::{Fault, MockScript, SentKind};

/// The two generation routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Completions,
    Chat,
}

impl Route {
    pub(super) fn path(self) -> &'static str {
        match self {
            Route::Completions => "/v1/completions",
            Route::Chat => "/v1/chat/completions",
        }
    }
}

/// The fields of a generation request the mock honours.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Parsed {
    pub route: Route,
    pub model: String,
    pub stream: bool,
    pub max_tokens: u32,
    pub ignore_eos: bool,
    pub min_tokens: Option<u32>,
    /// `stream_options.include_usage`, when the script honours it.
    pub include_usage: bool,
    /// `stream_options.continuous_usage_stats`, when the script honours it.
    pub continuous_usage: bool,
    pub echo: bool,
    pub logprobs: bool,
    /// The prompt (or every message's content) split on whitespace: the mock's "tokens".
    pub prompt_words: Vec<String>,
}

fn u32_field(body: &Value, name: &str) -> Result<Option<u32>, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|number| u32::try_from(number).ok())
            .map(Some)
            .ok_or_else(|| format!("`{name}` must be a non-negative integer, got {value}")),
    }
}

pub(super) fn parse(route: Route, bytes: &[u8], script: &MockScript) -> Result<Parsed, String> {
    let body: Value =
        serde_json::from_slice(bytes).map_err(|error| format!("invalid JSON body: {error}"))?;
    let flag = |value: Option<&Value>| value.and_then(Value::as_bool).unwrap_or(false);
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .ok_or("missing `model`")?
        .to_string();
    let text = match route {
        Route::Completions => match body.get("prompt") {
            Some(Value::String(prompt)) => prompt.clone(),
            _ => return Err("`prompt` must be a string".to_string()),
        },
        Route::Chat => {
            let messages = body
                .get("messages")
                .and_then(Value::as_array)
                .ok_or("`messages` must be an array")?;
            let contents: Vec<&str> = messages
                .iter()
                .filter_map(|message| message.get("content").and_then(Value::as_str))
                .collect();
            contents.join(" ")
        }
    };
    let max_tokens = match u32_field(&body, "max_tokens")? {
        Some(max) => Some(max),
        None => u32_field(&body, "max_completion_tokens")?,
    };
    let logprobs = match body.get("logprobs") {
        Some(Value::Bool(wanted)) => *wanted,
        Some(Value::Number(_)) => true,
        _ => false,
    };
    let stream_options = body.get("stream_options");
    let option = |name: &str| flag(stream_options.and_then(|options| options.get(name)));
    Ok(Parsed {
        route,
        model,
        stream: flag(body.get("stream")),
        max_tokens: max_tokens.unwrap_or(script.default_max_tokens),
        ignore_eos: flag(body.get("ignore_eos")),
        min_tokens: u32_field(&body, "min_tokens")?,
        include_usage: option("include_usage") && script.usage_in_stream,
        continuous_usage: option("continuous_usage_stats") && script.continuous_usage,
        echo: flag(body.get("echo")),
        logprobs,
        prompt_words: text.split_whitespace().map(str::to_string).collect(),
    })
}

/// How many tokens the mock generates and why it stops (`length` or `stop`).
pub(super) fn completion_length(parsed: &Parsed, script: &MockScript) -> (u32, &'static str) {
    let max = parsed.max_tokens;
    let wanted = match script.natural_length {
        None => max,
        Some(_) if script.honour_ignore_eos && parsed.ignore_eos => max,
        Some(natural) => {
            let minimum = if script.honour_ignore_eos {
                parsed.min_tokens.unwrap_or(0)
            } else {
                0
            };
            natural.max(minimum)
        }
    };
    if wanted >= max {
        (max, "length")
    } else {
        (wanted, "stop")
    }
}

/// The text of generated token `index`.
pub(super) fn token_text(index: u32) -> String {
    format!(" t{index}")
}

/// When each generated token is ready, from admission, with jitter and any stall.
pub(super) fn token_times(
    tokens: u32,
    script: &MockScript,
    fault: Option<&Fault>,
    rng: &mut ChaCha8Rng,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(tokens as usize);
    let mut ready = script.jittered(script.time_to_first_token, rng);
    for index in 0..tokens {
        if index > 0 {
            ready += script.jittered(script.inter_token_gap, rng);
        }
        if let Some(Fault::Stall {
            after_tokens,
            pause,
        }) = fault
        {
            if index == *after_tokens {
                ready += *pause;
            }
        }
        times.push(ready);
    }
    times
}

/// One write the mock will make, `delay` after the previous one.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Planned {
    pub delay: Duration,
    pub kind: SentKind,
    pub tokens: u32,
    /// The bytes to send; `None` closes the connection instead.
    pub bytes: Option<String>,
}

/// Planned writes and the time of the latest, from admission.
#[derive(Default)]
struct Timeline {
    events: Vec<Planned>,
    clock: Duration,
}

impl Timeline {
    /// Plans a write at `at` (`None`: right after the previous one).
    fn push(&mut self, at: Option<Duration>, kind: SentKind, tokens: u32, bytes: Option<String>) {
        let at = at.unwrap_or(self.clock).max(self.clock);
        self.events.push(Planned {
            delay: at - self.clock,
            kind,
            tokens,
            bytes,
        });
        self.clock = at;
    }
}

/// Everything a response needs to build its bodies.
pub(super) struct Response<'a> {
    pub parsed: &'a Parsed,
    pub id: String,
    pub completion_tokens: u32,
    pub finish_reason: &'static str,
}

impl Response<'_> {
    fn prompt_tokens(&self) -> u32 {
        u32::try_from(self.parsed.prompt_words.len()).unwrap_or(u32::MAX)
    }

    fn usage(&self, completion_tokens: u32) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens(),
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens() + completion_tokens,
        })
    }

    /// Logprobs of generated tokens `from..to`, in the route's shape.
    fn logprobs(&self, from: u32, to: u32) -> Value {
        if !self.parsed.logprobs {
            return Value::Null;
        }
        let texts: Vec<String> = (from..to).map(token_text).collect();
        match self.parsed.route {
            Route::Completions => completion_logprobs(&texts, false),
            Route::Chat => json!({ "content": texts.iter().map(|token| json!({
                "token": token, "logprob": -0.5, "top_logprobs": [],
            })).collect::<Vec<_>>() }),
        }
    }

    /// One streamed event's JSON: `text` for tokens `from..to`, or the chat role event.
    fn chunk(&self, from: u32, to: u32, finish: Option<&str>, role: bool) -> Value {
        let text: String = (from..to).map(token_text).collect();
        let choice = match self.parsed.route {
            Route::Completions => json!({ "index": 0, "text": text }),
            Route::Chat if role => json!({
                "index": 0, "delta": { "role": "assistant", "content": "" },
            }),
            Route::Chat => json!({ "index": 0, "delta": { "content": text } }),
        };
        let mut choice = choice;
        choice["logprobs"] = if role {
            Value::Null
        } else {
            self.logprobs(from, to)
        };
        choice["finish_reason"] = finish.map_or(Value::Null, |reason| json!(reason));
        let mut chunk = self.envelope(vec![choice]);
        if self.parsed.continuous_usage && self.parsed.include_usage {
            chunk["usage"] = self.usage(to);
        }
        chunk
    }

    fn envelope(&self, choices: Vec<Value>) -> Value {
        let object = match self.parsed.route {
            Route::Completions => "text_completion",
            Route::Chat => "chat.completion.chunk",
        };
        json!({
            "id": self.id, "object": object, "created": 0,
            "model": self.parsed.model, "choices": choices,
        })
    }

    /// The streamed events, in order, with the delay before each.
    pub(super) fn stream_plan(
        &self,
        script: &MockScript,
        times: &[Duration],
        fault: Option<&Fault>,
    ) -> Vec<Planned> {
        let eol = if script.crlf { "\r\n" } else { "\n" };
        let event = |data: String| Some(format!("data: {data}{eol}{eol}"));
        let mut plan = Timeline::default();
        if self.parsed.route == Route::Chat {
            let role = self.chunk(0, 0, None, true).to_string();
            plan.push(None, SentKind::Role, 0, event(role));
        }
        let per_chunk = script.tokens_per_chunk.max(1);
        let total = self.completion_tokens;
        let mut sent = 0;
        loop {
            match fault {
                Some(Fault::DropStream { after_tokens }) if sent >= (*after_tokens).min(total) => {
                    plan.push(None, SentKind::Dropped, 0, None);
                    return plan.events;
                }
                Some(Fault::EndStream { after_tokens }) if sent >= (*after_tokens).min(total) => {
                    return plan.events;
                }
                Some(Fault::MalformedJson { after_tokens }) if sent == *after_tokens => {
                    let broken = "{\"choices\": [{\"text\": \"unterminated".to_string();
                    plan.push(None, SentKind::Malformed, 0, event(broken));
                }
                _ => {}
            }
            if sent >= total {
                break;
            }
            let to = (sent + per_chunk).min(total);
            let at = times.get(to as usize - 1).copied();
            let finish = (to == total).then_some(self.finish_reason);
            let data = self.chunk(sent, to, finish, false).to_string();
            plan.push(at, SentKind::Tokens, to - sent, event(data));
            sent = to;
        }
        if total == 0 {
            let data = self
                .chunk(0, 0, Some(self.finish_reason), false)
                .to_string();
            plan.push(None, SentKind::Tokens, 0, event(data));
        }
        if self.parsed.include_usage {
            let mut usage = self.envelope(Vec::new());
            usage["usage"] = self.usage(total);
            plan.push(None, SentKind::Usage, 0, event(usage.to_string()));
        }
        plan.push(None, SentKind::Done, 0, event("[DONE]".to_string()));
        plan.events
    }

    /// The whole non-streaming body.
    pub(super) fn full_body(&self) -> Value {
        let text: String = (0..self.completion_tokens).map(token_text).collect();
        let choice = match self.parsed.route {
            Route::Completions if self.parsed.echo => {
                let prompt = self.parsed.prompt_words.join(" ");
                let mut tokens: Vec<String> = self.parsed.prompt_words.clone();
                tokens.extend((0..self.completion_tokens).map(token_text));
                json!({
                    "index": 0, "text": format!("{prompt}{text}"),
                    "logprobs": if self.parsed.logprobs {
                        completion_logprobs(&tokens, true)
                    } else {
                        Value::Null
                    },
                })
            }
            Route::Completions => json!({
                "index": 0, "text": text,
                "logprobs": self.logprobs(0, self.completion_tokens),
            }),
            Route::Chat => json!({
                "index": 0, "message": { "role": "assistant", "content": text },
                "logprobs": self.logprobs(0, self.completion_tokens),
            }),
        };
        let mut choice = choice;
        choice["finish_reason"] = json!(self.finish_reason);
        let mut body = self.envelope(vec![choice]);
        if self.parsed.route == Route::Chat {
            body["object"] = json!("chat.completion");
        }
        body["usage"] = self.usage(self.completion_tokens);
        body
    }
}

/// `/v1/completions` logprobs of `tokens`; with `prompt_first`, the first has none, as a
/// server echoing a prompt reports it.
fn completion_logprobs(tokens: &[String], prompt_first: bool) -> Value {
    let mut offset = 0;
    let mut offsets = Vec::new();
    for token in tokens {
        offsets.push(offset);
        offset += token.len();
    }
    let first_missing = |index: usize| prompt_first && index == 0;
    json!({
        "tokens": tokens,
        "token_logprobs": (0..tokens.len())
            .map(|index| if first_missing(index) { Value::Null } else { json!(-0.5) })
            .collect::<Vec<_>>(),
        "top_logprobs": tokens.iter().enumerate()
            .map(|(index, token)| if first_missing(index) {
                Value::Null
            } else {
                json!({ token.as_str(): -0.5 })
            })
            .collect::<Vec<_>>(),
        "text_offset": offsets,
    })
}
