//! [`OpenAiBackend`]: yardstick's [`Backend`] over an OpenAI-compatible server, for quality
//! evaluation. Loglikelihoods come from the prompt's token logprobs (echo, or vLLM's
//! `prompt_logprobs`), several prompts per request where the server takes a list;
//! generations from `/v1/completions`, or `/v1/chat/completions` when the server applies
//! the chat template. Each call is one attempt: a failure is a
//! [`BackendError::Request`] with its cause, for the runner to retry or record.

use std::time::Instant;

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use yardstick_backend::{
    Backend, BackendDescription, BackendError, Capabilities, ChatMessage, ContinuationScore,
    FinishReason, GenerateRequest, Generation, GenerationTiming, LoglikelihoodRequest,
    RollingScore, Unavailable,
};

use crate::call::Answer;
use crate::client::OpenAiClient;
use crate::endpoint::Api;
use crate::prompt_logprobs::{
    is_prefix, parse_echo, parse_prompt_logprobs, score_continuation, Boundary, PromptToken,
};

/// yardstick serve's request field naming, per prompt, the character from which echoed
/// tokens carry logprobs.
pub const ECHO_LOGPROBS_FROM: &str = "echo_logprobs_from";

/// Where a server gives prompt token logprobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogprobSource {
    /// `echo: true, logprobs: 1, max_tokens: 0`.
    Echo,
    /// vLLM's `prompt_logprobs: 1` (with `max_tokens: 1`).
    PromptLogprobs,
}

yardstick_core::closed_set!(LogprobSource, "logprob source", {
    Echo => "echo",
    PromptLogprobs => "prompt_logprobs",
});

/// How the backend talks to the server, as the scoring probe found it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringSettings {
    /// `None`: the server gives no usable prompt logprobs.
    pub logprobs: Option<LogprobSource>,
    /// Most prompts in one request (1 when the server refuses a prompt list).
    pub prompts_per_request: usize,
    /// The server honours `echo_logprobs_from` (yardstick serve's extension): echoed
    /// tokens before a character carry no logprob, and their logits are not computed, so
    /// scoring a continuation costs what it costs in-process.
    pub echo_logprobs_from: bool,
    /// The server puts a token (BOS) before every prompt, so a text's first token is scored.
    pub prefix_token: bool,
    /// The server's name and version header.
    pub server_version: Option<String>,
    /// `max_model_len` from `/models`, when listed.
    pub context_tokens: Option<u32>,
    /// Capabilities the probe found missing, with the reason.
    pub unavailable: Vec<Unavailable>,
    /// The server's `/tokenize` (vLLM's shape), when it agrees with echo: a text longer
    /// than the context is then scored in rolling windows of token-id prompts.
    pub tokenizer: Option<RemoteTokenizer>,
}

/// What the server's `/tokenize` gives for rolling windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTokenizer {
    /// The token the server puts before a prompt (BOS): the first window's context.
    pub prefix_token: Option<u32>,
    /// The longest sequence the model reads, `max_model_len`.
    pub max_model_len: Option<u32>,
}

/// The path of vLLM's tokenizer route, at the server's root beside `/v1`.
pub(crate) const TOKENIZE_PATH: &str = "../tokenize";

/// A [`Backend`] on an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiBackend {
    client: OpenAiClient,
    settings: ScoringSettings,
}

impl OpenAiBackend {
    pub fn new(client: OpenAiClient, settings: ScoringSettings) -> OpenAiBackend {
        OpenAiBackend { client, settings }
    }

    pub fn settings(&self) -> &ScoringSettings {
        &self.settings
    }

    /// The fixed parameters of scoring requests, `name=value`, for the fingerprint.
    pub fn request_parameters(&self) -> Vec<String> {
        let mut parameters = vec![
            format!("api={}", self.client.endpoint.api),
            format!("prompts_per_request={}", self.settings.prompts_per_request),
            "temperature=0 (greedy generations)".to_string(),
        ];
        match self.settings.logprobs {
            Some(LogprobSource::Echo) if self.settings.echo_logprobs_from => {
                parameters.push(
                    "loglikelihood=echo:true,logprobs:1,max_tokens:0,echo_logprobs_from:<context length>"
                        .into(),
                );
            }
            Some(LogprobSource::Echo) => {
                parameters.push("loglikelihood=echo:true,logprobs:1,max_tokens:0".into());
            }
            Some(LogprobSource::PromptLogprobs) => {
                parameters.push("loglikelihood=prompt_logprobs:1,max_tokens:1".into());
            }
            None => {}
        }
        if let Some(tokenizer) = &self.settings.tokenizer {
            let length = tokenizer
                .max_model_len
                .or(self.settings.context_tokens)
                .map_or("unknown".to_string(), |length| length.to_string());
            parameters.push(format!(
                "loglikelihood_rolling=windows of {length} token ids (/tokenize) when longer"
            ));
        }
        parameters.sort();
        parameters
    }

