//! Metric records: the one schema in which every measurement is stored and reported.

use serde::{Deserialize, Serialize};

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

crate::closed_set!(Unit, "unit", {
    Ratio => "ratio",
    Count => "count",
    TokensPerSecond => "tokens_per_second",
    ItemsPerSecond => "items_per_second",
    Milliseconds => "milliseconds",
    Seconds => "seconds",
    Bytes => "bytes",
    Scalar => "scalar",
    Percent => "percent",
    Mebibytes => "mebibytes",
    Watts => "watts",
    Joules => "joules",
    JoulesPerToken => "joules_per_token",
    TokensPerSecondPerWatt => "tokens_per_second_per_watt",
});

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
    fn serde_names_are_the_closed_set_names() {
        for unit in Unit::ALL {
            let json = serde_json::to_value(unit).ok();
            assert_eq!(json, Some(serde_json::Value::from(unit.as_str())));
            let back: Option<Unit> = serde_json::from_value(unit.as_str().into()).ok();
            assert_eq!(back, Some(unit));
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
