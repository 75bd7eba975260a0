//! `compare::compare` on in-memory evidence: two eval runs, two bench runs, two models. Every
//! number is computed by hand in the comment beside it; the bootstrap is seeded.

use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::categories::Categories;
use yardstick_decide::compare::{compare, CompareOptions, Comparison};
use yardstick_decide::paired::{ComparisonSummary, McNemar, PairedTest, TaskComparison, Verdict};
use yardstick_evidence::scores::GroupMembership;
use yardstick_evidence::selection::Sides;
use yardstick_evidence::{BenchUnit, ComparisonMode, EvalUnit, Refusal};
use yardstick_test_support::evidence::{bench_unit, bench_unit_from, eval_unit, eval_unit_from};
use yardstick_test_support::fingerprint::fingerprint;

fn settings() -> BootstrapSettings {
    BootstrapSettings {
        resamples: 2000,
        level: 0.95,
        seed: 7,
    }
}

fn options(mode: ComparisonMode, groups: GroupMembership, subtasks: bool) -> CompareOptions {
    CompareOptions {
        mode,
        settings: settings(),
        alpha: 0.05,
        groups,
        subtasks,
        categories: Categories::default(),
    }
}

/// Per-item values of the baseline and the candidate, aligned by item.
type Scores = (Vec<f64>, Vec<f64>);

/// Per-item 0/1 scores of both sides: `both` items right on both, then `baseline_only`
/// right only on the baseline, `candidate_only` right only on the candidate, `neither`.
fn scores(both: usize, baseline_only: usize, candidate_only: usize, neither: usize) -> Scores {
    let mut baseline = vec![1.0; both + baseline_only];
    baseline.extend(vec![0.0; candidate_only + neither]);
    let mut candidate = vec![1.0; both];
    candidate.extend(vec![0.0; baseline_only]);
    candidate.extend(vec![1.0; candidate_only]);
    candidate.extend(vec![0.0; neither]);
    (baseline, candidate)
}

/// Model `a`'s and model `b`'s units of `task` with these scores.
fn task(name: &str, (baseline, candidate): Scores) -> (EvalUnit, EvalUnit) {
    (
        eval_unit("a", name, &baseline),
        eval_unit("b", name, &candidate),
    )
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-12
}

fn row<'a>(comparison: &'a Comparison, task: &str) -> &'a TaskComparison {
    comparison
        .tasks
        .iter()
        .find(|row| row.task == task)
        .unwrap_or_else(|| panic!("no row for {task} in {:?}", comparison.tasks))
}

/// a vs b on four tasks; boolq's prompts differ on b's side, so it is refused.
fn two_eval_runs() -> Sides {
    // arc_easy: 10 right on both, 8 only b, 2 neither: means 10/20 = 0.5 and 18/20 = 0.9.
    let arc = task("arc_easy", scores(10, 0, 8, 2));
    // hellaswag: 2 right on both, 10 only a: means 12/12 = 1 and 2/12.
    let hellaswag = task("hellaswag", scores(2, 10, 0, 0));
    // piqa: the same two right on both sides, two wrong on both.
    let piqa = task("piqa", scores(2, 0, 0, 2));
    let boolq_a = eval_unit("a", "boolq", &[1.0, 0.0, 1.0]);
    let boolq_b = eval_unit_from(
        fingerprint("b", "boolq").prompt_hash("other").build(),
        &[1.0, 1.0, 1.0],
    );
    Sides::EvalRuns {
        names: ("run-a".to_string(), "run-b".to_string()),
        baseline: vec![arc.0, boolq_a, hellaswag.0, piqa.0],
        candidate: vec![arc.1, boolq_b, hellaswag.1, piqa.1],
    }
}