    fn request_failed(&self, what: impl Into<String>) -> BackendError {
        BackendError::Request {
            what: what.into(),
            cause: "malformed".into(),
            status: None,
            retryable: false,
            retry_after: None,
        }
    }

    /// Sends prompts in chunks of [`ScoringSettings::prompts_per_request`] and returns each
    /// prompt's tokens, in order. With `from` (one character offset per prompt) and a
    /// server that honours `echo_logprobs_from`, only the tokens from there on carry
    /// logprobs.
    async fn prompt_tokens(
        &self,
        source: LogprobSource,
        prompts: &[String],
        from: Option<&[usize]>,
    ) -> Result<Vec<Vec<PromptToken>>, BackendError> {
        let mut all = Vec::with_capacity(prompts.len());
        let per_request = self.settings.prompts_per_request.max(1);
        for (number, chunk) in prompts.chunks(per_request).enumerate() {
            let prompt = if chunk.len() == 1 {
                json!(chunk[0])
            } else {
                json!(chunk)
            };
            let mut body = json!({
                "model": self.client.endpoint.served_model,
                "prompt": prompt,
                "temperature": 0,
            });
            merge(&mut body, source_fields(source));
            if let (LogprobSource::Echo, true, Some(from)) =
                (source, self.settings.echo_logprobs_from, from)
            {
                let start = number * per_request;
                let offsets = &from[start..start + chunk.len()];
                if let Some(body) = body.as_object_mut() {
                    body.insert(ECHO_LOGPROBS_FROM.into(), json!(offsets));
                }
            }
            let answer = self
                .client
                .post_json(Api::Completions.path(), &body)
                .await?;
            let choices = ordered_choices(&answer, chunk.len())
                .map_err(|error| self.request_failed(error))?;
            for choice in choices {
                let tokens = match source {
                    LogprobSource::Echo => parse_echo(choice),
                    LogprobSource::PromptLogprobs => {
                        let ids = token_ids(choice);
                        parse_prompt_logprobs(choice, ids.as_deref())
                    }
                }
                .map_err(|error| self.request_failed(error))?;
                all.push(tokens);
            }
        }
        Ok(all)
    }

    /// The server's tokens of `text` (`/tokenize`, vLLM's shape).
    async fn remote_tokens(&self, text: &str, add_special: bool) -> Result<Vec<u32>, BackendError> {
        let body = json!({
            "model": self.client.endpoint.served_model,
            "prompt": text,
            "add_special_tokens": add_special,
        });
        let answer = self.client.post_json(TOKENIZE_PATH, &body).await?;
        tokens_of(&answer.json).map_err(|error| self.request_failed(error))
    }

    /// The rolling windows of `text` when it is longer than the context and the server
    /// can tokenize; `None` when it fits one prompt (or cannot be split).
    async fn rolling_plan(
        &self,
        text: &str,
    ) -> Result<Option<Vec<yardstick_backend::RollingWindow<u32>>>, BackendError> {
        let Some(tokenizer) = &self.settings.tokenizer else {
            return Ok(None);
        };
        let Some(max_len) = tokenizer.max_model_len.or(self.settings.context_tokens) else {
            return Ok(None);
        };
        let tokens = self.remote_tokens(text, false).await?;
        // One window reads the prefix token and every token but the last.
        if tokens.len() <= max_len as usize {
            return Ok(None);
        }
        let prefix = tokenizer.prefix_token.ok_or_else(|| {
            self.refused(&format!(
                "score a text of {} tokens, longer than the context of {max_len}, in windows \
                 (the server puts no BOS before a prompt to start the first window with)",
                tokens.len()
            ))
        })?;
        Ok(Some(yardstick_backend::rolling_windows(
            &tokens,
            prefix,
            max_len as usize,
        )))
    }

