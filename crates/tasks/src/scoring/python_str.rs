//! Python's `str` semantics that the reference metrics depend on, beyond [`crate::python`]
//! (whitespace, `str.strip` and friends): `str.split()`, which characters are word characters
//! (`re`'s `\w` and `\b`), `str.lower()`, and `string.punctuation` / `string.digits`.
//!
//! Rust's `char::is_whitespace` and `str::to_lowercase` are close to Python's but not equal,
//! and a metric that splits differently scores differently, so every scorer goes through
//! these functions. The tables are Rust's (the standard library's and the `regex` crate's
//! Unicode version, newer than CPython 3.11's Unicode 14): characters assigned after
//! Unicode 14 may be classified differently from CPython.

use regex::Regex;
use std::sync::LazyLock;

/// Python's `str.isspace()`, kept here for the scorers' callers.
pub use crate::python::is_space;

/// `string.punctuation`: the 32 ASCII punctuation characters.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// `string.digits`.
pub const DIGITS: &str = "0123456789";

/// Python's `text.split()` (no argument): runs of whitespace separate words, leading and
/// trailing whitespace gives no empty words.
pub fn split_whitespace(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_space).filter(|word| !word.is_empty())
}

/// Python's `' '.join(text.split())`.
pub fn collapse_whitespace(text: &str) -> String {
    split_whitespace(text).collect::<Vec<_>>().join(" ")
}

/// Python's `len(re.split(r"\s+", text))`: the number of pieces, counting the empty
/// pieces before leading and after trailing whitespace (`""` is 1 piece, `" a "` is 3).
pub fn count_regex_split_pieces(text: &str) -> usize {
    let mut pieces = 1;
    let mut in_space = false;
    for character in text.chars() {
        let space = is_space(character);
        if space && !in_space {
            pieces += 1;
        }
        in_space = space;
    }
    pieces
}

static WORD_CHARACTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{L}\p{N}_]$").expect("a fixed, valid pattern: letters, numbers, underscore")
});

/// Python `re`'s `\w` on `str` patterns: `ch.isalnum() or ch == "_"`, which is exactly the
/// general categories L* and N* plus `_` (checked over every code point of Unicode 14).
/// Rust's `\w` differs (it adds combining marks and connector punctuation, drops `No`).
pub fn is_word_character(character: char) -> bool {
    if character.is_ascii() {
        return character.is_ascii_alphanumeric() || character == '_';
    }
    let mut buffer = [0u8; 4];
    WORD_CHARACTER.is_match(character.encode_utf8(&mut buffer))
}

/// Python's `text.lower()`: full Unicode lowercase mapping, including `İ` → `i̇` (two
/// characters) and the final-sigma rule, as Rust's `str::to_lowercase` does.
pub fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// `text.translate(str.maketrans("", "", string.punctuation))`.
pub fn remove_punctuation(text: &str) -> String {
    text.chars().filter(|c| !PUNCTUATION.contains(*c)).collect()
}

/// `text.translate(str.maketrans("", "", string.digits))`.
pub fn remove_digits(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_collapse_like_python() {
        assert_eq!(
            split_whitespace("  a\u{1c}b \n c ").collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
        assert_eq!(collapse_whitespace("\t x  y\u{a0}z "), "x y z");
        assert_eq!(collapse_whitespace(""), "");
    }

    #[test]
    fn regex_split_piece_count() {
        assert_eq!(count_regex_split_pieces(""), 1);
        assert_eq!(count_regex_split_pieces("a"), 1);
        assert_eq!(count_regex_split_pieces("a b"), 2);
        assert_eq!(count_regex_split_pieces(" a  b "), 4);
        assert_eq!(count_regex_split_pieces("   "), 2);
    }

    #[test]
    fn word_characters_like_python_re() {
        for character in ['a', 'Z', '0', '_', 'é', '²', '½', 'Ⅻ', '中'] {
            assert!(is_word_character(character), "{character:?}");
        }
        // U+0301 combining acute (Mn) and U+203F undertie (Pc) are \w in Rust, not in Python.
        for character in [' ', '-', '\u{301}', '\u{203f}', '.'] {
            assert!(!is_word_character(character), "{character:?}");
        }
    }

    #[test]
    fn lower_is_python_full_mapping() {
        assert_eq!(lower("İ"), "i\u{307}");
        assert_eq!(lower("ΑΣ ΑΣ"), "ας ας");
        assert_eq!(lower("\u{212a}"), "k");
    }

    #[test]
    fn punctuation_and_digits() {
        assert_eq!(remove_punctuation("a.b,c!¿d"), "abc¿d");
        assert_eq!(remove_digits("a1b2٣"), "ab٣");
    }
}
