//! NLTK's Punkt sentence tokenizer (Kiss & Strunk 2006, "Unsupervised Multilingual Sentence
//! Boundary Detection") with NLTK's pretrained English parameters, splitting text as
//! `PunktSentenceTokenizer.tokenize` does in NLTK 3.10 (which lm-eval's IFEval sentence
//! counting calls through `nltk.data.load("tokenizers/punkt/english.pickle")`).
//!
//! Only tokenization: the parameters are NLTK's `punkt_tab/english` files, compiled in and
//! parsed once. The steps, as NLTK takes them:
//!
//! 1. every `.`, `?` or `!` followed by whitespace and a token, or by a non-word character
//!    (a quote, a bracket, `;`, `:`, `?`, `!`...), is a candidate break;
//! 2. each candidate is judged on a short context: the word before it (back to the last
//!    ASCII whitespace), the break character and what follows it ([`annotate`]);
//! 3. a sentence ends at each accepted break; the next begins at the following token, or
//!    right after the break character when punctuation follows it directly;
//! 4. closing quotes and brackets that begin a sentence are moved back onto the sentence
//!    before it (NLTK's "realign boundaries").
//!
//! Sentences are slices of the input; whitespace between them belongs to neither, and
//! trailing whitespace of the text is dropped.

mod annotate;
mod params;
mod words;

use annotate::contains_sentence_break;
use params::{Parameters, ENGLISH};
use words::{is_non_word, is_python_space};

/// The sentences of `text`, as NLTK's `PunktSentenceTokenizer("english").tokenize(text)`
/// returns them (slices of `text`).
pub fn sentences(text: &str) -> Vec<&str> {
    sentence_spans(text, &ENGLISH)
        .into_iter()
        .map(|(start, end)| &text[start..end])
        .collect()
}

/// `sentences(text).len()`
pub fn count_sentences(text: &str) -> usize {
    sentence_spans(text, &ENGLISH).len()
}

/// A `.`, `?` or `!` that may end a sentence (byte offsets into the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    /// Where the break character is (it is one byte long).
    position: usize,
    /// The end of what follows it: the non-word character, or the whitespace and the token.
    context_end: usize,
    /// Where the token after the whitespace begins, if whitespace follows the break.
    next_token_start: Option<usize>,
}

impl Candidate {
    fn end(&self) -> usize {
        self.position + 1
    }
}

/// The candidate breaks of `text`, in order.
fn candidates(text: &str) -> Vec<Candidate> {
    let mut found = Vec::new();
    for (position, character) in text.char_indices() {
        if !matches!(character, '.' | '?' | '!') {
            continue;
        }
        let after = &text[position + 1..];
        let Some(next) = after.chars().next() else {
            continue;
        };
        if is_non_word(next) {
            found.push(Candidate {
                position,
                context_end: position + 1 + next.len_utf8(),
                next_token_start: None,
            });
        } else if next.is_whitespace() {
            let token = after.trim_start_matches(char::is_whitespace);
            if token.is_empty() {
                continue;
            }
            let token_start = text.len() - token.len();
            let token_length = token.find(char::is_whitespace).unwrap_or(token.len());
            found.push(Candidate {
                position,
                context_end: token_start + token_length,
                next_token_start: Some(token_start),
            });
        }
    }
    found
}

/// Whitespace as Python's `string.whitespace` has it (ASCII only, vertical tab included):
/// what marks the start of the word before a candidate break.
fn is_ascii_whitespace_byte(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Each candidate with the text it is judged on: from the start of the word before it to
/// the end of what follows it. When a run of break characters shares one word (`Why?!`,
/// `acting!!!`), only the last of the run is judged, on the whole run.
fn candidate_contexts(text: &str) -> Vec<(Candidate, &str)> {
    let mut judged = Vec::new();
    let mut previous: Option<(Candidate, usize)> = None;
    // The word before the previous candidate (start, end).
    let mut word = (0, 0);
    for candidate in candidates(text) {
        let before = &text[word.1..candidate.position];
        let word_start = match before.bytes().rposition(is_ascii_whitespace_byte) {
            // Whitespace at the very start of `before` counts as none (as in NLTK).
            Some(index) if index > 0 => word.1 + index + 1,
            _ => word.0,
        };
        if let Some((previous, previous_word_start)) = previous {
            if word.1 <= word_start {
                judged.push((previous, &text[previous_word_start..previous.context_end]));
            }
        }
        previous = Some((candidate, word_start));
        word = (word_start, candidate.position);
    }
    if let Some((previous, previous_word_start)) = previous {
        judged.push((previous, &text[previous_word_start..previous.context_end]));
    }
    judged
}

/// The sentences before closing punctuation is realigned: (start, end) byte offsets.
fn break_spans(text: &str, parameters: &Parameters) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut sentence_start = 0;
    for (candidate, context) in candidate_contexts(text) {
        if contains_sentence_break(context, parameters) {
            spans.push((sentence_start, candidate.end()));
            sentence_start = candidate.next_token_start.unwrap_or(candidate.end());
        }
    }
    spans.push((sentence_start, text.trim_end_matches(is_python_space).len()));
    spans
}

