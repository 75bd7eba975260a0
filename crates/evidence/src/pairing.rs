//! Pairing the results of two sides of a comparison: eval units task by task, bench units
//! load point by load point, each pair only when the fingerprints are comparable in the
//! chosen [`ComparisonMode`] ([`crate::comparable`]); what is refused is named with the
//! difference, and differences the mode allows are collected as notes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::comparable::{comparability, ComparisonMode, Difference, Field};
use crate::metric::Latency;
use crate::results::{BenchUnit, EvalUnit};

/// A task or load point left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub task: String,
    pub differences: Vec<String>,
}

/// Results paired across the two sides, with what was refused and noted on the way.
#[derive(Debug, Clone)]
pub struct Pairing<T> {
    pub pairs: Vec<T>,
    pub refused: Vec<Refusal>,
    pub notes: Vec<String>,
}

/// One task's main metric on the items both sides scored, in item order.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedItems {
    pub task: String,
    pub metric: String,
    pub baseline: Vec<f64>,
    pub candidate: Vec<f64>,
}

fn describe(differences: &[Difference]) -> Vec<String> {
    differences.iter().map(ToString::to_string).collect()
}

/// `difference (task, task)`: one line per difference, naming where it occurs.
fn grouped(differing: BTreeMap<String, Vec<String>>) -> Vec<String> {
    differing
        .into_iter()
        .map(|(line, places)| format!("{line} ({})", places.join(", ")))
        .collect()
}

/// Pairs eval units task by task: fingerprints comparable in `mode`, the same main metric,
/// per-item scores on the items both sides have (at least two).
pub fn pair_evals(
    baseline: &[EvalUnit],
    candidate: &[EvalUnit],
    mode: ComparisonMode,
) -> Pairing<PairedItems> {
    let by_task: BTreeMap<&str, &EvalUnit> = candidate
        .iter()
        .map(|unit| (unit.unit.task.as_str(), unit))
        .collect();
    let mut paired = Vec::new();
    let mut refused = Vec::new();
    let mut notes = Vec::new();
    let mut differing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for left in baseline {
        let task = left.unit.task.as_str();
        let Some(right) = by_task.get(task) else {
            notes.push(format!("{task}: only the baseline has it"));
            continue;
        };
        let verdict = comparability(&left.unit.fingerprint, &right.unit.fingerprint, mode);
        if !verdict.is_comparable() {
            refused.push(Refusal {
                task: task.to_string(),
                differences: describe(&verdict.refusals),
            });
            continue;
        }
        for line in describe(&verdict.compared)
            .into_iter()
            .chain(describe(&verdict.notes))
        {
            differing.entry(line).or_default().push(task.to_string());
        }
        match paired_items(left, right) {
            Ok((items, note)) => {
                notes.extend(note);
                paired.push(items);
            }
            Err(difference) => refused.push(Refusal {
                task: task.to_string(),
                differences: vec![difference],
            }),
        }
    }
    for right in candidate {
        if !baseline
            .iter()
            .any(|left| left.unit.task == right.unit.task)
        {
            notes.push(format!("{}: only the candidate has it", right.unit.task));
        }
    }
    notes.extend(grouped(differing));
    Pairing {
        pairs: paired,
        refused,
        notes,
    }
}

/// The per-item values of two comparable units on the items both have, with a note when
/// that is fewer than either has; the reason when they cannot be paired.
fn paired_items(
    left: &EvalUnit,
    right: &EvalUnit,
) -> Result<(PairedItems, Option<String>), String> {
    let task = left.unit.task.as_str();
    if left.metric.name != right.metric.name {
        return Err(format!(
            "main metric {} vs {}",
            left.metric.name, right.metric.name
        ));
    }
    let common: Vec<u64> = left
        .items
        .keys()
        .filter(|index| right.items.contains_key(index))
        .copied()
        .collect();
    if common.len() < 2 {
        return Err(format!(
            "{} items scored on both sides (per-item scores are needed)",
            common.len()
        ));
    }
    let note = (common.len() != left.items.len() || common.len() != right.items.len()).then(|| {
        format!(
            "{task}: compared on the {} items both have (baseline {}, candidate {})",
            common.len(),
            left.items.len(),
            right.items.len()
        )
    });
    Ok((
        PairedItems {
            task: task.to_string(),
            metric: left.metric.name.clone(),
            baseline: common.iter().map(|index| left.items[index]).collect(),
            candidate: common.iter().map(|index| right.items[index]).collect(),
        },
        note,
    ))
}

