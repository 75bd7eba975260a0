//! Token-length distributions for prompts and outputs, parsed from the command line:
//! `N` or `fixed:N`, `uniform:MIN:MAX`, `normal:MEAN:STD` (optionally `:MIN:MAX`),
//! `file:PATH`. Lengths are drawn from a seeded RNG passed in ([`LengthSampler`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::workload::WorkloadError;

/// How token lengths are distributed. Serialised as its command-line string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LengthDistribution {
    /// Always this many tokens (≥ 1).
    Fixed(u32),
    /// Uniform over `min..=max` (1 ≤ min ≤ max).
    Uniform { min: u32, max: u32 },
    /// A normal distribution rounded to the nearest integer and clipped to `min..=max`
    /// (`1..=u32::MAX` unless bounds were given).
    Normal {
        mean: f64,
        std_dev: f64,
        bounds: Option<(u32, u32)>,
    },
    /// Drawn uniformly with replacement from the lengths in a file: one integer ≥ 1 per
    /// line, blank lines ignored.
    File(PathBuf),
}

impl LengthDistribution {
    /// The accepted forms, for error messages and help texts.
    pub const VALID: &'static str =
        "N, fixed:N, uniform:MIN:MAX, normal:MEAN:STD, normal:MEAN:STD:MIN:MAX, file:PATH";

    /// Prepares the distribution for drawing; a `file:` distribution reads its file.
    pub fn sampler(&self) -> Result<LengthSampler, WorkloadError> {
        let kind = match self {
            LengthDistribution::Fixed(length) => SamplerKind::Fixed(*length),
            LengthDistribution::Uniform { min, max } => SamplerKind::Uniform(*min, *max),
            LengthDistribution::Normal {
                mean,
                std_dev,
                bounds,
            } => {
                let normal = Normal::new(*mean, *std_dev).map_err(|error| self.invalid(error))?;
                let (min, max) = bounds.unwrap_or((1, u32::MAX));
                SamplerKind::Normal(normal, min, max)
            }
            LengthDistribution::File(path) => SamplerKind::Values(read_lengths(path)?),
        };
        Ok(LengthSampler { kind })
    }

    fn invalid(&self, reason: impl fmt::Display) -> WorkloadError {
        invalid(&self.to_string(), reason)
    }
}

fn invalid(given: &str, reason: impl fmt::Display) -> WorkloadError {
    WorkloadError::Distribution {
        given: given.to_string(),
        reason: reason.to_string(),
        valid: LengthDistribution::VALID,
    }
}

fn read_lengths(path: &Path) -> Result<Vec<u32>, WorkloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut lengths = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.parse::<u32>() {
            Ok(length) if length >= 1 => lengths.push(length),
            _ => {
                return Err(WorkloadError::Entry {
                    path: path.display().to_string(),
                    location: format!("line {}", index + 1),
                    reason: format!("`{line}` is not a token length (an integer ≥ 1)"),
                })
            }
        }
    }
    if lengths.is_empty() {
        return Err(WorkloadError::Entry {
            path: path.display().to_string(),
            location: "line 1".to_string(),
            reason: "the file holds no lengths (one integer ≥ 1 per line)".to_string(),
        });
    }
    Ok(lengths)
}

impl fmt::Display for LengthDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthDistribution::Fixed(length) => write!(f, "fixed:{length}"),
            LengthDistribution::Uniform { min, max } => write!(f, "uniform:{min}:{max}"),
            LengthDistribution::Normal {
                mean,
                std_dev,
                bounds: None,
            } => write!(f, "normal:{mean}:{std_dev}"),
            LengthDistribution::Normal {
                mean,
                std_dev,
                bounds: Some((min, max)),
            } => write!(f, "normal:{mean}:{std_dev}:{min}:{max}"),
            LengthDistribution::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

