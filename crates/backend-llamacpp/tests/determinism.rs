//! The batching scheme's promise: a request's scores are a function of the request alone,
//! bit for bit (compared with `f64::to_bits`), against the real Gemma-3-270M.

mod common;

use yardstick_backend::{Backend, LoglikelihoodRequest};
use yardstick_backend_llamacpp::{batching_scheme, LlamaCppBackend, LoadOptions};

async fn score(
    backend: &LlamaCppBackend,
    request: &LoglikelihoodRequest,
) -> Vec<(u64, bool, u32, u32)> {
    common::bits(
        &backend
            .loglikelihood(request.clone())
            .await
            .expect("scores"),
    )
}

fn others() -> Vec<LoglikelihoodRequest> {
    vec![
        common::request("The capital of France is", &[" Paris", " banana", " Rome"]),
        common::request(&common::long_context(), &[" the ships", " nothing"]),
        common::request("", &["Hello"]),
    ]
}

#[tokio::test]
async fn scores_are_identical_alone_after_other_requests_concurrently_and_in_a_fresh_backend() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    let (target, _) = common::arc_gravity();
    let backend = common::load(&path, common::options()).await;
    let alone = score(&backend, &target).await;

    for other in others() {
        backend.loglikelihood(other).await.expect("scores");
    }
    assert_eq!(
        score(&backend, &target).await,
        alone,
        "after other requests"
    );

    let [first, second, third] = <[_; 3]>::try_from(others()).expect("three requests");
    let (_, batched, _, _) = tokio::join!(
        backend.loglikelihood(first),
        backend.loglikelihood(target.clone()),
        backend.loglikelihood(second),
        backend.loglikelihood(third),
    );
    assert_eq!(
        common::bits(&batched.expect("scores")),
        alone,
        "among concurrent requests"
    );

    drop(backend);
    let fresh = common::load(&path, common::options()).await;
    assert_eq!(score(&fresh, &target).await, alone, "in a fresh backend");
}

#[tokio::test]
async fn scores_are_identical_with_one_or_two_threads() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    // Over 512 tokens, so attention covers more than one 256-cell block of the KV cache.
    let requests = [
        common::request(
            &common::long_context(),
            &[" the names of the ships", " nothing", " poems"],
        ),
        common::arc_gravity().0,
    ];
    let mut results = Vec::new();
    for threads in [1, 2] {
        let options = LoadOptions {
            threads,
            ..common::options()
        };
        let backend = common::load(&path, options).await;
        let mut scores = Vec::new();
        for request in &requests {
            scores.push(score(&backend, request).await);
        }
        assert!(
            scores[0][0].3 > 512,
            "the long context has {} tokens",
            scores[0][0].3
        );
        results.push(scores);
    }
    assert_eq!(results[0], results[1]);
}

#[tokio::test]
async fn batch_size_logits_rows_and_window_do_not_change_scores_of_requests_that_fit_one_batch() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    let (request, _) = common::arc_gravity();
    let settings = [
        common::options(),
        LoadOptions {
            batch_tokens: 64,
            ..common::options()
        },
        LoadOptions {
            context_tokens: 4096,
            ..common::options()
        },
        LoadOptions {
            logits_rows: 2,
            ..common::options()
        },
    ];
    let mut results = Vec::new();
    let mut schemes = Vec::new();
    for options in settings {
        let backend = common::load(&path, options).await;
        results.push(score(&backend, &request).await);
        schemes.push(backend.describe().batching_scheme);
    }
    assert!(
        results[0][0].3 + results[0][0].2 < 64,
        "the item fits one 64-token batch"
    );
    assert_eq!(results[0], results[1], "batch_tokens 512 vs 64");
    assert_eq!(results[0], results[2], "context_tokens 1024 vs 4096");
    // Two logits rows per call split every choice's remainder over several calls.
    assert_eq!(results[0], results[3], "logits_rows 64 vs 2");
    // A longer prefix is chunked differently with other batch sizes, which llama.cpp's
    // kernels do not round identically: the settings are part of the recorded scheme.
    assert_eq!(schemes[0], batching_scheme(&common::options()));
    assert_ne!(schemes[0], schemes[1]);
    assert_ne!(schemes[0], schemes[2]);
    assert_ne!(schemes[0], schemes[3]);
}
