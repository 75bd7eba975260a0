//! Assembling the prompt context from its parts, as lm-eval's `fewshot_context` and
//! `build_qa_turn` do for plain-text (non-chat) prompts:
//!
//! ```text
//! [system instruction + fewshot_delimiter +] description
//! { question + target_delimiter + answer + fewshot_delimiter }   (each few-shot example)
//! question [+ target_delimiter + gen_prefix]
//! ```
//!
//! Delimiters around `gen_prefix` and the system instruction are only inserted when neither
//! side already has whitespace at the join (lm-eval's `maybe_delimit` / `requires_delimiter`).

use crate::python;

/// One solved example placed before the question (few-shot prompting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FewshotTurn {
    pub question: String,
    /// The answer text (the gold choice for multiple-choice tasks).
    pub answer: String,
    pub gen_prefix: Option<String>,
    pub target_delimiter: String,
    pub fewshot_delimiter: String,
}

/// Everything the context of one item is made of.
#[derive(Debug, Clone, Copy)]
pub struct ContextParts<'a> {
    pub system_instruction: Option<&'a str>,
    /// The task's rendered `description`.
    pub description: &'a str,
    pub fewshot: &'a [FewshotTurn],
    /// The rendered `doc_to_text` of the item.
    pub question: &'a str,
    pub gen_prefix: Option<&'a str>,
    pub target_delimiter: &'a str,
    pub fewshot_delimiter: &'a str,
}

/// lm-eval's `requires_delimiter`: neither side has whitespace at the join.
fn requires_delimiter(prefix: &str, suffix: &str) -> bool {
    match (prefix.chars().last(), suffix.chars().next()) {
        (None, _) => false,
        (Some(last), first) => !(python::is_space(last) || first.is_some_and(python::is_space)),
    }
}

/// lm-eval's `maybe_delimit`: joins with `delimiter` unless one side is empty or has
/// whitespace at the join.
fn maybe_delimit(prefix: Option<&str>, suffix: &str, delimiter: &str) -> String {
    match prefix {
        None | Some("") => suffix.to_string(),
        Some(prefix) if suffix.is_empty() => prefix.to_string(),
        Some(prefix) if requires_delimiter(prefix, suffix) => {
            format!("{prefix}{delimiter}{suffix}")
        }
        Some(prefix) => format!("{prefix}{suffix}"),
    }
}

/// The full plain-text context of one item.
pub fn build_context(parts: &ContextParts<'_>) -> String {
    let mut context = maybe_delimit(
        parts.system_instruction,
        parts.description,
        parts.fewshot_delimiter,
    );
    for turn in parts.fewshot {
        context.push_str(&turn.question);
        match turn.gen_prefix.as_deref() {
            None | Some("") => context.push_str(&turn.target_delimiter),
            Some(prefix) if requires_delimiter(&turn.question, prefix) => {
                context.push_str(&turn.target_delimiter)
            }
            Some(_) => {}
        }
        context.push_str(&maybe_delimit(
            turn.gen_prefix.as_deref(),
            &turn.answer,
            " ",
        ));
        context.push_str(&turn.fewshot_delimiter);
    }
    context.push_str(parts.question);
    if let Some(prefix) = parts.gen_prefix.filter(|prefix| !prefix.is_empty()) {
        if requires_delimiter(parts.question, prefix) {
            context.push_str(parts.target_delimiter);
        }
        context.push_str(prefix);
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(question: &'a str, fewshot: &'a [FewshotTurn]) -> ContextParts<'a> {
        ContextParts {
            system_instruction: None,
            description: "Desc.\n\n",
            fewshot,
            question,
            gen_prefix: None,
            target_delimiter: " ",
            fewshot_delimiter: "\n\n",
        }
    }

    #[test]
    fn description_then_question() {
        assert_eq!(
            build_context(&parts("Q?\nAnswer:", &[])),
            "Desc.\n\nQ?\nAnswer:"
        );
    }

    #[test]
    fn fewshot_turns_and_gen_prefix() {
        let turn = FewshotTurn {
            question: "Q1".into(),
            answer: "A1".into(),
            gen_prefix: None,
            target_delimiter: " ".into(),
            fewshot_delimiter: "\n\n".into(),
        };
        let turns = [turn.clone()];
        let mut with_prefix = parts("Q2", &turns);
        with_prefix.gen_prefix = Some("Answer:");
        with_prefix.system_instruction = Some("Be brief.");
        // system + "\n\n" + description (no whitespace at the join), Q1 A1, Q2 + " " + prefix.
        assert_eq!(
            build_context(&with_prefix),
            "Be brief.\n\nDesc.\n\nQ1 A1\n\nQ2 Answer:"
        );
        let prefixed_turn = FewshotTurn {
            gen_prefix: Some("So".into()),
            ..turn
        };
        let turns = [prefixed_turn];
        assert_eq!(
            build_context(&parts("Q2\n", &turns)),
            "Desc.\n\nQ1 So A1\n\nQ2\n"
        );
    }
}
