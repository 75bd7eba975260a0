//! Seeded arrival schedules for open-loop load: when each request is due, as an offset from
//! the run's start.
//!
//! A schedule is a renewal process that starts with an arrival: the first request is due at
//! offset 0 and each later one a gap after the previous. The gaps are
//!
//! - `constant`: exactly `1 / rate` (request `k` is due at `k / rate`, computed directly so
//!   rounding does not accumulate);
//! - `poisson`: exponential with mean `1 / rate` (coefficient of variation 1);
//! - `gamma:<shape>`: gamma with that shape and scale `1 / (rate * shape)`, so the mean is
//!   still `1 / rate` and the coefficient of variation is `1 / sqrt(shape)`: below 1 is
//!   burstier than Poisson, above 1 smoother, `gamma:1` is Poisson. This is `vllm bench serve`'s
//!   `--burstiness` parameterisation.
//!
//! Unlike `vllm bench serve`, the offsets are not rescaled afterwards so that the last one
//! lands exactly at `n / rate`: a schedule's realised rate varies with the seed, as a real
//! arrival process does, and the seed is part of the run's fingerprint.
//!
//! The random gaps are drawn with `rand_distr`'s samplers from a `ChaCha8Rng` seeded with
//! `seed_from_u64`: a seed gives the same schedule on every platform. A new major version of
//! `rand_distr` may change its sampling algorithms, and so the schedule of a seed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma};
use serde::{Deserialize, Serialize};

use crate::error::LoadError;

/// How the gaps between consecutive arrivals are distributed. Parsed from `constant`,
/// `poisson` or `gamma:<shape>`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ArrivalProcess {
    /// Evenly spaced arrivals, `1 / rate` apart.
    Constant,
    /// A Poisson process: exponential gaps with mean `1 / rate`.
    Poisson,
    /// Gamma-distributed gaps with mean `1 / rate` and this shape (> 0).
    Gamma { shape: f64 },
}

impl ArrivalProcess {
    /// The accepted spellings, for error messages and help texts.
    pub const VALID: &'static str =
        "constant, poisson, gamma:<shape> with shape > 0 (e.g. gamma:2.0)";

    /// A gamma process, checking the shape.
    pub fn gamma(shape: f64) -> Result<ArrivalProcess, LoadError> {
        if shape.is_finite() && shape > 0.0 {
            Ok(ArrivalProcess::Gamma { shape })
        } else {
            Err(LoadError::InvalidShape { shape })
        }
    }

    /// The coefficient of variation (standard deviation / mean) of the gaps: 0 for constant,
    /// 1 for Poisson, `1 / sqrt(shape)` for gamma.
    pub fn gap_coefficient_of_variation(&self) -> f64 {
        match self {
            ArrivalProcess::Constant => 0.0,
            ArrivalProcess::Poisson => 1.0,
            ArrivalProcess::Gamma { shape } => 1.0 / shape.sqrt(),
        }
    }
}

impl fmt::Display for ArrivalProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrivalProcess::Constant => f.write_str("constant"),
            ArrivalProcess::Poisson => f.write_str("poisson"),
            ArrivalProcess::Gamma { shape } => write!(f, "gamma:{shape}"),
        }
    }
}

impl FromStr for ArrivalProcess {
    type Err = LoadError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || LoadError::UnknownSetting {
            setting: "arrival process",
            given: s.to_string(),
            valid: ArrivalProcess::VALID.to_string(),
        };
        match s.trim() {
            "constant" => Ok(ArrivalProcess::Constant),
            "poisson" => Ok(ArrivalProcess::Poisson),
            other => {
                let shape = other.strip_prefix("gamma:").ok_or_else(unknown)?;
                let shape: f64 = shape.trim().parse().map_err(|_| unknown())?;
                ArrivalProcess::gamma(shape)
            }
        }
    }
}

