//! The prompt tokens a server returns with their log-probabilities, in the two shapes
//! servers use, and how a continuation's score is read from them.
//!
//! - **Echo** (`echo: true, logprobs: 1, max_tokens: 0` on `/v1/completions`; vLLM,
//!   SGLang, llama-cpp-python, the legacy OpenAI API): `choices[i].logprobs` holds
//!   `tokens`, `token_logprobs` (the first `null`), `top_logprobs` (one `{token: logprob}`
//!   object per token, the first `null`) and `text_offset` (each token's start in the
//!   prompt, in characters).
//! - **vLLM's `prompt_logprobs`** (when echo is absent): `choices[i].prompt_logprobs` is a
//!   list with `null` first, then per prompt token an object `{"<token id>": {"logprob",
//!   "rank", "decoded_token"}}` holding the prompt token and the top-N; the prompt token
//!   is the entry `prompt_token_ids` names when the server returns them, else the entry of
//!   the largest rank (the top-1 has rank 1; the prompt token is listed besides it when it
//!   ranks lower).
//!
//! A continuation's tokens are those at or after the context's end: by `text_offset`
//! against the context's length in characters (Python's `len`, as lm-eval compares
//! them), or, without offsets, after as many tokens as the context alone tokenizes to.

use serde_json::{Map, Value};

/// One prompt token as the server returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptToken {
    /// The token's text (`<bos>`-like text for a special token the server added).
    pub text: String,
    /// Where the token starts in the prompt, in characters, when the server said.
    pub offset: Option<usize>,
    /// `ln p(token | tokens before it)`; `None` for the first token.
    pub logprob: Option<f64>,
    /// Whether the token is the most likely one at its position (`None`: not reported).
    pub is_top: Option<bool>,
}

/// Reads an echo answer's `logprobs` object.
pub fn parse_echo(choice: &Value) -> Result<Vec<PromptToken>, String> {
    let logprobs = choice
        .get("logprobs")
        .filter(|value| !value.is_null())
        .ok_or("the answer has no `logprobs` (the server ignored echo with logprobs)")?;
    let list = |name: &str| {
        logprobs
            .get(name)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("`logprobs.{name}` is missing or not a list"))
    };
    let tokens = list("tokens")?;
    let token_logprobs = list("token_logprobs")?;
    if tokens.len() != token_logprobs.len() {
        return Err(format!(
            "{} tokens but {} token_logprobs",
            tokens.len(),
            token_logprobs.len()
        ));
    }
    let offsets = logprobs.get("text_offset").and_then(Value::as_array);
    let tops = logprobs.get("top_logprobs").and_then(Value::as_array);
    let mut parsed = Vec::with_capacity(tokens.len());
    for (position, (token, logprob)) in tokens.iter().zip(token_logprobs).enumerate() {
        let text = token
            .as_str()
            .ok_or_else(|| format!("token {position} is not a string"))?
            .to_string();
        let logprob = match logprob {
            Value::Null => None,
            value => Some(
                value
                    .as_f64()
                    .ok_or_else(|| format!("token_logprobs[{position}] is not a number"))?,
            ),
        };
        let offset = offsets
            .and_then(|offsets| offsets.get(position))
            .and_then(Value::as_u64)
            .map(|offset| offset as usize);
        let top = tops
            .and_then(|tops| tops.get(position))
            .and_then(Value::as_object);
        let is_top = match (top, logprob) {
            (Some(top), Some(logprob)) => Some(is_most_likely(top, &text, logprob)),
            _ => None,
        };
        parsed.push(PromptToken {
            text,
            offset,
            logprob,
            is_top,
        });
    }
    Ok(parsed)
}

