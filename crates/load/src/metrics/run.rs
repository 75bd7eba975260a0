//! Run-level metrics: throughput, errors, goodput and the distributions of the per-request
//! metrics, from a run's records.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use yardstick_core::{MetricRecord, Unit};

use super::distribution::Distribution;
use super::request::{ItlDefinition, LatencyOrigin, RequestMetrics};
use crate::error::LoadError;
use crate::timing::RequestTiming;

/// Service-level objectives a request must meet, all of them, to count toward goodput.
/// A threshold left `None` is not checked; an SLO with no threshold disables goodput.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Slo {
    /// Met when TTFT ≤ this. A request without a token-carrying chunk does not meet it.
    pub ttft: Option<Duration>,
    /// Met when TPOT ≤ this. A request with fewer than 2 completion tokens has no TPOT and
    /// meets it (as `vllm bench serve`, which counts its TPOT as 0 for goodput).
    pub tpot: Option<Duration>,
    /// Met when E2E ≤ this.
    pub e2e: Option<Duration>,
    /// Where TTFT and E2E are measured from for these checks.
    #[serde(default)]
    pub origin: LatencyOrigin,
}

impl Slo {
    /// Whether no threshold is set.
    pub fn is_empty(&self) -> bool {
        self.ttft.is_none() && self.tpot.is_none() && self.e2e.is_none()
    }

    /// Whether `record` completed and meets every threshold that is set.
    pub fn is_met_by(&self, record: &RequestTiming) -> bool {
        if !record.succeeded() {
            return false;
        }
        let origin = self.origin.of(record);
        let within = |value: Option<Duration>, limit: Duration| value.is_some_and(|v| v <= limit);
        let ttft_met = self.ttft.is_none_or(|limit| {
            within(
                record.first_token().and_then(|t| t.checked_sub(origin)),
                limit,
            )
        });
        let e2e_met = self.e2e.is_none_or(|limit| {
            within(record.last_byte.and_then(|t| t.checked_sub(origin)), limit)
        });
        let tpot_met = self
            .tpot
            .is_none_or(|limit| super::request::tpot(record).is_none_or(|tpot| tpot <= limit));
        ttft_met && e2e_met && tpot_met
    }
}

/// How to summarise a run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MetricsOptions {
    pub itl: ItlDefinition,
    /// The first this many requests by send time are warm-up: kept in the records, counted,
    /// and left out of every statistic.
    pub warmup_requests: usize,
    pub slo: Slo,
}

/// The metrics of one run. Every count is of measured requests (warm-up excluded) unless
/// its name says otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// Every record given, warm-up included.
    pub requests: usize,
    pub warmup_requests: usize,
    /// Warm-up requests that failed (not in `failed`).
    pub warmup_failed: usize,
    pub completed: usize,
    pub failed: usize,
    /// Measured requests the client cancelled because the run was interrupted
    /// ([`crate::timing::ErrorCause::Cancelled`]): incomplete, not failed. They are outside
    /// every count and statistic below (as GuideLLM's "incomplete" requests).
    pub cancelled: usize,
    /// Failed requests by [`crate::timing::ErrorCause::label`]; sums to `failed`.
    pub failed_by_cause: BTreeMap<String, usize>,
    /// From the earliest `sent` to the latest `finished` among measured requests, failed ones
    /// included. `None` without measured requests.
    pub duration: Option<Duration>,
    /// Prompt and completion tokens of completed requests.
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Completed requests whose record has no completion token count (they add 0 tokens).
    pub completed_without_completion_tokens: usize,
    /// Completed requests meeting every SLO threshold; `None` when no SLO is set.
    pub good_requests: Option<usize>,
    pub itl_definition: ItlDefinition,
    /// Distributions over completed requests, in milliseconds.
    pub ttft_ms: Option<Distribution>,
    pub ttft_from_schedule_ms: Option<Distribution>,
    pub e2e_ms: Option<Distribution>,
    pub e2e_from_schedule_ms: Option<Distribution>,
    pub schedule_lag_ms: Option<Distribution>,
    pub tpot_ms: Option<Distribution>,
    /// Every ITL sample of every completed request, pooled.
    pub itl_ms: Option<Distribution>,
}

impl RunMetrics {
    /// Requests measured: completed + failed.
    pub fn measured(&self) -> usize {
        self.completed + self.failed
    }

