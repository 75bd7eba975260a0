//! A real SQLite store (in memory) written through the store's own API, for the integration
//! tests of what evidence reads from it.
#![allow(dead_code)]

use std::time::Duration;

use yardstick_core::{ItemResult, MetricRecord, Unit};
use yardstick_load::{Chunk, ErrorCause, RequestTiming, TokenCount, TokenCountSource};
use yardstick_store::{NewRun, RunKind, Status, Store};
use yardstick_test_support::evidence::{at, new_run, new_unit, records};
use yardstick_test_support::fingerprint::{fingerprint, FingerprintBuilder};

pub async fn store() -> Store {
    Store::open_in_memory().await.expect("an in-memory store")
}

/// Stores run `run_id` of `kind` created at `at(seconds)`, with this status.
pub async fn run(store: &Store, run_id: &str, kind: RunKind, seconds: i64, status: Status) {
    stored_run(store, new_run(run_id, kind, seconds), status).await;
}

/// Stores a run as given, then sets its status (finished a minute after creation).
pub async fn stored_run(store: &Store, run: NewRun, status: Status) {
    let finished = run.created_at + chrono::Duration::seconds(60);
    let run_id = run.run_id.clone();
    store.create_run(&run).await.expect("run created");
    if status != Status::Running {
        store
            .set_run_status(&run_id, status, finished)
            .await
            .expect("run status set");
    }
}

/// An item with these per-item metric values.
pub fn item(index: u64, metrics: &[(&str, f64)]) -> ItemResult {
    ItemResult {
        item_index: index,
        metrics: metrics
            .iter()
            .map(|(name, value)| (name.to_string(), *value))
            .collect(),
        ..ItemResult::default()
    }
}

/// Stores a unit of `run_id` with this fingerprint, its unit-level metric records (a ratio
/// each) and items, and sets its status. Returns the unit id.
pub async fn eval_unit(
    store: &Store,
    run_id: &str,
    fingerprint: FingerprintBuilder,
    metrics: &[(&str, f64)],
    items: &[ItemResult],
    status: Status,
) -> i64 {
    let unit = store
        .create_unit(&new_unit(run_id, fingerprint.build()))
        .await
        .expect("unit created");
    store
        .insert_items(unit.unit_id, items)
        .await
        .expect("items stored");
    let records: Vec<MetricRecord> = metrics
        .iter()
        .map(|(name, value)| MetricRecord::new(*name, *value, Unit::Ratio))
        .collect();
    store
        .replace_unit_metrics(unit.unit_id, &records)
        .await
        .expect("metrics stored");
    store
        .set_unit_status(unit.unit_id, status, at(0))
        .await
        .expect("unit status set");
    unit.unit_id
}

/// Stores a complete `acc` unit of `model` on `task` with 0/1 items, its metric their mean.
pub async fn acc_unit(
    store: &Store,
    run_id: &str,
    model: &str,
    task: &str,
    items: &[f64],
    status: Status,
) -> i64 {
    let mean = items.iter().sum::<f64>() / items.len() as f64;
    let items: Vec<ItemResult> = items
        .iter()
        .enumerate()
        .map(|(index, value)| item(index as u64, &[("acc", *value)]))
        .collect();
    eval_unit(
        store,
        run_id,
        fingerprint(model, task),
        &[("acc", mean)],
        &items,
        status,
    )
    .await
}

/// Stores a bench unit of `run_id` at `point` (task `bench:{point}`) with these metric
/// records and request timings, complete. Returns the unit id.
pub async fn bench_unit(
    store: &Store,
    run_id: &str,
    fingerprint: FingerprintBuilder,
    metrics: &[(&str, f64)],
    timings: &[RequestTiming],
) -> i64 {
    let unit = store
        .create_unit(&new_unit(run_id, fingerprint.build()))
        .await
        .expect("unit created");
    let requests: Vec<(u64, String)> = timings
        .iter()
        .enumerate()
        .map(|(index, timing)| {
            (
                index as u64,
                serde_json::to_string(timing).expect("a timing serializes"),
            )
        })
        .collect();
    store
        .insert_requests(unit.unit_id, &requests)
        .await
        .expect("requests stored");
    store
        .replace_unit_metrics(unit.unit_id, &records(metrics))
        .await
        .expect("metrics stored");
    store
        .set_unit_status(unit.unit_id, Status::Complete, at(0))
        .await
        .expect("unit status set");
    unit.unit_id
}

/// The fingerprint of model `model`'s bench unit at `point`.
pub fn bench_fingerprint(model: &str, point: &str) -> FingerprintBuilder {
    fingerprint(model, &format!("bench:{point}"))
}

/// A streamed request sent at `sent_ms`, its first token `ttft_ms` later and its last
/// byte `e2e_ms` after sending, with `tokens` completion tokens (the first in one chunk,
/// the rest in a second); a failure when `error` is given.
pub fn timing(
    sent_ms: u64,
    ttft_ms: u64,
    e2e_ms: u64,
    tokens: u32,
    error: Option<ErrorCause>,
) -> RequestTiming {
    let ms = Duration::from_millis;
    RequestTiming {
        scheduled: None,
        sent: ms(sent_ms),
        first_byte: Some(ms(sent_ms + ttft_ms)),
        chunks: vec![
            Chunk {
                arrived: ms(sent_ms + ttft_ms),
                tokens: 1,
            },
            Chunk {
                arrived: ms(sent_ms + e2e_ms),
                tokens: tokens - 1,
            },
        ],
        last_byte: Some(ms(sent_ms + e2e_ms)),
        finished: ms(sent_ms + e2e_ms),
        prompt_tokens: Some(TokenCount::new(100, TokenCountSource::ServerUsage)),
        completion_tokens: Some(TokenCount::new(
            u64::from(tokens),
            TokenCountSource::ServerUsage,
        )),
        http_status: Some(200),
        error,
    }
}

/// Stores profile run `run_id` at `at(seconds)` with `model`'s load records (`load`) and
/// speed records (`speed`), with this status.
pub async fn profile(
    store: &Store,
    run_id: &str,
    seconds: i64,
    model: &str,
    metrics: &[(&str, f64, Unit)],
    status: Status,
) {
    run(store, run_id, RunKind::Profile, seconds, status).await;
    let records: Vec<MetricRecord> = metrics
        .iter()
        .map(|(name, value, unit)| MetricRecord::new(*name, *value, *unit))
        .collect();
    store
        .replace_run_metrics(run_id, model, "profile", &records)
        .await
        .expect("profile records stored");
}
