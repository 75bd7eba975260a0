//! The stored serving configurations as recommendation candidates, and a recommendation's
//! request from the user's preset, weights and bounds.
//!
//! Candidates are the newest bench run of each deployment (a model served by an engine at
//! a quantization, on hardware, with serving settings), each at its operating point (`yardstick_evidence::operating_point`: the
//! highest throughput within the latency constraints, else the lowest p99 TTFT, which the
//! constraints then exclude). Its objectives:
//! - accuracy: the mean main metric of the same deployment over the tasks every candidate
//!   was evaluated on (or the tasks asked for), groups (mmlu) counted once by their
//!   aggregate, with the standard error `√(Σ seᵢ²) / k` (a deployment without eval results
//!   of its own shows those of the same weights on the same engine, said in a note);
//! - latency: p99 TTFT in ms, with a bootstrap standard error over the point's requests;
//! - throughput: output tokens per second at that point;
//! - cost: $ per 1M tokens, input and output together, at the measuring hardware's price per
//!   hour: the price of an hour over every token served in it. (Not the output tokens' share
//!   alone: that share shrinks as prefill takes more of each request, so a slower prefill
//!   would look cheaper.)
//! - memory: peak GB (GPU memory when sampled, else the process's resident set).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use yardstick_core::MetricRecord;
use yardstick_evidence::gather::BenchRun;
use yardstick_evidence::{BenchUnit, LatencyBounds, OperatingPoint, ServingMetric};

use crate::bootstrap::percentile_stderr;
use crate::categories::{self, Categories};
use crate::cost::{self, measured_throughput, Throughput};
use crate::recommend::{
    self, default_objectives, Candidate, Constraint, Measure, Recommendation, Request,
};
use crate::DecideError;

/// What the user asked for (the flags of `yardstick recommend`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecommendRequest {
    pub preset: Option<String>,
    /// Objective name → weight, applied over the preset's.
    pub weights: Vec<(String, f64)>,
    pub max_p99_ttft_ms: Option<f64>,
    pub max_p99_tpot_ms: Option<f64>,
    pub max_memory_gb: Option<f64>,
    pub max_cost_per_million_tokens: Option<f64>,
    pub budget_usd_month: Option<f64>,
    /// Task or category → lowest acceptable main metric (or category score).
    pub min_scores: Vec<(String, f64)>,
    /// The categories `min_scores` may name (reasoning, coding, safety, …).
    pub categories: Categories,
    /// Empty: the preset's, or any hardware.
    pub hardware: Vec<String>,
    /// Empty: the tasks every candidate's model was evaluated on.
    pub tasks: Vec<String>,
    pub usd_per_hour: Option<f64>,
    pub measured_on: Option<String>,
    pub traffic_rps: Option<f64>,
    pub hours_per_day: f64,
    pub resamples: usize,
    pub seed: u64,
}

/// What candidates are built from: the newest bench run of each configuration, and each
/// configuration's task scores (groups aggregated, as the leaderboard scores them).
#[derive(Debug, Clone, Default)]
pub struct RecommendEvidence {
    pub configurations: Vec<BenchRun>,
    /// Task scores by deployment id ([`quality_key`]: units without a deployment by model
    /// name).
    pub scores: BTreeMap<String, BTreeMap<String, MetricRecord>>,
    /// Deployment names by id.
    pub names: BTreeMap<String, String>,
    /// Deployments whose scores are those of others with the same weights and engine: by
    /// id, those deployments' names.
    pub borrowed_from: BTreeMap<String, Vec<String>>,
}

/// The key of a bench unit's quality in [`RecommendEvidence::scores`]: its deployment's
/// id, or its model's name for a unit without one.
pub fn quality_key(unit: &yardstick_store::RunUnit) -> String {
    unit.deployment_id
        .clone()
        .unwrap_or_else(|| unit.model.clone())
}