/// The weights digest a bench records for a model it reached over HTTP.
pub const SERVED: &str = "served";

/// Pairs bench units by load point (and trial) with fingerprints comparable in `mode`.
///
/// Two allowances beyond the fingerprint check: comparing engines, a served model's
/// weights (invisible to yardstick) are assumed to be the same file, with a note; comparing
/// models, synthetic prompts of the same specification count as the same workload (each
/// model's tokenizer draws other texts of the same lengths).
pub fn pair_benches<'a>(
    baseline: &'a [BenchUnit],
    candidate: &'a [BenchUnit],
    mode: ComparisonMode,
) -> Pairing<(&'a BenchUnit, &'a BenchUnit)> {
    let mut pairs = Vec::new();
    let mut refused = Vec::new();
    let mut notes = Vec::new();
    let mut differing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for left in baseline {
        let Some(right) = candidate.iter().find(|unit| unit.point == left.point) else {
            notes.push(format!(
                "{}: only the baseline ran this load point",
                left.point
            ));
            continue;
        };
        // A bench unit's task hash is its run's plan id, which names the target: the
        // workload itself is compared through its digest (prompts) and dataset files.
        let mut right_fingerprint = right.unit.fingerprint.clone();
        right_fingerprint.task.task_hash = left.unit.fingerprint.task.task_hash.clone();
        let served = [&left.unit.fingerprint, &right.unit.fingerprint]
            .iter()
            .any(|fingerprint| fingerprint.model_sha256 == SERVED);
        if mode == ComparisonMode::Engine && served {
            right_fingerprint.model = left.unit.fingerprint.model.clone();
            right_fingerprint.model_sha256 = left.unit.fingerprint.model_sha256.clone();
            differing
                .entry(format!(
                    "model {} vs {}: a served model's weights cannot be checked; assumed to be the same file",
                    left.unit.fingerprint.model, right.unit.fingerprint.model
                ))
                .or_default()
                .push(left.point.clone());
        }
        let mut verdict = comparability(&left.unit.fingerprint, &right_fingerprint, mode);
        let same_synthetic =
            left.workload == right.workload && left.workload["prompts"]["kind"] == "synthetic";
        if mode == ComparisonMode::Models && same_synthetic {
            let (prompts, others): (Vec<_>, Vec<_>) = verdict
                .refusals
                .into_iter()
                .partition(|difference| difference.field == Field::Prompts);
            verdict.refusals = others;
            if !prompts.is_empty() {
                differing
                    .entry(
                        "synthetic prompts of the same specification, drawn with each model's tokenizer"
                            .to_string(),
                    )
                    .or_default()
                    .push(left.point.clone());
            }
        }
        if !verdict.is_comparable() {
            refused.push(Refusal {
                task: left.point.clone(),
                differences: describe(&verdict.refusals),
            });
            continue;
        }
        for line in describe(&verdict.compared)
            .into_iter()
            .chain(describe(&verdict.notes))
        {
            differing.entry(line).or_default().push(left.point.clone());
        }
        pairs.push((left, right));
    }
    notes.extend(grouped(differing));
    Pairing {
        pairs,
        refused,
        notes,
    }
}

