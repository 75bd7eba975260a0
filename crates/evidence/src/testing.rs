//! In-memory results for the unit tests of this crate.

use chrono::{TimeZone, Utc};
use yardstick_core::{Fingerprint, MetricRecord, Unit};
use yardstick_store::{RunUnit, Status};

use crate::results::{BenchUnit, EvalUnit};

/// The test-support fingerprint of `model` on `task` with these rendered prompts.
pub fn fingerprint(model: &str, task: &str, prompt_hash: &str) -> Fingerprint {
    yardstick_test_support::fingerprint::fingerprint(model, task)
        .prompt_hash(prompt_hash)
        .build()
}

pub fn run_unit(model: &str, task: &str, fingerprint: Fingerprint) -> RunUnit {
    let started_at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    RunUnit {
        unit_id: 1,
        run_id: "run".into(),
        model: model.into(),
        task: task.into(),
        fingerprint_id: fingerprint.id(),
        fingerprint,
        items_total: 10,
        items_completed: 10,
        status: Status::Complete,
        started_at,
        finished_at: Some(started_at),
        deployment_id: None,
    }
}

/// An eval unit of `model` on `task` with these per-item `acc` values.
pub fn eval_unit(model: &str, task: &str, prompt_hash: &str, items: &[f64]) -> EvalUnit {
    let mean = items.iter().sum::<f64>() / items.len().max(1) as f64;
    EvalUnit {
        unit: run_unit(model, task, fingerprint(model, task, prompt_hash)),
        metric: MetricRecord::new("acc", mean, Unit::Ratio).with_n(items.len() as u64),
        items: items
            .iter()
            .enumerate()
            .map(|(index, value)| (index as u64, *value))
            .collect(),
    }
}

/// A bench unit at `point` of model `m`: 10 completed requests of 100 prompt and 50
/// completion tokens, mean TTFT 20 ms of a 100 ms E2E, with `records` added or replacing.
pub fn bench_unit(point: &str, records: &[(&str, f64)]) -> BenchUnit {
    let mut metrics: Vec<MetricRecord> = [
        ("requests_completed", 10.0),
        ("prompt_tokens", 1000.0),
        ("completion_tokens", 500.0),
        ("ttft_ms.mean", 20.0),
        ("e2e_ms.mean", 100.0),
    ]
    .iter()
    .filter(|(name, _)| !records.iter().any(|(given, _)| given == name))
    .chain(records)
    .map(|(name, value)| MetricRecord::new(*name, *value, Unit::Scalar))
    .collect();
    metrics.sort_by(|a, b| a.name.cmp(&b.name));
    let task = format!("bench:{point}");
    BenchUnit {
        unit: run_unit("m", &task, fingerprint("m", &task, "workload")),
        point: point.to_string(),
        metrics,
        ttft_ms: vec![10.0, 20.0, 30.0],
        tpot_ms: vec![5.0, 6.0, 7.0],
        e2e_ms: vec![100.0, 110.0, 120.0],
        workload: serde_json::json!({ "prompts": { "kind": "synthetic" } }),
    }
}
