//! Greedy generation against the real models: stop sequences, max_tokens, EOS, timings and
//! run-to-run identity.

mod common;

use std::time::Duration;

use yardstick_backend::{Backend, ChatMessage, FinishReason, GenerateRequest};

fn request(prompt: &str, max_tokens: u32, stop: &[&str]) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.to_string(),
        max_tokens,
        stop: stop.iter().map(|stop| stop.to_string()).collect(),
        ignore_eos: false,
        sampling: None,
    }
}

const PROMPT: &str = "The capital of France is";

#[tokio::test]
async fn generation_stops_at_max_tokens_and_repeats_exactly() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let first = backend
        .generate(request(PROMPT, 12, &[]))
        .await
        .expect("generation");
    let second = backend
        .generate(request(PROMPT, 12, &[]))
        .await
        .expect("generation");
    assert_eq!(first.finish_reason, FinishReason::Length);
    assert_eq!(first.completion_tokens, 12);
    assert_eq!(first.text, second.text);
    assert_eq!(first.completion_tokens, second.completion_tokens);
    assert!(first.text.contains("capital"), "{:?}", first.text);

    let shorter = backend
        .generate(request(PROMPT, 3, &[]))
        .await
        .expect("generation");
    assert_eq!(shorter.completion_tokens, 3);
    assert!(
        first.text.starts_with(&shorter.text),
        "{:?} vs {:?}",
        first.text,
        shorter.text
    );

    let prompt_tokens = backend.tokenize(PROMPT, true).await.expect("tokens");
    assert_eq!(first.prompt_tokens as usize, prompt_tokens.len());
    let timing = first.timing;
    assert!(timing.prefill > Duration::ZERO);
    assert!(timing.time_to_first_token >= timing.prefill);
    assert!(timing.decode > Duration::ZERO);
}

#[tokio::test]
async fn generation_stops_before_a_stop_sequence_spanning_tokens() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let free = backend
        .generate(request(PROMPT, 12, &[]))
        .await
        .expect("generation");
    // A stop string that starts inside one token and ends inside the next: the last letter
    // of the text's second word, the space, and the third word's first letter.
    let words: Vec<&str> = free.text.split(' ').collect();
    assert!(words.len() > 4, "{:?}", free.text);
    let stop = format!("{} {}", &words[2][words[2].len() - 1..], &words[3][..1]);
    let cut_at = free
        .text
        .find(&stop)
        .expect("the stop occurs in the free text");

    let stopped = backend
        .generate(request(PROMPT, 12, &[&stop, "never appears"]))
        .await
        .expect("generation");
    assert_eq!(stopped.finish_reason, FinishReason::Stop, "stop {stop:?}");
    assert_eq!(stopped.text, free.text[..cut_at], "stop {stop:?}");
    assert!(stopped.completion_tokens < free.completion_tokens);
}

#[tokio::test]
async fn chat_generation_ends_at_end_of_sequence_unless_ignored() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    let prompt = backend
        .apply_chat_template(
            &[ChatMessage {
                role: "user".to_string(),
                content: "Say hello.".to_string(),
            }],
            yardstick_backend::ChatEnd::GenerationPrompt,
        )
        .await
        .expect("template");
    let ended = backend
        .generate(request(&prompt, 64, &[]))
        .await
        .expect("generation");
    assert_eq!(
        ended.finish_reason,
        FinishReason::EndOfSequence,
        "{:?}",
        ended.text
    );
    assert!(ended.completion_tokens < 64);
    assert!(
        !ended.text.is_empty() && !ended.text.contains("<|im_end|>"),
        "{:?}",
        ended.text
    );
    // Special tokens in the rendered template were parsed, not spelled out.
    let prompt_tokens = backend.tokenize(&prompt, true).await.expect("tokens");
    assert_eq!(ended.prompt_tokens as usize, prompt_tokens.len());
    assert!(prompt_tokens.len() < 40, "{} tokens", prompt_tokens.len());

    let forced = backend
        .generate(GenerateRequest {
            ignore_eos: true,
            sampling: None,
            ..request(&prompt, ended.completion_tokens + 5, &[])
        })
        .await
        .expect("generation");
    assert_eq!(forced.finish_reason, FinishReason::Length);
    assert_eq!(forced.completion_tokens, ended.completion_tokens + 5);
    assert!(
        forced.text.starts_with(&ended.text),
        "{:?} vs {:?}",
        forced.text,
        ended.text
    );
}

#[tokio::test]
async fn zero_max_tokens_generates_nothing() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let tokens_before = backend.tokens_evaluated();
    let nothing = backend
        .generate(request(PROMPT, 0, &[]))
        .await
        .expect("generation");
    assert_eq!((nothing.text.as_str(), nothing.completion_tokens), ("", 0));
    assert_eq!(nothing.finish_reason, FinishReason::Length);
    assert_eq!(backend.tokens_evaluated(), tokens_before);
}
