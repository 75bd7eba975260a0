//! In-memory evidence for tests of decisions: the runs, units and results that
//! `yardstick_evidence` reads from the store, built directly with fixed, readable defaults
//! so a test of `yardstick_decide` needs no store and names only what it is about.
//!
//! ```
//! use yardstick_test_support::evidence::{bench_unit, eval_unit};
//!
//! let unit = eval_unit("gemma", "arc_easy", &[1.0, 0.0, 1.0, 1.0]);
//! assert_eq!((unit.metric.name.as_str(), unit.metric.value), ("acc", 0.75));
//! assert_eq!(unit.items.len(), 4);
//!
//! // 2 req/s of 100 prompt and 50 completion tokens, prefill a fifth of each request.
//! let point = bench_unit("gemma", "c=1#0", &[]);
//! assert_eq!(point.request_rate(), Some((2.0, "completed requests")));
//! assert_eq!(point.tokens_per_request(), Some((100.0, 50.0)));
//! assert_eq!(point.prefill_share(), Some(0.2));
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use yardstick_core::stats::mean_stderr;
use yardstick_core::{Fingerprint, MetricRecord, Unit};
use yardstick_evidence::{BenchUnit, EvalUnit, ServingMetric};
use yardstick_store::{NewRun, NewRunUnit, Run, RunKind, RunUnit, Status};

use crate::fingerprint::fingerprint;

/// `2026-01-01 00:00:00 UTC` plus `seconds`: the time every builder here starts from, so
/// that "newer" is a larger offset.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("2026-01-01 00:00:00 is a valid UTC time")
        + Duration::seconds(seconds)
}

/// A complete unit of run `run` with id 1, 100 of 100 items, started and finished at
/// [`at(0)`](at); its model and task are the fingerprint's.
pub fn run_unit(fingerprint: Fingerprint) -> RunUnit {
    RunUnit {
        unit_id: 1,
        run_id: "run".into(),
        model: fingerprint.model.clone(),
        task: fingerprint.task.task.clone(),
        fingerprint_id: fingerprint.id(),
        fingerprint,
        items_total: 100,
        items_completed: 100,
        status: Status::Complete,
        started_at: at(0),
        finished_at: Some(at(0)),
        deployment_id: None,
    }
}

/// An eval unit of `model` on `task` (the default [`fingerprint`]) whose main metric is
/// `acc` with these per-item values: their mean, its standard error (sample standard
/// deviation / √n, as lm-eval reports it) and n.
pub fn eval_unit(model: &str, task: &str, items: &[f64]) -> EvalUnit {
    eval_unit_from(fingerprint(model, task).build(), items)
}

/// [`eval_unit`] with the fingerprint given (its model and task name the unit).
pub fn eval_unit_from(fingerprint: Fingerprint, items: &[f64]) -> EvalUnit {
    let mean = items.iter().sum::<f64>() / items.len().max(1) as f64;
    let mut metric = MetricRecord::new("acc", mean, Unit::Ratio).with_n(items.len() as u64);
    if let Some(stderr) = mean_stderr(items) {
        metric = metric.with_stderr(stderr);
    }
    EvalUnit {
        unit: run_unit(fingerprint),
        metric,
        items: items
            .iter()
            .enumerate()
            .map(|(index, value)| (index as u64, *value))
            .collect::<BTreeMap<u64, f64>>(),
    }
}

/// The metric records a [`bench_unit`] has unless a test replaces them: 10 completed
/// requests at 2 req/s of 100 prompt and 50 completion tokens each, mean TTFT 20 ms of a
/// 100 ms end-to-end latency (a prefill share of 0.2).
pub const BENCH_DEFAULTS: [(&str, f64); 6] = [
    ("requests_completed", 10.0),
    ("requests_per_second", 2.0),
    ("prompt_tokens", 1000.0),
    ("completion_tokens", 500.0),
    ("ttft_ms.mean", 20.0),
    ("e2e_ms.mean", 100.0),
];

/// Metric records by name, each with its serving metric's unit (a scalar for other names).
pub fn records(values: &[(&str, f64)]) -> Vec<MetricRecord> {
    values
        .iter()
        .map(|(name, value)| {
            let unit = name
                .parse::<ServingMetric>()
                .map_or(Unit::Scalar, ServingMetric::unit);
            MetricRecord::new(*name, *value, unit)
        })
        .collect()
}

/// A bench unit of `model` at load point `point` (`c=4#0`; its task is `bench:c=4#0`, its
/// fingerprint the default one of that task): the [`BENCH_DEFAULTS`] with `values` added or
/// replacing them, sorted by name; measured latency samples TTFT 10, 20, 30 ms, TPOT 5, 6,
/// 7 ms, E2E 100, 110, 120 ms; a synthetic workload.
pub fn bench_unit(model: &str, point: &str, values: &[(&str, f64)]) -> BenchUnit {
    bench_unit_from(
        fingerprint(model, &format!("bench:{point}")).build(),
        point,
        values,
    )
}

