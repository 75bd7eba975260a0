//! Generation (greedy, or seeded sampling) on the inference thread, timed with a monotonic
//! clock.

use std::time::{Duration, Instant};

use llama_cpp_2::token::LlamaToken;
use yardstick_backend::{
    BackendError, FinishReason, GenerateRequest, Generation, GenerationTiming,
};

use crate::generated_text::GeneratedText;
use crate::sampling::TokenSampler;
use crate::scoring::{argmax, Token};
use crate::worker::{BatchEntry, Engine};

/// One generated token as the engine produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenEvent {
    pub token: u32,
    /// When it was sampled (its logits computed and the choice made).
    pub sampled_at: Instant,
}

impl Engine<'_> {
    /// Reads the prompt from an empty KV cache (BOS per the GGUF metadata, special tokens
    /// parsed), then appends the argmax token until EOS (unless `ignore_eos`), a stop
    /// sequence, or `max_tokens`. The clock starts when the worker takes the request.
    pub(crate) fn generate(
        &mut self,
        request: &GenerateRequest,
    ) -> Result<Generation, BackendError> {
        self.generate_streaming(request, &mut |_| {})
    }

    /// [`Engine::generate`], calling `on_token` with each generated token (EOS excluded
    /// unless `ignore_eos`) and the instant it was sampled, before the next one is computed.
    pub(crate) fn generate_streaming(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(TokenEvent),
    ) -> Result<Generation, BackendError> {
        let started = Instant::now();
        let prompt = self.encode(&request.prompt, self.add_bos);
        if prompt.is_empty() {
            return Err(BackendError::Tokenize {
                what: "the generation prompt".to_string(),
                reason: "it has no tokens (empty prompt and no BOS)".to_string(),
            });
        }
        let max_tokens = usize::try_from(request.max_tokens).unwrap_or(usize::MAX);
        // The last generated token is never read back, so it needs no cell.
        let needed = prompt.len().saturating_add(max_tokens.saturating_sub(1));
        if needed > self.settings.window {
            return Err(BackendError::ContextOverflow {
                what: format!(
                    "generation (prompt {} tokens + max_tokens {})",
                    prompt.len(),
                    request.max_tokens
                ),
                needed,
                available: self.settings.window,
            });
        }
        let prompt_tokens = u32::try_from(prompt.len()).unwrap_or(u32::MAX);
        if max_tokens == 0 {
            return Ok(Generation {
                text: String::new(),
                prompt_tokens,
                completion_tokens: 0,
                finish_reason: FinishReason::Length,
                timing: GenerationTiming {
                    time_to_first_token: Duration::ZERO,
                    prefill: Duration::ZERO,
                    decode: Duration::ZERO,
                },
            });
        }

        self.context.clear_kv_cache();
        let last = prompt.len() - 1;
        let entries: Vec<BatchEntry> = prompt
            .iter()
            .enumerate()
            .map(|(position, &token)| BatchEntry {
                token,
                position,
                sequence: Some(0),
                logits: position == last,
                owner: None,
            })
            .collect();
        let mut sampler = request.sampling.map(TokenSampler::new);
        let mut choose = |row: &[f32]| match sampler.as_mut() {
            None => greedy_token(row),
            Some(sampler) => sampler
                .sample(row)
                .and_then(|index| Token::try_from(index).ok())
                .ok_or_else(no_logits),
        };
        let prefill_started = Instant::now();
        let mut next = None;
        self.decode_entries("reading the generation prompt", &entries, &[], |_, row| {
            next = Some(choose(row)?);
            Ok(())
        })?;
        let prefill_finished = Instant::now();
        let mut token = next.ok_or_else(no_logits)?;
        let first_token_at = Instant::now();
        let mut last_token_at = first_token_at;
        let mut sampled_at = first_token_at;

        let model = self.model;
        let vocab = model.vocab();
        let mut text = GeneratedText::new(&request.stop);
        let mut completion_tokens: u32 = 0;
        let mut position = prompt.len();
        let finish_reason = loop {
            if !request.ignore_eos && vocab.is_eog(LlamaToken(token)) {
                break FinishReason::EndOfSequence;
            }
            completion_tokens += 1;
            on_token(TokenEvent {
                token: token as u32,
                sampled_at,
            });
            if text.push(&vocab.token_to_piece(LlamaToken(token), false, None)) {
                break FinishReason::Stop;
            }
            if completion_tokens >= request.max_tokens {
                break FinishReason::Length;
            }
            let entry = BatchEntry {
                token,
                position,
                sequence: Some(0),
                logits: true,
                owner: None,
            };
            let mut next = None;
            self.decode_entries("generating", &[entry], &[], |_, row| {
                next = Some(choose(row)?);
                Ok(())
            })?;
            token = next.ok_or_else(no_logits)?;
            last_token_at = Instant::now();
            sampled_at = last_token_at;
            position += 1;
        };

        Ok(Generation {
            text: text.finish(),
            prompt_tokens,
            completion_tokens,
            finish_reason,
            timing: GenerationTiming {
                time_to_first_token: first_token_at - started,
                prefill: prefill_finished - prefill_started,
                decode: last_token_at - first_token_at,
            },
        })
    }
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
