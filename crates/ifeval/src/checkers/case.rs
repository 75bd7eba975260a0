//! `change_case:*`: the number of all-caps words (`capital_word_frequency`), and a response in
//! English written all in capitals (`english_capital`) or all in lowercase
//! (`english_lowercase`). Reference: `CapitalWordFrequencyChecker`,
//! `CapitalLettersEnglishChecker` and `LowercaseLettersEnglishChecker` in lm-eval's ifeval
//! `instructions.py`.
//!
//! Words are the tokens of NLTK's `word_tokenize` ([`crate::word_tokenize`]); "all caps" and
//! "all lowercase" are Python's `str.isupper()` / `str.islower()`; the language is
//! `langdetect`'s ([`crate::language_detection`]), and a response it finds nothing to detect
//! in counts as English, as in the reference.

use super::arguments::{Arguments, Relation};
use crate::language_detection::detect;
use crate::python_str::{is_lower, is_upper};
use crate::word_tokenize::word_tokenize;
use crate::IfevalError;

/// The number of `word_tokenize` tokens for which `str.isupper()` holds, compared with a
/// threshold (which, unlike the other counts, may be negative in the reference).
#[derive(Debug)]
pub(crate) struct CapitalWordFrequency {
    relation: Relation,
    capital_frequency: i64,
}

impl CapitalWordFrequency {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(CapitalWordFrequency {
            relation: arguments.relation("capital_relation")?,
            capital_frequency: arguments.integer("capital_frequency")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        let capital_words = word_tokenize(response)
            .iter()
            .filter(|word| is_upper(word))
            .count();
        self.relation.holds(capital_words, self.capital_frequency)
    }
}

/// `str.isupper()` holds for the response and langdetect finds English (or nothing).
pub(crate) fn is_english_capital(response: &str) -> bool {
    is_upper(response) && detect(response).is_none_or(|language| language == "en")
}

/// `str.islower()` holds for the response and langdetect finds English (or nothing).
pub(crate) fn is_english_lowercase(response: &str) -> bool {
    is_lower(response) && detect(response).is_none_or(|language| language == "en")
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use super::*;
    use serde_json::json;

    #[test]
    fn capital_words_are_counted_on_word_tokenize_tokens() {
        let at_least = Checker::parse(&instruction(
            "change_case:capital_word_frequency",
            json!({"capital_frequency": 3, "capital_relation": "at least"}),
        ))
        .expect("valid arguments");
        // "CAN'T" is two tokens, CA and N'T, both all caps; "I" counts too.
        assert!(at_least.check("I CAN'T go."));
        assert!(!at_least.check("I can't GO."));
        // "U.S.A." is one token; "NASA's" splits into "NASA" and "'s".
        assert!(!at_least.check("The U.S.A. and NASA's rockets."));
        let less_than = Checker::parse(&instruction(
            "change_case:capital_word_frequency",
            json!({"capital_frequency": 2, "capital_relation": "less than"}),
        ))
        .expect("valid arguments");
        assert!(less_than.check("Only ONE shout."));
        assert!(!less_than.check("TWO SHOUTS."));
        assert!(less_than.check(""));
    }

    #[test]
    fn english_capital_and_lowercase() {
        assert!(is_english_capital(
            "THIS IS AN ENGLISH SENTENCE, ALL IN CAPITALS."
        ));
        assert!(!is_english_capital(
            "THIS IS AN ENGLISH SENTENCE, almost ALL IN CAPITALS."
        ));
        assert!(!is_english_capital(
            "DIES IST EIN DEUTSCHER SATZ ÜBER DEN SCHNELLEN FUCHS."
        ));
        assert!(is_english_lowercase(
            "this is an english sentence, all in lowercase."
        ));
        assert!(!is_english_lowercase("This is an english sentence."));
        assert!(!is_english_lowercase(
            "dies ist ein deutscher satz über den schnellen fuchs."
        ));
        // No cased letters: neither.
        assert!(!is_english_capital("1234") && !is_english_lowercase("1234"));
    }
}
