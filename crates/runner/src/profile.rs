//! `yardstick profile`: the single-user speed view of in-process models — prefill and
//! decode throughput and time to first token at several prompt lengths, model load time and
//! peak RSS. Warm-up runs are discarded; each number is the median of the measured
//! repetitions, with min and max kept as the spread.

use crate::loader::BackendLoader;
use crate::memory::{peak_rss, reset_peak_rss, PeakRssSource};
use crate::plan::{ModelSpec, ProfilePlan};
use crate::progress::ProgressSink;
use crate::RunnerError;
use std::time::Duration;
use yardstick_backend::{Backend, GenerateRequest};
use yardstick_core::stats::Summary;
use yardstick_core::{MetricRecord, Unit};

/// A natural English passage repeated to build prompts of exact token counts.
const PROMPT_TEXT: &str = "The history of measurement is the history of agreement. Merchants \
needed the same pound in every market, builders the same foot on every site, and astronomers \
the same second in every observatory. Each standard began as something local and became \
useful only when others could reproduce it, check it and trust it. ";

/// The profile of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelProfile {
    pub model: String,
    pub metrics: Vec<MetricRecord>,
}

/// Metric names used by the profile (the leaderboard reads them): `yardstick_evidence`'s
/// `ProfileMetric` identifiers, named once for the writer and the readers.
pub mod names {
    use yardstick_evidence::ProfileMetric;

    pub const LOAD_TIME_MS: &str = "load_time_ms";
    pub const PEAK_RSS_BYTES: &str = "peak_rss_bytes";

    pub fn prefill(prompt_tokens: u32) -> String {
        ProfileMetric::PrefillTokensPerSecond(prompt_tokens).name()
    }
    pub fn decode(prompt_tokens: u32) -> String {
        ProfileMetric::DecodeTokensPerSecond(prompt_tokens).name()
    }
    pub fn ttft(prompt_tokens: u32) -> String {
        ProfileMetric::TimeToFirstTokenMs(prompt_tokens).name()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_constants_are_the_evidence_names() {
            assert_eq!(LOAD_TIME_MS, ProfileMetric::LoadTimeMs.name());
            assert_eq!(PEAK_RSS_BYTES, ProfileMetric::PeakRssBytes.name());
        }
    }
}

/// Profiles every model of the plan, one after the other.
pub async fn profile_models(
    plan: &ProfilePlan,
    loader: &dyn BackendLoader,
    progress: &dyn ProgressSink,
) -> Result<Vec<ModelProfile>, RunnerError> {
    let mut profiles = Vec::with_capacity(plan.models.len());
    for model in &plan.models {
        profiles.push(profile_model(plan, model, loader, progress).await?);
    }
    Ok(profiles)
}

