//! Deployments: matched by identity, named, listed, attached to units, and derived for the
//! units of a database written before they existed.

mod common;

use common::{at, new_run, new_unit};
use sqlx::{Connection, SqliteConnection};
use std::borrow::Cow;
use yardstick_core::deployment::{Hardware, ModelIdentity, ServingSettings};
use yardstick_core::{Deployment, EngineKind, Host};
use yardstick_store::{RunKind, Store, StoreError};

fn local(parallel: u32) -> Deployment {
    Deployment::in_process(
        "gemma",
        &"ab".repeat(32),
        "b6000 [AVX2 = 1]",
        Some("Q4_K_M".into()),
        Hardware::detected(&Host {
            cpu: "Golden CPU".into(),
            logical_cpus: 2,
            physical_cores: Some(1),
            memory_gib: 24.0,
            gpus: Vec::new(),
            os: None,
        }),
        ServingSettings {
            parallel: Some(parallel),
            context_tokens: Some(4096),
            batch_tokens: Some(512),
            threads: Some(2),
            scheme: None,
        },
    )
}

fn served() -> Deployment {
    Deployment::served(
        "qwen",
        "qwen",
        "http://127.0.0.1:8000/v1/",
        Some("vllm/0.6.3"),
        Hardware::described("1x H100 80GB"),
    )
}

#[tokio::test]
async fn a_deployment_is_created_once_and_matched_by_identity() {
    let store = Store::open_in_memory().await.expect("open");
    let first = store
        .deployment_for(&local(4), None, at(0))
        .await
        .expect("create");
    assert_eq!(first.deployment_id, local(4).id());
    assert_eq!(
        first.name,
        "gemma Q4_K_M · llamacpp b6000 · Golden CPU · 24 GiB"
    );
    assert_eq!(first.identity, local(4));
    assert_eq!(first.created_at, at(0));

    let mut relabelled = local(4);
    relabelled.model_label = "gemma-renamed".into();
    let again = store
        .deployment_for(&relabelled, None, at(10))
        .await
        .expect("match");
    assert_eq!(
        again, first,
        "the same identity matches, whatever the label"
    );

    // Another slot count: another deployment, whose default name is taken.
    let other = store
        .deployment_for(&local(1), None, at(20))
        .await
        .expect("create another");
    assert_ne!(other.deployment_id, first.deployment_id);
    assert_eq!(other.name, local(1).unique_name());
    assert_eq!(store.deployments().await.expect("list").len(), 2);
}

#[tokio::test]
async fn a_given_name_names_the_deployment_and_a_taken_name_is_refused() {
    let store = Store::open_in_memory().await.expect("open");
    let named = store
        .deployment_for(&served(), Some("prod-qwen"), at(0))
        .await
        .expect("create named");
    assert_eq!(named.name, "prod-qwen");
    assert_eq!(
        named.identity.model,
        ModelIdentity::Served {
            served_model: "qwen".into(),
            base_url: "http://127.0.0.1:8000/v1".into()
        }
    );
    assert_eq!(named.identity.engine.kind, EngineKind::OpenAiCompatible);

    // Matching without a name keeps the name; with a new one renames.
    let matched = store
        .deployment_for(&served(), None, at(1))
        .await
        .expect("match");
    assert_eq!(matched.name, "prod-qwen");
    let renamed = store
        .deployment_for(&served(), Some("qwen-h100"), at(2))
        .await
        .expect("rename");
    assert_eq!(renamed.name, "qwen-h100");
    assert!(store.deployment("prod-qwen").await.expect("read").is_none());

    let error = store
        .deployment_for(&local(4), Some("qwen-h100"), at(3))
        .await
        .expect_err("the name belongs to another deployment");
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(&served().id()), "{message}");
    assert!(message.contains(&local(4).id()), "{message}");
    assert!(message.contains("qwen-h100"), "{message}");

    store
        .rename_deployment("qwen-h100", "qwen-prod")
        .await
        .expect("rename by name");
    let read = store
        .deployment(&served().id())
        .await
        .expect("read by id")
        .expect("present");
    assert_eq!(read.name, "qwen-prod");
}

