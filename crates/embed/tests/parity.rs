//! Parity with Python sentence-transformers: the 100 texts of
//! `tests/fixtures/minilm_reference.json` (written by `scripts/parity/embedding_fixture.py`)
//! must give the same token ids and, each, a vector with cosine ≥ 0.999 to Python's.
//!
//! Needs the installed model (`scripts/setup-embedder.sh`); skips with a printed reason when it
//! is absent, fails then under `YARDSTICK_REQUIRE_MODELS=1` (CI).

use serde::Deserialize;
use std::path::Path;
use yardstick_embed::{cosine, Embedder, MODEL};
use yardstick_test_support::fixtures::minilm_embedder;

#[derive(Deserialize)]
struct Fixture {
    provenance: Provenance,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Provenance {
    model_sha256: std::collections::BTreeMap<String, String>,
    max_seq_length: usize,
}

#[derive(Deserialize)]
struct Item {
    text: String,
    token_ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn fixture() -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm_reference.json");
    let text = std::fs::read_to_string(&path).expect("reading the reference fixture");
    serde_json::from_str(&text).expect("parsing the reference fixture")
}

/// Cosine in f64 for the report: f32 cannot tell 1 − 1e-8 from 1.
fn cosine_f64(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn the_fixture_was_made_with_the_checked_model_files() {
    let fixture = fixture();
    assert_eq!(fixture.items.len(), 100);
    assert_eq!(fixture.provenance.max_seq_length, MODEL.max_tokens);
    for file in MODEL.files() {
        assert_eq!(
            fixture
                .provenance
                .model_sha256
                .get(file.name)
                .map(String::as_str),
            Some(file.sha256),
            "{}",
            file.name
        );
    }
    let truncated = fixture
        .items
        .iter()
        .filter(|item| item.token_ids.len() == MODEL.max_tokens)
        .count();
    assert!(truncated >= 5, "the fixture must exercise truncation");
    assert!(fixture.items.iter().any(|item| item.text.is_empty()));
}

#[test]
fn rust_embeddings_match_sentence_transformers() {
    let Some(dir) = minilm_embedder() else {
        return;
    };
    let embedder = Embedder::load(&dir).expect("loading the installed embedder");
    let fixture = fixture();
    let texts: Vec<&str> = fixture
        .items
        .iter()
        .map(|item| item.text.as_str())
        .collect();

    for (index, item) in fixture.items.iter().enumerate() {
        let ids = embedder.token_ids(&item.text).expect("tokenising");
        assert_eq!(
            ids, item.token_ids,
            "token ids of text {index}: {:?}",
            item.text
        );
    }

    let vectors = embedder
        .embed(&texts)
        .expect("embedding the fixture's texts");
    assert_eq!(vectors.len(), fixture.items.len());
    let mut cosines = Vec::with_capacity(vectors.len());
    let mut largest_difference = 0f32;
    for (index, (vector, item)) in vectors.iter().zip(&fixture.items).enumerate() {
        assert_eq!(vector.len(), MODEL.dimensions, "text {index}");
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "text {index}: norm {norm}");
        let similarity = cosine(vector, &item.embedding);
        assert!(
            similarity >= 0.999,
            "text {index} ({:?}): cosine {similarity} with sentence-transformers",
            item.text
        );
        cosines.push(cosine_f64(vector, &item.embedding));
        for (a, b) in vector.iter().zip(&item.embedding) {
            largest_difference = largest_difference.max((a - b).abs());
        }
    }
    let minimum = cosines.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    println!(
        "parity with sentence-transformers over {} texts: cosine min {minimum:.12} \
         (1 − min = {:.1e}), mean {mean:.12}; largest |difference| of one component \
         {largest_difference:.2e}",
        cosines.len(),
        1.0 - minimum
    );
}

#[test]
fn a_text_gets_the_same_vector_alone_as_in_a_padded_batch() {
    let Some(dir) = minilm_embedder() else {
        return;
    };
    let embedder = Embedder::load(&dir).expect("loading the installed embedder");
    let short = "A man is playing a guitar.";
    let long = "Someone plays an acoustic guitar on stage, in front of a large and enthusiastic \
                crowd that has waited for hours in the rain to hear the band's new songs.";
    let alone = embedder.embed(&[short]).expect("embedding");
    let batched = embedder.embed(&[long, short, ""]).expect("embedding");
    assert!(cosine(&alone[0], &batched[1]) > 0.99999);
    assert_eq!(batched.len(), 3);
    assert!(embedder.embed(&[]).expect("nothing to embed").is_empty());
}

#[test]
fn similar_sentences_are_closer_than_unrelated_ones() {
    let Some(dir) = minilm_embedder() else {
        return;
    };
    let embedder = Embedder::load(&dir).expect("loading the installed embedder");
    let vectors = embedder
        .embed(&[
            "A man is playing a guitar.",
            "Someone plays an acoustic guitar on stage.",
            "The stock market fell sharply on Tuesday.",
        ])
        .expect("embedding");
    let related = cosine(&vectors[0], &vectors[1]);
    let unrelated = cosine(&vectors[0], &vectors[2]);
    assert!(related > 0.5 && unrelated < 0.2, "{related} vs {unrelated}");
}
