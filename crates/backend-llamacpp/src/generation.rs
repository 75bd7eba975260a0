//! One generation on the inference thread (greedy, or seeded sampling), as a state machine
//! that [`crate::batcher`] advances one step at a time, side by side with other generations.
//! Timed with a monotonic clock.

use std::time::{Duration, Instant};

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc::UnboundedSender;
use yardstick_backend::{
    BackendError, FinishReason, GenerateRequest, Generation, GenerationTiming,
};

use crate::command::{GenerationOptions, Reply, TokenEvent};
use crate::generated_text::GeneratedText;
use crate::logprobs::{TokenLogprobs, MAX_TOP_LOGPROBS};
use crate::prompt_logprobs::{token_logprob_of, top_logprobs};
use crate::sampling::TokenSampler;
use crate::scoring::{argmax, summarize_row, Token};

/// A generation request the worker has taken and tokenized, waiting for a sequence.
pub(crate) struct PreparedGeneration {
    request: GenerateRequest,
    options: GenerationOptions,
    prompt: Vec<Token>,
    /// When the worker took the request: the generation's clock starts here, so time spent
    /// waiting for a free sequence counts in its time to first token.
    received: Instant,
    events: Option<UnboundedSender<TokenEvent>>,
    reply: Reply<Generation>,
}

impl PreparedGeneration {
    /// Checks a tokenized generation request against the KV window. A bad request is
    /// answered with its error and a request for no tokens at once. `None`: answered.
    pub fn new(
        request: GenerateRequest,
        options: GenerationOptions,
        prompt: Result<Vec<Token>, BackendError>,
        window: usize,
        received: Instant,
        events: Option<UnboundedSender<TokenEvent>>,
        reply: Reply<Generation>,
    ) -> Option<PreparedGeneration> {
        let prompt = match prompt {
            Ok(prompt) => prompt,
            Err(error) => {
                let _ = reply.send(Err(error));
                return None;
            }
        };
        let prepared = PreparedGeneration {
            request,
            options,
            prompt,
            received,
            events,
            reply,
        };
        let refusal = if prepared.prompt.is_empty() {
            Some(BackendError::Tokenize {
                what: "the generation prompt".to_string(),
                reason: "it has no tokens (empty prompt and no BOS)".to_string(),
            })
        } else if prepared.cells() > window {
            Some(BackendError::ContextOverflow {
                what: format!(
                    "generation (prompt {} tokens + max_tokens {})",
                    prepared.prompt.len(),
                    prepared.request.max_tokens
                ),
                needed: prepared.cells(),
                available: window,
            })
        } else {
            None
        };
        if let Some(error) = refusal {
            let _ = prepared.reply.send(Err(error));
            return None;
        }
        if prepared.request.max_tokens == 0 {
            let generation = Generation {
                text: String::new(),
                prompt_tokens: u32::try_from(prepared.prompt.len()).unwrap_or(u32::MAX),
                completion_tokens: 0,
                finish_reason: FinishReason::Length,
                timing: GenerationTiming {
                    time_to_first_token: Duration::ZERO,
                    prefill: Duration::ZERO,
                    decode: Duration::ZERO,
                },
            };
            let _ = prepared.reply.send(Ok(generation));
            return None;
        }
        Some(prepared)
    }

    /// KV cells the generation may need at most: the prompt and every generated token but
    /// the last, which is never read back.
    pub fn cells(&self) -> usize {
        let max_tokens = usize::try_from(self.request.max_tokens).unwrap_or(usize::MAX);
        self.prompt
            .len()
            .saturating_add(max_tokens.saturating_sub(1))
    }

    /// The caller stopped waiting for the answer (a cancelled request).
    pub fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }

    /// Starts generating in KV sequence `sequence`.
    pub fn start(self, sequence: i32) -> ActiveGeneration {
        let cells = self.cells();
        ActiveGeneration {
            sequence,
            cells,
            sampler: self.request.sampling.map(TokenSampler::new),
            text: GeneratedText::new(&self.request.stop),
            request: self.request,
            options: self.options,
            prompt: self.prompt,
            prompt_read: 0,
            pending: None,
            completion_tokens: 0,
            received: self.received,
            prefill_started: None,
            prefill_finished: None,
            first_token_at: None,
            last_token_at: None,
            outcome: None,
            events: self.events,
            reply: self.reply,
        }
    }
}

