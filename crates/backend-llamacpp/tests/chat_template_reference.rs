//! The bundled Qwen model's chat template rendered in-process, compared byte for byte with
//! Hugging Face transformers' rendering of the same GGUF template
//! (`fixtures/chat_template/`, made once by `make_fixture.py`; provenance inside).

mod common;

use serde_json::Value;
use yardstick_backend::{Backend, ChatEnd, ChatMessage};

const FIXTURE: &str = include_str!("fixtures/chat_template/qwen2.5-coder-0.5b-instruct.json");

fn cases() -> Vec<(String, Vec<ChatMessage>, ChatEnd, String)> {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    cases
        .iter()
        .map(|case| {
            let messages = case["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|message| ChatMessage {
                    role: message["role"].as_str().expect("role").to_string(),
                    content: message["content"].as_str().expect("content").to_string(),
                })
                .collect();
            (
                case["name"].as_str().expect("name").to_string(),
                messages,
                if case["continue_final_message"] == true {
                    ChatEnd::ContinueFinalMessage
                } else {
                    ChatEnd::GenerationPrompt
                },
                case["rendered"].as_str().expect("rendered").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn qwen_template_renders_exactly_as_transformers_does() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    for (name, messages, end, expected) in cases() {
        let rendered = backend
            .apply_chat_template(&messages, end)
            .await
            .expect("renders");
        assert_eq!(rendered, expected, "{name}");
    }
}
