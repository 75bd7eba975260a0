//! Whether a server's prompt logprobs can be trusted for scoring, found by asking it before
//! any item is scored ([`probe_scoring`]). A server that cannot give them, or gives them
//! wrong, is refused for loglikelihood tasks rather than scored at chance:
//!
//! 1. a greedy one-token generation after a fixed prompt `P`, with its logprob;
//! 2. echo of `P + token` (as a prompt list when the server takes one): the tokens must
//!    spell the prompt at their offsets, and the last token's logprob must equal the one
//!    the server gave when it generated it (a shift by one position, seen in
//!    llama-cpp-python's server for models without BOS, fails this);
//! 3. without echo, vLLM's `prompt_logprobs`, checked the same way;
//! 4. with echo, whether the server honours yardstick serve's `echo_logprobs_from` (the
//!    prompt's tokens before a character come back without logprobs, the rest as the
//!    whole echo gave them): then only continuations are scored, as in-process;
//! 5. whether the server's `/tokenize` (vLLM's) gives as many tokens as the prompt
//!    logprobs have: then a text longer than the context is scored in rolling windows of
//!    token-id prompts.

use serde_json::{json, Value};
use yardstick_backend::{BackendError, Need, Unavailable};

use crate::call::Answer;
use crate::client::OpenAiClient;
use crate::endpoint::{Api, Endpoint};
use crate::error::OpenAiError;
use crate::probe::{Finding, Support};
use crate::prompt_logprobs::{
    is_prefix, parse_echo, parse_prompt_logprobs, reproduces, PromptToken,
};
use crate::scorer::{
    tokens_of, LogprobSource, OpenAiBackend, RemoteTokenizer, ScoringSettings, ECHO_LOGPROBS_FROM,
    TOKENIZE_PATH,
};

/// The prompt of the checks: plain ASCII text with an obvious next word.
const PROBE_PROMPT: &str = "The capital of France is";
/// The most an echoed logprob may differ from the generation's for the same token (nats):
/// the same weights in a different batch shape differ by far less; a shifted position by
/// far more.
const ALIGNMENT_TOLERANCE: f64 = 0.05;

/// What [`probe_scoring`] found, and the settings the backend uses.
#[derive(Debug, Clone)]
pub struct ScoringProbe {
    /// The served model's entry in `GET /models` (`Null` when not listed).
    pub model_entry: Value,
    pub generation: Finding,
    pub echo: Finding,
    pub prompt_logprobs: Finding,
    pub prompt_lists: Finding,
    pub aligned: Finding,
    pub prefix_token: Finding,
    pub echo_logprobs_from: Finding,
    pub tokenizer: Finding,
    pub settings: ScoringSettings,
}

