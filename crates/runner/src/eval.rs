//! `yardstick eval`: every model × task of an [`EvalPlan`], each finished item written to the
//! store before the next starts, resumable after any interruption.

mod item;
mod prepare;
mod retry;
mod unit;

pub use unit::ITEMS_PER_SECOND;

use crate::loader::BackendLoader;
use crate::plan::{EvalPlan, ModelSpec};
use crate::progress::ProgressSink;
use crate::RunnerError;
use chrono::Utc;
use prepare::{describe_difference, prepare, Prepared};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use unit::{run_unit, Scorers, UnitEnd};
use yardstick_core::{MetricRecord, RunFingerprint, Unit};
use yardstick_store::{NewRun, NewRunUnit, RunKind, RunUnit, Status, Store};
use yardstick_tasks::{GroupDefinition, TaskDefinition};

/// What an eval needs besides its plan.
pub struct EvalContext<'a> {
    pub store: &'a Store,
    pub loader: &'a dyn BackendLoader,
    pub progress: &'a dyn ProgressSink,
    /// Cancelled on Ctrl-C: the run stops after the item in flight and is marked interrupted.
    pub cancel: CancellationToken,
}

/// One result line: a metric of a model on a task (or group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub model: String,
    pub task: String,
    pub metric: String,
    pub value: f64,
    pub stderr: Option<f64>,
    pub n: Option<u64>,
    pub unit: Unit,
    /// The unit's fingerprint id; `None` for group aggregates.
    pub fingerprint_id: Option<String>,
}

/// The outcome of an eval, as printed and written by `--output-json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOutcome {
    pub run_id: String,
    /// `complete`, `interrupted` or `failed` (the store's run status).
    pub status: String,
    /// Whether an earlier, unfinished run was continued.
    pub resumed: bool,
    pub fingerprint: RunFingerprint,
    pub results: Vec<ResultRow>,
    /// Units that failed, with the reason (their finished items are kept).
    pub failures: Vec<String>,
    /// Failed request attempts to a remote backend, by cause (every one is stored).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_requests: BTreeMap<String, u64>,
}

/// Runs a plan, continuing the unfinished run with the same fingerprint if there is one.
pub async fn run_eval(
    plan: &EvalPlan,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let prepared = prepare(plan, context).await?;
    let fingerprint_id = prepared.fingerprint.id();
    let existing = context
        .store
        .find_incomplete_run_by_fingerprint(&fingerprint_id)
        .await?;
    let (run_id, resumed) = match existing {
        Some(run) => (run.run_id, true),
        None => {
            let created_at = Utc::now();
            let run = NewRun {
                run_id: yardstick_store::new_run_id(created_at),
                kind: RunKind::Eval,
                created_at,
                plan: serde_json::to_value(plan).map_err(RunnerError::encode("the plan"))?,
                fingerprint: serde_json::to_value(&prepared.fingerprint)
                    .map_err(RunnerError::encode("the fingerprint"))?,
                fingerprint_id,
            };
            (context.store.create_run(&run).await?.run_id, false)
        }
    };
    execute(plan, prepared, run_id, resumed, context).await
}

/// Continues run `run_id` with the plan stored with it. Refuses if anything that changes
/// scores (data files, task definitions, yardstick or llama.cpp version) differs now.
pub async fn resume_eval(
    run_id: &str,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let run = context
        .store
        .run(run_id)
        .await?
        .ok_or_else(|| RunnerError::UnknownRun(run_id.to_string()))?;
    if run.kind != RunKind::Eval {
        return Err(RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: "it is not an eval run".into(),
        });
    }
    let plan: EvalPlan =
        serde_json::from_value(run.plan.clone()).map_err(|error| RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: format!("its stored plan cannot be read: {error}"),
        })?;
    let prepared = prepare(&plan, context).await?;
    if prepared.fingerprint.id() != run.fingerprint_id {
        let stored: Option<RunFingerprint> = serde_json::from_value(run.fingerprint).ok();
        return Err(RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: format!(
                "its fingerprint changed ({}); start a new run instead",
                describe_difference(stored.as_ref(), &prepared.fingerprint)
            ),
        });
    }
    execute(&plan, prepared, run.run_id, true, context).await
}

async fn execute(
    plan: &EvalPlan,
    prepared: Prepared,
    run_id: String,
    resumed: bool,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let store = context.store;
    store
        .set_run_status(&run_id, Status::Running, Utc::now())
        .await?;
    let mut failures = Vec::new();
    let mut interrupted = false;
    for model in &plan.models {
        let end = run_model(plan, &prepared, &run_id, model, context, &mut failures).await?;
        if let UnitEnd::Interrupted = end {
            interrupted = true;
            break;
        }
    }

    let status = if interrupted {
        Status::Interrupted
    } else if failures.is_empty() {
        Status::Complete
    } else {
        Status::Failed
    };
    store.set_run_status(&run_id, status, Utc::now()).await?;
    let results = result_rows(store, &run_id).await?;
    let mut failed_requests = BTreeMap::new();
    for failure in store.request_failures(&run_id).await? {
        *failed_requests.entry(failure.cause).or_insert(0) += 1;
    }
    Ok(EvalOutcome {
        run_id,
        status: status.as_str().to_string(),
        resumed,
        fingerprint: prepared.fingerprint,
        results,
        failures,
        failed_requests,
    })
}

