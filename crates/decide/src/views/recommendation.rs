//! A recommendation as blocks: the ranking with each objective's value (and its standard
//! error), the recommended candidate and how firmly, the trade-offs against the runner-up,
//! binding constraints, exclusions and notes.

use yardstick_report::Block;

use super::{line, table};
use crate::candidates::RecommendOutput;
use crate::recommend::{Measure, Recommendation, TradeOff};

/// An objective's column header (what is measured, with its unit) and decimals.
pub fn shown(objective: &str) -> (&str, usize) {
    match objective {
        "accuracy" => ("accuracy", 4),
        "latency" => ("p99 TTFT ms", 1),
        "throughput" => ("output tok/s", 1),
        "cost" => ("$ / 1M tokens", 4),
        "memory" => ("peak GB", 2),
        other => (other, 4),
    }
}

/// A recommendation: the weighted objectives, the ranking table, the recommended candidate
/// with how firmly and its trade-offs against the runner-up, then binding constraints,
/// exclusions, dropped objectives and notes.
pub fn recommendation(output: &RecommendOutput) -> Vec<Block> {
    let result = &output.recommendation;
    let mut blocks = vec![weights_line(result), ranking_table(output)];
    match &result.recommended {
        None => blocks.push(line(
            "no recommendation: every candidate was excluded".to_string(),
        )),
        Some(name) => {
            blocks.push(line(format!("recommended: {name} — {}", strength(result))));
            if let Some(runner_up) = &result.runner_up {
                blocks.push(trade_offs_line(runner_up, &result.trade_offs));
            }
        }
    }
    reason_lines(result, &mut blocks);
    blocks.extend(
        output
            .notes
            .iter()
            .map(|note| line(format!("note: {note}"))),
    );
    blocks
}

/// `objectives: accuracy 0.3 (maximize), …`.
fn weights_line(result: &Recommendation) -> Block {
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
    line(format!("objectives: {}", weights.join(", ")))
}

/// Per ranked candidate: rank, closeness, front, first rate, rank interval and each
/// objective's value.
fn ranking_table(output: &RecommendOutput) -> Block {
    let result = &output.recommendation;
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
    let mut rows = Vec::new();
    for ranked in &result.ranking {
        let candidate = output
            .candidates
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
                    .map_or_else(String::new, |measure| measure_cell(objective, measure)),
            );
        }
        rows.push(row);
    }
    table(&header, rows)
}

/// An objective's value at its decimals, `± stderr` when it has a positive one.
fn measure_cell(objective: &str, measure: &Measure) -> String {
    let digits = shown(objective).1;
    match measure.stderr {
        Some(stderr) if stderr > 0.0 => {
            format!("{:.digits$} ± {stderr:.digits$}", measure.value)
        }
        _ => format!("{:.digits$}", measure.value),
    }
}

/// How firmly the recommendation stands: the only candidate, or how often it ranks above the
/// runner-up (WEAK below the threshold).
fn strength(result: &Recommendation) -> String {
    match (result.weak, result.separation) {
        (_, None) => "the only candidate left".to_string(),
        (true, Some(share)) => format!(
            "WEAK: it ranks above the runner-up in only {:.0}% of resampled measurements",
            share * 100.0
        ),
        (false, Some(share)) => format!(
            "ranks above the runner-up in {:.0}% of resampled measurements",
            share * 100.0
        ),
    }
}

/// `against the runner-up NAME: gains …; gives up …` (objectives that are equal left out).
fn trade_offs_line(runner_up: &str, trade_offs: &[TradeOff]) -> Block {
    let trades: Vec<String> = trade_offs
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
    line(format!(
        "against the runner-up {runner_up}: {}",
        trades.join("; ")
    ))
}

/// Binding constraints, exclusions and dropped objectives, a line each.
fn reason_lines(result: &Recommendation, blocks: &mut Vec<Block>) {
    for binding in &result.binding {
        blocks.push(line(format!(
            "binding constraint {} (removed {}): without it, {} would be recommended",
            binding.constraint, binding.removed, binding.would_recommend
        )));
    }
    for exclusion in &result.excluded {
        blocks.push(line(format!(
            "excluded {}: {}",
            exclusion.candidate,
            exclusion.reasons.join("; ")
        )));
    }
    for dropped in &result.dropped_objectives {
        blocks.push(line(format!(
            "objective {dropped} dropped: no candidate has it"
        )));
    }
}
