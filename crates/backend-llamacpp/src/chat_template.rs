//! Chat templates from GGUF metadata (`tokenizer.chat_template`), rendered the way Hugging
//! Face transformers renders them: Jinja with `trim_blocks` and `lstrip_blocks`, Python string
//! methods, `raise_exception`, and `bos_token` / `eos_token` in scope. llama.cpp's own
//! `llama_chat_apply_template` only recognises a fixed list of templates by heuristics and
//! drops template logic such as Qwen's default system message, so it is not used.

use minijinja::{context, Environment, Error, ErrorKind};
use yardstick_backend::{BackendError, ChatMessage};

const TEMPLATE_NAME: &str = "chat_template";

/// A parsed chat template with the special-token strings it may refer to.
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

    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, BackendError> {
        let failed = |error: Error| BackendError::Inference {
            what: format!(
                "rendering the model's chat template for {} messages",
                messages.len()
            ),
            reason: format!("{error:#}"),
        };
        let template = self
            .environment
            .get_template(TEMPLATE_NAME)
            .map_err(failed)?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(failed)
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
            .render(&[message("user", "  hi  ")], true)
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
            let rendered = template
                .render(&messages, case["add_generation_prompt"] == true)
                .expect("renders");
            assert_eq!(rendered, text(&case["rendered"]), "{}", case["name"]);
        }
    }

    #[test]
    fn raise_exception_and_parse_errors_are_reported() {
        let template = ChatTemplate::parse(
            "{{ raise_exception('roles must alternate') }}".to_string(),
            String::new(),
            String::new(),
        )
        .expect("parses");
        let error = template.render(&[], false).expect_err("raises");
        assert!(
            error.to_string().contains("roles must alternate"),
            "{error}"
        );

        let error = ChatTemplate::parse("{% if %}".into(), String::new(), String::new())
            .expect_err("does not parse");
        assert!(error.contains("does not parse"), "{error}");
    }
}