impl ScoringProbe {
    /// Every finding with its label, in the order they are printed.
    pub fn findings(&self) -> [(&'static str, &Finding); 8] {
        [
            ("greedy generation with logprobs", &self.generation),
            ("echo + prompt logprobs (spelled)", &self.echo),
            ("vLLM prompt_logprobs", &self.prompt_logprobs),
            ("logprobs aligned with generation", &self.aligned),
            ("several prompts per request", &self.prompt_lists),
            ("prefix token (BOS) before prompts", &self.prefix_token),
            ("continuation-only echo logprobs", &self.echo_logprobs_from),
            (
                "/tokenize agreeing with the prompt logprobs",
                &self.tokenizer,
            ),
        ]
    }
}

/// Connects to a server for quality evaluation: probes it, then builds the backend.
pub async fn connect(endpoint: Endpoint) -> Result<(OpenAiBackend, ScoringProbe), OpenAiError> {
    let client = OpenAiClient::new(endpoint)?;
    let probe = probe_scoring(&client).await?;
    Ok((OpenAiBackend::new(client, probe.settings.clone()), probe))
}

/// Probes the server's scoring capabilities. Fails only when nothing answers or the key is
/// refused; every other answer is a finding.
pub async fn probe_scoring(client: &OpenAiClient) -> Result<ScoringProbe, OpenAiError> {
    let (model_entry, server_version) = model_entry(client).await?;
    let context_tokens = model_entry
        .get("max_model_len")
        .and_then(Value::as_u64)
        .map(|length| length as u32);

    // 1. The greedy next token and its logprob.
    let body = json!({
        "model": client.endpoint.served_model, "prompt": PROBE_PROMPT,
        "max_tokens": 1, "logprobs": 1, "temperature": 0,
    });
    let generated = match client.post_json(Api::Completions.path(), &body).await {
        Ok(answer) => Ok(first_generated_token(&answer)),
        Err(error) => Err(refused_or_unknown(client, &error)?),
    };
    let (generation, next) = match generated {
        Ok(Some((token, logprob))) => (
            Finding::new(
                Support::Yes,
                format!("next token {token:?} at logprob {logprob:.4}"),
            ),
            Some((token, logprob)),
        ),
        Ok(None) => (
            Finding::new(Support::No, "the generation carried no token logprobs"),
            None,
        ),
        Err(finding) => (finding, None),
    };
    let prompt = match &next {
        Some((token, _)) => format!("{PROBE_PROMPT}{token}"),
        None => PROBE_PROMPT.to_string(),
    };

    // 2. Echo, as a list of two prompts first.
    let prompt_lists;
    let echo;
    let mut aligned = Finding::new(Support::Unknown, "no prompt logprobs to check");
    let mut prefix_token = Finding::new(Support::Unknown, "no prompt logprobs to check");
    let mut source = None;
    let echo_body = |prompt: Value| {
        json!({
            "model": client.endpoint.served_model, "prompt": prompt,
            "echo": true, "logprobs": 1, "max_tokens": 0, "temperature": 0,
        })
    };
    let listed = client
        .post_json(
            Api::Completions.path(),
            &echo_body(json!([prompt, PROBE_PROMPT])),
        )
        .await;
    let single = match listed {
        Ok(answer) if choice_count(&answer) == 2 => {
            prompt_lists = Finding::new(Support::Yes, "two prompts gave two choices");
            Ok(answer)
        }
        other => {
            prompt_lists = Finding::new(
                Support::No,
                match &other {
                    Ok(answer) => format!("two prompts gave {} choices", choice_count(answer)),
                    Err(error) => format!("a prompt list was refused: {error}"),
                },
            );
            client
                .post_json(Api::Completions.path(), &echo_body(json!(prompt)))
                .await
        }
    };
    let mut echoed = None;
    let mut scored_tokens = None;
    match single.map(|answer| first_choice(&answer).map(parse_echo)) {
        Err(error) => echo = refused_or_unknown(client, &error)?,
        Ok(None) => echo = Finding::new(Support::No, "the answer has no choices"),
        Ok(Some(Err(reason))) => echo = Finding::new(Support::No, reason),
        Ok(Some(Ok(tokens))) => match reproduces(&tokens, &prompt) {
            Err(reason) => echo = Finding::new(Support::No, reason),
            Ok(()) => {
                echo = Finding::new(
                    Support::Yes,
                    format!("{} tokens spell the prompt at their offsets", tokens.len()),
                );
                aligned = alignment(tokens.last().and_then(|token| token.logprob), &next);
                prefix_token = prefix_finding(is_prefix(&tokens), &tokens[0].text);
                source = Some(LogprobSource::Echo);
                scored_tokens = Some(tokens.len());
                echoed = Some(tokens);
            }
        },
    }

    // 4. Echo from a character on, checked against the whole echo.
    let echo_logprobs_from = match &echoed {
        None => Finding::new(Support::Unknown, "no echo to compare with"),
        Some(whole) => partial_echo(client, &prompt, whole).await?,
    };

    // 3. vLLM's prompt logprobs, when echo gave nothing usable.
    let mut prompt_logprobs = Finding::new(Support::Unknown, "not needed: echo works");
    if source.is_none() {
        let body = json!({
            "model": client.endpoint.served_model, "prompt": prompt,
            "prompt_logprobs": 1, "max_tokens": 1, "temperature": 0,
        });
        prompt_logprobs = match client.post_json(Api::Completions.path(), &body).await {
            Err(error) => refused_or_unknown(client, &error)?,
            Ok(answer) => {
                match first_choice(&answer).map(|choice| parse_prompt_logprobs(choice, None)) {
                    None => Finding::new(Support::No, "the answer has no choices"),
                    Some(Err(reason)) => Finding::new(Support::No, reason),
                    Some(Ok(tokens)) => {
                        aligned = alignment(tokens.last().and_then(|token| token.logprob), &next);
                        scored_tokens = Some(tokens.len());
                        prefix_token = Finding::new(
                            Support::Unknown,
                            "prompt_logprobs do not show whether a BOS was added",
                        );
                        source = Some(LogprobSource::PromptLogprobs);
                        Finding::new(Support::Yes, format!("{} prompt positions", tokens.len()))
                    }
                }
            }
        };
    }

    // 5. The server's tokenizer, for rolling windows.
    let (tokenizer, remote) = match scored_tokens {
        None => (
            Finding::new(Support::Unknown, "no prompt logprobs to compare with"),
            None,
        ),
        Some(count) => {
            let prefix = echoed.as_deref().is_some_and(is_prefix);
            remote_tokenizer(client, &prompt, count, prefix, context_tokens).await?
        }
    };

    let mut unavailable = Vec::new();
    let mut lacks = |need: Need, reason: String| unavailable.push(Unavailable { need, reason });
    if generation.support == Support::No && generation.reason.starts_with("HTTP") {
        lacks(
            Need::Generate,
            format!("generation failed: {}", generation.reason),
        );
    }
    let usable = match source {
        None => {
            lacks(
                Need::Loglikelihood,
                format!(
                    "the server gives no prompt token logprobs (echo: {}; prompt_logprobs: {})",
                    echo.reason, prompt_logprobs.reason
                ),
            );
            None
        }
        Some(_) if aligned.support != Support::Yes => {
            lacks(
                Need::Loglikelihood,
                format!("its prompt logprobs cannot be trusted: {}", aligned.reason),
            );
            None
        }
        Some(source) => Some(source),
    };
    if usable.is_none() {
        lacks(
            Need::RollingLoglikelihood,
            "the server gives no usable prompt token logprobs".into(),
        );
    } else if prefix_token.support != Support::Yes {
        lacks(
            Need::RollingLoglikelihood,
            format!(
                "a text's first token cannot be scored: {}",
                prefix_token.reason
            ),
        );
    }
    let settings = ScoringSettings {
        logprobs: usable,
        prompts_per_request: if prompt_lists.support == Support::Yes {
            16
        } else {
            1
        },
        prefix_token: prefix_token.support == Support::Yes,
        echo_logprobs_from: echo_logprobs_from.support == Support::Yes,
        server_version,
        context_tokens,
        unavailable,
        tokenizer: remote,
    };
    Ok(ScoringProbe {
        model_entry,
        generation,
        echo,
        prompt_logprobs,
        prompt_lists,
        aligned,
        prefix_token,
        echo_logprobs_from,
        tokenizer,
        settings,
    })
}

/// Whether the server's `/tokenize` tokenizes `prompt` (special tokens added) into the
/// `count` tokens its prompt logprobs had; with a prefix token (BOS), that token's id.
async fn remote_tokenizer(
    client: &OpenAiClient,
    prompt: &str,
    count: usize,
    prefix: bool,
    context_tokens: Option<u32>,
) -> Result<(Finding, Option<RemoteTokenizer>), OpenAiError> {
    let body = json!({
        "model": client.endpoint.served_model, "prompt": prompt, "add_special_tokens": true,
    });
    let answer = match client.post_json(TOKENIZE_PATH, &body).await {
        Ok(answer) => answer,
        Err(error) => return Ok((refused_or_unknown(client, &error)?, None)),
    };
    let tokens = match tokens_of(&answer.json) {
        Ok(tokens) => tokens,
        Err(reason) => return Ok((Finding::new(Support::No, reason), None)),
    };
    if tokens.len() != count {
        return Ok((
            Finding::new(
                Support::No,
                format!(
                    "{} tokens from /tokenize, {count} with prompt logprobs: the two disagree",
                    tokens.len()
                ),
            ),
            None,
        ));
    }
    let max_model_len = answer
        .json
        .get("max_model_len")
        .and_then(Value::as_u64)
        .and_then(|length| u32::try_from(length).ok())
        .or(context_tokens);
    let remote = RemoteTokenizer {
        prefix_token: prefix.then(|| tokens[0]),
        max_model_len,
    };
    let length = max_model_len.map_or("unknown".to_string(), |length| length.to_string());
    Ok((
        Finding::new(
            Support::Yes,
            format!("{count} tokens, as echoed; texts longer than the context ({length}) go in rolling windows"),
        ),
        Some(remote),
    ))
}

/// Whether the server honours `echo_logprobs_from`: the prompt echoed from its last
/// token's offset must come back as the same tokens, without logprobs before that token,
/// and with the whole echo's logprob for it (within [`ALIGNMENT_TOLERANCE`]: fewer logits
/// rows are other kernel shapes, so other roundings). A server that refuses the field or ignores it
/// is a "no", and is sent whole echoes.
async fn partial_echo(
    client: &OpenAiClient,
    prompt: &str,
    whole: &[PromptToken],
) -> Result<Finding, OpenAiError> {
    let Some(from) = whole.last().and_then(|token| token.offset) else {
        return Ok(Finding::new(
            Support::Unknown,
            "the echo carried no offsets",
        ));
    };
    let mut body = json!({
        "model": client.endpoint.served_model, "prompt": prompt,
        "echo": true, "logprobs": 1, "max_tokens": 0, "temperature": 0,
    });
    if let Some(body) = body.as_object_mut() {
        body.insert(ECHO_LOGPROBS_FROM.into(), json!(from));
    }
    let tokens = match client.post_json(Api::Completions.path(), &body).await {
        Err(error) => return refused_or_unknown(client, &error),
        Ok(answer) => match first_choice(&answer).map(parse_echo) {
            None => return Ok(Finding::new(Support::No, "the answer has no choices")),
            Some(Err(reason)) => return Ok(Finding::new(Support::No, reason)),
            Some(Ok(tokens)) => tokens,
        },
    };
    Ok(compare_partial(&tokens, whole, from))
}

/// [`partial_echo`]'s verdict on the tokens echoed from character `from`.
fn compare_partial(partial: &[PromptToken], whole: &[PromptToken], from: usize) -> Finding {
    let texts = |tokens: &[PromptToken]| {
        tokens
            .iter()
            .map(|token| token.text.clone())
            .collect::<Vec<_>>()
    };
    if texts(partial) != texts(whole) {
        return Finding::new(
            Support::No,
            "the tokens differ from the whole echo's".to_string(),
        );
    }
    for (position, (part, all)) in partial.iter().zip(whole).enumerate() {
        let wanted = part.offset.is_some_and(|offset| offset >= from) && all.logprob.is_some();
        match (wanted, part.logprob, all.logprob) {
            (false, Some(_), _) if position > 0 => {
                return Finding::new(
                    Support::No,
                    format!("`{ECHO_LOGPROBS_FROM}` was ignored (token {position} has a logprob)"),
                )
            }
            (true, None, _) => {
                return Finding::new(
                    Support::No,
                    format!("token {position} lost its logprob"),
                )
            }
            (true, Some(part), Some(all)) if (part - all).abs() > ALIGNMENT_TOLERANCE => {
                return Finding::new(
                    Support::No,
                    format!(
                        "token {position}: {part:.5} from character {from}, {all:.5} in the whole echo"
                    ),
                )
            }
            _ => {}
        }
    }
    Finding::new(
        Support::Yes,
        format!("`{ECHO_LOGPROBS_FROM}: {from}` gave the whole echo's logprobs from there on"),
    )
}

/// The server's name and version as its headers give them (`server`, or a vendor header),
/// from its answer to `GET /models`: what identifies the engine of a served deployment.
pub async fn server_version(client: &OpenAiClient) -> Result<Option<String>, OpenAiError> {
    Ok(model_entry(client).await?.1)
}

/// The served model's `/models` entry and the server's version header.
async fn model_entry(client: &OpenAiClient) -> Result<(Value, Option<String>), OpenAiError> {
    let url = crate::client::endpoint_url(&client.endpoint, "models")?;
    let (_, body, server) = client.get_json(url).await?;
    let entry = body
        .get("data")
        .and_then(Value::as_array)
        .and_then(|models| {
            models.iter().find(|model| {
                model.get("id").and_then(Value::as_str) == Some(&client.endpoint.served_model)
            })
        })
        .cloned()
        .unwrap_or(Value::Null);
    Ok((entry, server))
}

/// A failed probe request as a finding; a refused key stops the probe.
pub(crate) fn refused_or_unknown(
    client: &OpenAiClient,
    error: &BackendError,
) -> Result<Finding, OpenAiError> {
    let BackendError::Request {
        cause,
        what,
        status,
        ..
    } = error
    else {
        return Ok(Finding::new(Support::Unknown, error.to_string()));
    };
    match status {
        Some(status @ (401 | 403)) => Err(OpenAiError::Unauthorized {
            url: client.endpoint.base_url.clone(),
            status: *status,
            key_sent: client.endpoint.api_key.is_some(),
            message: what.clone(),
        }),
        // Busy or slow, not a refusal.
        Some(408 | 429) => Ok(Finding::new(Support::Unknown, what.clone())),
        // The server understood and refused: it lacks the capability.
        Some(400..=499) => Ok(Finding::new(Support::No, what.clone())),
        _ if cause == "connection_refused" => Err(OpenAiError::Unreachable {
            url: client.endpoint.base_url.clone(),
            reason: what.clone(),
        }),
        _ => Ok(Finding::new(Support::Unknown, what.clone())),
    }
}

fn choice_count(answer: &Answer) -> usize {
    answer
        .json
        .get("choices")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn first_choice(answer: &Answer) -> Option<&Value> {
    let choices = answer.json.get("choices")?.as_array()?;
    choices
        .iter()
        .find(|choice| choice.get("index").and_then(Value::as_u64).unwrap_or(0) == 0)
}

/// The generated token's text and logprob, in the legacy shape (`tokens`,
/// `token_logprobs`) or the chat-style `content` list llama.cpp's server also uses.
fn first_generated_token(answer: &Answer) -> Option<(String, f64)> {
    let logprobs = first_choice(answer)?.get("logprobs")?;
    let legacy = || {
        let token = logprobs.pointer("/tokens/0")?.as_str()?.to_string();
        let logprob = logprobs.pointer("/token_logprobs/0")?.as_f64()?;
        Some((token, logprob))
    };
    let content = || {
        let first = logprobs.pointer("/content/0")?;
        let token = first.get("token")?.as_str()?.to_string();
        let logprob = first.get("logprob")?.as_f64()?;
        Some((token, logprob))
    };
    legacy().or_else(content)
}

fn alignment(echoed: Option<f64>, generated: &Option<(String, f64)>) -> Finding {
    match (echoed, generated) {
        (_, None) => Finding::new(
            Support::Unknown,
            "no generation logprob to check the prompt logprobs against",
        ),
        (None, Some(_)) => Finding::new(Support::No, "the prompt's last token has no logprob"),
        (Some(echoed), Some((token, generated))) => {
            let difference = (echoed - generated).abs();
            let text = format!(
                "last prompt token {token:?}: {echoed:.4} in the prompt, {generated:.4} when generated"
            );
            if difference <= ALIGNMENT_TOLERANCE {
                Finding::new(Support::Yes, text)
            } else {
                Finding::new(
                    Support::No,
                    format!("{text} (off by {difference:.3} nats: shifted or misaligned)"),
                )
            }
        }
    }
}

fn prefix_finding(prefix: bool, first: &str) -> Finding {
    if prefix {
        Finding::new(Support::Yes, format!("the server adds {first:?}"))
    } else {
        Finding::new(
            Support::No,
            "the prompt's first token has no logprob (the server adds no BOS)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str, offset: usize, logprob: Option<f64>) -> PromptToken {
        PromptToken {
            text: text.to_string(),
            offset: Some(offset),
            logprob,
            is_top: None,
        }
    }

    fn whole() -> Vec<PromptToken> {
        vec![
            token("<s>", 0, None),
            token("The", 0, Some(-2.0)),
            token(" cat", 3, Some(-1.5)),
        ]
    }

    #[test]
    fn a_partial_echo_must_drop_the_earlier_logprobs_and_keep_the_later_ones() {
        let honoured = vec![
            token("<s>", 0, None),
            token("The", 0, None),
            token(" cat", 3, Some(-1.5000001)),
        ];
        assert_eq!(
            compare_partial(&honoured, &whole(), 3).support,
            Support::Yes
        );

        let ignored = compare_partial(&whole(), &whole(), 3);
        assert_eq!(ignored.support, Support::No);
        assert!(ignored.reason.contains("ignored"), "{}", ignored.reason);

        let lost = vec![
            token("<s>", 0, None),
            token("The", 0, None),
            token(" cat", 3, None),
        ];
        let lost = compare_partial(&lost, &whole(), 3);
        assert!(lost.reason.contains("lost its logprob"), "{}", lost.reason);

        let moved = vec![
            token("<s>", 0, None),
            token("The", 0, None),
            token(" cat", 3, Some(-1.3)),
        ];
        let moved = compare_partial(&moved, &whole(), 3);
        assert_eq!(moved.support, Support::No);
        assert!(moved.reason.contains("-1.30000"), "{}", moved.reason);

        let retokenized = vec![
            token("<s>", 0, None),
            token("The c", 0, None),
            token("at", 5, Some(-1.5)),
        ];
        assert_eq!(
            compare_partial(&retokenized, &whole(), 3).support,
            Support::No
        );
    }
}
