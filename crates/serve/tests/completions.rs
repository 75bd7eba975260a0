//! `/v1/models` and `/v1/completions` of a real server over the real Gemma model, compared
//! with the engine's own answers; yardstick's probe against it.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};
use yardstick_backend::Backend;
use yardstick_backend_openai::{Api, Endpoint, Support};

const CONTEXT: &str = "Question: A student throws a ball into the air. While the ball travels up, the speed of the ball decreases. What force causes the ball to slow while traveling up?\nAnswer:";

#[tokio::test]
async fn models_are_listed_with_the_context_and_every_answer_names_the_server() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let response = server
        .client
        .get(server.url("models"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["server"], yardstick_serve::SERVER_HEADER);
    assert!(yardstick_serve::SERVER_HEADER.starts_with("yardstick/0."));
    let models: Value = response.json().await.expect("JSON");
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "gemma");
    assert_eq!(models["data"][0]["object"], "model");
    assert_eq!(models["data"][0]["owned_by"], "yardstick");
    assert_eq!(models["data"][0]["max_model_len"], 1024);

    let missing = server
        .client
        .get(server.url("nothing-here"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["server"], yardstick_serve::SERVER_HEADER);
    let error: Value = missing.json().await.expect("JSON");
    assert_eq!(error["error"]["code"], 404);
}

#[tokio::test]
async fn echoed_logprobs_are_the_engines_prompt_logprobs_and_sum_to_the_score() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let continuation = " gravity";
    let prompt = format!("{CONTEXT}{continuation}");
    let body = json!({
        "model": "gemma", "prompt": prompt, "echo": true, "logprobs": 1, "max_tokens": 0,
        "temperature": 0,
    });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["object"], "text_completion");
    let choice = &answer["choices"][0];
    assert_eq!(choice["text"], prompt.as_str());
    assert_eq!(choice["finish_reason"], "length");
    let logprobs = &choice["logprobs"];
    let expected = server
        .backend
        .prompt_logprobs(&prompt, 1)
        .await
        .expect("logprobs");
    let count = expected.tokens.len();
    assert_eq!(answer["usage"]["prompt_tokens"], count);
    assert_eq!(answer["usage"]["completion_tokens"], 0);
    assert_eq!(logprobs["tokens"][0], "<bos>");
    assert_eq!(logprobs["text_offset"][0], 0);
    assert!(logprobs["token_logprobs"][0].is_null());
    assert!(logprobs["top_logprobs"][0].is_null());
    for (index, token) in expected.tokens.iter().enumerate() {
        assert_eq!(logprobs["tokens"][index], token.text.as_str());
        assert_eq!(logprobs["text_offset"][index], token.offset);
        if let Some(value) = token.logprob {
            // JSON carries f64 exactly (shortest round-trip form).
            assert_eq!(logprobs["token_logprobs"][index].as_f64(), Some(value));
            let top = logprobs["top_logprobs"][index].as_object().expect("a map");
            assert!(top.contains_key(&token.top[0].text) && top.contains_key(&token.text));
        }
    }

    // What a loglikelihood client computes: the tokens at or after len(context).
    let context_chars = CONTEXT.chars().count() as u64;
    let offsets = logprobs["text_offset"].as_array().expect("offsets");
    let values = logprobs["token_logprobs"].as_array().expect("values");
    let sum: f64 = offsets
        .iter()
        .zip(values)
        .filter(|(offset, _)| offset.as_u64().expect("an offset") >= context_chars)
        .map(|(_, value)| value.as_f64().expect("a logprob"))
        .sum();
    let score = server
        .backend
        .loglikelihood(yardstick_backend::LoglikelihoodRequest {
            pairs: vec![yardstick_backend::ContinuationPair {
                context: CONTEXT.to_string(),
                continuation: continuation.to_string(),
            }],
        })
        .await
        .expect("a score")[0];
    assert_eq!(sum, score.loglikelihood);
}

