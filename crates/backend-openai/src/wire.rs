//! The parts of OpenAI response JSON the client reads, and how it counts the tokens each
//! streamed event carries.

use serde::Deserialize;
use serde_json::Value;
use yardstick_load::ErrorCause;

/// One streamed event's JSON, or a whole non-streaming body. Unknown fields are ignored;
/// a known field of the wrong type makes the event malformed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Completion {
    pub choices: Option<Vec<Choice>>,
    pub usage: Option<Usage>,
    /// `{"error": {...}}`, as servers report a failure inside a stream.
    pub error: Option<Value>,
    /// `"error"` in vLLM's older top-level error shape.
    pub object: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Choice {
    /// `/v1/completions`.
    pub text: Option<String>,
    /// `/v1/chat/completions`, streaming.
    pub delta: Option<Message>,
    /// `/v1/chat/completions`, not streaming.
    pub message: Option<Message>,
    pub logprobs: Option<Logprobs>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Message {
    pub content: Option<String>,
    /// Reasoning text, under the names vLLM and others use.
    pub reasoning_content: Option<String>,
    pub reasoning: Option<String>,
    pub tool_calls: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Logprobs {
    /// `/v1/completions`: one entry per token.
    pub tokens: Option<Vec<Value>>,
    /// `/v1/chat/completions`: one entry per token.
    pub content: Option<Vec<Value>>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default)]
pub(crate) struct Usage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

fn non_empty(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|text| !text.is_empty())
}

impl Choice {
    /// Whether it carries generated output: text, content, reasoning or a tool call.
    pub fn has_output(&self) -> bool {
        let message = |message: &Option<Message>| {
            message.as_ref().is_some_and(|message| {
                non_empty(&message.content)
                    || non_empty(&message.reasoning_content)
                    || non_empty(&message.reasoning)
                    || message
                        .tool_calls
                        .as_ref()
                        .is_some_and(|calls| !calls.is_empty())
            })
        };
        non_empty(&self.text) || message(&self.delta) || message(&self.message)
    }

    /// Tokens listed in its logprobs, when there are any.
    fn logprob_tokens(&self) -> Option<u64> {
        let logprobs = self.logprobs.as_ref()?;
        let listed = logprobs.tokens.as_ref().or(logprobs.content.as_ref())?;
        (!listed.is_empty()).then_some(listed.len() as u64)
    }
}

impl Completion {
    /// The failure the JSON reports, if it is an error object rather than a completion.
    pub fn error(&self, raw: &Value) -> Option<(ErrorCause, String)> {
        let error = match (&self.error, self.object.as_deref()) {
            (Some(error), _) => error,
            (None, Some("error")) => raw,
            _ => return None,
        };
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_string);
        let code = error.get("code").and_then(|code| {
            code.as_u64()
                .or_else(|| code.as_str().and_then(|text| text.parse().ok()))
        });
        let cause = match code {
            Some(429) => ErrorCause::RateLimited,
            Some(status @ 400..=599) => ErrorCause::Http {
                status: status as u16,
            },
            _ => ErrorCause::Malformed {
                what: format!("the server reported an error without a status: {message}"),
            },
        };
        Some((cause, message))
    }

    pub fn finished(&self) -> bool {
        self.choices
            .iter()
            .flatten()
            .any(|choice| choice.finish_reason.is_some())
    }
}

/// Token counts gathered over a stream.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Use running usage in content events for per-event counts (asked for with vLLM's
    /// `continuous_usage_stats`; other servers' usage is a total, not running).
    pub continuous: bool,
    /// The latest usage counts seen.
    pub usage: Usage,
    /// The running completion count already attributed to events.
    running: Option<u64>,
    /// Whether some event's count came from running usage.
    pub counted_from_usage: bool,
}

impl Tally {
    pub fn new(continuous: bool) -> Tally {
        Tally {
            continuous,
            ..Tally::default()
        }
    }

