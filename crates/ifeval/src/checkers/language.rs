//! `language:response_language`: the whole response is in the given language, as
//! `langdetect.detect` judges it; a response langdetect finds no features in counts as
//! followed. Reference: `ResponseLanguageChecker` in lm-eval's ifeval `instructions.py`;
//! detection in [`crate::language_detection`].

use super::arguments::Arguments;
use crate::language_detection::detect;
use crate::IfevalError;

/// The ISO 639-1 codes the reference accepts (`LANGUAGE_CODES` in `instructions_util.py`);
/// with any other, its `build_description` fails looking up the language's name.
const LANGUAGE_CODES: [&str; 30] = [
    "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta", "te",
    "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi",
];

/// The language the response must be in.
#[derive(Debug)]
pub(crate) struct ResponseLanguage {
    language: String,
}

impl ResponseLanguage {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let language = arguments.string("language")?;
        if !LANGUAGE_CODES.contains(&language) {
            return Err(arguments.error(format!(
                "`language` is \"{language}\", not one of {}",
                LANGUAGE_CODES.join(", ")
            )));
        }
        Ok(ResponseLanguage {
            language: language.to_string(),
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        detect(response).is_none_or(|detected| detected == self.language)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use serde_json::json;

    #[test]
    fn compares_the_detected_language() {
        let german = Checker::parse(&instruction(
            "language:response_language",
            json!({"language": "de"}),
        ))
        .expect("valid arguments");
        assert!(german.check("Der schnelle braune Fuchs springt über den faulen Hund."));
        assert!(!german.check("The quick brown fox jumps over the lazy dog."));
        // Nothing to detect: the reference counts the instruction as followed.
        assert!(german.check("1234 5678 !!!"));
        let klingon = Checker::parse(&instruction(
            "language:response_language",
            json!({"language": "tlh"}),
        ));
        assert!(klingon.is_err());
    }
}
