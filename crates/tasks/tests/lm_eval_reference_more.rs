//! yardstick's prompts for winogrande, truthfulqa_mc1/mc2/gen, gsm8k (0-shot), gsm8k_cot,
//! triviaqa, humaneval, mbpp and three mmlu subjects at 5 shots, against lm-evaluation-harness's.
//!
//! `lm_eval_reference/expected_more.json` was produced by
//! `lm_eval_reference/render_more_with_lm_eval.py` (lm-eval 0.4.13, its own YAML files and Python
//! hooks, `fewshot_context` and `construct_requests`, on the same local data converted to the
//! Hugging Face layouts). For every task it holds the item count, a sha256 over every item and
//! a few items in full. The framing of the sha256 (yardstick_core::StreamHasher's):
//! - multiple_choice: each (context, continuation) pair in request order, then the gold index;
//! - generate_until: the context, the stop sequences as compact JSON, max_gen_toks, then every
//!   reference (lm-eval's `doc_to_target`; the alias list for triviaqa).
//!
//! gsm8k is checked at 0 shots only: its 5-shot examples come from the train split, which the
//! shared datasets do not hold.

use serde_json::Value;
use std::path::Path;
use yardstick_core::StreamHasher;
use yardstick_tasks::{ItemKind, TaskItem, TaskRegistry};