/// A recommendation with what it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendOutput {
    pub request: Request,
    pub candidates: Vec<Candidate>,
    pub recommendation: Recommendation,
    pub notes: Vec<String>,
}

/// The request: a preset's weights and constraints, then the user's on top.
pub fn request(asked: &RecommendRequest) -> Result<Request, DecideError> {
    let mut objectives = default_objectives();
    let mut constraints = Vec::new();
    let mut hardware = Vec::new();
    if let Some(name) = &asked.preset {
        let preset = recommend::preset(name)?;
        for objective in &mut objectives {
            objective.weight = preset.weights.get(&objective.name).copied().unwrap_or(0.0);
        }
        constraints = preset.constraints;
        hardware = preset.hardware;
    }
    for (name, weight) in &asked.weights {
        let objective = objectives
            .iter_mut()
            .find(|objective| objective.name == *name)
            .ok_or_else(|| DecideError::InvalidInput {
                what: format!("--weight {name}={weight}"),
                reason: format!(
                    "no objective {name}; the objectives are accuracy, latency, throughput, cost, memory"
                ),
            })?;
        objective.weight = *weight;
    }
    let mut bound = |constraint: Constraint| {
        constraints.retain(|existing: &Constraint| existing.metric != constraint.metric);
        constraints.push(constraint);
    };
    let at_most = [
        ("p99_ttft_ms", asked.max_p99_ttft_ms),
        ("p99_tpot_ms", asked.max_p99_tpot_ms),
        ("memory_gb", asked.max_memory_gb),
        ("cost_per_million_tokens", asked.max_cost_per_million_tokens),
    ];
    for (metric, limit) in at_most {
        if let Some(limit) = limit {
            bound(Constraint::at_most(metric, limit));
        }
    }
    if let Some(limit) = asked.budget_usd_month {
        if asked.traffic_rps.is_none() {
            return Err(DecideError::InvalidInput {
                what: format!("--budget-usd-month {limit}"),
                reason: "a monthly cost needs the traffic (--traffic-rps)".to_string(),
            });
        }
        bound(Constraint::at_most("usd_per_month", limit));
    }
    for (task, value) in &asked.min_scores {
        bound(Constraint::at_least(&format!("score:{task}"), *value));
    }
    if !asked.hardware.is_empty() {
        hardware = asked.hardware.clone();
    }
    Ok(Request {
        objectives,
        constraints,
        hardware,
        resamples: asked.resamples,
        seed: asked.seed,
    })
}

/// The latency bounds among a request's constraints.
fn bounds(request: &Request) -> LatencyBounds {
    let limit = |metric: &str| {
        request
            .constraints
            .iter()
            .find(|constraint| constraint.metric == metric)
            .and_then(|constraint| constraint.at_most)
    };
    LatencyBounds {
        max_p99_ttft_ms: limit("p99_ttft_ms"),
        max_p99_tpot_ms: limit("p99_tpot_ms"),
    }
}

/// The tasks accuracy is averaged over: those asked for, else those every evaluated
/// candidate model has.
fn accuracy_tasks(evidence: &RecommendEvidence, asked: &RecommendRequest) -> BTreeSet<String> {
    if !asked.tasks.is_empty() {
        return asked.tasks.iter().cloned().collect();
    }
    let mut common: Option<BTreeSet<String>> = None;
    for scores in evidence.scores.values().filter(|scores| !scores.is_empty()) {
        let tasks: BTreeSet<String> = scores.keys().cloned().collect();
        common = Some(match common {
            None => tasks,
            Some(common) => common.intersection(&tasks).cloned().collect(),
        });
    }
    common.unwrap_or_default()
}

