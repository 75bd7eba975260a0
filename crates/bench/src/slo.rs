//! Latency objectives ([`SloObjective`], `ttft:p99<=500`) and the search for the highest
//! open-loop rate that meets them ([`SloSearch`], what it found: [`SloOutcome`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use yardstick_load::{ArrivalProcess, Distribution, RunMetrics};

/// Which latency an objective bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMetric {
    Ttft,
    Tpot,
    Itl,
    E2e,
}

/// Which statistic of its distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloStatistic {
    Mean,
    P50,
    P90,
    P95,
    P99,
}

yardstick_core::closed_set!(SloMetric, "SLO metric", {
    Ttft => "ttft",
    Tpot => "tpot",
    Itl => "itl",
    E2e => "e2e",
});

yardstick_core::closed_set!(SloStatistic, "SLO statistic", {
    Mean => "mean",
    P50 => "p50",
    P90 => "p90",
    P95 => "p95",
    P99 => "p99",
});

/// One objective: `metric:statistic<=limit_ms`, e.g. `ttft:p99<=500`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SloObjective {
    pub metric: SloMetric,
    pub statistic: SloStatistic,
    pub limit_ms: f64,
}

impl SloObjective {
    pub const VALID: &'static str = "<metric>:<statistic><=<milliseconds> with metric ttft, tpot, itl or e2e and statistic mean, p50, p90, p95 or p99 (e.g. ttft:p99<=500)";

    /// The run's value of the objective's statistic, in milliseconds.
    pub fn value(&self, metrics: &RunMetrics) -> Option<f64> {
        let distribution: &Option<Distribution> = match self.metric {
            SloMetric::Ttft => &metrics.ttft_ms,
            SloMetric::Tpot => &metrics.tpot_ms,
            SloMetric::Itl => &metrics.itl_ms,
            SloMetric::E2e => &metrics.e2e_ms,
        };
        let distribution = distribution.as_ref()?;
        Some(match self.statistic {
            SloStatistic::Mean => distribution.mean,
            SloStatistic::P50 => distribution.p50,
            SloStatistic::P90 => distribution.p90,
            SloStatistic::P95 => distribution.p95,
            SloStatistic::P99 => distribution.p99,
        })
    }

    /// Holds when the run has the statistic, it is within the limit, and no request failed
    /// (a failed request has no latency, so it could otherwise hide an overload).
    pub fn holds(&self, metrics: &RunMetrics) -> bool {
        metrics.failed == 0
            && self
                .value(metrics)
                .is_some_and(|value| value <= self.limit_ms)
    }
}

impl FromStr for SloObjective {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("`{text}` is not an SLO objective: expected {}", Self::VALID);
        let (left, limit) = text.split_once("<=").ok_or_else(invalid)?;
        let (metric, statistic) = left.trim().split_once(':').ok_or_else(invalid)?;
        let metric: SloMetric = metric.trim().parse().map_err(|_| invalid())?;
        let statistic: SloStatistic = statistic.trim().parse().map_err(|_| invalid())?;
        let limit_ms: f64 = limit
            .trim()
            .trim_end_matches("ms")
            .parse()
            .map_err(|_| invalid())?;
        if !(limit_ms.is_finite() && limit_ms > 0.0) {
            return Err(invalid());
        }
        Ok(SloObjective {
            metric,
            statistic,
            limit_ms,
        })
    }
}

impl fmt::Display for SloObjective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}<={}", self.metric, self.statistic, self.limit_ms)
    }
}

/// The search for the highest rate meeting every objective of the plan
/// ([`crate::BenchPlan::objectives`]), each rate run the plan's `trials` times
/// ([`crate::Bench::execute`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloSearch {
    pub process: ArrivalProcess,
    /// The top of the range; `None` = 1.2 × the request throughput measured at
    /// `saturation_concurrency` (no rate above what the target completes when saturated
    /// can be sustained).
    pub high: Option<f64>,
    pub saturation_concurrency: usize,
    /// Bisection steps after the top of the range was tried.
    pub steps: usize,
    /// Stop when the bracket is narrower than this fraction of its top.
    pub tolerance: f64,
}

impl SloSearch {
    /// The default [`SloSearch::tolerance`]: a bracket within 5% of its top.
    pub const DEFAULT_TOLERANCE: f64 = 0.05;
}

/// What the SLO search found (its runs are in [`crate::BenchOutcome::runs`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloOutcome {
    /// The highest rate tried at which every objective held in every trial; `None` if none
    /// did.
    pub best_rate: Option<f64>,
    /// The lowest rate tried at which an objective failed, when there is one.
    pub lowest_failing_rate: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_objective_round_trips_through_its_text() {
        for metric in SloMetric::ALL {
            assert!(SloObjective::VALID.contains(metric.as_str()), "{metric}");
            for statistic in SloStatistic::ALL {
                assert!(SloObjective::VALID.contains(statistic.as_str()));
                let objective = SloObjective {
                    metric,
                    statistic,
                    limit_ms: 12.5,
                };
                let text = objective.to_string();
                assert_eq!(text, format!("{metric}:{statistic}<=12.5"));
                assert_eq!(text.parse::<SloObjective>(), Ok(objective));
            }
        }
    }

    #[test]
    fn serde_names_are_the_closed_set_names() {
        for metric in SloMetric::ALL {
            let json = serde_json::to_value(metric).ok();
            assert_eq!(json, Some(serde_json::Value::from(metric.as_str())));
        }
        for statistic in SloStatistic::ALL {
            let json = serde_json::to_value(statistic).ok();
            assert_eq!(json, Some(serde_json::Value::from(statistic.as_str())));
        }
    }
}
