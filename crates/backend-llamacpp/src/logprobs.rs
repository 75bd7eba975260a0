//! Per-token log-probabilities as the engine reports them to a server: the public types
//! ([`TokenLogprob`], [`TokenLogprobs`] for a generated token, [`PromptToken`] and
//! [`PromptLogprobs`] for a prompt), the most likely tokens of a logits row, and where each
//! token starts in its text, in characters. Pure, so tested without a model; every value
//! is computed with [`crate::scoring::token_logprob`], the formula scores use.

/// One token and its log-probability (natural log) at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    pub token: u32,
    /// The token's piece as text (special tokens spelled out, e.g. `<bos>`); a piece that
    /// is part of a UTF-8 character shows U+FFFD where its bytes are incomplete.
    pub text: String,
    /// The piece's bytes.
    pub bytes: Vec<u8>,
    pub logprob: f64,
}

/// The log-probabilities of one generated token: the chosen token and the `top` most
/// likely tokens at its position (most likely first), from the logits it was chosen from,
/// before any temperature, top-k or top-p.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprobs {
    pub chosen: TokenLogprob,
    pub top: Vec<TokenLogprob>,
}

/// One token of a prompt scored by [`crate::LlamaCppBackend::prompt_logprobs`].
#[derive(Debug, Clone, PartialEq)]
pub struct PromptToken {
    pub token: u32,
    /// The token's piece as text (see [`TokenLogprob::text`]).
    pub text: String,
    pub bytes: Vec<u8>,
    /// Where the token starts in [`PromptLogprobs::text`], in characters (Unicode scalar
    /// values, as Python's `len(str)` counts): the index of the character holding the
    /// token's first byte. A BOS the tokenizer added is at 0.
    pub offset: usize,
    /// log P(token | the tokens before it); `None` for the first token.
    pub logprob: Option<f64>,
    /// The `top` most likely tokens at this position, most likely first (empty for the
    /// first token).
    pub top: Vec<TokenLogprob>,
    /// A BOS the tokenizer added (the GGUF asks for it): not part of the prompt's text.
    pub added: bool,
}

/// Every token of a prompt with its log-probability given the tokens before it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptLogprobs {
    /// The prompt as its tokens' pieces spell it, an added BOS left out: the prompt text
    /// itself whenever the tokenizer round-trips it.
    pub text: String,
    pub tokens: Vec<PromptToken>,
}

/// The most alternatives a request may ask for (OpenAI's limit for `logprobs`).
pub const MAX_TOP_LOGPROBS: u32 = 20;

/// Indices of the `count` largest logits, largest first; on ties the lower index first (so
/// the first is [`crate::scoring::argmax`]'s choice). Non-finite logits are never chosen.
pub(crate) fn top_tokens(row: &[f32], count: usize) -> Vec<usize> {
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(count + 1);
    if count == 0 {
        return Vec::new();
    }
    for (index, &logit) in row.iter().enumerate() {
        if !logit.is_finite() {
            continue;
        }
        if best.len() == count && best.last().is_some_and(|&(last, _)| logit <= last) {
            continue;
        }
        // After every entry at least as large: earlier indices win ties.
        let at = best.partition_point(|&(value, _)| value >= logit);
        best.insert(at, (logit, index));
        best.truncate(count);
    }
    best.into_iter().map(|(_, index)| index).collect()
}

/// Where each piece starts in the text the pieces spell together, in characters: the
/// index of the character holding the piece's first byte (a piece that continues a
/// character split across tokens starts at that character). Characters are counted by
/// their UTF-8 lead bytes, so the counts match Python's `len` of valid UTF-8 text.
pub fn text_offsets<'piece>(pieces: impl IntoIterator<Item = &'piece [u8]>) -> Vec<usize> {
    let mut offsets = TextOffsets::default();
    pieces
        .into_iter()
        .map(|piece| offsets.next(piece))
        .collect()
}

/// [`text_offsets`] one piece at a time (a stream's tokens), from a starting character.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOffsets {
    characters: usize,
}

impl TextOffsets {
    /// Offsets of pieces that follow `characters` characters of text.
    pub fn starting_at(characters: usize) -> TextOffsets {
        TextOffsets { characters }
    }

    /// Where `piece` starts; then counts its characters.
    pub fn next(&mut self, piece: &[u8]) -> usize {
        let continues = piece.first().is_some_and(|&byte| is_continuation(byte));
        let offset = if continues {
            self.characters.saturating_sub(1)
        } else {
            self.characters
        };
        self.characters += character_count(piece);
        offset
    }
}

/// Characters in `bytes` as [`text_offsets`] counts them.
pub fn character_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| !is_continuation(byte)).count()
}

/// A UTF-8 continuation byte (`10xxxxxx`).
fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::argmax;

    #[test]
    fn top_tokens_are_largest_first_with_ties_to_the_lower_index() {
        let row = [0.5_f32, 3.0, -1.0, 3.0, 2.0, f32::NAN];
        assert_eq!(top_tokens(&row, 3), vec![1, 3, 4]);
        assert_eq!(
            top_tokens(&row, 1),
            vec![argmax(&row[..5]).expect("finite")]
        );
        assert_eq!(top_tokens(&row, 10), vec![1, 3, 4, 0, 2]);
        assert!(top_tokens(&row, 0).is_empty());
        assert_eq!(top_tokens(&[1.0, 1.0, 1.0], 2), vec![0, 1]);
    }

    #[test]
    fn offsets_count_characters_and_split_characters_start_where_they_began() {
        let euro = "€".as_bytes();
        let pieces: Vec<&[u8]> = vec![b"ab", &euro[..1], &euro[1..], b" x", b"", "é!".as_bytes()];
        // "ab€ xé!": a=0 b=1 €=2 ' '=3 x=4 é=5 !=6.
        assert_eq!(text_offsets(pieces.clone()), vec![0, 2, 2, 3, 5, 5]);
        let text: Vec<u8> = pieces.concat();
        assert_eq!(
            character_count(&text),
            String::from_utf8(text).expect("utf-8").chars().count()
        );
        assert!(text_offsets(Vec::<&[u8]>::new()).is_empty());
        let mut after_prompt = TextOffsets::starting_at(10);
        assert_eq!(after_prompt.next(b"ab"), 10);
        assert_eq!(after_prompt.next(&euro[..1]), 12);
        assert_eq!(after_prompt.next(&euro[1..]), 12);
        assert_eq!(after_prompt.next(b"c"), 13);
    }
}