/// Whether `token` (with `logprob`) is the argmax of a `{token: logprob}` object.
fn is_most_likely(top: &Map<String, Value>, token: &str, logprob: f64) -> bool {
    let best = top
        .iter()
        .filter_map(|(text, value)| value.as_f64().map(|value| (text, value)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match best {
        None => true,
        Some((text, value)) => text == token || logprob >= value,
    }
}

/// Reads vLLM's `prompt_logprobs` list of a choice (with `prompt_token_ids`, from the
/// choice or the answer, when present).
pub fn parse_prompt_logprobs(
    choice: &Value,
    prompt_token_ids: Option<&[u64]>,
) -> Result<Vec<PromptToken>, String> {
    let entries = choice
        .get("prompt_logprobs")
        .and_then(Value::as_array)
        .ok_or("the answer has no `prompt_logprobs` list")?;
    let mut parsed = Vec::with_capacity(entries.len());
    for (position, entry) in entries.iter().enumerate() {
        let Some(candidates) = entry.as_object() else {
            if entry.is_null() {
                parsed.push(PromptToken {
                    text: String::new(),
                    offset: None,
                    logprob: None,
                    is_top: None,
                });
                continue;
            }
            return Err(format!("prompt_logprobs[{position}] is not an object"));
        };
        let id = prompt_token_ids
            .and_then(|ids| ids.get(position))
            .map(u64::to_string);
        let chosen = match &id {
            Some(id) => candidates.get(id).map(|value| (id.as_str(), value)),
            None => candidates
                .iter()
                .max_by_key(|(_, value)| value.get("rank").and_then(Value::as_u64).unwrap_or(0))
                .map(|(id, value)| (id.as_str(), value)),
        };
        let (_, value) =
            chosen.ok_or_else(|| format!("prompt_logprobs[{position}] has no prompt token"))?;
        let logprob = value
            .get("logprob")
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("prompt_logprobs[{position}] has no numeric logprob"))?;
        let text = value
            .get("decoded_token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let rank = value.get("rank").and_then(Value::as_u64);
        parsed.push(PromptToken {
            text,
            offset: None,
            logprob: Some(logprob),
            is_top: rank.map(|rank| rank == 1),
        });
    }
    Ok(parsed)
}

/// The score of a continuation read from the tokens of `context + continuation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitScore {
    pub loglikelihood: f64,
    pub is_greedy: bool,
    pub continuation_tokens: u32,
    pub context_tokens: u32,
}

/// Where the context ends among the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// The context's length in characters: continuation tokens start at or after it.
    Characters(usize),
    /// The number of tokens the context alone has (prefix token included).
    Tokens(usize),
}

/// Sums the continuation's logprobs. Fails when a continuation token has no logprob (an
/// empty context on a server that adds no prefix token), or there is no continuation.
pub fn score_continuation(
    tokens: &[PromptToken],
    boundary: Boundary,
) -> Result<SplitScore, String> {
    let start = match boundary {
        Boundary::Tokens(count) => count,
        Boundary::Characters(length) => {
            let mut start = tokens.len();
            for (position, token) in tokens.iter().enumerate() {
                let offset = token
                    .offset
                    .ok_or_else(|| format!("token {position} has no text_offset"))?;
                // A special token the server put first sits at offset 0 but is no part of
                // the prompt: it belongs to the context even when the context is empty.
                if offset >= length && !(position == 0 && is_prefix(tokens)) {
                    start = position;
                    break;
                }
            }
            start
        }
    };
    let continuation = tokens.get(start..).unwrap_or_default();
    if continuation.is_empty() {
        return Err("the continuation has no tokens of its own".to_string());
    }
    let mut loglikelihood = 0.0;
    let mut is_greedy = true;
    for token in continuation {
        loglikelihood += token.logprob.ok_or(
            "a continuation token has no logprob (the server adds no prefix token before an empty context)",
        )?;
        is_greedy &= token.is_top.unwrap_or(false);
    }
    Ok(SplitScore {
        loglikelihood,
        is_greedy,
        continuation_tokens: continuation.len() as u32,
        context_tokens: start as u32,
    })
}

/// Whether the first token is one the server added before the prompt's text (a BOS): it
/// has no logprob, and the tokens after it alone spell the prompt from offset 0.
pub fn is_prefix(tokens: &[PromptToken]) -> bool {
    match tokens {
        [first, second, ..] => {
            first.logprob.is_none() && first.offset == Some(0) && second.offset == Some(0)
        }
        _ => false,
    }
}

