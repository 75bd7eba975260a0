//! Tests for paired results of two configurations on the same items: McNemar's exact test
//! for accuracy (0/1 per item), a paired t-test for other per-item scores, Holm's step-down
//! correction when many tasks are tested at once, and [`compare_tasks`], which puts them
//! together with bootstrap intervals into a verdict per task.

use serde::Serialize;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, StudentsT};
use yardstick_core::stats::{mean, mean_stderr};

use crate::bootstrap::{paired_mean_difference, BootstrapSettings, Estimate};
use crate::DecideError;

/// McNemar's exact test on the discordant items of two paired accuracy results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemar {
    /// Items the baseline got right and the candidate wrong.
    pub baseline_only: u64,
    /// Items the candidate got right and the baseline wrong.
    pub candidate_only: u64,
    /// Two-sided exact p-value.
    pub p_value: f64,
}

/// McNemar's exact test: under the null hypothesis each discordant item is equally likely to
/// favour either side, so the smaller count `k` of `n` discordant items follows
/// Binomial(n, 1/2); the two-sided p-value is `min(1, 2 · P(X ≤ k))`, and 1 when no item is
/// discordant.
pub fn mcnemar_exact(baseline_only: u64, candidate_only: u64) -> Result<McNemar, DecideError> {
    let discordant = baseline_only + candidate_only;
    let p_value = if discordant == 0 {
        1.0
    } else {
        let binomial =
            Binomial::new(0.5, discordant).map_err(|error| DecideError::InvalidInput {
                what: format!("McNemar's test on {discordant} discordant items"),
                reason: error.to_string(),
            })?;
        (2.0 * binomial.cdf(baseline_only.min(candidate_only))).min(1.0)
    };
    Ok(McNemar {
        baseline_only,
        candidate_only,
        p_value,
    })
}

/// McNemar's exact test on per-item correctness (each value 0 or 1), aligned by item.
pub fn mcnemar_from_items(baseline: &[f64], candidate: &[f64]) -> Result<McNemar, DecideError> {
    if baseline.len() != candidate.len() {
        return Err(DecideError::InvalidInput {
            what: "McNemar's test".to_string(),
            reason: format!(
                "{} baseline items but {} candidate items",
                baseline.len(),
                candidate.len()
            ),
        });
    }
    let mut counts = (0u64, 0u64);
    for (index, (&left, &right)) in baseline.iter().zip(candidate).enumerate() {
        let correct = |value: f64, side: &str| {
            if value == 1.0 {
                Ok(true)
            } else if value == 0.0 {
                Ok(false)
            } else {
                Err(DecideError::InvalidInput {
                    what: format!("McNemar's test, item {index}"),
                    reason: format!("the {side} score {value} is not 0 or 1"),
                })
            }
        };
        match (correct(left, "baseline")?, correct(right, "candidate")?) {
            (true, false) => counts.0 += 1,
            (false, true) => counts.1 += 1,
            _ => {}
        }
    }
    mcnemar_exact(counts.0, counts.1)
}

/// Holm–Bonferroni adjusted p-values, in the input order: sort ascending, multiply the
/// `i`-th smallest (from 0) by `m − i`, carry the running maximum forward so the adjusted
/// values keep the order of the raw ones, cap at 1. Rejecting where the adjusted value is
/// ≤ α controls the family-wise error rate at α.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, DecideError> {
    if let Some(index) = p_values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(DecideError::InvalidInput {
            what: format!("Holm's correction, p-value {index}"),
            reason: format!("{} is not a probability", p_values[index]),
        });
    }
    let count = p_values.len();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; count];
    let mut running = 0.0f64;
    for (rank, &index) in order.iter().enumerate() {
        let scaled = (p_values[index] * (count - rank) as f64).min(1.0);
        running = running.max(scaled);
        adjusted[index] = running;
    }
    Ok(adjusted)
}

