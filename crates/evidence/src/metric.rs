//! Typed identifiers of the metrics decisions read, each with its unit and the direction in
//! which it is better. A metric is named once here; readers ask a unit for
//! [`ServingMetric::TtftP99`], not for the string `"ttft_ms.p99"`, so a misspelt name is a
//! compile error, and user text naming a metric is parsed once (`str::parse`, through `yardstick_core::closed_set!`)
//! with an error listing the valid names.
//!
//! The names are the ones the producers store: `yardstick_load`'s run summary, the bench's
//! resource sampler and `yardstick profile`; a test summarises a run with `yardstick_load`
//! and finds every serving metric's name among its records.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use yardstick_core::Unit;

use crate::EvidenceError;

/// Which way a metric (or a ranking criterion) improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (accuracy, throughput).
    Maximize,
    /// Lower is better (latency, cost, memory).
    Minimize,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Maximize => "maximize",
            Direction::Minimize => "minimize",
        }
    }

    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Maximize => a > b,
            Direction::Minimize => a < b,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Not a plain closed set: besides its names it accepts the aliases `max`/`higher` and
/// `min`/`lower`, which presets and users write.
impl FromStr for Direction {
    type Err = EvidenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "maximize" | "max" | "higher" => Ok(Direction::Maximize),
            "minimize" | "min" | "lower" => Ok(Direction::Minimize),
            _ => Err(EvidenceError::UnknownName {
                kind: "direction".to_string(),
                name: text.to_string(),
                valid: "maximize (max, higher), minimize (min, lower)".to_string(),
            }),
        }
    }
}

/// A per-request latency the load client records, whose samples decisions resample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    /// Time to first token.
    Ttft,
    /// Time per output token after the first.
    Tpot,
    /// End-to-end latency.
    E2e,
}

impl Latency {
    pub const ALL: [Latency; 3] = [Latency::Ttft, Latency::Tpot, Latency::E2e];