/// The accuracy objective: the mean main metric over `tasks`, `None` unless the model has
/// every one of them.
fn accuracy(scores: &BTreeMap<String, MetricRecord>, tasks: &BTreeSet<String>) -> Option<Measure> {
    let chosen: Vec<&MetricRecord> = scores
        .iter()
        .filter(|(task, _)| tasks.contains(*task))
        .map(|(_, record)| record)
        .collect();
    if tasks.is_empty() || chosen.len() != tasks.len() {
        return None;
    }
    let k = chosen.len() as f64;
    let mean = chosen.iter().map(|record| record.value).sum::<f64>() / k;
    let variance: f64 = chosen
        .iter()
        .map(|record| record.stderr.unwrap_or(0.0).powi(2))
        .sum();
    Some(Measure {
        value: mean,
        stderr: Some(variance.sqrt() / k),
    })
}

/// Every `--min-score` names a task some candidate was evaluated on, or a category.
fn check_min_scores(
    evidence: &RecommendEvidence,
    asked: &RecommendRequest,
) -> Result<(), DecideError> {
    let tasks: BTreeSet<&String> = evidence.scores.values().flat_map(BTreeMap::keys).collect();
    for (name, value) in &asked.min_scores {
        if tasks.contains(name) || asked.categories.0.contains_key(name) {
            continue;
        }
        let list = |names: Vec<&String>| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names
                    .into_iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        return Err(DecideError::InvalidInput {
            what: format!("--min-score {name}={value}"),
            reason: format!(
                "no evaluated task or category `{name}`; the categories are {}; the evaluated tasks are {}",
                list(asked.categories.0.keys().collect()),
                list(tasks.iter().copied().collect())
            ),
        });
    }
    Ok(())
}

/// One candidate per configuration with a measured throughput, and notes on the way.
pub fn candidates(
    evidence: &RecommendEvidence,
    request: &Request,
    asked: &RecommendRequest,
) -> Result<(Vec<Candidate>, Vec<String>), DecideError> {
    if evidence.configurations.is_empty() {
        return Err(DecideError::Refused(
            "no bench results to recommend from: run `yardstick bench` on the candidate models first"
                .to_string(),
        ));
    }
    let mut notes = Vec::new();
    let tasks = accuracy_tasks(evidence, asked);
    notes.push(accuracy_note(&tasks));
    let bounds = bounds(request);
    let empty = BTreeMap::new();
    let mut candidates = Vec::new();
    for (index, (run_id, units)) in evidence.configurations.iter().enumerate() {
        let Some(point) = OperatingPoint::choose(units, &bounds).map(OperatingPoint::unit) else {
            notes.push(format!(
                "run {run_id}: no load point with a measured throughput"
            ));
            continue;
        };
        let Some(throughput) = measured_throughput(point, run_id) else {
            continue;
        };
        let key = quality_key(&point.unit);
        let model_scores = evidence.scores.get(&key).unwrap_or(&empty);
        let deployment = evidence.names.get(&key).cloned();
        if let (Some(name), Some(sources)) = (&deployment, evidence.borrowed_from.get(&key)) {
            notes.push(format!(
                "{name}: no eval results of its own; accuracy from {} (the same weights on the same engine, other hardware or serving settings)",
                sources.join(", ")
            ));
        }
        let latency_seed = asked.seed.wrapping_add(index as u64);
        let mut candidate = candidate(
            point,
            run_id,
            &throughput,
            model_scores,
            &tasks,
            asked,
            latency_seed,
        )?;
        candidate.deployment = deployment;
        candidates.push(candidate);
    }
    if asked.usd_per_hour.is_none() {
        notes.push(
            "no --usd-per-hour: cost is not ranked and cost constraints cannot be met".to_string(),
        );
    }
    Ok((candidates, notes))
}

