//! `leaderboard::Leaderboard` on hand-written cells: its task columns, each model's mean,
//! the ranking, and category scores that leave partial groups out.

use yardstick_core::{MetricRecord, Unit};
use yardstick_decide::categories::Categories;
use yardstick_decide::leaderboard::Leaderboard;
use yardstick_evidence::gather::ProfileRecord;
use yardstick_evidence::scores::QualityCell;

fn cell(model: &str, task: &str, metric: &str, value: f64) -> QualityCell {
    QualityCell {
        model: model.to_string(),
        task: task.to_string(),
        metric: metric.to_string(),
        value,
        stderr: Some(0.02),
        n: Some(100),
        run_id: format!("run-{model}"),
        fingerprint_id: Some(format!("fp-{model}-{task}")),
    }
}

fn speed(model: &str) -> ProfileRecord {
    ProfileRecord {
        model: model.to_string(),
        run_id: format!("profile-{model}"),
        deployment_id: None,
        record: MetricRecord::new("load_time_ms", 1500.0, Unit::Milliseconds),
    }
}

fn categories() -> Categories {
    Categories::from_yaml(
        "reasoning:\n  - { task: arc_easy, weight: 1 }\n  - { task: hellaswag, weight: 3 }\n\
         knowledge:\n  - { task: mmlu, weight: 1 }\n\
         coding:\n  - { task: humaneval, weight: 1 }\n",
        "test categories",
    )
    .expect("valid categories")
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-12
}

/// a: 0.6 and 0.4; b: 0.8 and 0.5; c: arc_easy only; d: a speed record only.
fn leaderboard() -> Leaderboard {
    Leaderboard::new(
        vec![
            cell("a", "arc_easy", "acc", 0.6),
            cell("a", "hellaswag", "acc_norm", 0.4),
            cell("b", "arc_easy", "acc", 0.8),
            cell("b", "hellaswag", "acc_norm", 0.5),
            cell("c", "arc_easy", "acc", 0.9),
        ],
        vec![speed("d"), speed("a")],
        &categories(),
    )
}

#[test]
fn models_are_ranked_by_their_mean_and_a_model_missing_a_task_comes_last() {
    let leaderboard = leaderboard();
    assert_eq!(
        leaderboard.tasks(),
        [
            ("arc_easy".to_string(), "acc".to_string()),
            ("hellaswag".to_string(), "acc_norm".to_string())
        ]
    );
    // a: (0.6 + 0.4) / 2 = 0.5; b: (0.8 + 0.5) / 2 = 0.65; c lacks hellaswag: no mean,
    // however high its one score.
    assert!(close(leaderboard.mean("a").expect("a mean"), 0.5));
    assert!(close(leaderboard.mean("b").expect("a mean"), 0.65));
    assert_eq!(leaderboard.mean("c"), None);
    assert_eq!(leaderboard.mean("d"), None);
    // Without a mean, c and d follow in name order.
    assert_eq!(leaderboard.ranked_models(), ["b", "a", "c", "d"]);
    assert_eq!(
        leaderboard.cell("b", "hellaswag").map(|cell| cell.value),
        Some(0.5)
    );
    assert_eq!(
        leaderboard
            .speed("a", "load_time_ms")
            .map(|s| s.record.value),
        Some(1500.0)
    );
    assert!(!leaderboard.is_empty());
    assert!(Leaderboard::new(Vec::new(), Vec::new(), &categories()).is_empty());
}

#[test]
fn categories_come_from_whole_tasks_and_complete_groups_only() {
    let mut quality = vec![
        cell("a", "arc_easy", "acc", 0.6),
        cell("a", "hellaswag", "acc_norm", 0.4),
        // Two of 57 subjects: not mmlu's score, so no knowledge category for a.
        cell("a", "mmlu (2/57 subtasks)", "acc", 0.9),
        cell("b", "arc_easy", "acc", 0.8),
        cell("b", "mmlu", "acc", 0.55),
    ];
    quality[4].stderr = Some(0.01);
    let leaderboard = Leaderboard::new(quality, Vec::new(), &categories());
    let found: Vec<(&str, &str)> = leaderboard
        .categories
        .iter()
        .map(|cell| (cell.model.as_str(), cell.score.category.as_str()))
        .collect();
    // Categories in name order per model; coding has no task anywhere and is left out.
    assert_eq!(
        found,
        [("a", "reasoning"), ("b", "knowledge"), ("b", "reasoning")]
    );
    // a reasoning: (1 · 0.6 + 3 · 0.4) / 4 = 0.45; s.e. √(0.02² + (3 · 0.02)²) / 4
    // = √0.004 / 4.
    let reasoning = &leaderboard.categories[0].score;
    assert!(close(reasoning.score.expect("a score"), 0.45));
    assert!(close(
        reasoning.stderr.expect("a stderr"),
        0.004f64.sqrt() / 4.0
    ));
    assert!(!reasoning.partial);
    // b knowledge: mmlu alone, 0.55 ± 0.01.
    let knowledge = &leaderboard.categories[1].score;
    assert!(close(knowledge.score.expect("a score"), 0.55));
    assert!(close(knowledge.stderr.expect("a stderr"), 0.01));
    // b reasoning: arc_easy only (weights renormalised), partial, naming the missing task.
    let partial = &leaderboard.categories[2].score;
    assert!(close(partial.score.expect("a score"), 0.8));
    assert!(partial.partial);
    assert_eq!(partial.tasks_missing, ["hellaswag"]);
}
