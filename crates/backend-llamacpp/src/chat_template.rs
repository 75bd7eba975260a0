//! Chat templates from GGUF metadata (`tokenizer.chat_template`), rendered the way Hugging
//! Face transformers renders them: Jinja with `trim_blocks` and `lstrip_blocks`, Python string
//! methods, `raise_exception`, and `bos_token` / `eos_token` in scope. llama.cpp's own
//! `llama_chat_apply_template` only recognises a fixed list of templates by heuristics and
//! drops template logic such as Qwen's default system message, so it is not used.

use minijinja::{context, Environment, Error, ErrorKind};
use yardstick_backend::{BackendError, ChatEnd, ChatMessage};

const TEMPLATE_NAME: &str = "chat_template";

/// A parsed chat template with the special-token strings it may refer to.
/// What transformers appends to a message to find where it ends once rendered.
const CONTINUE_TAG: &str = "CONTINUE_FINAL_MESSAGE_TAG ";

#[derive(Debug)]
pub(crate) struct ChatTemplate {
    environment: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// Parses `source`; the error says why it cannot be used.
    pub fn parse(source: String, bos_token: String, eos_token: String) -> Result<Self, String> {
        let mut environment = Environment::new();
        environment.set_trim_blocks(true);
        environment.set_lstrip_blocks(true);
        environment
            .set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        environment.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        environment
            .add_template_owned(TEMPLATE_NAME, source)
            .map_err(|error| format!("the chat template does not parse: {error:#}"))?;
        Ok(ChatTemplate {
            environment,
            bos_token,
            eos_token,
        })
    }

