//! What an OpenAI-compatible server can do, found by asking it: [`probe`] and its
//! [`ProbeReport`].

use std::fmt;
use std::time::Instant;

use serde_json::{json, Value};
use yardstick_load::{ErrorCause, TokenCountSource};

use crate::client::OpenAiClient;
use crate::endpoint::{Api, Endpoint};
use crate::error::OpenAiError;
use crate::record::Outcome;
use crate::request::LoadRequest;
use crate::scoring_probe::refused_or_unknown;

/// Whether the server has a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Support {
    Yes,
    No,
    /// The probe could not tell; the reason says why.
    Unknown,
}

yardstick_core::closed_set!(Support, "support", {
    Yes => "yes",
    No => "no",
    Unknown => "unknown",
});

/// One capability's answer and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub support: Support,
    pub reason: String,
}

impl Finding {
    pub(crate) fn new(support: Support, reason: impl Into<String>) -> Finding {
        Finding {
            support,
            reason: reason.into(),
        }
    }
}

/// What [`probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub base_url: String,
    pub served_model: String,
    pub api: Api,
    /// The ids `GET /models` listed.
    pub models: Vec<String>,
    /// `served_model` is among `models`.
    pub model_listed: Finding,
    /// A streamed request on the endpoint's API gives token events and ends properly.
    pub streaming: Finding,
    /// `stream_options.include_usage` adds the server's token counts to the stream.
    pub stream_usage: Finding,
    /// vLLM's `stream_options.continuous_usage_stats` gives a running count in every
    /// event, so multi-token events are counted exactly.
    pub continuous_usage: Finding,
    /// `ignore_eos` with `min_tokens` returns exactly the tokens asked for. A model that
    /// would not have stopped before them anyway passes too.
    pub ignore_eos: Finding,
    /// `/completions` with `echo: true, logprobs: 1, max_tokens: 0` returns the prompt's
    /// token logprobs (what loglikelihood tasks need).
    pub echo_logprobs: Finding,
}

impl ProbeReport {
    /// Every finding with its label, in the order they are printed.
    pub fn findings(&self) -> [(&'static str, &Finding); 6] {
        [
            ("model listed by /models", &self.model_listed),
            ("streaming", &self.streaming),
            ("usage in stream", &self.stream_usage),
            ("running usage per event", &self.continuous_usage),
            ("ignore_eos / min_tokens", &self.ignore_eos),
            ("echo + prompt logprobs", &self.echo_logprobs),
        ]
    }
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} (model `{}`, {} API)",
            self.base_url, self.served_model, self.api
        )?;
        let width = self
            .findings()
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        writeln!(f, "{:width$}  {:7}  reason", "capability", "support")?;
        for (label, finding) in self.findings() {
            let support = finding.support.as_str();
            writeln!(f, "{label:width$}  {support:7}  {}", finding.reason)?;
        }
        Ok(())
    }
}

/// Tokens asked for by the `ignore_eos` check.
const IGNORE_EOS_TOKENS: u32 = 32;
const PROBE_PROMPT: &str = "Answer with one word: is water wet?";

/// Asks the server what it can do, with a handful of small requests. Fails only when the
/// endpoint is invalid, nothing answers, or the server refuses the API key; every other
/// answer becomes a finding with its reason.
pub async fn probe(endpoint: &Endpoint) -> Result<ProbeReport, OpenAiError> {
    let client = OpenAiClient::new(endpoint.clone())?;
    let (models, model_listed) = match client.list_models().await {
        Ok(models) => {
            let listed = models.contains(&endpoint.served_model);
            let reason = format!("listed: {}", models.join(", "));
            let support = if listed { Support::Yes } else { Support::No };
            (models, Finding::new(support, reason))
        }
        Err(OpenAiError::Unexpected { what, .. }) => {
            (Vec::new(), Finding::new(Support::Unknown, what))
        }
        Err(error) => return Err(error),
    };
    let mut plain = LoadRequest::new(PROBE_PROMPT, 8);
    plain.include_usage = false;
    let outcome = client.checked(&plain, true).await?;
    let streaming = streaming_finding(&outcome);
    let streams = streaming.support == Support::Yes;
    let unknown = || Finding::new(Support::Unknown, "streaming does not work");

    let with_usage = LoadRequest::new(PROBE_PROMPT, 8);
    let stream_usage = if streams {
        usage_finding(&client.checked(&with_usage, true).await?)
    } else {
        unknown()
    };
    let continuous_usage = if stream_usage.support == Support::Yes {
        let mut running = with_usage.clone();
        running.continuous_usage = true;
        continuous_finding(&client.checked(&running, true).await?)
    } else {
        Finding::new(Support::Unknown, "no usage in the stream")
    };
    let mut long = LoadRequest::new(PROBE_PROMPT, IGNORE_EOS_TOKENS);
    long.ignore_eos = true;
    long.min_tokens = Some(IGNORE_EOS_TOKENS);
    let ignore_eos = ignore_eos_finding(&client.checked(&long, false).await?);
    let echo_logprobs = client.echo_logprobs().await?;
    Ok(ProbeReport {
        base_url: endpoint.base_url.clone(),
        served_model: endpoint.served_model.clone(),
        api: endpoint.api,
        models,
        model_listed,
        streaming,
        stream_usage,
        continuous_usage,
        ignore_eos,
        echo_logprobs,
    })
}

