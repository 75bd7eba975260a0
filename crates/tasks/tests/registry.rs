//! Task names, groups, tags, and the errors users see for bad names and configs.

use std::path::Path;
use yardstick_tasks::{list, resolve, EntryKind, TaskError, TaskRegistry};

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = dir.join(name).parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{error}"));
    }
    std::fs::write(dir.join(name), text).unwrap_or_else(|error| panic!("{error}"));
}

fn error_text<T>(result: Result<T, TaskError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn builtin_names() {
    let entries = list().unwrap_or_else(|error| panic!("{error}"));
    let kind_of = |name: &str| {
        entries
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.kind)
    };
    for task in [
        "arc_easy",
        "arc_challenge",
        "hellaswag",
        "piqa",
        "openbookqa",
        "boolq",
        "mmlu_abstract_algebra",
        "mmlu_world_religions",
        "winogrande",
        "truthfulqa_mc1",
        "truthfulqa_mc2",
        "truthfulqa_gen",
        "gsm8k",
        "gsm8k_cot",
        "triviaqa",
        "humaneval",
        "mbpp",
        "advbench",
        "xstest",
        "ifeval",
        "humaneval_instruct",
        "creative_writing",
        "bbq",
        "bbq_ambig",
        "bbq_disambig",
    ] {
        assert_eq!(kind_of(task), Some(EntryKind::Task), "{task}");
    }
    for group in [
        "mmlu",
        "mmlu_stem",
        "mmlu_humanities",
        "mmlu_social_sciences",
        "mmlu_other",
    ] {
        assert_eq!(kind_of(group), Some(EntryKind::Group), "{group}");
    }
    assert_eq!(kind_of("ai2_arc"), Some(EntryKind::Tag));
    assert_eq!(
        entries
            .iter()
            .filter(|entry| entry.kind == EntryKind::Task)
            .count(),
        6 + 57 + 9 + 8
    );
    // Every key of the built-in configs is one lm-eval defines (no "unknown key" warnings).
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    for entry in &entries {
        if let Some(task) = registry.task(&entry.name) {
            assert!(
                task.config().unknown.is_empty(),
                "{}: {:?}",
                entry.name,
                task.config().unknown
            );
        }
    }
}

#[test]
fn mmlu_expands_to_57_subjects_in_four_categories() {
    let resolved = resolve("mmlu").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(resolved.tasks.len(), 57);
    let groups: Vec<(&str, usize)> = resolved
        .groups
        .iter()
        .map(|group| (group.name(), group.leaves.len()))
        .collect();
    // Members before the groups containing them; counts from lm-eval's _generate_configs.py.
    assert_eq!(
        groups,
        [
            ("mmlu_stem", 19),
            ("mmlu_other", 13),
            ("mmlu_social_sciences", 12),
            ("mmlu_humanities", 13),
            ("mmlu", 57)
        ]
    );
    let stem = &resolved.groups[0];
    assert!(stem.leaves.contains(&"mmlu_abstract_algebra".to_string()));
    let mmlu = &resolved.groups[4];
    assert_eq!(
        mmlu.children,
        [
            "mmlu_stem",
            "mmlu_other",
            "mmlu_social_sciences",
            "mmlu_humanities"
        ]
    );
    let names: Vec<&str> = mmlu
        .config
        .aggregate_metric_list
        .iter()
        .map(|entry| entry.record_name())
        .collect();
    assert_eq!(names, ["acc", "acc_macro"]);
    let subject = resolved
        .tasks
        .iter()
        .find(|task| task.name() == "mmlu_abstract_algebra");
    let description = subject.map(|task| task.config().description.as_str());
    assert_eq!(description, Some("The following are multiple choice questions (with answers) about abstract algebra.\n\n"));
}

#[test]
fn tags_resolve_to_their_tasks() {
    let resolved = resolve("ai2_arc").unwrap_or_else(|error| panic!("{error}"));
    let names: Vec<&str> = resolved.tasks.iter().map(|task| task.name()).collect();
    assert_eq!(names, ["arc_challenge", "arc_easy"]);
    assert!(resolved.groups.is_empty());
}

#[test]
fn unknown_task_suggests_the_closest_and_lists_valid_names() {
    let text = error_text(resolve("arc_esay"));
    assert!(
        text.starts_with("unknown task `arc_esay` (did you mean `arc_easy`?); valid names: "),
        "{text}"
    );
    assert!(
        text.contains("hellaswag") && text.contains("mmlu_stem"),
        "{text}"
    );
    let text = error_text(resolve("zzzzzzzzzzzz"));
    assert!(
        text.starts_with(
            "unknown task `zzzzzzzzzzzz`; valid names: advbench, ai2_arc, arc_challenge, arc_easy, "
        ),
        "{text}"
    );
}