/// A generation holding a KV sequence: reads its prompt (possibly over several steps), then
/// one token per step until EOS (unless `ignore_eos`), a stop sequence or `max_tokens`.
pub(crate) struct ActiveGeneration {
    pub sequence: i32,
    /// KV cells reserved for it ([`PreparedGeneration::cells`]).
    pub cells: usize,
    request: GenerateRequest,
    options: GenerationOptions,
    prompt: Vec<Token>,
    /// Prompt tokens already given to `llama_decode`.
    prompt_read: usize,
    /// The last sampled token, to be read at the next position in the next step.
    pending: Option<Token>,
    sampler: Option<TokenSampler>,
    text: GeneratedText,
    completion_tokens: u32,
    received: Instant,
    prefill_started: Option<Instant>,
    prefill_finished: Option<Instant>,
    first_token_at: Option<Instant>,
    last_token_at: Option<Instant>,
    /// Set when the generation has ended, successfully or not.
    outcome: Option<Result<FinishReason, BackendError>>,
    events: Option<UnboundedSender<TokenEvent>>,
    reply: Reply<Generation>,
}

/// What a generation wants read in the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NextTokens<'prompt> {
    /// Tokens to read, from `position` on.
    pub tokens: &'prompt [Token],
    pub position: usize,
    /// Whether the last of them produces a logits row (the prompt's end or a generated token).
    pub logits: bool,
}

impl ActiveGeneration {
    /// Whether the generation is still reading its prompt.
    pub fn prefilling(&self) -> bool {
        self.prompt_read < self.prompt.len()
    }

    pub fn finished(&self) -> bool {
        self.outcome.is_some()
    }

