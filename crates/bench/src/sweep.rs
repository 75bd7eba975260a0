//! Many runs: a list of load points, an automatic sweep from one request at a time to
//! saturation, repeated trials of a point, and the search for the highest rate that meets
//! latency objectives ([`crate::slo`]). [`Bench::execute`] runs a [`BenchPlan`]'s mode.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::LoadRequest;
use yardstick_core::stats::{mean, sample_stddev};
use yardstick_core::MetricRecord;

use crate::clock::{Clock, SystemClock};
use crate::error::BenchError;
use crate::plan::{BenchMode, BenchPlan};
use crate::point::{LoadPoint, PointResult};
use crate::resources::{ResourceSampler, SamplerConfig};
use crate::scheduler::{run_point, NoProgress, ProgressSink};
use crate::slo::{SloOutcome, SloSearch};
use crate::target::Target;

/// A target, a workload and the plan to run against them.
pub struct Bench {
    pub target: Arc<dyn Target>,
    pub workload: Arc<Vec<LoadRequest>>,
    pub plan: BenchPlan,
    pub cancel: CancellationToken,
    pub progress: Arc<dyn ProgressSink>,
    /// Sample resources during each run; `None` = do not.
    pub resources: Option<SamplerConfig>,
    /// Requests sent by the runs so far: the next run starts at this index of the workload,
    /// so consecutive runs send different prompts (a prompt cache cannot carry one run's
    /// prompts into the next) until the workload wraps around.
    pub requests_sent: AtomicUsize,
    /// Times every run ([`SystemClock`] for real targets).
    pub clock: Arc<dyn Clock>,
}

/// What a bench ran, and what its SLO search found.
#[derive(Debug, Clone)]
pub struct BenchOutcome {
    /// Every run in order (an SLO search's saturation run first, when it needed one).
    pub runs: Vec<PointResult>,
    /// The SLO search's finding; `None` in the other modes.
    pub slo: Option<SloOutcome>,
}

impl Bench {
    /// A bench of `plan` against `target`, timed by the system clock, with no progress
    /// reports, no resource sampling and a fresh cancellation token.
    pub fn new(target: Arc<dyn Target>, workload: Arc<Vec<LoadRequest>>, plan: BenchPlan) -> Bench {
        Bench {
            target,
            workload,
            plan,
            cancel: CancellationToken::new(),
            progress: Arc::new(NoProgress),
            resources: None,
            requests_sent: AtomicUsize::new(0),
            clock: Arc::new(SystemClock),
        }
    }

    /// Runs the plan's mode after checking the plan; stops early when cancelled, keeping
    /// what ran.
    pub async fn execute(&self) -> Result<BenchOutcome, BenchError> {
        self.plan.validate()?;
        match &self.plan.mode {
            BenchMode::Points { points } => Ok(BenchOutcome {
                runs: self.points(points).await?,
                slo: None,
            }),
            BenchMode::AutoSweep { max_concurrency } => Ok(BenchOutcome {
                runs: self.auto_sweep(*max_concurrency).await?,
                slo: None,
            }),
            BenchMode::SloSearch(search) => {
                let (runs, outcome) = self.slo_search(search).await?;
                Ok(BenchOutcome {
                    runs,
                    slo: Some(outcome),
                })
            }
        }
    }

    /// One run at `point`, with its resources sampled when asked; `trial` shifts the
    /// arrival seed so repeated trials draw different schedules. The progress sink hears of
    /// the result before it is returned.
    async fn run(&self, point: LoadPoint, trial: u64) -> Result<PointResult, BenchError> {
        let settings =
            self.plan
                .run_settings(point, trial, self.requests_sent.load(Ordering::Relaxed));
        let sampler = match &self.resources {
            Some(config) => Some(
                ResourceSampler::start(config.clone())
                    .map_err(|error| BenchError::Settings(error.to_string()))?,
            ),
            None => None,
        };
        let mut result = run_point(
            Arc::clone(&self.target),
            Arc::clone(&self.workload),
            &settings,
            &self.cancel,
            Arc::clone(&self.progress),
            Arc::clone(&self.clock),
        )
        .await;
        if let (Some(sampler), Ok(result)) = (sampler, result.as_mut()) {
            let report = sampler.stop();
            // The sampler saw the whole run, warm-up included, so energy per token divides
            // by every completed request's tokens.
            let tokens: u64 = result
                .timings
                .iter()
                .filter(|timing| timing.succeeded())
                .filter_map(|timing| timing.completion_tokens)
                .map(|tokens| tokens.count)
                .sum();
            result.resources = report.records(tokens);
        }
        let result = result?;
        self.requests_sent
            .fetch_add(result.timings.len(), Ordering::Relaxed);
        self.progress.point_finished(&result, trial);
        Ok(result)
    }

    /// The plan's trials of each point in order.
    async fn points(&self, points: &[LoadPoint]) -> Result<Vec<PointResult>, BenchError> {
        let mut results = Vec::new();
        for point in points {
            for trial in 0..self.plan.trials.max(1) {
                if self.cancel.is_cancelled() {
                    return Ok(results);
                }
                results.push(self.run(*point, trial as u64).await?);
            }
        }
        Ok(results)
    }