/// The failure of an outcome, with the server's message.
fn failure(outcome: &Outcome) -> Option<String> {
    let cause = outcome.timing.error.as_ref()?;
    Some(match &outcome.message {
        Some(message) => format!("{cause}: {message}"),
        None => cause.to_string(),
    })
}

/// What a failed exchange says about the feature it tried: a client error (HTTP 4xx) means
/// the server refused it; anything else (5xx, rate limit, timeout, dropped stream) leaves it
/// unknown.
fn support_after_failure(client_error_status: Option<u16>) -> Support {
    match client_error_status {
        Some(400..=499) => Support::No,
        _ => Support::Unknown,
    }
}

/// The finding of an exchange that failed, `None` when it did not.
fn failed_finding(outcome: &Outcome) -> Option<Finding> {
    let reason = failure(outcome)?;
    let status = match outcome.timing.error {
        Some(ErrorCause::Http { status }) => Some(status),
        _ => None,
    };
    Some(Finding::new(support_after_failure(status), reason))
}

fn streaming_finding(outcome: &Outcome) -> Finding {
    if let Some(failure) = failure(outcome) {
        return Finding::new(Support::No, failure);
    }
    let events = outcome.timing.chunks.len();
    let with_tokens = outcome.timing.token_chunks().count();
    let reason = format!("{events} events, {with_tokens} with tokens");
    let support = if with_tokens > 0 {
        Support::Yes
    } else {
        Support::No
    };
    Finding::new(support, reason)
}

fn usage_finding(outcome: &Outcome) -> Finding {
    if let Some(finding) = failed_finding(outcome) {
        return finding;
    }
    match outcome.timing.completion_tokens {
        Some(count) if count.source == TokenCountSource::ServerUsage => {
            Finding::new(Support::Yes, format!("completion_tokens = {}", count.count))
        }
        _ => Finding::new(Support::No, "the stream carried no usage"),
    }
}

fn continuous_finding(outcome: &Outcome) -> Finding {
    if let Some(finding) = failed_finding(outcome) {
        return finding;
    }
    if outcome.counted_from_usage {
        Finding::new(Support::Yes, "token events carry a running usage")
    } else {
        Finding::new(Support::No, "token events carry no usage")
    }
}

fn ignore_eos_finding(outcome: &Outcome) -> Finding {
    if let Some(finding) = failed_finding(outcome) {
        return finding;
    }
    let wanted = u64::from(IGNORE_EOS_TOKENS);
    match outcome.timing.completion_tokens {
        Some(count) if count.count == wanted => Finding::new(
            Support::Yes,
            format!("asked for {wanted} tokens, got {wanted}"),
        ),
        Some(count) => Finding::new(
            Support::No,
            format!("asked for {wanted} tokens, got {}", count.count),
        ),
        None => Finding::new(Support::Unknown, "the answer had no usage to count"),
    }
}

impl OpenAiClient {
    /// One probe exchange; a refused key stops the probe.
    async fn checked(&self, request: &LoadRequest, stream: bool) -> Result<Outcome, OpenAiError> {
        let outcome = self.exchange(request, stream, Instant::now()).await;
        if let Some(status @ (401 | 403)) = outcome.timing.http_status {
            let message = json!({ "message": outcome.message.clone().unwrap_or_default() });
            self.check_authorized(&self.generation_url, status, &message)?;
        }
        Ok(outcome)
    }

    async fn echo_logprobs(&self) -> Result<Finding, OpenAiError> {
        let body = json!({
            "model": self.endpoint.served_model, "prompt": PROBE_PROMPT,
            "echo": true, "logprobs": 1, "max_tokens": 0, "temperature": 0,
        });
        let answer = match self.post_json(Api::Completions.path(), &body).await {
            Ok(answer) => answer,
            Err(error) => return refused_or_unknown(self, &error),
        };
        let logprobs = answer
            .json
            .pointer("/choices/0/logprobs/token_logprobs")
            .and_then(Value::as_array);
        Ok(match logprobs {
            Some(values) if values.iter().any(Value::is_number) => Finding::new(
                Support::Yes,
                format!(
                    "{} of {} prompt tokens have logprobs",
                    values.iter().filter(|value| value.is_number()).count(),
                    values.len()
                ),
            ),
            _ => Finding::new(Support::No, "the answer has no prompt token logprobs"),
        })
    }
}
