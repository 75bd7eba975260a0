//! Prompt logprobs on the inference thread: every token of a prompt with its
//! log-probability given the tokens before it and the most likely tokens at its position
//! (what an OpenAI server returns for `echo` with `logprobs`). Tokenized as scoring
//! tokenizes, evaluated from an empty KV cache in `llama_decode` calls split by
//! `batch_tokens` and `logits_rows`, each value from [`token_logprob`].

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use yardstick_backend::BackendError;

use crate::command::PromptInput;
use crate::engine::{BatchEntry, Engine};
use crate::logprobs::{text_offsets, top_tokens, PromptLogprobs, PromptToken, TokenLogprob};
use crate::scoring::{summarize_row, token_logprob, RowSummary, Token};

impl Engine<'_> {
    pub(crate) fn prompt_logprobs(
        &mut self,
        prompt: &PromptInput,
        top: usize,
    ) -> Result<PromptLogprobs, BackendError> {
        let (tokens, added_bos) = match prompt {
            PromptInput::Text(text) => self.encode_marked(text, self.add_bos),
            PromptInput::Tokens(tokens) => (self.checked_tokens(tokens, "of the prompt")?, false),
        };
        if tokens.is_empty() {
            return Err(BackendError::Tokenize {
                what: "the prompt to score".to_string(),
                reason: "it has no tokens (empty prompt and no BOS)".to_string(),
            });
        }
        // The model reads every token but the last; the logits after token i score token i+1.
        let read = tokens.len() - 1;
        if read > self.settings.window {
            return Err(BackendError::ContextOverflow {
                what: format!("the prompt of {} tokens to score", tokens.len()),
                needed: read,
                available: self.settings.window,
            });
        }
        let mut scored: Vec<(Option<f64>, Vec<TokenLogprob>)> = vec![(None, Vec::new())];
        let entries: Vec<BatchEntry> = (0..read)
            .map(|position| BatchEntry {
                token: tokens[position],
                position,
                sequence: Some(0),
                logits: true,
                owner: None,
            })
            .collect();
        self.context.clear_kv_cache();
        let model = self.model;
        let what = format!("scoring the {} tokens of a prompt", tokens.len());
        self.decode_entries(&what, &entries, &[], |entry, row| {
            let summary = summarize_row(row).ok_or_else(|| BackendError::Inference {
                what: what.clone(),
                reason: format!("the logits at position {} are not finite", entry.position),
            })?;
            let target = tokens[entry.position + 1];
            let alternatives = top_logprobs(model, row, summary, top);
            scored.push((Some(token_logprob(row, summary, target)), alternatives));
            Ok(())
        })?;
        if scored.len() != tokens.len() {
            return Err(BackendError::Inference {
                what,
                reason: format!("{} of {} positions were scored", scored.len(), tokens.len()),
            });
        }

        let pieces: Vec<Vec<u8>> = tokens.iter().map(|&token| piece(model, token)).collect();
        let in_text = usize::from(added_bos);
        let mut offsets = vec![0; in_text];
        offsets.extend(text_offsets(pieces[in_text..].iter().map(Vec::as_slice)));
        let text = String::from_utf8_lossy(&pieces[in_text..].concat()).into_owned();
        let tokens = tokens
            .iter()
            .zip(pieces)
            .zip(offsets)
            .zip(scored)
            .enumerate()
            .map(
                |(index, (((&token, bytes), offset), (logprob, top)))| PromptToken {
                    token: token as u32,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    bytes,
                    offset,
                    logprob,
                    top,
                    added: added_bos && index == 0,
                },
            )
            .collect();
        Ok(PromptLogprobs { text, tokens })
    }
}

/// The `count` most likely tokens of `row`, most likely first.
pub(crate) fn top_logprobs(
    model: &LlamaModel,
    row: &[f32],
    summary: RowSummary,
    count: usize,
) -> Vec<TokenLogprob> {
    top_tokens(row, count)
        .into_iter()
        .filter_map(|index| Token::try_from(index).ok())
        .map(|token| token_logprob_of(model, row, summary, token))
        .collect()
}

/// `token` with its piece and its log-probability under `row`.
pub(crate) fn token_logprob_of(
    model: &LlamaModel,
    row: &[f32],
    summary: RowSummary,
    token: Token,
) -> TokenLogprob {
    let bytes = piece(model, token);
    TokenLogprob {
        token: token as u32,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
        logprob: token_logprob(row, summary, token),
    }
}

/// The bytes of `token`'s piece, special tokens spelled out (`<bos>`, `<|im_start|>`).
pub(crate) fn piece(model: &LlamaModel, token: Token) -> Vec<u8> {
    model.vocab().token_to_piece(LlamaToken(token), true, None)
}
