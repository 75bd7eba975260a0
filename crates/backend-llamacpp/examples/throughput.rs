//! Measures the llama.cpp backend on one GGUF model: prefill and decode speed of a greedy
//! generation, and 4-choice loglikelihood items per second (with the tokens the shared
//! prefix saved). Also checks whether batch_tokens 512 and 64 score a long item alike.
//!
//! `cargo run --release -p yardstick-backend-llamacpp --example throughput -- MODEL.gguf [THREADS]`
//! (without MODEL, the installed Gemma-3-270M).

use std::path::PathBuf;
use std::time::Instant;

use yardstick_backend::{Backend, ContinuationPair, GenerateRequest, LoglikelihoodRequest};
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};

fn item(context: &str) -> LoglikelihoodRequest {
    LoglikelihoodRequest {
        pairs: [" electricity", " gravity", " magnetism", " tension"]
            .iter()
            .map(|choice| ContinuationPair {
                context: context.to_string(),
                continuation: choice.to_string(),
            })
            .collect(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = match args.next().filter(|path| !path.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => {
            yardstick_test_support::fixtures::gemma_model().ok_or("no model given or installed")?
        }
    };
    let threads = match args.next() {
        Some(threads) => threads.parse()?,
        None => LoadOptions::default().threads,
    };
    let options = LoadOptions {
        threads,
        ..LoadOptions::default()
    };
    let backend = LlamaCppBackend::load(&path, options).await?;
    println!(
        "{} with {threads} threads, loaded in {:?}",
        path.display(),
        backend.load_duration()
    );
    println!("engine: {}", backend.describe().engine_version);

    let prompt =
        "The lighthouse keeper climbed the stairs every evening and counted the ships. ".repeat(30);
    let generation = backend
        .generate(GenerateRequest {
            prompt,
            max_tokens: 64,
            stop: Vec::new(),
            ignore_eos: true,
            sampling: None,
        })
        .await?;
    let timing = generation.timing;
    println!(
        "generate: prompt {} tokens, prefill {:.1} tokens/s, TTFT {:.1} ms, decode {:.1} tokens/s",
        generation.prompt_tokens,
        f64::from(generation.prompt_tokens) / timing.prefill.as_secs_f64(),
        timing.time_to_first_token.as_secs_f64() * 1e3,
        f64::from(generation.completion_tokens - 1) / timing.decode.as_secs_f64(),
    );

    let context = "Question: A student throws a ball into the air. While the ball travels up, the speed of the ball decreases. What force causes the ball to slow while traveling up?\nAnswer:";
    let items: u32 = 20;
    let tokens_before = backend.tokens_evaluated();
    let started = Instant::now();
    for _ in 0..items {
        backend.loglikelihood(item(context)).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let tokens = backend.tokens_evaluated() - tokens_before;
    println!(
        "loglikelihood: {:.2} 4-choice items/s, {:.1} evaluated tokens/s ({} tokens per item)",
        f64::from(items) / elapsed,
        tokens as f64 / elapsed,
        tokens / u64::from(items),
    );

    let long = format!(
        "{}{context}",
        "The keeper counted the ships and wrote their names down. ".repeat(40)
    );
    let mut scores = Vec::new();
    for batch_tokens in [512, 64] {
        let options = LoadOptions {
            threads,
            batch_tokens,
            ..LoadOptions::default()
        };
        let backend = LlamaCppBackend::load(&path, options).await?;
        let bits: Vec<u64> = backend
            .loglikelihood(item(&long))
            .await?
            .iter()
            .map(|score| score.loglikelihood.to_bits())
            .collect();
        scores.push(bits);
    }
    println!(
        "long item (~{} tokens): batch_tokens 512 vs 64 bit-identical: {}",
        backend.tokenize(&long, true).await?.len(),
        scores[0] == scores[1]
    );
    Ok(())
}
