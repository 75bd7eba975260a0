//! A bench plan: everything one load test will do, validated, every default filled. The CLI
//! (or a later API) raises its arguments into a [`BenchPlan`] once; [`crate::Bench`] runs
//! it and never sees a flag. The mode is decided here, in [`BenchMode`], and nowhere else.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use yardstick_core::{BenchPlanRecord, TargetDescription};
use yardstick_load::{ItlDefinition, MetricsOptions, Slo};

use crate::error::BenchError;
use crate::point::LoadPoint;
use crate::scheduler::RunSettings;
use crate::slo::{SloMetric, SloObjective, SloSearch};
use crate::workload::WorkloadSpec;

/// Everything a bench will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchPlan {
    /// Which runs: explicit points, the automatic sweep or the SLO search.
    pub mode: BenchMode,
    /// Measured requests per run (after warm-up); `None` = until `duration` ends.
    pub requests: Option<usize>,
    /// No request of a run is sent later than this after the run's start.
    pub duration: Option<Duration>,
    /// Requests sent first in every run and left out of the statistics.
    pub warmup: usize,
    /// Runs per load point ([`BenchMode::Points`]) and per rate ([`BenchMode::SloSearch`]),
    /// trial `t` on arrival seed `seed + t`. The automatic sweep runs each concurrency once.
    pub trials: usize,
    /// Seeds the arrival schedules (and, through `workload`, the prompts).
    pub seed: u64,
    /// How inter-token latency is counted.
    pub itl: ItlDefinition,
    /// Latency objectives: every run's goodput counts the requests meeting them (an ITL
    /// objective bounds runs only), and the SLO search looks for the highest rate meeting
    /// them all.
    pub objectives: Vec<SloObjective>,
    /// What the requests are.
    pub workload: WorkloadSpec,
}

/// How a bench chooses its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BenchMode {
    /// Each point `trials` times, in order.
    Points { points: Vec<LoadPoint> },
    /// Closed loop at 1, 2, 4, … up to `max_concurrency`, until the target saturates.
    AutoSweep { max_concurrency: usize },
    /// Bisection for the highest open-loop rate at which every objective holds.
    SloSearch(SloSearch),
}

impl BenchPlan {
    /// Measured requests per run when neither a count nor a duration bounds it.
    pub const DEFAULT_REQUESTS: usize = 100;

    /// Distinct requests prepared per run bounded by a duration alone.
    pub const DURATION_BOUND_REQUESTS: usize = 1000;

    /// Most distinct requests prepared; longer benches send them again in a cycle.
    pub const MOST_DISTINCT_REQUESTS: usize = 10_000;

    /// Why this plan cannot run, if it cannot: every check a front end's flags may have
    /// missed, named in the plan's terms.
    pub fn validate(&self) -> Result<(), BenchError> {
        let invalid = |reason: String| Err(BenchError::Plan(reason));
        if self.trials == 0 {
            return invalid("trials must be at least 1".to_string());
        }
        match (self.requests, self.duration) {
            (Some(0), _) => return invalid("requests must be at least 1".to_string()),
            (None, None) => {
                return invalid(
                    "a run needs a bound: a number of requests, a duration, or both".to_string(),
                )
            }
            _ => {}
        }
        if self.duration.is_some_and(|duration| duration.is_zero()) {
            return invalid("the duration must be positive".to_string());
        }
        match &self.mode {
            BenchMode::Points { points } => {
                if points.is_empty() {
                    return invalid("no load point to run".to_string());
                }
                for point in points {
                    check_point(point)?;
                }
            }
            BenchMode::AutoSweep { max_concurrency } => {
                if *max_concurrency == 0 {
                    return invalid(
                        "the automatic sweep's highest concurrency must be at least 1".to_string(),
                    );
                }
            }
            BenchMode::SloSearch(search) => {
                if self.objectives.is_empty() {
                    return invalid("the SLO search needs at least one objective".to_string());
                }
                if let Some(high) = search.high {
                    check_rate(high, "the top of the search range")?;
                }
                if search.saturation_concurrency == 0 {
                    return invalid("the saturation concurrency must be at least 1".to_string());
                }
                if !(search.tolerance.is_finite() && search.tolerance >= 0.0) {
                    return invalid(format!(
                        "the search tolerance {} must be a non-negative fraction",
                        search.tolerance
                    ));
                }
            }
        }
        Ok(())
    }