    /// The stored distribution's name: `ttft_ms`, `tpot_ms`, `e2e_ms`.
    pub fn name(self) -> &'static str {
        match self {
            Latency::Ttft => "ttft_ms",
            Latency::Tpot => "tpot_ms",
            Latency::E2e => "e2e_ms",
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A metric a bench unit stores that decisions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServingMetric {
    RequestsWarmup,
    RequestsCompleted,
    RequestsPerSecond,
    GoodputRequestsPerSecond,
    OutputTokensPerSecond,
    PromptTokens,
    CompletionTokens,
    ErrorRate,
    TtftMean,
    TtftP50,
    TtftP90,
    TtftP99,
    TpotP50,
    TpotP90,
    TpotP99,
    E2eMean,
    E2eP50,
    E2eP90,
    E2eP99,
    RssMibMax,
    GpuMemoryMibMax,
    GpuUtilPercentMean,
    EnergyPerOutputTokenMeasured,
    EnergyPerOutputTokenEstimated,
}

// The names it is stored under.
yardstick_core::closed_set!(ServingMetric, "serving metric", {
    RequestsWarmup => "requests_warmup",
    RequestsCompleted => "requests_completed",
    RequestsPerSecond => "requests_per_second",
    GoodputRequestsPerSecond => "goodput_requests_per_second",
    OutputTokensPerSecond => "output_tokens_per_second",
    PromptTokens => "prompt_tokens",
    CompletionTokens => "completion_tokens",
    ErrorRate => "error_rate",
    TtftMean => "ttft_ms.mean",
    TtftP50 => "ttft_ms.p50",
    TtftP90 => "ttft_ms.p90",
    TtftP99 => "ttft_ms.p99",
    TpotP50 => "tpot_ms.p50",
    TpotP90 => "tpot_ms.p90",
    TpotP99 => "tpot_ms.p99",
    E2eMean => "e2e_ms.mean",
    E2eP50 => "e2e_ms.p50",
    E2eP90 => "e2e_ms.p90",
    E2eP99 => "e2e_ms.p99",
    RssMibMax => "rss_mib.max",
    GpuMemoryMibMax => "gpu_memory_mib.max",
    GpuUtilPercentMean => "gpu_util_percent.mean",
    EnergyPerOutputTokenMeasured => "energy_per_output_token_j.measured",
    EnergyPerOutputTokenEstimated => "energy_per_output_token_j.estimated",
});

impl ServingMetric {
    /// The name it is stored under.
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    pub fn unit(self) -> Unit {
        use ServingMetric::*;
        match self {
            RequestsWarmup | RequestsCompleted | PromptTokens | CompletionTokens => Unit::Count,
            RequestsPerSecond | GoodputRequestsPerSecond => Unit::ItemsPerSecond,
            OutputTokensPerSecond => Unit::TokensPerSecond,
            ErrorRate => Unit::Ratio,
            TtftMean | TtftP50 | TtftP90 | TtftP99 | TpotP50 | TpotP90 | TpotP99 | E2eMean
            | E2eP50 | E2eP90 | E2eP99 => Unit::Milliseconds,
            RssMibMax | GpuMemoryMibMax => Unit::Mebibytes,
            GpuUtilPercentMean => Unit::Percent,
            EnergyPerOutputTokenMeasured | EnergyPerOutputTokenEstimated => Unit::JoulesPerToken,
        }
    }

    pub fn direction(self) -> Direction {
        use ServingMetric::*;
        match self {
            RequestsWarmup
            | RequestsCompleted
            | RequestsPerSecond
            | GoodputRequestsPerSecond
            | OutputTokensPerSecond
            | PromptTokens
            | CompletionTokens
            | GpuUtilPercentMean => Direction::Maximize,
            _ => Direction::Minimize,
        }
    }
}

/// The metrics `yardstick profile` stores per model (run-level records of kind `speed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProfileMetric {
    /// Model load time, milliseconds.
    LoadTimeMs,
    /// The process's peak resident set, bytes.
    PeakRssBytes,
    /// Prefill rate for a prompt of this many tokens, tokens/s.
    PrefillTokensPerSecond(u32),
    /// Decode rate after a prompt of this many tokens, tokens/s.
    DecodeTokensPerSecond(u32),
    /// Time to first token for a prompt of this many tokens, milliseconds.
    TimeToFirstTokenMs(u32),
}

impl ProfileMetric {
    /// The name it is stored under.
    pub fn name(self) -> String {
        match self {
            ProfileMetric::LoadTimeMs => "load_time_ms".to_string(),
            ProfileMetric::PeakRssBytes => "peak_rss_bytes".to_string(),
            ProfileMetric::PrefillTokensPerSecond(tokens) => {
                format!("prefill_tokens_per_second.prompt_{tokens}")
            }
            ProfileMetric::DecodeTokensPerSecond(tokens) => {
                format!("decode_tokens_per_second.prompt_{tokens}")
            }
            ProfileMetric::TimeToFirstTokenMs(tokens) => {
                format!("time_to_first_token_ms.prompt_{tokens}")
            }
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            ProfileMetric::LoadTimeMs | ProfileMetric::TimeToFirstTokenMs(_) => Unit::Milliseconds,
            ProfileMetric::PeakRssBytes => Unit::Bytes,
            ProfileMetric::PrefillTokensPerSecond(_) | ProfileMetric::DecodeTokensPerSecond(_) => {
                Unit::TokensPerSecond
            }
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            ProfileMetric::PrefillTokensPerSecond(_) | ProfileMetric::DecodeTokensPerSecond(_) => {
                Direction::Maximize
            }
            _ => Direction::Minimize,
        }
    }
}

/// Quality metrics, in the order a task's main metric is chosen: `acc_norm` where the task
/// has it, else `acc`, else its first quality metric.
pub const MAIN_METRIC_PREFERENCE: [&str; 2] = ["acc_norm", "acc"];

/// The eval throughput record stored beside a task's quality metrics; never a main metric.
pub const ITEMS_PER_SECOND: &str = "items_per_second";

/// Conversions between the units stored and the units decisions show.
pub mod convert {
    /// Mebibytes → gigabytes (10⁹ bytes).
    pub fn mib_to_gb(mib: f64) -> f64 {
        mib * 1024.0 * 1024.0 / 1e9
    }

