//! `length_constraints:*`: counts of sentences, of `***`-separated paragraphs and of words,
//! and the first word of the n-th blank-line-separated paragraph. Reference:
//! `NumberOfSentences`, `ParagraphChecker`, `NumberOfWords` and `ParagraphFirstWordCheck` in
//! lm-eval's ifeval `instructions.py`, with `count_sentences` (NLTK's English Punkt, in
//! [`crate::punkt`]) and `count_words` (`nltk.tokenize.RegexpTokenizer(r"\w+")`, which NLTK
//! 3.10 runs on the `regex` module: Unicode's `\w`, as in the Rust `regex` crate) from
//! `instructions_util.py`.

use std::sync::LazyLock;

use regex::Regex;

use super::arguments::{Arguments, Relation};
use crate::python_str::{split_whitespace, strip, SPACE_CLASS};
use crate::IfevalError;

/// The number of Punkt sentences compared with a threshold.
#[derive(Debug)]
pub(crate) struct NumberOfSentences {
    relation: Relation,
    num_sentences: i64,
}

impl NumberOfSentences {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfSentences {
            relation: arguments.relation("relation")?,
            num_sentences: arguments.count("num_sentences")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        let sentences = crate::punkt::count_sentences(response);
        self.relation.holds(sentences, self.num_sentences)
    }
}

/// Exactly this many paragraphs separated by the markdown divider `***`.
#[derive(Debug)]
pub(crate) struct NumberOfParagraphs {
    num_paragraphs: i64,
}

impl NumberOfParagraphs {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfParagraphs {
            num_paragraphs: arguments.count("num_paragraphs")?,
        })
    }

    /// `re.split(r"\s?\*\*\*\s?", response)`: an empty piece at either end is not counted;
    /// an empty piece between two dividers fails the instruction.
    pub(crate) fn check(&self, response: &str) -> bool {
        static DIVIDER: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(&format!(r"{SPACE_CLASS}?\*\*\*{SPACE_CLASS}?"))
                .expect("a regex literal that compiles")
        });
        let paragraphs: Vec<&str> = DIVIDER.split(response).collect();
        let last = paragraphs.len() - 1;
        let mut count = paragraphs.len();
        for (index, paragraph) in paragraphs.iter().enumerate() {
            if strip(paragraph).is_empty() {
                if index == 0 || index == last {
                    count -= 1;
                } else {
                    return false;
                }
            }
        }
        i64::try_from(count).is_ok_and(|count| count == self.num_paragraphs)
    }
}

/// The number of words (runs of `\w`) compared with a threshold.
#[derive(Debug)]
pub(crate) struct NumberOfWords {
    relation: Relation,
    num_words: i64,
}

impl NumberOfWords {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfWords {
            relation: arguments.relation("relation")?,
            num_words: arguments.count("num_words")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        self.relation.holds(count_words(response), self.num_words)
    }
}

/// `count_words`: the tokens of `RegexpTokenizer(r"\w+")`.
pub(crate) fn count_words(text: &str) -> usize {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\w+").expect("a regex literal that compiles"));
    WORD.find_iter(text).count()
}

/// Exactly `num_paragraphs` paragraphs separated by `\n\n`, the `nth_paragraph`-th starting
/// with `first_word`.
#[derive(Debug)]
pub(crate) struct NthParagraphFirstWord {
    num_paragraphs: i64,
    nth_paragraph: i64,
    first_word: String,
}

