//! One unit of an eval (a model on a task): its items not stored yet scored one by one,
//! each written before the next, then the unit's metric records.

use super::item::stream_items;
use super::retry::{Attempts, Breaker};
use super::EvalContext;
use crate::plan::{EvalPlan, ModelSpec};
use crate::RunnerError;
use chrono::Utc;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;
use yardstick_backend::Backend;
use yardstick_core::{MetricRecord, Unit};
use yardstick_store::{RunUnit, Status};
use yardstick_tasks::{AggregateOptions, TaskDefinition, TextEmbedder};

/// How a unit (or a model's units) ended, when it did not fail.
pub(super) enum UnitEnd {
    Finished,
    Interrupted,
}

/// What scores need besides the model: the sandbox code tasks run their programs in, and the
/// sentence-embedding model of embedding metrics (each `None` when no task needs it).
pub(super) struct Scorers<'a> {
    pub(super) sandbox: Option<&'a yardstick_sandbox::Sandbox>,
    pub(super) embedder: Option<Arc<dyn TextEmbedder>>,
}

/// Scores the items of one unit that are not stored yet, then its metric records.
pub(super) async fn run_unit(
    plan: &EvalPlan,
    model: &ModelSpec,
    task: &TaskDefinition,
    unit: &RunUnit,
    backend: Arc<dyn Backend>,
    context: &EvalContext<'_>,
    scorers: Scorers<'_>,
) -> Result<UnitEnd, RunnerError> {
    let Scorers { sandbox, embedder } = scorers;
    let store = context.store;
    let done = store.completed_item_indices(unit.unit_id).await?;
    context.progress.unit_started(
        &model.name,
        task.name(),
        unit.items_total,
        done.len() as u64,
    );
    let items = stream_items(task.clone(), plan, done);
    let items = futures::stream::unfold(items, |mut items| async move {
        items.recv().await.map(|item| (item, items))
    });
    let breaker = Breaker::default();
    let failures = std::sync::Mutex::new(Vec::new());
    let attempts = Attempts {
        plan,
        unit,
        breaker: &breaker,
        failures: &failures,
        sandbox,
    };
    let attempts = &attempts;
    let backend = backend.as_ref();
    // Up to `concurrency` items in flight; each is stored as soon as it finishes, in
    // whatever order they finish (resume reads which indices are stored).
    let results = items
        .map(|item| async move { attempts.run(task, item?, backend).await })
        .buffer_unordered(plan.concurrency.max(1) as usize);
    let mut results = std::pin::pin!(results);
    let started = Instant::now();
    let mut scored: u64 = 0;
    loop {
        let result = tokio::select! {
            biased;
            () = context.cancel.cancelled() => return Ok(UnitEnd::Interrupted),
            result = results.next() => result,
        };
        for failure in attempts.take_failures() {
            store.insert_request_failure(&failure).await?;
        }
        let Some(result) = result else { break };
        let result = result?;
        store.insert_item(unit.unit_id, &result).await?;
        scored += 1;
        context.progress.item_done(&model.name, task.name());
        if context.cancel.is_cancelled() {
            return Ok(UnitEnd::Interrupted);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let results = store.items(unit.unit_id).await?;
    if results.len() as u64 != unit.items_total {
        return Err(RunnerError::Plan(format!(
            "unit {} × {} has {} stored items, expected {}",
            model.name,
            task.name(),
            results.len(),
            unit.items_total
        )));
    }
    let options = AggregateOptions {
        bootstrap_iters: plan.bootstrap_iters,
        seed: plan.seed,
        embedder,
    };
    let stored = results.len();
    // Embedding metrics run the embedding model: off the async threads.
    let task_for_aggregation = task.clone();
    let mut records = tokio::task::spawn_blocking(move || {
        task_for_aggregation.aggregate_with(&results, &options)
    })
    .await
    .map_err(|error| RunnerError::Worker(error.to_string()))??;
    let mut summary = records
        .iter()
        .map(|record| format!("{} {:.4}", record.name, record.value))
        .collect::<Vec<_>>()
        .join(", ");
    if summary.is_empty() {
        summary = format!("{stored} generations stored, not scored");
    }
    if scored > 0 && elapsed > 0.0 {
        records.push(
            MetricRecord::new(
                ITEMS_PER_SECOND,
                scored as f64 / elapsed,
                Unit::ItemsPerSecond,
            )
            .with_n(scored),
        );
    }
    store.replace_unit_metrics(unit.unit_id, &records).await?;
    store
        .set_unit_status(unit.unit_id, Status::Complete, Utc::now())
        .await?;
    context
        .progress
        .unit_finished(&model.name, task.name(), &summary);
    Ok(UnitEnd::Finished)
}

/// Name of the scoring-throughput record of each unit (items scored in this session / s).
pub use yardstick_evidence::metric::ITEMS_PER_SECOND;
