//! The built-in `bbq`, `bbq_ambig` and `bbq_disambig` tasks against lm-eval 0.4.13's own.
//!
//! `fixtures/bbq_reference.json` was written by `scripts/parity/bbq_reference.py`: 49 docs
//! drawn from the 6 local BBQ categories with made-up per-choice loglikelihoods, run through
//! lm-eval's ConfigurableTask with its bbq YAML files and `utils.py` (process_docs, the
//! choices and targets, process_results and the aggregations). Here the same docs, as the
//! data directory's `bbq/<Category>.jsonl` files, and the same loglikelihoods go through
//! yardstick's tasks: prompts, choices, targets and processed docs must be lm-eval's, and
//! every aggregate equal within 1e-12; where lm-eval gives NaN there must be no record.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;
use yardstick_backend::ContinuationScore;
use yardstick_core::{ItemResult, MetricRecord, Unit};
use yardstick_tasks::{TaskDefinition, TaskItem, TaskRegistry};

const TOLERANCE: f64 = 1e-12;

/// The local categories, with their item counts from `bbq/SOURCE.md`.
const LOCAL: [(&str, u64); 6] = [
    ("Age", 3680),
    ("Disability_status", 1556),
    ("Nationality", 3080),
    ("Physical_appearance", 1576),
    ("Religion", 1200),
    ("Sexual_orientation", 864),
];

static REFERENCE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("fixtures/bbq_reference.json"))
        .expect("bbq_reference.json is valid JSON")
});

static REGISTRY: LazyLock<TaskRegistry> =
    LazyLock::new(|| TaskRegistry::builtin().expect("the built-in tasks load"));

fn task(name: &str) -> &'static TaskDefinition {
    REGISTRY
        .task(name)
        .unwrap_or_else(|| panic!("no built-in task {name}"))
}

fn array(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON array")
}

/// `Category/example_id`, the fixture's key of a doc.
fn key(doc: &Map<String, Value>) -> String {
    format!(
        "{}/{}",
        doc["category"].as_str().expect("a category"),
        doc["example_id"]
    )
}

/// A data directory holding the fixture's docs as `bbq/<Category>.jsonl`, in fixture order.
fn fixture_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("bbq")).expect("bbq/");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for doc in array(&REFERENCE["docs"]) {
        let category = doc["category"].as_str().expect("a category");
        let file = files.entry(category.to_string()).or_default();
        file.push_str(&serde_json::to_string(doc).expect("a doc serializes"));
        file.push('\n');
    }
    assert_eq!(files.len(), LOCAL.len(), "every local category has docs");
    for (category, text) in files {
        std::fs::write(dir.path().join(format!("bbq/{category}.jsonl")), text).expect("written");
    }
    dir
}

fn items(task: &TaskDefinition, data_dir: &Path) -> Vec<TaskItem> {
    task.items(data_dir, None)
        .unwrap_or_else(|error| panic!("{error}"))
        .map(|item| item.unwrap_or_else(|error| panic!("{error}")))
        .collect()
}

/// The item scored with the fixture's loglikelihoods of its doc.
fn score(task: &TaskDefinition, item: &TaskItem) -> ItemResult {
    let loglikelihoods = array(&REFERENCE["loglikelihoods"][key(&item.doc)]);
    let scores: Vec<ContinuationScore> = loglikelihoods
        .iter()
        .map(|value| ContinuationScore {
            loglikelihood: value.as_f64().expect("a loglikelihood"),
            is_greedy: false,
            continuation_tokens: 1,
            context_tokens: 1,
        })
        .collect();
    task.score(item, &scores)
        .unwrap_or_else(|error| panic!("{}: {error}", key(&item.doc)))
}

fn record<'a>(records: &'a [MetricRecord], name: &str) -> Option<&'a MetricRecord> {
    records.iter().find(|record| record.name == name)
}