#[tokio::test]
async fn echo_from_the_context_scores_only_the_continuations_exactly_as_in_process() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let continuations = [" gravity", " air resistance", " friction", " magnetism"];
    let prompts: Vec<String> = continuations
        .iter()
        .map(|continuation| format!("{CONTEXT}{continuation}"))
        .collect();
    let from = CONTEXT.chars().count();
    let body = json!({
        "model": "gemma", "prompt": prompts, "echo": true, "logprobs": 1, "max_tokens": 0,
        "temperature": 0, "echo_logprobs_from": from,
    });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let whole = server
        .backend
        .prompt_logprobs(&prompts[0], 1)
        .await
        .expect("logprobs");
    let scores = server
        .backend
        .loglikelihood(yardstick_backend::LoglikelihoodRequest {
            pairs: continuations
                .iter()
                .map(|continuation| yardstick_backend::ContinuationPair {
                    context: CONTEXT.to_string(),
                    continuation: continuation.to_string(),
                })
                .collect(),
        })
        .await
        .expect("scores");
    for (index, score) in scores.iter().enumerate() {
        let choice = answer["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .find(|choice| choice["index"] == index)
            .expect("a choice per prompt");
        let logprobs = &choice["logprobs"];
        let offsets = logprobs["text_offset"].as_array().expect("offsets");
        let values = logprobs["token_logprobs"].as_array().expect("values");
        let tops = logprobs["top_logprobs"].as_array().expect("tops");
        let mut sum = 0.0;
        let mut scored = 0;
        for ((offset, value), top) in offsets.iter().zip(values).zip(tops) {
            if offset.as_u64().expect("an offset") as usize >= from {
                sum += value.as_f64().expect("a continuation token has a logprob");
                assert!(top.is_object(), "{top}");
                scored += 1;
            } else {
                assert!(value.is_null() && top.is_null(), "{value} {top}");
            }
        }
        assert_eq!(scored, score.continuation_tokens as usize);
        // Read in the batches in-process scoring reads them in: the very same sums.
        assert_eq!(sum, score.loglikelihood, "choice {index}");
        if index == 0 {
            // The same tokens as the whole echo's (whose logits at every position make
            // other batches, so other roundings: the kernels' shapes differ).
            let texts: Vec<&str> = logprobs["tokens"]
                .as_array()
                .expect("tokens")
                .iter()
                .map(|text| text.as_str().expect("a string"))
                .collect();
            let expected: Vec<&str> = whole
                .tokens
                .iter()
                .map(|token| token.text.as_str())
                .collect();
            assert_eq!(texts, expected);
        }
    }

    // Past the end, no token is scored; a list of the wrong length is refused.
    let body = json!({
        "model": "gemma", "prompt": prompts[0], "echo": true, "logprobs": 0, "max_tokens": 0,
        "echo_logprobs_from": 100_000,
    });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let values = answer["choices"][0]["logprobs"]["token_logprobs"]
        .as_array()
        .expect("values");
    assert!(values.iter().all(Value::is_null));
    let (status, param, message) = refusal(
        &server,
        "completions",
        json!({ "model": "gemma", "prompt": ["a", "b"], "echo": true, "logprobs": 1,
                "max_tokens": 0, "echo_logprobs_from": [1] }),
    )
    .await;
    assert_eq!(
        (status, param),
        (StatusCode::BAD_REQUEST, json!("echo_logprobs_from"))
    );
    assert!(message.contains("1 offsets for 2 prompts"), "{message}");

    // The scoring probe finds the extension and the backend uses it.
    let endpoint = Endpoint::new(server.base_url.clone(), "gemma", Api::Completions);
    let (backend, probe) = yardstick_backend_openai::connect(endpoint)
        .await
        .expect("connected");
    assert_eq!(
        probe.echo_logprobs_from.support,
        Support::Yes,
        "{:?}",
        probe.echo_logprobs_from
    );
    assert!(backend.settings().echo_logprobs_from);
    let through_endpoint = backend
        .loglikelihood(yardstick_backend::LoglikelihoodRequest {
            pairs: continuations
                .iter()
                .map(|continuation| yardstick_backend::ContinuationPair {
                    context: CONTEXT.to_string(),
                    continuation: continuation.to_string(),
                })
                .collect(),
        })
        .await
        .expect("scores");
    for (endpoint, in_process) in through_endpoint.iter().zip(&scores) {
        assert_eq!(endpoint.loglikelihood, in_process.loglikelihood);
        assert_eq!(endpoint.is_greedy, in_process.is_greedy);
    }
}

