//! Prompt logprobs on the inference thread: every token of a prompt with its
//! log-probability given the tokens before it and the most likely tokens at its position
//! (what an OpenAI server returns for `echo` with `logprobs`). Tokenized as scoring
//! tokenizes, several prompts grouped and laid out as a scoring request's pairs are,
//! evaluated from an empty KV cache in `llama_decode` calls split by `batch_tokens` and
//! `logits_rows`, each value from [`token_logprob`].

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use yardstick_backend::BackendError;

use crate::command::PromptInput;
use crate::engine::Engine;
use crate::loglikelihood::group_layout;
use crate::logprobs::{text_offsets, top_tokens, PromptLogprobs, PromptToken, TokenLogprob};
use crate::scoring::{plan_groups, summarize_row, token_logprob, PairTokens, RowSummary, Token};

impl Engine<'_> {
    /// Every prompt's tokens with their logprobs. The prompts are laid out as one scoring
    /// request's pairs are ([`plan_groups`], [`group_layout`]): grouped in order, each
    /// group's shared token prefix read once and every prompt's remainder in its own
    /// sequence, from an empty KV cache; so an item's choices sent as one prompt list are
    /// read in exactly the batches in-process scoring reads them in (llama.cpp's CPU
    /// kernels round a row differently in a different batch shape), with logits at every
    /// position instead of the continuation's only.
    pub(crate) fn prompt_logprobs(
        &mut self,
        prompts: &[PromptInput],
        top: usize,
    ) -> Result<Vec<PromptLogprobs>, BackendError> {
        let mut encoded = Vec::with_capacity(prompts.len());
        for prompt in prompts {
            let (tokens, added_bos) = match prompt {
                PromptInput::Text(text) => self.encode_marked(text, self.add_bos),
                PromptInput::Tokens(tokens) => {
                    (self.checked_tokens(tokens, "of the prompt")?, false)
                }
            };
            if tokens.is_empty() {
                return Err(BackendError::Tokenize {
                    what: "the prompt to score".to_string(),
                    reason: "it has no tokens (empty prompt and no BOS)".to_string(),
                });
            }
            // The model reads every token but the last; the logits after token i score
            // token i+1.
            let read = tokens.len() - 1;
            if read > self.settings.window {
                return Err(BackendError::ContextOverflow {
                    what: format!("the prompt of {} tokens to score", tokens.len()),
                    needed: read,
                    available: self.settings.window,
                });
            }
            encoded.push((tokens, added_bos));
        }
        // Each prompt of two or more tokens as a pair whose every position is scored.
        let scored_prompts: Vec<usize> = (0..encoded.len())
            .filter(|&index| encoded[index].0.len() > 1)
            .collect();
        let pairs: Vec<PairTokens> = scored_prompts
            .iter()
            .map(|&index| PairTokens {
                context: encoded[index].0[..1].to_vec(),
                continuation: encoded[index].0[1..].to_vec(),
            })
            .collect();
        let mut scored: Vec<Vec<Scored>> = encoded
            .iter()
            .map(|(tokens, _)| {
                let mut positions = vec![None; tokens.len()];
                positions[0] = Some((None, Vec::new()));
                positions
            })
            .collect();
        let model = self.model;
        for group in plan_groups(&pairs, self.settings.window, self.settings.max_sequences) {
            let members = &pairs[group.pairs.clone()];
            let (entries, shared) = group_layout(members, group.prefix_len)?;
            self.context.clear_kv_cache();
            let what = format!("scoring the tokens of prompts {:?}", group.pairs);
            self.decode_entries(&what, &entries, &shared, |entry, row| {
                let summary = summarize_row(row).ok_or_else(|| BackendError::Inference {
                    what: what.clone(),
                    reason: format!("the logits at position {} are not finite", entry.position),
                })?;
                let mut alternatives = None;
                for (member, pair) in members.iter().enumerate() {
                    let reads_this_row = entry.owner.is_none_or(|owner| owner == member);
                    if !(reads_this_row && pair.scores_position(entry.position)) {
                        continue;
                    }
                    let target = pair.target(entry.position);
                    let top = alternatives
                        .get_or_insert_with(|| top_logprobs(model, row, summary, top))
                        .clone();
                    let prompt = scored_prompts[group.pairs.start + member];
                    scored[prompt][entry.position + 1] =
                        Some((Some(token_logprob(row, summary, target)), top));
                }
                Ok(())
            })?;
        }
        encoded
            .into_iter()
            .zip(scored)
            .map(|((tokens, added_bos), scored)| {
                let scored = scored
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| BackendError::Inference {
                        what: "scoring the tokens of a prompt".to_string(),
                        reason: "a position was not scored".to_string(),
                    })?;
                Ok(assemble(model, &tokens, added_bos, scored))
            })
            .collect()
    }
}

/// A position's logprob (`None` for the first token) and its most likely alternatives.
type Scored = Option<(Option<f64>, Vec<TokenLogprob>)>;

/// A prompt's tokens with their pieces, offsets and scores.
fn assemble(
    model: &LlamaModel,
    tokens: &[Token],
    added_bos: bool,
    scored: Vec<(Option<f64>, Vec<TokenLogprob>)>,
) -> PromptLogprobs {
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
    PromptLogprobs { text, tokens }
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