    /// The caller stopped waiting for the answer (a cancelled request).
    pub fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }

    /// At most `budget` tokens to read next: the rest of the prompt, or the pending token.
    pub fn next_tokens(&self, budget: usize) -> NextTokens<'_> {
        if let Some(token) = self.pending.as_ref() {
            return NextTokens {
                tokens: std::slice::from_ref(token),
                position: self.prompt.len() + self.completion_tokens as usize - 1,
                logits: true,
            };
        }
        let end = self
            .prompt
            .len()
            .min(self.prompt_read.saturating_add(budget));
        NextTokens {
            tokens: &self.prompt[self.prompt_read..end],
            position: self.prompt_read,
            logits: end == self.prompt.len(),
        }
    }

    /// Records that the tokens of [`ActiveGeneration::next_tokens`] (`count` of them) went into
    /// the step about to be decoded.
    pub fn mark_read(&mut self, count: usize, now: Instant) {
        if self.pending.take().is_none() {
            self.prefill_started.get_or_insert(now);
            self.prompt_read += count;
        }
    }

    /// Chooses the next token from this generation's logits row and handles it: EOS, the
    /// token event, stop sequences and `max_tokens` may end the generation.
    /// `end_of_generation` lists the tokens masked before `min_tokens`.
    pub fn accept_logits(&mut self, model: &LlamaModel, end_of_generation: &[Token], row: &[f32]) {
        if self.first_token_at.is_none() {
            self.prefill_finished = Some(Instant::now());
        }
        let masked;
        let choose_from = if !self.request.ignore_eos
            && self.completion_tokens < self.options.min_tokens
            && !end_of_generation.is_empty()
        {
            masked = mask(row, end_of_generation);
            &masked[..]
        } else {
            row
        };
        let chosen = match self.sampler.as_mut() {
            None => greedy_token(choose_from),
            Some(sampler) => sampler
                .sample(choose_from)
                .and_then(|index| Token::try_from(index).ok())
                .ok_or_else(no_logits),
        };
        let now = Instant::now();
        self.first_token_at.get_or_insert(now);
        self.last_token_at = Some(now);
        let logprobs = match (chosen.as_ref(), self.options.logprobs) {
            (Ok(&token), Some(top)) => Some(logprobs_of(model, row, token, top)),
            _ => None,
        };
        match (chosen, logprobs.transpose()) {
            (Ok(token), Ok(logprobs)) => self.accept_token(model, token, logprobs, now),
            (Err(error), _) | (_, Err(error)) => self.outcome = Some(Err(error)),
        }
    }

    fn accept_token(
        &mut self,
        model: &LlamaModel,
        token: Token,
        logprobs: Option<TokenLogprobs>,
        sampled_at: Instant,
    ) {
        let vocab = model.vocab();
        if !self.request.ignore_eos && vocab.is_eog(LlamaToken(token)) {
            self.outcome = Some(Ok(FinishReason::EndOfSequence));
            return;
        }
        self.completion_tokens += 1;
        let stopped = self
            .text
            .push(&vocab.token_to_piece(LlamaToken(token), false, None));
        if let Some(events) = &self.events {
            // A receiver that went away only stops the events; an abandoned reply stops the
            // generation (see `abandoned`).
            let _ = events.send(TokenEvent {
                token: token as u32,
                sampled_at,
                text: self.text.take_ready(),
                logprobs,
            });
        }
        if stopped {
            self.outcome = Some(Ok(FinishReason::Stop));
        } else if self.completion_tokens >= self.request.max_tokens {
            self.outcome = Some(Ok(FinishReason::Length));
        } else {
            self.pending = Some(token);
        }
    }

    /// Ends the generation with `error` (a failed decode step it was part of).
    pub fn fail(&mut self, error: BackendError) {
        self.outcome = Some(Err(error));
    }

    /// Sends the answer. Call once [`ActiveGeneration::finished`] (or to give up on it).
    pub fn answer(self) {
        let outcome = self.outcome.unwrap_or_else(|| {
            Err(BackendError::Inference {
                what: "generating".to_string(),
                reason: "the generation was stopped before it finished".to_string(),
            })
        });
        let result = outcome.map(|finish_reason| {
            let first_token_at = self.first_token_at.unwrap_or(self.received);
            let prefill = match (self.prefill_started, self.prefill_finished) {
                (Some(started), Some(finished)) => finished - started,
                _ => Duration::ZERO,
            };
            Generation {
                text: self.text.finish(),
                prompt_tokens: u32::try_from(self.prompt.len()).unwrap_or(u32::MAX),
                completion_tokens: self.completion_tokens,
                finish_reason,
                timing: GenerationTiming {
                    time_to_first_token: first_token_at - self.received,
                    prefill,
                    decode: self.last_token_at.unwrap_or(first_token_at) - first_token_at,
                },
            }
        });
        let _ = self.reply.send(result);
    }
}

/// `row` with the logits of `tokens` pushed to the lowest finite value, so neither greedy
/// choice nor sampling picks them (an infinity would make the row unusable).
fn mask(row: &[f32], tokens: &[Token]) -> Vec<f32> {
    let mut masked = row.to_vec();
    for &token in tokens {
        if let Some(logit) = usize::try_from(token)
            .ok()
            .and_then(|index| masked.get_mut(index))
        {
            *logit = f32::MIN;
        }
    }
    masked
}

/// The chosen token's log-probability and the `top` most likely tokens, from the raw row.
fn logprobs_of(
    model: &LlamaModel,
    row: &[f32],
    token: Token,
    top: u32,
) -> Result<TokenLogprobs, BackendError> {
    let summary = summarize_row(row).ok_or_else(|| BackendError::Inference {
        what: "generating with logprobs".to_string(),
        reason: "the logits are not finite".to_string(),
    })?;
    let top = usize::try_from(top.min(MAX_TOP_LOGPROBS)).unwrap_or(0);
    Ok(TokenLogprobs {
        chosen: token_logprob_of(model, row, summary, token),
        top: top_logprobs(model, row, summary, top),
    })
}

fn greedy_token(row: &[f32]) -> Result<Token, BackendError> {
    let index = argmax(row).ok_or_else(|| BackendError::Inference {
        what: "generating".to_string(),
        reason: "the logits are not finite".to_string(),
    })?;
    Token::try_from(index).map_err(|_| no_logits())
}

fn no_logits() -> BackendError {
    BackendError::Inference {
        what: "generating".to_string(),
        reason: "llama.cpp returned no logits for the last token".to_string(),
    }
}
