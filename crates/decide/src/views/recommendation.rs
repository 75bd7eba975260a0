//! A recommendation as blocks: the ranking with each objective's value (and its standard
//! error), the recommended candidate and how firmly, the trade-offs against the runner-up,
//! binding constraints, exclusions and notes.

use yardstick_report::Block;

use super::{line, table};
use crate::candidates::RecommendOutput;

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

pub fn recommendation(output: &RecommendOutput) -> Vec<Block> {
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
        rows.push(row);
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
    let mut blocks = vec![
        line(format!("objectives: {}", weights.join(", "))),
        table(&header, rows),
    ];
    match &result.recommended {
        None => blocks.push(line(
            "no recommendation: every candidate was excluded".to_string(),
        )),
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
            blocks.push(line(format!("recommended: {name} — {strength}")));
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
                blocks.push(line(format!(
                    "against the runner-up {runner_up}: {}",
                    trades.join("; ")
                )));
            }
        }
    }
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
    blocks.extend(
        output
            .notes
            .iter()
            .map(|note| line(format!("note: {note}"))),
    );
    blocks
}