/// [`bench_unit`] with the fingerprint given (its model and task name the unit).
pub fn bench_unit_from(fingerprint: Fingerprint, point: &str, values: &[(&str, f64)]) -> BenchUnit {
    let defaults = BENCH_DEFAULTS
        .iter()
        .filter(|(name, _)| !values.iter().any(|(given, _)| given == name));
    let mut merged: Vec<(&str, f64)> = defaults.chain(values).copied().collect();
    merged.sort_by(|a, b| a.0.cmp(b.0));
    BenchUnit {
        unit: run_unit(fingerprint),
        point: point.to_string(),
        metrics: records(&merged),
        ttft_ms: vec![10.0, 20.0, 30.0],
        tpot_ms: vec![5.0, 6.0, 7.0],
        e2e_ms: vec![100.0, 110.0, 120.0],
        workload: serde_json::json!({ "prompts": { "kind": "synthetic" } }),
    }
}

/// A complete run `run_id` of `kind` created at [`at(seconds)`](at) and finished a minute
/// later, with an empty plan and fingerprint (`{}`) and fingerprint id `fp-{run_id}`.
pub fn run(run_id: &str, kind: RunKind, seconds: i64) -> Run {
    Run {
        run_id: run_id.to_string(),
        kind,
        status: Status::Complete,
        created_at: at(seconds),
        finished_at: Some(at(seconds + 60)),
        plan: serde_json::json!({}),
        fingerprint: serde_json::json!({}),
        fingerprint_id: format!("fp-{run_id}"),
    }
}

/// The [`NewRun`] that stores [`run`]'s run (status `running` until a test sets it).
pub fn new_run(run_id: &str, kind: RunKind, seconds: i64) -> NewRun {
    let run = run(run_id, kind, seconds);
    NewRun {
        run_id: run.run_id,
        kind: run.kind,
        created_at: run.created_at,
        plan: run.plan,
        fingerprint: run.fingerprint,
        fingerprint_id: run.fingerprint_id,
    }
}

/// A unit of run `run_id` to store, with 100 items to do, started at [`at(0)`](at); its
/// model and task are the fingerprint's.
pub fn new_unit(run_id: &str, fingerprint: Fingerprint) -> NewRunUnit {
    NewRunUnit {
        run_id: run_id.to_string(),
        model: fingerprint.model.clone(),
        task: fingerprint.task.task.clone(),
        fingerprint,
        items_total: 100,
        started_at: at(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eval_unit_has_the_mean_its_stderr_and_the_items() {
        let unit = eval_unit("m", "arc_easy", &[1.0, 0.0, 1.0, 0.0]);
        // Mean 0.5; sample variance (4 · 0.25) / 3 = 1/3; s.e. √(1/3) / 2 = 0.288675.
        assert_eq!(unit.metric.value, 0.5);
        let stderr = unit.metric.stderr.expect("four items have a stderr");
        assert!(
            (stderr - (1.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12,
            "{stderr}"
        );
        assert_eq!(unit.metric.n, Some(4));
        assert_eq!(unit.items.get(&2), Some(&1.0));
        assert_eq!(
            (unit.unit.model.as_str(), unit.unit.task.as_str()),
            ("m", "arc_easy")
        );
        assert_eq!(unit.unit.fingerprint_id, unit.unit.fingerprint.id());
    }

    #[test]
    fn a_bench_unit_merges_the_defaults_with_the_values_given() {
        let unit = bench_unit(
            "m",
            "c=4#0",
            &[("requests_per_second", 3.0), ("ttft_ms.p99", 40.0)],
        );
        assert_eq!(unit.unit.task, "bench:c=4#0");
        assert_eq!(unit.value(ServingMetric::RequestsPerSecond), Some(3.0));
        assert_eq!(unit.value(ServingMetric::TtftP99), Some(40.0));
        assert_eq!(
            unit.metric(ServingMetric::TtftP99)
                .map(|record| record.unit),
            Some(Unit::Milliseconds)
        );
        let names: Vec<&str> = unit
            .metrics
            .iter()
            .map(|record| record.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "completion_tokens",
                "e2e_ms.mean",
                "prompt_tokens",
                "requests_completed",
                "requests_per_second",
                "ttft_ms.mean",
                "ttft_ms.p99"
            ]
        );
    }

    #[test]
    fn runs_are_ordered_by_their_offset() {
        let older = run("a", RunKind::Eval, 0);
        let newer = new_run("b", RunKind::Bench, 10);
        assert!(older.created_at < newer.created_at);
        assert_eq!(newer.fingerprint_id, "fp-b");
        assert_eq!(older.finished_at, Some(at(60)));
    }
}
