//! yardstick's prompts and scores against lm-evaluation-harness's own.
//!
//! `lm_eval_reference/expected.json` was produced by `lm_eval_reference/render_with_lm_eval.py`
//! (lm-eval 0.4.13, its own YAML files, `ConfigurableTask.fewshot_context`,
//! `construct_requests` and `process_results`, on the same local data converted to the Hugging
//! Face layouts). For every built-in task it holds the item count, a sha256 over every item's
//! context, continuations and gold index, and a few items in full.

use serde_json::Value;
use std::path::Path;
use yardstick_core::StreamHasher;
use yardstick_tasks::{score_multiple_choice, MultipleChoiceMetric, TaskRegistry};

fn expected() -> Value {
    let text = include_str!("lm_eval_reference/expected.json");
    serde_json::from_str(text).unwrap_or_else(|error| panic!("expected.json: {error}"))
}

fn check_task(registry: &TaskRegistry, data_dir: &Path, name: &str, reference: &Value) {
    let task = registry
        .task(name)
        .unwrap_or_else(|| panic!("no built-in task {name}"));
    let mut hasher = StreamHasher::new();
    let mut count = 0u64;
    for item in task
        .items(data_dir, None)
        .unwrap_or_else(|error| panic!("{error}"))
    {
        let item = item.unwrap_or_else(|error| panic!("{error}"));
        hasher.update(&item.context);
        for pair in &item.request.pairs {
            assert_eq!(pair.context, item.context);
            hasher.update(&pair.continuation);
        }
        hasher.update(&item.gold.to_string());
        if let Some(expected) = reference["items"].get(item.index.to_string()) {
            assert_eq!(
                item.context,
                expected["context"].as_str().unwrap_or_default(),
                "{name} item {}: context",
                item.index
            );
            let continuations: Vec<&str> = item
                .request
                .pairs
                .iter()
                .map(|pair| pair.continuation.as_str())
                .collect();
            let expected_continuations: Vec<&str> = expected["continuations"]
                .as_array()
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(
                continuations, expected_continuations,
                "{name} item {}: continuations",
                item.index
            );
            assert_eq!(
                Some(item.gold as u64),
                expected["gold"].as_u64(),
                "{name} item {}: gold",
                item.index
            );
        }
        count += 1;
    }
    assert_eq!(
        Some(count),
        reference["count"].as_u64(),
        "{name}: item count"
    );
    assert_eq!(
        hasher.finish(),
        reference["all_items_sha256"].as_str().unwrap_or_default(),
        "{name}: some item differs from lm-eval's rendering"
    );
}

#[test]
fn every_item_of_every_builtin_task_matches_lm_eval() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let expected = expected();
    let tasks = expected["tasks"].as_object().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), 6 + 57);
    for (name, reference) in &tasks {
        check_task(&registry, &data_dir, name, reference);
    }
}

#[test]
fn scores_match_lm_eval_process_results() {
    let expected = expected();
    let cases = expected["scoring"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let strings = |key: &str| -> Vec<String> {
            case[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let choices = strings("choices");
        let loglikelihoods: Vec<f64> = case["loglikelihoods"]
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        let is_greedy: Vec<bool> = case["is_greedy"]
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_bool).collect())
            .unwrap_or_default();
        let gold = case["gold"].as_u64().unwrap_or(u64::MAX) as usize;
        let outcome = score_multiple_choice(
            &MultipleChoiceMetric::ALL,
            &loglikelihoods,
            &is_greedy,
            &choices,
            gold,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        for (metric, value) in outcome.values {
            assert_eq!(
                Some(value),
                case["metrics"][metric.as_str()].as_f64(),
                "{metric} for {choices:?}"
            );
        }
    }
}