/// Runs one model's unfinished units (loading the model only if one is left), then its
/// group records. A failed unit is marked failed and noted in `failures`; an interrupted
/// one ends the model without its group records.
async fn run_model(
    plan: &EvalPlan,
    prepared: &Prepared,
    run_id: &str,
    model: &ModelSpec,
    context: &EvalContext<'_>,
    failures: &mut Vec<String>,
) -> Result<UnitEnd, RunnerError> {
    let store = context.store;
    let units = open_units(prepared, run_id, model, store).await?;
    if units
        .iter()
        .all(|(_, unit)| unit.status == Status::Complete)
    {
        aggregate_groups(store, run_id, &model.name, &prepared.groups).await?;
        return Ok(UnitEnd::Finished);
    }
    let what = match &plan.endpoint {
        Some(endpoint) => format!("scoring through {}", endpoint.base_url),
        None => format!("loading {}", model.path.display()),
    };
    context.progress.message(&format!("{}: {what}", model.name));
    let loaded = context.loader.load(model, &plan.engine).await?;
    for (task, unit) in units {
        if unit.status == Status::Complete {
            continue;
        }
        match run_unit(
            plan,
            model,
            task,
            &unit,
            Arc::clone(&loaded.backend),
            context,
            Scorers {
                sandbox: prepared.sandbox.as_deref(),
                embedder: prepared.embedder.clone(),
            },
        )
        .await
        {
            Ok(UnitEnd::Finished) => {}
            Ok(UnitEnd::Interrupted) => {
                store
                    .set_unit_status(unit.unit_id, Status::Interrupted, Utc::now())
                    .await?;
                return Ok(UnitEnd::Interrupted);
            }
            Err(error @ RunnerError::CircuitOpen { .. }) => {
                // The server is failing: stop the whole run, resumable, not just this unit.
                store
                    .set_unit_status(unit.unit_id, Status::Interrupted, Utc::now())
                    .await?;
                store
                    .set_run_status(run_id, Status::Interrupted, Utc::now())
                    .await?;
                return Err(error);
            }
            Err(error) => {
                store
                    .set_unit_status(unit.unit_id, Status::Failed, Utc::now())
                    .await?;
                let message = format!("{} × {}: {error}", model.name, task.name());
                context.progress.unit_finished(
                    &model.name,
                    task.name(),
                    &format!("failed: {error}"),
                );
                failures.push(message);
            }
        }
    }
    aggregate_groups(store, run_id, &model.name, &prepared.groups).await?;
    Ok(UnitEnd::Finished)
}

/// The model's unit of every task, created in the store or, on resume, found there, each
/// attached to the model's deployment.
async fn open_units<'a>(
    prepared: &'a Prepared,
    run_id: &str,
    model: &ModelSpec,
    store: &Store,
) -> Result<Vec<(&'a TaskDefinition, RunUnit)>, RunnerError> {
    let mut units = Vec::new();
    for (task, task_fingerprint) in &prepared.tasks {
        let fingerprint = prepared
            .fingerprint
            .units
            .iter()
            .find(|unit| unit.model == model.name && &unit.task == task_fingerprint)
            .cloned()
            .ok_or_else(|| RunnerError::Plan("fingerprint missing for a unit".into()))?;
        let deployment = prepared
            .deployments
            .iter()
            .find(|(name, _)| name == &model.name)
            .map(|(_, deployment)| deployment.deployment_id.as_str());
        let unit = store
            .create_unit_of(
                &NewRunUnit {
                    run_id: run_id.to_string(),
                    model: model.name.clone(),
                    task: task.name().to_string(),
                    fingerprint,
                    items_total: task_fingerprint.items,
                    started_at: Utc::now(),
                },
                deployment,
            )
            .await?;
        units.push((task, unit));
    }
    Ok(units)
}

/// Group records (e.g. `mmlu` from its 57 subjects) for one model, from the leaf records.
async fn aggregate_groups(
    store: &Store,
    run_id: &str,
    model: &str,
    groups: &[GroupDefinition],
) -> Result<(), RunnerError> {
    if groups.is_empty() {
        return Ok(());
    }
    let mut leaf_records: BTreeMap<String, Vec<MetricRecord>> = BTreeMap::new();
    for stored in store.metrics_for_run(run_id).await? {
        if stored.model == model && stored.unit_id.is_some() {
            leaf_records
                .entry(stored.task)
                .or_default()
                .push(stored.record);
        }
    }
    // Groups come members first, so a group's records can feed the group containing it.
    for group in groups {
        let records = group.aggregate(&leaf_records);
        store
            .replace_run_metrics(run_id, model, group.name(), &records)
            .await?;
        leaf_records.insert(group.name().to_string(), records);
    }
    Ok(())
}

/// Every metric record of a run as result rows, units first (in run order), then groups.
pub async fn result_rows(store: &Store, run_id: &str) -> Result<Vec<ResultRow>, RunnerError> {
    let units = store.units(run_id).await?;
    let fingerprints: BTreeMap<i64, String> = units
        .iter()
        .map(|unit| (unit.unit_id, unit.fingerprint_id.clone()))
        .collect();
    Ok(store
        .metrics_for_run(run_id)
        .await?
        .into_iter()
        .map(|stored| ResultRow {
            model: stored.model,
            task: stored.task,
            metric: stored.record.name,
            value: stored.record.value,
            stderr: stored.record.stderr,
            n: stored.record.n,
            unit: stored.record.unit,
            fingerprint_id: stored.unit_id.and_then(|id| fingerprints.get(&id).cloned()),
        })
        .collect())
}