    /// Closed-loop concurrency 1, 2, 4, … up to `max_concurrency`, until the target
    /// saturates: output token throughput grows by less than `SATURATION_GAIN` over the
    /// previous point, or more than `SATURATION_ERRORS` of requests fail.
    async fn auto_sweep(&self, max_concurrency: usize) -> Result<Vec<PointResult>, BenchError> {
        let mut results: Vec<PointResult> = Vec::new();
        let mut concurrency = 1;
        while concurrency <= max_concurrency.max(1) && !self.cancel.is_cancelled() {
            let result = self.run(LoadPoint::Concurrency { concurrency }, 0).await?;
            let throughput = result.metrics.output_token_throughput().unwrap_or(0.0);
            let errors = result.metrics.error_rate().unwrap_or(0.0);
            let previous = results
                .last()
                .and_then(|last| last.metrics.output_token_throughput());
            results.push(result);
            let saturated =
                previous.is_some_and(|previous| throughput < previous * (1.0 + SATURATION_GAIN));
            if saturated || errors > SATURATION_ERRORS {
                break;
            }
            concurrency *= 2;
        }
        Ok(results)
    }

    /// Bisection for the highest open-loop rate at which every objective of the plan holds
    /// in every trial. See [`SloSearch`].
    async fn slo_search(
        &self,
        search: &SloSearch,
    ) -> Result<(Vec<PointResult>, SloOutcome), BenchError> {
        let objectives = &self.plan.objectives;
        if objectives.is_empty() {
            return Err(BenchError::Settings(
                "the SLO search needs at least one objective (--slo)".to_string(),
            ));
        }
        let mut runs = Vec::new();
        let high = match search.high {
            Some(high) => high,
            None => {
                // The rate the target completes requests at when it is saturated bounds
                // every rate it can sustain.
                let saturated = self
                    .run(
                        LoadPoint::Concurrency {
                            concurrency: search.saturation_concurrency,
                        },
                        0,
                    )
                    .await?;
                let rate = saturated.metrics.request_throughput().unwrap_or(0.0);
                runs.push(saturated);
                if rate.is_nan() || rate <= 0.0 {
                    return Err(BenchError::Settings(
                        "no request completed at saturation, so there is no rate to search"
                            .to_string(),
                    ));
                }
                rate * 1.2
            }
        };
        let mut low = 0.0_f64;
        let mut high = high;
        let mut best: Option<f64> = None;
        // First the top of the range: when it holds, there is nothing to bisect.
        let mut rate = high;
        for _ in 0..search.steps.max(1) + 1 {
            if self.cancel.is_cancelled() {
                break;
            }
            let point = LoadPoint::Rate {
                process: search.process,
                rate,
            };
            let mut held = true;
            for trial in 0..self.plan.trials.max(1) {
                let result = self.run(point, trial as u64).await?;
                held &= objectives.iter().all(|slo| slo.holds(&result.metrics));
                runs.push(result);
                if !held {
                    break;
                }
            }
            if held {
                best = Some(rate);
                low = rate;
                if rate >= high {
                    break;
                }
            } else {
                high = rate;
            }
            if high - low <= search.tolerance * high {
                break;
            }
            rate = (low + high) / 2.0;
        }
        let outcome = SloOutcome {
            best_rate: best,
            lowest_failing_rate: (best != Some(high)).then_some(high),
        };
        Ok((runs, outcome))
    }
}

/// Output throughput must grow by at least this fraction per doubling of concurrency.
pub const SATURATION_GAIN: f64 = 0.10;
/// More failed requests than this fraction ends an automatic sweep.
pub const SATURATION_ERRORS: f64 = 0.05;

/// Metric records across repeated trials of one point: for each metric every trial has, the
/// mean over trials with the standard error of that mean (`std / sqrt(trials)`), `n` =
/// trials and the trials' min and max. A 95% interval is `mean ± t(n-1) · stderr`.
pub fn across_trials(trials: &[PointResult]) -> Vec<MetricRecord> {
    let per_trial: Vec<Vec<MetricRecord>> =
        trials.iter().map(|trial| trial.metrics.records()).collect();
    let Some(first) = per_trial.first() else {
        return Vec::new();
    };
    let mut records = Vec::new();
    for template in first {
        let values: Vec<f64> = per_trial
            .iter()
            .filter_map(|records| {
                records
                    .iter()
                    .find(|record| record.name == template.name)
                    .map(|record| record.value)
            })
            .collect();
        if values.len() != per_trial.len() {
            continue;
        }
        let Some(average) = mean(&values) else {
            continue;
        };
        let mut record = MetricRecord::new(template.name.clone(), average, template.unit)
            .with_n(values.len() as u64)
            .with_spread(
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
        if let Some(std) = sample_stddev(&values) {
            record = record.with_stderr(std / (values.len() as f64).sqrt());
        }
        records.push(record);
    }
    records
}
