//! Percentile bootstrap confidence intervals: of a mean, of a paired mean difference (the
//! same items scored twice), and of the difference of a percentile between two independent
//! samples (e.g. p99 TTFT of two serving runs).
//!
//! Method: draw `resamples` samples of the same size with replacement (for paired data, of
//! item indices, so each item keeps its two scores together), compute the statistic on
//! each, and take the `(1 − level)/2` and `(1 + level)/2` quantiles of those values (linear
//! interpolation, as numpy's default) as the interval. Draws come from ChaCha8 seeded with
//! the settings' seed, so an interval is reproducible. The reported standard error is the
//! sample standard deviation of the resampled statistics.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use yardstick_core::stats::{mean, percentile, sample_stddev};

use crate::DecideError;

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapSettings {
    pub resamples: usize,
    /// Coverage of the interval, in (0, 1).
    pub level: f64,
    pub seed: u64,
}

impl Default for BootstrapSettings {
    /// 10,000 resamples, a 95% interval, seed 1234.
    fn default() -> Self {
        BootstrapSettings {
            resamples: 10_000,
            level: 0.95,
            seed: 1234,
        }
    }
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub level: f64,
}

impl Interval {
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }

    /// Whether zero lies outside the interval.
    pub fn excludes_zero(&self) -> bool {
        !self.contains(0.0)
    }
}

/// A point estimate with its bootstrap interval and standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub interval: Interval,
    pub stderr: f64,
}

impl BootstrapSettings {
    fn check(&self, what: &str) -> Result<(), DecideError> {
        if self.resamples < 2 {
            return Err(DecideError::InvalidInput {
                what: what.to_string(),
                reason: format!("{} resamples (at least 2 needed)", self.resamples),
            });
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(DecideError::InvalidInput {
                what: what.to_string(),
                reason: format!("level {} is not between 0 and 1", self.level),
            });
        }
        Ok(())
    }
}

fn check_sample(what: &str, name: &str, values: &[f64]) -> Result<(), DecideError> {
    if values.len() < 2 {
        return Err(DecideError::TooFewObservations {
            what: format!("{what} ({name})"),
            needed: 2,
            available: values.len(),
        });
    }
    if let Some(index) = values.iter().position(|value| !value.is_finite()) {
        return Err(DecideError::InvalidInput {
            what: format!("{what} ({name})"),
            reason: format!("value {index} is {}", values[index]),
        });
    }
    Ok(())
}

/// The interval and standard error of `statistics` (the resampled values) around `value`.
fn summarize(
    value: f64,
    statistics: &[f64],
    settings: &BootstrapSettings,
    what: &str,
) -> Result<Estimate, DecideError> {
    let tail = (1.0 - settings.level) / 2.0 * 100.0;
    let unavailable = || DecideError::InvalidInput {
        what: what.to_string(),
        reason: "the resampled statistics could not be summarised".to_string(),
    };
    Ok(Estimate {
        value,
        interval: Interval {
            low: percentile(statistics, tail).ok_or_else(unavailable)?,
            high: percentile(statistics, 100.0 - tail).ok_or_else(unavailable)?,
            level: settings.level,
        },
        stderr: sample_stddev(statistics).ok_or_else(unavailable)?,
    })
}

/// The mean of `values` with its bootstrap interval.
pub fn mean_interval(
    values: &[f64],
    settings: &BootstrapSettings,
) -> Result<Estimate, DecideError> {
    let what = "the bootstrap interval of a mean";
    settings.check(what)?;
    check_sample(what, "values", values)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let count = values.len();
    let statistics: Vec<f64> = (0..settings.resamples)
        .map(|_| {
            (0..count)
                .map(|_| values[rng.random_range(0..count)])
                .sum::<f64>()
                / count as f64
        })
        .collect();
    let value = mean(values).unwrap_or(f64::NAN);
    summarize(value, &statistics, settings, what)
}

