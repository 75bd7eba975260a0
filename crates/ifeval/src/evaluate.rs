//! Strict and loose verdicts for a response, as lm-eval's ifeval `utils.py` computes them in
//! `test_instruction_following_strict` and `test_instruction_following_loose`.
//!
//! Strict: each instruction is checked on the response as it is. Loose: an instruction is
//! followed if any of eight forms of the response passes: as it is, with every `*` removed,
//! without its first line, without its last line, without both, and those three with `*`
//! removed (the line-dropped forms are stripped). In both, a form that is empty or only
//! whitespace follows nothing.
//!
//! `utils.py` passes the prompt to a checker only when its arguments include `prompt`, which
//! none of the 25 do (`repeat_prompt` takes its text from the `prompt_to_repeat` argument), so
//! the prompt does not change any verdict.

use crate::checkers::Checker;
use crate::python_str::strip;
use crate::{IfevalError, Instruction, Verdicts};

/// Whether `response` follows each instruction, strict and loose, as lm-eval's ifeval
/// `test_instruction_following_strict` / `_loose` decide it.
///
/// Arguments with null (or other falsy) values are dropped first, as lm-eval does; an unknown
/// instruction id, or arguments for which the reference would draw random values or raise,
/// are an error, before any checking.
pub fn evaluate(
    prompt: &str,
    instructions: &[Instruction],
    response: &str,
) -> Result<Verdicts, IfevalError> {
    // No checker takes the prompt (see the module documentation).
    let _ = prompt;
    let checkers = instructions
        .iter()
        .map(Checker::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let forms = loose_forms(response);
    let follows = |checker: &Checker, form: &str| !strip(form).is_empty() && checker.check(form);
    Ok(Verdicts {
        strict: checkers
            .iter()
            .map(|checker| follows(checker, response))
            .collect(),
        loose: checkers
            .iter()
            .map(|checker| forms.iter().any(|form| follows(checker, form)))
            .collect(),
    })
}

/// The eight forms of the loose evaluation, in the reference's order: as is, `*` removed,
/// first line dropped, last line dropped, both dropped, and those three with `*` removed.
fn loose_forms(response: &str) -> [String; 8] {
    let lines: Vec<&str> = response.split('\n').collect();
    let without_first = strip(&lines[1..].join("\n")).to_string();
    let without_last = strip(&lines[..lines.len() - 1].join("\n")).to_string();
    let without_both = if lines.len() > 2 {
        strip(&lines[1..lines.len() - 1].join("\n")).to_string()
    } else {
        String::new()
    };
    let unstarred = |text: &str| text.replace('*', "");
    let unstarred_without_first = unstarred(&without_first);
    let unstarred_without_last = unstarred(&without_last);
    let unstarred_without_both = unstarred(&without_both);
    [
        response.to_string(),
        unstarred(response),
        without_first,
        without_last,
        without_both,
        unstarred_without_first,
        unstarred_without_last,
        unstarred_without_both,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn instruction(id: &str, kwargs: Value) -> Instruction {
        let Value::Object(kwargs) = kwargs else {
            panic!("kwargs must be an object");
        };
        Instruction {
            id: id.to_string(),
            kwargs,
        }
    }

    #[test]
    fn loose_forms_in_the_reference_order() {
        let forms = loose_forms("Sure:\n*Yes* it is\nBye");
        assert_eq!(
            forms,
            [
                "Sure:\n*Yes* it is\nBye",
                "Sure:\nYes it is\nBye",
                "*Yes* it is\nBye",
                "Sure:\n*Yes* it is",
                "*Yes* it is",
                "Yes it is\nBye",
                "Sure:\nYes it is",
                "Yes it is",
            ]
        );
        let one_line = loose_forms("  just one *line* ");
        assert_eq!(one_line[2], "");
        assert_eq!(one_line[3], "");
        assert_eq!(one_line[4], "");
    }

    #[test]
    fn loose_accepts_a_response_whose_first_line_breaks_the_rule() {
        let instructions = [instruction("punctuation:no_comma", json!({}))];
        let verdicts = evaluate("p", &instructions, "Sure, here it is:\nNo commas here.")
            .expect("valid instructions");
        assert_eq!(verdicts.strict, [false]);
        assert_eq!(verdicts.loose, [true]);
    }

    #[test]
    fn a_blank_response_follows_nothing() {
        let instructions = [
            instruction("punctuation:no_comma", json!({})),
            instruction(
                "keywords:forbidden_words",
                json!({"forbidden_words": ["x"]}),
            ),
        ];
        for response in ["", " \n\t "] {
            let verdicts = evaluate("p", &instructions, response).expect("valid instructions");
            assert_eq!(verdicts.strict, [false, false]);
            assert_eq!(verdicts.loose, [false, false]);
        }
    }

    #[test]
    fn removing_asterisks_can_rescue_a_loose_verdict() {
        let instructions = [instruction("startend:quotation", json!({}))];
        let verdicts = evaluate("p", &instructions, "**\"Quoted\"**").expect("valid instructions");
        assert_eq!(verdicts.strict, [false]);
        assert_eq!(verdicts.loose, [true]);
    }

    #[test]
    fn errors_come_before_any_checking() {
        let instructions = [
            instruction("punctuation:no_comma", json!({})),
            instruction(
                "keywords:frequency",
                json!({"keyword": "a", "relation": "at least"}),
            ),
        ];
        let error = evaluate("p", &instructions, "text").expect_err("frequency is missing");
        assert!(
            matches!(error, IfevalError::Arguments { ref id, .. } if id == "keywords:frequency")
        );
    }
}
