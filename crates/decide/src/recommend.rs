//! Recommendations: which configuration to deploy under constraints, how sure we are, and why.
//!
//! 1. **Constraints** remove candidates: each bounds a metric (`at_most` / `at_least`); a
//!    candidate without the metric is removed too ("not measured" is not "meets it"); a
//!    hardware allow-list keeps candidates whose hardware or hardware class it names.
//! 2. **Objectives** (default accuracy 0.30, latency 0.25, throughput 0.20, cost 0.15,
//!    memory 0.10; [`Preset`]s change them) with a direction each. An objective no remaining
//!    candidate has is dropped (named in the result); a candidate lacking an objective the
//!    others have is removed with that reason.
//! 3. The **Pareto front** over the objectives, and the **TOPSIS** ranking of every remaining
//!    candidate ([`crate::topsis`]: vector normalisation, weights rescaled to 1; TOPSIS never
//!    ranks a dominated candidate above the one dominating it, so the first is on the front).
//! 4. **Confidence**: every objective value is redrawn `resamples` times from a normal with
//!    its standard error (values without one stay fixed; draws are clamped at 0), the ranking
//!    recomputed each time (the feasible set is held fixed), and per candidate the share of
//!    draws it ranks first and its 95% rank interval reported. The recommendation is **weak**
//!    when the first ranks above the runner-up in fewer than 95% of draws.
//! 5. **Reasons**: a constraint *binds* when dropping it alone changes the first choice (the
//!    result names the candidate that would win); the trade-offs list, objective by
//!    objective, what the recommendation gives up against the runner-up and what it gains.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::pareto::{self, Direction};
use crate::topsis::{self, Criterion};
use crate::DecideError;
use resampling::{ranked_rows, resample, trade_offs};

const PRESETS: &str = include_str!("../data/presets.yaml");

/// The five objectives, their directions and default weights.
pub const DEFAULT_OBJECTIVES: [(&str, Direction, f64); 5] = [
    ("accuracy", Direction::Maximize, 0.30),
    ("latency", Direction::Minimize, 0.25),
    ("throughput", Direction::Maximize, 0.20),
    ("cost", Direction::Minimize, 0.15),
    ("memory", Direction::Minimize, 0.10),
];

/// A measured value and its standard error, when known.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    pub value: f64,
    pub stderr: Option<f64>,
}

impl Measure {
    pub fn exact(value: f64) -> Measure {
        Measure {
            value,
            stderr: None,
        }
    }
}

/// One deployable configuration (model × engine × quantization × hardware).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub name: String,
    /// The stored deployment measured (its name), whose quality, speed and cost the
    /// candidate joins; `None` for evidence without deployments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Where it runs (an instance id, "this machine").
    pub hardware: String,
    /// The class an allow-list may name: `cpu` or an accelerator id.
    pub hardware_class: String,
    /// Objective values by objective name.
    pub objectives: BTreeMap<String, Measure>,
    /// Values constraints may bound (p99_ttft_ms, memory_gb, score:mmlu, …).
    pub metrics: BTreeMap<String, f64>,
}

/// An objective of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub name: String,
    pub direction: Direction,
    pub weight: f64,
}

/// The default objectives with their default weights.
pub fn default_objectives() -> Vec<Objective> {
    DEFAULT_OBJECTIVES
        .iter()
        .map(|&(name, direction, weight)| Objective {
            name: name.to_string(),
            direction,
            weight,
        })
        .collect()
}

/// A bound on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub metric: String,
    #[serde(default)]
    pub at_most: Option<f64>,
    #[serde(default)]
    pub at_least: Option<f64>,
}

impl Constraint {
    pub fn at_most(metric: &str, limit: f64) -> Constraint {
        Constraint {
            metric: metric.to_string(),
            at_most: Some(limit),
            at_least: None,
        }
    }

    pub fn at_least(metric: &str, limit: f64) -> Constraint {
        Constraint {
            metric: metric.to_string(),
            at_most: None,
            at_least: Some(limit),
        }
    }

    /// `p99_ttft_ms ≤ 500`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(limit) = self.at_least {
            parts.push(format!("{} ≥ {limit}", self.metric));
        }
        if let Some(limit) = self.at_most {
            parts.push(format!("{} ≤ {limit}", self.metric));
        }
        parts.join(" and ")
    }

    /// Why `candidate` fails this constraint, or `None` when it meets it.
    fn violation(&self, candidate: &Candidate) -> Option<String> {
        let Some(&value) = candidate.metrics.get(&self.metric) else {
            return Some(format!(
                "{} not measured (constraint {})",
                self.metric,
                self.describe()
            ));
        };
        if let Some(limit) = self.at_most {
            if value > limit {
                return Some(format!("{} = {value:.4} > {limit}", self.metric));
            }
        }
        if let Some(limit) = self.at_least {
            if value < limit {
                return Some(format!("{} = {value:.4} < {limit}", self.metric));
            }
        }
        None
    }
}

/// A deployment-context preset (`data/presets.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub description: String,
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub constraints: Vec<Constraint>,
    #[serde(default)]
    pub hardware: Vec<String>,
}

