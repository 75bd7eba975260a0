//! What a `bench` run records of itself: its plan ([`BenchPlanRecord`], stored as the run's
//! `plan`) and its fingerprint ([`BenchFingerprint`], the run's `fingerprint`: the plan, the
//! measuring machine, the workload's digest, the tokenizer, the model and the version).
//!
//! These are the stored shapes, read back by whatever decides on bench runs without
//! depending on the bench itself. Their JSON keys are the ones every stored run has, in the
//! order they were always written, so a fingerprint id ([`BenchFingerprint::id`]) is the
//! same for the same settings as in earlier versions. Every field has a default, so rows
//! written before a field existed (runs without `host` and `host_role`, test fixtures with
//! an empty fingerprint) still read: what they lack is `None`, empty or zero.
//!
//! The parts whose types belong to the bench (the workload specification, load points, SLO
//! objectives) are kept as the JSON the bench wrote; `yardstick_bench` reads them back into
//! its own types.

use serde::{Deserialize, Serialize};

use crate::fingerprint::short_hash;
use crate::host::Host;

/// What a load-test target is, for reports and the run fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetDescription {
    /// `openai` or `in-process`.
    pub kind: String,
    /// The model as the results name it (served model name, or the in-process model's name).
    pub model: String,
    /// Everything else that decides what is measured: URL and API, streaming, engine
    /// settings.
    pub details: String,
}

/// What the machine in [`BenchFingerprint::host`] did in the measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostRole {
    /// It ran the in-process engine: every measured resource is the target's.
    #[serde(rename = "engine")]
    Engine,
    /// It ran the load client against an endpoint, which may be served from elsewhere.
    #[serde(rename = "client (the server may run elsewhere)")]
    Client,
}

/// A bench run's plan as stored (the run's `plan`, and `plan` in its fingerprint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchPlanRecord {
    /// What was measured; `None` only in rows without it.
    pub target: Option<TargetDescription>,
    /// The workload specification (`yardstick_bench::workload::WorkloadSpec` as JSON:
    /// `prompts` with its `kind`, `output`, `ignore_eos`, `min_tokens`, `seed`).
    pub workload: serde_json::Value,
    /// The explicit load points (`yardstick_bench::LoadPoint` as JSON); empty for the
    /// automatic sweep and the SLO search.
    pub points: Vec<serde_json::Value>,
    /// `auto` for the automatic sweep.
    pub sweep: Option<String>,
    /// The latency objectives (`yardstick_bench::SloObjective` as JSON:
    /// `metric`, `statistic`, `limit_ms`).
    pub slo: Vec<serde_json::Value>,
    /// Whether the run was the SLO search.
    pub search: bool,
    /// Runs per load point (per rate in the SLO search).
    pub trials: u64,
    /// Measured requests per run; `None` = bounded by `duration_s` alone.
    pub requests: Option<u64>,
    pub duration_s: Option<f64>,
    /// Warm-up requests per run.
    pub warmup: u64,
    pub seed: u64,
    /// The inter-token latency definition: `per_token` or `per_chunk`.
    pub itl: String,
    /// Whether responses were streamed.
    pub stream: bool,
}

/// A bench run's fingerprint as stored: what decides what it measured and where.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchFingerprint {
    pub plan: BenchPlanRecord,
    /// The machine that measured: for an endpoint the client's ([`HostRole::Client`]).
    /// `None` in runs stored before it was recorded.
    pub host: Option<Host>,
    pub host_role: Option<HostRole>,
    /// sha256 over every request of the workload as sent.
    pub workload_sha256: Option<String>,
    /// The tokenizer's identity, when one counted tokens.
    pub tokenizer: Option<String>,
    /// The in-process model's sha256 (a served model's weights are not known).
    pub model_sha256: Option<String>,
    pub yardstick_version: Option<String>,
}

impl BenchFingerprint {
    /// A short, stable identifier: the first 16 hex digits of the sha256 of the JSON form.
    pub fn id(&self) -> String {
        short_hash(self)
    }

    /// Reads a stored fingerprint, old shapes included (missing fields take their
    /// defaults).
    pub fn from_json(value: &serde_json::Value) -> Result<BenchFingerprint, serde_json::Error> {
        BenchFingerprint::deserialize(value)
    }
}

