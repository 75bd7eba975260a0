//! Statistics used to summarise measurements, with lm-evaluation-harness's formulas where
//! it defines one (sample standard deviation with n-1, pooled standard error for groups).

/// Arithmetic mean; `None` for an empty slice.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (n - 1 in the denominator); `None` with fewer than 2 values.
pub fn sample_stddev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mu = mean(values)?;
    let sum_sq: f64 = values.iter().map(|x| (x - mu) * (x - mu)).sum();
    Some((sum_sq / (values.len() - 1) as f64).sqrt())
}

/// Standard error of the mean, as lm-eval's `mean_stderr`: sample_stddev / sqrt(n).
pub fn mean_stderr(values: &[f64]) -> Option<f64> {
    Some(sample_stddev(values)? / (values.len() as f64).sqrt())
}

/// Mean of per-group values weighted by group size (lm-eval's `aggregate_subtask_metrics`
/// with `weight_by_size`). `None` if the sizes sum to zero.
pub fn weighted_mean(values: &[f64], sizes: &[u64]) -> Option<f64> {
    let total: u64 = sizes.iter().sum();
    if values.len() != sizes.len() || total == 0 {
        return None;
    }
    let sum: f64 = values
        .iter()
        .zip(sizes)
        .map(|(value, size)| value * *size as f64)
        .sum();
    Some(sum / total as f64)
}

/// Standard error of a size-weighted group mean from its members' standard errors
/// (lm-eval's `pooled_sample_stderr`).
pub fn pooled_sample_stderr(stderrs: &[f64], sizes: &[u64]) -> Option<f64> {
    let total: u64 = sizes.iter().sum();
    if stderrs.len() != sizes.len() || total as usize <= sizes.len() {
        return None;
    }
    let pooled_variance: f64 = stderrs
        .iter()
        .zip(sizes)
        .map(|(stderr, size)| {
            let size = *size as f64;
            (size - 1.0) * stderr * stderr * size
        })
        .sum::<f64>()
        / (total as usize - sizes.len()) as f64;
    Some((pooled_variance / total as f64).sqrt())
}

/// Index of the largest value, the first one on ties (numpy's `argmax`). NaN never wins.
pub fn argmax(values: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (index, value) in values.iter().copied().enumerate() {
        if value.is_nan() {
            continue;
        }
        match best {
            Some((_, current)) if value <= current => {}
            _ => best = Some((index, value)),
        }
    }
    best.map(|(index, _)| index)
}

/// Percentile with linear interpolation between closest ranks (numpy's default), `q` in
/// [0, 100]. `None` for an empty slice.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = rank.ceil() as usize;
    let fraction = rank - lower as f64;
    Some(sorted[lower] + (sorted[upper] - sorted[lower]) * fraction)
}

/// Median (the 50th percentile).
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// A summary of repeated measurements: median, min, max, count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Summary> {
        let median = median(values)?;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Summary {
            median,
            min,
            max,
            count: values.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn stderr_of_binary_outcomes_matches_hand_computation() {
        // 3 correct of 4: mean 0.75, sample variance = (3*(0.25)^2 + (0.75)^2)/3 = 0.25
        // stddev 0.5, stderr 0.5 / 2 = 0.25.
        let values = [1.0, 1.0, 0.0, 1.0];
        assert!(close(mean(&values).unwrap_or(f64::NAN), 0.75));
        assert!(close(sample_stddev(&values).unwrap_or(f64::NAN), 0.5));
        assert!(close(mean_stderr(&values).unwrap_or(f64::NAN), 0.25));
        assert_eq!(mean_stderr(&[1.0]), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn weighted_mean_and_pooled_stderr() {
        // groups of 2 and 4 with means 0.5 and 0.25 -> (1 + 1) / 6.
        assert!(close(
            weighted_mean(&[0.5, 0.25], &[2, 4]).unwrap_or(f64::NAN),
            2.0 / 6.0
        ));
        // pooled: ((1*0.1^2*2) + (3*0.2^2*4)) / (6-2) = (0.02 + 0.48)/4 = 0.125; /6 -> sqrt
        let pooled = pooled_sample_stderr(&[0.1, 0.2], &[2, 4]).unwrap_or(f64::NAN);
        assert!(close(pooled, (0.125f64 / 6.0).sqrt()));
    }

    #[test]
    fn argmax_takes_first_on_ties_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[f64::NAN, -1.0]), Some(1));
        assert_eq!(argmax(&[]), None);
    }

    #[test]
    fn percentile_interpolates_like_numpy() {
        let values = [1.0, 2.0, 3.0, 4.0];
        assert!(close(percentile(&values, 50.0).unwrap_or(f64::NAN), 2.5));
        assert!(close(percentile(&values, 90.0).unwrap_or(f64::NAN), 3.7));
        let summary = Summary::of(&[3.0, 1.0, 2.0]);
        assert_eq!(
            summary,
            Some(Summary {
                median: 2.0,
                min: 1.0,
                max: 3.0,
                count: 3
            })
        );
    }
}
