//! Items from user task files and small data directories: streaming, limits, data errors,
//! scoring and fingerprint inputs.

use std::path::Path;
use yardstick_backend::ContinuationScore;
use yardstick_tasks::{TaskError, TaskItem, TaskRegistry};

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = dir.join(name).parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{error}"));
    }
    std::fs::write(dir.join(name), text).unwrap_or_else(|error| panic!("{error}"));
}

/// A registry with one task file `task.yaml` and a data directory `data/`.
fn setup(yaml: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, TaskRegistry) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    write(dir.path(), "task.yaml", yaml);
    for (name, text) in files {
        write(&dir.path().join("data"), name, text);
    }
    let mut registry = TaskRegistry::new();
    registry
        .add_file(&dir.path().join("task.yaml"))
        .unwrap_or_else(|error| panic!("{error}"));
    (dir, registry)
}

fn collect(
    registry: &TaskRegistry,
    task: &str,
    data_dir: &Path,
    limit: Option<u64>,
) -> Vec<Result<TaskItem, String>> {
    let task = registry
        .task(task)
        .unwrap_or_else(|| panic!("no task {task}"));
    match task.items(data_dir, limit) {
        Ok(items) => items
            .map(|item| item.map_err(|error| error.to_string()))
            .collect(),
        Err(error) => vec![Err(error.to_string())],
    }
}

const ARC_LIKE: &str = "task: my_arc\noutput_type: multiple_choice\ntest_split: test\n\
    dataset_kwargs:\n  data_files:\n    test: arc/test.jsonl\n\
    process_docs: !function yardstick.arc\n\
    doc_to_text: \"Question: {{question}}\\nAnswer:\"\n\
    doc_to_target: \"{{choices.label.index(answerKey)}}\"\n\
    doc_to_choice: \"{{choices.text}}\"\n";

fn arc_line(id: &str, answer: Option<&str>) -> String {
    let answer = answer
        .map(|key| format!(",\"answerKey\":\"{key}\""))
        .unwrap_or_default();
    format!(
        "{{\"id\":\"{id}\",\"question\":{{\"stem\":\"Q {id}?\",\"choices\":[{{\"text\":\"yes\",\"label\":\"A\"}},{{\"text\":\"no\",\"label\":\"B\"}}]}}{answer}}}\n"
    )
}

#[test]
fn malformed_line_names_task_file_line_and_field() {
    let data = [
        arc_line("a", Some("A")),
        arc_line("b", Some("B")),
        arc_line("c", None),
        arc_line("d", Some("A")),
    ]
    .concat();
    let (dir, registry) = setup(ARC_LIKE, &[("arc/test.jsonl", &data)]);
    let items = collect(&registry, "my_arc", &dir.path().join("data"), None);
    assert_eq!(items.len(), 3, "stops after the first error");
    let first = items[0].as_ref().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(first.context, "Question: Q a?\nAnswer:");
    assert_eq!(first.id.as_deref(), Some("a"));
    assert_eq!(items[1].as_ref().map(|item| item.gold), Ok(1));
    assert_eq!(
        items[2],
        Err("task my_arc, line 3 of arc/test.jsonl: missing field `answerKey`".to_string())
    );
}

#[test]
fn template_errors_name_the_key_and_the_missing_field() {
    let yaml = "task: plain\noutput_type: multiple_choice\nvalidation_split: dev\n\
        dataset_kwargs:\n  data_files:\n    dev: d.jsonl\n\
        doc_to_text: q\ndoc_to_target: \"{{labels.index(answer)}}\"\ndoc_to_choice: options\n";
    let data = "{\"q\": \"1?\", \"options\": [\"x\", \"y\"], \"labels\": [\"a\", \"b\"], \"answer\": \"b\"}\n\
        {\"q\": \"2?\", \"options\": [\"x\", \"y\"], \"labels\": [\"a\", \"b\"]}\n";
    let (dir, registry) = setup(yaml, &[("d.jsonl", data)]);
    let items = collect(&registry, "plain", &dir.path().join("data"), None);
    assert_eq!(
        items[0]
            .as_ref()
            .map(|item| (item.context.as_str(), item.gold)),
        Ok(("1?", 1))
    );
    assert_eq!(
        items[1],
        Err("task plain, line 2 of d.jsonl: doc_to_target `{{labels.index(answer)}}`: missing field `answer`".to_string())
    );
}