    /// The settings of one run at `point`: trial `trial` shifts the arrival seed, and the
    /// run starts at request `first_request` of the workload.
    pub fn run_settings(&self, point: LoadPoint, trial: u64, first_request: usize) -> RunSettings {
        RunSettings {
            point,
            requests: self.requests,
            duration: self.duration,
            warmup: self.warmup,
            seed: self.seed.wrapping_add(trial),
            metrics: self.metrics_options(),
            first_request,
        }
    }

    /// How every run is summarised: the ITL definition, the warm-up, and each objective's
    /// limit as a per-request threshold for goodput.
    pub fn metrics_options(&self) -> MetricsOptions {
        let mut slo = Slo::default();
        for objective in &self.objectives {
            let limit = Some(Duration::from_secs_f64(objective.limit_ms / 1000.0));
            match objective.metric {
                SloMetric::Ttft => slo.ttft = limit,
                SloMetric::Tpot => slo.tpot = limit,
                SloMetric::E2e => slo.e2e = limit,
                // ITL has no per-request value; it bounds the run only.
                SloMetric::Itl => {}
            }
        }
        MetricsOptions {
            itl: self.itl,
            warmup_requests: self.warmup,
            slo,
        }
    }

    /// Runs the plan makes at most (the SLO search: its steps, the top of the range and a
    /// saturation run, each `trials` times).
    pub fn planned_runs(&self) -> usize {
        match &self.mode {
            BenchMode::Points { points } => points.len().max(1) * self.trials,
            BenchMode::AutoSweep { max_concurrency } => {
                max_concurrency.max(&1).ilog2() as usize + 1
            }
            BenchMode::SloSearch(search) => (search.steps.max(1) + 2) * self.trials,
        }
    }

    /// Distinct requests to prepare: enough for every planned run, so that no run repeats
    /// an earlier run's prompts (a server's prompt cache would answer them from memory), up
    /// to [`BenchPlan::MOST_DISTINCT_REQUESTS`].
    pub fn distinct_requests(&self) -> usize {
        self.requests
            .map_or(Self::DURATION_BOUND_REQUESTS, |requests| {
                requests + self.warmup
            })
            .saturating_mul(self.planned_runs())
            .min(Self::MOST_DISTINCT_REQUESTS)
    }

    /// The plan as its run stores it (`yardstick_core::BenchPlanRecord`, the same JSON as
    /// every earlier version wrote), with what it was run against: `target`, and whether
    /// responses were streamed.
    pub fn record(
        &self,
        target: TargetDescription,
        stream: bool,
    ) -> Result<BenchPlanRecord, BenchError> {
        let (points, sweep, search) = match &self.mode {
            BenchMode::Points { points } => (points.as_slice(), None, false),
            BenchMode::AutoSweep { .. } => (&[][..], Some("auto".to_string()), false),
            BenchMode::SloSearch(_) => (&[][..], None, true),
        };
        Ok(BenchPlanRecord {
            target: Some(target),
            workload: to_json(&self.workload)?,
            points: points.iter().map(to_json).collect::<Result<_, _>>()?,
            sweep,
            slo: self
                .objectives
                .iter()
                .map(to_json)
                .collect::<Result<_, _>>()?,
            search,
            trials: self.trials as u64,
            requests: self.requests.map(|requests| requests as u64),
            duration_s: self.duration.map(|duration| duration.as_secs_f64()),
            warmup: self.warmup as u64,
            seed: self.seed,
            itl: self.itl.as_str().to_string(),
            stream,
        })
    }

