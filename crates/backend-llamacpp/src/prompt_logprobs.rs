//! Prompt logprobs on the inference thread: every token of a prompt with its
//! log-probability given the tokens before it and the most likely tokens at its position
//! (what an OpenAI server returns for `echo` with `logprobs`). Tokenized as scoring
//! tokenizes, several prompts grouped and laid out as a scoring request's pairs are,
//! evaluated from an empty KV cache in `llama_decode` calls split by `batch_tokens` and
//! `logits_rows`, each value from [`token_logprob`].

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use yardstick_backend::BackendError;

use crate::command::{EchoPrompt, PromptInput};
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
    /// kernels round a row differently in a different batch shape). Logits are computed
    /// at every position, or, for a prompt given where its wanted logprobs start
    /// ([`EchoPrompt::logprobs_from`]), from there on only: a `context + continuation`
    /// prompt with the context's length is then exactly the pair scoring reads.
    pub(crate) fn prompt_logprobs(
        &mut self,
        prompts: &[EchoPrompt],
        top: usize,
    ) -> Result<Vec<PromptLogprobs>, BackendError> {
        let mut encoded = Vec::with_capacity(prompts.len());
        for prompt in prompts {
            let (tokens, added_bos) = match &prompt.input {
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
            let pieces: Vec<Vec<u8>> = tokens
                .iter()
                .map(|&token| piece(self.model, token))
                .collect();
            let offsets = offsets_of(&pieces, added_bos);
            let start = first_scored(&offsets, added_bos, prompt.logprobs_from);
            encoded.push(Encoded {
                tokens,
                added_bos,
                pieces,
                offsets,
                start,
            });
        }
        // Each prompt with a token to score as a pair: the tokens before the first scored
        // one are its context (read, no logits), the rest its continuation.
        let scored_prompts: Vec<usize> = (0..encoded.len())
            .filter(|&index| encoded[index].start < encoded[index].tokens.len())
            .collect();
        let pairs: Vec<PairTokens> = scored_prompts
            .iter()
            .map(|&index| {
                let prompt = &encoded[index];
                PairTokens {
                    context: prompt.tokens[..prompt.start].to_vec(),
                    continuation: prompt.tokens[prompt.start..].to_vec(),
                }
            })
            .collect();
        let mut scored: Vec<Vec<Scored>> = encoded
            .iter()
            .map(|prompt| {
                let mut positions = vec![None; prompt.tokens.len()];
                for position in &mut positions[..prompt.start] {
                    *position = Some((None, Vec::new()));
                }
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
            .map(|(prompt, scored)| {
                let scored = scored
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| BackendError::Inference {
                        what: "scoring the tokens of a prompt".to_string(),
                        reason: "a position was not scored".to_string(),
                    })?;
                Ok(assemble(prompt, scored))
            })
            .collect()
    }
}

/// A position's logprob (`None` for the first token) and its most likely alternatives.
type Scored = Option<(Option<f64>, Vec<TokenLogprob>)>;

/// A prompt tokenized, with where each token starts and the first token to score.
struct Encoded {
    tokens: Vec<Token>,
    added_bos: bool,
    pieces: Vec<Vec<u8>>,
    offsets: Vec<usize>,
    start: usize,
}

/// Where each token starts in the prompt's text, in characters (an added BOS at 0).
fn offsets_of(pieces: &[Vec<u8>], added_bos: bool) -> Vec<usize> {
    let in_text = usize::from(added_bos);
    let mut offsets = vec![0; in_text];
    offsets.extend(text_offsets(pieces[in_text..].iter().map(Vec::as_slice)));
    offsets
}

/// The first token whose logprob is computed: never the first token (nothing before it);
/// with `from`, the first token of the text that starts at or after that character, as a
/// client splitting by `text_offset` against a context's length finds a continuation
/// (the length of the prompt when none does: nothing is scored).
fn first_scored(offsets: &[usize], added_bos: bool, from: Option<usize>) -> usize {
    let Some(from) = from else {
        return 1.min(offsets.len());
    };
    let in_text = usize::from(added_bos);
    (in_text..offsets.len())
        .find(|&position| offsets[position] >= from)
        .unwrap_or(offsets.len())
        .max(1)
}

/// A prompt's tokens with their pieces, offsets and scores.
fn assemble(prompt: Encoded, scored: Vec<(Option<f64>, Vec<TokenLogprob>)>) -> PromptLogprobs {
    let in_text = usize::from(prompt.added_bos);
    let text = String::from_utf8_lossy(&prompt.pieces[in_text..].concat()).into_owned();
    let tokens = prompt
        .tokens
        .iter()
        .zip(prompt.pieces)
        .zip(prompt.offsets)
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
                added: prompt.added_bos && index == 0,
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