#[test]
fn prompts_choices_targets_and_docs_are_lm_evals() {
    let data = fixture_data();
    let task = task("bbq");
    let items = items(task, data.path());
    let expected = array(&REFERENCE["tasks"]["bbq"]["items"]);
    assert_eq!(items.len(), expected.len());
    for (item, lm_eval) in items.iter().zip(expected) {
        let key = key(&item.doc);
        assert_eq!(key, lm_eval["key"], "dataset order");
        assert_eq!(
            item.context,
            lm_eval["context"].as_str().expect("a context"),
            "{key}"
        );
        let continuations: Vec<&str> = item
            .request
            .pairs
            .iter()
            .map(|pair| pair.continuation.as_str())
            .collect();
        assert_eq!(
            Value::from(continuations),
            lm_eval["continuations"],
            "{key}"
        );
        assert_eq!(
            Value::from(item.choices.clone()),
            lm_eval["choices"],
            "{key}"
        );
        assert_eq!(Value::from(item.gold), lm_eval["gold"], "{key}");
        assert_eq!(
            item.doc["biased_answers"], lm_eval["biased_answers"],
            "{key}"
        );
        for (index, groups) in array(&lm_eval["groups"]).iter().enumerate() {
            assert_eq!(&item.doc[&format!("ans{index}_groups")], groups, "{key}");
        }
    }
}

#[test]
fn per_item_values_are_lm_evals() {
    let data = fixture_data();
    let task = task("bbq");
    let expected = array(&REFERENCE["tasks"]["bbq"]["items"]);
    for (item, lm_eval) in items(task, data.path()).iter().zip(expected) {
        let key = key(&item.doc);
        let result = score(task, item);
        assert_eq!(result.metric("acc"), lm_eval["acc"].as_f64(), "{key}");
        // lm-eval: (acc, n_biased_ans, n_non_unk_ans, mask_disambiguated).
        let inputs = array(&lm_eval["bias_inputs"]);
        let disambiguated = inputs[3].as_bool().expect("the mask");
        let (own, other) = if disambiguated {
            ("disamb", "amb")
        } else {
            ("amb", "disamb")
        };
        let category = item.doc["category"].as_str().expect("a category");
        for name in [
            format!("{own}_bias_score"),
            format!("{own}_bias_score_{category}"),
        ] {
            assert_eq!(result.metric(&name), inputs[1].as_f64(), "{key} {name}");
            assert_eq!(result.weight(&name), inputs[2].as_f64(), "{key} {name}");
        }
        let accuracy = format!("accuracy_{own}");
        assert_eq!(result.metric(&accuracy), inputs[0].as_f64(), "{key}");
        for absent in [
            format!("accuracy_{other}"),
            format!("{other}_bias_score"),
            format!("{other}_bias_score_{category}"),
        ] {
            assert_eq!(result.metric(&absent), None, "{key} {absent}");
        }
        let reported = result
            .metrics
            .iter()
            .filter(|(name, _)| name.contains("bias_score_"))
            .count();
        assert_eq!(reported, 1, "{key}: one per-category bias score");
    }
}

