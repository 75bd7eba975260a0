//! The rendered prompts of every built-in task, from the shared datasets.
//!
//! Snapshots (insta) make any change in what a model is asked a reviewed diff. The literal
//! strings in `prompts_equal_lm_eval_literals` are what lm-eval 0.4.13 itself rendered for the
//! same items (printed from `lm_eval_reference/expected.json`, which
//! `lm_eval_reference/render_with_lm_eval.py` produced with lm-eval's `ConfigurableTask`);
//! `lm_eval_reference.rs` compares every item of every task against lm-eval.

use serde::Serialize;
use std::path::Path;
use yardstick_tasks::{TaskItem, TaskRegistry};

#[derive(Serialize)]
struct Rendered {
    index: u64,
    id: Option<String>,
    context: String,
    continuations: Vec<String>,
    gold: usize,
}

fn rendered(item: &TaskItem) -> Rendered {
    Rendered {
        index: item.index,
        id: item.id.clone(),
        context: item.context.clone(),
        continuations: item
            .request
            .pairs
            .iter()
            .map(|pair| pair.continuation.clone())
            .collect(),
        gold: item.gold,
    }
}

/// Items `indices` of `task` (read up to the largest one).
fn items(registry: &TaskRegistry, data_dir: &Path, task: &str, indices: &[u64]) -> Vec<TaskItem> {
    let definition = registry
        .task(task)
        .unwrap_or_else(|| panic!("no built-in task {task}"));
    let limit = indices.iter().max().map(|last| last + 1);
    definition
        .items(data_dir, limit)
        .unwrap_or_else(|error| panic!("{error}"))
        .map(|item| item.unwrap_or_else(|error| panic!("{error}")))
        .filter(|item| indices.contains(&item.index))
        .collect()
}

#[test]
fn snapshots_of_first_and_later_items() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    for task in [
        "arc_easy",
        "arc_challenge",
        "hellaswag",
        "piqa",
        "openbookqa",
        "boolq",
    ] {
        let items: Vec<Rendered> = items(&registry, &data_dir, task, &[0, 100])
            .iter()
            .map(rendered)
            .collect();
        assert_eq!(items.len(), 2, "{task}");
        insta::assert_yaml_snapshot!(task, items);
    }
    let resolved = registry
        .resolve("mmlu")
        .unwrap_or_else(|error| panic!("{error}"));
    let mut mmlu = Vec::new();
    for task in &resolved.tasks {
        let subject_items = items(&registry, &data_dir, task.name(), &[0, 99]);
        assert_eq!(subject_items.len(), 2, "{}", task.name());
        mmlu.push((
            task.name().to_string(),
            subject_items.iter().map(rendered).collect::<Vec<_>>(),
        ));
    }
    insta::assert_yaml_snapshot!("mmlu", mmlu);
}

fn first_item(
    registry: &TaskRegistry,
    data_dir: &Path,
    task: &str,
    index: u64,
) -> (String, Vec<String>, usize) {
    let item = items(registry, data_dir, task, &[index])
        .pop()
        .unwrap_or_else(|| panic!("{task} has no item {index}"));
    let continuations = item
        .request
        .pairs
        .iter()
        .map(|pair| pair.continuation.clone())
        .collect();
    (item.context, continuations, item.gold)
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|text| text.to_string()).collect()
}

#[test]
fn prompts_equal_lm_eval_literals() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        first_item(&registry, &data_dir, "arc_easy", 0),
        (
            "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:".to_string(),
            strings(&[
                " Sunlight is the source of energy for nearly all ecosystems.",
                " Most ecosystems are found on land instead of in water.",
                " Carbon dioxide is more available than other gases.",
                " The producers in all ecosystems are plants.",
            ]),
            0
        )
    );
    // HellaSwag: ctx_b "the lady" capitalised, as lm-eval's process_docs does.
    assert_eq!(
        first_item(&registry, &data_dir, "hellaswag", 1),
        (
            "Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. The lady".to_string(),
            strings(&[
                " swings and lands in her arms.",
                " pulls the barbell forward.",
                " pulls a rope attached to the barbell.",
                " stands and lifts the weight over her head.",
            ]),
            3
        )
    );
    assert_eq!(
        first_item(&registry, &data_dir, "openbookqa", 0),
        (
            "A person wants to start saving money so that they can afford a nice vacation at the end of the year. After looking over their budget and expenses, they decide the best way to save money is to".to_string(),
            strings(&[" make more phone calls", " quit eating lunch out", " buy less with monopoly money", " have lunch with friends"]),
            1
        )
    );
    let (context, continuations, gold) = first_item(&registry, &data_dir, "piqa", 0);
    assert_eq!(
        context,
        "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"
    );
    assert_eq!(continuations.len(), 2);
    assert!(continuations[1].starts_with(" Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material"));
    assert_eq!(gold, 0);
    let (context, continuations, gold) = first_item(&registry, &data_dir, "boolq", 0);
    assert!(
        context
            .starts_with("Ethanol fuel -- All biomass goes through at least some of these steps:"),
        "{context}"
    );
    assert!(context.ends_with(
        "concluded that producing ethanol from corn uses much less petroleum than producing gasoline.\nQuestion: does ethanol take more energy make that produces?\nAnswer:"
    ));
    assert_eq!((continuations, gold), (strings(&[" no", " yes"]), 0));
    assert_eq!(
        first_item(&registry, &data_dir, "mmlu_world_religions", 0),
        (
            "The following are multiple choice questions (with answers) about world religions.\n\nWhat can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\nD. Idols\nAnswer:".to_string(),
            strings(&[" A", " B", " C", " D"]),
            3
        )
    );
}