/// Two-sided p-value of the paired t-test on `candidate − baseline` (aligned by item):
/// `t = mean(d) / (s_d / √n)` with `n − 1` degrees of freedom. All differences equal: 1 when
/// they are zero, else 0 (no variation, the difference is certain).
pub fn paired_t_test(baseline: &[f64], candidate: &[f64]) -> Result<f64, DecideError> {
    let differences: Vec<f64> = candidate
        .iter()
        .zip(baseline)
        .map(|(candidate, baseline)| candidate - baseline)
        .collect();
    let too_few = || DecideError::TooFewObservations {
        what: "the paired t-test".to_string(),
        needed: 2,
        available: differences.len(),
    };
    let mean_difference = mean(&differences).ok_or_else(too_few)?;
    let stderr = mean_stderr(&differences).ok_or_else(too_few)?;
    if stderr == 0.0 {
        return Ok(if mean_difference == 0.0 { 1.0 } else { 0.0 });
    }
    let freedom = (differences.len() - 1) as f64;
    let distribution =
        StudentsT::new(0.0, 1.0, freedom).map_err(|error| DecideError::InvalidInput {
            what: "the paired t-test".to_string(),
            reason: error.to_string(),
        })?;
    let t = (mean_difference / stderr).abs();
    Ok((2.0 * (1.0 - distribution.cdf(t))).clamp(0.0, 1.0))
}

/// One task's per-item scores of both sides, aligned by item (same length, same order), as
/// [`yardstick_evidence::pairing::pair_evals`] pairs them.
pub use yardstick_evidence::PairedItems as PairedScores;

/// Which test gave a task's p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedTest {
    /// Every score is 0 or 1: McNemar's exact test.
    McNemarExact,
    /// Other scores: the paired t-test.
    PairedT,
}

/// How the candidate compares with the baseline on a task, after Holm's correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    Indistinguishable,
}

/// The comparison of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskComparison {
    pub task: String,
    pub metric: String,
    pub items: usize,
    pub baseline_mean: f64,
    pub candidate_mean: f64,
    /// `candidate − baseline`, with its paired bootstrap interval.
    pub difference: Estimate,
    pub test: PairedTest,
    /// McNemar's discordant counts, for accuracy-like metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcnemar: Option<McNemar>,
    pub p_value: f64,
    /// Holm-adjusted over the comparison's family: its top-level tasks and groups; for a
    /// subtask, over its group's subtasks.
    pub adjusted_p_value: f64,
    pub verdict: Verdict,
    /// For a subtask row: the group it belongs to (its correction is within that group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// For a group's row: how many subtasks' items it pools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled_subtasks: Option<usize>,
}

/// How many tasks went each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ComparisonSummary {
    pub better: usize,
    pub worse: usize,
    pub indistinguishable: usize,
}

/// Compares every task: the paired bootstrap interval of the mean difference, McNemar's exact
/// test when all scores are 0/1 (else the paired t-test), Holm's correction across the
/// tasks, and a verdict at `alpha` on the adjusted p-value (better or worse by the sign of
/// the difference).
pub fn compare_tasks(
    tasks: &[PairedScores],
    settings: &BootstrapSettings,
    alpha: f64,
) -> Result<Vec<TaskComparison>, DecideError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(DecideError::InvalidInput {
            what: "the comparison".to_string(),
            reason: format!("alpha {alpha} is not between 0 and 1"),
        });
    }
    let mut comparisons = Vec::with_capacity(tasks.len());
    for scores in tasks {
        let what = |error: DecideError| DecideError::InvalidInput {
            what: format!("task {} ({})", scores.task, scores.metric),
            reason: error.to_string(),
        };
        let difference =
            paired_mean_difference(&scores.baseline, &scores.candidate, settings).map_err(what)?;
        let binary = scores
            .baseline
            .iter()
            .chain(&scores.candidate)
            .all(|&value| value == 0.0 || value == 1.0);
        let (test, mcnemar, p_value) = if binary {
            let test = mcnemar_from_items(&scores.baseline, &scores.candidate).map_err(what)?;
            (PairedTest::McNemarExact, Some(test), test.p_value)
        } else {
            let p_value = paired_t_test(&scores.baseline, &scores.candidate).map_err(what)?;
            (PairedTest::PairedT, None, p_value)
        };
        comparisons.push(TaskComparison {
            task: scores.task.clone(),
            metric: scores.metric.clone(),
            items: scores.baseline.len(),
            baseline_mean: mean(&scores.baseline).unwrap_or(f64::NAN),
            candidate_mean: mean(&scores.candidate).unwrap_or(f64::NAN),
            difference,
            test,
            mcnemar,
            p_value,
            adjusted_p_value: p_value,
            verdict: Verdict::Indistinguishable,
            group: None,
            pooled_subtasks: None,
        });
    }
    let raw: Vec<f64> = comparisons
        .iter()
        .map(|comparison| comparison.p_value)
        .collect();
    for (comparison, adjusted) in comparisons.iter_mut().zip(holm(&raw)?) {
        comparison.adjusted_p_value = adjusted;
        comparison.verdict = if adjusted > alpha || comparison.difference.value == 0.0 {
            Verdict::Indistinguishable
        } else if comparison.difference.value > 0.0 {
            Verdict::Better
        } else {
            Verdict::Worse
        };
    }
    Ok(comparisons)
}

