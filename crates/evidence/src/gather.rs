//! Reading the evidence from the store: eval units with their per-item values, bench units
//! with their measured requests' latency samples, and the selections the decision commands
//! make (a model's newest results, the newest comparable bench runs of two models, the
//! newest bench run of each configuration, a model's measured load time).

use std::collections::{BTreeMap, BTreeSet};

use yardstick_core::{Host, MetricRecord};
use yardstick_load::metrics::{e2e, tpot, ttft, warmup_mask};
use yardstick_load::RequestTiming;
use yardstick_store::{Run, RunKind, RunUnit, Status, Store};

use crate::comparable::ComparisonMode;
use crate::metric::{convert, ProfileMetric, ServingMetric};
use crate::pairing::pair_benches;
use crate::results::{BenchUnit, EvalUnit};
use crate::scores::main_metric;
use crate::EvidenceError;

/// A stored run by id, or an error naming the flag and the id.
pub async fn run_by_id(store: &Store, flag: &str, run_id: &str) -> Result<Run, EvidenceError> {
    store
        .run(run_id)
        .await?
        .ok_or_else(|| EvidenceError::Missing {
            what: format!("{flag} {run_id}"),
            reason: "no such run (`yardstick runs list` shows them)".to_string(),
        })
}

/// Each unit's metric records of a run, by unit id.
pub async fn unit_metrics(
    store: &Store,
    run_id: &str,
) -> Result<BTreeMap<i64, Vec<MetricRecord>>, EvidenceError> {
    let mut by_unit: BTreeMap<i64, Vec<MetricRecord>> = BTreeMap::new();
    for metric in store.metrics_for_run(run_id).await? {
        if let Some(unit_id) = metric.unit_id {
            by_unit.entry(unit_id).or_default().push(metric.record);
        }
    }
    Ok(by_unit)
}

fn needs_kind(run: &Run, kind: RunKind) -> Result<(), EvidenceError> {
    if run.kind == kind {
        return Ok(());
    }
    Err(EvidenceError::Refused(format!(
        "run {} is {} run; this needs {} run",
        run.run_id,
        with_article(run.kind),
        with_article(kind)
    )))
}

/// `an eval`, `a bench`: a run kind with its indefinite article.
pub fn with_article(kind: RunKind) -> String {
    let article = if kind.as_str().starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {}", kind.as_str())
}

/// Every eval unit of `run` that has a main metric.
pub async fn eval_units(store: &Store, run: &Run) -> Result<Vec<EvalUnit>, EvidenceError> {
    eval_units_where(store, run, |_| true).await
}

/// The eval units of `run` that `keep` accepts and that have a main metric.
async fn eval_units_where(
    store: &Store,
    run: &Run,
    keep: impl Fn(&RunUnit) -> bool,
) -> Result<Vec<EvalUnit>, EvidenceError> {
    needs_kind(run, RunKind::Eval)?;
    let mut metrics = unit_metrics(store, &run.run_id).await?;
    let mut units = Vec::new();
    for unit in store.units(&run.run_id).await? {
        if !keep(&unit) {
            continue;
        }
        let records = metrics.remove(&unit.unit_id).unwrap_or_default();
        let Some(metric) = main_metric(&records).cloned() else {
            continue;
        };
        let mut items = BTreeMap::new();
        for item in store.items(unit.unit_id).await? {
            let weighted = item.weights.iter().any(|(name, _)| name == &metric.name);
            if weighted {
                items.clear();
                break;
            }
            if let Some((_, value)) = item.metrics.iter().find(|(name, _)| name == &metric.name) {
                items.insert(item.item_index, *value);
            }
        }
        units.push(EvalUnit {
            unit,
            metric,
            items,
        });
    }
    Ok(units)
}

