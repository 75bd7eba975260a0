//! Storing a bench: one unit per run of a load point (trial), its requests and its metrics.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::Utc;
use yardstick_bench::{PointResult, TargetDescription};
use yardstick_core::{Fingerprint, TaskFingerprint};
use yardstick_store::{NewRunUnit, Status, Store};

use super::workload::BuiltWorkload;

/// The unit name of trial `trial` at a point: `bench:c=4#0`, `bench:poisson@2/s#1`.
pub fn unit_task(result: &PointResult, trial: u64) -> String {
    format!("bench:{}#{trial}", result.point.label())
}

/// The fingerprint every unit of the bench shares but for its task name: the model, the
/// workload (its digest as the prompt hash, dataset files by sha256, `requests` as the
/// limit), the run's fingerprint id as the task definition, the target's details as the
/// engine scheme.
pub fn unit_fingerprint(
    target: &TargetDescription,
    model_sha256: Option<&str>,
    run_fingerprint_id: &str,
    workload: &BuiltWorkload,
    requests: Option<usize>,
    seed: u64,
    threads: u32,
) -> Fingerprint {
    Fingerprint {
        model: target.model.clone(),
        model_sha256: model_sha256.unwrap_or("served").to_string(),
        task: TaskFingerprint {
            task: String::new(),
            task_hash: run_fingerprint_id.to_string(),
            dataset_sha256: workload
                .files
                .clone()
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            prompt_hash: workload.digest.clone(),
            limit: requests.map(|requests| requests as u64),
            items: workload.requests.len() as u64,
            samples_sha256: None,
        },
        yardstick_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: yardstick_runner::GIT_COMMIT.to_string(),
        llama_cpp_version: yardstick_backend_llamacpp::llama_cpp_version(),
        seed,
        batching_scheme: target.details.clone(),
        threads,
        prompt_format: None,
    }
}

/// Stores one finished run: its unit, every request record and its metric records
/// (the run's metrics, then the resources sampled during it).
pub async fn store_point(
    store: &Store,
    run_id: &str,
    fingerprint: &Fingerprint,
    result: &PointResult,
    trial: u64,
) -> Result<()> {
    let task = unit_task(result, trial);
    let mut fingerprint = fingerprint.clone();
    fingerprint.task.task = task.clone();
    let unit = store
        .create_unit(&NewRunUnit {
            run_id: run_id.to_string(),
            model: fingerprint.model.clone(),
            task: task.clone(),
            fingerprint,
            items_total: result.timings.len() as u64,
            started_at: Utc::now(),
        })
        .await?;
    let records = result
        .timings
        .iter()
        .enumerate()
        .map(|(index, timing)| Ok((index as u64, serde_json::to_string(timing)?)))
        .collect::<Result<Vec<_>>>()
        .context("encoding request records")?;
    store.insert_requests(unit.unit_id, &records).await?;
    let mut metrics = result.metrics.records();
    metrics.extend(result.resources.iter().cloned());
    store.replace_unit_metrics(unit.unit_id, &metrics).await?;
    let status = if result.interrupted {
        Status::Interrupted
    } else {
        Status::Complete
    };
    store
        .set_unit_status(unit.unit_id, status, Utc::now())
        .await?;
    Ok(())
}
