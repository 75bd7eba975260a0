//! Metric records and the leaderboard queries.

mod common;

use common::{at, new_run, new_unit};
use yardstick_core::{MetricRecord, Unit};
use yardstick_store::{RunKind, Status, Store};

fn accuracy(value: f64) -> Vec<MetricRecord> {
    vec![
        MetricRecord::new("acc", value, Unit::Ratio)
            .with_stderr(0.01)
            .with_n(100),
        MetricRecord::new("acc_norm", value / 2.0, Unit::Ratio),
    ]
}

/// Adds an eval unit (model, task, fingerprint seed) to run `run_id` (created if needed) with
/// the given status, finish time and accuracy; returns its id.
async fn unit(
    store: &Store,
    run_id: &str,
    (model, task, seed): (&str, &str, u64),
    status: Status,
    finished: i64,
    acc: f64,
) -> i64 {
    if store.run(run_id).await.expect("read run").is_none() {
        store
            .create_run(&new_run(run_id, RunKind::Eval, "fp", finished - 50))
            .await
            .expect("run");
    }
    let unit_id = store
        .create_unit(&new_unit(run_id, model, task, seed, finished - 10))
        .await
        .expect("unit")
        .unit_id;
    store
        .replace_unit_metrics(unit_id, &accuracy(acc))
        .await
        .expect("metrics");
    store
        .set_unit_status(unit_id, status, at(finished))
        .await
        .expect("status");
    unit_id
}

#[tokio::test]
async fn metric_records_round_trip_every_field() {
    let store = Store::open_in_memory().await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let records = vec![
        MetricRecord::new("acc", -1.2345678901234567e-5, Unit::Ratio)
            .with_stderr(0.015_811_388_300_841_896)
            .with_n(u64::from(u32::MAX) * 4),
        MetricRecord::new("decode", 41.7, Unit::TokensPerSecond)
            .with_n(5)
            .with_spread(39.999_999_999_999_99, 1.7976931348623157e308),
        MetricRecord::new("perplexity", f64::INFINITY, Unit::Scalar),
    ];
    let stored = store
        .replace_unit_metrics(unit_id, &records)
        .await
        .expect("store");
    let read: Vec<MetricRecord> = stored.iter().map(|metric| metric.record.clone()).collect();
    assert_eq!(read, records);
    assert!(stored.iter().all(|metric| metric.unit_id == Some(unit_id)
        && metric.model == "gemma"
        && metric.task == "arc_easy"
        && metric.run_id == "r1"));

    let from_run = store.metrics_for_run("r1").await.expect("read");
    assert_eq!(from_run, stored);
    for (read, original) in from_run.iter().zip(&records) {
        assert_eq!(read.record.value.to_bits(), original.value.to_bits());
    }

    // Replacing swaps the set; NaN survives as a value, not as an optional.
    let replacement = vec![MetricRecord {
        stderr: Some(f64::NAN),
        ..MetricRecord::new("acc", f64::NAN, Unit::Ratio)
    }];
    store
        .replace_unit_metrics(unit_id, &replacement)
        .await
        .expect("replace");
    let read = store.metrics_for_run("r1").await.expect("read");
    assert_eq!(read.len(), 1);
    assert!(read[0].record.value.is_nan());
    assert_eq!(read[0].record.stderr, None);

    assert!(store.replace_unit_metrics(999, &records).await.is_err());
}