impl TryFrom<String> for ArrivalProcess {
    type Error = LoadError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ArrivalProcess> for String {
    fn from(value: ArrivalProcess) -> Self {
        value.to_string()
    }
}

/// The gap sampler of a validated schedule.
#[derive(Debug, Clone, Copy)]
enum Gaps {
    Constant,
    Exponential(Exp<f64>),
    Gamma(Gamma<f64>),
}

/// A validated, seeded arrival schedule: a process, a mean rate and a seed.
#[derive(Debug, Clone)]
pub struct ArrivalSchedule {
    process: ArrivalProcess,
    rate_per_second: f64,
    seed: u64,
    gaps: Gaps,
}

impl ArrivalSchedule {
    /// Checks the rate (finite, > 0) and the gamma shape, and prepares the sampler.
    pub fn new(
        process: ArrivalProcess,
        rate_per_second: f64,
        seed: u64,
    ) -> Result<ArrivalSchedule, LoadError> {
        let invalid_rate = || LoadError::InvalidRate {
            rate: rate_per_second,
        };
        if !(rate_per_second.is_finite() && rate_per_second > 0.0) {
            return Err(invalid_rate());
        }
        let gaps = match process {
            ArrivalProcess::Constant => Gaps::Constant,
            ArrivalProcess::Poisson => {
                Gaps::Exponential(Exp::new(rate_per_second).map_err(|_| invalid_rate())?)
            }
            ArrivalProcess::Gamma { shape } => {
                ArrivalProcess::gamma(shape)?;
                let scale = 1.0 / (rate_per_second * shape);
                Gaps::Gamma(Gamma::new(shape, scale).map_err(|_| invalid_rate())?)
            }
        };
        Ok(ArrivalSchedule {
            process,
            rate_per_second,
            seed,
            gaps,
        })
    }

    pub fn process(&self) -> ArrivalProcess {
        self.process
    }

    pub fn rate_per_second(&self) -> f64 {
        self.rate_per_second
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The endless sequence of offsets, starting at zero. Offsets too large for a
    /// `Duration` (hundreds of billions of years) saturate at `Duration::MAX`.
    pub fn offsets(&self) -> ArrivalOffsets {
        ArrivalOffsets {
            gaps: self.gaps,
            rate_per_second: self.rate_per_second,
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            index: 0,
            elapsed_seconds: 0.0,
        }
    }

    /// The offsets of the first `count` requests.
    pub fn first(&self, count: usize) -> Vec<Duration> {
        self.offsets().take(count).collect()
    }

    /// The offsets of every request due strictly before `duration` has passed.
    pub fn within(&self, duration: Duration) -> Vec<Duration> {
        self.offsets()
            .take_while(|offset| *offset < duration)
            .collect()
    }
}

/// Iterator over a schedule's offsets; see [`ArrivalSchedule::offsets`].
#[derive(Debug, Clone)]
pub struct ArrivalOffsets {
    gaps: Gaps,
    rate_per_second: f64,
    rng: ChaCha8Rng,
    index: u64,
    elapsed_seconds: f64,
}

impl Iterator for ArrivalOffsets {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let seconds = match self.gaps {
            // Computed from the index so that 1/rate's rounding does not accumulate.
            Gaps::Constant => self.index as f64 / self.rate_per_second,
            Gaps::Exponential(exp) => {
                if self.index > 0 {
                    self.elapsed_seconds += exp.sample(&mut self.rng);
                }
                self.elapsed_seconds
            }
            Gaps::Gamma(gamma) => {
                if self.index > 0 {
                    self.elapsed_seconds += gamma.sample(&mut self.rng);
                }
                self.elapsed_seconds
            }
        };
        self.index += 1;
        Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(process: &str, rate: f64, seed: u64) -> ArrivalSchedule {
        let process = process.parse().unwrap_or(ArrivalProcess::Constant);
        ArrivalSchedule::new(process, rate, seed)
            .unwrap_or_else(|error| panic!("valid schedule: {error}"))
    }

    fn gaps_seconds(offsets: &[Duration]) -> Vec<f64> {
        offsets
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).as_secs_f64())
            .collect()
    }

    fn mean_and_cv(values: &[f64]) -> (f64, f64) {
        let mean = yardstick_core::stats::mean(values).unwrap_or(f64::NAN);
        let std = yardstick_core::stats::sample_stddev(values).unwrap_or(f64::NAN);
        (mean, std / mean)
    }

    #[test]
    fn parses_every_process_and_round_trips_through_display() {
        assert_eq!(
            "constant".parse::<ArrivalProcess>(),
            Ok(ArrivalProcess::Constant)
        );
        assert_eq!(
            "poisson".parse::<ArrivalProcess>(),
            Ok(ArrivalProcess::Poisson)
        );
        assert_eq!(
            "gamma:2.0".parse::<ArrivalProcess>(),
            Ok(ArrivalProcess::Gamma { shape: 2.0 })
        );
        for process in [
            ArrivalProcess::Constant,
            ArrivalProcess::Poisson,
            ArrivalProcess::Gamma { shape: 0.25 },
        ] {
            assert_eq!(process.to_string().parse::<ArrivalProcess>(), Ok(process));
        }
    }

    #[test]
    fn unknown_process_lists_the_valid_ones() {
        for given in ["uniform", "gamma", "gamma:", "gamma:fast", ""] {
            let message = given
                .parse::<ArrivalProcess>()
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default();
            assert!(message.contains(&format!("`{given}`")), "{message}");
            assert!(
                message.contains("constant, poisson, gamma:<shape>"),
                "{message}"
            );
        }
    }

