//! lm-eval's corpus-level classification aggregations over `(gold, prediction)` label
//! pairs: `f1` (scikit-learn's `f1_score` with its defaults, `average="binary"`,
//! `pos_label=1`) and `matthews_corrcoef` (scikit-learn's `matthews_corrcoef`), from
//! `lm_eval/api/metrics.py`.

use crate::scoring::ScoringError;
use std::collections::BTreeMap;

/// lm-eval's `f1` aggregation: `sklearn.metrics.f1_score(golds, preds)`, binary F1 of the
/// label 1, `2·tp / (true positives + predicted positives)`; 0.0 when there is no positive
/// on either side (scikit-learn's `zero_division="warn"`).
///
/// Errors, as scikit-learn raises: no pairs; more than two distinct labels ("Target is
/// multiclass but average='binary'"); two labels of which none is 1.
pub fn f1_score(pairs: &[(i64, i64)]) -> Result<f64, ScoringError> {
    if pairs.is_empty() {
        return Err(ScoringError::EmptyInput { what: "f1" });
    }
    let labels: std::collections::BTreeSet<i64> = pairs
        .iter()
        .flat_map(|(gold, prediction)| [*gold, *prediction])
        .collect();
    if labels.len() > 2 || (labels.len() == 2 && !labels.contains(&1)) {
        return Err(ScoringError::NotBinary {
            labels: labels.into_iter().collect(),
        });
    }
    let true_positives = pairs
        .iter()
        .filter(|(gold, prediction)| *gold == 1 && *prediction == 1)
        .count();
    let actual_positives = pairs.iter().filter(|(gold, _)| *gold == 1).count();
    let predicted_positives = pairs
        .iter()
        .filter(|(_, prediction)| *prediction == 1)
        .count();
    let denominator = actual_positives as f64 + predicted_positives as f64;
    if denominator == 0.0 {
        return Ok(0.0);
    }
    Ok(2.0 * true_positives as f64 / denominator)
}

/// lm-eval's `matthews_corrcoef` aggregation: `sklearn.metrics.matthews_corrcoef(golds,
/// preds)`, the multiclass Matthews correlation from the confusion matrix; 0.0 when it is
/// undefined (a constant gold or prediction column). Errors on no pairs.
pub fn matthews_corrcoef(pairs: &[(i64, i64)]) -> Result<f64, ScoringError> {
    if pairs.is_empty() {
        return Err(ScoringError::EmptyInput {
            what: "matthews_corrcoef",
        });
    }
    let mut true_sums: BTreeMap<i64, f64> = BTreeMap::new();
    let mut predicted_sums: BTreeMap<i64, f64> = BTreeMap::new();
    let mut correct = 0.0;
    for (gold, prediction) in pairs {
        *true_sums.entry(*gold).or_default() += 1.0;
        *predicted_sums.entry(*prediction).or_default() += 1.0;
        if gold == prediction {
            correct += 1.0;
        }
    }
    let samples = pairs.len() as f64;
    let dot = |left: &BTreeMap<i64, f64>, right: &BTreeMap<i64, f64>| -> f64 {
        left.iter()
            .map(|(label, count)| count * right.get(label).copied().unwrap_or(0.0))
            .sum()
    };
    let covariance_true_predicted = correct * samples - dot(&true_sums, &predicted_sums);
    let covariance_predicted = samples * samples - dot(&predicted_sums, &predicted_sums);
    let covariance_true = samples * samples - dot(&true_sums, &true_sums);
    let product = covariance_predicted * covariance_true;
    if product == 0.0 {
        return Ok(0.0);
    }
    Ok(covariance_true_predicted / product.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_of_binary_labels() -> Result<(), ScoringError> {
        // tp = 1, fn = 1, fp = 1.
        assert_eq!(f1_score(&[(1, 1), (1, 0), (0, 1), (0, 0)])?, 0.5);
        assert_eq!(f1_score(&[(0, 0), (0, 0)])?, 0.0);
        assert_eq!(f1_score(&[(1, 1)])?, 1.0);
        Ok(())
    }

    #[test]
    fn f1_refuses_what_scikit_learn_refuses() {
        assert!(matches!(
            f1_score(&[(0, 1), (2, 2)]),
            Err(ScoringError::NotBinary { .. })
        ));
        assert!(matches!(
            f1_score(&[(0, 2)]),
            Err(ScoringError::NotBinary { .. })
        ));
        assert!(matches!(
            f1_score(&[]),
            Err(ScoringError::EmptyInput { .. })
        ));
    }

    #[test]
    fn mcc_perfect_inverse_and_constant() -> Result<(), ScoringError> {
        assert_eq!(matthews_corrcoef(&[(0, 0), (1, 1), (2, 2)])?, 1.0);
        assert_eq!(matthews_corrcoef(&[(0, 1), (1, 0)])?, -1.0);
        assert_eq!(matthews_corrcoef(&[(0, 0), (1, 0)])?, 0.0);
        Ok(())
    }
}