/// Every built-in preset by name.
pub fn presets() -> Result<BTreeMap<String, Preset>, DecideError> {
    let presets: BTreeMap<String, Preset> =
        serde_yaml_ng::from_str(PRESETS).map_err(|error| DecideError::Document {
            source_name: "the built-in presets".to_string(),
            reason: error.to_string(),
        })?;
    for (name, preset) in &presets {
        for key in preset.weights.keys() {
            if !DEFAULT_OBJECTIVES
                .iter()
                .any(|(objective, _, _)| objective == key)
            {
                return Err(DecideError::Document {
                    source_name: "the built-in presets".to_string(),
                    reason: format!("preset `{name}` weights unknown objective `{key}`"),
                });
            }
        }
    }
    Ok(presets)
}

/// One built-in preset.
pub fn preset(name: &str) -> Result<Preset, DecideError> {
    let mut all = presets()?;
    let valid = all.keys().cloned().collect::<Vec<_>>().join(", ");
    all.remove(name).ok_or_else(|| DecideError::UnknownName {
        kind: "preset".to_string(),
        name: name.to_string(),
        valid,
    })
}

/// Everything a recommendation is computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub objectives: Vec<Objective>,
    pub constraints: Vec<Constraint>,
    /// Empty: any hardware.
    pub hardware: Vec<String>,
    pub resamples: usize,
    pub seed: u64,
}

/// A candidate removed before ranking, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub candidate: String,
    pub reasons: Vec<String>,
}

/// A remaining candidate's place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub candidate: String,
    pub rank: usize,
    pub closeness: f64,
    pub on_front: bool,
    /// Share of resampled rankings in which it came first.
    pub first_rate: f64,
    /// 2.5th and 97.5th percentile of its rank over the resamples.
    pub rank_interval: (usize, usize),
}

/// A constraint that changes the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Binding {
    pub constraint: String,
    /// How many candidates it removed.
    pub removed: usize,
    /// The candidate that would come first without it.
    pub would_recommend: String,
}

/// One objective compared between the recommendation and the runner-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradeOff {
    pub objective: String,
    pub recommended: f64,
    pub runner_up: f64,
    /// `gives up`, `gains` or `equal`.
    pub verdict: String,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub objectives: Vec<Objective>,
    pub dropped_objectives: Vec<String>,
    pub excluded: Vec<Exclusion>,
    /// Remaining candidates from first to last.
    pub ranking: Vec<Ranked>,
    pub recommended: Option<String>,
    pub runner_up: Option<String>,
    /// Share of resamples in which the recommendation ranks above the runner-up.
    pub separation: Option<f64>,
    pub weak: bool,
    pub binding: Vec<Binding>,
    pub trade_offs: Vec<TradeOff>,
}

/// Computes the recommendation (see the module documentation for every step).
pub fn recommend(
    candidates: &[Candidate],
    request: &Request,
) -> Result<Recommendation, DecideError> {
    validate(candidates, request)?;

    let outcome = rank_once(candidates, request, &request.constraints)?;
    let binding = binding_constraints(candidates, request, &outcome)?;

    let Outcome {
        objectives,
        dropped,
        excluded,
        feasible,
        ranking,
    } = outcome;
    let Some(ranking) = ranking else {
        return Ok(Recommendation {
            objectives,
            dropped_objectives: dropped,
            excluded,
            ranking: Vec::new(),
            recommended: None,
            runner_up: None,
            separation: None,
            weak: true,
            binding,
            trade_offs: Vec::new(),
        });
    };

    let rows = value_rows(&feasible, &objectives);
    let directions: Vec<Direction> = objectives.iter().map(|o| o.direction).collect();
    let front = pareto::front(&rows, &directions)?;

    let top = ranking.order[0];
    let second = ranking.order.get(1).copied();
    let resampled = resample(&feasible, &objectives, &rows, request, top, second)?;
    let resamples = request.resamples as f64;
    let separation = second.map(|_| resampled.top_ahead as f64 / resamples);
    let ranked = ranked_rows(&ranking, &feasible, &front, &resampled, resamples);
    let trade_offs = match second {
        None => Vec::new(),
        Some(second) => trade_offs(&objectives, &rows, top, second),
    };

    Ok(Recommendation {
        objectives,
        dropped_objectives: dropped,
        excluded,
        recommended: Some(feasible[top].name.clone()),
        runner_up: second.map(|index| feasible[index].name.clone()),
        separation,
        weak: separation.is_some_and(|share| share < 0.95),
        ranking: ranked,
        binding,
        trade_offs,
    })
}

