//! Punkt's decision for one candidate break: the tokens around a `.`, `?` or `!` are
//! annotated in two passes, by type first (known abbreviations, ellipses, sentence-final
//! punctuation) and then by context (collocations, the orthographic heuristic, frequent
//! sentence starters, initials and ordinals), as Kiss & Strunk (2006), section 4, describe.

use std::sync::LazyLock;

use regex::Regex;

use super::params::{ortho, Parameters};
use super::words::tokenize_words;

/// The type every number (`3.5`, `1,000`, `-2.`, `.5`) is folded to.
const NUMBER_TYPE: &str = "##number##";

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^-?[.,]?\d[\d,.\-]*\.?$").expect("the number pattern is a valid regex literal")
});

static INITIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^\W\d]\.$").expect("the initial pattern is a valid regex literal")
});

/// A word token and what the passes decided about it.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    /// Lower-cased, or `##number##` for a number.
    word_type: String,
    sentence_break: bool,
    abbreviation: bool,
    ellipsis: bool,
}

impl<'a> Token<'a> {
    fn new(text: &'a str) -> Self {
        let lower = text.to_lowercase();
        let word_type = if NUMBER.is_match(&lower) {
            NUMBER_TYPE.to_owned()
        } else {
            lower
        };
        Token {
            text,
            word_type,
            sentence_break: false,
            abbreviation: false,
            ellipsis: false,
        }
    }

    fn period_final(&self) -> bool {
        self.text.ends_with('.')
    }

    /// The type without its final period, unless the type is only that period.
    fn type_without_period(&self) -> &str {
        match self.word_type.strip_suffix('.') {
            Some(stripped) if !stripped.is_empty() => stripped,
            _ => &self.word_type,
        }
    }

    /// The type without its final period if that period was judged a sentence break.
    fn type_without_sentence_period(&self) -> &str {
        if self.sentence_break {
            self.type_without_period()
        } else {
            &self.word_type
        }
    }

    fn first_character(&self) -> Option<char> {
        self.text.chars().next()
    }

    fn first_upper(&self) -> bool {
        self.first_character().is_some_and(char::is_uppercase)
    }

    fn first_lower(&self) -> bool {
        self.first_character().is_some_and(char::is_lowercase)
    }

    /// A single letter and a period: `J.`.
    fn is_initial(&self) -> bool {
        INITIAL.is_match(self.text)
    }

    /// The first pass, by type alone: `.`, `?` and `!` on their own are breaks; runs of
    /// periods are ellipses; a word ending in one period is an abbreviation if its type
    /// (or the part after its last hyphen) is a known one, and a break otherwise.
    fn annotate_by_type(&mut self, parameters: &Parameters) {
        if matches!(self.text, "." | "?" | "!") {
            self.sentence_break = true;
        } else if self.text.len() >= 2 && self.text.bytes().all(|byte| byte == b'.') {
            self.ellipsis = true;
        } else if let Some(stem) = self.text.strip_suffix('.') {
            if stem.ends_with('.') {
                return;
            }
            let stem = stem.to_lowercase();
            let after_last_hyphen = stem.rsplit('-').next().unwrap_or(&stem);
            if parameters.abbreviation_types.contains(stem.as_str())
                || parameters.abbreviation_types.contains(after_last_hyphen)
            {
                self.abbreviation = true;
            } else {
                self.sentence_break = true;
            }
        }
    }
}

/// What the orthographic heuristic says about whether a token begins a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Starts {
    Yes,
    No,
    Unknown,
}

/// The orthographic heuristic (section 4.1.1): a capitalised word that was seen in lower
/// case but never capitalised inside a sentence begins one; a lower-case word that was seen
/// capitalised, or never seen lower-case at the start of a sentence, does not.
fn orthographic_heuristic(token: &Token<'_>, parameters: &Parameters) -> Starts {
    if matches!(token.text, ";" | ":" | "," | "." | "!" | "?") {
        return Starts::No;
    }
    let context = parameters.orthographic_context(token.type_without_sentence_period());
    if token.first_upper() && context & ortho::LOWER != 0 && context & ortho::MIDDLE_UPPER == 0 {
        return Starts::Yes;
    }
    if token.first_lower() && (context & ortho::UPPER != 0 || context & ortho::BEGIN_LOWER == 0) {
        return Starts::No;
    }
    Starts::Unknown
}