#[tokio::test]
async fn units_attach_to_deployments_and_summaries_count_them() {
    let store = Store::open_in_memory().await.expect("open");
    store
        .create_run(&new_run("eval-1", RunKind::Eval, "f1", 0))
        .await
        .expect("eval run");
    store
        .create_run(&new_run("bench-1", RunKind::Bench, "f2", 10))
        .await
        .expect("bench run");
    let eval_unit = store
        .create_unit(&new_unit("eval-1", "qwen", "arc_easy", 1, 0))
        .await
        .expect("eval unit");
    let bench_unit = store
        .create_unit(&new_unit("bench-1", "qwen", "bench:c=1#0", 1, 10))
        .await
        .expect("bench unit");
    let deployment = store
        .deployment_for(&served(), None, at(0))
        .await
        .expect("deployment");
    for unit in [&eval_unit, &bench_unit] {
        store
            .set_unit_deployment(unit.unit_id, &deployment.deployment_id)
            .await
            .expect("attach");
    }
    let read = store
        .unit(eval_unit.unit_id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        read.deployment_id.as_deref(),
        Some(deployment.deployment_id.as_str())
    );
    assert!(matches!(
        store
            .set_unit_deployment(999, &deployment.deployment_id)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Created attached, in one transaction; a resumed unit is attached again.
    let attached = store
        .create_unit_of(
            &new_unit("eval-1", "qwen", "boolq", 1, 0),
            Some(&deployment.deployment_id),
        )
        .await
        .expect("attached unit");
    assert_eq!(
        attached.deployment_id.as_deref(),
        Some(deployment.deployment_id.as_str())
    );
    let resumed = store
        .create_unit_of(
            &new_unit("eval-1", "qwen", "boolq", 1, 0),
            Some(&deployment.deployment_id),
        )
        .await
        .expect("the same unit");
    assert_eq!(resumed.unit_id, attached.unit_id);

    let summaries = store.deployment_summaries().await.expect("summaries");
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].eval_units, 2);
    assert_eq!(summaries[0].bench_units, 1);
    assert_eq!(summaries[0].latest_run.as_deref(), Some("bench-1"));
    let units = store
        .deployment_units(&deployment.deployment_id)
        .await
        .expect("units");
    let runs: Vec<&str> = units.iter().map(|unit| unit.run_id.as_str()).collect();
    assert_eq!(runs, ["bench-1", "eval-1", "eval-1"]);
}

/// A database as schema 4 left it: the migrations up to 0004 and the widened `runs`.
async fn schema_4_database(path: &std::path::Path) -> SqliteConnection {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut connection = SqliteConnection::connect(&url).await.expect("connect");
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|migration| migration.version <= 4)
            .cloned()
            .collect(),
    );
    migrator.run(&mut connection).await.expect("migrations 1-4");
    // What schema 3's rebuild left: `runs` accepting bench runs.
    for statement in [
        "DROP TABLE runs",
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, \
         kind TEXT NOT NULL CHECK (kind IN ('eval', 'profile', 'bench')), \
         status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')), \
         created_at TEXT NOT NULL, finished_at TEXT, plan TEXT NOT NULL, \
         fingerprint TEXT NOT NULL, fingerprint_id TEXT NOT NULL)",
    ] {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .expect("widen runs");
    }
    connection
}

async fn insert_run(
    connection: &mut SqliteConnection,
    run_id: &str,
    kind: &str,
    fingerprint: &str,
) {
    sqlx::query(
        "INSERT INTO runs (run_id, kind, status, created_at, finished_at, plan, fingerprint, \
         fingerprint_id) VALUES (?, ?, 'complete', ?, ?, '{}', ?, 'f')",
    )
    .bind(run_id)
    .bind(kind)
    .bind(at(0))
    .bind(at(1))
    .bind(fingerprint)
    .execute(&mut *connection)
    .await
    .expect("insert run");
}

async fn insert_unit(
    connection: &mut SqliteConnection,
    run_id: &str,
    model: &str,
    task: &str,
    fingerprint: &yardstick_core::Fingerprint,
) {
    sqlx::query(
        "INSERT INTO run_units (run_id, model, task, fingerprint, fingerprint_id, items_total, \
         status, started_at, finished_at) VALUES (?, ?, ?, ?, ?, 10, 'complete', ?, ?)",
    )
    .bind(run_id)
    .bind(model)
    .bind(task)
    .bind(serde_json::to_string(fingerprint).expect("encode"))
    .bind(fingerprint.id())
    .bind(at(0))
    .bind(at(1))
    .execute(&mut *connection)
    .await
    .expect("insert unit");
}

