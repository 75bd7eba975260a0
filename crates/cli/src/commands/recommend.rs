//! `yardstick recommend`: which deployment to choose, under constraints, with its
//! confidence and reasons ([`yardstick_decide::recommend`]).
//!
//! The candidates are read by `yardstick_evidence` and built, ranked and explained by
//! `yardstick_decide::candidates` (which documents each objective); this prints them.

use anyhow::{Context, Result};
use yardstick_decide::candidates::{recommend_from, RecommendEvidence, RecommendRequest};
use yardstick_decide::views;
use yardstick_evidence::{gather, selection};
use yardstick_runner::Home;

use super::Outcome;
use crate::args::{Format, RecommendArgs};
use crate::render::print_blocks;

pub async fn run(args: RecommendArgs, home: &Home) -> Result<Outcome> {
    let asked = request(&args)?;
    let store = home.open_store().await?;
    let configurations = gather::newest_configurations(&store).await?;
    // Quality joins speed by deployment: the eval units of the deployment each bench measured.
    let deployments: Vec<String> = configurations
        .iter()
        .filter_map(|(_, units)| units.first())
        .filter_map(|unit| unit.unit.deployment_id.clone())
        .collect();
    let quality = selection::deployment_scores(&store, deployments).await?;
    let evidence = RecommendEvidence {
        configurations,
        scores: quality.scores,
        names: quality.names,
        borrowed_from: quality.borrowed_from,
    };
    let output = recommend_from(&evidence, &asked)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print_blocks(&views::recommendation(&output), Format::Table);
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
        categories: super::inputs::categories(args.categories.as_deref())?.0,
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