    /// Scores rolling windows, each a token-id prompt (context then continuation) whose
    /// last `continuation` tokens' logprobs are summed.
    async fn score_windows(
        &self,
        source: LogprobSource,
        windows: Vec<yardstick_backend::RollingWindow<u32>>,
    ) -> Result<RollingScore, BackendError> {
        let mut loglikelihood = 0.0;
        let mut predicted = 0;
        for (number, window) in windows.iter().enumerate() {
            let ids: Vec<u32> = window
                .context
                .iter()
                .chain(&window.continuation)
                .copied()
                .collect();
            let tokens = self.prompt_ids(source, &ids).await?;
            if tokens.len() != ids.len() {
                return Err(self.request_failed(format!(
                    "window {number}: {} tokens sent, {} echoed",
                    ids.len(),
                    tokens.len()
                )));
            }
            for token in &tokens[window.context.len()..] {
                loglikelihood += token.logprob.ok_or_else(|| {
                    self.request_failed(format!("window {number}: a token has no logprob"))
                })?;
            }
            predicted += window.continuation.len();
        }
        Ok(RollingScore {
            loglikelihood,
            tokens: predicted as u32,
            windows: windows.len() as u32,
        })
    }

    /// The tokens of one token-id prompt with their logprobs.
    async fn prompt_ids(
        &self,
        source: LogprobSource,
        ids: &[u32],
    ) -> Result<Vec<PromptToken>, BackendError> {
        let mut body = json!({
            "model": self.client.endpoint.served_model,
            "prompt": ids,
            "temperature": 0,
        });
        merge(&mut body, source_fields(source));
        let answer = self
            .client
            .post_json(Api::Completions.path(), &body)
            .await?;
        let choice = ordered_choices(&answer, 1)
            .map_err(|error| self.request_failed(error))?
            .remove(0);
        match source {
            LogprobSource::Echo => parse_echo(choice),
            LogprobSource::PromptLogprobs => parse_prompt_logprobs(choice, Some(&as_u64(ids))),
        }
        .map_err(|error| self.request_failed(error))
    }

    fn refused(&self, what: &str) -> BackendError {
        BackendError::Unsupported(format!("{what} on {}", self.client.endpoint.base_url))
    }

    fn generation_body(&self, request: &GenerateRequest) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("model".into(), json!(self.client.endpoint.served_model));
        body.insert("max_tokens".into(), json!(request.max_tokens));
        match &request.sampling {
            None => {
                body.insert("temperature".into(), json!(0));
            }
            Some(sampling) => {
                body.insert("temperature".into(), json!(sampling.temperature));
                body.insert("seed".into(), json!(sampling.seed));
                if let Some(top_p) = sampling.top_p {
                    body.insert("top_p".into(), json!(top_p));
                }
                if let Some(top_k) = sampling.top_k {
                    body.insert("top_k".into(), json!(top_k));
                }
            }
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        if request.ignore_eos {
            body.insert("ignore_eos".into(), json!(true));
        }
        body
    }