    /// The generated tokens one streamed event carries. An event without choices (the
    /// final usage event) carries none. Otherwise, in order of preference: the number of
    /// tokens in its logprobs; the growth of the running usage (continuous usage only);
    /// one if it carries output, else none (a role-only or empty event).
    pub fn tokens_in(&mut self, completion: &Completion) -> u32 {
        if let Some(usage) = completion.usage {
            self.usage.prompt_tokens = usage.prompt_tokens.or(self.usage.prompt_tokens);
            self.usage.completion_tokens = usage.completion_tokens.or(self.usage.completion_tokens);
        }
        let choices = completion.choices.as_deref().unwrap_or_default();
        if choices.is_empty() {
            return 0;
        }
        let output = choices.iter().any(Choice::has_output);
        let running = completion.usage.and_then(|usage| usage.completion_tokens);
        let from_usage = match running {
            // Before any output, running usage is the prompt's processing (0 completion
            // tokens in vLLM); a final total after no running counts is not running.
            Some(total) if self.continuous && (output || self.running.is_some()) => {
                let growth = total.saturating_sub(self.running.unwrap_or(0));
                self.running = Some(total);
                self.counted_from_usage = true;
                Some(growth)
            }
            _ => None,
        };
        let listed: Vec<u64> = choices.iter().filter_map(Choice::logprob_tokens).collect();
        let from_logprobs = (!listed.is_empty()).then(|| listed.iter().sum());
        let tokens = from_logprobs
            .or(from_usage)
            .unwrap_or_else(|| u64::from(output));
        u32::try_from(tokens).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Completion {
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn events_count_by_logprobs_then_running_usage_then_output() {
        let mut tally = Tally::new(true);
        let role = parse(
            r#"{"choices":[{"delta":{"role":"assistant","content":""}}],
                "usage":{"prompt_tokens":3,"completion_tokens":0}}"#,
        );
        assert_eq!(tally.tokens_in(&role), 0);
        let three = parse(
            r#"{"choices":[{"delta":{"content":" a b c"}}],"usage":{"completion_tokens":3}}"#,
        );
        assert_eq!(tally.tokens_in(&three), 3);
        let listed = parse(r#"{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"]}}]}"#);
        assert_eq!(tally.tokens_in(&listed), 2);
        let plain = parse(r#"{"choices":[{"text":" d","finish_reason":"length"}]}"#);
        assert_eq!(tally.tokens_in(&plain), 1);
        assert!(plain.finished());
        let usage = parse(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":6}}"#);
        assert_eq!(tally.tokens_in(&usage), 0);
        assert_eq!(tally.usage.completion_tokens, Some(6));
        assert_eq!(tally.usage.prompt_tokens, Some(3));
        assert!(tally.counted_from_usage);
    }

    #[test]
    fn a_final_total_is_not_taken_for_running_usage() {
        // llama.cpp's server puts the totals in its last event, next to an empty delta.
        let mut tally = Tally::new(true);
        let last = parse(
            r#"{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"completion_tokens":9}}"#,
        );
        assert_eq!(tally.tokens_in(&last), 0);
        let mut not_asked = Tally::new(false);
        let with_text = parse(r#"{"choices":[{"text":"x"}],"usage":{"completion_tokens":9}}"#);
        assert_eq!(not_asked.tokens_in(&with_text), 1);
        assert!(!not_asked.counted_from_usage);
    }

    #[test]
    fn error_objects_map_to_causes() {
        let cause = |text: &str| {
            let raw: Value = serde_json::from_str(text).unwrap_or_default();
            parse(text).error(&raw).map(|(cause, _)| cause)
        };
        assert_eq!(
            cause(r#"{"error":{"message":"slow down","code":429}}"#),
            Some(ErrorCause::RateLimited)
        );
        assert_eq!(
            cause(r#"{"object":"error","message":"bad","code":"400"}"#),
            Some(ErrorCause::Http { status: 400 })
        );
        assert!(matches!(
            cause(r#"{"error":{"message":"boom"}}"#),
            Some(ErrorCause::Malformed { .. })
        ));
        assert_eq!(cause(r#"{"choices":[]}"#), None);
    }
}