/// Counts the verdicts of a comparison's family (subtask rows are not counted).
pub fn summarize(comparisons: &[TaskComparison]) -> ComparisonSummary {
    let count = |verdict: Verdict| {
        comparisons
            .iter()
            .filter(|comparison| comparison.group.is_none() && comparison.verdict == verdict)
            .count()
    };
    ComparisonSummary {
        better: count(Verdict::Better),
        worse: count(Verdict::Worse),
        indistinguishable: count(Verdict::Indistinguishable),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn scores(task: &str, baseline: Vec<f64>, candidate: Vec<f64>) -> PairedScores {
        PairedScores {
            task: task.to_string(),
            metric: "acc".to_string(),
            baseline,
            candidate,
        }
    }

    #[test]
    fn the_paired_t_test_matches_a_hand_computed_case() {
        // Differences 1, 2, 3: mean 2, s = 1, s.e. = 1/√3, t = 2√3 = 3.4641 with 2 degrees of
        // freedom; two-sided p = 1 − t/√(t² + 2) = 1 − 3.4641/3.7417 = 0.07418.
        let p = paired_t_test(&[0.0, 0.0, 0.0], &[1.0, 2.0, 3.0]).expect("p");
        let t = 2.0 * 3f64.sqrt();
        assert!((p - (1.0 - t / (t * t + 2.0).sqrt())).abs() < 1e-9, "{p}");
        assert_eq!(paired_t_test(&[1.0, 2.0], &[1.0, 2.0]).expect("p"), 1.0);
        assert_eq!(paired_t_test(&[1.0, 2.0], &[2.0, 3.0]).expect("p"), 0.0);
    }

    #[test]
    fn tasks_get_verdicts_after_holm_and_a_summary() {
        // 40 items; the candidate fixes 12 the baseline got wrong and breaks none: McNemar
        // p = 2/4096 before correction. A second task is identical on both sides.
        let mut baseline = vec![0.0; 12];
        baseline.extend(vec![1.0; 28]);
        let candidate = vec![1.0; 40];
        let tasks = [
            scores("arc_easy", baseline.clone(), candidate),
            scores("piqa", baseline.clone(), baseline),
        ];
        let settings = BootstrapSettings {
            resamples: 1000,
            ..BootstrapSettings::default()
        };
        let comparisons = compare_tasks(&tasks, &settings, 0.05).expect("comparison");
        assert_eq!(comparisons[0].test, PairedTest::McNemarExact);
        assert!((comparisons[0].p_value - 2.0 / 4096.0).abs() < 1e-12);
        assert!((comparisons[0].adjusted_p_value - 4.0 / 4096.0).abs() < 1e-12);
        assert_eq!(comparisons[0].verdict, Verdict::Better);
        assert!((comparisons[0].difference.value - 0.3).abs() < 1e-12);
        assert_eq!(comparisons[1].verdict, Verdict::Indistinguishable);
        assert_eq!(
            summarize(&comparisons),
            ComparisonSummary {
                better: 1,
                worse: 0,
                indistinguishable: 1
            }
        );
        let error = compare_tasks(&[scores("boolq", vec![1.0], vec![1.0])], &settings, 0.05)
            .expect_err("one item");
        assert!(
            error.to_string().starts_with("task boolq (acc):"),
            "{error}"
        );
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mcnemar_matches_exact_binomial_sums() {
        // 1 vs 9 discordant: P(X ≤ 1) for Bin(10, 1/2) = (1 + 10) / 1024; two-sided doubles it.
        let test = mcnemar_exact(1, 9).expect("test");
        assert!(close(test.p_value, 22.0 / 1024.0), "{}", test.p_value);
        // 0 vs 5: 2 · 1/32.
        assert!(close(
            mcnemar_exact(5, 0).expect("test").p_value,
            2.0 / 32.0
        ));
        // 3 vs 4: 2 · (1 + 7 + 21 + 35)/128 = 1.0 (capped).
        assert!(close(mcnemar_exact(3, 4).expect("test").p_value, 1.0));
        // 2 vs 10: 2 · (1 + 12 + 66)/4096.
        assert!(close(
            mcnemar_exact(2, 10).expect("test").p_value,
            2.0 * 79.0 / 4096.0
        ));
        assert!(close(mcnemar_exact(0, 0).expect("test").p_value, 1.0));
    }

    #[test]
    fn mcnemar_counts_discordant_items_and_refuses_non_binary_scores() {
        let baseline = [1.0, 1.0, 0.0, 0.0, 1.0];
        let candidate = [1.0, 0.0, 1.0, 1.0, 1.0];
        let test = mcnemar_from_items(&baseline, &candidate).expect("test");
        assert_eq!((test.baseline_only, test.candidate_only), (1, 2));
        let error = mcnemar_from_items(&[0.5], &[1.0]).expect_err("not binary");
        assert_eq!(
            error.to_string(),
            "McNemar's test, item 0: the baseline score 0.5 is not 0 or 1"
        );
        assert!(mcnemar_from_items(&[1.0], &[]).is_err());
    }

    #[test]
    fn holm_adjusts_step_down_and_keeps_the_input_order() {
        // Sorted 0.01, 0.02, 0.04 → ×3, ×2, ×1 = 0.03, 0.04, 0.04.
        let adjusted = holm(&[0.04, 0.01, 0.02]).expect("holm");
        let expected = [0.04, 0.03, 0.04];
        assert!(
            adjusted.iter().zip(expected).all(|(a, b)| close(*a, b)),
            "{adjusted:?}"
        );
        assert!(holm(&[0.5, 1.5]).is_err());
        assert_eq!(holm(&[]).expect("empty"), Vec::<f64>::new());
    }

    proptest! {
        #[test]
        fn holm_never_lowers_a_p_value_and_keeps_their_order(
            p_values in prop::collection::vec(0.0f64..=1.0, 1..30)
        ) {
            let adjusted = holm(&p_values).expect("holm");
            for (raw, adjusted) in p_values.iter().zip(&adjusted) {
                prop_assert!(adjusted >= raw && *adjusted <= 1.0);
            }
            for a in 0..p_values.len() {
                for b in 0..p_values.len() {
                    if p_values[a] < p_values[b] {
                        prop_assert!(adjusted[a] <= adjusted[b]);
                    }
                }
            }
        }

        #[test]
        fn mcnemar_is_symmetric_and_a_probability(left in 0u64..200, right in 0u64..200) {
            let forward = mcnemar_exact(left, right).expect("test").p_value;
            let backward = mcnemar_exact(right, left).expect("test").p_value;
            prop_assert!((forward - backward).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&forward));
        }
    }
}
