//! The `ifeval` task end to end: lm-eval's prompts from the data directory, GPT-4's reference
//! responses scored by the task's `process_results` hook and aggregated, against the
//! aggregates of lm-eval's own verdicts on the same responses
//! (`crates/ifeval/tests/fixtures/ifeval_gpt4_verdicts.jsonl`, made by
//! `scripts/parity/ifeval_verdicts.py`).

use std::collections::BTreeMap;

use serde_json::Value;
use yardstick_tasks::AggregateOptions;
use yardstick_test_support::fixtures::require_datasets;

/// lm-eval's verdicts by key: (response, strict, loose).
fn reference() -> BTreeMap<i64, (String, Vec<bool>, Vec<bool>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ifeval/tests/fixtures/ifeval_gpt4_verdicts.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("the ifeval verdict fixture");
    text.lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("a JSON line");
            let flags = |key: &str| -> Vec<bool> {
                row[key]
                    .as_array()
                    .expect("a list")
                    .iter()
                    .map(|flag| flag.as_bool().expect("a bool"))
                    .collect()
            };
            (
                row["key"].as_i64().expect("key"),
                (
                    row["response"].as_str().expect("response").to_string(),
                    flags("strict"),
                    flags("loose"),
                ),
            )
        })
        .collect()
}

#[test]
fn gpt4_responses_score_as_lm_evals_verdicts_say() {
    let Some(data) = require_datasets() else {
        return;
    };
    let task = yardstick_tasks::resolve("ifeval")
        .expect("the built-in ifeval task")
        .tasks
        .remove(0);
    let reference = reference();
    let mut results = Vec::new();
    for item in task.items(&data, None).expect("items") {
        let item = item.expect("an item");
        let key = item.doc["key"].as_i64().expect("key");
        // doc_to_text: prompt, zero-shot: the context is the prompt itself.
        assert_eq!(item.context, item.doc["prompt"].as_str().expect("prompt"));
        let (response, _, _) = &reference[&key];
        results.push(
            task.score_generation(&item, std::slice::from_ref(response))
                .expect("scored"),
        );
    }
    assert_eq!(results.len(), 541);
    let records = task
        .aggregate_with(&results, &AggregateOptions::default())
        .expect("aggregates");
    let value = |name: &str| {
        records
            .iter()
            .find(|record| record.name == name)
            .unwrap_or_else(|| panic!("no {name} in {records:?}"))
            .value
    };
    let prompts = reference.len() as f64;
    for (form, pick) in [("strict", 1usize), ("loose", 2)] {
        let lists: Vec<&Vec<bool>> = reference
            .values()
            .map(|(_, strict, loose)| if pick == 1 { strict } else { loose })
            .collect();
        let all = lists.iter().filter(|list| list.iter().all(|&f| f)).count() as f64;
        let followed = lists
            .iter()
            .flat_map(|list| list.iter())
            .filter(|&&f| f)
            .count() as f64;
        let instructions = lists.iter().map(|list| list.len()).sum::<usize>() as f64;
        assert_eq!(instructions, 834.0);
        let prompt_level = value(&format!("prompt_level_{form}_acc"));
        let instruction_level = value(&format!("inst_level_{form}_acc"));
        println!(
            "{form}: prompt level {prompt_level:.4}, instruction level {instruction_level:.4}"
        );
        assert!((prompt_level - all / prompts).abs() < 1e-12, "{form}");
        assert!(
            (instruction_level - followed / instructions).abs() < 1e-12,
            "{form}"
        );
    }
    // lm-eval's reported numbers on these responses (docs/parity.md).
    assert!((value("prompt_level_strict_acc") - 0.7708).abs() < 5e-5);
    assert!((value("inst_level_loose_acc") - 0.8561).abs() < 5e-5);
}

#[test]
fn creative_writing_reads_its_builtin_prompts_without_a_data_directory() {
    let task = yardstick_tasks::resolve("creative_writing")
        .expect("the built-in task")
        .tasks
        .remove(0);
    let missing = std::path::Path::new("/nonexistent/yardstick-data");
    let items: Vec<_> = task
        .items(missing, None)
        .expect("items")
        .collect::<Result<_, _>>()
        .expect("every item");
    assert_eq!(items.len(), 40);
    assert_eq!(
        items[0].context,
        "Write a short story of about 150 words about a lighthouse keeper who finds a message in a bottle addressed to her by name.\n\nStory:"
    );
    let names: Vec<String> = task
        .metrics()
        .expect("metrics")
        .into_iter()
        .map(|metric| metric.name)
        .collect();
    assert_eq!(
        names,
        [
            "distinct_2",
            "distinct_1",
            "self_bleu",
            "compression_ratio",
            "embedding_diversity"
        ]
    );
    assert!(task.needs_embeddings().expect("plan"));
    // Without an embedder the embedding metric is refused, naming itself.
    let stories = [
        "A keeper found a bottle on the rocks.",
        "The bookshop stayed open all night long.",
    ];
    let results: Vec<_> = items[..2]
        .iter()
        .zip(stories)
        .map(|(item, story)| {
            task.score_generation(item, &[story.to_string()])
                .expect("scored")
        })
        .collect();
    let error = task
        .aggregate_with(&results, &AggregateOptions::default())
        .expect_err("no embedder");
    assert!(error.to_string().contains("embedding_diversity"), "{error}");
}