/// Every bench unit of `run`, with its measured requests' latency samples.
pub async fn bench_units(store: &Store, run: &Run) -> Result<Vec<BenchUnit>, EvidenceError> {
    needs_kind(run, RunKind::Bench)?;
    let workload = run
        .bench_plan()?
        .map_or(serde_json::Value::Null, |plan| plan.workload);
    let mut metrics = unit_metrics(store, &run.run_id).await?;
    let mut units = Vec::new();
    for unit in store.units(&run.run_id).await? {
        let records = metrics.remove(&unit.unit_id).unwrap_or_default();
        let warmup = records
            .iter()
            .find(|record| record.name == ServingMetric::RequestsWarmup.name())
            .map_or(0, |record| record.value as usize);
        let timings = store
            .requests(unit.unit_id)
            .await?
            .into_iter()
            .map(|(index, json)| {
                serde_json::from_str::<RequestTiming>(&json).map_err(|error| {
                    EvidenceError::Unreadable {
                        what: format!("run {}, unit {}", run.run_id, unit.task),
                        reason: format!("request {index} is unreadable: {error}"),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mask = warmup_mask(&timings, warmup);
        let measured: Vec<&RequestTiming> = timings
            .iter()
            .zip(&mask)
            .filter(|(timing, warm)| !**warm && timing.succeeded())
            .map(|(timing, _)| timing)
            .collect();
        let millis = |latency: fn(&RequestTiming) -> Option<std::time::Duration>| -> Vec<f64> {
            measured
                .iter()
                .filter_map(|timing| latency(timing))
                .map(convert::milliseconds)
                .collect()
        };
        let point = unit
            .task
            .strip_prefix("bench:")
            .unwrap_or(&unit.task)
            .to_string();
        units.push(BenchUnit {
            point,
            ttft_ms: millis(ttft),
            tpot_ms: millis(tpot),
            e2e_ms: millis(e2e),
            metrics: records,
            workload: workload.clone(),
            unit,
        });
    }
    Ok(units)
}

/// Runs of `kind`, newest first.
async fn runs_newest_first(store: &Store, kind: RunKind) -> Result<Vec<Run>, EvidenceError> {
    let mut runs = store.list_runs().await?;
    runs.retain(|run| run.kind == kind);
    runs.sort_by_key(|run| std::cmp::Reverse(run.created_at));
    Ok(runs)
}

/// The newest complete eval unit of `model` for every task it was evaluated on (none: empty).
pub async fn latest_eval_units(store: &Store, model: &str) -> Result<Vec<EvalUnit>, EvidenceError> {
    latest_eval_units_where(store, |unit| unit.model == model).await
}

/// The newest complete eval unit of any of these deployments (by id) for every task they
/// were evaluated on (none: empty).
pub async fn latest_deployment_eval_units(
    store: &Store,
    deployment_ids: &BTreeSet<String>,
) -> Result<Vec<EvalUnit>, EvidenceError> {
    latest_eval_units_where(store, |unit| {
        unit.deployment_id
            .as_ref()
            .is_some_and(|id| deployment_ids.contains(id))
    })
    .await
}

/// The newest complete eval unit that `keep` accepts for every task.
async fn latest_eval_units_where(
    store: &Store,
    keep: impl Fn(&RunUnit) -> bool,
) -> Result<Vec<EvalUnit>, EvidenceError> {
    let mut found: BTreeMap<String, EvalUnit> = BTreeMap::new();
    for run in &runs_newest_first(store, RunKind::Eval).await? {
        let wanted = |unit: &RunUnit| {
            keep(unit) && unit.status == Status::Complete && !found.contains_key(&unit.task)
        };
        for unit in eval_units_where(store, run, wanted).await? {
            found.insert(unit.unit.task.clone(), unit);
        }
    }
    Ok(found.into_values().collect())
}

/// A bench run's id and its units.
pub type BenchRun = (String, Vec<BenchUnit>);

/// A model's complete bench runs, newest first, with their units of that model.
pub async fn bench_runs_of(store: &Store, model: &str) -> Result<Vec<BenchRun>, EvidenceError> {
    bench_runs_where(store, |unit| unit.model == model).await
}

/// A deployment's complete bench runs (by its id), newest first, with their units of it.
pub async fn bench_runs_of_deployment(
    store: &Store,
    deployment_id: &str,
) -> Result<Vec<BenchRun>, EvidenceError> {
    bench_runs_where(store, |unit| {
        unit.deployment_id.as_deref() == Some(deployment_id)
    })
    .await
}

/// Complete bench runs, newest first, with their units that `keep` accepts (runs with none
/// left out).
async fn bench_runs_where(
    store: &Store,
    keep: impl Fn(&RunUnit) -> bool,
) -> Result<Vec<BenchRun>, EvidenceError> {
    let mut found = Vec::new();
    for run in &runs_newest_first(store, RunKind::Bench).await? {
        if run.status != Status::Complete {
            continue;
        }
        let mut units = bench_units(store, run).await?;
        units.retain(|unit| keep(&unit.unit));
        if !units.is_empty() {
            found.push((run.run_id.clone(), units));
        }
    }
    Ok(found)
}

/// The newest pair of bench runs of the two models with a load point comparable in `mode`
/// (the same workload on the same kind of target), trying the newer runs first.
pub async fn latest_comparable_benches(
    store: &Store,
    baseline: &str,
    candidate: &str,
    mode: ComparisonMode,
) -> Result<Option<(BenchRun, BenchRun)>, EvidenceError> {
    let left = bench_runs_of(store, baseline).await?;
    let right = bench_runs_of(store, candidate).await?;
    Ok(newest_comparable_pair(&left, &right, mode))
}

/// Of two sides' bench runs (newest first), the newest pair with a load point comparable in
/// `mode`, trying the newer runs first.
pub fn newest_comparable_pair(
    left: &[BenchRun],
    right: &[BenchRun],
    mode: ComparisonMode,
) -> Option<(BenchRun, BenchRun)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, left_units)) in left.iter().enumerate() {
        for (j, (_, right_units)) in right.iter().enumerate() {
            if best.is_some_and(|(a, b)| a + b <= i + j) {
                continue;
            }
            if !pair_benches(left_units, right_units, mode).pairs.is_empty() {
                best = Some((i, j));
            }
        }
    }
    best.map(|(i, j)| (left[i].clone(), right[j].clone()))
}

/// The newest bench run (complete or not) of each configuration — a deployment (units
/// without one: a model on a target with its engine settings) — newest first; runs without
/// units are skipped.
pub async fn newest_configurations(store: &Store) -> Result<Vec<BenchRun>, EvidenceError> {
    let mut seen = BTreeSet::new();
    let mut configurations = Vec::new();
    for run in &runs_newest_first(store, RunKind::Bench).await? {
        let units = bench_units(store, run).await?;
        let Some(first) = units.first() else { continue };
        let key = match &first.unit.deployment_id {
            Some(deployment) => (deployment.clone(), String::new()),
            None => (
                first.unit.model.clone(),
                first.unit.fingerprint.batching_scheme.clone(),
            ),
        };
        if seen.insert(key) {
            configurations.push((run.run_id.clone(), units));
        }
    }
    Ok(configurations)
}

/// Seconds `model` takes to load, as its newest complete `yardstick profile` measured.
pub async fn load_seconds(store: &Store, model: &str) -> Result<Option<f64>, EvidenceError> {
    let profiles = store.latest_profile_metrics().await?;
    Ok(profiles.iter().find_map(|profile| {
        (profile.model == model).then(|| {
            profile
                .metrics
                .iter()
                .find(|stored| stored.record.name == ProfileMetric::LoadTimeMs.name())
                .map(|stored| convert::ms_to_seconds(stored.record.value))
        })?
    }))
}

/// One profile record of a model, with the run it comes from and the deployment it
/// measured (the profile's per-model unit's; `None` for runs stored before deployments).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileRecord {
    pub model: String,
    pub run_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    pub record: MetricRecord,
}

/// For each model and profile metric, the record of the most recent complete profile run
/// that measured it (a quick `profile --prompt-tokens 128` does not hide an earlier
/// 512-token figure).
pub async fn profile_records(store: &Store) -> Result<Vec<ProfileRecord>, EvidenceError> {
    let mut speed: Vec<ProfileRecord> = Vec::new();
    for run in store.list_runs().await? {
        if run.kind != RunKind::Profile || run.status != Status::Complete {
            continue;
        }
        let units = store.units(&run.run_id).await?;
        for stored in store.metrics_for_run(&run.run_id).await? {
            let deployment_id = units
                .iter()
                .find(|unit| unit.model == stored.model && unit.deployment_id.is_some())
                .and_then(|unit| unit.deployment_id.clone());
            // Newest first: a deployment (or, for old rows, a model) keeps its first record
            // of each metric.
            let known = speed.iter().any(|cell| {
                cell.record.name == stored.record.name
                    && match (&cell.deployment_id, &deployment_id) {
                        (Some(known), Some(this)) => known == this,
                        _ => cell.model == stored.model,
                    }
            });
            if !known {
                speed.push(ProfileRecord {
                    model: stored.model.clone(),
                    run_id: run.run_id.clone(),
                    deployment_id,
                    record: stored.record,
                });
            }
        }
    }
    Ok(speed)
}

/// The machine a bench run was measured on, as its typed fingerprint records it (runs of
/// other kinds, and bench runs stored before yardstick recorded it, have none).
pub fn host_of(run: &Run) -> Result<Option<Host>, EvidenceError> {
    Ok(run
        .bench_fingerprint()?
        .and_then(|fingerprint| fingerprint.host))
}