#[test]
fn limit_takes_the_first_items_in_dataset_order() {
    let data: String = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|id| arc_line(id, Some("A")))
        .collect();
    let (dir, registry) = setup(ARC_LIKE, &[("arc/test.jsonl", &data)]);
    let items = collect(&registry, "my_arc", &dir.path().join("data"), Some(2));
    let ids: Vec<(u64, Option<String>)> = items
        .into_iter()
        .filter_map(Result::ok)
        .map(|item| (item.index, item.id))
        .collect();
    assert_eq!(
        ids,
        [(0, Some("a".to_string())), (1, Some("b".to_string()))]
    );
    assert!(collect(&registry, "my_arc", &dir.path().join("data"), Some(0)).is_empty());
}

#[test]
fn csv_data_and_targets_given_as_choice_text() {
    let yaml = "task: capitals\noutput_type: multiple_choice\ntest_split: test\n\
        description: \"Capitals of {{country}}.\\n\\n\"\n\
        dataset_kwargs:\n  data_files:\n    test: capitals.csv\n\
        doc_to_text: \"{{country}}:\"\ndoc_to_target: capital\ndoc_to_choice: \"{{[a, b]}}\"\n\
        target_delimiter: \"  \"\nmetric_list:\n  - metric: acc_bytes\n";
    let data = "country,capital,a,b\nFrance,Paris,Lyon,Paris\nJapan,東京,東京,Kyoto\n";
    let (dir, registry) = setup(yaml, &[("capitals.csv", data)]);
    let items: Vec<TaskItem> = collect(&registry, "capitals", &dir.path().join("data"), None)
        .into_iter()
        .map(|item| item.unwrap_or_else(|error| panic!("{error}")))
        .collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].context, "Capitals of France.\n\nFrance:");
    assert_eq!(items[0].gold, 1);
    let continuations: Vec<&str> = items[1]
        .request
        .pairs
        .iter()
        .map(|pair| pair.continuation.as_str())
        .collect();
    assert_eq!(continuations, ["  東京", "  Kyoto"]);
    assert_eq!(items[1].gold, 0);
}

#[test]
fn gold_out_of_range_is_an_error_not_a_silent_zero() {
    let yaml = "task: t\noutput_type: multiple_choice\ntest_split: test\n\
        dataset_kwargs:\n  data_files:\n    test: d.json\n\
        doc_to_text: q\ndoc_to_target: label\ndoc_to_choice: [\"no\", \"yes\"]\n";
    let (dir, registry) = setup(
        yaml,
        &[(
            "d.json",
            "[{\"q\": \"a\", \"label\": 1}, {\"q\": \"b\", \"label\": 2}]",
        )],
    );
    let items = collect(&registry, "t", &dir.path().join("data"), None);
    assert_eq!(
        items[1],
        Err(
            "task t, element 2 of d.json: doc_to_target gave index 2, out of range for 2 choices"
                .to_string()
        )
    );
}

#[test]
fn missing_data_is_explained() {
    // Without a data directory a built-in task reads the hub; offline and with nothing
    // cached, the error names both ways to get the data.
    std::env::set_var("HF_HUB_OFFLINE", "1");
    let cache = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    std::env::set_var("HF_HOME", cache.path());
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let text = collect(
        &registry,
        "arc_easy",
        Path::new("/nonexistent/yardstick-data"),
        None,
    )
    .pop()
    .and_then(Result::err)
    .unwrap_or_default();
    assert!(text.starts_with("task arc_easy: "), "{text}");
    assert!(text.contains("allenai/ai2_arc"), "{text}");
    assert!(
        text.ends_with(
            "; or read the local files: the data directory /nonexistent/yardstick-data does not \
             exist (set YARDSTICK_DATA or pass --data-dir)"
        ),
        "{text}"
    );
    let empty = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let text = collect(&registry, "piqa", empty.path(), None)
        .pop()
        .and_then(Result::err)
        .unwrap_or_default();
    assert!(text.starts_with("task piqa: dataset file ") && text.ends_with("piqa/valid.jsonl not found; set YARDSTICK_DATA or pass --data-dir to the directory that holds `piqa/valid.jsonl`"), "{text}");
}

