//! The 25 instruction checkers of IFEval, as lm-eval 0.4.13 registers them
//! (`lm_eval/tasks/ifeval/instructions_registry.py`) and implements them
//! (`instructions.py`, `instructions_util.py`): an instruction is parsed once into a typed
//! [`Checker`], which then says whether a response follows it.
//!
//! One module per group of the instruction ids (`keywords:`, `length_constraints:`, ...). Each
//! reproduces its reference class's `check_following`, with Python's string and `re` semantics
//! (see [`crate::python_str`]); where one cannot, its module says so.

mod arguments;
mod case;
mod combination;
mod content;
mod format;
mod keywords;
mod language;
mod length;
mod punctuation;
mod startend;

use crate::{IfevalError, Instruction};
use arguments::Arguments;

/// The 25 instruction ids, in the order of lm-eval's `INSTRUCTION_DICT`.
pub const INSTRUCTION_IDS: [&str; 25] = [
    "keywords:existence",
    "keywords:frequency",
    "keywords:forbidden_words",
    "keywords:letter_frequency",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_paragraphs",
    "length_constraints:number_words",
    "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders",
    "detectable_content:postscript",
    "detectable_format:number_bullet_lists",
    "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections",
    "detectable_format:multiple_sections",
    "detectable_format:json_format",
    "detectable_format:title",
    "combination:two_responses",
    "combination:repeat_prompt",
    "startend:end_checker",
    "change_case:capital_word_frequency",
    "change_case:english_capital",
    "change_case:english_lowercase",
    "punctuation:no_comma",
    "startend:quotation",
];

/// One instruction with its arguments, ready to check responses.
#[derive(Debug)]
pub(crate) enum Checker {
    KeywordExistence(keywords::Existence),
    KeywordFrequency(keywords::Frequency),
    ForbiddenWords(keywords::ForbiddenWords),
    LetterFrequency(keywords::LetterFrequency),
    ResponseLanguage(language::ResponseLanguage),
    NumberOfSentences(length::NumberOfSentences),
    NumberOfParagraphs(length::NumberOfParagraphs),
    NumberOfWords(length::NumberOfWords),
    NthParagraphFirstWord(length::NthParagraphFirstWord),
    NumberOfPlaceholders(content::NumberOfPlaceholders),
    Postscript(content::Postscript),
    NumberOfBulletLists(format::NumberOfBulletLists),
    ConstrainedResponse,
    NumberOfHighlightedSections(format::NumberOfHighlightedSections),
    MultipleSections(format::MultipleSections),
    JsonFormat,
    Title,
    TwoResponses,
    RepeatPrompt(combination::RepeatPrompt),
    EndChecker(startend::EndChecker),
    CapitalWordFrequency(case::CapitalWordFrequency),
    EnglishCapital,
    EnglishLowercase,
    NoComma,
    Quotation,
}

