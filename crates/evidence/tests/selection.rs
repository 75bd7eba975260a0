//! `selection` against a real SQLite store: the sides of a comparison and of a regression
//! check, each model's scores and a report's evidence, and the messages that refuse a
//! request that cannot be answered.

mod common;

use common::{acc_unit, bench_fingerprint, bench_unit, run, store};
use yardstick_evidence::selection::{
    comparison_sides, model_scores, regression_sides, report_evidence, Sides,
};
use yardstick_evidence::ComparisonMode;
use yardstick_store::{RunKind, Status, Store};

/// eval-1 and eval-2 (model m, then n, on arc_easy), bench-1 and profile-1.
async fn stored() -> Store {
    let store = store().await;
    run(&store, "eval-1", RunKind::Eval, 0, Status::Complete).await;
    acc_unit(
        &store,
        "eval-1",
        "m",
        "arc_easy",
        &[1.0, 0.0],
        Status::Complete,
    )
    .await;
    run(&store, "eval-2", RunKind::Eval, 100, Status::Complete).await;
    acc_unit(
        &store,
        "eval-2",
        "n",
        "arc_easy",
        &[1.0, 1.0, 1.0, 0.0],
        Status::Complete,
    )
    .await;
    run(&store, "bench-1", RunKind::Bench, 200, Status::Complete).await;
    bench_unit(&store, "bench-1", bench_fingerprint("m", "c=1#0"), &[], &[]).await;
    run(&store, "profile-1", RunKind::Profile, 300, Status::Complete).await;
    store
}

fn ids(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

async fn refusal(store: &Store, runs: &[&str], models: &[&str]) -> String {
    comparison_sides(store, &ids(runs), &ids(models), ComparisonMode::Models)
        .await
        .expect_err("refused")
        .to_string()
}

#[tokio::test]
async fn two_eval_runs_are_read_as_eval_sides() {
    let store = stored().await;
    let sides = comparison_sides(
        &store,
        &ids(&["eval-1", "eval-2"]),
        &[],
        ComparisonMode::Models,
    )
    .await
    .expect("sides");
    let Sides::EvalRuns {
        names,
        baseline,
        candidate,
    } = sides
    else {
        panic!("two eval runs give eval sides: {sides:?}");
    };
    assert_eq!(names, ("eval-1".to_string(), "eval-2".to_string()));
    assert_eq!(
        (baseline[0].metric.value, candidate[0].metric.value),
        (0.5, 0.75)
    );
}

#[tokio::test]
async fn comparison_sides_refuse_a_kind_mismatch_and_a_wrong_number_of_names() {
    let store = stored().await;
    assert_eq!(
        refusal(&store, &["eval-1", "bench-1"], &[]).await,
        "--run eval-1 is an eval run and --run bench-1 a bench run; compare two eval runs or two bench runs"
    );
    assert_eq!(
        refusal(&store, &["eval-1"], &[]).await,
        "give exactly two --run (baseline then candidate) or exactly two --model, not 1 --run and 0 --model"
    );
    assert_eq!(
        refusal(&store, &["eval-1", "eval-2"], &["m"]).await,
        "give exactly two --run (baseline then candidate) or exactly two --model, not 2 --run and 1 --model"
    );
    assert_eq!(
        refusal(&store, &["eval-1", "nope"], &[]).await,
        "--run nope: no such run (`yardstick runs list` shows them)"
    );
    assert_eq!(
        refusal(&store, &["profile-1", "profile-1"], &[]).await,
        "--run profile-1: profile runs have nothing to compare item by item"
    );
    assert_eq!(
        refusal(&store, &[], &["m", "nobody"]).await,
        "--model m --model nobody: no eval results on both models and no comparable bench runs of both (`yardstick leaderboard` and `yardstick runs list` show what is stored)"
    );
}

#[tokio::test]
async fn two_models_are_read_as_their_newest_results() {
    let store = stored().await;
    let sides = comparison_sides(&store, &[], &ids(&["m", "n"]), ComparisonMode::Models)
        .await
        .expect("sides");
    let Sides::Models {
        names,
        evals,
        benches,
    } = sides
    else {
        panic!("two models give model sides: {sides:?}");
    };
    assert_eq!(names, ("m".to_string(), "n".to_string()));
    let (left, right) = evals.expect("both models have eval results");
    assert_eq!(
        (left[0].unit.run_id.as_str(), right[0].unit.run_id.as_str()),
        ("eval-1", "eval-2")
    );
    // n was never benchmarked.
    assert!(benches.is_none());
}

#[tokio::test]
async fn regression_sides_name_their_flags() {
    let store = stored().await;
    let error = regression_sides(&store, "eval-1", "bench-1")
        .await
        .expect_err("mismatch");
    assert_eq!(
        error.to_string(),
        "--baseline eval-1 is an eval run and --candidate bench-1 a bench run; give two eval runs or two bench runs"
    );
    let error = regression_sides(&store, "eval-1", "gone")
        .await
        .expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "--candidate gone: no such run (`yardstick runs list` shows them)"
    );
    let error = regression_sides(&store, "profile-1", "profile-1")
        .await
        .expect_err("profile");
    assert_eq!(
        error.to_string(),
        "--baseline profile-1: profile runs have no metrics to judge"
    );
    let sides = regression_sides(&store, "bench-1", "bench-1")
        .await
        .expect("two bench runs");
    assert!(matches!(sides, Sides::BenchRuns { ref baseline, .. } if baseline.len() == 1));
}

