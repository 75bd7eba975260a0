//! Pareto fronts: the candidates no other candidate beats on every criterion at once.
//!
//! Candidate `a` dominates `b` when `a` is at least as good as `b` on every criterion and
//! strictly better on at least one ("good" per criterion: [`Direction`]). The front is the set
//! of candidates no one dominates; two equal candidates are both on it.

use crate::DecideError;

/// Which way a criterion improves (the evidence's direction of a metric).
pub use yardstick_evidence::Direction;

/// Whether `a` dominates `b`: no worse on any criterion, better on one. Both must have one
/// value per direction (checked by [`front`]).
pub fn dominates(a: &[f64], b: &[f64], directions: &[Direction]) -> bool {
    let mut strictly_better = false;
    for ((&left, &right), &direction) in a.iter().zip(b).zip(directions) {
        if direction.better(right, left) {
            return false;
        }
        strictly_better |= direction.better(left, right);
    }
    strictly_better
}

/// Indices (in input order) of the points on the Pareto front. Every point needs one finite
/// value per direction.
pub fn front(points: &[Vec<f64>], directions: &[Direction]) -> Result<Vec<usize>, DecideError> {
    if directions.is_empty() {
        return Err(DecideError::InvalidInput {
            what: "the Pareto front".to_string(),
            reason: "no criteria".to_string(),
        });
    }
    for (index, point) in points.iter().enumerate() {
        if point.len() != directions.len() {
            return Err(DecideError::InvalidInput {
                what: format!("point {index} of the Pareto front"),
                reason: format!("{} values for {} criteria", point.len(), directions.len()),
            });
        }
        if let Some(criterion) = point.iter().position(|value| !value.is_finite()) {
            return Err(DecideError::InvalidInput {
                what: format!("point {index} of the Pareto front"),
                reason: format!("criterion {criterion} is {}", point[criterion]),
            });
        }
    }
    Ok((0..points.len())
        .filter(|&candidate| {
            !points
                .iter()
                .any(|other| dominates(other, &points[candidate], directions))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SCORE_AND_COST: [Direction; 2] = [Direction::Maximize, Direction::Minimize];

    #[test]
    fn the_front_keeps_trade_offs_and_drops_dominated_points() {
        let points = vec![
            vec![0.60, 2.0], // best score
            vec![0.50, 1.0], // cheapest
            vec![0.50, 1.5], // dominated by the cheapest
            vec![0.55, 1.2], // a trade-off
            vec![0.55, 1.2], // its twin: both stay
            vec![0.40, 3.0], // dominated by all
        ];
        assert_eq!(
            front(&points, &SCORE_AND_COST).expect("front"),
            [0, 1, 3, 4]
        );
    }

    #[test]
    fn bad_points_are_refused_naming_them() {
        let error = front(&[vec![0.5, f64::NAN]], &SCORE_AND_COST).expect_err("NaN");
        assert_eq!(
            error.to_string(),
            "point 0 of the Pareto front: criterion 1 is NaN"
        );
        let error = front(&[vec![0.5]], &SCORE_AND_COST).expect_err("short");
        assert!(error.to_string().contains("1 values for 2 criteria"));
        assert!("sideways".parse::<Direction>().is_err());
        assert_eq!("min".parse::<Direction>().ok(), Some(Direction::Minimize));
    }

    fn points() -> impl Strategy<Value = Vec<Vec<f64>>> {
        // Small integer grids make ties and dominance common.
        prop::collection::vec(prop::collection::vec(0u8..6, 3), 1..25).prop_map(|points| {
            points
                .into_iter()
                .map(|point| point.into_iter().map(f64::from).collect())
                .collect()
        })
    }

    const THREE: [Direction; 3] = [
        Direction::Maximize,
        Direction::Minimize,
        Direction::Maximize,
    ];

    proptest! {
        #[test]
        fn no_member_is_dominated_and_every_other_point_is(points in points()) {
            let members = front(&points, &THREE).expect("front");
            prop_assert!(!members.is_empty());
            for (index, point) in points.iter().enumerate() {
                let dominated = points.iter().any(|other| dominates(other, point, &THREE));
                if members.contains(&index) {
                    prop_assert!(!dominated);
                } else {
                    // Dominated by some member of the front, not merely by someone.
                    prop_assert!(members
                        .iter()
                        .any(|&member| dominates(&points[member], point, &THREE)));
                }
            }
        }

        #[test]
        fn the_front_does_not_depend_on_input_order(points in points()) {
            let members = front(&points, &THREE).expect("front");
            let reversed: Vec<Vec<f64>> = points.iter().rev().cloned().collect();
            let mut back: Vec<usize> = front(&reversed, &THREE)
                .expect("front")
                .into_iter()
                .map(|index| points.len() - 1 - index)
                .collect();
            back.sort_unstable();
            prop_assert_eq!(members, back);
        }
    }
}