/// Refuses an empty candidate list, a negative or non-finite weight, zero resamples and a
/// negative or non-finite objective value or standard error.
fn validate(candidates: &[Candidate], request: &Request) -> Result<(), DecideError> {
    if candidates.is_empty() {
        return Err(DecideError::InvalidInput {
            what: "candidates".to_string(),
            reason: "there is nothing to recommend from: no configuration has results".to_string(),
        });
    }
    for objective in &request.objectives {
        if !objective.weight.is_finite() || objective.weight < 0.0 {
            return Err(DecideError::InvalidInput {
                what: format!("weight of `{}`", objective.name),
                reason: format!("{} is not a finite non-negative number", objective.weight),
            });
        }
    }
    if request.resamples == 0 {
        return Err(DecideError::InvalidInput {
            what: "resamples".to_string(),
            reason: "at least one resample is needed for a confidence".to_string(),
        });
    }
    for candidate in candidates {
        for (name, measure) in &candidate.objectives {
            let stderr_ok = measure
                .stderr
                .is_none_or(|stderr| stderr.is_finite() && stderr >= 0.0);
            if !measure.value.is_finite() || measure.value < 0.0 || !stderr_ok {
                return Err(DecideError::InvalidInput {
                    what: format!("candidate `{}`, objective `{name}`", candidate.name),
                    reason: format!(
                        "value {} ± {:?} must be finite and ≥ 0",
                        measure.value, measure.stderr
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The constraints whose removal alone changes the first choice of `outcome`, in the
/// request's order.
fn binding_constraints(
    candidates: &[Candidate],
    request: &Request,
    outcome: &Outcome,
) -> Result<Vec<Binding>, DecideError> {
    let mut binding = Vec::new();
    let Some(first) = outcome.first() else {
        return Ok(binding);
    };
    for (index, constraint) in request.constraints.iter().enumerate() {
        let mut others = request.constraints.clone();
        others.remove(index);
        let without = rank_once(candidates, request, &others)?;
        if let Some(other_first) = without.first() {
            if other_first != first {
                binding.push(Binding {
                    constraint: constraint.describe(),
                    removed: candidates
                        .iter()
                        .filter(|candidate| constraint.violation(candidate).is_some())
                        .count(),
                    would_recommend: other_first.to_string(),
                });
            }
        }
    }
    Ok(binding)
}

struct Outcome<'a> {
    objectives: Vec<Objective>,
    dropped: Vec<String>,
    excluded: Vec<Exclusion>,
    feasible: Vec<&'a Candidate>,
    ranking: Option<topsis::Ranking>,
}

impl Outcome<'_> {
    fn first(&self) -> Option<&str> {
        let ranking = self.ranking.as_ref()?;
        Some(self.feasible[ranking.order[0]].name.as_str())
    }
}

/// One row of objective values per candidate (every candidate has every objective).
fn value_rows(candidates: &[&Candidate], objectives: &[Objective]) -> Vec<Vec<f64>> {
    candidates
        .iter()
        .map(|candidate| {
            objectives
                .iter()
                .map(|objective| candidate.objectives[&objective.name].value)
                .collect()
        })
        .collect()
}

fn criteria(objectives: &[Objective]) -> Vec<Criterion> {
    objectives
        .iter()
        .map(|objective| Criterion::new(&objective.name, objective.direction, objective.weight))
        .collect()
}

/// Filters by `constraints` and the hardware list, settles the objectives and ranks once on
/// the point values.
fn rank_once<'a>(
    candidates: &'a [Candidate],
    request: &Request,
    constraints: &[Constraint],
) -> Result<Outcome<'a>, DecideError> {
    let mut excluded = Vec::new();
    let mut passing = Vec::new();
    for candidate in candidates {
        let mut reasons: Vec<String> = constraints
            .iter()
            .filter_map(|constraint| constraint.violation(candidate))
            .collect();
        if !request.hardware.is_empty()
            && !request.hardware.iter().any(|allowed| {
                allowed == &candidate.hardware || allowed == &candidate.hardware_class
            })
        {
            reasons.push(format!(
                "hardware {} ({}) is not in the allow-list {}",
                candidate.hardware,
                candidate.hardware_class,
                request.hardware.join(", ")
            ));
        }
        if reasons.is_empty() {
            passing.push(candidate);
        } else {
            excluded.push(Exclusion {
                candidate: candidate.name.clone(),
                reasons,
            });
        }
    }
    let mut objectives = Vec::new();
    let mut dropped = Vec::new();
    for objective in &request.objectives {
        if objective.weight == 0.0 {
            continue;
        }
        if passing
            .iter()
            .any(|candidate| candidate.objectives.contains_key(&objective.name))
        {
            objectives.push(objective.clone());
        } else {
            dropped.push(objective.name.clone());
        }
    }
    let mut feasible = Vec::new();
    for candidate in passing {
        let missing: Vec<&str> = objectives
            .iter()
            .filter(|objective| !candidate.objectives.contains_key(&objective.name))
            .map(|objective| objective.name.as_str())
            .collect();
        if missing.is_empty() {
            feasible.push(candidate);
        } else {
            excluded.push(Exclusion {
                candidate: candidate.name.clone(),
                reasons: vec![format!(
                    "no {} measured while other candidates have it",
                    missing.join(", ")
                )],
            });
        }
    }
    let ranking = if feasible.is_empty() || objectives.is_empty() {
        None
    } else {
        Some(topsis::rank(
            &value_rows(&feasible, &objectives),
            &criteria(&objectives),
        )?)
    };
    Ok(Outcome {
        objectives,
        dropped,
        excluded,
        feasible,
        ranking,
    })
}

mod resampling;
#[cfg(test)]
mod tests;
