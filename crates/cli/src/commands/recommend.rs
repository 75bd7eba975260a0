//! `yardstick recommend`: which configuration to deploy, under constraints, with its
//! confidence and reasons ([`yardstick_decide::recommend`]).
//!
//! Candidates are the stored serving configurations: the newest bench run of each model on
//! each target (engine and its settings). Each is taken at one operating point — the load
//! point with the highest throughput whose p99 TTFT and TPOT meet the latency constraints
//! (when none does, the one with the lowest p99 TTFT, which the constraints then exclude).
//! Its objectives:
//! - accuracy: the mean main metric over the tasks every candidate's model was evaluated on
//!   (or `--tasks`), from each model's newest complete eval unit, groups (mmlu) aggregated
//!   from their subtasks as the leaderboard does, with the standard error `√(Σ seᵢ²) / k`;
//! - latency: p99 TTFT in ms, with a bootstrap standard error over the point's requests;
//! - throughput: output tokens per second at that point;
//! - cost: $ per 1M tokens, input and output together, at `--usd-per-hour` (the measuring
//!   hardware's price): the price of an hour over every token served in it. (Not the output
//!   tokens' share alone: that share shrinks as prefill takes more of each request, so a
//!   slower prefill would look cheaper.)
//! - memory: peak GB (GPU memory when sampled, else the process's resident set).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yardstick_core::stats::percentile;
use yardstick_core::MetricRecord;
use yardstick_decide::cost;
use yardstick_decide::recommend::{
    self, default_objectives, Candidate, Constraint, Measure, Recommendation, Request,
};
use yardstick_store::{RunKind, Store};

use super::evidence::{self, BenchUnit, EvalUnit};
use super::leaderboard::scores_by_task;
use super::Outcome;
use crate::args::{Format, RecommendArgs};
use crate::home::Home;
use crate::render::Table;

