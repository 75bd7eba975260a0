//! `yardstick recommend`: which configuration to deploy, under constraints, with its
//! confidence and reasons ([`yardstick_decide::recommend`]).
//!
//! The candidates are read by `yardstick_evidence` and built, ranked and explained by
//! `yardstick_decide::candidates` (which documents each objective); this prints them.

use anyhow::{Context, Result};
use yardstick_decide::candidates::{recommend_from, RecommendEvidence, RecommendRequest};
use yardstick_decide::recommend::{Candidate, Recommendation};
use yardstick_evidence::{gather, selection};

use super::Outcome;
use crate::args::{Format, RecommendArgs};
use crate::home::Home;
use crate::render::Table;

pub async fn run(args: RecommendArgs, home: &Home) -> Result<Outcome> {
    let asked = request(&args)?;
    let store = home.open_store().await?;
    let configurations = gather::newest_configurations(&store).await?;
    let models = configurations
        .iter()
        .filter_map(|(_, units)| units.first().map(|unit| unit.unit.model.clone()));
    let scores = if configurations.is_empty() {
        std::collections::BTreeMap::new()
    } else {
        selection::model_scores(&store, models.collect::<Vec<_>>()).await?
    };
    let evidence = RecommendEvidence {
        configurations,
        scores,
    };
    let output = recommend_from(&evidence, &asked)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print(&output.candidates, &output.recommendation, &output.notes);
    }
    Ok(if output.recommendation.recommended.is_some() {
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

/// The typed request from the flags.
fn request(args: &RecommendArgs) -> Result<RecommendRequest> {
    Ok(RecommendRequest {
        preset: args.preset.clone(),
        weights: args
            .weights
            .iter()
            .map(|text| pair("--weight", text))
            .collect::<Result<_>>()?,
        max_p99_ttft_ms: args.max_p99_ttft_ms,
        max_p99_tpot_ms: args.max_p99_tpot_ms,
        max_memory_gb: args.max_memory_gb,
        max_cost_per_million_tokens: args.max_cost_per_million_tokens,
        budget_usd_month: args.budget_usd_month,
        min_scores: args
            .min_scores
            .iter()
            .map(|text| pair("--min-score", text))
            .collect::<Result<_>>()?,
        hardware: args.hardware.clone(),
        tasks: args.tasks.clone(),
        usd_per_hour: args.usd_per_hour,
        measured_on: args.measured_on.clone(),
        traffic_rps: args.traffic_rps,
        hours_per_day: args.hours_per_day,
        resamples: args.resamples,
        seed: args.seed,
    })
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