#[tokio::test]
async fn greedy_completions_equal_the_engines_generations_in_prompt_order() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let prompts = ["The capital of France is", "One, two, three,"];
    let mut expected = Vec::new();
    for prompt in prompts {
        let generation = server
            .backend
            .generate(common::greedy(prompt, 8, &[]))
            .await
            .expect("generation");
        expected.push(generation);
    }
    let (status, answer) = server
        .post(
            "completions",
            &json!({ "model": "gemma", "prompt": prompts[0], "max_tokens": 8 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(common::texts(&answer), vec![expected[0].text.clone()]);
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(answer["usage"]["completion_tokens"], 8);
    assert_eq!(answer["usage"]["prompt_tokens"], expected[0].prompt_tokens);
    assert!(answer["choices"][0]["logprobs"].is_null());

    // A list (one prompt as token ids) answers one choice per prompt, in order.
    let ids = server
        .backend
        .tokenize(prompts[0], true)
        .await
        .expect("ids");
    let body = json!({
        "model": "gemma", "prompt": [prompts[1], ids, prompts[0]], "max_tokens": 8,
    });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let indices: Vec<&Value> = answer["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|choice| &choice["index"])
        .collect();
    assert_eq!(indices, [0, 1, 2]);
    assert_eq!(
        common::texts(&answer),
        [&*expected[1].text, &expected[0].text, &expected[0].text]
    );
    assert_eq!(answer["usage"]["completion_tokens"], 24);
}

#[tokio::test]
async fn stop_sequences_cut_the_text_streamed_or_not() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let prompt = "The capital of France is";
    let free = server
        .backend
        .generate(common::greedy(prompt, 16, &[]))
        .await
        .expect("generation");
    let words: Vec<&str> = free.text.split(' ').collect();
    assert!(words.len() > 4, "{:?}", free.text);
    let stop = format!(" {}", words[3]);
    let cut = &free.text[..free.text.find(&stop).expect("the stop occurs")];
    let body =
        json!({ "model": "gemma", "prompt": prompt, "max_tokens": 16, "stop": [stop, "\u{2603}"] });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(common::texts(&answer), [cut]);
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");

    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let chunks = server.stream("completions", &streaming).await;
    let streamed: String = chunks
        .iter()
        .map(|chunk| chunk["choices"][0]["text"].as_str().expect("text"))
        .collect();
    assert_eq!(streamed, cut);
    assert_eq!(
        chunks.last().expect("chunks")["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn streaming_sends_token_chunks_then_the_finish_then_the_usage() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let body = json!({
        "model": "gemma", "prompt": "The capital of France is", "max_tokens": 6,
        "logprobs": 2, "echo": true,
        "stream": true, "stream_options": { "include_usage": true },
    });
    let chunks = server.stream("completions", &body).await;
    let mut whole = body.clone();
    whole["stream"] = json!(false);
    let (_, answer) = server.post("completions", &whole).await;

    let usage = chunks.last().expect("a usage chunk");
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], answer["usage"]);
    assert_eq!(usage["usage"]["completion_tokens"], 6);
    let choices: Vec<&Value> = chunks[..chunks.len() - 1]
        .iter()
        .map(|chunk| &chunk["choices"][0])
        .collect();
    assert_eq!(choices.last().expect("a finish")["finish_reason"], "length");
    assert!(choices[..choices.len() - 1]
        .iter()
        .all(|choice| choice["finish_reason"].is_null()));
    let text: String = choices
        .iter()
        .map(|choice| choice["text"].as_str().expect("text"))
        .collect();
    assert_eq!(text, answer["choices"][0]["text"].as_str().expect("text"));
    // The echo chunk carries the prompt's tokens, each later one its token's logprobs,
    // with offsets continuing after the prompt: together, the whole answer's.
    let mut tokens = Vec::new();
    let mut offsets = Vec::new();
    for choice in &choices[..choices.len() - 1] {
        tokens.extend(
            choice["logprobs"]["tokens"]
                .as_array()
                .expect("tokens")
                .clone(),
        );
        offsets.extend(
            choice["logprobs"]["text_offset"]
                .as_array()
                .expect("offsets")
                .clone(),
        );
    }
    let logprobs = &answer["choices"][0]["logprobs"];
    assert_eq!(Value::Array(tokens), logprobs["tokens"]);
    assert_eq!(Value::Array(offsets), logprobs["text_offset"]);
    let prompt_chars = "The capital of France is".chars().count() as u64;
    let generated_offsets = logprobs["text_offset"].as_array().expect("offsets");
    assert!(generated_offsets[generated_offsets.len() - 6..]
        .iter()
        .all(|offset| offset.as_u64().expect("a number") >= prompt_chars));
}