#[test]
fn two_eval_runs_are_compared_task_by_task_with_mcnemar_and_holm() {
    let comparison = compare(
        &two_eval_runs(),
        &options(ComparisonMode::Models, GroupMembership::default(), false),
    )
    .expect("comparison");
    assert_eq!(comparison.mode, "models");
    assert_eq!(
        (comparison.baseline.as_str(), comparison.candidate.as_str()),
        ("run-a", "run-b")
    );
    let names: Vec<&str> = comparison
        .tasks
        .iter()
        .map(|row| row.task.as_str())
        .collect();
    assert_eq!(names, ["arc_easy", "hellaswag", "piqa"]);

    // arc_easy: d = 0.9 − 0.5 = 0.4. McNemar: n10 = 0, n01 = 8, so
    // p = 2 · C(8, 0) / 2⁸ = 2/256 = 0.0078125.
    let arc = row(&comparison, "arc_easy");
    assert_eq!(arc.items, 20);
    assert!(close(arc.baseline_mean, 0.5) && close(arc.candidate_mean, 0.9));
    assert!(close(arc.difference.value, 0.4), "{:?}", arc.difference);
    assert_eq!(arc.test, PairedTest::McNemarExact);
    let mcnemar: McNemar = arc.mcnemar.expect("0/1 scores get McNemar's test");
    assert_eq!((mcnemar.baseline_only, mcnemar.candidate_only), (0, 8));
    assert!(close(mcnemar.p_value, 2.0 / 256.0), "{mcnemar:?}");
    assert_eq!(arc.p_value, mcnemar.p_value);
    // The per-item differences are 8 ones in 20: a resampled mean of 0 would need 20 draws
    // of the 12 zeros; the 95% interval lies above 0 and contains 0.4.
    assert!(arc.difference.interval.low > 0.0, "{:?}", arc.difference);
    assert!(arc.difference.interval.contains(0.4));

    // hellaswag: d = 2/12 − 1 = −10/12. n10 = 10, n01 = 0: p = 2 · 1 / 2¹⁰ = 0.001953125.
    let hellaswag = row(&comparison, "hellaswag");
    assert!(close(hellaswag.difference.value, -10.0 / 12.0));
    assert!(close(hellaswag.p_value, 2.0 / 1024.0));
    assert!(hellaswag.difference.interval.high < 0.0);

    // piqa: no discordant item, p = 1; every per-item difference is 0, so is the interval.
    let piqa = row(&comparison, "piqa");
    assert_eq!(piqa.difference.value, 0.0);
    assert_eq!(
        (piqa.difference.interval.low, piqa.difference.interval.high),
        (0.0, 0.0)
    );
    assert_eq!(piqa.p_value, 1.0);

    // Holm over the three: sorted 2/1024 · 3 = 0.005859375, 2/256 · 2 = 0.015625, 1 · 1 = 1.
    assert!(close(hellaswag.adjusted_p_value, 6.0 / 1024.0));
    assert!(close(arc.adjusted_p_value, 4.0 / 256.0));
    assert_eq!(piqa.adjusted_p_value, 1.0);
    // Both adjusted p-values below 0.05: better and worse by the sign of d.
    assert_eq!(arc.verdict, Verdict::Better);
    assert_eq!(hellaswag.verdict, Verdict::Worse);
    assert_eq!(piqa.verdict, Verdict::Indistinguishable);
    assert_eq!(
        comparison.summary,
        Some(ComparisonSummary {
            better: 1,
            worse: 1,
            indistinguishable: 1
        })
    );

    assert_eq!(
        comparison.refused,
        [Refusal {
            task: "boolq".to_string(),
            differences: vec!["rendered prompts (sha256): p vs other".to_string()],
        }]
    );
    assert_eq!(
        comparison.refusals_line(),
        "boolq (rendered prompts (sha256): p vs other)"
    );
    assert_eq!(
        comparison.notes,
        [
            "model weights (sha256): sha-a vs sha-b (arc_easy, hellaswag, piqa)",
            "model: a vs b (arc_easy, hellaswag, piqa)",
        ]
    );
    assert!(comparison.latency.is_empty() && comparison.throughput.is_empty());
    assert!(!comparison.is_empty());
}

#[test]
fn the_same_seed_gives_the_same_intervals_and_another_seed_other_ones() {
    let sides = two_eval_runs();
    let first = compare(
        &sides,
        &options(ComparisonMode::Models, GroupMembership::default(), false),
    )
    .expect("comparison");
    let again = compare(
        &sides,
        &options(ComparisonMode::Models, GroupMembership::default(), false),
    )
    .expect("comparison");
    assert_eq!(first.tasks, again.tasks);
    let mut reseeded = options(ComparisonMode::Models, GroupMembership::default(), false);
    reseeded.settings.seed = 8;
    let other = compare(&sides, &reseeded).expect("comparison");
    // The point estimates do not depend on the draws; the interval's ends do.
    assert_eq!(
        first.tasks[0].difference.value,
        other.tasks[0].difference.value
    );
    assert_ne!(
        first.tasks[0].difference.stderr,
        other.tasks[0].difference.stderr
    );
}

