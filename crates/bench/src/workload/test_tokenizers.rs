//! Tokenizers for the workload tests, so the prompt logic is tested without a model:
//! a Hugging Face word-level `tokenizer.json` built here, and [`Merging`], whose counts
//! shift when a text is cut inside a word.

use serde_json::json;

use crate::workload::tokenizer::{HfTokenizer, PromptTokenizer};
use crate::workload::words::WORDS;
use crate::workload::WorkloadError;

/// The `tokenizer.json` of a word-level model over [`WORDS`] plus `[UNK]` (0) and `[BOS]`
/// (1), a whitespace pre-tokenizer, and a template that puts `[BOS]` before every text.
pub(crate) fn word_level_json() -> Vec<u8> {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), json!(0));
    vocab.insert("[BOS]".into(), json!(1));
    for (index, word) in WORDS.iter().enumerate() {
        vocab.insert((*word).to_string(), json!(index + 2));
    }
    let special = |id: u32, content: &str| {
        json!({
            "id": id, "content": content, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true,
        })
    };
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special(0, "[UNK]"), special(1, "[BOS]")],
        "normalizer": null,
        "pre_tokenizer": { "type": "Whitespace" },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                { "SpecialToken": { "id": "[BOS]", "type_id": 0 } },
                { "Sequence": { "id": "A", "type_id": 0 } },
            ],
            "pair": [
                { "SpecialToken": { "id": "[BOS]", "type_id": 0 } },
                { "Sequence": { "id": "A", "type_id": 0 } },
                { "Sequence": { "id": "B", "type_id": 1 } },
            ],
            "special_tokens": {
                "[BOS]": { "id": "[BOS]", "ids": [1], "tokens": ["[BOS]"] },
            },
        },
        "decoder": null,
        "model": { "type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]" },
    });
    serde_json::to_vec(&tokenizer).expect("a JSON value serialises")
}

/// The word-level Hugging Face tokenizer of [`word_level_json`].
pub(crate) fn word_level() -> HfTokenizer {
    HfTokenizer::from_bytes(&word_level_json()).expect("the test tokenizer.json is valid")
}

/// A tokenizer whose counts shift at a cut: a word of at most 5 letters is one token, a
/// longer one is split into pieces of 2 letters (so `understand` is `un de rs ta nd`, but
/// its first two pieces, `unde`, re-encode as one token). BOS (id 0) is added with `add_special`. Token ids encode
/// the piece's letters in base 27 and whether it ends its word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Merging;

const BASE: u32 = 27;
const WORD_END: u32 = 1 << 31;

impl Merging {
    fn piece_id(piece: &str, ends_word: bool) -> Result<u32, WorkloadError> {
        let mut id = 0;
        for letter in piece.bytes().rev() {
            if !letter.is_ascii_lowercase() {
                return Err(WorkloadError::Tokenizer {
                    tokenizer: "merging".into(),
                    what: format!("encoding `{piece}`"),
                    reason: "only lowercase letters".into(),
                });
            }
            id = id * BASE + u32::from(letter - b'a' + 1);
        }
        Ok(if ends_word { id | WORD_END } else { id })
    }

    fn piece_text(id: u32) -> String {
        let mut value = id & !WORD_END;
        let mut text = String::new();
        while value > 0 {
            text.push(char::from(b'a' + (value % BASE) as u8 - 1));
            value /= BASE;
        }
        text
    }
}

impl PromptTokenizer for Merging {
    fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, WorkloadError> {
        let mut tokens = Vec::new();
        if add_special {
            tokens.push(0);
        }
        for word in text.split_whitespace() {
            if word.len() <= 5 {
                tokens.push(Merging::piece_id(word, true)?);
                continue;
            }
            let pieces: Vec<&str> = word
                .as_bytes()
                .chunks(2)
                .map(|chunk| std::str::from_utf8(chunk).unwrap_or(""))
                .collect();
            for (index, piece) in pieces.iter().enumerate() {
                tokens.push(Merging::piece_id(piece, index + 1 == pieces.len())?);
            }
        }
        Ok(tokens)
    }

    fn decode(&self, tokens: &[u32]) -> Result<String, WorkloadError> {
        let mut text = String::new();
        for (index, &token) in tokens.iter().enumerate() {
            text.push_str(&Merging::piece_text(token));
            if token & WORD_END != 0 && index + 1 < tokens.len() {
                text.push(' ');
            }
        }
        Ok(text)
    }

    fn vocab_size(&self) -> usize {
        2 * (BASE as usize).pow(5)
    }

    fn identity(&self) -> String {
        "merging".to_string()
    }
}

#[test]
fn merging_shifts_counts_at_a_cut() {
    let tokens = Merging.encode("understand it", false).expect("encodes");
    assert_eq!(tokens.len(), 6);
    let cut = Merging.decode(&tokens[..2]).expect("decodes");
    assert_eq!(cut, "unde");
    assert_eq!(Merging.encode(&cut, false).expect("encodes").len(), 1);
    assert_eq!(Merging.decode(&tokens).expect("decodes"), "understand it");
}
