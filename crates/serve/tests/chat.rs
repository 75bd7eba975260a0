//! `/v1/chat/completions` of a real server over the real Qwen model: the model's own chat
//! template, then the same generation as a completion of the rendered prompt.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};
use yardstick_backend::{Backend, ChatMessage};

fn conversation() -> Value {
    json!([
        { "role": "system", "content": "You are a terse assistant." },
        { "role": "user", "content": "Name the capital of France." },
    ])
}

fn chat_messages() -> Vec<ChatMessage> {
    vec![
        ChatMessage {
            role: "system".into(),
            content: "You are a terse assistant.".into(),
        },
        ChatMessage {
            role: "user".into(),
            content: "Name the capital of France.".into(),
        },
    ]
}

#[tokio::test]
async fn a_begun_answer_is_continued_as_the_endpoint_backend_asks() {
    let Some(server) = common::qwen().await else {
        return;
    };
    let mut messages = chat_messages();
    messages.push(yardstick_backend::ChatMessage {
        role: "assistant".into(),
        content: "The capital of France is".into(),
    });
    // What `eval --endpoint --apply-chat-template` sends for a task with a gen_prefix.
    let endpoint = yardstick_backend_openai::Endpoint::new(
        server.base_url.clone(),
        "qwen",
        yardstick_backend_openai::Api::ChatCompletions,
    );
    let (backend, _) = yardstick_backend_openai::connect(endpoint)
        .await
        .expect("connected");
    let through_server = backend
        .generate_chat(&messages, common::greedy("", 8, &[]))
        .await
        .expect("a generation");
    let prompt = server
        .backend
        .apply_chat_template(&messages, yardstick_backend::ChatEnd::ContinueFinalMessage)
        .await
        .expect("a template");
    assert!(prompt.ends_with("The capital of France is"), "{prompt:?}");
    let in_process = server
        .backend
        .generate(common::greedy(&prompt, 8, &[]))
        .await
        .expect("generation");
    assert_eq!(through_server.text, in_process.text);
    assert!(in_process.text.contains("Paris"), "{:?}", in_process.text);
}

#[tokio::test]
async fn chat_answers_the_completion_of_the_template_rendered_prompt() {
    let Some(server) = common::qwen().await else {
        return;
    };
    let body = json!({ "model": "qwen", "messages": conversation(), "max_tokens": 12 });
    let (status, answer) = server.post("chat/completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["object"], "chat.completion");
    let choice = &answer["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    let content = choice["message"]["content"].as_str().expect("content");
    assert!(content.contains("Paris"), "{content}");

    let prompt = server
        .backend
        .apply_chat_template(
            &chat_messages(),
            yardstick_backend::ChatEnd::GenerationPrompt,
        )
        .await
        .expect("a template");
    let (_, completion) = server
        .post(
            "completions",
            &json!({ "model": "qwen", "prompt": prompt, "max_tokens": 12 }),
        )
        .await;
    assert_eq!(common::texts(&completion), [content]);
    let generation = server
        .backend
        .generate(common::greedy(&prompt, 12, &[]))
        .await
        .expect("generation");
    assert_eq!(generation.text, content);
    assert_eq!(answer["usage"]["prompt_tokens"], generation.prompt_tokens);
    assert_eq!(
        answer["usage"]["completion_tokens"],
        generation.completion_tokens
    );
    let expected_reason = match generation.finish_reason {
        yardstick_backend::FinishReason::Length => "length",
        _ => "stop",
    };
    assert_eq!(choice["finish_reason"], expected_reason);
}

#[tokio::test]
async fn chat_streams_role_content_finish_and_usage_with_logprobs() {
    let Some(server) = common::qwen().await else {
        return;
    };
    // No max_tokens: the rest of the context; the model ends its answer itself.
    let body = json!({
        "model": "qwen", "messages": conversation(), "logprobs": true, "top_logprobs": 2,
    });
    let (status, answer) = server.post("chat/completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    let content = &answer["choices"][0]["logprobs"]["content"];
    let entries = content.as_array().expect("entries");
    assert_eq!(
        entries.len() as u64,
        answer["usage"]["completion_tokens"]
            .as_u64()
            .expect("a count")
    );
    for entry in entries {
        let top = entry["top_logprobs"].as_array().expect("alternatives");
        assert_eq!(top.len(), 2);
        assert_eq!(
            top[0]["token"], entry["token"],
            "greedy takes the top token"
        );
        assert_eq!(top[0]["logprob"], entry["logprob"]);
        assert!(entry["bytes"].is_array());
    }
    let joined: String = entries
        .iter()
        .map(|entry| entry["token"].as_str().expect("a token"))
        .collect();
    let text = answer["choices"][0]["message"]["content"]
        .as_str()
        .expect("content");
    assert_eq!(joined, text);

    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    streaming["stream_options"] = json!({ "include_usage": true });
    let chunks = server.stream("chat/completions", &streaming).await;
    assert!(chunks
        .iter()
        .all(|chunk| chunk["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let usage = chunks.last().expect("a usage chunk");
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], answer["usage"]);
    let deltas = &chunks[1..chunks.len() - 1];
    let streamed: String = deltas
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(streamed, text);
    let streamed_entries: Vec<&Value> = deltas
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["logprobs"]["content"].as_array())
        .flatten()
        .collect();
    assert_eq!(streamed_entries, entries.iter().collect::<Vec<_>>());
    let finish = deltas.last().expect("a finish chunk");
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn chat_refuses_bad_messages_and_unknown_models() {
    let Some(server) = common::qwen().await else {
        return;
    };
    let (status, answer) = server
        .post(
            "chat/completions",
            &json!({ "model": "qwen", "messages": [{ "role": "user", "content": 5 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["param"], "messages[0].content");
    let (status, answer) = server
        .post(
            "chat/completions",
            &json!({ "model": "gemma", "messages": conversation() }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(answer["error"]["message"]
        .as_str()
        .is_some_and(|message| message.contains("serves `qwen`")));
}
