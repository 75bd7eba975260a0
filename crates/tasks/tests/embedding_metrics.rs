//! Embedding metrics of generative tasks (`semantic_similarity`, `embedding_diversity`) with a
//! stand-in embedder whose vectors are known, so that the aggregation's arithmetic is checked
//! exactly; the real model (all-MiniLM-L6-v2) is checked against sentence-transformers in
//! `crates/embed/tests/parity.rs` and run end to end in `crates/runner/tests/eval_fake.rs`.

use std::sync::Arc;

use yardstick_tasks::{AggregateOptions, TaskDefinition, TextEmbedder};

/// Embeds a text as (count of `a`, count of `b`).
#[derive(Debug)]
struct LetterCounts;

impl TextEmbedder for LetterCounts {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|text| {
                vec![
                    text.matches('a').count() as f32,
                    text.matches('b').count() as f32,
                ]
            })
            .collect())
    }

    fn name(&self) -> &str {
        "letter-counts"
    }
}

/// The task, written as a YAML file in `dir` next to its data file.
fn task(dir: &std::path::Path) -> TaskDefinition {
    let yaml = "task: similar\noutput_type: generate_until\ntest_split: test\n\
                doc_to_text: \"{{q}}\"\ndoc_to_target: \"{{a}}\"\n\
                dataset_kwargs:\n  data_files:\n    test: x.jsonl\n\
                metric_list:\n  - metric: semantic_similarity\n  - metric: embedding_diversity\n";
    let path = dir.join("similar.yaml");
    std::fs::write(&path, yaml).expect("task file");
    yardstick_tasks::resolve_spec(path.to_str().expect("a UTF-8 path"))
        .unwrap_or_else(|error| panic!("{error}"))
        .tasks
        .remove(0)
}

#[test]
fn semantic_similarity_is_the_mean_best_cosine_and_diversity_the_mean_distance() {
    let data = tempfile::tempdir().expect("temp dir");
    let task = task(data.path());
    assert!(task.needs_embeddings().expect("plan"));
    std::fs::write(
        data.path().join("x.jsonl"),
        "{\"q\": \"one\", \"a\": \"ab\"}\n{\"q\": \"two\", \"a\": \"bbb\"}\n",
    )
    .expect("data file");
    let items: Vec<_> = task
        .items(data.path(), None)
        .expect("items")
        .collect::<Result<_, _>>()
        .expect("every item");
    // Answer "aa" (2, 0) against "ab" (1, 1): cos 45° = 1/√2. Answer "b" (0, 1) against
    // "bbb" (0, 3): 1.
    let results = vec![
        task.score_generation(&items[0], &["aa".to_string()])
            .expect("scored"),
        task.score_generation(&items[1], &["b".to_string()])
            .expect("scored"),
    ];
    let options = AggregateOptions {
        embedder: Some(Arc::new(LetterCounts)),
        ..AggregateOptions::default()
    };
    let records = task.aggregate_with(&results, &options).expect("records");
    let value = |name: &str| {
        records
            .iter()
            .find(|record| record.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .value
    };
    let expected = (std::f64::consts::FRAC_1_SQRT_2 + 1.0) / 2.0;
    assert!((value("semantic_similarity") - expected).abs() < 1e-7);
    // The answers (2, 0) and (0, 1) are orthogonal: distance 1.
    assert!((value("embedding_diversity") - 1.0).abs() < 1e-12);
}