#[tokio::test]
async fn sampling_is_reproducible_with_a_seed() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let body = json!({
        "model": "gemma", "prompt": "Once upon a time", "max_tokens": 12,
        "temperature": 0.9, "top_p": 0.95, "top_k": 40, "seed": 7,
    });
    let (_, first) = server.post("completions", &body).await;
    let (_, second) = server.post("completions", &body).await;
    assert_eq!(common::texts(&first), common::texts(&second));
    let (_, greedy) = server
        .post(
            "completions",
            &json!({ "model": "gemma", "prompt": "Once upon a time", "max_tokens": 12 }),
        )
        .await;
    assert_eq!(
        greedy["usage"]["completion_tokens"].as_u64().map(|n| n > 0),
        Some(true)
    );
}

#[tokio::test]
async fn concurrent_prompts_share_the_engine_and_ignore_eos_fills_max_tokens() {
    let Some(server) = common::gemma(2).await else {
        return;
    };
    let body = json!({
        "model": "gemma", "prompt": ["Hello", "The sky is", "Water is"], "max_tokens": 10,
        "ignore_eos": true, "min_tokens": 10,
    });
    let (status, answer) = server.post("completions", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["choices"].as_array().map(Vec::len), Some(3));
    assert_eq!(answer["usage"]["completion_tokens"], 30);
    assert!(answer["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .all(|choice| choice["finish_reason"] == "length"));
}

/// The status, the error's `param` and its message.
async fn refusal(server: &common::Server, path: &str, body: Value) -> (StatusCode, Value, String) {
    let (status, answer) = server.post(path, &body).await;
    let error = &answer["error"];
    assert_eq!(error["code"], status.as_u16(), "{answer}");
    assert!(error["type"].is_string(), "{answer}");
    let message = error["message"].as_str().expect("a message").to_string();
    (status, error["param"].clone(), message)
}

#[tokio::test]
async fn bad_requests_are_openai_errors_naming_the_problem() {
    let Some(server) = common::gemma(1).await else {
        return;
    };
    let (status, param, _) = refusal(
        &server,
        "completions",
        json!({ "model": "gpt-4", "prompt": "x" }),
    )
    .await;
    assert_eq!((status, param), (StatusCode::NOT_FOUND, json!("model")));
    let (status, param, message) = refusal(
        &server,
        "completions",
        json!({ "model": "gemma", "prompt": "x", "max_tokens": "many" }),
    )
    .await;
    assert_eq!(
        (status, param),
        (StatusCode::BAD_REQUEST, json!("max_tokens"))
    );
    assert!(message.contains("whole number"), "{message}");
    let (status, param, _) = refusal(
        &server,
        "completions",
        json!({ "model": "gemma", "prompt": "x", "n": 3 }),
    )
    .await;
    assert_eq!((status, param), (StatusCode::BAD_REQUEST, json!("n")));
    for stream in [false, true] {
        let (status, _, message) = refusal(
            &server,
            "completions",
            json!({ "model": "gemma", "prompt": "x", "max_tokens": 5000, "stream": stream }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.contains("context window is 1024"), "{message}");
    }
    let (status, _, message) = refusal(
        &server,
        "completions",
        json!({ "model": "gemma", "prompt": [[2, 99999999]], "max_tokens": 1 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("99999999"), "{message}");
    let (status, param, message) = refusal(
        &server,
        "chat/completions",
        json!({ "model": "gemma", "messages": [{ "role": "user", "content": "Hi" }] }),
    )
    .await;
    assert_eq!(
        (status, param),
        (StatusCode::BAD_REQUEST, json!("messages"))
    );
    assert!(message.contains("no chat template"), "{message}");

    let response = server
        .client
        .post(server.url("completions"))
        .body("{not json")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let answer: Value = response.json().await.expect("JSON");
    assert!(answer["error"]["message"]
        .as_str()
        .is_some_and(|message| message.contains("not JSON")));
}

#[tokio::test]
async fn yardsticks_probe_finds_every_capability() {
    let Some(server) = common::gemma(2).await else {
        return;
    };
    let endpoint = Endpoint::new(server.base_url.clone(), "gemma", Api::Completions);
    let report = yardstick_backend_openai::probe(&endpoint)
        .await
        .expect("a report");
    assert_eq!(report.models, ["gemma"]);
    for finding in [
        &report.model_listed,
        &report.streaming,
        &report.stream_usage,
        &report.ignore_eos,
        &report.echo_logprobs,
    ] {
        assert_eq!(finding.support, Support::Yes, "{report}");
    }
    // vLLM's running usage per event is not offered.
    assert_eq!(report.continuous_usage.support, Support::No, "{report}");
}
