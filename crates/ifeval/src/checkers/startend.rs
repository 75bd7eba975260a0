//! `startend:*`: the response ends with a phrase (`end_checker`) or is wrapped in double
//! quotes (`quotation`). Reference: `EndChecker` and `QuotationChecker` in lm-eval's ifeval
//! `instructions.py`.

use super::arguments::Arguments;
use crate::python_str::strip;
use crate::IfevalError;

/// The response, stripped of whitespace then of double quotes and lowercased, ends with the
/// stripped, lowercased phrase.
#[derive(Debug)]
pub(crate) struct EndChecker {
    end_phrase: String,
}

impl EndChecker {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let phrase = arguments.string("end_phrase")?;
        Ok(EndChecker {
            end_phrase: strip(phrase).to_lowercase(),
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        strip(response)
            .trim_matches('"')
            .to_lowercase()
            .ends_with(&self.end_phrase)
    }
}

/// The stripped response is at least two characters long and starts and ends with `"`.
pub(crate) fn is_quoted(response: &str) -> bool {
    let response = strip(response);
    response.chars().count() > 1 && response.starts_with('"') && response.ends_with('"')
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use super::is_quoted;
    use serde_json::json;

    #[test]
    fn end_phrase_ignores_case_whitespace_and_quotes() {
        let end = Checker::parse(&instruction(
            "startend:end_checker",
            json!({"end_phrase": "Any other questions? "}),
        ))
        .expect("valid arguments");
        assert!(end.check("Text.\nany other QUESTIONS?\n"));
        assert!(end.check("\"Text. Any other questions?\""));
        assert!(!end.check("Any other questions? Thanks."));
        assert!(!end.check("Any other questions"));
    }

    #[test]
    fn quotation_needs_two_characters() {
        assert!(is_quoted(" \"Hello\" \n"));
        assert!(is_quoted("\"\""));
        assert!(!is_quoted("\""));
        assert!(!is_quoted("\"Hello\" world"));
        assert!(!is_quoted("“Hello”"));
    }
}