impl Checker {
    /// Reads an instruction's id and arguments.
    pub(crate) fn parse(instruction: &Instruction) -> Result<Self, IfevalError> {
        let arguments = |accepted: &[&str]| Arguments::new(instruction, accepted);
        let checker = match instruction.id.as_str() {
            "keywords:existence" => {
                Checker::KeywordExistence(keywords::Existence::parse(&arguments(&["keywords"])?)?)
            }
            "keywords:frequency" => {
                Checker::KeywordFrequency(keywords::Frequency::parse(&arguments(&[
                    "keyword",
                    "frequency",
                    "relation",
                ])?)?)
            }
            "keywords:forbidden_words" => {
                Checker::ForbiddenWords(keywords::ForbiddenWords::parse(&arguments(&[
                    "forbidden_words",
                ])?)?)
            }
            "keywords:letter_frequency" => {
                Checker::LetterFrequency(keywords::LetterFrequency::parse(&arguments(&[
                    "letter",
                    "let_frequency",
                    "let_relation",
                ])?)?)
            }
            "language:response_language" => {
                Checker::ResponseLanguage(language::ResponseLanguage::parse(&arguments(&[
                    "language",
                ])?)?)
            }
            "length_constraints:number_sentences" => {
                Checker::NumberOfSentences(length::NumberOfSentences::parse(&arguments(&[
                    "num_sentences",
                    "relation",
                ])?)?)
            }
            "length_constraints:number_paragraphs" => {
                Checker::NumberOfParagraphs(length::NumberOfParagraphs::parse(&arguments(&[
                    "num_paragraphs",
                ])?)?)
            }
            "length_constraints:number_words" => {
                Checker::NumberOfWords(length::NumberOfWords::parse(&arguments(&[
                    "num_words",
                    "relation",
                ])?)?)
            }
            "length_constraints:nth_paragraph_first_word" => {
                Checker::NthParagraphFirstWord(length::NthParagraphFirstWord::parse(&arguments(
                    &["num_paragraphs", "nth_paragraph", "first_word"],
                )?)?)
            }
            "detectable_content:number_placeholders" => Checker::NumberOfPlaceholders(
                content::NumberOfPlaceholders::parse(&arguments(&["num_placeholders"])?)?,
            ),
            "detectable_content:postscript" => {
                Checker::Postscript(content::Postscript::parse(&arguments(&[
                    "postscript_marker",
                ])?)?)
            }
            "detectable_format:number_bullet_lists" => {
                Checker::NumberOfBulletLists(format::NumberOfBulletLists::parse(&arguments(&[
                    "num_bullets",
                ])?)?)
            }
            "detectable_format:constrained_response" => {
                arguments(&[])?;
                Checker::ConstrainedResponse
            }
            "detectable_format:number_highlighted_sections" => {
                Checker::NumberOfHighlightedSections(format::NumberOfHighlightedSections::parse(
                    &arguments(&["num_highlights"])?,
                )?)
            }
            "detectable_format:multiple_sections" => {
                Checker::MultipleSections(format::MultipleSections::parse(&arguments(&[
                    "section_spliter",
                    "num_sections",
                ])?)?)
            }
            "detectable_format:json_format" => {
                arguments(&[])?;
                Checker::JsonFormat
            }
            "detectable_format:title" => {
                arguments(&[])?;
                Checker::Title
            }
            "combination:two_responses" => {
                arguments(&[])?;
                Checker::TwoResponses
            }
            "combination:repeat_prompt" => {
                Checker::RepeatPrompt(combination::RepeatPrompt::parse(&arguments(&[
                    "prompt_to_repeat",
                ])?)?)
            }
            "startend:end_checker" => {
                Checker::EndChecker(startend::EndChecker::parse(&arguments(&["end_phrase"])?)?)
            }
            "change_case:capital_word_frequency" => {
                Checker::CapitalWordFrequency(case::CapitalWordFrequency::parse(&arguments(&[
                    "capital_frequency",
                    "capital_relation",
                ])?)?)
            }
            "change_case:english_capital" => {
                arguments(&[])?;
                Checker::EnglishCapital
            }
            "change_case:english_lowercase" => {
                arguments(&[])?;
                Checker::EnglishLowercase
            }
            "punctuation:no_comma" => {
                arguments(&[])?;
                Checker::NoComma
            }
            "startend:quotation" => {
                arguments(&[])?;
                Checker::Quotation
            }
            other => {
                return Err(IfevalError::UnknownInstruction {
                    id: other.to_string(),
                    known: INSTRUCTION_IDS.join(", "),
                })
            }
        };
        Ok(checker)
    }