/// Whether the tokens (after a prefix token) spell `prompt` exactly, each at its offset.
pub fn reproduces(tokens: &[PromptToken], prompt: &str) -> Result<(), String> {
    let skip = usize::from(is_prefix(tokens));
    let mut spelled = String::new();
    for (position, token) in tokens.iter().enumerate().skip(skip) {
        if let Some(offset) = token.offset {
            let at = spelled.chars().count();
            if offset != at {
                return Err(format!(
                    "token {position} ({:?}) is at offset {offset}, expected {at}",
                    token.text
                ));
            }
        }
        spelled.push_str(&token.text);
    }
    if spelled == prompt {
        Ok(())
    } else {
        Err(format!(
            "the echoed tokens spell {spelled:?}, the prompt was {prompt:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn echo_choice() -> Value {
        // "<s>" + "The" + " cat" + " sat": a BOS at offset 0, then the prompt.
        json!({"text": "The cat sat", "logprobs": {
            "tokens": ["<s>", "The", " cat", " sat"],
            "token_logprobs": [null, -2.0, -1.5, -0.25],
            "top_logprobs": [null, {"A": -1.0}, {" cat": -1.5}, {" sat": -0.25}],
            "text_offset": [0, 0, 3, 7]
        }})
    }

    #[test]
    fn echo_splits_at_the_context_length_in_characters() {
        let tokens = parse_echo(&echo_choice()).expect("ok");
        assert!(is_prefix(&tokens));
        reproduces(&tokens, "The cat sat").expect("ok");
        let score = score_continuation(&tokens, Boundary::Characters(3)).expect("ok");
        assert_eq!(score.loglikelihood, -1.75);
        assert!(score.is_greedy);
        assert_eq!((score.context_tokens, score.continuation_tokens), (2, 2));
        // An empty context: everything after the BOS, which conditions the first token.
        let whole = score_continuation(&tokens, Boundary::Characters(0)).expect("ok");
        assert_eq!(whole.loglikelihood, -3.75);
        assert!(!whole.is_greedy, "`The` is not the top token");
    }

    #[test]
    fn without_a_prefix_token_an_empty_context_cannot_be_scored() {
        let choice = json!({"logprobs": {
            "tokens": ["The", " cat"], "token_logprobs": [null, -1.5],
            "top_logprobs": [null, {" cat": -1.5}], "text_offset": [0, 3]
        }});
        let tokens = parse_echo(&choice).expect("ok");
        assert!(!is_prefix(&tokens));
        let error = score_continuation(&tokens, Boundary::Characters(0)).expect_err("an error");
        assert!(error.contains("no logprob"), "{error}");
        assert_eq!(
            score_continuation(&tokens, Boundary::Characters(3))
                .expect("ok")
                .loglikelihood,
            -1.5
        );
    }

    #[test]
    fn tokens_that_do_not_spell_the_prompt_are_caught() {
        let tokens = parse_echo(&echo_choice()).expect("ok");
        let error = reproduces(&tokens, "The cat sat down").expect_err("an error");
        assert!(error.contains("spell"), "{error}");
        let mut shifted = echo_choice();
        shifted["logprobs"]["text_offset"] = json!([0, 0, 4, 7]);
        let error =
            reproduces(&parse_echo(&shifted).expect("ok"), "The cat sat").expect_err("an error");
        assert!(error.contains("offset 4"), "{error}");
    }

    #[test]
    fn missing_logprobs_say_the_server_ignored_echo() {
        let error = parse_echo(&json!({"text": "x", "logprobs": null})).expect_err("an error");
        assert!(error.contains("ignored echo"), "{error}");
    }

    #[test]
    fn vllm_prompt_logprobs_pick_the_prompt_token() {
        // vLLM's shape: null first, then {token_id: {logprob, rank, decoded_token}} with the
        // prompt token and the top-1 (the same entry when the prompt token ranks first).
        let choice = json!({"prompt_logprobs": [
            null,
            {"791": {"logprob": -2.0, "rank": 3, "decoded_token": "The"},
             "32": {"logprob": -1.0, "rank": 1, "decoded_token": "A"}},
            {"8415": {"logprob": -1.5, "rank": 1, "decoded_token": " cat"}},
        ]});
        let tokens = parse_prompt_logprobs(&choice, None).expect("ok");
        assert_eq!(tokens[1].logprob, Some(-2.0));
        assert_eq!(tokens[1].is_top, Some(false));
        assert_eq!(tokens[2].is_top, Some(true));
        // With the ids, the named entry is taken.
        let tokens = parse_prompt_logprobs(&choice, Some(&[1, 32, 8415])).expect("ok");
        assert_eq!(tokens[1].logprob, Some(-1.0));
        let score = score_continuation(&tokens, Boundary::Tokens(2)).expect("ok");
        assert_eq!(score.loglikelihood, -1.5);
    }
}