#[test]
fn aggregates_equal_lm_evals() {
    let data = fixture_data();
    for name in ["bbq", "bbq_ambig", "bbq_disambig"] {
        let task = task(name);
        let reference = &REFERENCE["tasks"][name];
        let items = items(task, data.path());
        assert_eq!(
            Some(items.len() as u64),
            reference["count"].as_u64(),
            "{name}"
        );
        let keys: Vec<String> = items.iter().map(|item| key(&item.doc)).collect();
        let expected_keys: Vec<&str> = match reference.get("keys") {
            Some(keys) => array(keys)
                .iter()
                .map(|key| key.as_str().expect("a key"))
                .collect(),
            None => array(&reference["items"])
                .iter()
                .map(|item| item["key"].as_str().expect("a key"))
                .collect(),
        };
        assert_eq!(keys, expected_keys, "{name}: dataset order");
        let results: Vec<ItemResult> = items.iter().map(|item| score(task, item)).collect();
        let records = task
            .aggregate(&results)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let aggregates = reference["aggregates"].as_object().expect("aggregates");
        assert_eq!(aggregates.len(), 27, "{name}: lm-eval's 27 metrics");
        let mut compared = 0;
        for (metric, expected) in aggregates {
            let got = record(&records, metric);
            match (expected.as_f64(), got) {
                (None, None) => {}
                (Some(expected), Some(got)) => {
                    assert!(
                        (got.value - expected).abs() <= TOLERANCE,
                        "{name} {metric}: yardstick {}, lm-eval {expected}",
                        got.value
                    );
                    compared += 1;
                }
                (expected, got) => {
                    panic!("{name} {metric}: yardstick {got:?}, lm-eval {expected:?}")
                }
            }
        }
        assert_eq!(records.len(), compared, "{name}: no record lm-eval lacks");
        println!(
            "{name}: {compared} aggregates equal lm-eval's, {} NaN in both",
            27 - compared
        );
    }
}

#[test]
fn metrics_have_lm_evals_direction_and_a_unit() {
    let data = fixture_data();
    let task = task("bbq");
    let metrics = task.metrics().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(metrics.len(), 27);
    for metric in &metrics {
        let bias = metric.name.contains("bias_score");
        assert_eq!(metric.higher_is_better, !bias, "{}", metric.name);
    }
    let results: Vec<ItemResult> = items(task, data.path())
        .iter()
        .map(|item| score(task, item))
        .collect();
    let records = task
        .aggregate(&results)
        .unwrap_or_else(|error| panic!("{error}"));
    for record in &records {
        let expected = if record.name.contains("bias_score") {
            Unit::Scalar
        } else if record.name.starts_with("accuracy_") {
            Unit::Ratio
        } else {
            record.unit
        };
        assert_eq!(record.unit, expected, "{}", record.name);
        if record.name != "acc" {
            assert_eq!(record.stderr, None, "{}: lm-eval has none", record.name);
        }
    }
    // Items of the other 5 categories are absent: their per-category scores give no record.
    for category in [
        "Gender_identity",
        "Race_ethnicity",
        "Race_x_gender",
        "Race_x_SES",
        "SES",
    ] {
        assert!(record(&records, &format!("amb_bias_score_{category}")).is_none());
        assert!(record(&records, &format!("disamb_bias_score_{category}")).is_none());
    }
    let ambiguous = record(&records, "accuracy_amb").and_then(|record| record.n);
    assert_eq!(ambiguous, REFERENCE["tasks"]["bbq_ambig"]["count"].as_u64());
}

#[test]
fn local_data_has_the_counts_of_source_md() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let bbq = task("bbq");
    let mut per_category: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for item in bbq
        .items(&data_dir, None)
        .unwrap_or_else(|error| panic!("{error}"))
    {
        let item = item.unwrap_or_else(|error| panic!("{error}"));
        let category = item.doc["category"]
            .as_str()
            .expect("a category")
            .to_string();
        let ambiguous = item.doc["context_condition"] == "ambig";
        let counts = per_category.entry(category).or_default();
        counts.0 += 1;
        counts.1 += u64::from(ambiguous);
    }
    let expected: BTreeMap<String, (u64, u64)> = LOCAL
        .iter()
        .map(|(category, count)| (category.to_string(), (*count, count / 2)))
        .collect();
    assert_eq!(per_category, expected);
    let total: u64 = LOCAL.iter().map(|(_, count)| count).sum();
    assert_eq!(total, 11_956);
    for name in ["bbq_ambig", "bbq_disambig"] {
        let count = task(name).count_items(&data_dir);
        assert_eq!(
            count.map_err(|error| error.to_string()),
            Ok(total / 2),
            "{name}"
        );
    }
}
