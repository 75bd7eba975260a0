//! Helpers shared by the real-model tests: loading, request builders, bit-level comparison.

#![allow(dead_code)]

use std::path::Path;

use yardstick_backend::{ContinuationPair, ContinuationScore, LoglikelihoodRequest};
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};

/// Small, fixed options so that results do not depend on the machine's core count. One
/// thread: test binaries run tests in parallel, and llama.cpp's OpenMP threads spin-wait,
/// so two 2-thread backends on a 2-core machine slow each other down several times.
pub fn options() -> LoadOptions {
    LoadOptions {
        threads: 1,
        context_tokens: 1024,
        batch_tokens: 512,
        max_sequences: 8,
        logits_rows: 64,
        parallel: 1,
    }
}

pub async fn load(path: &Path, options: LoadOptions) -> LlamaCppBackend {
    LlamaCppBackend::load(path, options)
        .await
        .unwrap_or_else(|error| panic!("loading {}: {error}", path.display()))
}

/// The Gemma model with [`options`], or None (skip) when it is not installed.
pub async fn gemma() -> Option<LlamaCppBackend> {
    let path = yardstick_test_support::fixtures::gemma_model()?;
    Some(load(&path, options()).await)
}

pub async fn qwen() -> Option<LlamaCppBackend> {
    let path = yardstick_test_support::fixtures::qwen_model()?;
    Some(load(&path, options()).await)
}

pub fn request(context: &str, continuations: &[&str]) -> LoglikelihoodRequest {
    LoglikelihoodRequest {
        pairs: continuations
            .iter()
            .map(|continuation| ContinuationPair {
                context: context.to_string(),
                continuation: continuation.to_string(),
            })
            .collect(),
    }
}

/// ARC-Easy test item `MSA_2013_5_6` in lm-eval's arc_easy format
/// ("Question: …\nAnswer:", " choice"); the gold answer is " gravity" (index 1).
pub fn arc_gravity() -> (LoglikelihoodRequest, usize) {
    let context = "Question: A student throws a ball into the air. While the ball travels up, the speed of the ball decreases. What force causes the ball to slow while traveling up?\nAnswer:";
    (
        request(
            context,
            &[" electricity", " gravity", " magnetism", " tension"],
        ),
        1,
    )
}

/// A context of about 600 Gemma tokens: longer than 512, so attention spans more than one
/// 256-cell block of the KV cache and prefill needs several 64-token batches.
pub fn long_context() -> String {
    let story = "The lighthouse keeper climbed the stairs every evening, counted the ships, \
                 and wrote their names in a book that nobody else ever read. ";
    format!(
        "{}Question: What did the keeper write in the book?\nAnswer:",
        story.repeat(24)
    )
}

/// Bit patterns of the loglikelihoods plus the greedy flags: equal iff bit-identical.
pub fn bits(scores: &[ContinuationScore]) -> Vec<(u64, bool, u32, u32)> {
    scores
        .iter()
        .map(|score| {
            (
                score.loglikelihood.to_bits(),
                score.is_greedy,
                score.continuation_tokens,
                score.context_tokens,
            )
        })
        .collect()
}

pub fn argmax(scores: &[ContinuationScore]) -> usize {
    let mut best = 0;
    for (index, score) in scores.iter().enumerate() {
        if score.loglikelihood > scores[best].loglikelihood {
            best = index;
        }
    }
    best
}
