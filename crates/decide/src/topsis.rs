//! TOPSIS (Technique for Order of Preference by Similarity to Ideal Solution; Hwang & Yoon,
//! *Multiple Attribute Decision Making*, 1981): rank candidates by how close they lie to an
//! ideal candidate and how far from an anti-ideal one.
//!
//! The steps, exactly as computed here:
//! 1. **Normalise** each criterion column by its Euclidean norm:
//!    `r_ij = x_ij / sqrt(Σ_k x_kj²)` (vector normalisation, the method's original choice; it
//!    keeps ratios between candidates and makes columns in different units comparable). A
//!    column that is zero everywhere normalises to zeros (it cannot separate anyone).
//! 2. **Weight**: `v_ij = w_j · r_ij` with the weights rescaled to sum to 1.
//! 3. **Ideal and anti-ideal**: per criterion, the best and the worst weighted value over the
//!    candidates — the maximum for a [`Direction::Maximize`] criterion (accuracy, throughput),
//!    the minimum for [`Direction::Minimize`] (latency, cost, memory), and the other way round
//!    for the anti-ideal.
//! 4. **Distances**: Euclidean distance of each candidate to the ideal (`S⁺`) and to the
//!    anti-ideal (`S⁻`).
//! 5. **Closeness** `C = S⁻ / (S⁺ + S⁻)` in [0, 1]; higher ranks first. When every candidate
//!    is identical on every weighted criterion (`S⁺ = S⁻ = 0`), closeness is 0.5 for all.
//!
//! Values must be finite; a cost-type criterion with negative values is refused (vector
//! normalisation assumes non-negative data).

use serde::Serialize;

use crate::pareto::Direction;
use crate::DecideError;

/// One criterion: its name (for messages), its direction and its weight (any non-negative
/// number; weights are rescaled to sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub name: String,
    pub direction: Direction,
    pub weight: f64,
}

impl Criterion {
    pub fn new(name: impl Into<String>, direction: Direction, weight: f64) -> Self {
        Criterion {
            name: name.into(),
            direction,
            weight,
        }
    }
}

/// The outcome for every candidate, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// Weights after rescaling to sum to 1, in criterion order.
    pub weights: Vec<f64>,
    /// The weighted ideal and anti-ideal points.
    pub ideal: Vec<f64>,
    pub anti_ideal: Vec<f64>,
    /// Distance of each candidate to the ideal (S⁺) and the anti-ideal (S⁻).
    pub distance_to_ideal: Vec<f64>,
    pub distance_to_anti_ideal: Vec<f64>,
    /// Relative closeness C = S⁻ / (S⁺ + S⁻).
    pub closeness: Vec<f64>,
    /// Candidate indices from best to worst (ties keep input order).
    pub order: Vec<usize>,
}

impl Ranking {
    /// 1-based rank of each candidate (ties share nothing: the earlier one ranks higher).
    pub fn ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.order.len()];
        for (position, &candidate) in self.order.iter().enumerate() {
            ranks[candidate] = position + 1;
        }
        ranks
    }
}

/// Rank `candidates` (one row of values per candidate, one value per criterion).
pub fn rank(candidates: &[Vec<f64>], criteria: &[Criterion]) -> Result<Ranking, DecideError> {
    let weights = normalised_weights(criteria)?;
    check_candidates(candidates, criteria)?;

    let weighted = weighted_normalised(candidates, &weights);
    let (ideal, anti_ideal) = ideal_points(&weighted, criteria);
    let distance_to_ideal: Vec<f64> = weighted.iter().map(|row| distance(row, &ideal)).collect();
    let distance_to_anti_ideal: Vec<f64> = weighted
        .iter()
        .map(|row| distance(row, &anti_ideal))
        .collect();
    let closeness = closeness(&distance_to_ideal, &distance_to_anti_ideal);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    // Stable sort: equal closeness keeps input order.
    order.sort_by(|&a, &b| closeness[b].total_cmp(&closeness[a]));

    Ok(Ranking {
        weights,
        ideal,
        anti_ideal,
        distance_to_ideal,
        distance_to_anti_ideal,
        closeness,
        order,
    })
}