impl FromStr for LengthDistribution {
    type Err = WorkloadError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let text = given.trim();
        let error = |reason: &str| invalid(given, reason);
        let length = |part: &str, name: &str| -> Result<u32, WorkloadError> {
            match part.trim().parse::<u32>() {
                Ok(value) if value >= 1 => Ok(value),
                _ => Err(invalid(
                    given,
                    format!("{name} `{part}` is not a token length (an integer ≥ 1)"),
                )),
            }
        };
        let number = |part: &str, name: &str| -> Result<f64, WorkloadError> {
            match part.trim().parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value),
                _ => Err(invalid(given, format!("{name} `{part}` is not a number"))),
            }
        };
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err(error("file: needs a path"));
            }
            return Ok(LengthDistribution::File(PathBuf::from(path)));
        }
        let (kind, rest) = text.split_once(':').unwrap_or(("fixed", text));
        let parts: Vec<&str> = rest.split(':').collect();
        match (kind, parts.as_slice()) {
            ("fixed", [value]) => Ok(LengthDistribution::Fixed(length(value, "N")?)),
            ("fixed", _) => Err(error("fixed takes one length, fixed:N")),
            ("uniform", [min, max]) => {
                let (min, max) = (length(min, "MIN")?, length(max, "MAX")?);
                if min > max {
                    return Err(error("MIN is larger than MAX"));
                }
                Ok(LengthDistribution::Uniform { min, max })
            }
            ("uniform", _) => Err(error("uniform takes two lengths, uniform:MIN:MAX")),
            ("normal", [mean, std_dev, bounds @ ..]) if matches!(bounds.len(), 0 | 2) => {
                let (mean, std_dev) = (number(mean, "MEAN")?, number(std_dev, "STD")?);
                if std_dev < 0.0 {
                    return Err(error("STD must not be negative"));
                }
                let bounds = match bounds {
                    [min, max] => {
                        let (min, max) = (length(min, "MIN")?, length(max, "MAX")?);
                        if min > max {
                            return Err(error("MIN is larger than MAX"));
                        }
                        Some((min, max))
                    }
                    _ => None,
                };
                Ok(LengthDistribution::Normal {
                    mean,
                    std_dev,
                    bounds,
                })
            }
            ("normal", _) => Err(error(
                "normal takes normal:MEAN:STD or normal:MEAN:STD:MIN:MAX",
            )),
            _ => Err(error("unknown form")),
        }
    }
}

