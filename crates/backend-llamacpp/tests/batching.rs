//! Continuous batching against the real Gemma model: generations run side by side in one
//! decode call per step, each gets exactly its own tokens, a cancelled one frees its
//! sequence, and scoring waits for running generations and scores as it does alone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use yardstick_backend::{Backend, FinishReason, GenerateRequest};
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};

fn request(prompt: &str, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.to_string(),
        max_tokens,
        stop: Vec::new(),
        ignore_eos: true,
        sampling: None,
    }
}

const PROMPTS: [&str; 4] = [
    "The capital of France is",
    "Water boils at a temperature of",
    "The largest planet in the solar system is",
    "A short poem about the sea:",
];

async fn gemma(parallel: u32) -> Option<Arc<LlamaCppBackend>> {
    let path = yardstick_test_support::fixtures::gemma_model()?;
    let options = LoadOptions {
        parallel,
        ..common::options()
    };
    Some(Arc::new(common::load(&path, options).await))
}

/// Generates every prompt at once (each in its own task) and returns the generations in
/// prompt order.
async fn generate_all(
    backend: &Arc<LlamaCppBackend>,
    max_tokens: u32,
) -> Vec<yardstick_backend::Generation> {
    let tasks: Vec<_> = PROMPTS
        .iter()
        .map(|prompt| {
            let backend = Arc::clone(backend);
            let request = request(prompt, max_tokens);
            tokio::spawn(async move { backend.generate(request).await })
        })
        .collect();
    let mut generations = Vec::new();
    for task in tasks {
        generations.push(task.await.expect("task").expect("generation"));
    }
    generations
}

#[tokio::test]
async fn parallel_generations_share_decode_calls_and_each_get_their_own_tokens() {
    let (Some(alone), Some(batched)) = (gemma(1).await, gemma(4).await) else {
        return;
    };
    let max_tokens = 24;
    let expected = generate_all(&alone, max_tokens).await;
    let calls_alone = alone.decode_calls();
    let generations = generate_all(&batched, max_tokens).await;
    let calls_batched = batched.decode_calls();

    for (prompt, generation) in PROMPTS.iter().zip(&generations) {
        assert_eq!(generation.completion_tokens, max_tokens, "{prompt}");
        assert_eq!(generation.finish_reason, FinishReason::Length, "{prompt}");
    }
    let prompt_tokens: Vec<u32> = expected.iter().map(|g| g.prompt_tokens).collect();
    let batched_prompt_tokens: Vec<u32> = generations.iter().map(|g| g.prompt_tokens).collect();
    assert_eq!(batched_prompt_tokens, prompt_tokens);
    // One prefill plus one call per further token, for each generation alone.
    assert_eq!(calls_alone, PROMPTS.len() as u64 * u64::from(max_tokens));
    // Side by side: about one call per token for all four together (a request that reaches
    // the engine a step late adds its own prefill step).
    assert!(
        calls_batched < 2 * u64::from(max_tokens),
        "{calls_batched} decode calls for 4 × {max_tokens} tokens"
    );
    // Each generation continues its own prompt. Texts are not compared whole: a token
    // computed in a batch of four takes other ggml kernels than one computed alone, so the
    // last bits of its logits differ and a greedy path can change at a near-tie (two of
    // these four did after about ten tokens on the development machine; four copies of
    // the first prompt decoded together all took the batched path, so it is the batch
    // size, not the other prompts); the batch composition also depends on when each
    // request reached the engine.
    for (batched, alone) in generations.iter().zip(&expected) {
        let opening: String = alone.text.chars().take(12).collect();
        assert!(
            batched.text.starts_with(&opening),
            "{:?} vs {:?}",
            batched.text,
            alone.text
        );
    }
}

#[tokio::test]
async fn one_request_at_a_time_is_bit_identical_whatever_parallel_allows() {
    let (Some(alone), Some(batched)) = (gemma(1).await, gemma(4).await) else {
        return;
    };
    for prompt in PROMPTS {
        let expected = alone
            .generate(request(prompt, 16))
            .await
            .expect("generation");
        let generation = batched
            .generate(request(prompt, 16))
            .await
            .expect("generation");
        assert_eq!(generation.text, expected.text, "{prompt}");
    }
    assert_eq!(alone.decode_calls(), batched.decode_calls());
}

#[tokio::test]
async fn requests_beyond_parallel_wait_for_a_free_sequence() {
    let Some(backend) = gemma(2).await else {
        return;
    };
    let generations = generate_all(&backend, 8).await;
    assert!(generations.iter().all(|g| g.completion_tokens == 8));
    // Two at a time: at least two rounds of 8 steps, fewer than four.
    let calls = backend.decode_calls();
    assert!((16..32).contains(&calls), "{calls} decode calls");
}

#[tokio::test]
async fn a_cancelled_generation_stops_and_frees_its_sequence() {
    let Some(backend) = gemma(1).await else {
        return;
    };
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let long = {
        let backend = Arc::clone(&backend);
        tokio::spawn(async move {
            backend
                .generate_streaming(request(PROMPTS[0], 900), events)
                .await
        })
    };
    for _ in 0..3 {
        received.recv().await.expect("a token");
    }
    long.abort();
    // With one sequence, this generation can only start once the cancelled one has stopped.
    let next = tokio::time::timeout(
        Duration::from_secs(120),
        backend.generate(request(PROMPTS[1], 4)),
    )
    .await
    .expect("the cancelled generation released its sequence")
    .expect("generation");
    assert_eq!(next.completion_tokens, 4);
    let calls = backend.decode_calls();
    assert!(
        calls < 300,
        "{calls} decode calls: the cancelled generation kept running"
    );
}

#[tokio::test]
async fn scoring_waits_for_running_generations_and_scores_as_alone() {
    let (Some(alone), Some(batched)) = (gemma(1).await, gemma(4).await) else {
        return;
    };
    let (scoring_request, gold) = common::arc_gravity();
    let expected = alone
        .loglikelihood(scoring_request.clone())
        .await
        .expect("scores");
    let generating = {
        let backend = Arc::clone(&batched);
        tokio::spawn(async move { generate_all(&backend, 16).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let scores = batched
        .loglikelihood(scoring_request)
        .await
        .expect("scores");
    let generations = generating.await.expect("task");
    assert!(generations.iter().all(|g| g.completion_tokens == 16));
    assert_eq!(common::bits(&scores), common::bits(&expected));
    assert_eq!(common::argmax(&scores), gold);
}

#[tokio::test]
async fn parallel_beyond_max_sequences_is_refused() {
    let options = LoadOptions {
        parallel: 9,
        ..common::options()
    };
    let error = LlamaCppBackend::load(std::path::Path::new("/nonexistent.gguf"), options)
        .await
        .expect_err("invalid options");
    assert!(
        error
            .to_string()
            .contains("parallel (9) must not exceed max_sequences (8)"),
        "{error}"
    );
}
