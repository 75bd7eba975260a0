//! Generative evaluation end to end with the real Gemma model: a built-in chain-of-thought
//! task with lm-eval's answer-extraction filters, and a user's own task YAML with seeded
//! sampling, repeats and a majority vote. Same settings, same fingerprint: the same
//! generations, item by item.

use assert_cmd::cargo::CommandCargoExt;
use std::path::Path;
use std::process::Command;
use yardstick_test_support::fixtures::{gemma_model, require_datasets};

fn yardstick(home: &Path) -> Command {
    let mut command = Command::cargo_bin("yardstick").expect("binary");
    command
        .env("YARDSTICK_HOME", home)
        .env_remove("YARDSTICK_DATA")
        .arg("--quiet");
    command
}

/// Runs an eval, returns (run id, fingerprint id, result rows as (task, metric, value)).
fn eval(home: &Path, args: &[&str]) -> (String, String, Vec<(String, String, f64)>) {
    let json = home.join("out.json");
    let output = yardstick(home)
        .arg("eval")
        .args(args)
        .arg("--output-json")
        .arg(&json)
        .output()
        .expect("eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
    let rows = value["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|row| row["metric"] != "items_per_second")
        .map(|row| {
            (
                row["task"].as_str().unwrap_or_default().to_string(),
                row["metric"].as_str().unwrap_or_default().to_string(),
                row["value"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    let fingerprint: yardstick_core::RunFingerprint =
        serde_json::from_value(value["fingerprint"].clone()).expect("fingerprint");
    (
        value["run_id"].as_str().unwrap_or_default().to_string(),
        fingerprint.id(),
        rows,
    )
}

/// The exported items of a run: (item index, generations, filtered answers).
fn generations(home: &Path, run: &str) -> Vec<serde_json::Value> {
    let output = yardstick(home)
        .args(["export", "--run", run, "--items", "--format", "jsonl"])
        .output()
        .expect("export");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).expect("jsonl");
            serde_json::json!([item["item_index"], item["generations"], item["filtered"]])
        })
        .collect()
}

#[test]
fn gsm8k_cot_generates_filters_and_repeats_identically() {
    let (Some(model), Some(data)) = (gemma_model(), require_datasets()) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let model = model.display().to_string();
    let data = data.display().to_string();
    let args = [
        "-m",
        &model,
        "--tasks",
        "gsm8k_cot",
        "--limit",
        "2",
        "--data-dir",
        &data,
    ];
    let (first, first_fingerprint, rows) = eval(home.path(), &args);
    let metrics: Vec<&str> = rows.iter().map(|(_, metric, _)| metric.as_str()).collect();
    assert_eq!(
        metrics,
        ["exact_match,strict-match", "exact_match,flexible-extract"]
    );
    let (second, second_fingerprint, again) = eval(home.path(), &args);
    assert_ne!(
        first, second,
        "a complete run is not reused; a new one is made"
    );
    assert_eq!(first_fingerprint, second_fingerprint);
    assert_eq!(rows, again);
    let items = generations(home.path(), &first);
    assert_eq!(items.len(), 2);
    for item in &items {
        let generated = item[1][0].as_str().unwrap_or_default();
        assert!(!generated.is_empty(), "{item}");
        assert!(
            !generated.contains("Q:"),
            "the stop sequence ends the text: {generated:?}"
        );
        assert_eq!(
            item[2].as_object().map(serde_json::Map::len),
            Some(2),
            "{item}"
        );
    }
    assert_eq!(items, generations(home.path(), &second));
}

#[test]
fn a_users_task_yaml_with_seeded_sampling_and_majority_vote_runs_unchanged() {
    let Some(model) = gemma_model() else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("capitals.jsonl");
    std::fs::write(
        &data,
        "{\"country\": \"France\", \"capital\": \"Paris\"}\n\
         {\"country\": \"Japan\", \"capital\": \"Tokyo\"}\n\
         {\"country\": \"Italy\", \"capital\": \"Rome\"}\n",
    )
    .expect("data");
    let yaml = home.path().join("capitals.yaml");
    std::fs::write(
        &yaml,
        format!(
            "task: capitals\n\
             dataset_path: json\n\
             dataset_kwargs:\n  data_files:\n    test: {}\n\
             test_split: test\n\
             output_type: generate_until\n\
             doc_to_text: \"Q: What is the capital of {{{{country}}}}?\\nA:\"\n\
             doc_to_target: \"{{{{capital}}}}\"\n\
             generation_kwargs:\n  until: [\"\\n\", \".\"]\n  max_gen_toks: 8\n  do_sample: true\n  temperature: 0.8\n\
             repeats: 3\n\
             filter_list:\n  - name: vote\n    filter:\n      - function: remove_whitespace\n      - function: majority_vote\n      - function: take_first\n\
             metric_list:\n  - metric: exact_match\n    ignore_case: true\n",
            data.display()
        ),
    )
    .expect("yaml");
    let validate = yardstick(home.path())
        .args(["tasks", "validate"])
        .arg(&yaml)
        .output()
        .expect("validate");
    assert!(validate.status.success());
    assert!(String::from_utf8_lossy(&validate.stdout)
        .contains("ok: task capitals (generate_until, metrics: exact_match, 0 few-shot)"));
    let model = model.display().to_string();
    let yaml = yaml.display().to_string();
    let args = ["-m", &model, "--tasks", &yaml, "--seed", "7"];
    let (first, _, rows) = eval(home.path(), &args);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "exact_match,vote");
    let (second, _, again) = eval(home.path(), &args);
    assert_eq!(rows, again);
    let items = generations(home.path(), &first);
    assert_eq!(items, generations(home.path(), &second));
    // Three sampled generations per item; at temperature 0.8 some item differs between them.
    assert!(items
        .iter()
        .all(|item| item[1].as_array().map(Vec::len) == Some(3)));
    let (third, _, _) = eval(
        home.path(),
        &["-m", &model, "--tasks", &yaml, "--seed", "8"],
    );
    assert_ne!(
        items,
        generations(home.path(), &third),
        "another seed samples differently"
    );
}
