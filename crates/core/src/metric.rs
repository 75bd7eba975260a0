//! Metric records: the one schema in which every measurement is stored and reported.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The unit of a metric value. Closed set, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A proportion in [0, 1] (accuracy and friends).
    Ratio,
    /// A count of items, tokens or requests.
    Count,
    TokensPerSecond,
    ItemsPerSecond,
    Milliseconds,
    Seconds,
    Bytes,
    /// A dimensionless number that is not a proportion (perplexity, loglikelihood).
    Scalar,
    /// Percent (0–100, or beyond for CPU use of several cores, as top reports it).
    Percent,
    /// Mebibytes (2^20 bytes).
    Mebibytes,
    Watts,
    Joules,
    /// Energy per token.
    JoulesPerToken,
    /// Token throughput per watt of power, i.e. tokens per joule.
    TokensPerSecondPerWatt,
}

impl Unit {
    pub const ALL: [Unit; 14] = [
        Unit::Ratio,
        Unit::Count,
        Unit::TokensPerSecond,
        Unit::ItemsPerSecond,
        Unit::Milliseconds,
        Unit::Seconds,
        Unit::Bytes,
        Unit::Scalar,
        Unit::Percent,
        Unit::Mebibytes,
        Unit::Watts,
        Unit::Joules,
        Unit::JoulesPerToken,
        Unit::TokensPerSecondPerWatt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Ratio => "ratio",
            Unit::Count => "count",
            Unit::TokensPerSecond => "tokens_per_second",
            Unit::ItemsPerSecond => "items_per_second",
            Unit::Milliseconds => "milliseconds",
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Scalar => "scalar",
            Unit::Percent => "percent",
            Unit::Mebibytes => "mebibytes",
            Unit::Watts => "watts",
            Unit::Joules => "joules",
            Unit::JoulesPerToken => "joules_per_token",
            Unit::TokensPerSecondPerWatt => "tokens_per_second_per_watt",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown unit name.
#[derive(Debug, thiserror::Error)]
#[error("unknown unit `{given}`; valid units are: {valid}")]
pub struct UnknownUnit {
    pub given: String,
    pub valid: String,
}

impl FromStr for Unit {
    type Err = UnknownUnit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Unit::ALL
            .into_iter()
            .find(|unit| unit.as_str() == s)
            .ok_or_else(|| UnknownUnit {
                given: s.to_string(),
                valid: Unit::ALL.map(Unit::as_str).join(", "),
            })
    }
}

/// One measured number with its unit and, where known, its uncertainty.
///
/// Quality metrics carry `stderr` and `n`; speed metrics carry the median as `value`,
/// the number of repetitions as `n` and the observed `min`/`max` spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    pub name: String,
    pub value: f64,
    pub unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl MetricRecord {
    pub fn new(name: impl Into<String>, value: f64, unit: Unit) -> Self {
        MetricRecord {
            name: name.into(),
            value,
            unit,
            stderr: None,
            n: None,
            min: None,
            max: None,
        }
    }

    pub fn with_stderr(mut self, stderr: f64) -> Self {
        self.stderr = Some(stderr);
        self
    }

    pub fn with_n(mut self, n: u64) -> Self {
        self.n = Some(n);
        self
    }

    pub fn with_spread(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_round_trips_through_its_name() {
        for unit in Unit::ALL {
            assert_eq!(unit.as_str().parse::<Unit>().ok(), Some(unit));
        }
    }

    #[test]
    fn unknown_unit_lists_valid_ones() {
        let error = "furlongs".parse::<Unit>().err().map(|e| e.to_string());
        let message = error.unwrap_or_default();
        assert!(message.contains("furlongs"));
        assert!(message.contains("tokens_per_second"));
    }
}
