//! NLTK's `word_tokenize` (English): the text split into sentences by Punkt, each sentence
//! split by `NLTKWordTokenizer.tokenize` — NLTK's improved Penn Treebank tokenizer, a fixed
//! sequence of regex substitutions (`nltk/tokenize/destructive.py`, NLTK 3.10.4) followed by
//! `str.split()`. `change_case:capital_word_frequency` counts the all-caps tokens.
//!
//! NLTK 3.10.4 runs these patterns on the third-party `regex` module, whose `\w`, `\s` and `\d`
//! are Unicode's (as in the Rust `regex` crate); only the contraction patterns are compiled
//! with the standard `re`, whose `\w` is `str.isalnum()` or `_`. The lookarounds that the Rust
//! engine lacks are written out as code, and `$` (end of text, or before a final newline) is
//! spelled out. Parentheses stay as they are (`convert_parentheses=False`).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::python_str::{is_re_word_boundary, is_space, split_whitespace};

/// `nltk.word_tokenize(text)`: the tokens of every Punkt sentence, in order.
pub fn word_tokenize(text: &str) -> Vec<String> {
    crate::punkt::sentences(text)
        .into_iter()
        .flat_map(tokenize_sentence)
        .collect()
}

/// A compiled pattern and its replacement (`$1` style), applied like `re.sub`.
struct Substitution {
    pattern: Regex,
    replacement: &'static str,
}

impl Substitution {
    fn new(pattern: &str, replacement: &'static str) -> Self {
        Substitution {
            pattern: Regex::new(pattern).expect("a regex literal that compiles"),
            replacement,
        }
    }

    fn apply(&self, text: &mut String) {
        if let Cow::Owned(replaced) = self.pattern.replace_all(text, self.replacement) {
            *text = replaced;
        }
    }
}