fn expected() -> Value {
    let text = include_str!("lm_eval_reference/expected_more.json");
    serde_json::from_str(text).unwrap_or_else(|error| panic!("expected_more.json: {error}"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Hashes one item as the script does and compares it with the reference item when there is
/// one; returns what differs.
fn check_item(
    name: &str,
    item: &TaskItem,
    reference: &Value,
    hasher: &mut StreamHasher,
) -> Vec<String> {
    let mut differences = Vec::new();
    let expected = reference["items"].get(item.index.to_string());
    let index = item.index;
    match reference["output_type"].as_str() {
        Some("multiple_choice") => {
            if item.kind != ItemKind::Choices {
                differences.push(format!("{name} item {index}: kind {:?}", item.kind));
            }
            for pair in &item.request.pairs {
                hasher.update(&pair.context);
                hasher.update(&pair.continuation);
            }
            hasher.update(&item.gold.to_string());
            if item.request.pairs.first().map(|pair| &pair.context) != Some(&item.context) {
                differences.push(format!(
                    "{name} item {index}: context is not the first request's"
                ));
            }
            if let Some(expected) = expected {
                let pairs: Vec<Vec<String>> = item
                    .request
                    .pairs
                    .iter()
                    .map(|pair| vec![pair.context.clone(), pair.continuation.clone()])
                    .collect();
                let expected_pairs: Vec<Vec<String>> = expected["pairs"]
                    .as_array()
                    .map(|pairs| pairs.iter().map(strings).collect())
                    .unwrap_or_default();
                differences.extend(compare_requests(name, index, &pairs, &expected_pairs));
                if Some(item.gold as u64) != expected["gold"].as_u64() {
                    differences.push(format!(
                        "{name} item {index}: gold {} (lm-eval {})",
                        item.gold, expected["gold"]
                    ));
                }
            }
        }
        Some("generate_until") => {
            let ItemKind::Generate {
                until,
                max_tokens,
                sampling,
                repeats,
            } = &item.kind
            else {
                differences.push(format!("{name} item {index}: kind {:?}", item.kind));
                return differences;
            };
            let until_json = serde_json::to_string(until).unwrap_or_default();
            hasher.update(&item.context);
            hasher.update(&until_json);
            hasher.update(&max_tokens.to_string());
            for reference in &item.references {
                hasher.update(reference);
            }
            if sampling.is_some() == (reference["do_sample"] == Value::Bool(false)) {
                differences.push(format!(
                    "{name} item {index}: sampling {sampling:?}, lm-eval do_sample {}",
                    reference["do_sample"]
                ));
            }
            if Some(u64::from(*repeats)) != reference["repeats"].as_u64() {
                differences.push(format!(
                    "{name} item {index}: repeats {repeats} (lm-eval {})",
                    reference["repeats"]
                ));
            }
            if let Some(expected) = expected {
                if item.context != expected["context"].as_str().unwrap_or_default() {
                    differences.push(format!(
                        "{name} item {index}: context\n  yardstick: {:?}\n  lm-eval:   {:?}",
                        item.context, expected["context"]
                    ));
                }
                if *until != strings(&expected["until"]) {
                    differences.push(format!(
                        "{name} item {index}: until {until:?} (lm-eval {})",
                        expected["until"]
                    ));
                }
                if Some(u64::from(*max_tokens)) != expected["max_gen_toks"].as_u64() {
                    differences.push(format!(
                        "{name} item {index}: max tokens {max_tokens} (lm-eval {})",
                        expected["max_gen_toks"]
                    ));
                }
                if item.references != strings(&expected["references"]) {
                    differences.push(format!(
                        "{name} item {index}: references\n  yardstick: {:?}\n  lm-eval:   {}",
                        item.references, expected["references"]
                    ));
                }
            }
        }
        other => differences.push(format!("{name}: unexpected output type {other:?}")),
    }
    differences
}

/// The first request whose context differs, and the continuations when they differ.
fn compare_requests(
    name: &str,
    index: u64,
    pairs: &[Vec<String>],
    expected: &[Vec<String>],
) -> Vec<String> {
    let mut differences = Vec::new();
    if pairs.len() != expected.len() {
        differences.push(format!(
            "{name} item {index}: {} requests (lm-eval {})",
            pairs.len(),
            expected.len()
        ));
    }
    if let Some((request, (pair, expected_pair))) = pairs
        .iter()
        .zip(expected)
        .enumerate()
        .find(|(_, (pair, expected_pair))| pair.first() != expected_pair.first())
    {
        differences.push(format!(
            "{name} item {index}: context of request {request}\n  yardstick: {:?}\n  lm-eval:   {:?}",
            pair.first(),
            expected_pair.first()
        ));
    }
    let continuations = |pairs: &[Vec<String>]| -> Vec<String> {
        pairs
            .iter()
            .filter_map(|pair| pair.get(1).cloned())
            .collect()
    };
    if continuations(pairs) != continuations(expected) {
        differences.push(format!(
            "{name} item {index}: continuations\n  yardstick: {:?}\n  lm-eval:   {:?}",
            continuations(pairs),
            continuations(expected)
        ));
    }
    differences
}

/// truthfulqa_gen's docs after process_docs_gen: what its process_results scores against.
fn hash_answers(
    name: &str,
    item: &TaskItem,
    reference: &Value,
    hasher: &mut StreamHasher,
) -> Vec<String> {
    let mut differences = Vec::new();
    for key in ["correct_answers", "incorrect_answers"] {
        let answers = strings(&item.doc.get(key).cloned().unwrap_or_default());
        hasher.update(&answers.len().to_string());
        for answer in &answers {
            hasher.update(answer);
        }
        if let Some(expected) = reference["items"].get(item.index.to_string()) {
            if answers != strings(&expected[key]) {
                differences.push(format!(
                    "{name} item {}: {key}\n  yardstick: {answers:?}\n  lm-eval:   {}",
                    item.index, expected[key]
                ));
            }
        }
    }
    differences
}

fn check_task(name: &str) {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let expected = expected();
    let reference = &expected["tasks"][name];
    assert!(reference.is_object(), "expected_more.json has no {name}");
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let task = registry
        .task(name)
        .unwrap_or_else(|| panic!("no built-in task {name}"));
    let overridden;
    let task = match reference["num_fewshot_override"].as_u64() {
        Some(shots) => {
            overridden = task
                .with_num_fewshot(shots)
                .unwrap_or_else(|error| panic!("{name} at {shots} shots: {error}"));
            &overridden
        }
        None => task,
    };
    check_items(name, task, &data_dir, reference);
}

fn check_items(
    name: &str,
    task: &yardstick_tasks::TaskDefinition,
    data_dir: &Path,
    reference: &Value,
) {
    let mut hasher = StreamHasher::new();
    let mut answers = reference.get("answers_sha256").map(|_| StreamHasher::new());
    let mut differences = Vec::new();
    let mut count = 0u64;
    for item in task
        .items(data_dir, None)
        .unwrap_or_else(|error| panic!("{name}: {error}"))
    {
        let item = item.unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(item.index, count, "{name}: items out of order");
        differences.extend(check_item(name, &item, reference, &mut hasher));
        if let Some(answers) = answers.as_mut() {
            differences.extend(hash_answers(name, &item, reference, answers));
        }
        count += 1;
    }
    if Some(count) != reference["count"].as_u64() {
        differences.push(format!(
            "{name}: {count} items (lm-eval {})",
            reference["count"]
        ));
    }
    if hasher.finish() != reference["all_items_sha256"].as_str().unwrap_or_default() {
        differences.push(format!(
            "{name}: some item differs from lm-eval's rendering"
        ));
    }
    if let Some(answers) = answers {
        if answers.finish() != reference["answers_sha256"].as_str().unwrap_or_default() {
            differences.push(format!(
                "{name}: some doc's correct/incorrect answers differ from lm-eval's process_docs_gen"
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn the_reference_covers_these_tasks() {
    let expected = expected();
    let mut names: Vec<&str> = expected["tasks"]
        .as_object()
        .map(|tasks| tasks.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "gsm8k",
            "gsm8k_cot",
            "humaneval",
            "mbpp",
            "mmlu_abstract_algebra",
            "mmlu_anatomy",
            "mmlu_world_religions",
            "triviaqa",
            "truthfulqa_gen",
            "truthfulqa_mc1",
            "truthfulqa_mc2",
            "winogrande",
        ]
    );
}

#[test]
fn winogrande_matches_lm_eval() {
    check_task("winogrande");
}

#[test]
fn truthfulqa_mc1_matches_lm_eval() {
    check_task("truthfulqa_mc1");
}

#[test]
fn truthfulqa_mc2_matches_lm_eval() {
    check_task("truthfulqa_mc2");
}

#[test]
fn truthfulqa_gen_matches_lm_eval() {
    check_task("truthfulqa_gen");
}

#[test]
fn gsm8k_zero_shot_matches_lm_eval() {
    check_task("gsm8k");
}

#[test]
fn gsm8k_cot_matches_lm_eval() {
    check_task("gsm8k_cot");
}

#[test]
fn triviaqa_matches_lm_eval() {
    check_task("triviaqa");
}

#[test]
fn humaneval_matches_lm_eval() {
    check_task("humaneval");
}

#[test]
fn mbpp_matches_lm_eval() {
    check_task("mbpp");
}

#[test]
fn mmlu_five_shot_matches_lm_eval() {
    for name in [
        "mmlu_abstract_algebra",
        "mmlu_anatomy",
        "mmlu_world_religions",
    ] {
        check_task(name);
    }
}