/// Quotes and closing brackets, which belong to the sentence before them when a sentence
/// would otherwise begin with them.
fn is_closing_punctuation(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{ab}'
            | '\u{bb}'
    )
}

/// If `sentence` begins with closing punctuation followed by whitespace, `--` or its end:
/// (the length of the punctuation, the length of punctuation and whitespace together). The
/// shortest such run of punctuation is taken.
fn leading_closing_punctuation(sentence: &str) -> Option<(usize, usize)> {
    for (index, character) in sentence.char_indices() {
        if !is_closing_punctuation(character) {
            return None;
        }
        let punctuation_length = index + character.len_utf8();
        let rest = &sentence[punctuation_length..];
        match rest.chars().next() {
            None => return Some((punctuation_length, punctuation_length)),
            Some(next) if next.is_whitespace() => {
                let whitespace = rest.len() - rest.trim_start_matches(char::is_whitespace).len();
                return Some((punctuation_length, punctuation_length + whitespace));
            }
            Some(_) if rest.starts_with("--") => {
                return Some((punctuation_length, punctuation_length))
            }
            Some(_) => {}
        }
    }
    None
}

/// The text of a span, empty when the span is (as Python slices allow) reversed.
fn span_text(text: &str, (start, end): (usize, usize)) -> &str {
    if start < end {
        &text[start..end]
    } else {
        ""
    }
}

/// The sentences of `text` as (start, end) byte offsets, closing punctuation realigned and
/// empty sentences dropped.
fn sentence_spans(text: &str, parameters: &Parameters) -> Vec<(usize, usize)> {
    let spans = break_spans(text, parameters);
    let mut sentences = Vec::with_capacity(spans.len());
    // How much of the current span was moved onto the sentence before it.
    let mut moved = 0;
    for (index, &(start, end)) in spans.iter().enumerate() {
        let start = start + moved;
        moved = 0;
        let Some(&next) = spans.get(index + 1) else {
            if start < end {
                sentences.push((start, end));
            }
            continue;
        };
        match leading_closing_punctuation(span_text(text, next)) {
            Some((punctuation_length, moved_length)) => {
                sentences.push((start, next.0 + punctuation_length));
                moved = moved_length;
            }
            None if start < end => sentences.push((start, end)),
            None => {}
        }
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_sentence_ends_and_keeps_abbreviations() {
        assert_eq!(
            sentences("Dr. Smith went home. He slept."),
            ["Dr. Smith went home.", "He slept."]
        );
    }

    #[test]
    fn empty_and_blank_texts_have_no_sentences() {
        assert!(sentences("").is_empty());
        assert!(sentences(" \n\t ").is_empty());
        assert_eq!(count_sentences("No final punctuation"), 1);
    }

    #[test]
    fn trailing_whitespace_is_dropped() {
        assert_eq!(sentences("One. Two.  \n"), ["One.", "Two."]);
    }

    #[test]
    fn closing_quotes_and_brackets_stay_with_their_sentence() {
        assert_eq!(
            sentences("(Stop.) She said \"go.\" Then left."),
            ["(Stop.)", "She said \"go.\"", "Then left."]
        );
    }

    #[test]
    fn a_run_of_break_characters_is_judged_once() {
        let text = "Very bad acting!!! I promise.";
        let judged: Vec<&str> = candidate_contexts(text)
            .into_iter()
            .map(|(_, context)| context)
            .collect();
        assert_eq!(judged, ["acting!!! I"]);
        assert_eq!(sentences(text), ["Very bad acting!!!", "I promise."]);
    }

    #[test]
    fn closing_punctuation_needs_whitespace_dashes_or_the_end_after_it() {
        assert_eq!(leading_closing_punctuation("\") Next"), Some((2, 3)));
        assert_eq!(leading_closing_punctuation("' \" x"), Some((1, 2)));
        assert_eq!(leading_closing_punctuation("\")--x"), Some((2, 2)));
        assert_eq!(leading_closing_punctuation("\u{201d}"), Some((3, 3)));
        assert_eq!(leading_closing_punctuation("\"x"), None);
        assert_eq!(leading_closing_punctuation("x\""), None);
    }
}
