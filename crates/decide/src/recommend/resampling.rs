//! The resampling behind a recommendation's confidence: every measurement redrawn from its
//! standard error (seeded), the ranking recomputed each time, and from the draws each
//! candidate's first-place rate, rank interval, the separation from the runner-up, and the
//! trade-offs against it.

use super::*;

/// What the resampled rankings found, per feasible candidate (by index).
pub(super) struct Resampled {
    /// How many draws ranked each candidate first.
    pub(super) firsts: Vec<usize>,
    /// Each candidate's rank in every draw.
    pub(super) ranks: Vec<Vec<usize>>,
    /// How many draws ranked the point-value first above the runner-up.
    pub(super) top_ahead: usize,
}

/// Ranks `request.resamples` redraws of `rows` (seeded by `request.seed`), drawing row by row
/// and objective by objective.
pub(super) fn resample(
    feasible: &[&Candidate],
    objectives: &[Objective],
    rows: &[Vec<f64>],
    request: &Request,
    top: usize,
    second: Option<usize>,
) -> Result<Resampled, DecideError> {
    let criteria = criteria(objectives);
    let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
    let count = feasible.len();
    let mut firsts = vec![0usize; count];
    let mut ranks: Vec<Vec<usize>> = vec![Vec::with_capacity(request.resamples); count];
    let mut top_ahead = 0usize;
    let noise = noise_distributions(feasible, objectives)?;
    for _ in 0..request.resamples {
        let drawn: Vec<Vec<f64>> = rows
            .iter()
            .zip(&noise)
            .map(|(row, distributions)| {
                row.iter()
                    .zip(distributions)
                    .map(|(&value, distribution)| match distribution {
                        Some(normal) => normal.sample(&mut rng).max(0.0),
                        None => value,
                    })
                    .collect()
            })
            .collect();
        let draw = topsis::rank(&drawn, &criteria)?;
        firsts[draw.order[0]] += 1;
        for (candidate, rank) in draw.ranks().into_iter().enumerate() {
            ranks[candidate].push(rank);
        }
        if let Some(second) = second {
            if draw.closeness[top] > draw.closeness[second] {
                top_ahead += 1;
            }
        }
    }
    Ok(Resampled {
        firsts,
        ranks,
        top_ahead,
    })
}

/// Per candidate and objective, the normal its value is redrawn from, or `None` when the value
/// stays fixed (no standard error, or zero).
pub(super) fn noise_distributions(
    feasible: &[&Candidate],
    objectives: &[Objective],
) -> Result<Vec<Vec<Option<Normal<f64>>>>, DecideError> {
    let mut noise: Vec<Vec<Option<Normal<f64>>>> = Vec::with_capacity(feasible.len());
    for candidate in feasible {
        let mut per_objective = Vec::with_capacity(objectives.len());
        for objective in objectives {
            let measure = candidate.objectives[&objective.name];
            per_objective.push(match measure.stderr {
                Some(stderr) if stderr > 0.0 => {
                    Some(Normal::new(measure.value, stderr).map_err(|error| {
                        DecideError::InvalidInput {
                            what: format!("candidate `{}`, `{}`", candidate.name, objective.name),
                            reason: error.to_string(),
                        }
                    })?)
                }
                _ => None,
            });
        }
        noise.push(per_objective);
    }
    Ok(noise)
}

/// The ranking's rows from first to last, with each candidate's front membership, first rate
/// and 95% rank interval over the resamples.
pub(super) fn ranked_rows(
    ranking: &topsis::Ranking,
    feasible: &[&Candidate],
    front: &[usize],
    resampled: &Resampled,
    resamples: f64,
) -> Vec<Ranked> {
    ranking
        .order
        .iter()
        .enumerate()
        .map(|(position, &index)| {
            let mut sorted = resampled.ranks[index].clone();
            sorted.sort_unstable();
            let at = |quantile: f64| {
                let position = ((sorted.len() - 1) as f64 * quantile).round() as usize;
                sorted[position]
            };
            Ranked {
                candidate: feasible[index].name.clone(),
                rank: position + 1,
                closeness: ranking.closeness[index],
                on_front: front.contains(&index),
                first_rate: resampled.firsts[index] as f64 / resamples,
                rank_interval: (at(0.025), at(0.975)),
            }
        })
        .collect()
}

/// Objective by objective, what the recommendation (row `top`) gains or gives up against the
/// runner-up (row `second`).
pub(super) fn trade_offs(
    objectives: &[Objective],
    rows: &[Vec<f64>],
    top: usize,
    second: usize,
) -> Vec<TradeOff> {
    objectives
        .iter()
        .enumerate()
        .map(|(column, objective)| {
            let (mine, theirs) = (rows[top][column], rows[second][column]);
            let verdict = if objective.direction.better(mine, theirs) {
                "gains"
            } else if objective.direction.better(theirs, mine) {
                "gives up"
            } else {
                "equal"
            };
            TradeOff {
                objective: objective.name.clone(),
                recommended: mine,
                runner_up: theirs,
                verdict: verdict.to_string(),
            }
        })
        .collect()
}
