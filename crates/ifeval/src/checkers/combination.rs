//! `combination:*`: two different responses separated by `******` (`two_responses`), and the
//! request repeated word for word before the answer (`repeat_prompt`). Reference:
//! `TwoResponsesChecker` and `RepeatPromptThenAnswer` in lm-eval's ifeval `instructions.py`.

use super::arguments::Arguments;
use crate::python_str::strip;
use crate::IfevalError;

/// Split on `******`: exactly two non-blank pieces that differ once stripped; a blank piece
/// is allowed only first or last.
pub(crate) fn has_two_responses(response: &str) -> bool {
    let pieces: Vec<&str> = response.split("******").collect();
    let last = pieces.len() - 1;
    let mut answers = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        if strip(piece).is_empty() {
            if index != 0 && index != last {
                return false;
            }
        } else {
            answers.push(strip(piece));
        }
    }
    matches!(answers.as_slice(), [first, second] if first != second)
}

/// The stripped, lowercased response starts with the stripped, lowercased prompt to repeat.
#[derive(Debug)]
pub(crate) struct RepeatPrompt {
    prompt_to_repeat: String,
}

impl RepeatPrompt {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let prompt = arguments.string("prompt_to_repeat")?;
        Ok(RepeatPrompt {
            prompt_to_repeat: strip(prompt).to_lowercase(),
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        strip(response)
            .to_lowercase()
            .starts_with(&self.prompt_to_repeat)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use super::has_two_responses;
    use serde_json::json;

    #[test]
    fn two_different_responses() {
        assert!(has_two_responses("First.\n******\nSecond."));
        assert!(has_two_responses("******First.******Second.******"));
        assert!(!has_two_responses("Same.\n******\n Same. "));
        assert!(!has_two_responses("One.******\n******Two."));
        assert!(!has_two_responses("One.******Two.******Three."));
        assert!(!has_two_responses("Only one."));
        // Seven asterisks: the seventh stays with the second response.
        assert!(has_two_responses("One.*******Two."));
    }

    #[test]
    fn repeat_prompt_ignores_case_and_outer_whitespace() {
        let repeat = Checker::parse(&instruction(
            "combination:repeat_prompt",
            json!({"prompt_to_repeat": " Write a poem. "}),
        ))
        .expect("valid arguments");
        assert!(repeat.check("\nWRITE A POEM. Roses are red."));
        assert!(!repeat.check("Sure! Write a poem. Roses are red."));
        let missing = Checker::parse(&instruction(
            "combination:repeat_prompt",
            json!({"prompt_to_repeat": ""}),
        ));
        assert!(missing.is_err());
    }
}