    /// `failed / measured`.
    pub fn error_rate(&self) -> Option<f64> {
        ratio(self.failed as f64, self.measured())
    }

    /// Completed requests per second of `duration`.
    pub fn request_throughput(&self) -> Option<f64> {
        self.per_second(self.completed as f64)
    }

    /// Completion tokens of completed requests per second of `duration`.
    pub fn output_token_throughput(&self) -> Option<f64> {
        self.per_second(self.completion_tokens as f64)
    }

    /// Prompt + completion tokens of completed requests per second of `duration`.
    pub fn total_token_throughput(&self) -> Option<f64> {
        self.per_second((self.prompt_tokens + self.completion_tokens) as f64)
    }

    /// Good requests per second of `duration`.
    pub fn goodput(&self) -> Option<f64> {
        self.per_second(self.good_requests? as f64)
    }

    /// `good_requests / measured`: failed requests count against it.
    pub fn good_request_fraction(&self) -> Option<f64> {
        ratio(self.good_requests? as f64, self.measured())
    }

    fn per_second(&self, amount: f64) -> Option<f64> {
        let seconds = self.duration?.as_secs_f64();
        (seconds > 0.0).then(|| amount / seconds)
    }

    /// The metrics as records: counts, rates, then one group per distribution (see
    /// [`Distribution::records`]). The ITL distribution's name says its definition:
    /// `itl_per_token_ms` or `itl_per_chunk_ms`.
    pub fn records(&self) -> Vec<MetricRecord> {
        let count = |name: &str, value: usize| MetricRecord::new(name, value as f64, Unit::Count);
        let mut records = vec![
            count("requests", self.requests),
            count("requests_warmup", self.warmup_requests),
            count("requests_warmup_failed", self.warmup_failed),
            count("requests_completed", self.completed),
            count("requests_failed", self.failed),
        ];
        if self.cancelled > 0 {
            records.push(count("requests_cancelled", self.cancelled));
        }
        for (cause, failed) in &self.failed_by_cause {
            records.push(count(&format!("requests_failed.{cause}"), *failed));
        }
        if self.completed_without_completion_tokens > 0 {
            records.push(count(
                "requests_without_completion_tokens",
                self.completed_without_completion_tokens,
            ));
        }
        let measured = self.measured() as u64;
        let optional = [
            ("error_rate", self.error_rate(), Unit::Ratio),
            (
                "duration_s",
                self.duration.map(|duration| duration.as_secs_f64()),
                Unit::Seconds,
            ),
            (
                "requests_per_second",
                self.request_throughput(),
                Unit::ItemsPerSecond,
            ),
            (
                "output_tokens_per_second",
                self.output_token_throughput(),
                Unit::TokensPerSecond,
            ),
            (
                "total_tokens_per_second",
                self.total_token_throughput(),
                Unit::TokensPerSecond,
            ),
            (
                "good_requests",
                self.good_requests.map(|good| good as f64),
                Unit::Count,
            ),
            (
                "goodput_requests_per_second",
                self.goodput(),
                Unit::ItemsPerSecond,
            ),
            (
                "good_request_fraction",
                self.good_request_fraction(),
                Unit::Ratio,
            ),
        ];
        for (name, value, unit) in optional {
            if let Some(value) = value {
                records.push(MetricRecord::new(name, value, unit).with_n(measured));
            }
        }
        records.push(MetricRecord::new(
            "prompt_tokens",
            self.prompt_tokens as f64,
            Unit::Count,
        ));
        records.push(MetricRecord::new(
            "completion_tokens",
            self.completion_tokens as f64,
            Unit::Count,
        ));
        let itl_name = format!("itl_{}_ms", self.itl_definition);
        let distributions = [
            ("ttft_ms", &self.ttft_ms),
            ("ttft_from_schedule_ms", &self.ttft_from_schedule_ms),
            ("e2e_ms", &self.e2e_ms),
            ("e2e_from_schedule_ms", &self.e2e_from_schedule_ms),
            ("schedule_lag_ms", &self.schedule_lag_ms),
            ("tpot_ms", &self.tpot_ms),
            (itl_name.as_str(), &self.itl_ms),
        ];
        for (name, distribution) in distributions {
            if let Some(distribution) = distribution {
                records.extend(distribution.records(name, Unit::Milliseconds));
            }
        }
        records
    }
}