#[tokio::test]
async fn units_of_an_older_database_get_deployments_derived_from_their_fingerprints() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("old.db");
    let mut connection = schema_4_database(&path).await;
    sqlx::query(
        "INSERT INTO models (name, path, size_bytes, sha256, source, metadata, added_at, \
         updated_at) VALUES ('gemma', '/m/gemma.gguf', 1, 'sha-gemma', 'local', \
         '{\"quantization\": {\"file_type\": \"Q4_K_M\"}}', ?, ?)",
    )
    .bind(at(0))
    .bind(at(0))
    .execute(&mut connection)
    .await
    .expect("model");

    // Two in-process eval units of gemma (one run, two tasks), one eval unit through a server.
    insert_run(&mut connection, "eval-1", "eval", "{}").await;
    let mut gemma = yardstick_test_support::fingerprint::fingerprint("gemma", "arc_easy").build();
    gemma.model_sha256 = "sha-gemma".into();
    gemma.llama_cpp_version = "b1 [AVX2 = 1]".into();
    insert_unit(&mut connection, "eval-1", "gemma", "arc_easy", &gemma).await;
    let mut boolq = gemma.clone();
    boolq.task.task = "boolq".into();
    insert_unit(&mut connection, "eval-1", "gemma", "boolq", &boolq).await;
    let mut remote = yardstick_test_support::fingerprint::fingerprint("qwen", "arc_easy").build();
    remote.endpoint = Some(yardstick_core::EndpointFingerprint {
        base_url: "http://127.0.0.1:8000/v1".into(),
        served_model: "qwen".into(),
        api: "completions".into(),
        model_entry: "{}".into(),
        server_version: Some("vllm/0.6.3".into()),
        tokenizer: "server".into(),
        request_parameters: Vec::new(),
    });
    insert_unit(&mut connection, "eval-1", "qwen", "arc_easy", &remote).await;

    // A bench of gemma in-process and a bench of a server.
    let host = serde_json::json!({"cpu": "Golden CPU", "logical_cpus": 2, "physical_cores": 1,
        "memory_gib": 24.0, "gpus": [], "os": null});
    let in_process = serde_json::json!({
        "plan": {"target": {"kind": "in-process", "model": "gemma", "details": "llama.cpp parallel 4"}},
        "host": host, "host_role": "engine", "model_sha256": "sha-gemma"});
    insert_run(&mut connection, "bench-1", "bench", &in_process.to_string()).await;
    let mut point = gemma.clone();
    point.task.task = "bench:c=1#0".into();
    point.llama_cpp_version = "b1".into();
    insert_unit(&mut connection, "bench-1", "gemma", "bench:c=1#0", &point).await;
    let endpoint = serde_json::json!({
        "plan": {"target": {"kind": "openai", "model": "qwen", "details": "http://127.0.0.1:8000/v1 completions, streaming"}},
        "host": host, "host_role": "client (the server may run elsewhere)"});
    insert_run(&mut connection, "bench-2", "bench", &endpoint.to_string()).await;
    let mut served_point = point.clone();
    served_point.model = "qwen".into();
    served_point.model_sha256 = "served".into();
    insert_unit(
        &mut connection,
        "bench-2",
        "qwen",
        "bench:c=1#0",
        &served_point,
    )
    .await;
    // A bench run whose fingerprint does not read: its unit's own fingerprint decides.
    insert_run(
        &mut connection,
        "bench-3",
        "bench",
        "{\"host_role\": \"server\"}",
    )
    .await;
    insert_unit(&mut connection, "bench-3", "gemma", "bench:c=1#0", &point).await;
    connection.close().await.expect("close");

    let store = Store::open(&path).await.expect("open with deployments");
    let unit_deployment = |run: &'static str, task: &'static str| {
        let store = store.clone();
        async move {
            let units = store.units(run).await.expect("units");
            let unit = units
                .iter()
                .find(|unit| unit.task == task)
                .expect("the unit");
            let id = unit.deployment_id.clone().expect("a deployment");
            store.deployment(&id).await.expect("read").expect("stored")
        }
    };
    let arc = unit_deployment("eval-1", "arc_easy").await;
    let boolq = unit_deployment("eval-1", "boolq").await;
    assert_eq!(
        arc.deployment_id, boolq.deployment_id,
        "one model, one deployment"
    );
    assert_eq!(
        arc.identity.model,
        ModelIdentity::Weights {
            sha256: "sha-gemma".into()
        }
    );
    assert_eq!(arc.identity.engine.kind, EngineKind::LlamaCpp);
    assert_eq!(arc.identity.engine.version.as_deref(), Some("b1"));
    assert_eq!(arc.identity.quantization.as_deref(), Some("Q4_K_M"));
    assert!(arc.identity.hardware.is_unknown());
    assert_eq!(arc.name, "gemma Q4_K_M · llamacpp b1");

    let odd = unit_deployment("bench-3", "bench:c=1#0").await;
    assert_eq!(
        odd.deployment_id, arc.deployment_id,
        "without its run's target and host, the unit's fingerprint is the eval's"
    );
    let bench = unit_deployment("bench-1", "bench:c=1#0").await;
    assert_ne!(bench.deployment_id, arc.deployment_id);
    assert!(bench.identity.same_weights_and_engine(&arc.identity));
    assert_eq!(bench.identity.hardware.cpu.as_deref(), Some("Golden CPU"));
    assert_eq!(
        bench.identity.serving.scheme.as_deref(),
        Some("llama.cpp parallel 4")
    );

    let units = store.units("eval-1").await.expect("units");
    let qwen_eval = units
        .iter()
        .find(|unit| unit.model == "qwen")
        .and_then(|unit| unit.deployment_id.clone())
        .expect("a deployment");
    let qwen_eval = store
        .deployment(&qwen_eval)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        qwen_eval.identity,
        Deployment::served(
            "qwen",
            "qwen",
            "http://127.0.0.1:8000/v1",
            Some("vllm/0.6.3"),
            Hardware::default()
        )
    );
    let served_bench = unit_deployment("bench-2", "bench:c=1#0").await;
    assert_eq!(
        served_bench.identity.model,
        ModelIdentity::Served {
            served_model: "qwen".into(),
            base_url: "http://127.0.0.1:8000/v1".into()
        }
    );
    assert!(
        served_bench.identity.hardware.is_unknown(),
        "the recorded host was the load client's"
    );
    assert_eq!(store.deployments().await.expect("list").len(), 4);
    store.close().await;

    // Re-opening changes nothing.
    let store = Store::open(&path).await.expect("reopen");
    assert_eq!(store.deployments().await.expect("list").len(), 4);
}
