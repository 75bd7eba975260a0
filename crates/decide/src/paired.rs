//! Tests for paired results of two configurations on the same items: McNemar's exact test
//! for accuracy (0/1 per item) and Holm's step-down correction when many tasks are tested
//! at once.

use serde::Serialize;
use statrs::distribution::{Binomial, DiscreteCDF};

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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

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