#[test]
fn a_group_counts_once_by_its_pooled_items_and_its_subtasks_follow_it() {
    let groups = GroupMembership::new(vec![(
        "mmlu".to_string(),
        vec![
            "mmlu_anatomy".to_string(),
            "mmlu_astronomy".to_string(),
            "mmlu_law".to_string(),
        ],
    )]);
    let arc = task("arc_easy", scores(10, 0, 8, 2));
    // anatomy: 4 right on both, 2 only b; astronomy: 3 right on both, 1 only a.
    let anatomy = task("mmlu_anatomy", scores(4, 0, 2, 0));
    let astronomy = task("mmlu_astronomy", scores(3, 1, 0, 0));
    let sides = Sides::EvalRuns {
        names: ("run-a".to_string(), "run-b".to_string()),
        baseline: vec![arc.0, anatomy.0, astronomy.0],
        candidate: vec![arc.1, anatomy.1, astronomy.1],
    };
    let comparison =
        compare(&sides, &options(ComparisonMode::Models, groups, true)).expect("comparison");
    let names: Vec<(&str, Option<&str>)> = comparison
        .tasks
        .iter()
        .map(|row| (row.task.as_str(), row.group.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("arc_easy", None),
            ("mmlu (2/3 subtasks)", None),
            ("mmlu_anatomy", Some("mmlu")),
            ("mmlu_astronomy", Some("mmlu")),
        ]
    );
    // Pooled: 10 items, a right on 4 + 4 = 8, b on 6 + 3 = 9; n10 = 1, n01 = 2:
    // p = 2 · (C(3,0) + C(3,1)) / 2³ = 1.
    let mmlu = &comparison.tasks[1];
    assert_eq!((mmlu.items, mmlu.pooled_subtasks), (10, Some(2)));
    assert!(close(mmlu.baseline_mean, 0.8) && close(mmlu.candidate_mean, 0.9));
    assert!(close(mmlu.p_value, 1.0), "{mmlu:?}");
    // The family is arc_easy and mmlu: arc's 2/256 is doubled, not tripled.
    assert!(close(comparison.tasks[0].adjusted_p_value, 4.0 / 256.0));
    // Within the group: anatomy p = 2 · 1/2² = 0.5, astronomy 2 · 1/2 = 1 (capped);
    // Holm: 0.5 · 2 = 1, 1 · 1 = 1.
    assert!(close(comparison.tasks[2].p_value, 0.5));
    assert!(close(comparison.tasks[2].adjusted_p_value, 1.0));
    assert!(close(comparison.tasks[3].adjusted_p_value, 1.0));
    // Subtask rows are not counted in the summary.
    assert_eq!(
        comparison.summary,
        Some(ComparisonSummary {
            better: 1,
            worse: 0,
            indistinguishable: 1
        })
    );
}