/// `mean(candidate) − mean(baseline)` over items scored by both (aligned by index), with a
/// bootstrap interval that resamples items, keeping each item's pair together.
pub fn paired_mean_difference(
    baseline: &[f64],
    candidate: &[f64],
    settings: &BootstrapSettings,
) -> Result<Estimate, DecideError> {
    let what = "the paired difference of means";
    settings.check(what)?;
    if baseline.len() != candidate.len() {
        return Err(DecideError::InvalidInput {
            what: what.to_string(),
            reason: format!(
                "{} baseline items but {} candidate items",
                baseline.len(),
                candidate.len()
            ),
        });
    }
    check_sample(what, "baseline", baseline)?;
    check_sample(what, "candidate", candidate)?;
    let differences: Vec<f64> = candidate
        .iter()
        .zip(baseline)
        .map(|(candidate, baseline)| candidate - baseline)
        .collect();
    mean_interval(&differences, settings)
}

/// `percentile(candidate, q) − percentile(baseline, q)` for two independent samples (each
/// resampled on its own), `q` in [0, 100].
pub fn percentile_difference(
    baseline: &[f64],
    candidate: &[f64],
    q: f64,
    settings: &BootstrapSettings,
) -> Result<Estimate, DecideError> {
    let what = format!("the difference of p{q}");
    settings.check(&what)?;
    if !(0.0..=100.0).contains(&q) {
        return Err(DecideError::InvalidInput {
            what,
            reason: "the percentile must be between 0 and 100".to_string(),
        });
    }
    check_sample(&what, "baseline", baseline)?;
    check_sample(&what, "candidate", candidate)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut draw = |values: &[f64], buffer: &mut Vec<f64>| {
        buffer.clear();
        buffer.extend((0..values.len()).map(|_| values[rng.random_range(0..values.len())]));
        percentile(buffer, q).unwrap_or(f64::NAN)
    };
    let mut buffer = Vec::with_capacity(baseline.len().max(candidate.len()));
    let statistics: Vec<f64> = (0..settings.resamples)
        .map(|_| {
            let base = draw(baseline, &mut buffer);
            draw(candidate, &mut buffer) - base
        })
        .collect();
    let value =
        percentile(candidate, q).unwrap_or(f64::NAN) - percentile(baseline, q).unwrap_or(f64::NAN);
    summarize(value, &statistics, settings, &what)
}

/// The bootstrap standard error of the `q`th percentile of `samples`: the sample standard
/// deviation of the percentile over `resamples` resamples drawn with ChaCha8 from `seed`.
/// `None` with fewer than two samples.
pub fn percentile_stderr(samples: &[f64], q: f64, resamples: usize, seed: u64) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws = Vec::with_capacity(resamples);
    let mut buffer = Vec::with_capacity(samples.len());
    for _ in 0..resamples {
        buffer.clear();
        buffer.extend((0..samples.len()).map(|_| samples[rng.random_range(0..samples.len())]));
        draws.push(percentile(&buffer, q)?);
    }
    sample_stddev(&draws)
}

#[cfg(test)]
mod tests {
    use rand_distr::{Distribution, Normal};

    use super::*;

    fn settings(resamples: usize, seed: u64) -> BootstrapSettings {
        BootstrapSettings {
            resamples,
            level: 0.95,
            seed,
        }
    }

    #[test]
    fn intervals_contain_the_estimate_and_repeat_for_a_seed() {
        let values = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let first = mean_interval(&values, &settings(2000, 7)).expect("interval");
        let again = mean_interval(&values, &settings(2000, 7)).expect("interval");
        assert_eq!(first, again);
        assert!((first.value - 0.7).abs() < 1e-12);
        assert!(first.interval.contains(0.7) && first.interval.low < 0.6);
        // The bootstrap stderr of a mean of 0/1 values is close to sqrt(p(1−p)/n) = 0.145.
        assert!((first.stderr - 0.145).abs() < 0.02, "{}", first.stderr);
    }

