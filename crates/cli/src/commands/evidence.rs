//! What the decision commands (`compare`, `regress`, `cost`, `recommend`, `report`) read
//! from the store: per eval unit its main metric and per-item scores; per bench unit (one run
//! of a load point) its metric records and the latency samples of its measured requests.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use yardstick_core::MetricRecord;
use yardstick_load::metrics::{e2e, tpot, ttft, warmup_mask};
use yardstick_load::RequestTiming;
use yardstick_store::{Run, RunKind, RunUnit, Store};

use super::leaderboard::main_metric;

/// One eval unit (a task of a run): its main metric and the per-item values of it.
#[derive(Debug, Clone)]
pub struct EvalUnit {
    pub unit: RunUnit,
    pub metric: MetricRecord,
    /// Item index → the item's value of `metric`. Empty when the metric is not a per-item
    /// mean (perplexities and other weighted metrics).
    pub items: BTreeMap<u64, f64>,
}

/// One bench unit: a run of a load point.
#[derive(Debug, Clone)]
pub struct BenchUnit {
    pub unit: RunUnit,
    /// `c=4#0`: the load point and trial.
    pub point: String,
    pub metrics: Vec<MetricRecord>,
    /// Per measured, successful request (warm-up left out), in milliseconds.
    pub ttft_ms: Vec<f64>,
    pub tpot_ms: Vec<f64>,
    pub e2e_ms: Vec<f64>,
    /// The run's workload specification (its plan's `workload`: prompt source and token
    /// counts, output lengths, seed); `null` when the plan has none.
    pub workload: serde_json::Value,
}

impl BenchUnit {
    pub fn metric(&self, name: &str) -> Option<&MetricRecord> {
        self.metrics.iter().find(|record| record.name == name)
    }

    pub fn value(&self, name: &str) -> Option<f64> {
        self.metric(name).map(|record| record.value)
    }
}

/// A stored run by id, or an error naming the flag and the id.
pub async fn run_by_id(store: &Store, flag: &str, run_id: &str) -> Result<Run> {
    store
        .run(run_id)
        .await?
        .with_context(|| format!("{flag} {run_id}: no such run (`yardstick runs list` shows them)"))
}

async fn unit_metrics(store: &Store, run_id: &str) -> Result<BTreeMap<i64, Vec<MetricRecord>>> {
    let mut by_unit: BTreeMap<i64, Vec<MetricRecord>> = BTreeMap::new();
    for metric in store.metrics_for_run(run_id).await? {
        if let Some(unit_id) = metric.unit_id {
            by_unit.entry(unit_id).or_default().push(metric.record);
        }
    }
    Ok(by_unit)
}

/// Every eval unit of `run` that has a main metric.
pub async fn eval_units(store: &Store, run: &Run) -> Result<Vec<EvalUnit>> {
    eval_units_where(store, run, |_| true).await
}

