//! Python's `str` semantics that the reference checkers rely on, for Rust strings: which
//! characters are whitespace (`str.isspace`, `str.strip()`, `str.split()`, `re`'s `\s`), which
//! are word characters for the standard library's `re` (`\w`, `\b`), and `str.isupper()` /
//! `str.islower()`.
//!
//! Rules from CPython 3.11 (`Objects/unicodectype.c`, `Objects/unicodeobject.c`,
//! `Modules/_sre/sre.c`). `str.lower()` is Rust's `str::to_lowercase`: both apply Unicode's full
//! lowercase mapping with the final-sigma rule.
//!
//! Characters come from the Unicode tables of Rust's standard library and of the `regex` crate,
//! which may be a newer Unicode version than the Python's (CPython 3.11 has Unicode 14.0):
//! only characters assigned since then can be classified differently.

use std::sync::LazyLock;

use regex::Regex;

/// The whitespace class of Python's `re` for use inside a Rust regex: Unicode `White_Space`
/// (Rust's `\s`) and U+001C..U+001F, which Python's `str.isspace()` also counts.
pub const SPACE_CLASS: &str = r"[\s\x1C-\x1F]";

/// `str.isspace()` for one character: bidirectional class WS, B or S, or category Zs.
pub fn is_space(character: char) -> bool {
    character.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&character)
}

/// `str.strip()` without arguments.
pub fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// `str.split()` without arguments: the runs of non-whitespace.
pub fn split_whitespace(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_space).filter(|part| !part.is_empty())
}

/// A word character of the standard library's `re` on `str` patterns (`\w`):
/// `str.isalnum()` or `_`, i.e. a letter (L*), a number (N*) or `_`.
pub fn is_re_word(character: char) -> bool {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\p{L}\p{N}_]$").expect("a regex literal that compiles"));
    if character.is_ascii() {
        return character.is_ascii_alphanumeric() || character == '_';
    }
    let mut buffer = [0u8; 4];
    WORD.is_match(character.encode_utf8(&mut buffer))
}

/// Whether `re`'s `\b` holds at byte offset `at` of `text`: exactly one of the characters
/// around it is a word character (the outside of the text counts as a non-word character).
pub fn is_re_word_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back().is_some_and(is_re_word);
    let after = text[at..].chars().next().is_some_and(is_re_word);
    before != after
}

/// General category Lt: the 31 titlecase letters (ǅ, ǈ, ǋ, ǲ and Greek capitals with
/// prosgegrammeni), which `str.isupper()` and `str.islower()` reject.
fn is_titlecase(character: char) -> bool {
    matches!(
        character,
        '\u{01C5}'
            | '\u{01C8}'
            | '\u{01CB}'
            | '\u{01F2}'
            | '\u{1F88}'..='\u{1F8F}'
            | '\u{1F98}'..='\u{1F9F}'
            | '\u{1FA8}'..='\u{1FAF}'
            | '\u{1FBC}'
            | '\u{1FCC}'
            | '\u{1FFC}'
    )
}

/// `str.isupper()`: at least one cased character, and no lowercase or titlecase one.
/// Uppercase and lowercase are Unicode's derived `Uppercase` / `Lowercase` properties.
pub fn is_upper(text: &str) -> bool {
    let mut cased = false;
    for character in text.chars() {
        if character.is_lowercase() || is_titlecase(character) {
            return false;
        }
        cased |= character.is_uppercase();
    }
    cased
}

/// `str.islower()`: at least one cased character, and no uppercase or titlecase one.
pub fn is_lower(text: &str) -> bool {
    let mut cased = false;
    for character in text.chars() {
        if character.is_uppercase() || is_titlecase(character) {
            return false;
        }
        cased |= character.is_lowercase();
    }
    cased
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_includes_the_information_separators() {
        assert!(is_space('\u{1C}') && is_space('\u{1F}'));
        assert!(is_space('\u{A0}') && is_space('\u{3000}') && is_space('\u{85}'));
        assert!(!is_space('\u{200B}'), "zero width space is not whitespace");
        assert_eq!(strip("\u{1E} a b\n\u{A0}"), "a b");
        assert_eq!(
            split_whitespace(" a\u{1F}b  c\t").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(split_whitespace("   ").count(), 0);
    }

    #[test]
    fn re_word_characters_are_letters_numbers_and_underscore() {
        for character in ['a', 'Z', '7', '_', 'é', 'ß', '一', '²', '½', 'Ⅻ'] {
            assert!(is_re_word(character), "{character:?}");
        }
        // Combining marks (a Devanagari vowel sign, an acute accent) and connector
        // punctuation other than `_` are not `\w` for Python's `re`.
        for character in ['\u{93E}', '\u{301}', '\u{203F}', '-', ' ', '\''] {
            assert!(!is_re_word(character), "{character:?}");
        }
        assert!(is_re_word_boundary("cat", 0));
        assert!(is_re_word_boundary("cat", 3));
        assert!(!is_re_word_boundary("cat", 1));
        assert!(!is_re_word_boundary(" - ", 1));
    }

    #[test]
    fn isupper_and_islower_need_a_cased_character() {
        assert!(is_upper("HELLO, WORLD 123!"));
        assert!(!is_upper("HELLO, World"));
        assert!(!is_upper("123 !?"));
        assert!(!is_upper(""));
        assert!(is_lower("hello, world 123!"));
        assert!(!is_lower("hello, World"));
        assert!(!is_lower("123"));
        // Titlecase letters are neither.
        assert!(!is_upper("ǅ") && !is_lower("ǅ"));
        assert!(!is_upper("AǅB"));
        // Other_Lowercase / Other_Uppercase count as cased: ª is lowercase, Ⓐ uppercase.
        assert!(is_lower("ª") && is_upper("Ⓐ"));
        // Scripts without case are ignored.
        assert!(is_upper("ΑΒΓ 日本") && is_lower("αβγ 日本"));
    }
}