pub async fn run(args: RecommendArgs, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    let (candidates, request, notes) = gather(&store, &args).await?;
    let result = recommend::recommend(&candidates, &request)?;
    if args.json {
        let json = serde_json::json!({
            "request": request,
            "candidates": candidates,
            "recommendation": result,
            "notes": notes,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print(&candidates, &result, &notes);
    }
    Ok(if result.recommended.is_some() {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}

/// `NAME=VALUE` → (name, value), naming the flag on error.
fn pair(flag: &str, text: &str) -> Result<(String, f64)> {
    let (name, value) = text
        .split_once('=')
        .with_context(|| format!("{flag} {text}: expected NAME=VALUE"))?;
    let value: f64 = value
        .trim()
        .parse()
        .with_context(|| format!("{flag} {text}: {value} is not a number"))?;
    Ok((name.trim().to_string(), value))
}

/// The request: a preset's weights and constraints, then the flags on top.
pub fn request(args: &RecommendArgs) -> Result<Request> {
    let mut objectives = default_objectives();
    let mut constraints = Vec::new();
    let mut hardware = Vec::new();
    if let Some(name) = &args.preset {
        let preset = recommend::preset(name)?;
        for objective in &mut objectives {
            objective.weight = preset.weights.get(&objective.name).copied().unwrap_or(0.0);
        }
        constraints = preset.constraints;
        hardware = preset.hardware;
    }
    for text in &args.weights {
        let (name, weight) = pair("--weight", text)?;
        let objective = objectives
            .iter_mut()
            .find(|objective| objective.name == name)
            .with_context(|| {
                format!(
                    "--weight {text}: no objective {name}; the objectives are accuracy, latency, throughput, cost, memory"
                )
            })?;
        objective.weight = weight;
    }
    let mut bound = |metric: &str, constraint: Constraint| {
        constraints.retain(|existing: &Constraint| existing.metric != metric);
        constraints.push(constraint);
    };
    if let Some(limit) = args.max_p99_ttft_ms {
        bound("p99_ttft_ms", Constraint::at_most("p99_ttft_ms", limit));
    }
    if let Some(limit) = args.max_p99_tpot_ms {
        bound("p99_tpot_ms", Constraint::at_most("p99_tpot_ms", limit));
    }
    if let Some(limit) = args.max_memory_gb {
        bound("memory_gb", Constraint::at_most("memory_gb", limit));
    }
    if let Some(limit) = args.max_cost_per_million_tokens {
        bound(
            "cost_per_million_tokens",
            Constraint::at_most("cost_per_million_tokens", limit),
        );
    }
    if let Some(limit) = args.budget_usd_month {
        if args.traffic_rps.is_none() {
            bail!("--budget-usd-month {limit}: a monthly cost needs the traffic (--traffic-rps)");
        }
        bound("usd_per_month", Constraint::at_most("usd_per_month", limit));
    }
    for text in &args.min_scores {
        let (task, value) = pair("--min-score", text)?;
        let metric = format!("score:{task}");
        bound(&metric.clone(), Constraint::at_least(&metric, value));
    }
    if !args.hardware.is_empty() {
        hardware = args.hardware.clone();
    }
    Ok(Request {
        objectives,
        constraints,
        hardware,
        resamples: args.resamples,
        seed: args.seed,
    })
}

fn limit(request: &Request, metric: &str) -> Option<f64> {
    request
        .constraints
        .iter()
        .find(|constraint| constraint.metric == metric)
        .and_then(|constraint| constraint.at_most)
}

/// The operating point of one bench run (see the module documentation).
fn operating_point<'a>(
    units: &'a [BenchUnit],
    request: &Request,
    run_id: &str,
) -> Option<&'a BenchUnit> {
    let ttft = limit(request, "p99_ttft_ms");
    let tpot = limit(request, "p99_tpot_ms");
    let within = |unit: &&BenchUnit| {
        ttft.is_none_or(|limit| {
            unit.value("ttft_ms.p99")
                .is_some_and(|value| value <= limit)
        }) && tpot.is_none_or(|limit| {
            unit.value("tpot_ms.p99")
                .is_some_and(|value| value <= limit)
        })
    };
    let rate = |unit: &&BenchUnit| {
        unit.throughput(run_id)
            .map_or(0.0, |throughput| throughput.requests_per_second)
    };
    units
        .iter()
        .filter(|unit| unit.throughput(run_id).is_some())
        .filter(within)
        .max_by(|a, b| rate(a).total_cmp(&rate(b)))
        .or_else(|| {
            units
                .iter()
                .filter(|unit| unit.throughput(run_id).is_some())
                .min_by(|a, b| {
                    let p99 =
                        |unit: &&BenchUnit| unit.value("ttft_ms.p99").unwrap_or(f64::INFINITY);
                    p99(a).total_cmp(&p99(b))
                })
        })
}

/// Bootstrap standard error of the p99 of `samples` (seeded).
fn p99_stderr(samples: &[f64], seed: u64) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws = Vec::with_capacity(500);
    let mut buffer = Vec::with_capacity(samples.len());
    for _ in 0..500 {
        buffer.clear();
        buffer.extend((0..samples.len()).map(|_| samples[rng.random_range(0..samples.len())]));
        draws.push(percentile(&buffer, 99.0)?);
    }
    yardstick_core::stats::sample_stddev(&draws)
}

async fn gather(
    store: &Store,
    args: &RecommendArgs,
) -> Result<(Vec<Candidate>, Request, Vec<String>)> {
    let request = request(args)?;
    let mut notes = Vec::new();
    // The newest complete bench run per model and target.
    let mut runs = store.list_runs().await?;
    runs.retain(|run| run.kind == RunKind::Bench);
    runs.sort_by_key(|run| std::cmp::Reverse(run.created_at));
    let mut seen = BTreeSet::new();
    let mut configurations = Vec::new();
    for run in &runs {
        let units = evidence::bench_units(store, run).await?;
        let Some(first) = units.first() else { continue };
        let key = (
            first.unit.model.clone(),
            first.unit.fingerprint.batching_scheme.clone(),
        );
        if seen.insert(key) {
            configurations.push((run.run_id.clone(), units));
        }
    }
    if configurations.is_empty() {
        bail!("no bench results to recommend from: run `yardstick bench` on the candidate models first");
    }
    // Eval results per model, scored as the leaderboard scores them (a group such as mmlu
    // aggregated from its subtasks, so that it counts once).
    let mut evals: BTreeMap<String, BTreeMap<String, MetricRecord>> = BTreeMap::new();
    for (_, units) in &configurations {
        let model = units[0].unit.model.clone();
        if let std::collections::btree_map::Entry::Vacant(entry) = evals.entry(model) {
            let leaves: BTreeMap<String, Vec<MetricRecord>> =
                evidence::latest_eval_units(store, entry.key())
                    .await?
                    .into_iter()
                    .map(|unit: EvalUnit| (unit.unit.task, vec![unit.metric]))
                    .collect();
            entry.insert(scores_by_task(&leaves)?);
        }
    }
    let tasks: BTreeSet<String> = if args.tasks.is_empty() {
        let mut common: Option<BTreeSet<String>> = None;
        for scores in evals.values().filter(|scores| !scores.is_empty()) {
            let tasks: BTreeSet<String> = scores.keys().cloned().collect();
            common = Some(match common {
                None => tasks,
                Some(common) => common.intersection(&tasks).cloned().collect(),
            });
        }
        common.unwrap_or_default()
    } else {
        args.tasks.iter().cloned().collect()
    };
    if tasks.is_empty() {
        notes.push(
            "no task was evaluated for every candidate model: accuracy is not ranked".to_string(),
        );
    } else {
        notes.push(format!(
            "accuracy: mean main metric over {}",
            tasks.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    let mut candidates = Vec::new();
    for (index, (run_id, units)) in configurations.iter().enumerate() {
        let Some(point) = operating_point(units, &request, run_id) else {
            notes.push(format!(
                "run {run_id}: no load point with a measured throughput"
            ));
            continue;
        };
        let Some(throughput) = point.throughput(run_id) else {
            continue;
        };
        let model = point.unit.model.clone();
        let mut objectives = BTreeMap::new();
        let mut metrics = BTreeMap::new();
        let empty = BTreeMap::new();
        let model_scores = evals.get(&model).unwrap_or(&empty);
        for (task, record) in model_scores {
            metrics.insert(format!("score:{task}"), record.value);
        }
        let chosen: Vec<&MetricRecord> = model_scores
            .iter()
            .filter(|(task, _)| tasks.contains(*task))
            .map(|(_, record)| record)
            .collect();
        if !tasks.is_empty() && chosen.len() == tasks.len() {
            let k = chosen.len() as f64;
            let mean = chosen.iter().map(|record| record.value).sum::<f64>() / k;
            let variance: f64 = chosen
                .iter()
                .map(|record| record.stderr.unwrap_or(0.0).powi(2))
                .sum();
            objectives.insert(
                "accuracy".to_string(),
                Measure {
                    value: mean,
                    stderr: Some(variance.sqrt() / k),
                },
            );
        }
        if let Some(p99) = point.value("ttft_ms.p99") {
            objectives.insert(
                "latency".to_string(),
                Measure {
                    value: p99,
                    stderr: p99_stderr(&point.ttft_ms, args.seed.wrapping_add(index as u64)),
                },
            );
            metrics.insert("p99_ttft_ms".to_string(), p99);
        }
        if let Some(p99) = point.value("tpot_ms.p99") {
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
        if let Some(price) = args.usd_per_hour {
            let costs = cost::token_costs(&throughput, price)?;
            objectives.insert("cost".to_string(), Measure::exact(costs.all_tokens.value));
            metrics.insert(
                "cost_per_million_tokens".to_string(),
                costs.all_tokens.value,
            );
            if let Some(rps) = args.traffic_rps {
                let plan = cost::capacity(
                    &throughput,
                    &cost::Traffic {
                        requests_per_second: rps,
                        input_tokens: throughput.input_tokens_per_request,
                        output_tokens: throughput.output_tokens_per_request,
                        hours_per_day: args.hours_per_day,
                    },
                    price,
                    0,
                )?;
                metrics.insert("usd_per_month".to_string(), plan.usd_per_month.value);
            }
        }
        let gpu = point.value("gpu_util_percent.mean").is_some();
        candidates.push(Candidate {
            name: format!("{model} @ {} (run {run_id})", point.point),
            hardware: args
                .measured_on
                .clone()
                .unwrap_or_else(|| "this machine".to_string()),
            hardware_class: if gpu { "gpu" } else { "cpu" }.to_string(),
            objectives,
            metrics,
        });
    }
    if args.usd_per_hour.is_none() {
        notes.push(
            "no --usd-per-hour: cost is not ranked and cost constraints cannot be met".to_string(),
        );
    }
    Ok((candidates, request, notes))
}

/// An objective's column header (what is measured, with its unit) and decimals.
fn shown(objective: &str) -> (&str, usize) {
    match objective {
        "accuracy" => ("accuracy", 4),
        "latency" => ("p99 TTFT ms", 1),
        "throughput" => ("output tok/s", 1),
        "cost" => ("$ / 1M tokens", 4),
        "memory" => ("peak GB", 2),
        other => (other, 4),
    }
}

fn print(candidates: &[Candidate], result: &Recommendation, notes: &[String]) {
    let objectives: Vec<&str> = result
        .objectives
        .iter()
        .map(|objective| objective.name.as_str())
        .collect();
    let mut header = vec![
        "rank",
        "candidate",
        "closeness",
        "front",
        "P(first)",
        "rank 95%",
    ];
    header.extend(objectives.iter().map(|objective| shown(objective).0));
    let mut table = Table::new(&header);
    for ranked in &result.ranking {
        let candidate = candidates
            .iter()
            .find(|candidate| candidate.name == ranked.candidate);
        let mut row = vec![
            ranked.rank.to_string(),
            ranked.candidate.clone(),
            format!("{:.3}", ranked.closeness),
            if ranked.on_front { "yes" } else { "no" }.to_string(),
            format!("{:.2}", ranked.first_rate),
            format!("{}–{}", ranked.rank_interval.0, ranked.rank_interval.1),
        ];
        for objective in &objectives {
            row.push(
                candidate
                    .and_then(|candidate| candidate.objectives.get(*objective))
                    .map_or_else(String::new, |measure| {
                        let digits = shown(objective).1;
                        match measure.stderr {
                            Some(stderr) if stderr > 0.0 => {
                                format!("{:.digits$} ± {stderr:.digits$}", measure.value)
                            }
                            _ => format!("{:.digits$}", measure.value),
                        }
                    }),
            );
        }
        table.push(row);
    }
    let weights: Vec<String> = result
        .objectives
        .iter()
        .map(|objective| {
            format!(
                "{} {} ({})",
                objective.name, objective.weight, objective.direction
            )
        })
        .collect();
    println!("objectives: {}", weights.join(", "));
    println!("{}", table.render(Format::Table));
    match &result.recommended {
        None => println!("no recommendation: every candidate was excluded"),
        Some(name) => {
            let strength = match (result.weak, result.separation) {
                (_, None) => "the only candidate left".to_string(),
                (true, Some(share)) => format!(
                    "WEAK: it ranks above the runner-up in only {:.0}% of resampled measurements",
                    share * 100.0
                ),
                (false, Some(share)) => format!(
                    "ranks above the runner-up in {:.0}% of resampled measurements",
                    share * 100.0
                ),
            };
            println!("recommended: {name} — {strength}");
            if let Some(runner_up) = &result.runner_up {
                let trades: Vec<String> = result
                    .trade_offs
                    .iter()
                    .filter(|trade| trade.verdict != "equal")
                    .map(|trade| {
                        let (label, digits) = shown(&trade.objective);
                        let measure = if label == trade.objective {
                            String::new()
                        } else {
                            format!("{label} ")
                        };
                        format!(
                            "{} {} ({measure}{:.digits$} vs {:.digits$})",
                            trade.verdict, trade.objective, trade.recommended, trade.runner_up
                        )
                    })
                    .collect();
                println!("against the runner-up {runner_up}: {}", trades.join("; "));
            }
        }
    }
    for binding in &result.binding {
        println!(
            "binding constraint {} (removed {}): without it, {} would be recommended",
            binding.constraint, binding.removed, binding.would_recommend
        );
    }
    for exclusion in &result.excluded {
        println!(
            "excluded {}: {}",
            exclusion.candidate,
            exclusion.reasons.join("; ")
        );
    }
    for dropped in &result.dropped_objectives {
        println!("objective {dropped} dropped: no candidate has it");
    }
    for note in notes {
        println!("note: {note}");
    }
}