#[test]
fn task_hash_is_of_the_resolved_config() {
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let easy = registry
        .task("arc_easy")
        .unwrap_or_else(|| panic!("arc_easy"));
    let challenge = registry
        .task("arc_challenge")
        .unwrap_or_else(|| panic!("arc_challenge"));
    assert_eq!(easy.task_hash().len(), 64);
    assert_ne!(easy.task_hash(), challenge.task_hash());
    // arc_challenge includes arc_easy.yaml: its resolved config has the included templates.
    assert!(challenge
        .resolved_json()
        .contains(r#""doc_to_choice":"{{choices.text}}""#));
    assert!(challenge
        .resolved_json()
        .contains(r#""process_docs":{"!function":"yardstick.arc"}"#));
    assert!(!challenge.resolved_json().contains("include"));
    assert_eq!(challenge.config().tags, ["ai2_arc"]);
}

#[test]
fn unknown_python_hook_names_hook_and_task() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    write(
        dir.path(),
        "mine.yaml",
        "task: my_task\noutput_type: multiple_choice\nprocess_docs: !function utils.foo\n\
         doc_to_text: q\ndoc_to_target: 0\ndoc_to_choice: [a, b]\n",
    );
    let mut registry = TaskRegistry::new();
    registry
        .add_dir(dir.path())
        .unwrap_or_else(|error| panic!("{error}"));
    let text = error_text(registry.resolve("my_task"));
    assert!(
        text.starts_with("task my_task: `process_docs: !function utils.foo` names a Python function, which yardstick cannot run; the Rust hooks available are: yardstick.arc,"),
        "{text}"
    );
}

#[test]
fn config_errors_point_at_the_key_and_python_hooks_are_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    write(
        dir.path(),
        "gen.yaml",
        "task: gen\ndoc_to_text: q\ndoc_to_target: a\ntest_split: test\n",
    );
    write(
        dir.path(),
        "shots.yaml",
        "include: base.yaml\ntask: shots\nnum_fewshot: 5\n",
    );
    write(dir.path(), "base.yaml", "output_type: multiple_choice\ndoc_to_text: q\ndoc_to_target: 0\ndoc_to_choice: [a, b]\nmy_own_key: 1\n");
    write(
        dir.path(),
        "python.yaml",
        "task: python\noutput_type: generate_until\ndoc_to_text: !function utils.doc_to_text\ndoc_to_target: a\n",
    );
    write(
        dir.path(),
        "metric.yaml",
        "task: metric\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\nmetric_list:\n  - metric: acc_norm\n",
    );
    write(
        dir.path(),
        "filters.yaml",
        "task: filters\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\nfilter_list:\n  - name: x\n    filter:\n      - function: regexx\n",
    );
    write(
        dir.path(),
        "bad_type.yaml",
        "task: bad\noutput_type: multiple_choise\n",
    );
    let mut registry = TaskRegistry::new();
    for file in [
        "gen.yaml",
        "shots.yaml",
        "base.yaml",
        "python.yaml",
        "metric.yaml",
        "filters.yaml",
    ] {
        registry
            .add_file(&dir.path().join(file))
            .unwrap_or_else(|error| panic!("{error}"));
    }
    // Generative tasks and few-shot prompting resolve (they run).
    assert!(registry.resolve("gen").is_ok());
    assert!(registry.resolve("shots").is_ok());
    let text = error_text(registry.resolve("python"));
    assert!(
        text.starts_with("task python: `doc_to_text: !function utils.doc_to_text` names a Python function, which yardstick cannot run"),
        "{text}"
    );
    let text = error_text(registry.resolve("metric"));
    assert!(
        text.contains(
            "key `metric_list[0].metric`: unknown metric `acc_norm` for a generate_until task"
        ),
        "{text}"
    );
    let text = error_text(registry.resolve("filters"));
    assert!(
        text.contains("key `filter_list`")
            && text.contains("filter_list[0].filter[0].function")
            && text.contains("regexx"),
        "{text}"
    );
    let shots = registry
        .task("shots")
        .map(|task| task.config().unknown.keys().cloned().collect::<Vec<_>>());
    assert_eq!(shots, Some(vec!["my_own_key".to_string()]));
    let text = error_text(registry.add_file(&dir.path().join("bad_type.yaml")));
    assert!(text.starts_with("task bad (") && text.ends_with("bad_type.yaml): key `output_type`: unknown output_type `multiple_choise`; valid values: multiple_choice, loglikelihood, loglikelihood_rolling, generate_until"), "{text}");
}

#[test]
fn duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    write(dir.path(), "a.yaml", "task: arc_easy\n");
    let mut registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let text = error_text(registry.add_file(&dir.path().join("a.yaml")));
    assert!(
        text.starts_with("arc_easy is defined twice: in built-in arc/arc_easy.yaml and in "),
        "{text}"
    );
}