/// Five measured requests a side, the candidate 10 ms slower on every one.
fn slower(mut unit: BenchUnit, by: f64) -> BenchUnit {
    let shift = |samples: &[f64]| samples.iter().map(|value| value + by).collect::<Vec<f64>>();
    unit.ttft_ms = shift(&[10.0, 20.0, 30.0, 40.0, 50.0]);
    unit.tpot_ms = shift(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    unit.e2e_ms = shift(&[100.0, 200.0, 300.0, 400.0, 500.0]);
    unit
}

fn two_bench_runs() -> Sides {
    let throughput = [("output_tokens_per_second", 100.0)];
    let baseline = vec![
        slower(bench_unit("m", "c=1#0", &throughput), 0.0),
        bench_unit("m", "c=4#0", &[]),
        bench_unit("m", "c=8#0", &[]),
    ];
    let engine_b2 =
        |point: &str| fingerprint("m", &format!("bench:{point}")).llama_cpp_version("b2");
    let candidate = vec![
        slower(
            bench_unit_from(
                engine_b2("c=1#0").build(),
                "c=1#0",
                &[
                    ("requests_per_second", 1.5),
                    ("output_tokens_per_second", 75.0),
                ],
            ),
            10.0,
        ),
        // Another dataset at c=8#0: refused.
        bench_unit_from(
            engine_b2("c=8#0")
                .dataset_sha256(&[("test.jsonl", "e")])
                .build(),
            "c=8#0",
            &[],
        ),
    ];
    Sides::BenchRuns {
        names: ("bench-1".to_string(), "bench-2".to_string()),
        baseline,
        candidate,
    }
}

#[test]
fn two_bench_runs_compare_percentiles_per_load_point_with_notes() {
    let options = options(ComparisonMode::Engine, GroupMembership::default(), false);
    let comparison = compare(&two_bench_runs(), &options).expect("comparison");
    assert_eq!(comparison.mode, "engine");
    assert!(comparison.tasks.is_empty() && comparison.summary.is_none());
    let rows: Vec<(&str, &str, f64, f64, f64)> = comparison
        .latency
        .iter()
        .map(|row| {
            (
                row.point.as_str(),
                row.metric.as_str(),
                row.percentile,
                row.baseline,
                row.candidate,
            )
        })
        .collect();
    // Linear interpolation over 5 sorted samples: rank q/100 · 4. p50 is the 3rd value;
    // p90 at rank 3.6 = x₄ + 0.6 (x₅ − x₄); p99 at rank 3.96 = x₄ + 0.96 (x₅ − x₄).
    // TTFT 10…50: 30, 46, 49.6; TPOT 1…5: 3, 4.6, 4.96; E2E 100…500: 300, 460, 496.
    let expected = [
        ("c=1#0", "ttft_ms", 50.0, 30.0, 40.0),
        ("c=1#0", "ttft_ms", 90.0, 46.0, 56.0),
        ("c=1#0", "ttft_ms", 99.0, 49.6, 59.6),
        ("c=1#0", "tpot_ms", 50.0, 3.0, 13.0),
        ("c=1#0", "tpot_ms", 90.0, 4.6, 14.6),
        ("c=1#0", "tpot_ms", 99.0, 4.96, 14.96),
        ("c=1#0", "e2e_ms", 50.0, 300.0, 310.0),
        ("c=1#0", "e2e_ms", 90.0, 460.0, 470.0),
        ("c=1#0", "e2e_ms", 99.0, 496.0, 506.0),
    ];
    assert_eq!(rows.len(), expected.len());
    for (row, expected) in rows.iter().zip(expected) {
        assert_eq!((row.0, row.1, row.2), (expected.0, expected.1, expected.2));
        assert!(
            close(row.3, expected.3) && close(row.4, expected.4),
            "{row:?} vs {expected:?}"
        );
    }
    for row in &comparison.latency {
        // Every candidate request is 10 ms slower: each percentile differs by 10 ms.
        assert!(close(row.difference.value, 10.0), "{row:?}");
        assert_eq!((row.baseline_requests, row.candidate_requests), (5, 5));
    }
    let throughput: Vec<(&str, f64, f64)> = comparison
        .throughput
        .iter()
        .map(|row| (row.metric.as_str(), row.baseline, row.candidate))
        .collect();
    assert_eq!(
        throughput,
        [
            ("requests_per_second", 2.0, 1.5),
            ("output_tokens_per_second", 100.0, 75.0)
        ]
    );
    assert_eq!(comparison.refused.len(), 1);
    assert_eq!(comparison.refused[0].task, "c=8#0");
    assert_eq!(
        comparison.refused[0].differences,
        [r#"dataset files (sha256): {"test.jsonl": "d"} vs {"test.jsonl": "e"}"#]
    );
    let rough = |latency: &str| {
        format!(
            "c=1#0: {latency} p99 from 5 requests is close to the maximum; its interval is rough below 100 requests"
        )
    };
    assert_eq!(
        comparison.notes,
        [
            "c=4#0: only the baseline ran this load point".to_string(),
            "engine: b1 vs b2 (c=1#0)".to_string(),
            rough("ttft_ms"),
            rough("tpot_ms"),
            rough("e2e_ms"),
        ]
    );
}

#[test]
fn a_latency_with_one_sample_is_left_out_with_a_note() {
    let baseline = bench_unit("m", "c=1#0", &[]);
    let mut candidate = bench_unit("m", "c=1#0", &[]);
    candidate.tpot_ms = vec![6.0];
    let sides = Sides::BenchRuns {
        names: ("bench-1".to_string(), "bench-2".to_string()),
        baseline: vec![baseline],
        candidate: vec![candidate],
    };
    let comparison = compare(
        &sides,
        &options(ComparisonMode::Engine, GroupMembership::default(), false),
    )
    .expect("comparison");
    let metrics: Vec<&str> = comparison
        .latency
        .iter()
        .map(|row| row.metric.as_str())
        .collect();
    assert_eq!(
        metrics,
        ["ttft_ms", "ttft_ms", "ttft_ms", "e2e_ms", "e2e_ms", "e2e_ms"]
    );
    assert_eq!(
        comparison.notes[0],
        "c=1#0: tpot_ms has 3 and 1 samples; not compared"
    );
}

#[test]
fn models_mode_merges_the_evals_and_the_newest_comparable_benches() {
    let arc = task("arc_easy", scores(10, 0, 8, 2));
    let benches = (
        ("bench-a".to_string(), vec![bench_unit("a", "c=1#0", &[])]),
        (
            "bench-b".to_string(),
            vec![bench_unit("b", "c=1#0", &[("requests_per_second", 4.0)])],
        ),
    );
    let sides = Sides::Models {
        names: ("a".to_string(), "b".to_string()),
        evals: Some((vec![arc.0], vec![arc.1])),
        benches: Some(benches.clone()),
    };
    let options = options(ComparisonMode::Models, GroupMembership::default(), false);
    let comparison = compare(&sides, &options).expect("comparison");
    assert_eq!(
        (comparison.baseline.as_str(), comparison.candidate.as_str()),
        ("a", "b")
    );
    assert_eq!(comparison.tasks.len(), 1);
    // Alone in its family, arc_easy keeps its p = 2/256.
    assert!(close(comparison.tasks[0].adjusted_p_value, 2.0 / 256.0));
    // 3 latencies × 3 percentiles at c=1#0; requests/s 2 vs 4 (no output tokens/s stored).
    assert_eq!(comparison.latency.len(), 9);
    assert_eq!(comparison.throughput.len(), 1);
    assert_eq!(
        (
            comparison.throughput[0].baseline,
            comparison.throughput[0].candidate
        ),
        (2.0, 4.0)
    );
    // The evals' notes, then the benches' with the runs they come from first.
    assert_eq!(
        comparison.notes[..3],
        [
            "model weights (sha256): sha-a vs sha-b (arc_easy)",
            "model: a vs b (arc_easy)",
            "serving: bench run bench-a vs bench run bench-b, the newest comparable pair",
        ]
    );
    assert!(comparison
        .notes
        .contains(&"model: a vs b (c=1#0)".to_string()));

    // Benches alone: a comparison without tasks or summary.
    let benches_only = Sides::Models {
        names: ("a".to_string(), "b".to_string()),
        evals: None,
        benches: Some(benches),
    };
    let comparison = compare(&benches_only, &options).expect("comparison");
    assert!(comparison.tasks.is_empty() && comparison.summary.is_none());
    assert_eq!(comparison.latency.len(), 9);

    let nothing = Sides::Models {
        names: ("a".to_string(), "b".to_string()),
        evals: None,
        benches: None,
    };
    let error = compare(&nothing, &options).expect_err("nothing to compare");
    assert_eq!(
        error.to_string(),
        "--model a --model b: no results to compare"
    );
}

#[test]
fn categories_are_compared_as_weighted_means_of_their_compared_tasks() {
    let categories = Categories::from_yaml(
        "reasoning:\n  - { task: arc_easy, weight: 1 }\n  - { task: hellaswag, weight: 3 }\n  - { task: winogrande, weight: 1 }\nknowledge:\n  - { task: boolq, weight: 1 }\n",
        "test",
    )
    .expect("categories");
    let mut options = options(ComparisonMode::Models, GroupMembership::default(), false);
    options.categories = categories;
    let comparison = compare(&two_eval_runs(), &options).expect("comparison");
    // knowledge's only task (boolq) was refused: no row.
    assert_eq!(comparison.categories.len(), 1);
    let reasoning = &comparison.categories[0];
    assert_eq!(reasoning.category, "reasoning");
    assert_eq!(reasoning.tasks_used, ["arc_easy", "hellaswag"]);
    assert_eq!(reasoning.tasks_missing, ["winogrande"]);
    let arc = row(&comparison, "arc_easy");
    let hellaswag = row(&comparison, "hellaswag");
    // (1 · 0.5 + 3 · 1) / 4 and (1 · 0.9 + 3 · 2/12) / 4; the difference likewise.
    assert!(close(reasoning.baseline, 3.5 / 4.0));
    assert!(close(reasoning.candidate, (0.9 + 0.5) / 4.0));
    assert!(close(
        reasoning.difference.value,
        (arc.difference.value + 3.0 * hellaswag.difference.value) / 4.0
    ));
    let stderr =
        (arc.difference.stderr.powi(2) + (3.0 * hellaswag.difference.stderr).powi(2)).sqrt() / 4.0;
    assert!(close(reasoning.difference.stderr, stderr));
    assert!(close(
        reasoning.difference.interval.high - reasoning.difference.value,
        1.959_963_984_540_054 * stderr
    ));
}