#[tokio::test]
async fn report_evidence_refuses_an_unknown_run_and_scores_the_later_run_s_result() {
    let store = stored().await;
    let error = report_evidence(&store, &ids(&["eval-1", "nope"]))
        .await
        .expect_err("unknown run");
    assert_eq!(
        error.to_string(),
        "--runs nope: no such run (`yardstick runs list`)"
    );
    // eval-3 evaluates m again: given after eval-1, its result replaces eval-1's.
    run(&store, "eval-3", RunKind::Eval, 400, Status::Complete).await;
    acc_unit(
        &store,
        "eval-3",
        "m",
        "arc_easy",
        &[1.0, 1.0],
        Status::Complete,
    )
    .await;
    let evidence = report_evidence(&store, &ids(&["eval-1", "eval-3", "bench-1"]))
        .await
        .expect("evidence");
    let runs: Vec<&str> = evidence
        .runs
        .iter()
        .map(|report_run| report_run.run.run_id.as_str())
        .collect();
    assert_eq!(runs, ["eval-1", "eval-3", "bench-1"]);
    assert_eq!(evidence.task_scores["m"]["arc_easy"].value, 1.0);
    assert_eq!(evidence.runs[0].eval_units.len(), 1);
    assert_eq!(evidence.runs[2].bench_units.len(), 1);
    assert!(evidence.runs[2].eval_units.is_empty());
    // Given the other way round, eval-1's 0.5 is the later.
    let evidence = report_evidence(&store, &ids(&["eval-3", "eval-1"]))
        .await
        .expect("evidence");
    assert_eq!(evidence.task_scores["m"]["arc_easy"].value, 0.5);
}

#[tokio::test]
async fn model_scores_are_each_model_s_newest_results_and_empty_for_others() {
    let store = stored().await;
    let scores = model_scores(&store, ids(&["m", "n", "m", "nobody"]))
        .await
        .expect("scores");
    let read: Vec<(&str, Vec<(&str, f64)>)> = scores
        .iter()
        .map(|(model, tasks)| {
            (
                model.as_str(),
                tasks
                    .iter()
                    .map(|(task, record)| (task.as_str(), record.value))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("m", vec![("arc_easy", 0.5)]),
            ("n", vec![("arc_easy", 0.75)]),
            ("nobody", vec![])
        ]
    );
}
