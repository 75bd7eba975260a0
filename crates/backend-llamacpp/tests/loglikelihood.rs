//! Loglikelihood scoring against the real Gemma-3-270M: known answers, lm-eval's
//! tokenization rules, prefix sharing and greediness.

mod common;

use yardstick_backend::{Backend, BackendError, GenerateRequest};
use yardstick_backend_llamacpp::LoadOptions;

#[tokio::test]
async fn capital_of_france_prefers_paris_to_banana() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let context = "The capital of France is";
    let scores = backend
        .loglikelihood(common::request(context, &[" Paris", " banana"]))
        .await
        .expect("scores");
    let (paris, banana) = (scores[0], scores[1]);
    assert!(
        paris.loglikelihood < 0.0 && banana.loglikelihood < 0.0,
        "{scores:?}"
    );
    assert!(
        paris.loglikelihood > banana.loglikelihood + 5.0,
        "Paris should beat banana by far: {scores:?}"
    );
    let context_tokens = backend.tokenize(context, true).await.expect("tokens");
    assert_eq!(paris.context_tokens as usize, context_tokens.len());
    assert_eq!(context_tokens[0], 2, "Gemma's context starts with BOS");
    assert_eq!(
        (paris.continuation_tokens, banana.continuation_tokens),
        (1, 1)
    );
}

#[tokio::test]
async fn arc_easy_question_is_answered_correctly() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let (request, gold) = common::arc_gravity();
    let scores = backend.loglikelihood(request).await.expect("scores");
    assert_eq!(scores.len(), 4);
    assert_eq!(common::argmax(&scores), gold, "{scores:?}");
}

#[tokio::test]
async fn four_choices_prefill_the_shared_context_once() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let (request, _) = common::arc_gravity();
    let context = &request.pairs[0].context;
    let context_len = backend.tokenize(context, true).await.expect("tokens").len();
    let mut continuation_lens = Vec::new();
    for pair in &request.pairs {
        let whole = format!("{}{}", pair.context, pair.continuation);
        let whole = backend.tokenize(&whole, true).await.expect("tokens");
        continuation_lens.push(whole.len() - context_len);
    }
    // The choices start with different tokens, so the shared prefix is the context: read
    // once, then every continuation but its last token.
    let shared: usize = context_len + continuation_lens.iter().map(|len| len - 1).sum::<usize>();
    let unshared: usize = continuation_lens
        .iter()
        .map(|len| context_len + len - 1)
        .sum();

    let tokens_before = backend.tokens_evaluated();
    let calls_before = backend.decode_calls();
    let scores = backend.loglikelihood(request).await.expect("scores");
    let tokens = backend.tokens_evaluated() - tokens_before;
    let calls = backend.decode_calls() - calls_before;

    assert_eq!(
        tokens as usize, shared,
        "continuations {continuation_lens:?}"
    );
    assert_eq!(
        unshared - shared,
        3 * context_len,
        "three context reads saved"
    );
    assert_eq!(
        calls, 1,
        "the prefix and every remainder in one llama_decode call"
    );
    for (score, len) in scores.iter().zip(&continuation_lens) {
        assert_eq!(score.continuation_tokens as usize, *len);
        assert_eq!(score.context_tokens as usize, context_len);
    }
}

#[tokio::test]
async fn is_greedy_holds_for_the_greedy_continuation_only() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let context = "The capital of France is";
    let generated = backend
        .generate(GenerateRequest {
            prompt: context.to_string(),
            max_tokens: 4,
            stop: Vec::new(),
            ignore_eos: true,
            sampling: None,
        })
        .await
        .expect("generation");
    assert_eq!(generated.completion_tokens, 4);
    let scores = backend
        .loglikelihood(common::request(
            context,
            &[&generated.text, " banana bread"],
        ))
        .await
        .expect("scores");
    assert!(
        scores[0].is_greedy,
        "{:?} scored {scores:?}",
        generated.text
    );
    assert!(!scores[1].is_greedy, "{scores:?}");
    assert!(
        scores[0].loglikelihood > scores[1].loglikelihood,
        "{scores:?}"
    );
}

#[tokio::test]
async fn trailing_context_whitespace_moves_into_the_continuation() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let moved = backend
        .loglikelihood(common::request("The capital of France is ", &["Paris"]))
        .await
        .expect("scores");
    let plain = backend
        .loglikelihood(common::request("The capital of France is", &[" Paris"]))
        .await
        .expect("scores");
    assert_eq!(common::bits(&moved), common::bits(&plain));
}

#[tokio::test]
async fn empty_context_is_conditioned_on_bos_alone() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let empty = backend
        .loglikelihood(common::request("", &["Paris is a city"]))
        .await
        .expect("scores");
    assert_eq!(empty[0].context_tokens, 1);
    assert!(empty[0].loglikelihood < 0.0);
    // The same tokens spelled out: a context that already starts with BOS's text gets no
    // second BOS, so the model reads exactly [BOS] + continuation again.
    let spelled = backend
        .loglikelihood(common::request("<bos>", &["Paris is a city"]))
        .await
        .expect("scores");
    assert_eq!(common::bits(&empty), common::bits(&spelled));
}

#[tokio::test]
async fn context_longer_than_the_window_is_a_context_overflow() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    let options = LoadOptions {
        context_tokens: 64,
        batch_tokens: 64,
        ..common::options()
    };
    let backend = common::load(&path, options).await;
    let long = "one two three four five six seven eight nine ten ".repeat(10);
    let error = backend
        .loglikelihood(common::request(&long, &[" eleven"]))
        .await
        .expect_err("too long");
    match &error {
        BackendError::ContextOverflow {
            what,
            needed,
            available,
        } => {
            assert!(what.contains("pair 0"), "{error}");
            assert!(*needed > 64, "{error}");
            assert_eq!(*available, 64);
        }
        other => panic!("expected ContextOverflow, got {other}"),
    }
    // The backend keeps working after the refusal.
    let scores = backend
        .loglikelihood(common::request("The capital of France is", &[" Paris"]))
        .await
        .expect("a short request still scores");
    assert_eq!(scores.len(), 1);
}
