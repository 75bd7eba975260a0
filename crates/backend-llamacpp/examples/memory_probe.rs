//! Memory and logits-row cost of llama.cpp itself, with the backend's context settings
//! (4096-token unified KV cache, 512-token batches, 16 sequences, flash attention off), for
//! docs/performance.md §4: decodes a TOKENS-token prompt with logits for its last ROWS
//! tokens, ITERATIONS times after 5 warm-up decodes, then prints the time per decode and the
//! process's peak/current RSS split into anonymous and file-backed pages.
//!
//! ```sh
//! cargo run --release -p yardstick-backend-llamacpp --example memory_probe -- \
//!     MODEL.gguf default 128 64 10 2      # VARIANT (default|nommap) TOKENS ROWS ITERATIONS THREADS
//! ```
//!
//! Built without AMX (ggml then keeps the Q8_0 output projection in the mmapped file instead
//! of a repacked anonymous copy), in a separate target directory:
//!
//! ```sh
//! CARGO_TARGET_DIR=target/no-amx \
//! CMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG -mno-amx-int8 -mno-amx-tile -mno-amx-bf16" \
//! CMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG -mno-amx-int8 -mno-amx-tile -mno-amx-bf16" \
//! cargo run --release -p yardstick-backend-llamacpp --example memory_probe -- MODEL.gguf default 128 64 10 2
//! ```
use std::num::NonZeroU32;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or("")
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 {
        return Err(
            "usage: memory_probe MODEL.gguf default|nommap TOKENS ROWS ITERATIONS THREADS".into(),
        );
    }
    let (path, variant) = (&args[1], args[2].as_str());
    let tokens: usize = args[3].parse()?;
    let rows: usize = args[4].parse()?;
    let iterations: usize = args[5].parse()?;
    let threads: i32 = args[6].parse()?;
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default().with_logs_enabled(false));
    let backend = LlamaBackend::init()?;
    let params = LlamaModelParams::default().with_use_mmap(variant != "nommap");
    let model = LlamaModel::load_from_file(&backend, path, &params)?;
    let context_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(4096))
        .with_n_batch(512)
        .with_n_ubatch(512)
        .with_n_seq_max(16)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        .with_kv_unified(true)
        .with_swa_full(true)
        .with_flash_attention_policy(0);
    let mut context = model.new_context(&backend, context_params)?;
    println!(
        "after load: VmRSS {} kB, RssAnon {} kB, RssFile {} kB",
        status("VmRSS"),
        status("RssAnon"),
        status("RssFile")
    );
    let mut batch = LlamaBatch::new(512, 1);
    let mut checksum = 0f32;
    let mut run = |context: &mut llama_cpp_2::context::LlamaContext,
                   batch: &mut LlamaBatch|
     -> Result<(), Box<dyn std::error::Error>> {
        context.clear_kv_cache();
        batch.clear();
        for position in 0..tokens {
            let token = LlamaToken(1000 + (position as i32 * 37) % 20000);
            batch.add(token, position as i32, &[0], position + rows >= tokens)?;
        }
        context.decode(batch)?;
        for row in 0..rows {
            checksum += context.get_logits_ith((tokens - rows + row) as i32)[7];
        }
        Ok(())
    };
    for _ in 0..5 {
        run(&mut context, &mut batch)?;
    }
    let started = Instant::now();
    for _ in 0..iterations {
        run(&mut context, &mut batch)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{variant}: {tokens} tokens, {rows} logits rows: {:.3} ms per decode, {:.1} tokens/s (checksum {checksum})",
        1e3 * seconds / iterations as f64,
        (tokens * iterations) as f64 / seconds
    );
    println!(
        "end: VmHWM {} kB, VmRSS {} kB, RssAnon {} kB, RssFile {} kB",
        status("VmHWM"),
        status("VmRSS"),
        status("RssAnon"),
        status("RssFile")
    );
    Ok(())
}
