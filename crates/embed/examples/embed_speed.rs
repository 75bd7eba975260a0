//! Times loading the embedder and embedding the 100 texts of the parity fixture, several
//! times, and prints the medians (the numbers in the crate's documentation).
//!
//! Usage: cargo run --release -p yardstick-embed --example embed_speed -- [RUNS] [MODEL_DIR]
//! (defaults: 5 runs, the installed model in `default_dir()`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use yardstick_embed::{default_dir, Embedder};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map(|runs| runs.parse())
        .transpose()?
        .unwrap_or(5);
    let dir = match args.next() {
        Some(dir) => PathBuf::from(dir),
        None => default_dir()?,
    };
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm_reference.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture)?)?;
    let texts: Vec<&str> = fixture["items"]
        .as_array()
        .ok_or("the fixture has no items")?
        .iter()
        .filter_map(|item| item["text"].as_str())
        .collect();

    let (mut loads, mut embeds) = (Vec::new(), Vec::new());
    for run in 0..runs.max(1) {
        let started = Instant::now();
        let embedder = Embedder::load(&dir)?;
        let loaded = Instant::now();
        let vectors = embedder.embed(&texts)?;
        let embedded = Instant::now();
        assert_eq!(vectors.len(), texts.len());
        loads.push(loaded - started);
        embeds.push(embedded - loaded);
        println!(
            "run {run}: load {:.0} ms, embed {} texts {:.0} ms",
            (loaded - started).as_secs_f64() * 1e3,
            texts.len(),
            (embedded - loaded).as_secs_f64() * 1e3
        );
    }
    println!(
        "median of {}: load {:.0} ms, embed {} texts {:.0} ms",
        loads.len(),
        median(loads).as_secs_f64() * 1e3,
        texts.len(),
        median(embeds).as_secs_f64() * 1e3
    );
    Ok(())
}