    /// The plan for a target that does (`true`) or does not honour `ignore_eos` and
    /// `min_tokens`: one that does not gets requests without them.
    pub fn with_forced_lengths(mut self, honoured: bool) -> BenchPlan {
        self.workload.ignore_eos &= honoured;
        self.workload.min_tokens &= honoured;
        self
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, BenchError> {
    serde_json::to_value(value)
        .map_err(|error| BenchError::Settings(format!("recording the plan: {error}")))
}

fn check_point(point: &LoadPoint) -> Result<(), BenchError> {
    match *point {
        LoadPoint::Concurrency { concurrency: 0 } => Err(BenchError::Plan(
            "a concurrency must be at least 1".to_string(),
        )),
        LoadPoint::Concurrency { .. } => Ok(()),
        LoadPoint::Rate { rate, .. } => check_rate(rate, "a rate"),
    }
}

fn check_rate(rate: f64, what: &str) -> Result<(), BenchError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(BenchError::Plan(format!(
            "{what} ({rate}) must be a positive number of requests per second"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{LengthDistribution, PromptSource};
    use yardstick_load::ArrivalProcess;

    fn plan(mode: BenchMode) -> BenchPlan {
        BenchPlan {
            mode,
            requests: Some(20),
            duration: None,
            warmup: 5,
            trials: 3,
            seed: 7,
            itl: ItlDefinition::PerChunk,
            objectives: vec!["ttft:p99<=500".parse().expect("valid")],
            workload: WorkloadSpec {
                prompts: PromptSource::Synthetic {
                    input: "128".parse::<LengthDistribution>().expect("valid"),
                },
                output: Some("64".parse().expect("valid")),
                ignore_eos: true,
                min_tokens: true,
                seed: 7,
            },
        }
    }

    fn search() -> SloSearch {
        SloSearch {
            process: ArrivalProcess::Poisson,
            high: None,
            saturation_concurrency: 64,
            steps: 5,
            tolerance: 0.05,
        }
    }

    fn points() -> BenchMode {
        BenchMode::Points {
            points: vec![
                LoadPoint::Concurrency { concurrency: 1 },
                LoadPoint::Concurrency { concurrency: 4 },
            ],
        }
    }

    #[test]
    fn each_mode_plans_its_runs_and_requests() {
        assert_eq!(plan(points()).planned_runs(), 6);
        assert_eq!(plan(points()).distinct_requests(), 25 * 6);
        let sweep = plan(BenchMode::AutoSweep {
            max_concurrency: 64,
        });
        // 1, 2, 4, …, 64.
        assert_eq!(sweep.planned_runs(), 7);
        let searching = plan(BenchMode::SloSearch(search()));
        assert_eq!(searching.planned_runs(), 7 * 3);
        let mut long = plan(points());
        long.requests = None;
        long.duration = Some(Duration::from_secs(60));
        assert_eq!(long.distinct_requests(), 1000 * 6);
        long.mode = BenchMode::SloSearch(search());
        assert_eq!(long.distinct_requests(), BenchPlan::MOST_DISTINCT_REQUESTS);
    }

    #[test]
    fn run_settings_carry_the_plan_with_the_trial_seed() {
        let plan = plan(points());
        let point = LoadPoint::Concurrency { concurrency: 4 };
        let settings = plan.run_settings(point, 2, 40);
        assert_eq!(settings.point, point);
        assert_eq!(settings.seed, 9);
        assert_eq!(settings.first_request, 40);
        assert_eq!((settings.requests, settings.warmup), (Some(20), 5));
        assert_eq!(settings.metrics.itl, ItlDefinition::PerChunk);
        assert_eq!(settings.metrics.warmup_requests, 5);
        assert_eq!(settings.metrics.slo.ttft, Some(Duration::from_millis(500)));
        assert_eq!(settings.metrics.slo.tpot, None);
    }

    #[test]
    fn a_plan_that_cannot_run_is_refused_with_the_reason() {
        assert!(plan(points()).validate().is_ok());
        assert!(plan(BenchMode::SloSearch(search())).validate().is_ok());
        let refused = |plan: BenchPlan, expected: &str| {
            let error = plan.validate().expect_err(expected).to_string();
            assert!(error.contains(expected), "{error}");
        };
        let mut unbounded = plan(points());
        unbounded.requests = None;
        refused(unbounded, "needs a bound");
        let mut no_trials = plan(points());
        no_trials.trials = 0;
        refused(no_trials, "trials");
        refused(
            plan(BenchMode::Points {
                points: vec![LoadPoint::Rate {
                    process: ArrivalProcess::Constant,
                    rate: -2.0,
                }],
            }),
            "a rate (-2)",
        );
        refused(
            plan(BenchMode::Points {
                points: vec![LoadPoint::Concurrency { concurrency: 0 }],
            }),
            "concurrency",
        );
        refused(plan(BenchMode::Points { points: vec![] }), "no load point");
        let mut no_objectives = plan(BenchMode::SloSearch(search()));
        no_objectives.objectives.clear();
        refused(no_objectives, "at least one objective");
    }

    #[test]
    fn the_record_is_the_json_runs_have_always_stored() {
        let target = TargetDescription {
            kind: "openai".into(),
            model: "m".into(),
            details: "http://127.0.0.1:8080/v1 completions, streaming".into(),
        };
        let mut plan = plan(points());
        plan.duration = Some(Duration::from_secs_f64(2.5));
        let record = plan.record(target.clone(), true).expect("records");
        let host = yardstick_core::Host {
            cpu: "cpu".into(),
            logical_cpus: 2,
            physical_cores: None,
            memory_gib: 7.5,
            gpus: Vec::new(),
            os: None,
        };
        let fingerprint = yardstick_core::BenchFingerprint {
            plan: record,
            host: Some(host.clone()),
            host_role: Some(yardstick_core::HostRole::Engine),
            workload_sha256: Some("digest".into()),
            tokenizer: None,
            model_sha256: Some("weights".into()),
            yardstick_version: Some("0.1.0".into()),
        };
        // What `yardstick bench` wrote before the plan and fingerprint were typed.
        let BenchMode::Points { points } = &plan.mode else {
            unreachable!("a points plan")
        };
        let before = serde_json::json!({
            "plan": {
                "target": target,
                "workload": plan.workload,
                "points": points,
                "sweep": None::<String>,
                "slo": plan.objectives,
                "search": false,
                "trials": 3,
                "requests": Some(20),
                "duration_s": Some(2.5),
                "warmup": 5,
                "seed": 7,
                "itl": "per_chunk",
                "stream": true,
            },
            "host": host,
            "host_role": "engine",
            "workload_sha256": "digest",
            "tokenizer": None::<String>,
            "model_sha256": Some("weights"),
            "yardstick_version": "0.1.0",
        });
        assert_eq!(
            serde_json::to_string(&fingerprint).expect("serialises"),
            before.to_string()
        );
        // So a run's fingerprint id is what it was.
        assert_eq!(
            fingerprint.id(),
            yardstick_core::sha256_hex(before.to_string().as_bytes())[..16]
        );
        let sweep = super::tests::plan(BenchMode::AutoSweep { max_concurrency: 8 })
            .record(target.clone(), false)
            .expect("records");
        assert_eq!(
            (sweep.points.len(), sweep.sweep.as_deref(), sweep.search),
            (0, Some("auto"), false)
        );
        let search = super::tests::plan(BenchMode::SloSearch(search()))
            .record(target, true)
            .expect("records");
        assert_eq!((search.sweep, search.search), (None, true));
    }

    #[test]
    fn a_target_that_cannot_force_lengths_gets_requests_without_them() {
        let forced = plan(points()).with_forced_lengths(true);
        assert!(forced.workload.ignore_eos && forced.workload.min_tokens);
        let unforced = plan(points()).with_forced_lengths(false);
        assert!(!unforced.workload.ignore_eos && !unforced.workload.min_tokens);
        let mut allowed = plan(points());
        allowed.workload.ignore_eos = false;
        allowed.workload.min_tokens = false;
        assert!(!allowed.with_forced_lengths(true).workload.ignore_eos);
    }
}
