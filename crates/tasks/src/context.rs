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

/// One message of a prompt, as lm-eval's `Message`: rendered as plain text it is
/// `content + delimiter`; for a chat template only role and content count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    pub delimiter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A chat-template message (role and content).
pub type ChatTurn = yardstick_backend::ChatMessage;

fn message(role: Role, content: impl Into<String>, delimiter: impl Into<String>) -> Message {
    Message {
        role,
        content: content.into(),
        delimiter: delimiter.into(),
    }
}

/// lm-eval's `build_qa_turn`: the user message, then the answer (a few-shot example) or the
/// `gen_prefix` as an assistant message.
fn qa_turn(
    question: &str,
    answer: Option<&str>,
    gen_prefix: Option<&str>,
    target_delimiter: &str,
    fewshot_delimiter: &str,
) -> Vec<Message> {
    let gen_prefix = gen_prefix.filter(|prefix| !prefix.is_empty());
    let has_answer = answer.is_some_and(|answer| !answer.is_empty());
    let user_delimiter = match gen_prefix {
        None if has_answer => target_delimiter,
        Some(prefix) if requires_delimiter(question, prefix) => target_delimiter,
        _ => "",
    };
    let mut messages = vec![message(Role::User, question, user_delimiter)];
    match (answer.filter(|_| has_answer), gen_prefix) {
        (Some(answer), prefix) => messages.push(message(
            Role::Assistant,
            maybe_delimit(prefix, answer, " "),
            fewshot_delimiter,
        )),
        (None, Some(prefix)) => messages.push(message(Role::Assistant, prefix, "")),
        (None, None) => {}
    }
    messages
}

/// The messages of one item's prompt, as lm-eval's `fewshot_context` builds them.
pub fn build_messages(parts: &ContextParts<'_>) -> Vec<Message> {
    let mut messages = Vec::new();
    let system = maybe_delimit(
        parts.system_instruction,
        parts.description,
        parts.fewshot_delimiter,
    );
    if !system.is_empty() {
        messages.push(message(Role::System, system, ""));
    }
    for turn in parts.fewshot {
        messages.extend(qa_turn(
            &turn.question,
            Some(&turn.answer),
            turn.gen_prefix.as_deref(),
            &turn.target_delimiter,
            &turn.fewshot_delimiter,
        ));
    }
    messages.extend(qa_turn(
        parts.question,
        None,
        parts.gen_prefix,
        parts.target_delimiter,
        "",
    ));
    messages
}

/// The plain-text prompt: every message's content and delimiter, joined.
pub fn plain(messages: &[Message]) -> String {
    messages
        .iter()
        .map(|message| format!("{}{}", message.content, message.delimiter))
        .collect()
}

/// lm-eval's `--fewshot_as_multiturn`: every message its own turn (role and content, the
/// delimiters dropped), so few-shot examples are user/assistant exchanges.
pub fn multi_turn(messages: &[Message]) -> Vec<ChatTurn> {
    messages
        .iter()
        .map(|message| ChatTurn {
            role: message.role.as_str().to_string(),
            content: message.content.clone(),
        })
        .collect()
}

/// lm-eval's `multiturn_to_singleturn`: the system message, then everything else as one user
/// message (the last delimiter dropped), then a final assistant message (a `gen_prefix`).
pub fn single_turn(messages: &[Message]) -> Vec<ChatTurn> {
    let (system, rest) = match messages.split_first() {
        Some((first, rest)) if first.role == Role::System => (Some(first), rest),
        _ => (None, messages),
    };
    let turn = |role: Role, content: String| ChatTurn {
        role: role.as_str().to_string(),
        content,
    };
    let joined = |messages: &[Message]| -> String {
        let mut text = String::new();
        for (position, message) in messages.iter().enumerate() {
            text.push_str(&message.content);
            if position + 1 < messages.len() {
                text.push_str(&message.delimiter);
            }
        }
        text
    };
    let mut turns: Vec<ChatTurn> = system
        .map(|system| turn(Role::System, system.content.clone()))
        .into_iter()
        .collect();
    match rest.split_last() {
        Some((last, before)) if last.role == Role::Assistant => {
            turns.push(turn(Role::User, joined(before)));
            turns.push(turn(Role::Assistant, last.content.clone()));
        }
        _ => turns.push(turn(Role::User, joined(rest))),
    }
    turns
}

/// The full plain-text context of one item.
pub fn build_context(parts: &ContextParts<'_>) -> String {
    plain(&build_messages(parts))
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
