//! Generative evaluation end to end with the real Gemma model: a built-in chain-of-thought
//! task with lm-eval's answer-extraction filters, and a user's own task YAML with seeded
//! sampling, repeats and a majority vote. Same settings, same fingerprint: the same
//! generations, item by item.

mod common;

use common::yardstick;
use std::path::Path;
use yardstick_test_support::fixtures::{gemma_model, require_datasets};

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

/// Writes a task YAML and its JSON-lines data under `dir`; returns the YAML path.
fn user_task(dir: &Path, name: &str, body: &str, rows: &[serde_json::Value]) -> String {
    let data = dir.join(format!("{name}.jsonl"));
    let lines: Vec<String> = rows.iter().map(serde_json::Value::to_string).collect();
    std::fs::write(&data, lines.join("\n") + "\n").expect("data");
    let yaml = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &yaml,
        format!(
            "task: {name}\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {}\ntest_split: test\n{body}",
            data.display()
        ),
    )
    .expect("yaml");
    yaml.display().to_string()
}

#[test]
fn rolling_loglikelihood_gives_consistent_perplexities() {
    let Some(model) = gemma_model() else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let yaml = user_task(
        home.path(),
        "ppl",
        "output_type: loglikelihood_rolling\ndoc_to_text: \"\"\ndoc_to_target: \"{{text}}\"\n",
        &[
            serde_json::json!({"text": "The quick brown fox jumps over the lazy dog. It was a sunny day in the park."}),
            serde_json::json!({"text": "Paris is the capital and most populous city of France."}),
        ],
    );
    let model = model.display().to_string();
    let (_, _, rows) = eval(home.path(), &["-m", &model, "--tasks", &yaml]);
    let value = |name: &str| {
        rows.iter()
            .find(|(_, metric, _)| metric == name)
            .map(|(_, _, value)| *value)
            .unwrap_or_else(|| panic!("no {name} in {rows:?}"))
    };
    let (words, bytes, bits) = (
        value("word_perplexity"),
        value("byte_perplexity"),
        value("bits_per_byte"),
    );
    assert!(words.is_finite() && words > 1.0, "{rows:?}");
    assert!(
        bytes.is_finite() && bytes > 1.0 && bytes < words,
        "{rows:?}"
    );
    // bits per byte = log2(byte perplexity): both are -sum(ll) / bytes, in base 2 and e.
    assert!((bits - bytes.log2()).abs() < 1e-9, "{rows:?}");
}

#[test]
fn chat_template_and_system_instruction_run_and_enter_the_fingerprint() {
    let Some(model) = yardstick_test_support::fixtures::qwen_model() else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let yaml = user_task(
        home.path(),
        "colors",
        "output_type: multiple_choice\ndoc_to_text: \"What color is {{thing}}?\"\ndoc_to_choice: \"{{choices}}\"\ndoc_to_target: gold\n",
        &[
            serde_json::json!({"thing": "the sky on a clear day", "choices": ["blue", "green"], "gold": 0}),
            serde_json::json!({"thing": "fresh grass", "choices": ["red", "green"], "gold": 1}),
        ],
    );
    let model = model.display().to_string();
    let (_, plain, plain_rows) = eval(home.path(), &["-m", &model, "--tasks", &yaml]);
    let (_, chat, chat_rows) = eval(
        home.path(),
        &[
            "-m",
            &model,
            "--tasks",
            &yaml,
            "--apply-chat-template",
            "--system-instruction",
            "Answer with one word.",
        ],
    );
    assert_ne!(
        plain, chat,
        "the chat template and system instruction change the fingerprint"
    );
    assert_eq!(plain_rows.len(), chat_rows.len());
    assert!(chat_rows
        .iter()
        .all(|(_, _, value)| (0.0..=1.0).contains(value)));
}

#[test]
fn humaneval_runs_each_generation_in_the_sandbox_and_reports_pass_at_1() {
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
        "humaneval,mbpp",
        "--limit",
        "2",
        "--data-dir",
        &data,
    ];
    let (run, _, rows) = eval(home.path(), &args);
    let value = |task: &str, metric: &str| {
        rows.iter()
            .find(|(t, m, _)| t == task && m == metric)
            .map(|(_, _, value)| *value)
            .unwrap_or_else(|| panic!("no {task} {metric} in {rows:?}"))
    };
    let humaneval = value("humaneval", "pass@1,create_test");
    let mbpp = value("mbpp", "pass_at_1");
    assert!((0.0..=1.0).contains(&humaneval) && (0.0..=1.0).contains(&mbpp));

    // Every item carries its run, and pass@1 is the share of runs that passed.
    let output = yardstick(home.path())
        .args(["export", "--run", &run, "--items", "--format", "jsonl"])
        .output()
        .expect("export");
    assert!(output.status.success());
    let items: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("jsonl"))
        .collect();
    assert_eq!(items.len(), 4);
    let mut passed = 0;
    for item in items.iter().filter(|item| item["task"] == "humaneval") {
        let executions = item["executions"].as_array().expect("executions");
        assert_eq!(executions.len(), 1, "{item}");
        let kind = executions[0]["kind"].as_str().expect("a kind");
        assert!(
            yardstick_core::ExecutionKind::ALL
                .iter()
                .any(|known| known.as_str() == kind),
            "{kind}"
        );
        let pass = item["metrics"]["pass@1,create_test"]
            .as_f64()
            .expect("pass@1");
        assert_eq!(pass, f64::from(u8::from(kind == "passed")));
        passed += u8::from(kind == "passed");
    }
    assert_eq!(humaneval, f64::from(passed) / 2.0);
}