/// The eval units of `run` that `keep` accepts and that have a main metric.
async fn eval_units_where(
    store: &Store,
    run: &Run,
    keep: impl Fn(&RunUnit) -> bool,
) -> Result<Vec<EvalUnit>> {
    if run.kind != RunKind::Eval {
        bail!(
            "run {} is a {} run; this needs an eval run",
            run.run_id,
            run.kind.as_str()
        );
    }
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
pub async fn bench_units(store: &Store, run: &Run) -> Result<Vec<BenchUnit>> {
    if run.kind != RunKind::Bench {
        bail!(
            "run {} is a {} run; this needs a bench run",
            run.run_id,
            run.kind.as_str()
        );
    }
    let mut metrics = unit_metrics(store, &run.run_id).await?;
    let mut units = Vec::new();
    for unit in store.units(&run.run_id).await? {
        let records = metrics.remove(&unit.unit_id).unwrap_or_default();
        let warmup = records
            .iter()
            .find(|record| record.name == "requests_warmup")
            .map_or(0, |record| record.value as usize);
        let timings = store
            .requests(unit.unit_id)
            .await?
            .into_iter()
            .map(|(index, json)| {
                serde_json::from_str::<RequestTiming>(&json).with_context(|| {
                    format!(
                        "run {}, unit {}: request {index} is unreadable",
                        run.run_id, unit.task
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mask = warmup_mask(&timings, warmup);
        let measured: Vec<&RequestTiming> = timings
            .iter()
            .zip(&mask)
            .filter(|(timing, warm)| !**warm && timing.succeeded())
            .map(|(timing, _)| timing)
            .collect();
        let millis = |durations: Vec<Option<std::time::Duration>>| -> Vec<f64> {
            durations
                .into_iter()
                .flatten()
                .map(|duration| duration.as_secs_f64() * 1000.0)
                .collect()
        };
        let point = unit
            .task
            .strip_prefix("bench:")
            .unwrap_or(&unit.task)
            .to_string();
        units.push(BenchUnit {
            point,
            ttft_ms: millis(measured.iter().map(|timing| ttft(timing)).collect()),
            tpot_ms: millis(measured.iter().map(|timing| tpot(timing)).collect()),
            e2e_ms: millis(measured.iter().map(|timing| e2e(timing)).collect()),
            metrics: records,
            workload: run.plan["workload"].clone(),
            unit,
        });
    }
    Ok(units)
}

/// The newest complete eval unit of `model` for every task it was evaluated on (none: empty).
pub async fn latest_eval_units(store: &Store, model: &str) -> Result<Vec<EvalUnit>> {
    let mut runs = store.list_runs().await?;
    runs.retain(|run| run.kind == RunKind::Eval);
    runs.sort_by_key(|run| std::cmp::Reverse(run.created_at));
    let mut found: BTreeMap<String, EvalUnit> = BTreeMap::new();
    for run in &runs {
        let wanted = |unit: &RunUnit| {
            unit.model == model
                && unit.status == yardstick_store::Status::Complete
                && !found.contains_key(&unit.task)
        };
        for unit in eval_units_where(store, run, wanted).await? {
            found.insert(unit.unit.task.clone(), unit);
        }
    }
    Ok(found.into_values().collect())
}

impl BenchUnit {
    /// The measured throughput of this load point: goodput when the run had an SLO (only
    /// requests meeting it count), else completed requests per second; tokens per request
    /// and the prefill share (mean TTFT / mean E2E) of its measured requests.
    pub fn throughput(&self, run_id: &str) -> Option<yardstick_decide::cost::Throughput> {
        let completed = self.value("requests_completed")?;
        let (requests_per_second, which) = match self.value("goodput_requests_per_second") {
            Some(goodput) => (goodput, "goodput under the run's SLO"),
            None => (self.value("requests_per_second")?, "completed requests"),
        };
        let input = self.value("prompt_tokens")? / completed;
        let output = self.value("completion_tokens")? / completed;
        let share = self.value("ttft_ms.mean")? / self.value("e2e_ms.mean")?;
        Some(yardstick_decide::cost::Throughput {
            requests_per_second,
            input_tokens_per_request: input,
            output_tokens_per_request: output,
            prefill_share: share.clamp(0.0, 1.0),
            basis: yardstick_decide::cost::Basis::Measured,
            origin: format!("run {run_id}, load point {} ({which})", self.point),
        })
    }

    /// Energy per output token the run measured (hardware counter) or integrated from power
    /// samples, when it has one.
    pub fn joules_per_output_token(&self) -> Option<f64> {
        self.value("energy_per_output_token_j.measured")
            .or_else(|| self.value("energy_per_output_token_j.estimated"))
    }

    /// Peak memory in GB: GPU memory when sampled, else the process's resident set.
    pub fn memory_gb(&self) -> Option<f64> {
        let mib = self
            .value("gpu_memory_mib.max")
            .or_else(|| self.value("rss_mib.max"))?;
        Some(mib * 1024.0 * 1024.0 / 1e9)
    }
}

/// The category definitions: the built-in ones, or those of `path` (`--categories FILE`)
/// instead; with the name the output gives their source.
pub fn categories(
    path: Option<&std::path::Path>,
) -> Result<(yardstick_decide::categories::Categories, String)> {
    use yardstick_decide::categories::Categories;
    match path {
        None => Ok((
            Categories::builtin()?,
            "crates/decide/data/categories.yaml".to_string(),
        )),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--categories {}: cannot read it", path.display()))?;
            let source = format!("--categories {}", path.display());
            Ok((
                Categories::from_yaml(&text, &source)?,
                path.display().to_string(),
            ))
        }
    }
}

/// The machine a bench run was measured on, as its fingerprint records it (runs stored
/// before yardstick recorded it have none).
pub fn host_of(run: &Run) -> Option<yardstick_bench::resources::Host> {
    serde_json::from_value(run.fingerprint.get("host")?.clone()).ok()
}