    /// Whether `response` follows the instruction (the reference's `check_following`).
    pub(crate) fn check(&self, response: &str) -> bool {
        match self {
            Checker::KeywordExistence(checker) => checker.check(response),
            Checker::KeywordFrequency(checker) => checker.check(response),
            Checker::ForbiddenWords(checker) => checker.check(response),
            Checker::LetterFrequency(checker) => checker.check(response),
            Checker::ResponseLanguage(checker) => checker.check(response),
            Checker::NumberOfSentences(checker) => checker.check(response),
            Checker::NumberOfParagraphs(checker) => checker.check(response),
            Checker::NumberOfWords(checker) => checker.check(response),
            Checker::NthParagraphFirstWord(checker) => checker.check(response),
            Checker::NumberOfPlaceholders(checker) => checker.check(response),
            Checker::Postscript(checker) => checker.check(response),
            Checker::NumberOfBulletLists(checker) => checker.check(response),
            Checker::ConstrainedResponse => format::is_constrained_response(response),
            Checker::NumberOfHighlightedSections(checker) => checker.check(response),
            Checker::MultipleSections(checker) => checker.check(response),
            Checker::JsonFormat => format::is_json(response),
            Checker::Title => format::has_title(response),
            Checker::TwoResponses => combination::has_two_responses(response),
            Checker::RepeatPrompt(checker) => checker.check(response),
            Checker::EndChecker(checker) => checker.check(response),
            Checker::CapitalWordFrequency(checker) => checker.check(response),
            Checker::EnglishCapital => case::is_english_capital(response),
            Checker::EnglishLowercase => case::is_english_lowercase(response),
            Checker::NoComma => punctuation::has_no_comma(response),
            Checker::Quotation => startend::is_quoted(response),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    pub(crate) fn instruction(id: &str, kwargs: Value) -> Instruction {
        let kwargs = match kwargs {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Instruction {
            id: id.to_string(),
            kwargs,
        }
    }

    #[test]
    fn every_id_parses_with_valid_arguments() {
        let kwargs = |id: &str| match id {
            "keywords:existence" => json!({"keywords": ["a"]}),
            "keywords:frequency" => json!({"keyword": "a", "frequency": 2, "relation": "at least"}),
            "keywords:forbidden_words" => json!({"forbidden_words": ["a"]}),
            "keywords:letter_frequency" => {
                json!({"letter": "a", "let_frequency": 2, "let_relation": "less than"})
            }
            "language:response_language" => json!({"language": "en"}),
            "length_constraints:number_sentences" => {
                json!({"num_sentences": 2, "relation": "at least"})
            }
            "length_constraints:number_paragraphs" => json!({"num_paragraphs": 2}),
            "length_constraints:number_words" => json!({"num_words": 2, "relation": "at least"}),
            "length_constraints:nth_paragraph_first_word" => {
                json!({"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "a"})
            }
            "detectable_content:number_placeholders" => json!({"num_placeholders": 2}),
            "detectable_content:postscript" => json!({"postscript_marker": "P.S."}),
            "detectable_format:number_bullet_lists" => json!({"num_bullets": 2}),
            "detectable_format:number_highlighted_sections" => json!({"num_highlights": 2}),
            "detectable_format:multiple_sections" => {
                json!({"section_spliter": "Section", "num_sections": 2})
            }
            "combination:repeat_prompt" => json!({"prompt_to_repeat": "Say hi."}),
            "startend:end_checker" => json!({"end_phrase": "Bye."}),
            "change_case:capital_word_frequency" => {
                json!({"capital_frequency": 2, "capital_relation": "at least"})
            }
            _ => json!({}),
        };
        for id in INSTRUCTION_IDS {
            let parsed = Checker::parse(&instruction(id, kwargs(id)));
            assert!(parsed.is_ok(), "{id}: {parsed:?}");
        }
    }

    #[test]
    fn unknown_ids_and_unexpected_arguments_are_errors() {
        let unknown = Checker::parse(&instruction("keywords:key_sentences", json!({})));
        let Err(IfevalError::UnknownInstruction { id, known }) = unknown else {
            panic!("expected an unknown-instruction error, got {unknown:?}");
        };
        assert_eq!(id, "keywords:key_sentences");
        assert!(known.contains("punctuation:no_comma"));
        // The Hugging Face copy of the dataset has every key, null where unused: that is fine.
        let nulls = json!({"num_words": null, "prompt_to_repeat": null, "language": null});
        assert!(Checker::parse(&instruction("punctuation:no_comma", nulls)).is_ok());
        let extra = Checker::parse(&instruction(
            "punctuation:no_comma",
            json!({"num_words": 3}),
        ));
        assert!(matches!(extra, Err(IfevalError::Arguments { .. })));
    }
}