    async fn generation(
        &self,
        api: Api,
        body: Map<String, Value>,
        stop: &[String],
    ) -> Result<Generation, BackendError> {
        let started = Instant::now();
        let answer = self
            .client
            .post_json(api.path(), &Value::Object(body))
            .await?;
        let elapsed = started.elapsed();
        let choice = ordered_choices(&answer, 1)
            .map_err(|error| self.request_failed(error))?
            .remove(0);
        let text = match api {
            Api::Completions => choice.get("text").and_then(Value::as_str),
            Api::ChatCompletions => choice.pointer("/message/content").and_then(Value::as_str),
        }
        .ok_or_else(|| self.request_failed("the answer's choice has no text"))?;
        // Servers cut at the stop sequence; cut again here for those that leave it in.
        let cut = stop
            .iter()
            .filter(|stop| !stop.is_empty())
            .filter_map(|stop| text.find(stop.as_str()))
            .min();
        let finish_reason = match (cut, choice.get("finish_reason").and_then(Value::as_str)) {
            (Some(_), _) | (None, Some("stop")) => FinishReason::Stop,
            _ => FinishReason::Length,
        };
        let text = cut.map_or(text, |at| &text[..at]).to_string();
        let usage = |name: &str| {
            answer
                .json
                .pointer(&format!("/usage/{name}"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32
        };
        Ok(Generation {
            text,
            prompt_tokens: usage("prompt_tokens"),
            completion_tokens: usage("completion_tokens"),
            finish_reason,
            timing: GenerationTiming {
                time_to_first_token: elapsed,
                prefill: elapsed,
                decode: std::time::Duration::ZERO,
            },
        })
    }
}

/// The request fields that ask for prompt logprobs from `source`.
fn source_fields(source: LogprobSource) -> Value {
    match source {
        LogprobSource::Echo => json!({"echo": true, "logprobs": 1, "max_tokens": 0}),
        LogprobSource::PromptLogprobs => json!({"prompt_logprobs": 1, "max_tokens": 1}),
    }
}

fn as_u64(ids: &[u32]) -> Vec<u64> {
    ids.iter().map(|&id| u64::from(id)).collect()
}

/// The `tokens` list of a `/tokenize` answer.
pub(crate) fn tokens_of(answer: &Value) -> Result<Vec<u32>, String> {
    answer
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or("the /tokenize answer has no `tokens` list")?
        .iter()
        .map(|token| {
            token
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| {
                    format!("the /tokenize answer has a token {token} that is not an id")
                })
        })
        .collect()
}

/// Merges the fields of `extra` (an object) into `body`.
fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

/// The answer's choices ordered by `index`, exactly `expected` of them.
fn ordered_choices(answer: &Answer, expected: usize) -> Result<Vec<&Value>, String> {
    let mut choices: Vec<&Value> = answer
        .json
        .get("choices")
        .and_then(Value::as_array)
        .ok_or("the answer has no `choices` list")?
        .iter()
        .collect();
    choices.sort_by_key(|choice| choice.get("index").and_then(Value::as_u64).unwrap_or(0));
    if choices.len() != expected {
        return Err(format!("{} choices for {expected} prompts", choices.len()));
    }
    Ok(choices)
}

/// `prompt_token_ids` of a choice, when the server returns them.
fn token_ids(choice: &Value) -> Option<Vec<u64>> {
    choice
        .get("prompt_token_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
}

/// lm-eval's `_encode_pair`: the context's trailing whitespace moves to the continuation.
fn encode_pair(context: &str, continuation: &str) -> (String, String) {
    let trimmed = context.trim_end();
    let moved = &context[trimmed.len()..];
    (trimmed.to_string(), format!("{moved}{continuation}"))
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn describe(&self) -> BackendDescription {
        let scheme = match self.settings.logprobs {
            Some(source) => format!(
                "openai-{source}-v1, {} prompts per request",
                self.settings.prompts_per_request
            ),
            None => "openai-generation-only-v1".to_string(),
        };
        BackendDescription {
            kind: "openai".into(),
            engine_version: self
                .settings
                .server_version
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            batching_scheme: scheme,
            threads: 0,
            capabilities: Capabilities {
                loglikelihood: self.settings.logprobs.is_some(),
                generate: true,
                tokenize: false,
                chat_template: self.client.endpoint.api == Api::ChatCompletions,
            },
            context_tokens: self.settings.context_tokens.unwrap_or(0),
            unavailable: self.settings.unavailable.clone(),
        }
    }

    async fn loglikelihood(
        &self,
        request: LoglikelihoodRequest,
    ) -> Result<Vec<ContinuationScore>, BackendError> {
        let source = self
            .settings
            .logprobs
            .ok_or_else(|| self.refused("score loglikelihoods (no prompt logprobs)"))?;
        let pairs: Vec<(String, String)> = request
            .pairs
            .iter()
            .map(|pair| encode_pair(&pair.context, &pair.continuation))
            .collect();
        let mut prompts: Vec<String> = pairs
            .iter()
            .map(|(context, continuation)| format!("{context}{continuation}"))
            .collect();
        // vLLM's prompt logprobs carry no offsets: the contexts alone are sent too, and a
        // continuation starts after as many tokens as its context has, as lm-eval splits.
        let mut contexts: Vec<String> = Vec::new();
        if source == LogprobSource::PromptLogprobs {
            for (context, _) in &pairs {
                if !contexts.contains(context) {
                    contexts.push(context.clone());
                }
            }
            prompts.extend(contexts.iter().cloned());
        }
        // The continuations' logprobs only, where the server can skip the rest.
        let from: Vec<usize> = pairs
            .iter()
            .map(|(context, _)| context.chars().count())
            .collect();
        let tokens = self.prompt_tokens(source, &prompts, Some(&from)).await?;
        let mut scores = Vec::with_capacity(pairs.len());
        for (position, (context, _)) in pairs.iter().enumerate() {
            let boundary = match source {
                LogprobSource::Echo => Boundary::Characters(context.chars().count()),
                LogprobSource::PromptLogprobs => {
                    let at = contexts
                        .iter()
                        .position(|known| known == context)
                        .map_or(0, |at| at + pairs.len());
                    Boundary::Tokens(tokens[at].len())
                }
            };
            let score = score_continuation(&tokens[position], boundary)
                .map_err(|error| self.request_failed(format!("pair {position}: {error}")))?;
            scores.push(ContinuationScore {
                loglikelihood: score.loglikelihood,
                is_greedy: score.is_greedy,
                continuation_tokens: score.continuation_tokens,
                context_tokens: score.context_tokens,
            });
        }
        Ok(scores)
    }

    async fn loglikelihood_rolling(&self, text: &str) -> Result<RollingScore, BackendError> {
        if let Some(reason) = Unavailable::reason_in(
            &self.settings.unavailable,
            yardstick_backend::Need::RollingLoglikelihood,
        ) {
            return Err(self.refused(&format!("score whole texts: {reason}")));
        }
        let source = self
            .settings
            .logprobs
            .ok_or_else(|| self.refused("score whole texts (no prompt logprobs)"))?;
        // A text longer than the context goes in windows of token ids, as lm-eval does.
        if let Some(windows) = self.rolling_plan(text).await? {
            return self.score_windows(source, windows).await;
        }
        let tokens = self
            .prompt_tokens(source, &[text.to_string()], None)
            .await?
            .remove(0);
        let skip = match source {
            LogprobSource::Echo if is_prefix(&tokens) => 1,
            LogprobSource::PromptLogprobs if self.settings.prefix_token => 1,
            _ => {
                return Err(self.refused(
                    "score a text's first token (the server puts no BOS before the prompt)",
                ))
            }
        };
        let mut loglikelihood = 0.0;
        for token in &tokens[skip..] {
            loglikelihood += token
                .logprob
                .ok_or_else(|| self.request_failed("a token of the text has no logprob"))?;
        }
        Ok(RollingScore {
            loglikelihood,
            tokens: (tokens.len() - skip) as u32,
            windows: 1,
        })
    }

    async fn generate(&self, request: GenerateRequest) -> Result<Generation, BackendError> {
        let mut body = self.generation_body(&request);
        body.insert("prompt".into(), json!(request.prompt));
        self.generation(Api::Completions, body, &request.stop).await
    }

    fn renders_chat_itself(&self) -> bool {
        self.client.endpoint.api == Api::ChatCompletions
    }

    async fn generate_chat(
        &self,
        messages: &[ChatMessage],
        request: GenerateRequest,
    ) -> Result<Generation, BackendError> {
        let mut body = self.generation_body(&request);
        body.insert("messages".into(), json!(messages));
        // A conversation ending with the assistant's begun answer (a task's gen_prefix) is
        // continued, as lm-eval renders it: vLLM's (and yardstick serve's) request fields.
        if messages
            .last()
            .is_some_and(|message| message.role == "assistant")
        {
            body.insert("add_generation_prompt".into(), json!(false));
            body.insert("continue_final_message".into(), json!(true));
        }
        self.generation(Api::ChatCompletions, body, &request.stop)
            .await
    }

    async fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>, BackendError> {
        if self.settings.tokenizer.is_none() {
            return Err(self.refused("tokenize (the server has no /tokenize)"));
        }
        self.remote_tokens(text, add_special).await
    }

    async fn detokenize(&self, _tokens: &[u32]) -> Result<String, BackendError> {
        Err(self.refused("detokenize"))
    }

    async fn apply_chat_template(
        &self,
        _messages: &[ChatMessage],
        _end: yardstick_backend::ChatEnd,
    ) -> Result<String, BackendError> {
        Err(self.refused(
            "render a chat template client-side (the chat API applies the server's own template)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_context_whitespace_moves_to_the_continuation() {
        assert_eq!(
            encode_pair("Question: x\nAnswer: ", "yes"),
            ("Question: x\nAnswer:".to_string(), " yes".to_string())
        );
        assert_eq!(encode_pair("a", " b"), ("a".to_string(), " b".to_string()));
    }
}