    /// Bytes → mebibytes.
    pub fn bytes_to_mib(bytes: f64) -> f64 {
        bytes / (1024.0 * 1024.0)
    }

    /// A duration in milliseconds.
    pub fn milliseconds(duration: std::time::Duration) -> f64 {
        duration.as_secs_f64() * 1000.0
    }

    /// Milliseconds → seconds.
    pub fn ms_to_seconds(ms: f64) -> f64 {
        ms / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use yardstick_load::metrics::{summarize_run, MetricsOptions};
    use yardstick_load::timing::{Chunk, TokenCount, TokenCountSource};
    use yardstick_load::RequestTiming;

    use super::*;

    fn request(start_ms: u64) -> RequestTiming {
        let ms = Duration::from_millis;
        RequestTiming {
            scheduled: None,
            sent: ms(start_ms),
            first_byte: Some(ms(start_ms + 10)),
            chunks: vec![
                Chunk {
                    arrived: ms(start_ms + 10),
                    tokens: 1,
                },
                Chunk {
                    arrived: ms(start_ms + 15),
                    tokens: 1,
                },
            ],
            last_byte: Some(ms(start_ms + 16)),
            finished: ms(start_ms + 16),
            prompt_tokens: Some(TokenCount::new(8, TokenCountSource::ServerUsage)),
            completion_tokens: Some(TokenCount::new(2, TokenCountSource::ServerUsage)),
            http_status: Some(200),
            error: None,
        }
    }

    #[test]
    fn every_load_metric_name_is_one_the_run_summary_stores() {
        let records = summarize_run(
            &[request(0), request(20), request(40)],
            &MetricsOptions {
                slo: yardstick_load::metrics::Slo {
                    ttft: Some(Duration::from_millis(50)),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .expect("consistent records")
        .records();
        let resources = [
            ServingMetric::RssMibMax,
            ServingMetric::GpuMemoryMibMax,
            ServingMetric::GpuUtilPercentMean,
            ServingMetric::EnergyPerOutputTokenMeasured,
            ServingMetric::EnergyPerOutputTokenEstimated,
        ];
        for metric in &ServingMetric::ALL {
            if resources.contains(metric) {
                continue;
            }
            let stored = records
                .iter()
                .find(|record| record.name == metric.name())
                .unwrap_or_else(|| panic!("{metric} is not a stored record"));
            assert_eq!(stored.unit, metric.unit(), "{metric}");
        }
    }

    #[test]
    fn user_text_parses_or_names_the_valid_metrics() {
        assert_eq!(
            "ttft_ms.p99".parse::<ServingMetric>().expect("known"),
            ServingMetric::TtftP99
        );
        let error = "ttft_ms.p98".parse::<ServingMetric>().expect_err("unknown");
        let text = error.to_string();
        assert!(
            text.starts_with(
                "unknown serving metric `ttft_ms.p98`; valid values are: requests_warmup,"
            ),
            "{text}"
        );
        assert!(text.contains("tpot_ms.p99"), "{text}");
    }

    #[test]
    fn profile_names_and_conversions() {
        assert_eq!(
            ProfileMetric::PrefillTokensPerSecond(512).name(),
            "prefill_tokens_per_second.prompt_512"
        );
        assert_eq!(
            ProfileMetric::DecodeTokensPerSecond(128).direction(),
            Direction::Maximize
        );
        assert_eq!(ProfileMetric::PeakRssBytes.unit(), Unit::Bytes);
        assert!((convert::mib_to_gb(1000.0) - 1.048_576).abs() < 1e-12);
        assert_eq!(convert::bytes_to_mib(2.0 * 1024.0 * 1024.0), 2.0);
        assert_eq!(convert::milliseconds(Duration::from_micros(1500)), 1.5);
    }
}
