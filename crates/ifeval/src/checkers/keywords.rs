//! `keywords:*`: keywords that must appear (`existence`), a keyword's count (`frequency`),
//! words that must not appear (`forbidden_words`) and a letter's count (`letter_frequency`).
//! Reference: `KeywordChecker`, `KeywordFrequencyChecker`, `ForbiddenWords` and
//! `LetterFrequencyChecker` in lm-eval's ifeval `instructions.py`.
//!
//! The reference hands keywords to Python's `re` as patterns, case-insensitively; here they
//! are patterns of the Rust `regex` crate, which reads plain words (all of IFEval's keywords)
//! the same way. `forbidden_words` surrounds each word with `re`'s `\b`, whose word characters
//! (letters, numbers, `_`) are narrower than Rust's `\b`: the boundaries are checked with
//! Python's definition instead.
//!
//! `letter_frequency` with a `letter` that is not one ASCII letter (IFEval has `#` and `!`)
//! makes the reference count a random ASCII letter instead; here the character given is
//! counted, as the prompt asks.

use regex::Regex;

use super::arguments::{Arguments, Relation};
use crate::python_str::{is_re_word_boundary, strip};
use crate::IfevalError;

/// Every keyword occurs at least once, ignoring case.
#[derive(Debug)]
pub(crate) struct Existence {
    keywords: Vec<Regex>,
}

impl Existence {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let keywords = arguments
            .strings("keywords")?
            .into_iter()
            .map(|keyword| arguments.regex("keywords", &format!("(?i){keyword}")))
            .collect::<Result<_, _>>()?;
        Ok(Existence { keywords })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        self.keywords
            .iter()
            .all(|keyword| keyword.is_match(response))
    }
}

/// The number of (non-overlapping, case-insensitive) occurrences of a keyword compared with a
/// threshold.
#[derive(Debug)]
pub(crate) struct Frequency {
    keyword: Regex,
    relation: Relation,
    frequency: i64,
}

impl Frequency {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let keyword = strip(arguments.string("keyword")?);
        Ok(Frequency {
            keyword: arguments.regex("keyword", &format!("(?i){keyword}"))?,
            relation: arguments.relation("relation")?,
            frequency: arguments.count("frequency")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        let occurrences = self.keyword.find_iter(response).count();
        self.relation.holds(occurrences, self.frequency)
    }
}

/// None of the words occurs as a whole word (`\bword\b`), ignoring case.
#[derive(Debug)]
pub(crate) struct ForbiddenWords {
    /// `(?i)^(?:word)`: tried at each word boundary of the response.
    words: Vec<Regex>,
}

impl ForbiddenWords {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let words = arguments
            .strings("forbidden_words")?
            .into_iter()
            .map(|word| arguments.regex("forbidden_words", &format!("(?i)^(?:{word})")))
            .collect::<Result<_, _>>()?;
        Ok(ForbiddenWords { words })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        !self.words.iter().any(|word| occurs_bounded(word, response))
    }
}

/// Whether `anchored` matches somewhere in `text` between two `re` word boundaries.
fn occurs_bounded(anchored: &Regex, text: &str) -> bool {
    let starts = text.char_indices().map(|(at, _)| at).chain([text.len()]);
    starts
        .filter(|&at| is_re_word_boundary(text, at))
        .any(|at| {
            anchored
                .find(&text[at..])
                .is_some_and(|found| is_re_word_boundary(text, at + found.end()))
        })
}

/// The number of times a letter occurs in the lowercased response, compared with a threshold.
#[derive(Debug)]
pub(crate) struct LetterFrequency {
    letter: char,
    relation: Relation,
    frequency: i64,
}

impl LetterFrequency {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let given = arguments.string("letter")?;
        let mut characters = given.chars();
        let (Some(letter), None) = (characters.next(), characters.next()) else {
            return Err(arguments.error(format!(
                "`letter` is \"{given}\", not one character (the reference would count a \
                 random ASCII letter)"
            )));
        };
        let mut lowercase = letter.to_lowercase();
        let letter = match (lowercase.next(), lowercase.next()) {
            (Some(lower), None) => lower,
            _ => letter,
        };
        Ok(LetterFrequency {
            letter,
            relation: arguments.relation("let_relation")?,
            frequency: arguments.count("let_frequency")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        let count = response
            .to_lowercase()
            .chars()
            .filter(|&character| character == self.letter)
            .count();
        self.relation.holds(count, self.frequency)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use serde_json::json;

    fn checker(id: &str, kwargs: serde_json::Value) -> Checker {
        Checker::parse(&instruction(id, kwargs)).expect("valid arguments")
    }

    #[test]
    fn existence_needs_every_keyword_in_any_case() {
        let existence = checker("keywords:existence", json!({"keywords": ["Rust", "fast"]}));
        assert!(existence.check("rUST is FASTER"));
        assert!(!existence.check("Rust is quick"));
        assert!(!existence.check(""));
    }

    #[test]
    fn frequency_counts_non_overlapping_matches() {
        let at_least = checker(
            "keywords:frequency",
            json!({"keyword": " aa ", "frequency": 2, "relation": "at least"}),
        );
        // The keyword is stripped; "aaaa" holds two non-overlapping "aa".
        assert!(at_least.check("aaaa"));
        assert!(!at_least.check("aaa"));
        let less_than = checker(
            "keywords:frequency",
            json!({"keyword": "cat", "frequency": 2, "relation": "less than"}),
        );
        assert!(less_than.check("Cat, dog."));
        assert!(!less_than.check("CAT catalogue"));
        assert!(less_than.check(""));
    }

    #[test]
    fn forbidden_words_are_whole_words() {
        let forbidden = checker(
            "keywords:forbidden_words",
            json!({"forbidden_words": ["cat", "red fox"]}),
        );
        assert!(forbidden.check("Concatenate the catalogue; cats!"));
        assert!(!forbidden.check("A CAT."));
        assert!(!forbidden.check("the Red Fox jumps"));
        assert!(forbidden.check("the red foxes"));
        // `_` and digits are word characters for `re`, combining marks are not.
        assert!(forbidden.check("_cat cat2"));
        assert!(!forbidden.check("cat\u{301}"));
    }

    #[test]
    fn letter_frequency_counts_the_lowercased_letter() {
        let at_least = checker(
            "keywords:letter_frequency",
            json!({"letter": "E", "let_frequency": 3, "let_relation": "at least"}),
        );
        assert!(at_least.check("Eve eats"));
        assert!(!at_least.check("Eve"));
        let less_than = checker(
            "keywords:letter_frequency",
            json!({"letter": "#", "let_frequency": 2, "let_relation": "less than"}),
        );
        assert!(less_than.check("#one"));
        assert!(!less_than.check("#one #two"));
        let two_letters = Checker::parse(&instruction(
            "keywords:letter_frequency",
            json!({"letter": "ab", "let_frequency": 2, "let_relation": "less than"}),
        ));
        assert!(two_letters.is_err());
    }
}