    #[test]
    fn invalid_shape_and_rate_are_rejected_naming_the_value() {
        for (text, shown) in [
            ("gamma:0", "0"),
            ("gamma:-1.5", "-1.5"),
            ("gamma:inf", "inf"),
        ] {
            let error = text.parse::<ArrivalProcess>().err();
            assert_eq!(
                error.map(|error| error.to_string()),
                Some(format!(
                    "gamma shape must be a finite number above 0, got {shown}"
                ))
            );
        }
        for rate in [0.0, -2.5, f64::NAN, f64::INFINITY] {
            let error = ArrivalSchedule::new(ArrivalProcess::Poisson, rate, 1).err();
            let message = error.map(|error| error.to_string()).unwrap_or_default();
            assert!(message.contains("arrival rate"), "{message}");
            assert!(message.ends_with(&format!("got {rate}")), "{message}");
        }
        // A shape that bypassed the parser is checked again.
        let error = ArrivalSchedule::new(ArrivalProcess::Gamma { shape: 0.0 }, 1.0, 1).err();
        assert_eq!(error, Some(LoadError::InvalidShape { shape: 0.0 }));
    }

    #[test]
    fn constant_schedule_is_evenly_spaced_from_zero() {
        let constant = schedule("constant", 4.0, 99);
        let expected: Vec<Duration> = (0..5).map(|k| Duration::from_millis(250 * k)).collect();
        assert_eq!(constant.first(5), expected);
        // Due strictly before 1 s: 0, 250, 500, 750 ms.
        assert_eq!(
            constant.within(Duration::from_secs(1)),
            expected[..4].to_vec()
        );
    }

    #[test]
    fn same_seed_same_schedule_different_seed_different_schedule() {
        for process in ["poisson", "gamma:2.0", "gamma:0.5"] {
            let a = schedule(process, 10.0, 7).first(100);
            let b = schedule(process, 10.0, 7).first(100);
            let c = schedule(process, 10.0, 8).first(100);
            assert_eq!(a, b, "{process}");
            assert_ne!(a, c, "{process}");
            assert_eq!(
                a[0],
                Duration::ZERO,
                "{process}: the first request starts the run"
            );
            assert!(a.windows(2).all(|pair| pair[0] <= pair[1]), "{process}");
        }
    }

    #[test]
    fn mean_gap_is_one_over_rate() {
        let rate = 20.0;
        for process in ["constant", "poisson", "gamma:2.0", "gamma:0.5"] {
            let offsets = schedule(process, rate, 2024).first(20_001);
            let (mean, _) = mean_and_cv(&gaps_seconds(&offsets));
            let relative_error = (mean * rate - 1.0).abs();
            // The standard error of the mean gap is at most 1.5% here (gamma:0.5, cv 1.41).
            assert!(relative_error < 0.05, "{process}: mean gap {mean}");
        }
    }

    #[test]
    fn gap_coefficient_of_variation_matches_the_process() {
        for process in ["poisson", "gamma:4.0", "gamma:0.5"] {
            let schedule = schedule(process, 5.0, 31);
            let (_, cv) = mean_and_cv(&gaps_seconds(&schedule.first(20_001)));
            let expected = schedule.process().gap_coefficient_of_variation();
            assert!(
                (cv / expected - 1.0).abs() < 0.06,
                "{process}: cv {cv}, expected {expected}"
            );
        }
        assert!(
            (ArrivalProcess::Gamma { shape: 4.0 }.gap_coefficient_of_variation() - 0.5).abs()
                < 1e-12
        );
    }

    #[test]
    fn within_a_duration_holds_about_rate_times_duration_requests() {
        let offsets = schedule("poisson", 50.0, 5).within(Duration::from_secs(400));
        assert!(offsets
            .iter()
            .all(|offset| *offset < Duration::from_secs(400)));
        // 20,000 expected, Poisson count standard deviation ~141.
        assert!(
            (19_400..20_600).contains(&offsets.len()),
            "{}",
            offsets.len()
        );
    }

    #[test]
    fn process_serializes_as_its_name() {
        let json = serde_json::to_string(&ArrivalProcess::Gamma { shape: 2.5 }).unwrap_or_default();
        assert_eq!(json, "\"gamma:2.5\"");
        let parsed: Result<ArrivalProcess, _> = serde_json::from_str("\"poisson\"");
        assert_eq!(parsed.ok(), Some(ArrivalProcess::Poisson));
        assert!(serde_json::from_str::<ArrivalProcess>("\"gamma:-1\"").is_err());
    }
}