#[test]
fn score_builds_the_item_result() {
    let data = arc_line("a", Some("B"));
    let (dir, registry) = setup(ARC_LIKE, &[("arc/test.jsonl", &data)]);
    let task = registry.task("my_arc").unwrap_or_else(|| panic!("my_arc"));
    let item = collect(&registry, "my_arc", &dir.path().join("data"), None)
        .remove(0)
        .unwrap_or_else(|error| panic!("{error}"));
    let score = |loglikelihood: f64, is_greedy: bool| ContinuationScore {
        loglikelihood,
        is_greedy,
        continuation_tokens: 1,
        context_tokens: 5,
    };
    // "yes": -3.0 / 3 = -1.0, "no": -2.4 / 2 = -1.2 -> acc picks "no" (gold), acc_norm "yes".
    let result = task
        .score(&item, &[score(-3.0, false), score(-2.4, true)])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        (result.prediction, result.prediction_norm, result.gold),
        (1, 0, 1)
    );
    assert_eq!(
        result.metrics,
        vec![("acc".to_string(), 1.0), ("acc_norm".to_string(), 0.0)]
    );
    assert_eq!(result.item_id.as_deref(), Some("a"));
    let text = task
        .score(&item, &[score(-1.0, false)])
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert_eq!(
        text,
        "task my_arc, item 0: 2 choices but 1 loglikelihoods and 1 greedy flags"
    );
    let records = task
        .aggregate(&[result])
        .unwrap_or_else(|error| panic!("{error}"));
    let summary: Vec<(&str, f64, Option<u64>, Option<f64>)> = records
        .iter()
        .map(|record| (record.name.as_str(), record.value, record.n, record.stderr))
        .collect();
    assert_eq!(
        summary,
        [
            ("acc", 1.0, Some(1), None),
            ("acc_norm", 0.0, Some(1), None)
        ]
    );
}

#[test]
fn fingerprint_inputs_of_builtin_tasks() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let sha = |task: &str| {
        registry
            .task(task)
            .map(|task| task.dataset_sha256(&data_dir))
            .unwrap_or_else(|| panic!("{task}"))
            .unwrap_or_else(|error: TaskError| panic!("{error}"))
    };
    // Values from each dataset's SOURCE.md.
    let piqa = sha("piqa");
    assert_eq!(piqa.len(), 2);
    assert_eq!(
        piqa["piqa/valid.jsonl"],
        "93503cc97c679e459b065c3d13e848282e44b2a25213985bed3e5d458abef72d"
    );
    assert_eq!(
        piqa["piqa/valid-labels.lst"],
        "b4192dc3a2a0363d9d60ccf79800cbbe2f32ebb17726efdde6970e0b8131bceb"
    );
    assert_eq!(
        sha("arc_easy")["arc_easy/ARC-Easy-Test.jsonl"],
        "ce32a0774b4beb1977d2c6b16dda5dd2b24fdc9c7f506882c452678676bd09be"
    );
    assert_eq!(
        sha("hellaswag")["hellaswag/hellaswag_val.jsonl.gz"],
        "92e264a59ebdb8402af53a9ca4178ead281dcba5ccb6c0ffd39c016ba64bbaa2"
    );
    assert_eq!(
        sha("mmlu_anatomy").keys().collect::<Vec<_>>(),
        ["mmlu/mmlu_test.jsonl"]
    );
    let task = registry
        .task("openbookqa")
        .unwrap_or_else(|| panic!("openbookqa"));
    let fingerprint = task
        .fingerprint(&data_dir, Some(10))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!((fingerprint.items, fingerprint.limit), (10, Some(10)));
    assert_eq!(fingerprint.task_hash, task.task_hash());
    let again = task
        .fingerprint(&data_dir, Some(10))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fingerprint, again);
    let more = task
        .fingerprint(&data_dir, Some(11))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_ne!(fingerprint.prompt_hash, more.prompt_hash);
}

#[test]
fn items_can_move_to_another_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let data = arc_line("a", Some("A"));
    let (dir, registry) = setup(ARC_LIKE, &[("arc/test.jsonl", &data)]);
    let task = registry.task("my_arc").unwrap_or_else(|| panic!("my_arc"));
    let items = task
        .items(&dir.path().join("data"), None)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_send(&items);
    let count = std::thread::scope(|scope| scope.spawn(move || items.count()).join().unwrap_or(0));
    assert_eq!(count, 1);
}