impl NthParagraphFirstWord {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let num_paragraphs = arguments.count("num_paragraphs")?;
        let nth_paragraph = arguments.integer("nth_paragraph")?;
        if nth_paragraph <= 0 || nth_paragraph > num_paragraphs {
            return Err(arguments.error(format!(
                "`nth_paragraph` is {nth_paragraph}, not between 1 and `num_paragraphs` \
                 ({num_paragraphs}); the reference would draw a random one"
            )));
        }
        Ok(NthParagraphFirstWord {
            num_paragraphs,
            nth_paragraph,
            first_word: arguments.string("first_word")?.to_lowercase(),
        })
    }

    /// Paragraphs are the pieces of `response.split("\n\n")`; the blank ones are not counted,
    /// but the n-th is taken from all pieces, blank ones included (as the reference does).
    /// The first word is the paragraph's first whitespace-separated token, without leading
    /// quotes, lowercased up to the first `.`, `,`, `?`, `!`, `'` or `"`.
    pub(crate) fn check(&self, response: &str) -> bool {
        let paragraphs: Vec<&str> = response.split("\n\n").collect();
        let blank = paragraphs
            .iter()
            .filter(|paragraph| strip(paragraph).is_empty())
            .count();
        let count = paragraphs.len() - blank;
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        if self.nth_paragraph > count {
            return false;
        }
        let Some(paragraph) = usize::try_from(self.nth_paragraph - 1)
            .ok()
            .and_then(|index| paragraphs.get(index))
        else {
            return false;
        };
        let Some(word) = split_whitespace(paragraph).next() else {
            return false;
        };
        let word = word.trim_start_matches('\'').trim_start_matches('"');
        let first_word: String = word
            .chars()
            .take_while(|character| !matches!(character, '.' | ',' | '?' | '!' | '\'' | '"'))
            .flat_map(char::to_lowercase)
            .collect();
        count == self.num_paragraphs && first_word == self.first_word
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use super::count_words;
    use serde_json::json;

    fn checker(id: &str, kwargs: serde_json::Value) -> Checker {
        Checker::parse(&instruction(id, kwargs)).expect("valid arguments")
    }

    #[test]
    fn sentence_counts_at_the_boundary() {
        let less_than = checker(
            "length_constraints:number_sentences",
            json!({"num_sentences": 2, "relation": "less than"}),
        );
        assert!(less_than.check("One sentence only."));
        assert!(!less_than.check("One. Two."));
        let at_least = checker(
            "length_constraints:number_sentences",
            json!({"num_sentences": 2, "relation": "at least"}),
        );
        assert!(at_least.check("Dr. Smith left. He came back."));
        assert!(!at_least.check("Dr. Smith left."));
    }

    #[test]
    fn paragraphs_are_separated_by_three_asterisks() {
        let three = checker(
            "length_constraints:number_paragraphs",
            json!({"num_paragraphs": 3}),
        );
        assert!(three.check("One.\n***\nTwo.\n***\nThree."));
        assert!(three.check("***\nOne.\n***\nTwo.\n***\nThree.\n***"));
        assert!(!three.check("One.\n***\n***\nTwo.\n***\nThree."));
        assert!(!three.check("One.\n***\nTwo."));
        // `****` is a divider and a stray asterisk.
        assert!(three.check("One.****Two.***Three."));
    }

    #[test]
    fn words_are_unicode_word_runs() {
        assert_eq!(count_words("Hello, world! It's 3.14"), 6);
        assert_eq!(count_words("नमस्ते दुनिया"), 2);
        assert_eq!(count_words("snake_case x²"), 2);
        assert_eq!(count_words(""), 0);
        let less_than = checker(
            "length_constraints:number_words",
            json!({"num_words": 3, "relation": "less than"}),
        );
        assert!(less_than.check("one two"));
        assert!(!less_than.check("one two three"));
    }

    #[test]
    fn nth_paragraph_first_word() {
        let second = checker(
            "length_constraints:nth_paragraph_first_word",
            json!({"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Rust"}),
        );
        assert!(second.check("Intro.\n\n\"RUST, they said.\n\nEnd."));
        assert!(!second.check("Intro.\n\nRusty.\n\nEnd."));
        assert!(!second.check("Intro.\n\nRust.\n\nEnd.\n\nMore."));
        // Blank pieces are not counted, but the n-th is taken among all pieces.
        assert!(!second.check("Intro.\n\n\n\nRust.\n\nEnd."));
        let out_of_range = Checker::parse(&instruction(
            "length_constraints:nth_paragraph_first_word",
            json!({"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "a"}),
        ));
        assert!(out_of_range.is_err());
    }
}