impl TryFrom<String> for LengthDistribution {
    type Error = WorkloadError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<LengthDistribution> for String {
    fn from(value: LengthDistribution) -> Self {
        value.to_string()
    }
}

#[derive(Debug, Clone)]
enum SamplerKind {
    Fixed(u32),
    Uniform(u32, u32),
    Normal(Normal<f64>, u32, u32),
    Values(Vec<u32>),
}

/// A [`LengthDistribution`] ready to draw from.
#[derive(Debug, Clone)]
pub struct LengthSampler {
    kind: SamplerKind,
}

impl LengthSampler {
    /// One length drawn with `rng`.
    pub fn sample(&self, rng: &mut impl Rng) -> u32 {
        match &self.kind {
            SamplerKind::Fixed(length) => *length,
            SamplerKind::Uniform(min, max) => rng.random_range(*min..=*max),
            SamplerKind::Normal(normal, min, max) => {
                let value = normal.sample(rng).round();
                // `as` saturates; NaN cannot come from a finite mean and deviation.
                (value.max(f64::from(*min)) as u32).clamp(*min, *max)
            }
            SamplerKind::Values(values) => values[rng.random_range(0..values.len())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn parse(text: &str) -> LengthDistribution {
        text.parse().expect("valid distribution")
    }

    #[test]
    fn every_form_parses_and_displays_back() {
        assert_eq!(parse("128"), LengthDistribution::Fixed(128));
        assert_eq!(parse("fixed:7"), LengthDistribution::Fixed(7));
        assert_eq!(
            parse("uniform:1:10"),
            LengthDistribution::Uniform { min: 1, max: 10 }
        );
        assert_eq!(
            parse("normal:100:12.5"),
            LengthDistribution::Normal {
                mean: 100.0,
                std_dev: 12.5,
                bounds: None
            }
        );
        assert_eq!(
            parse("normal:100:20:50:150"),
            LengthDistribution::Normal {
                mean: 100.0,
                std_dev: 20.0,
                bounds: Some((50, 150))
            }
        );
        assert_eq!(
            parse("file:lengths.txt"),
            LengthDistribution::File(PathBuf::from("lengths.txt"))
        );
        for text in [
            "fixed:7",
            "uniform:1:10",
            "normal:100:12.5",
            "normal:100:20:50:150",
            "file:a/b.txt",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
        let json = serde_json::to_string(&parse("uniform:2:4")).expect("serialises");
        assert_eq!(json, "\"uniform:2:4\"");
        let back: LengthDistribution = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, parse("uniform:2:4"));
    }

    #[test]
    fn bad_input_is_refused_naming_the_input_and_the_valid_forms() {
        for (text, reason) in [
            ("0", "N `0` is not a token length"),
            ("fixed:x", "N `x` is not a token length"),
            ("uniform:5", "uniform takes two lengths"),
            ("uniform:9:3", "MIN is larger than MAX"),
            ("normal:10", "normal takes"),
            ("normal:10:-1", "STD must not be negative"),
            ("normal:10:1:5", "normal takes"),
            ("normal:abc:1", "MEAN `abc` is not a number"),
            ("gauss:1:2", "unknown form"),
            ("file:", "needs a path"),
            ("", "N `` is not a token length"),
        ] {
            let message = text
                .parse::<LengthDistribution>()
                .expect_err(text)
                .to_string();
            assert!(message.contains(&format!("`{text}`")), "{message}");
            assert!(message.contains(reason), "{text}: {message}");
            assert!(message.contains(LengthDistribution::VALID), "{message}");
        }
        let error = serde_json::from_str::<LengthDistribution>("\"uniform:0:3\"")
            .expect_err("0 is not a length");
        assert!(error.to_string().contains("MIN `0`"), "{error}");
    }

    #[test]
    fn draws_are_seeded_and_within_bounds() {
        let draw = |text: &str, seed: u64| -> Vec<u32> {
            let sampler = parse(text).sampler().expect("sampler");
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..500).map(|_| sampler.sample(&mut rng)).collect()
        };
        assert!(draw("fixed:9", 1).iter().all(|&length| length == 9));
        let uniform = draw("uniform:3:6", 1);
        assert!(uniform.iter().all(|length| (3..=6).contains(length)));
        assert!((3..=6).all(|length| uniform.contains(&length)));
        assert_eq!(uniform, draw("uniform:3:6", 1));
        assert_ne!(uniform, draw("uniform:3:6", 2));
        let clipped = draw("normal:2:50", 1);
        assert!(clipped.iter().all(|&length| length >= 1));
        assert!(
            clipped.contains(&1),
            "a wide normal around 2 is clipped at 1"
        );
        let bounded = draw("normal:100:40:80:120", 3);
        assert!(bounded.iter().all(|length| (80..=120).contains(length)));
        let mean = draw("normal:100:5", 4)
            .iter()
            .map(|&l| f64::from(l))
            .sum::<f64>()
            / 500.0;
        assert!((mean - 100.0).abs() < 1.5, "mean {mean}");
    }

    #[test]
    fn file_lengths_are_drawn_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("lengths.txt");
        std::fs::write(&good, "5\n\n17\n 9 \n").expect("writes");
        let sampler = LengthDistribution::File(good).sampler().expect("reads");
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let drawn: Vec<u32> = (0..200).map(|_| sampler.sample(&mut rng)).collect();
        assert!(drawn.iter().all(|length| [5, 17, 9].contains(length)));
        assert!([5, 17, 9].iter().all(|length| drawn.contains(length)));

        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, "5\n\n0\n").expect("writes");
        let message = LengthDistribution::File(bad.clone())
            .sampler()
            .expect_err("0 is not a length")
            .to_string();
        assert!(message.contains(&bad.display().to_string()), "{message}");
        assert!(message.contains("line 3"), "{message}");
        let missing = LengthDistribution::File(dir.path().join("missing.txt"));
        assert!(missing.sampler().is_err());
    }
}