/// Refuses no candidates, a row without one value per criterion, and a value that is not
/// finite or is negative.
fn check_candidates(candidates: &[Vec<f64>], criteria: &[Criterion]) -> Result<(), DecideError> {
    if candidates.is_empty() {
        return Err(DecideError::InvalidInput {
            what: "TOPSIS candidates".to_string(),
            reason: "there is no candidate to rank".to_string(),
        });
    }
    for (index, row) in candidates.iter().enumerate() {
        if row.len() != criteria.len() {
            return Err(DecideError::InvalidInput {
                what: format!("TOPSIS candidate {index}"),
                reason: format!(
                    "it has {} values but there are {} criteria",
                    row.len(),
                    criteria.len()
                ),
            });
        }
        for (value, criterion) in row.iter().zip(criteria) {
            if !value.is_finite() {
                return Err(DecideError::InvalidInput {
                    what: format!("TOPSIS candidate {index}, criterion `{}`", criterion.name),
                    reason: format!("the value {value} is not a finite number"),
                });
            }
            if *value < 0.0 {
                return Err(DecideError::InvalidInput {
                    what: format!("TOPSIS candidate {index}, criterion `{}`", criterion.name),
                    reason: format!(
                        "the value {value} is negative; vector normalisation needs values ≥ 0"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Steps 1 and 2: each column divided by its Euclidean norm (zeros for an all-zero column),
/// then multiplied by its rescaled weight.
fn weighted_normalised(candidates: &[Vec<f64>], weights: &[f64]) -> Vec<Vec<f64>> {
    let columns = weights.len();
    let norms: Vec<f64> = (0..columns)
        .map(|column| {
            candidates
                .iter()
                .map(|row| row[column] * row[column])
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    candidates
        .iter()
        .map(|row| {
            (0..columns)
                .map(|column| {
                    if norms[column] == 0.0 {
                        0.0
                    } else {
                        weights[column] * row[column] / norms[column]
                    }
                })
                .collect()
        })
        .collect()
}

/// Step 3: the ideal and anti-ideal points, per criterion the best and the worst weighted
/// value in its direction.
fn ideal_points(weighted: &[Vec<f64>], criteria: &[Criterion]) -> (Vec<f64>, Vec<f64>) {
    let mut ideal = Vec::with_capacity(criteria.len());
    let mut anti_ideal = Vec::with_capacity(criteria.len());
    for (column, criterion) in criteria.iter().enumerate() {
        let values = weighted.iter().map(|row| row[column]);
        let highest = values.clone().fold(f64::NEG_INFINITY, f64::max);
        let lowest = values.fold(f64::INFINITY, f64::min);
        match criterion.direction {
            Direction::Maximize => {
                ideal.push(highest);
                anti_ideal.push(lowest);
            }
            Direction::Minimize => {
                ideal.push(lowest);
                anti_ideal.push(highest);
            }
        }
    }
    (ideal, anti_ideal)
}

/// Step 4: the Euclidean distance between a weighted row and a point.
fn distance(row: &[f64], point: &[f64]) -> f64 {
    row.iter()
        .zip(point)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

/// Step 5: relative closeness `S⁻ / (S⁺ + S⁻)`, 0.5 when both distances are 0.
fn closeness(distance_to_ideal: &[f64], distance_to_anti_ideal: &[f64]) -> Vec<f64> {
    distance_to_ideal
        .iter()
        .zip(distance_to_anti_ideal)
        .map(|(&plus, &minus)| {
            if plus + minus == 0.0 {
                0.5
            } else {
                minus / (plus + minus)
            }
        })
        .collect()
}

/// Weights rescaled to sum to 1; refused when any is negative or not finite, or all are 0.
pub fn normalised_weights(criteria: &[Criterion]) -> Result<Vec<f64>, DecideError> {
    if criteria.is_empty() {
        return Err(DecideError::InvalidInput {
            what: "TOPSIS criteria".to_string(),
            reason: "at least one criterion is needed".to_string(),
        });
    }
    for criterion in criteria {
        if !criterion.weight.is_finite() || criterion.weight < 0.0 {
            return Err(DecideError::InvalidInput {
                what: format!("weight of `{}`", criterion.name),
                reason: format!("{} is not a finite non-negative number", criterion.weight),
            });
        }
    }
    let total: f64 = criteria.iter().map(|criterion| criterion.weight).sum();
    if total == 0.0 {
        return Err(DecideError::InvalidInput {
            what: "TOPSIS weights".to_string(),
            reason: "every weight is 0; at least one criterion must count".to_string(),
        });
    }
    Ok(criteria
        .iter()
        .map(|criterion| criterion.weight / total)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    /// Hwang & Yoon (1981), *Multiple Attribute Decision Making*, the fighter aircraft
    /// example of the TOPSIS chapter: four aircraft, six attributes (maximum speed in Mach,
    /// ferry range in NM, maximum payload in lb, acquisition cost in $10⁶, reliability and
    /// manoeuvrability on their 1–9 interval scale: average 5, low 3, high 7, very high 9),
    /// weights (0.2, 0.1, 0.1, 0.1, 0.2, 0.3), cost the only attribute to minimise. The book
    /// reports relative closeness 0.643, 0.268, 0.613, 0.312 and the order A1, A3, A4, A2;
    /// its hand computation rounds every intermediate table, so agreement is to ±0.001 (exact
    /// arithmetic gives 0.6135 for A3).
    #[test]
    fn reproduces_hwang_and_yoon_fighter_aircraft_example() {
        let aircraft = vec![
            vec![2.0, 1500.0, 20000.0, 5.5, 5.0, 9.0],
            vec![2.5, 2700.0, 18000.0, 6.5, 3.0, 5.0],
            vec![1.8, 2000.0, 21000.0, 4.5, 7.0, 7.0],
            vec![2.2, 1800.0, 20000.0, 5.0, 5.0, 5.0],
        ];
        let criteria = vec![
            Criterion::new("speed", Direction::Maximize, 0.2),
            Criterion::new("range", Direction::Maximize, 0.1),
            Criterion::new("payload", Direction::Maximize, 0.1),
            Criterion::new("cost", Direction::Minimize, 0.1),
            Criterion::new("reliability", Direction::Maximize, 0.2),
            Criterion::new("manoeuvrability", Direction::Maximize, 0.3),
        ];
        let ranking = rank(&aircraft, &criteria).expect("accepted");
        for (actual, expected) in ranking.closeness.iter().zip([0.643, 0.268, 0.613, 0.312]) {
            assert_close(*actual, expected, 0.001);
        }
        assert_eq!(ranking.order, vec![0, 2, 3, 1]);
        assert_eq!(ranking.ranks(), vec![1, 4, 2, 3]);
        // Cost is minimised: the ideal takes the cheapest aircraft's (A3) weighted cost.
        let cost_norm = (5.5f64.powi(2) + 6.5f64.powi(2) + 4.5f64.powi(2) + 5.0f64.powi(2)).sqrt();
        assert_close(ranking.ideal[3], 0.1 * 4.5 / cost_norm, 1e-12);
        assert_close(ranking.anti_ideal[3], 0.1 * 6.5 / cost_norm, 1e-12);
    }

    #[test]
    fn weights_are_rescaled_so_scaling_them_changes_nothing() {
        let candidates = vec![vec![0.7, 120.0], vec![0.6, 80.0], vec![0.5, 60.0]];
        let criteria = |scale: f64| {
            vec![
                Criterion::new("accuracy", Direction::Maximize, 3.0 * scale),
                Criterion::new("latency", Direction::Minimize, 1.0 * scale),
            ]
        };
        let one = rank(&candidates, &criteria(1.0)).expect("accepted");
        let ten = rank(&candidates, &criteria(10.0)).expect("accepted");
        assert_eq!(one.weights, vec![0.75, 0.25]);
        for (a, b) in one.closeness.iter().zip(&ten.closeness) {
            assert_close(*a, *b, 1e-12);
        }
    }

    #[test]
    fn identical_candidates_are_all_half_way() {
        let candidates = vec![vec![1.0, 2.0], vec![1.0, 2.0]];
        let criteria = vec![
            Criterion::new("a", Direction::Maximize, 1.0),
            Criterion::new("b", Direction::Minimize, 1.0),
        ];
        let ranking = rank(&candidates, &criteria).expect("accepted");
        assert_eq!(ranking.closeness, vec![0.5, 0.5]);
        assert_eq!(ranking.order, vec![0, 1]);
    }

    #[test]
    fn a_zero_column_counts_for_nobody() {
        let candidates = vec![vec![0.9, 0.0], vec![0.5, 0.0]];
        let criteria = vec![
            Criterion::new("accuracy", Direction::Maximize, 1.0),
            Criterion::new("energy", Direction::Minimize, 1.0),
        ];
        let ranking = rank(&candidates, &criteria).expect("accepted");
        assert_eq!(ranking.closeness, vec![1.0, 0.0]);
    }

    #[test]
    fn bad_input_is_refused_with_its_name() {
        let criteria = vec![Criterion::new("latency", Direction::Minimize, 1.0)];
        let error = rank(&[vec![f64::NAN]], &criteria).expect_err("refused");
        assert!(error.to_string().contains("latency"), "{error}");
        let error = rank(&[vec![-1.0]], &criteria).expect_err("refused");
        assert!(error.to_string().contains("negative"), "{error}");
        let error = rank(&[vec![1.0, 2.0]], &criteria).expect_err("refused");
        assert!(error.to_string().contains("2 values"), "{error}");
        assert!(rank(&[], &criteria).is_err());
        let zero = vec![Criterion::new("latency", Direction::Minimize, 0.0)];
        assert!(rank(&[vec![1.0]], &zero).is_err());
        let negative = vec![Criterion::new("latency", Direction::Minimize, -1.0)];
        assert!(rank(&[vec![1.0]], &negative)
            .expect_err("refused")
            .to_string()
            .contains("weight of `latency`"));
    }

    proptest! {
        /// A candidate that dominates another (Pareto sense) is never ranked below it, and
        /// closeness stays within [0, 1].
        #[test]
        fn dominance_is_respected(
            rows in proptest::collection::vec(proptest::collection::vec(0.0f64..100.0, 3), 2..8),
            weights in proptest::collection::vec(0.01f64..1.0, 3),
        ) {
            let directions = [Direction::Maximize, Direction::Minimize, Direction::Maximize];
            let criteria: Vec<Criterion> = directions
                .iter()
                .zip(&weights)
                .enumerate()
                .map(|(index, (&direction, &weight))| Criterion::new(format!("c{index}"), direction, weight))
                .collect();
            let ranking = rank(&rows, &criteria).expect("accepted");
            for &closeness in &ranking.closeness {
                prop_assert!((0.0..=1.0).contains(&closeness));
            }
            for a in 0..rows.len() {
                for b in 0..rows.len() {
                    if crate::pareto::dominates(&rows[a], &rows[b], &directions) {
                        prop_assert!(ranking.closeness[a] >= ranking.closeness[b] - 1e-12);
                    }
                }
            }
        }
    }
}
