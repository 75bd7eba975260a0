//! A text longer than the context scored through `yardstick serve`: the endpoint backend
//! tokenizes it with `/tokenize`, splits it into lm-eval's rolling windows and sends each as
//! a token-id prompt with echo.

mod common;

use reqwest::StatusCode;
use serde_json::json;
use yardstick_backend::Backend;
use yardstick_backend_llamacpp::PromptInput;
use yardstick_backend_openai::{Api, Endpoint, Support};

/// About 1,540 Gemma tokens of ordinary prose: longer than the test server's 1,024.
fn long_text() -> String {
    let sentences = [
        "The river rose slowly through the night, and by morning the lower fields were under water.",
        "Farmers moved their animals to the ridge, where the old stone barn still stood.",
        "Nobody in the village could remember a flood like it, though the records spoke of one a century before.",
        "By noon the rain had stopped, and the first boats went out to see what could be saved.",
    ];
    (0..40)
        .map(|round| format!("{} {}", sentences[round % 4], sentences[(round + 1) % 4]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_text_longer_than_the_context_is_scored_in_rolling_windows_of_token_ids() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let text = long_text();

    // vLLM's /tokenize shape, the engine's own tokens.
    let (status, answer) = server
        .post_root(
            "tokenize",
            &json!({"model": "gemma", "prompt": text, "add_special_tokens": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let tokens = server.backend.tokenize(&text, false).await.expect("tokens");
    assert_eq!(answer["tokens"], json!(tokens));
    assert_eq!(answer["count"], tokens.len());
    assert_eq!(answer["max_model_len"], 1024);
    assert!(tokens.len() > 1024, "{} tokens", tokens.len());
    let (status, answer) = server
        .post_root("detokenize", &json!({"tokens": tokens[..5]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(text.starts_with(answer["prompt"].as_str().expect("text")));
    let (status, answer) = server.post_root("tokenize", &json!({"prompt": 3})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    let endpoint = Endpoint::new(server.base_url.clone(), "gemma", Api::Completions);
    let (backend, probe) = yardstick_backend_openai::connect(endpoint)
        .await
        .expect("connected");
    assert_eq!(
        probe.tokenizer.support,
        Support::Yes,
        "{:?}",
        probe.tokenizer
    );
    let score = backend
        .loglikelihood_rolling(&text)
        .await
        .expect("a rolling score");

    // What the windows are: lm-eval's, each scored by the engine alone.
    let bos = server.backend.tokenize("", true).await.expect("BOS")[0];
    let windows = yardstick_backend::rolling_windows(&tokens, bos, 1024);
    assert_eq!(windows.len(), 2);
    let mut expected = 0.0;
    for window in &windows {
        let ids: Vec<u32> = window
            .context
            .iter()
            .chain(&window.continuation)
            .copied()
            .collect();
        let echoed = server
            .backend
            .prompt_logprobs_of(PromptInput::Tokens(ids), 0)
            .await
            .expect("logprobs");
        for token in &echoed.tokens[window.context.len()..] {
            expected += token.logprob.expect("a logprob");
        }
    }
    assert_eq!(score.windows, 2);
    assert_eq!(score.tokens as usize, tokens.len());
    assert_eq!(score.loglikelihood, expected);
    // Near the first window's single-prompt score per token: a sanity bound on the sum.
    let per_token = score.loglikelihood / tokens.len() as f64;
    assert!(
        (-6.0..-0.1).contains(&per_token),
        "{per_token} nats per token"
    );
}