/// The note saying which tasks accuracy is averaged over, or that it is not ranked.
fn accuracy_note(tasks: &BTreeSet<String>) -> String {
    if tasks.is_empty() {
        "no task was evaluated for every candidate model: accuracy is not ranked".to_string()
    } else {
        format!(
            "accuracy: mean main metric over {}",
            tasks.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

/// One configuration's candidate at its operating point `point` (of bench run `run_id`);
/// `latency_seed` seeds the bootstrap of its p99 TTFT's standard error.
fn candidate(
    point: &BenchUnit,
    run_id: &str,
    throughput: &Throughput,
    model_scores: &BTreeMap<String, MetricRecord>,
    tasks: &BTreeSet<String>,
    asked: &RecommendRequest,
    latency_seed: u64,
) -> Result<Candidate, DecideError> {
    let model = point.unit.model.clone();
    let mut objectives = BTreeMap::new();
    let mut metrics: BTreeMap<String, f64> = model_scores
        .iter()
        .map(|(task, record)| (format!("score:{task}"), record.value))
        .collect();
    for category in categories::scores_of(&asked.categories, model_scores) {
        if let Some(score) = category.score {
            metrics
                .entry(format!("score:{}", category.category))
                .or_insert(score);
        }
    }
    if let Some(measure) = accuracy(model_scores, tasks) {
        objectives.insert("accuracy".to_string(), measure);
    }
    if let Some(p99) = point.value(ServingMetric::TtftP99) {
        objectives.insert(
            "latency".to_string(),
            Measure {
                value: p99,
                stderr: percentile_stderr(&point.ttft_ms, 99.0, 500, latency_seed),
            },
        );
        metrics.insert("p99_ttft_ms".to_string(), p99);
    }
    if let Some(p99) = point.value(ServingMetric::TpotP99) {
        metrics.insert("p99_tpot_ms".to_string(), p99);
    }
    objectives.insert(
        "throughput".to_string(),
        Measure::exact(throughput.output_tokens_per_second()),
    );
    if let Some(memory) = point.memory_gb() {
        objectives.insert("memory".to_string(), Measure::exact(memory));
        metrics.insert("memory_gb".to_string(), memory);
    }
    if let Some(price) = asked.usd_per_hour {
        insert_costs(throughput, price, asked, &mut objectives, &mut metrics)?;
    }
    Ok(Candidate {
        name: format!("{model} @ {} (run {run_id})", point.point),
        deployment: None,
        hardware: asked
            .measured_on
            .clone()
            .unwrap_or_else(|| "this machine".to_string()),
        hardware_class: if point.used_gpu() { "gpu" } else { "cpu" }.to_string(),
        objectives,
        metrics,
    })
}

/// At `price` dollars an hour: the cost objective and metric ($ per 1M tokens), and with
/// `--traffic-rps` the monthly cost metric.
fn insert_costs(
    throughput: &Throughput,
    price: f64,
    asked: &RecommendRequest,
    objectives: &mut BTreeMap<String, Measure>,
    metrics: &mut BTreeMap<String, f64>,
) -> Result<(), DecideError> {
    let costs = cost::token_costs(throughput, price)?;
    objectives.insert("cost".to_string(), Measure::exact(costs.all_tokens.value));
    metrics.insert(
        "cost_per_million_tokens".to_string(),
        costs.all_tokens.value,
    );
    if let Some(rps) = asked.traffic_rps {
        let plan = cost::capacity(
            throughput,
            &cost::Traffic {
                requests_per_second: rps,
                input_tokens: throughput.input_tokens_per_request,
                output_tokens: throughput.output_tokens_per_request,
                hours_per_day: asked.hours_per_day,
            },
            price,
            0,
        )?;
        metrics.insert("usd_per_month".to_string(), plan.usd_per_month.value);
    }
    Ok(())
}

/// Builds the candidates and recommends among them.
pub fn recommend_from(
    evidence: &RecommendEvidence,
    asked: &RecommendRequest,
) -> Result<RecommendOutput, DecideError> {
    check_min_scores(evidence, asked)?;
    let request = request(asked)?;
    let (candidates, notes) = candidates(evidence, &request, asked)?;
    let recommendation = recommend::recommend(&candidates, &request)?;
    Ok(RecommendOutput {
        request,
        candidates,
        recommendation,
        notes,
    })
}
