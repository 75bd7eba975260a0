//! Helpers shared by the CLI's integration tests: the binary with a private home, and
//! results written straight into a store (eval runs with per-item scores, bench runs with
//! metric records) so that expected numbers can be worked out by hand.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use chrono::Utc;
use yardstick_core::{Fingerprint, ItemResult, MetricRecord, Unit};
use yardstick_store::{NewRun, NewRunUnit, RunKind, Status, Store};

/// The binary with `home` as its YARDSTICK_HOME, quiet.
pub fn yardstick(home: &Path) -> Command {
    let mut command = Command::cargo_bin("yardstick").expect("binary");
    command
        .env("YARDSTICK_HOME", home)
        .env_remove("YARDSTICK_DATA")
        .arg("--quiet");
    command
}

pub async fn run(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("join")
}

pub fn fingerprint(model: &str, task: &str, prompt_hash: &str) -> Fingerprint {
    yardstick_test_support::fingerprint::fingerprint(model, task)
        .prompt_hash(prompt_hash)
        .limited_to(60)
        .build()
}

/// Stores an eval run of `model`: per task, the per-item `acc` values and their mean.
pub async fn eval_run(store: &Store, run_id: &str, model: &str, tasks: &[(&str, &str, Vec<f64>)]) {
    store
        .create_run(&NewRun {
            run_id: run_id.into(),
            kind: RunKind::Eval,
            created_at: Utc::now(),
            plan: serde_json::json!({}),
            fingerprint: serde_json::json!({}),
            fingerprint_id: format!("fp-{run_id}"),
        })
        .await
        .expect("run");
    for (task, prompt_hash, scores) in tasks {
        let unit = store
            .create_unit(&NewRunUnit {
                run_id: run_id.into(),
                model: model.into(),
                task: (*task).into(),
                fingerprint: fingerprint(model, task, prompt_hash),
                items_total: scores.len() as u64,
                started_at: Utc::now(),
            })
            .await
            .expect("unit");
        let items: Vec<ItemResult> = scores
            .iter()
            .enumerate()
            .map(|(index, &score)| ItemResult {
                item_index: index as u64,
                metrics: vec![("acc".into(), score)],
                ..Default::default()
            })
            .collect();
        store
            .insert_items(unit.unit_id, &items)
            .await
            .expect("items");
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        store
            .replace_unit_metrics(
                unit.unit_id,
                &[MetricRecord::new("acc", mean, Unit::Ratio).with_n(scores.len() as u64)],
            )
            .await
            .expect("metrics");
        store
            .set_unit_status(unit.unit_id, Status::Complete, Utc::now())
            .await
            .expect("status");
    }
    store
        .set_run_status(run_id, Status::Complete, Utc::now())
        .await
        .expect("status");
}

/// Stores a bench run of `model` with one unit per load point and the given records.
pub async fn bench_run(
    store: &Store,
    run_id: &str,
    model: &str,
    points: &[(&str, &[(&str, f64)])],
) {
    bench_run_with(
        store,
        run_id,
        model,
        serde_json::json!({}),
        "workload",
        points,
    )
    .await;
}

/// [`bench_run`] with the run's plan and the units' workload digest (prompt hash).
pub async fn bench_run_with(
    store: &Store,
    run_id: &str,
    model: &str,
    plan: serde_json::Value,
    workload_digest: &str,
    points: &[(&str, &[(&str, f64)])],
) {
    store
        .create_run(&NewRun {
            run_id: run_id.into(),
            kind: RunKind::Bench,
            created_at: Utc::now(),
            plan,
            fingerprint: serde_json::json!({}),
            fingerprint_id: format!("fp-{run_id}"),
        })
        .await
        .expect("run");
    for (point, records) in points {
        let task = format!("bench:{point}");
        let unit = store
            .create_unit(&NewRunUnit {
                run_id: run_id.into(),
                model: model.into(),
                task: task.clone(),
                fingerprint: fingerprint(model, &task, workload_digest),
                items_total: 10,
                started_at: Utc::now(),
            })
            .await
            .expect("unit");
        let records: Vec<MetricRecord> = records
            .iter()
            .map(|(name, value)| MetricRecord::new(*name, *value, Unit::Scalar))
            .collect();
        store
            .replace_unit_metrics(unit.unit_id, &records)
            .await
            .expect("metrics");
        store
            .set_unit_status(unit.unit_id, Status::Complete, Utc::now())
            .await
            .expect("status");
    }
    store
        .set_run_status(run_id, Status::Complete, Utc::now())
        .await
        .expect("status");
}
