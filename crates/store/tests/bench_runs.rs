//! Bench runs read back typed: the fingerprint and plan of a run stored now, of a run stored
//! before the measuring machine was recorded, and of a fixture with an empty fingerprint.

mod common;

use common::{at, new_run};
use serde_json::json;
use yardstick_core::{BenchFingerprint, BenchPlanRecord, Host, HostRole, TargetDescription};
use yardstick_store::{NewRun, RunKind, Store, StoreError};

fn fingerprint() -> BenchFingerprint {
    BenchFingerprint {
        plan: BenchPlanRecord {
            target: Some(TargetDescription {
                kind: "in-process".into(),
                model: "gemma".into(),
                details: "llama.cpp b1, threads 2".into(),
            }),
            workload: json!({"prompts": {"kind": "synthetic", "input": 128}, "output": 64, "ignore_eos": true, "min_tokens": true, "seed": 0}),
            points: vec![json!({"mode": "concurrency", "concurrency": 4})],
            sweep: None,
            slo: Vec::new(),
            search: false,
            trials: 1,
            requests: Some(100),
            duration_s: None,
            warmup: 10,
            seed: 0,
            itl: "per_token".into(),
            stream: true,
        },
        host: Some(Host {
            cpu: "AMD EPYC 7R13".into(),
            logical_cpus: 8,
            physical_cores: Some(4),
            memory_gib: 31.0,
            gpus: vec!["NVIDIA A10G".into()],
            os: Some("Debian GNU/Linux 12".into()),
        }),
        host_role: Some(HostRole::Engine),
        workload_sha256: Some("w".into()),
        tokenizer: Some("gguf:t".into()),
        model_sha256: Some("m".into()),
        yardstick_version: Some("0.1.0".into()),
    }
}

#[tokio::test]
async fn a_bench_run_reads_back_its_typed_fingerprint_and_plan() {
    let store = Store::open_in_memory().await.expect("open");
    let new = NewRun::bench("b1".into(), at(5), &fingerprint()).expect("encodes");
    assert_eq!(new.fingerprint_id, fingerprint().id());
    store.create_run(&new).await.expect("create");
    let run = store.run("b1").await.expect("read").expect("exists");
    assert_eq!(run.kind, RunKind::Bench);
    // The untyped readers' keys are where they always were.
    assert_eq!(run.plan["workload"]["prompts"]["kind"], "synthetic");
    assert_eq!(run.fingerprint["host"]["cpu"], "AMD EPYC 7R13");
    assert_eq!(run.fingerprint["plan"], run.plan);
    assert_eq!(run.bench_fingerprint().expect("reads"), Some(fingerprint()));
    assert_eq!(run.bench_plan().expect("reads"), Some(fingerprint().plan));
}

#[tokio::test]
async fn bench_runs_stored_by_earlier_versions_still_read() {
    let store = Store::open_in_memory().await.expect("open");
    // As `yardstick bench` wrote it before it recorded the measuring machine.
    let plan = json!({
        "target": {"kind": "openai", "model": "served", "details": "http://127.0.0.1:8080/v1 completions, streaming"},
        "workload": {"prompts": {"kind": "dataset", "path": "prompts.jsonl"}, "ignore_eos": false, "min_tokens": false, "seed": 0},
        "points": [{"mode": "rate", "process": "poisson", "rate": 2.0}],
        "sweep": null,
        "slo": [{"metric": "ttft", "statistic": "p99", "limit_ms": 500.0}],
        "search": false,
        "trials": 2,
        "requests": null,
        "duration_s": 30.0,
        "warmup": 10,
        "seed": 0,
        "itl": "per_chunk",
        "stream": true
    });
    let old = json!({
        "plan": plan,
        "workload_sha256": "w",
        "tokenizer": null,
        "model_sha256": null,
        "yardstick_version": "0.1.0"
    });
    store
        .create_run(&NewRun {
            run_id: "old".into(),
            kind: RunKind::Bench,
            created_at: at(1),
            plan: plan.clone(),
            fingerprint: old,
            fingerprint_id: "0123456789abcdef".into(),
        })
        .await
        .expect("create");
    let run = store.run("old").await.expect("read").expect("exists");
    let read = run
        .bench_fingerprint()
        .expect("an old row reads")
        .expect("a bench run");
    assert_eq!((read.host, read.host_role), (None, None));
    assert_eq!(read.model_sha256, None);
    assert_eq!(read.workload_sha256.as_deref(), Some("w"));
    assert_eq!(read.plan.duration_s, Some(30.0));
    assert_eq!(read.plan.requests, None);
    assert_eq!(read.plan.trials, 2);
    assert_eq!(read.plan.slo[0]["limit_ms"], 500.0);
    assert_eq!(
        read.plan.target.map(|target| target.kind).as_deref(),
        Some("openai")
    );

    // A fixture's bench run with empty JSON: everything unknown, nothing fails.
    store
        .create_run(&NewRun {
            run_id: "fixture".into(),
            kind: RunKind::Bench,
            created_at: at(2),
            plan: json!({}),
            fingerprint: json!({}),
            fingerprint_id: "fp".into(),
        })
        .await
        .expect("create");
    let fixture = store.run("fixture").await.expect("read").expect("exists");
    assert_eq!(
        fixture.bench_fingerprint().expect("reads"),
        Some(BenchFingerprint::default())
    );
    assert_eq!(
        fixture.bench_plan().expect("reads"),
        Some(BenchPlanRecord::default())
    );

    // Another kind of run has no bench fingerprint.
    store
        .create_run(&new_run("eval", RunKind::Eval, "fp-eval", 3))
        .await
        .expect("create");
    let eval = store.run("eval").await.expect("read").expect("exists");
    assert_eq!(eval.bench_fingerprint().expect("not a bench run"), None);
}

#[tokio::test]
async fn a_malformed_bench_fingerprint_is_an_error_naming_the_run() {
    let store = Store::open_in_memory().await.expect("open");
    store
        .create_run(&NewRun {
            run_id: "bad".into(),
            kind: RunKind::Bench,
            created_at: at(1),
            plan: json!({}),
            fingerprint: json!({"host_role": "the moon", "plan": {"trials": "many"}}),
            fingerprint_id: "fp".into(),
        })
        .await
        .expect("create");
    let run = store.run("bad").await.expect("read").expect("exists");
    let error = run.bench_fingerprint().expect_err("malformed");
    assert!(matches!(error, StoreError::Json { .. }), "{error}");
    assert!(error.to_string().contains("run bad"), "{error}");
}