/// The TTFT, TPOT and E2E samples of two paired bench units, leaving out (with a note ending
/// in `verb`) a latency with fewer than two samples on a side.
pub fn comparable_latencies<'a>(
    left: &'a BenchUnit,
    right: &'a BenchUnit,
    notes: &mut Vec<String>,
    verb: &str,
) -> Vec<(Latency, &'a [f64], &'a [f64])> {
    let mut kept = Vec::new();
    for latency in Latency::ALL {
        let (left_samples, right_samples) = (left.samples(latency), right.samples(latency));
        if left_samples.len() < 2 || right_samples.len() < 2 {
            notes.push(format!(
                "{}: {latency} has {} and {} samples; not {verb}",
                left.point,
                left_samples.len(),
                right_samples.len()
            ));
        } else {
            kept.push((latency, left_samples, right_samples));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{bench_unit, eval_unit, fingerprint};

    #[test]
    fn evals_pair_on_common_items_and_refuse_other_prompts() {
        let baseline = vec![
            eval_unit("a", "arc_easy", "p", &[1.0, 0.0, 1.0, 1.0]),
            eval_unit("a", "boolq", "p", &[1.0, 0.0]),
            eval_unit("a", "piqa", "p", &[1.0, 0.0]),
        ];
        let mut candidate = vec![
            eval_unit("b", "arc_easy", "p", &[0.0, 0.0, 1.0]),
            eval_unit("b", "boolq", "other", &[1.0, 1.0]),
            eval_unit("b", "winogrande", "p", &[1.0, 1.0]),
        ];
        candidate[0].items.remove(&1);
        let pairing = pair_evals(&baseline, &candidate, ComparisonMode::Models);
        assert_eq!(pairing.pairs.len(), 1);
        assert_eq!(pairing.pairs[0].baseline, [1.0, 1.0]);
        assert_eq!(pairing.pairs[0].candidate, [0.0, 1.0]);
        assert_eq!(pairing.refused.len(), 1);
        assert_eq!(pairing.refused[0].task, "boolq");
        assert_eq!(
            pairing.refused[0].differences,
            ["rendered prompts (sha256): p vs other"]
        );
        assert_eq!(
            pairing.notes,
            [
                "arc_easy: compared on the 2 items both have (baseline 4, candidate 2)",
                "piqa: only the baseline has it",
                "winogrande: only the candidate has it",
                "model weights (sha256): sha-a vs sha-b (arc_easy)",
                "model: a vs b (arc_easy)",
            ]
        );
    }

    #[test]
    fn benches_pair_by_point_with_the_mode_allowances() {
        let left = vec![bench_unit("c=1#0", &[]), bench_unit("c=4#0", &[])];
        let mut right = vec![bench_unit("c=1#0", &[])];
        right[0].unit.fingerprint = fingerprint("other", "bench:c=1#0", "other-digest");
        // Comparing models: the same synthetic specification is the same workload.
        let pairing = pair_benches(&left, &right, ComparisonMode::Models);
        assert_eq!(pairing.pairs.len(), 1);
        assert!(pairing
            .notes
            .contains(&"c=4#0: only the baseline ran this load point".to_string()));
        assert!(pairing
            .notes
            .iter()
            .any(|note| note.starts_with("synthetic prompts")));
        // Comparing engines, another model is refused unless it is served.
        let refused = pair_benches(&left, &right, ComparisonMode::Engine);
        assert!(refused.pairs.is_empty());
        assert_eq!(refused.refused[0].task, "c=1#0");
        right[0].unit.fingerprint = fingerprint("other", "bench:c=1#0", "workload");
        right[0].unit.fingerprint.model_sha256 = SERVED.to_string();
        let served = pair_benches(&left, &right, ComparisonMode::Engine);
        assert_eq!(served.pairs.len(), 1, "{:?}", served.refused);
        assert!(served
            .notes
            .iter()
            .any(|note| note.contains("assumed to be the same file")));
    }

    #[test]
    fn latencies_need_two_samples_a_side() {
        let left = bench_unit("c=1#0", &[]);
        let mut right = bench_unit("c=1#0", &[]);
        right.tpot_ms = vec![1.0];
        let mut notes = Vec::new();
        let kept = comparable_latencies(&left, &right, &mut notes, "judged");
        let kinds: Vec<Latency> = kept.iter().map(|(latency, _, _)| *latency).collect();
        assert_eq!(kinds, [Latency::Ttft, Latency::E2e]);
        assert_eq!(notes, ["c=1#0: tpot_ms has 3 and 1 samples; not judged"]);
    }
}