    #[test]
    fn paired_differences_keep_items_together() {
        // The candidate is always exactly 0.1 better: every resample says so.
        let baseline = [0.2, 0.5, 0.9, 0.4, 0.3, 0.8];
        let candidate: Vec<f64> = baseline.iter().map(|value| value + 0.1).collect();
        let estimate =
            paired_mean_difference(&baseline, &candidate, &settings(500, 1)).expect("estimate");
        assert!((estimate.value - 0.1).abs() < 1e-12);
        assert!((estimate.interval.low - 0.1).abs() < 1e-9);
        assert!((estimate.interval.high - 0.1).abs() < 1e-9);
        assert!(estimate.interval.excludes_zero());
    }

    #[test]
    fn percentile_differences_see_a_shift() {
        let baseline: Vec<f64> = (0..200).map(f64::from).collect();
        let candidate: Vec<f64> = baseline.iter().map(|value| value + 50.0).collect();
        let estimate =
            percentile_difference(&baseline, &candidate, 99.0, &settings(1000, 3)).expect("p99");
        assert!((estimate.value - 50.0).abs() < 1e-9);
        assert!(estimate.interval.contains(50.0) && estimate.interval.excludes_zero());
    }

    #[test]
    fn bad_input_is_refused_naming_it() {
        let error = mean_interval(&[1.0], &BootstrapSettings::default()).expect_err("one value");
        assert_eq!(
            error.to_string(),
            "the bootstrap interval of a mean (values): needs at least 2 observations, has 1"
        );
        let error = paired_mean_difference(&[1.0, 2.0], &[1.0], &BootstrapSettings::default())
            .expect_err("mismatch");
        assert!(error
            .to_string()
            .contains("2 baseline items but 1 candidate items"));
        let error = percentile_difference(&[1.0, 2.0], &[1.0, f64::NAN], 50.0, &settings(10, 0))
            .expect_err("NaN");
        assert!(error.to_string().contains("value 1 is NaN"), "{error}");
        let bad_level = BootstrapSettings {
            level: 1.0,
            ..BootstrapSettings::default()
        };
        assert!(mean_interval(&[1.0, 2.0], &bad_level).is_err());
    }

    /// Coverage on simulated data: 400 samples of 50 draws from Normal(10, 2), a 95% interval
    /// from 1,000 resamples each. The percentile bootstrap of a mean undercovers slightly at
    /// n = 50 (this seed gives 0.9425); with 400 datasets the binomial standard error of the
    /// observed coverage is about 1.1 points, so [0.90, 0.98] is a ±3.5 s.e. band around
    /// 0.94–0.95.
    #[test]
    fn a_95_percent_interval_covers_the_true_mean_about_95_percent_of_the_time() {
        let normal = Normal::new(10.0, 2.0).expect("distribution");
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let datasets = 400;
        let covered = (0..datasets)
            .filter(|&dataset| {
                let sample: Vec<f64> = (0..50).map(|_| normal.sample(&mut rng)).collect();
                mean_interval(&sample, &settings(1000, dataset))
                    .expect("interval")
                    .interval
                    .contains(10.0)
            })
            .count();
        let coverage = covered as f64 / f64::from(datasets as u32);
        assert!((0.90..=0.98).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn the_percentile_stderr_is_seeded_and_shrinks_with_more_samples() {
        let few: Vec<f64> = (0..20).map(f64::from).collect();
        let many: Vec<f64> = (0..2000).map(|i| f64::from(i % 20)).collect();
        let a = percentile_stderr(&few, 50.0, 500, 7).expect("two or more samples");
        assert_eq!(percentile_stderr(&few, 50.0, 500, 7), Some(a));
        assert_ne!(percentile_stderr(&few, 50.0, 500, 8), Some(a));
        let b = percentile_stderr(&many, 50.0, 500, 7).expect("two or more samples");
        assert!(b < a / 3.0, "{b} vs {a}");
        assert_eq!(percentile_stderr(&[1.0], 99.0, 500, 7), None);
        assert_eq!(percentile_stderr(&[3.0, 3.0, 3.0], 99.0, 50, 7), Some(0.0));
    }
}