/// The second pass (section 4), for a token ending in a period and the token after it:
/// may turn an abbreviation or ellipsis into a break, or a break after an initial or a
/// number into an abbreviation.
fn annotate_in_context(token: &mut Token<'_>, next: &Token<'_>, parameters: &Parameters) {
    if !token.period_final() {
        return;
    }
    let is_initial = token.is_initial();
    let next_type = next.type_without_sentence_period();
    let word_type = token.type_without_period();

    if parameters.collocations.contains(&(word_type, next_type)) {
        token.sentence_break = false;
        token.abbreviation = true;
        return;
    }

    if (token.abbreviation || token.ellipsis) && !is_initial {
        if orthographic_heuristic(next, parameters) == Starts::Yes {
            token.sentence_break = true;
            return;
        }
        if next.first_upper() && parameters.sentence_starters.contains(next_type) {
            token.sentence_break = true;
            return;
        }
    }

    if is_initial || word_type == NUMBER_TYPE {
        let starts = orthographic_heuristic(next, parameters);
        if starts == Starts::No {
            token.sentence_break = false;
            token.abbreviation = true;
            return;
        }
        // An initial before a word that is only ever capitalised: `J. Bach`.
        if starts == Starts::Unknown
            && is_initial
            && next.first_upper()
            && parameters.orthographic_context(next_type) & ortho::LOWER == 0
        {
            token.sentence_break = false;
            token.abbreviation = true;
        }
    }
}

/// Whether Punkt puts a sentence break inside `context` (the word before a candidate
/// break, the break character and what follows it): some token other than the last is
/// annotated as a break.
pub(crate) fn contains_sentence_break(context: &str, parameters: &Parameters) -> bool {
    let mut tokens: Vec<Token<'_>> = tokenize_words(context)
        .into_iter()
        .map(|text| {
            let mut token = Token::new(text);
            token.annotate_by_type(parameters);
            token
        })
        .collect();
    for index in 1..tokens.len() {
        let (before, after) = tokens.split_at_mut(index);
        let token = &mut before[index - 1];
        annotate_in_context(token, &after[0], parameters);
        if token.sentence_break {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::params::ENGLISH;
    use super::*;

    fn annotated(context: &str) -> Vec<(String, bool)> {
        let mut tokens: Vec<Token<'_>> = tokenize_words(context)
            .into_iter()
            .map(|text| {
                let mut token = Token::new(text);
                token.annotate_by_type(&ENGLISH);
                token
            })
            .collect();
        for index in 1..tokens.len() {
            let (before, after) = tokens.split_at_mut(index);
            annotate_in_context(&mut before[index - 1], &after[0], &ENGLISH);
        }
        tokens
            .iter()
            .map(|token| (token.text.to_owned(), token.sentence_break))
            .collect()
    }

    #[test]
    fn numbers_fold_to_one_type() {
        for number in ["3.5", "1,000", "-2.", ".5", "2023"] {
            assert_eq!(Token::new(number).word_type, NUMBER_TYPE, "{number}");
        }
        assert_eq!(Token::new("Hello").word_type, "hello");
        assert_eq!(Token::new("3a").word_type, "3a");
    }

    #[test]
    fn known_abbreviation_is_not_a_break_before_a_lower_case_word() {
        assert_eq!(
            annotated("Dr. smith"),
            [("Dr.".to_owned(), false), ("smith".to_owned(), false)]
        );
        assert!(!contains_sentence_break("Dr. Smith", &ENGLISH));
    }

    #[test]
    fn abbreviation_before_a_frequent_sentence_starter_is_a_break() {
        assert!(contains_sentence_break("etc. However", &ENGLISH));
    }

    #[test]
    fn initial_before_an_always_capitalised_word_is_not_a_break() {
        assert!(!contains_sentence_break("S. Bach", &ENGLISH));
    }

    #[test]
    fn the_last_token_alone_is_never_a_break() {
        assert!(!contains_sentence_break("end.", &ENGLISH));
        assert!(contains_sentence_break("end. Next", &ENGLISH));
        assert!(contains_sentence_break("Why? no", &ENGLISH));
    }
}