async fn profile_model(
    plan: &ProfilePlan,
    model: &ModelSpec,
    loader: &dyn BackendLoader,
    progress: &dyn ProgressSink,
) -> Result<ModelProfile, RunnerError> {
    let peak_resettable = reset_peak_rss();
    let mut metrics = Vec::new();

    progress.message(&format!(
        "{}: loading ({} measured loads)",
        model.name, plan.loads
    ));
    // The first load is cold (page cache) and discarded; later loads are measured.
    let mut backend = loader.load(model, &plan.engine).await?;
    let mut load_ms = Vec::new();
    for _ in 0..plan.loads {
        drop(backend);
        backend = loader.load(model, &plan.engine).await?;
        load_ms.push(duration_ms(backend.load_duration));
    }
    if let Some(summary) = Summary::of(&load_ms) {
        metrics.push(summarised(names::LOAD_TIME_MS, Unit::Milliseconds, summary));
    }
    let backend = backend.backend;

    for &prompt_tokens in &plan.prompt_tokens {
        progress.message(&format!(
            "{}: prompt of {prompt_tokens} tokens, {} warm-up + {} measured runs",
            model.name, plan.warmup, plan.repetitions
        ));
        let prompt = exact_length_prompt(backend.as_ref(), prompt_tokens).await?;
        let request = GenerateRequest {
            prompt,
            max_tokens: plan.decode_tokens,
            stop: Vec::new(),
            ignore_eos: true,
            sampling: None,
        };
        let mut prefill = Vec::new();
        let mut decode = Vec::new();
        let mut ttft = Vec::new();
        for repetition in 0..plan.warmup + plan.repetitions {
            let generation =
                backend
                    .generate(request.clone())
                    .await
                    .map_err(|source| RunnerError::Backend {
                        model: model.name.clone(),
                        source,
                    })?;
            if repetition < plan.warmup {
                continue;
            }
            let timing = generation.timing;
            prefill.push(per_second(generation.prompt_tokens, timing.prefill));
            // The first generated token comes out of the prefill; decode covers the rest.
            decode.push(per_second(
                generation.completion_tokens.saturating_sub(1),
                timing.decode,
            ));
            ttft.push(duration_ms(timing.time_to_first_token));
        }
        for (name, unit, values) in [
            (
                names::prefill(prompt_tokens),
                Unit::TokensPerSecond,
                prefill,
            ),
            (names::decode(prompt_tokens), Unit::TokensPerSecond, decode),
            (names::ttft(prompt_tokens), Unit::Milliseconds, ttft),
        ] {
            if let Some(summary) = Summary::of(&values) {
                metrics.push(summarised(&name, unit, summary));
            }
        }
    }

    let peak = peak_rss();
    if peak.source == PeakRssSource::KernelHighWaterMark {
        let mut record =
            MetricRecord::new(names::PEAK_RSS_BYTES, peak.bytes as f64, Unit::Bytes).with_n(1);
        if !peak_resettable {
            // Without a reset the peak may include earlier work in this process.
            record.name = format!("{}.process", names::PEAK_RSS_BYTES);
        }
        metrics.push(record);
    }
    Ok(ModelProfile {
        model: model.name.clone(),
        metrics,
    })
}

fn summarised(name: &str, unit: Unit, summary: Summary) -> MetricRecord {
    MetricRecord::new(name, summary.median, unit)
        .with_n(summary.count as u64)
        .with_spread(summary.min, summary.max)
}

fn duration_ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn per_second(tokens: u32, duration: Duration) -> f64 {
    let seconds = duration.as_secs_f64();
    if seconds > 0.0 {
        f64::from(tokens) / seconds
    } else {
        0.0
    }
}

/// Builds a prompt whose tokenization (BOS included where the model adds one) has exactly
/// `target` tokens, from a repeated natural passage. Detokenizing a token prefix and
/// tokenizing it again can merge or split tokens at the edge, so the length is corrected
/// a few times; an error says so if it cannot be hit exactly.
pub async fn exact_length_prompt(
    backend: &dyn Backend,
    target: u32,
) -> Result<String, RunnerError> {
    let target = target as usize;
    let bos = backend
        .tokenize("", true)
        .await
        .map_err(prompt_error)?
        .len();
    let mut text = String::new();
    let mut tokens = Vec::new();
    while tokens.len() < target + 16 {
        text.push_str(PROMPT_TEXT);
        tokens = backend.tokenize(&text, false).await.map_err(prompt_error)?;
    }
    let mut take = target.saturating_sub(bos);
    for _ in 0..16 {
        let candidate = backend
            .detokenize(&tokens[..take.min(tokens.len())])
            .await
            .map_err(prompt_error)?;
        let length = backend
            .tokenize(&candidate, true)
            .await
            .map_err(prompt_error)?
            .len();
        match length.cmp(&target) {
            std::cmp::Ordering::Equal => return Ok(candidate),
            std::cmp::Ordering::Less => take += target - length,
            std::cmp::Ordering::Greater => take = take.saturating_sub(length - target),
        }
    }
    Err(RunnerError::Profile(format!(
        "could not build a prompt of exactly {target} tokens"
    )))
}

fn prompt_error(source: yardstick_backend::BackendError) -> RunnerError {
    RunnerError::Profile(format!("building the synthetic prompt: {source}"))
}
