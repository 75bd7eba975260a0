//! The results decisions read, one per stored unit: an eval unit's main metric with its
//! per-item values, a bench unit's (one run of a load point) metric records with its measured
//! requests' latency samples.

use std::collections::BTreeMap;

use yardstick_core::MetricRecord;
use yardstick_store::RunUnit;

use crate::metric::{convert, Latency, ServingMetric};

/// One eval unit (a task of a run): its main metric and the per-item values of it.
#[derive(Debug, Clone)]
pub struct EvalUnit {
    pub unit: RunUnit,
    pub metric: MetricRecord,
    /// Item index → the item's value of `metric`. Empty when the metric is not a per-item
    /// mean (perplexities and other weighted metrics).
    pub items: BTreeMap<u64, f64>,
}

/// One bench unit: a run of a load point.
#[derive(Debug, Clone)]
pub struct BenchUnit {
    pub unit: RunUnit,
    /// `c=4#0`: the load point and trial.
    pub point: String,
    pub metrics: Vec<MetricRecord>,
    /// Per measured, successful request (warm-up left out), in milliseconds.
    pub ttft_ms: Vec<f64>,
    pub tpot_ms: Vec<f64>,
    pub e2e_ms: Vec<f64>,
    /// The run's workload specification (its plan's `workload`: prompt source and token
    /// counts, output lengths, seed); `null` when the plan has none.
    pub workload: serde_json::Value,
}

impl BenchUnit {
    pub fn metric(&self, metric: ServingMetric) -> Option<&MetricRecord> {
        self.metrics
            .iter()
            .find(|record| record.name == metric.name())
    }

    pub fn value(&self, metric: ServingMetric) -> Option<f64> {
        self.metric(metric).map(|record| record.value)
    }

    /// The measured requests' samples of `latency`, in milliseconds.
    pub fn samples(&self, latency: Latency) -> &[f64] {
        match latency {
            Latency::Ttft => &self.ttft_ms,
            Latency::Tpot => &self.tpot_ms,
            Latency::E2e => &self.e2e_ms,
        }
    }

    /// Whether the unit's p99 TTFT and TPOT are within the bounds given (an unmeasured
    /// metric is not within a bound).
    pub fn within(&self, bounds: &LatencyBounds) -> bool {
        let within = |metric: ServingMetric, limit: Option<f64>| {
            limit.is_none_or(|limit| self.value(metric).is_some_and(|value| value <= limit))
        };
        within(ServingMetric::TtftP99, bounds.max_p99_ttft_ms)
            && within(ServingMetric::TpotP99, bounds.max_p99_tpot_ms)
    }

    /// Measured requests per second and where they come from: goodput when the run had an
    /// SLO (only requests meeting it count), else completed requests.
    pub fn request_rate(&self) -> Option<(f64, &'static str)> {
        match self.value(ServingMetric::GoodputRequestsPerSecond) {
            Some(goodput) => Some((goodput, "goodput under the run's SLO")),
            None => Some((
                self.value(ServingMetric::RequestsPerSecond)?,
                "completed requests",
            )),
        }
    }

    /// Mean prompt and completion tokens per completed request.
    pub fn tokens_per_request(&self) -> Option<(f64, f64)> {
        let completed = self.value(ServingMetric::RequestsCompleted)?;
        Some((
            self.value(ServingMetric::PromptTokens)? / completed,
            self.value(ServingMetric::CompletionTokens)? / completed,
        ))
    }

    /// The prefill share of a request's time: mean TTFT / mean E2E, clamped to [0, 1].
    pub fn prefill_share(&self) -> Option<f64> {
        let share = self.value(ServingMetric::TtftMean)? / self.value(ServingMetric::E2eMean)?;
        Some(share.clamp(0.0, 1.0))
    }

    /// Energy per output token the run measured (hardware counter) or integrated from power
    /// samples, when it has one.
    pub fn joules_per_output_token(&self) -> Option<f64> {
        self.value(ServingMetric::EnergyPerOutputTokenMeasured)
            .or_else(|| self.value(ServingMetric::EnergyPerOutputTokenEstimated))
    }

    /// Peak memory in GB: GPU memory when sampled, else the process's resident set.
    pub fn memory_gb(&self) -> Option<f64> {
        let mib = self
            .value(ServingMetric::GpuMemoryMibMax)
            .or_else(|| self.value(ServingMetric::RssMibMax))?;
        Some(convert::mib_to_gb(mib))
    }

    /// Whether the run sampled a GPU.
    pub fn used_gpu(&self) -> bool {
        self.value(ServingMetric::GpuUtilPercentMean).is_some()
    }
}

/// Upper bounds on a load point's p99 latencies (none: unbounded).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencyBounds {
    pub max_p99_ttft_ms: Option<f64>,
    pub max_p99_tpot_ms: Option<f64>,
}