    /// Renders `messages`. To continue the final message, transformers' way: a tag is
    /// appended to its content, the conversation rendered without a generation prompt, and
    /// the text cut where the tag starts (also dropping the whitespace before it when the
    /// template trimmed the tag's own trailing space).
    pub fn render(&self, messages: &[ChatMessage], end: ChatEnd) -> Result<String, BackendError> {
        let what = format!(
            "rendering the model's chat template for {} messages",
            messages.len()
        );
        let failed = |error: Error| BackendError::Inference {
            what: what.clone(),
            reason: format!("{error:#}"),
        };
        let template = self
            .environment
            .get_template(TEMPLATE_NAME)
            .map_err(failed)?;
        let render = |messages: &[ChatMessage], add_generation_prompt: bool| {
            template
                .render(context! {
                    messages => messages,
                    add_generation_prompt => add_generation_prompt,
                    bos_token => &self.bos_token,
                    eos_token => &self.eos_token,
                })
                .map_err(failed)
        };
        match end {
            ChatEnd::GenerationPrompt => render(messages, true),
            ChatEnd::ContinueFinalMessage => {
                let mut tagged = messages.to_vec();
                let Some(last) = tagged.last_mut() else {
                    return Err(BackendError::Inference {
                        what,
                        reason: "there is no final message to continue".to_string(),
                    });
                };
                let content = last.content.clone();
                last.content.push_str(CONTINUE_TAG);
                let rendered = render(&tagged, false)?;
                let tag = CONTINUE_TAG.trim();
                match rendered.rfind(tag) {
                    Some(at) if rendered.contains(content.trim()) => {
                        if rendered[at..].starts_with(CONTINUE_TAG) {
                            Ok(rendered[..at].to_string())
                        } else {
                            Ok(rendered[..at].trim_end().to_string())
                        }
                    }
                    _ => Err(BackendError::Inference {
                        what,
                        reason: "the template drops part of the final message, so it cannot be \
                                 continued"
                            .to_string(),
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(role: &str, content: &str) -> ChatMessage {
        ChatMessage {
            role: role.to_string(),
            content: content.to_string(),
        }
    }

    #[test]
    fn renders_with_hugging_face_whitespace_rules_and_python_methods() {
        let source = "{{ bos_token }}{% for m in messages %}\n  {% if m.role == 'user' %}\n[{{ m.role.upper() }}] {{ m.content.strip() }}\n  {% endif %}\n{% endfor %}\n{% if add_generation_prompt %}>{% endif %}";
        let template =
            ChatTemplate::parse(source.to_string(), "<s>".into(), "</s>".into()).expect("parses");
        let rendered = template
            .render(&[message("user", "  hi  ")], ChatEnd::GenerationPrompt)
            .expect("renders");
        assert_eq!(rendered, "<s>[USER] hi\n>");
    }

    #[test]
    fn qwen_template_from_the_transformers_fixture_renders_byte_for_byte() {
        // The GGUF's template and transformers' renderings of it (see
        // tests/fixtures/chat_template/make_fixture.py); runs without the model file.
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/fixtures/chat_template/qwen2.5-coder-0.5b-instruct.json"
        ))
        .expect("the fixture is JSON");
        let text = |value: &serde_json::Value| value.as_str().expect("a string").to_string();
        let special = &fixture["provenance"]["special_tokens"];
        let template = ChatTemplate::parse(
            text(&fixture["chat_template"]),
            text(&special["bos_token"]),
            text(&special["eos_token"]),
        )
        .expect("parses");
        let cases = fixture["cases"].as_array().expect("cases");
        for case in cases {
            let messages: Vec<ChatMessage> = case["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|m| message(&text(&m["role"]), &text(&m["content"])))
                .collect();
            let end = if case["continue_final_message"] == true {
                assert_eq!(case["add_generation_prompt"], false);
                ChatEnd::ContinueFinalMessage
            } else {
                assert_eq!(case["add_generation_prompt"], true);
                ChatEnd::GenerationPrompt
            };
            let rendered = template.render(&messages, end).expect("renders");
            assert_eq!(rendered, text(&case["rendered"]), "{}", case["name"]);
        }
    }

    #[test]
    fn a_final_message_is_continued_where_its_content_ends() {
        // The content kept as is: cut where the tag starts.
        let kept = ChatTemplate::parse(
            "{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}"
                .to_string(),
            String::new(),
            String::new(),
        )
        .expect("parses");
        let messages = [message("user", "Q"), message("assistant", "The answer is ")];
        assert_eq!(
            kept.render(&messages, ChatEnd::ContinueFinalMessage)
                .expect("renders"),
            "<user>Q</user><assistant>The answer is "
        );
        // A template that strips contents: the tag's space is gone, so the text before it
        // is right-stripped too.
        let stripped = ChatTemplate::parse(
            "{% for m in messages %}[{{ m.content | trim }}]{% endfor %}".to_string(),
            String::new(),
            String::new(),
        )
        .expect("parses");
        assert_eq!(
            stripped
                .render(&messages, ChatEnd::ContinueFinalMessage)
                .expect("renders"),
            "[Q][The answer is"
        );
        // A template that drops the message cannot continue it.
        let dropping = ChatTemplate::parse(
            "{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% endif %}{% endfor %}"
                .to_string(),
            String::new(),
            String::new(),
        )
        .expect("parses");
        let error = dropping
            .render(&messages, ChatEnd::ContinueFinalMessage)
            .expect_err("dropped");
        assert!(error.to_string().contains("cannot be continued"), "{error}");
        assert!(kept.render(&[], ChatEnd::ContinueFinalMessage).is_err());
    }

    #[test]
    fn raise_exception_and_parse_errors_are_reported() {
        let template = ChatTemplate::parse(
            "{{ raise_exception('roles must alternate') }}".to_string(),
            String::new(),
            String::new(),
        )
        .expect("parses");
        let error = template
            .render(&[], ChatEnd::GenerationPrompt)
            .expect_err("raises");
        assert!(
            error.to_string().contains("roles must alternate"),
            "{error}"
        );

        let error = ChatTemplate::parse("{% if %}".into(), String::new(), String::new())
            .expect_err("does not parse");
        assert!(error.contains("does not parse"), "{error}");
    }
}