impl BenchPlanRecord {
    /// Reads a stored plan, old shapes included (missing fields take their defaults).
    pub fn from_json(value: &serde_json::Value) -> Result<BenchPlanRecord, serde_json::Error> {
        BenchPlanRecord::deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host() -> Host {
        Host {
            cpu: "AMD EPYC 7R13".into(),
            logical_cpus: 8,
            physical_cores: Some(4),
            memory_gib: 31.25,
            gpus: Vec::new(),
            os: None,
        }
    }

    fn fingerprint() -> BenchFingerprint {
        BenchFingerprint {
            plan: BenchPlanRecord {
                target: Some(TargetDescription {
                    kind: "openai".into(),
                    model: "m".into(),
                    details: "http://127.0.0.1:8080/v1 completions, streaming".into(),
                }),
                workload: json!({"prompts": {"kind": "dataset", "path": "a.jsonl"}, "ignore_eos": true, "min_tokens": true, "seed": 0}),
                points: vec![json!({"mode": "concurrency", "concurrency": 1})],
                sweep: None,
                slo: vec![json!({"metric": "ttft", "statistic": "p99", "limit_ms": 500.0})],
                search: false,
                trials: 2,
                requests: Some(100),
                duration_s: None,
                warmup: 10,
                seed: 0,
                itl: "per_token".into(),
                stream: true,
            },
            host: Some(host()),
            host_role: Some(HostRole::Client),
            workload_sha256: Some("abc".into()),
            tokenizer: None,
            model_sha256: None,
            yardstick_version: Some("0.1.0".into()),
        }
    }

    #[test]
    fn the_json_has_the_keys_and_order_runs_always_had() {
        let value = serde_json::to_value(fingerprint()).expect("serialises");
        let keys: Vec<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "plan",
                "host",
                "host_role",
                "workload_sha256",
                "tokenizer",
                "model_sha256",
                "yardstick_version"
            ]
        );
        let plan: Vec<&str> = value["plan"]
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            plan,
            [
                "target",
                "workload",
                "points",
                "sweep",
                "slo",
                "search",
                "trials",
                "requests",
                "duration_s",
                "warmup",
                "seed",
                "itl",
                "stream"
            ]
        );
        assert_eq!(
            value["host_role"],
            json!("client (the server may run elsewhere)")
        );
        assert_eq!(value["plan"]["workload"]["prompts"]["kind"], "dataset");
        assert_eq!(value["host"]["logical_cpus"], 8);
    }

    #[test]
    fn it_round_trips_and_its_id_follows_its_content() {
        let value = serde_json::to_value(fingerprint()).expect("serialises");
        let read = BenchFingerprint::from_json(&value).expect("reads");
        assert_eq!(read, fingerprint());
        assert_eq!(read.id(), fingerprint().id());
        assert_eq!(read.id().len(), 16);
        let mut other = fingerprint();
        other.plan.seed = 1;
        assert_ne!(other.id(), fingerprint().id());
    }

    #[test]
    fn rows_of_earlier_versions_read_with_what_they_lack_as_none() {
        // The shape written before the host was recorded.
        let old = json!({
            "plan": {
                "target": {"kind": "in-process", "model": "gemma", "details": "llama.cpp"},
                "workload": {"prompts": {"kind": "synthetic", "input": "128"}, "output": "64", "ignore_eos": true, "min_tokens": true, "seed": 0},
                "points": [],
                "sweep": "auto",
                "slo": [],
                "search": false,
                "trials": 1,
                "requests": 100,
                "duration_s": null,
                "warmup": 10,
                "seed": 0,
                "itl": "per_token",
                "stream": true
            },
            "workload_sha256": "d1",
            "tokenizer": "gguf:abc",
            "model_sha256": "m1",
            "yardstick_version": "0.1.0"
        });
        let read = BenchFingerprint::from_json(&old).expect("an old row reads");
        assert_eq!(read.host, None);
        assert_eq!(read.host_role, None);
        assert_eq!(read.plan.sweep.as_deref(), Some("auto"));
        assert_eq!(read.plan.requests, Some(100));
        assert_eq!(read.model_sha256.as_deref(), Some("m1"));
        // A fixture's empty fingerprint: everything unknown.
        let empty = BenchFingerprint::from_json(&json!({})).expect("an empty row reads");
        assert_eq!(empty, BenchFingerprint::default());
        assert_eq!(
            BenchPlanRecord::from_json(&json!({"workload": {"seed": 3}}))
                .expect("a partial plan reads")
                .workload["seed"],
            3
        );
    }

    #[test]
    fn a_malformed_field_is_an_error() {
        let error = BenchFingerprint::from_json(&json!({"host_role": "server"}))
            .expect_err("an unknown role");
        assert!(error.to_string().contains("server"), "{error}");
    }
}