/// The substitutions of `STARTING_QUOTES` before the apostrophe rule, then `PUNCTUATION`,
/// `PARENS_BRACKETS` and `DOUBLE_DASHES`.
struct Rules {
    starting_quotes: [Substitution; 4],
    punctuation: [Substitution; 10],
    parens_and_dashes: [Substitution; 2],
    ending_quotes: [Substitution; 6],
    /// `(?i)^(?:re|ve|ll|m|t|s|d|n)`: the clitics an apostrophe may not be split from.
    clitic: Regex,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    starting_quotes: [
        Substitution::new("([«“‘„]|`+)", " ${1} "),
        Substitution::new(r#"^""#, "``"),
        Substitution::new("(``)", " ${1} "),
        Substitution::new(r#"([ (\[{<])("|'')"#, "${1} `` "),
    ],
    punctuation: [
        Substitution::new(r#"([^.])(\.)([\])}>"'»”’ ]*)\s*$"#, "${1} ${2} ${3} "),
        Substitution::new(r"([:,])([^\d])", " ${1} ${2}"),
        // `([:,])$`, where `$` may also stand before a final newline.
        Substitution::new(r"([:,])(\n?)$", " ${1} ${2}"),
        Substitution::new(r"\.{2,}", " ${0} "),
        Substitution::new(r"[;@#$%&]", " ${0} "),
        Substitution::new("[\u{2012}-\u{2015}]", " ${0} "),
        Substitution::new(r#"([^.])(\.)([\])}>"']*)\s*$"#, "${1} ${2}${3} "),
        Substitution::new(r"[?!]", " ${0} "),
        Substitution::new(r"([^'])' ", "${1} ' "),
        Substitution::new(r"[*]", " ${0} "),
    ],
    parens_and_dashes: [
        Substitution::new(r"[\]\[(){}<>]", " ${0} "),
        Substitution::new("--", " -- "),
    ],
    ending_quotes: [
        Substitution::new("([»”’])", " ${1} "),
        Substitution::new("''", " '' "),
        Substitution::new(r#"""#, " '' "),
        Substitution::new(r"\s+", " "),
        Substitution::new(r"([^' ])('[sS]|'[mM]|'[dD]|') ", "${1} ${2} "),
        Substitution::new(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "${1} ${2} "),
    ],
    clitic: Regex::new("(?i)^(?:re|ve|ll|m|t|s|d|n)").expect("a regex literal that compiles"),
});

/// MacIntyre's contractions split by NLTK (`CONTRACTIONS2` and `CONTRACTIONS3`), as
/// (case-insensitive pattern of the two parts, what must follow them); `\b` before the first
/// part unless it starts with a space.
static CONTRACTIONS: LazyLock<Vec<(Regex, After)>> = LazyLock::new(|| {
    [
        (r"(can)(not)", After::Boundary),
        (r"(d)('ye)", After::Boundary),
        (r"(gim)(me)", After::Boundary),
        (r"(gon)(na)", After::Boundary),
        (r"(got)(ta)", After::Boundary),
        (r"(lem)(me)", After::Boundary),
        (r"(more)('n)", After::Boundary),
        (r"(wan)(na)", After::Space),
        (r" ('t)(is)", After::Boundary),
        (r" ('t)(was)", After::Boundary),
    ]
    .into_iter()
    .map(|(pattern, after)| {
        let pattern = Regex::new(&format!("(?i){pattern}")).expect("a regex literal that compiles");
        (pattern, after)
    })
    .collect()
});

/// What a contraction pattern requires right after its match.
#[derive(Clone, Copy)]
enum After {
    /// `\b` of the standard `re`.
    Boundary,
    /// `(?=\s)`.
    Space,
}

/// `NLTKWordTokenizer().tokenize(sentence)`.
pub(crate) fn tokenize_sentence(sentence: &str) -> Vec<String> {
    let rules = &*RULES;
    let mut text = sentence.to_string();
    for substitution in &rules.starting_quotes {
        substitution.apply(&mut text);
    }
    text = split_opening_apostrophes(&text, &rules.clitic);
    for substitution in rules.punctuation.iter().chain(&rules.parens_and_dashes) {
        substitution.apply(&mut text);
    }
    let mut text = format!(" {text} ");
    for substitution in &rules.ending_quotes {
        substitution.apply(&mut text);
    }
    for (pattern, after) in CONTRACTIONS.iter() {
        text = split_contraction(&text, pattern, *after);
    }
    split_whitespace(&text).map(str::to_string).collect()
}

/// `(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)` → `\1 `: an apostrophe that opens a
/// word (not after a word character, before one) gets a space after it, unless a clitic
/// follows it as a whole word (`'s`, `'re`, ...).
fn split_opening_apostrophes(text: &str, clitic: &Regex) -> String {
    let is_word = |character: Option<char>| character.is_some_and(is_unicode_word);
    let mut result = String::with_capacity(text.len() + 8);
    let mut previous = None;
    for (at, character) in text.char_indices() {
        result.push(character);
        if character == '\'' {
            let rest = &text[at + 1..];
            let opens_word = !is_word(previous) && is_word(rest.chars().next());
            let before_clitic = clitic
                .find(rest)
                .is_some_and(|found| !is_word(rest[found.end()..].chars().next()));
            if opens_word && !before_clitic {
                result.push(' ');
            }
        }
        previous = Some(character);
    }
    result
}

/// `\w` of the `regex` module and of the Rust `regex` crate: Unicode's word characters.
fn is_unicode_word(character: char) -> bool {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\w$").expect("a regex literal that compiles"));
    let mut buffer = [0u8; 4];
    WORD.is_match(character.encode_utf8(&mut buffer))
}

/// `re.sub(r"(?i)\b(A)(B)\b", r" \1 \2 ", text)` (or with `(?=\s)` at the end, or a literal
/// space instead of the first `\b`), scanning as `re` does: at each position from the left,
/// the match is taken if its boundaries hold, and the scan goes on after it.
fn split_contraction(text: &str, pattern: &Regex, after: After) -> String {
    let mut result = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = pattern.captures_at(text, from) {
        let (Some(whole), Some(first), Some(second)) = (found.get(0), found.get(1), found.get(2))
        else {
            break;
        };
        let starts_with_space = whole.as_str().starts_with(' ');
        let start_holds = starts_with_space || is_re_word_boundary(text, whole.start());
        let end_holds = match after {
            After::Boundary => is_re_word_boundary(text, whole.end()),
            After::Space => text[whole.end()..].chars().next().is_some_and(is_space),
        };
        if start_holds && end_holds {
            result.push_str(&text[copied..whole.start()]);
            result.push(' ');
            result.push_str(first.as_str());
            result.push(' ');
            result.push_str(second.as_str());
            result.push(' ');
            copied = whole.end();
            from = whole.end();
        } else {
            // Try again one character further on.
            from = whole.start()
                + text[whole.start()..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
        }
        if from > text.len() {
            break;
        }
    }
    result.push_str(&text[copied..]);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python_str::is_re_word;

    fn tokens(sentence: &str) -> Vec<String> {
        tokenize_sentence(sentence)
    }

    #[test]
    fn nltk_docstring_example() {
        let text = "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.";
        assert_eq!(
            tokens(text),
            [
                "Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36", "euros", ")", "in",
                "New", "York.", "Please", "buy", "me", "two", "of", "them.", "Thanks", "."
            ]
        );
    }

    #[test]
    fn quotes_clitics_and_contractions() {
        assert_eq!(
            tokens("\"I CAN'T,\" she said: 'don't GO!'"),
            [
                "``", "I", "CA", "N'T", ",", "''", "she", "said", ":", "'", "do", "n't", "GO", "!",
                "'"
            ]
        );
        assert_eq!(
            tokens("I cannot gimme 'tis"),
            ["I", "can", "not", "gim", "me", "'", "tis"]
        );
        assert_eq!(tokens("We're HERE'S"), ["We", "'re", "HERE", "'S"]);
        assert_eq!(tokens("'s going on"), ["'s", "going", "on"]);
        assert_eq!(tokens("wanna go"), ["wan", "na", "go"]);
        assert_eq!(tokens("wanna"), ["wan", "na"]);
    }

    #[test]
    fn punctuation_and_dashes() {
        assert_eq!(
            tokens("A--B ... C;D @E #F *G* (H) [I] {J} <K> L—M"),
            [
                "A", "--", "B", "...", "C", ";", "D", "@", "E", "#", "F", "*", "G", "*", "(", "H",
                ")", "[", "I", "]", "{", "J", "}", "<", "K", ">", "L", "—", "M"
            ]
        );
        assert_eq!(tokens("U.S.A. is BIG."), ["U.S.A.", "is", "BIG", "."]);
        assert_eq!(tokens("Ends with colon:"), ["Ends", "with", "colon", ":"]);
        assert_eq!(tokens("Ends with colon:\n"), ["Ends", "with", "colon", ":"]);
        assert_eq!(tokens("1,000 and 3:30"), ["1,000", "and", "3:30"]);
    }

    #[test]
    fn contraction_boundaries_use_re_word_characters() {
        // `_` is a word character: no split inside `_cannot`.
        assert_eq!(tokens("_cannot"), ["_cannot"]);
        assert!(is_re_word('_'));
        assert_eq!(tokens("CANNOT CANNOT"), ["CAN", "NOT", "CAN", "NOT"]);
    }
}
