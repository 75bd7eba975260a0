//! Fixtures shared by the store's integration tests.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use yardstick_core::{Fingerprint, ItemResult};
use yardstick_store::{NewRun, NewRunUnit, RunKind, Store};

/// A fixed instant, `seconds` after 2025-01-01T00:00:00Z.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_735_689_600 + seconds, 0)
        .single()
        .expect("a valid fixed timestamp")
}

pub fn fingerprint(model: &str, task: &str, seed: u64) -> Fingerprint {
    yardstick_test_support::fingerprint::fingerprint(model, task)
        .seed(seed)
        .build()
}

pub fn item(index: u64) -> ItemResult {
    let scale = index as f64 + 1.0;
    ItemResult {
        item_index: index,
        item_id: Some(format!("q{index}")),
        choice_loglikelihoods: vec![
            -1.2345678901234567e-5 * scale,
            -2.718281828459045e-3 * scale,
            -1.0e300 / scale,
            -0.1 - 0.2 * scale,
        ],
        choice_is_greedy: vec![true, false, false, index % 2 == 0],
        gold: (index % 4) as usize,
        prediction: 0,
        prediction_norm: (index % 3) as usize,
        metrics: vec![
            ("acc".into(), if index % 4 == 0 { 1.0 } else { 0.0 }),
            ("acc_norm".into(), 1.0 / 3.0 * scale),
        ],
        ..Default::default()
    }
}

pub fn new_run(run_id: &str, kind: RunKind, fingerprint_id: &str, created: i64) -> NewRun {
    NewRun {
        run_id: run_id.into(),
        kind,
        created_at: at(created),
        plan: serde_json::json!({ "tasks": ["arc_easy"], "limit": 100 }),
        fingerprint: serde_json::json!({ "id": fingerprint_id }),
        fingerprint_id: fingerprint_id.into(),
    }
}

pub fn new_unit(run_id: &str, model: &str, task: &str, seed: u64, started: i64) -> NewRunUnit {
    NewRunUnit {
        run_id: run_id.into(),
        model: model.into(),
        task: task.into(),
        fingerprint: fingerprint(model, task, seed),
        items_total: 100,
        started_at: at(started),
    }
}

/// Creates an eval run with one unit and returns the unit id.
pub async fn run_with_unit(store: &Store, run_id: &str, model: &str, task: &str) -> i64 {
    store
        .create_run(&new_run(run_id, RunKind::Eval, "fp", 0))
        .await
        .expect("create run");
    store
        .create_unit(&new_unit(run_id, model, task, 1, 0))
        .await
        .expect("create unit")
        .unit_id
}