/// Indices of `records` by send time, ties in the order given: the order that decides which
/// records are warm-up (the first `warmup_requests`).
fn send_order(records: &[RequestTiming]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&index| records[index].sent);
    order
}

/// Which of `records` are warm-up: the first `warmup_requests` by send time, ties in the
/// order given, exactly the records [`summarize_run`] leaves out of its statistics.
pub fn warmup_mask(records: &[RequestTiming], warmup_requests: usize) -> Vec<bool> {
    let mut warmup = vec![false; records.len()];
    for index in send_order(records).into_iter().take(warmup_requests) {
        warmup[index] = true;
    }
    warmup
}

fn ratio(numerator: f64, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator / denominator as f64)
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Summarises a run's records (in any order). Fails, naming the record, if one has
/// timestamps in an impossible order.
pub fn summarize_run(
    records: &[RequestTiming],
    options: &MetricsOptions,
) -> Result<RunMetrics, LoadError> {
    for (index, record) in records.iter().enumerate() {
        record
            .check()
            .map_err(|reason| LoadError::InconsistentRecord { index, reason })?;
    }
    // Warm-up is the first K by send time (ties keep the order given).
    let by_sent: Vec<&RequestTiming> = send_order(records)
        .into_iter()
        .map(|index| &records[index])
        .collect();
    let warmup_requests = options.warmup_requests.min(by_sent.len());
    let (warmup, measured) = by_sent.split_at(warmup_requests);
    let (cancelled, measured): (Vec<&RequestTiming>, Vec<&RequestTiming>) = measured
        .iter()
        .partition(|record| record.error == Some(crate::timing::ErrorCause::Cancelled));

    let mut failed_by_cause: BTreeMap<String, usize> = BTreeMap::new();
    let mut completed: Vec<&RequestTiming> = Vec::new();
    for record in &measured {
        match &record.error {
            None => completed.push(record),
            Some(cause) => *failed_by_cause.entry(cause.label()).or_default() += 1,
        }
    }
    let duration = measured
        .iter()
        .map(|record| record.finished)
        .max()
        .zip(measured.iter().map(|record| record.sent).min())
        .map(|(last_finished, first_sent)| last_finished.saturating_sub(first_sent));

    let per_request: Vec<RequestMetrics> = completed
        .iter()
        .map(|record| RequestMetrics::of(record, options.itl))
        .collect();
    let distribution = |pick: fn(&RequestMetrics) -> Option<Duration>| {
        let values: Vec<f64> = per_request
            .iter()
            .filter_map(pick)
            .map(milliseconds)
            .collect();
        Distribution::of(&values)
    };
    let itl_values: Vec<f64> = per_request
        .iter()
        .flat_map(|metrics| metrics.inter_token_latencies.iter().copied())
        .map(milliseconds)
        .collect();

    Ok(RunMetrics {
        requests: records.len(),
        warmup_requests,
        warmup_failed: warmup.iter().filter(|record| !record.succeeded()).count(),
        completed: completed.len(),
        failed: measured.len() - completed.len(),
        cancelled: cancelled.len(),
        failed_by_cause,
        duration,
        prompt_tokens: completed
            .iter()
            .filter_map(|record| record.prompt_tokens)
            .map(|tokens| tokens.count)
            .sum(),
        completion_tokens: completed
            .iter()
            .filter_map(|record| record.completion_tokens)
            .map(|tokens| tokens.count)
            .sum(),
        completed_without_completion_tokens: completed
            .iter()
            .filter(|record| record.completion_tokens.is_none())
            .count(),
        good_requests: (!options.slo.is_empty()).then(|| {
            completed
                .iter()
                .filter(|record| options.slo.is_met_by(record))
                .count()
        }),
        itl_definition: options.itl,
        ttft_ms: distribution(|metrics| metrics.ttft),
        ttft_from_schedule_ms: distribution(|metrics| metrics.ttft_from_schedule),
        e2e_ms: distribution(|metrics| metrics.e2e),
        e2e_from_schedule_ms: distribution(|metrics| metrics.e2e_from_schedule),
        schedule_lag_ms: distribution(|metrics| metrics.schedule_lag),
        tpot_ms: distribution(|metrics| metrics.tpot),
        itl_ms: Distribution::of(&itl_values),
    })
}