#[tokio::test]
async fn run_level_records_are_replaced_per_model_and_kind() {
    let store = Store::open_in_memory().await.expect("open");
    store
        .create_run(&new_run("p1", RunKind::Profile, "pf", 0))
        .await
        .expect("run");
    let load = vec![MetricRecord::new("load_time", 812.5, Unit::Milliseconds).with_n(3)];
    let speed = vec![MetricRecord::new(
        "decode_tokens_per_second",
        55.0,
        Unit::TokensPerSecond,
    )];
    store
        .replace_run_metrics("p1", "gemma", "load", &load)
        .await
        .expect("load");
    store
        .replace_run_metrics("p1", "gemma", "speed", &speed)
        .await
        .expect("speed");
    store
        .replace_run_metrics("p1", "qwen", "speed", &speed)
        .await
        .expect("speed");
    // Running the step again does not duplicate.
    store
        .replace_run_metrics("p1", "gemma", "speed", &speed)
        .await
        .expect("again");
    let read = store.metrics_for_run("p1").await.expect("read");
    let keys: Vec<(&str, &str, &str, Option<i64>)> = read
        .iter()
        .map(|m| {
            (
                m.model.as_str(),
                m.task.as_str(),
                m.record.name.as_str(),
                m.unit_id,
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("gemma", "load", "load_time", None),
            ("qwen", "speed", "decode_tokens_per_second", None),
            ("gemma", "speed", "decode_tokens_per_second", None),
        ]
    );
    assert!(store
        .replace_run_metrics("nope", "gemma", "speed", &speed)
        .await
        .is_err());
}

#[tokio::test]
async fn the_leaderboard_takes_the_latest_complete_unit_per_model_task_and_fingerprint() {
    let store = Store::open_in_memory().await.expect("open");
    // gemma × arc_easy, seed 1: complete at 100 and 300, a later interrupted one at 500.
    unit(
        &store,
        "a",
        ("gemma", "arc_easy", 1),
        Status::Complete,
        100,
        0.10,
    )
    .await;
    let latest = unit(
        &store,
        "b",
        ("gemma", "arc_easy", 1),
        Status::Complete,
        300,
        0.30,
    )
    .await;
    unit(
        &store,
        "c",
        ("gemma", "arc_easy", 1),
        Status::Interrupted,
        500,
        0.50,
    )
    .await;
    // Same model and task, another fingerprint: its own row, older than `latest`.
    let seed2 = unit(
        &store,
        "a",
        ("gemma", "arc_easy-2", 2),
        Status::Complete,
        90,
        0.20,
    )
    .await;
    // gemma × arc_easy, seed 2 (another fingerprint), complete at 200, in its own run.
    let seed2_same_task = {
        store
            .create_run(&new_run("d", RunKind::Eval, "fp", 150))
            .await
            .expect("run");
        let unit_id = store
            .create_unit(&new_unit("d", "gemma", "arc_easy", 2, 190))
            .await
            .expect("unit")
            .unit_id;
        store
            .replace_unit_metrics(unit_id, &accuracy(0.25))
            .await
            .expect("metrics");
        store
            .set_unit_status(unit_id, Status::Complete, at(200))
            .await
            .expect("status");
        unit_id
    };
    // A model whose only unit failed is absent; a running one too.
    unit(
        &store,
        "c",
        ("qwen", "arc_easy", 1),
        Status::Failed,
        400,
        0.9,
    )
    .await;
    let running = unit(
        &store,
        "e",
        ("qwen", "hellaswag", 1),
        Status::Complete,
        600,
        0.6,
    )
    .await;
    store
        .set_unit_status(running, Status::Running, at(700))
        .await
        .expect("status");

    let board = store.leaderboard().await.expect("leaderboard");
    let rows: Vec<(i64, &str, &str, f64)> = board
        .iter()
        .map(|row| {
            (
                row.unit.unit_id,
                row.unit.model.as_str(),
                row.unit.task.as_str(),
                row.metrics[0].value,
            )
        })
        .collect();
    // Rows are ordered by model, task, then fingerprint id.
    let seed1_first = common::fingerprint("gemma", "arc_easy", 1).id()
        < common::fingerprint("gemma", "arc_easy", 2).id();
    let (seed1_row, seed2_row) = (
        (latest, "gemma", "arc_easy", 0.30),
        (seed2_same_task, "gemma", "arc_easy", 0.25),
    );
    let mut expected = if seed1_first {
        vec![seed1_row, seed2_row]
    } else {
        vec![seed2_row, seed1_row]
    };
    expected.push((seed2, "gemma", "arc_easy-2", 0.20));
    assert_eq!(rows, expected);
    assert!(board.iter().all(|row| row.unit.status == Status::Complete));
    assert_eq!(board[0].metrics, accuracy(board[0].metrics[0].value));

    // Per (model, task), whatever the fingerprint: the most recent complete one.
    let latest_rows: Vec<(i64, f64)> = store
        .latest_units()
        .await
        .expect("latest")
        .iter()
        .map(|row| (row.unit.unit_id, row.metrics[0].value))
        .collect();
    assert_eq!(latest_rows, vec![(latest, 0.30), (seed2, 0.20)]);
}

#[tokio::test]
async fn equal_finish_times_prefer_the_later_unit() {
    let store = Store::open_in_memory().await.expect("open");
    unit(
        &store,
        "a",
        ("gemma", "arc_easy", 1),
        Status::Complete,
        100,
        0.1,
    )
    .await;
    let later = unit(
        &store,
        "b",
        ("gemma", "arc_easy", 1),
        Status::Complete,
        100,
        0.2,
    )
    .await;
    let board = store.leaderboard().await.expect("leaderboard");
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].unit.unit_id, later);
}

#[tokio::test]
async fn latest_profile_records_come_from_each_models_latest_complete_profile_run() {
    let store = Store::open_in_memory().await.expect("open");
    let speed = |value| vec![MetricRecord::new("decode", value, Unit::TokensPerSecond)];
    let profile = |run_id: &'static str, created: i64, status: Status, finished: i64| {
        let store = store.clone();
        async move {
            store
                .create_run(&new_run(run_id, RunKind::Profile, "pf", created))
                .await
                .expect("run");
            store
                .set_run_status(run_id, status, at(finished))
                .await
                .expect("status");
        }
    };
    profile("p1", 0, Status::Complete, 10).await;
    profile("p2", 20, Status::Complete, 30).await;
    profile("p3", 40, Status::Interrupted, 50).await;
    store
        .replace_run_metrics("p1", "gemma", "speed", &speed(10.0))
        .await
        .expect("m");
    store
        .replace_run_metrics("p1", "qwen", "speed", &speed(20.0))
        .await
        .expect("m");
    store
        .replace_run_metrics("p2", "gemma", "speed", &speed(11.0))
        .await
        .expect("m");
    store
        .replace_run_metrics("p2", "gemma", "load", &speed(1.0))
        .await
        .expect("m");
    store
        .replace_run_metrics("p3", "gemma", "speed", &speed(99.0))
        .await
        .expect("m");
    store
        .replace_run_metrics("p3", "qwen", "speed", &speed(99.0))
        .await
        .expect("m");
    // Eval runs never count as profiles.
    unit(&store, "e", ("qwen", "speed", 1), Status::Complete, 60, 0.5).await;
    store
        .set_run_status("e", Status::Complete, at(61))
        .await
        .expect("status");

    let latest = store.latest_profile_metrics().await.expect("profiles");
    type Summary<'a> = (&'a str, &'a str, Vec<(&'a str, f64)>);
    let summary: Vec<Summary> = latest
        .iter()
        .map(|profile| {
            (
                profile.model.as_str(),
                profile.run_id.as_str(),
                profile
                    .metrics
                    .iter()
                    .map(|metric| (metric.task.as_str(), metric.record.value))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("gemma", "p2", vec![("speed", 11.0), ("load", 1.0)]),
            ("qwen", "p1", vec![("speed", 20.0)]),
        ]
    );
    assert_eq!(latest[0].run_finished_at, Some(at(30)));
}
