//! The runner against the deterministic fake backend: ordering, limits, resume after an
//! abort (no loss, no duplicate), cancellation, failures, malformed data.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use yardstick_runner::{
    resume_eval, run_eval, EngineFacts, EngineSettings, EvalContext, EvalPlan, FixedLoader,
    ModelSpec, NoProgress,
};
use yardstick_store::Store;
use yardstick_test_support::fake_backend::{FakeBackend, Fault};
use yardstick_test_support::fixtures::require_datasets;

fn plan(data_dir: &Path, tasks: &[&str], limit: u64) -> EvalPlan {
    EvalPlan {
        models: vec![ModelSpec {
            name: "fake-model".into(),
            path: PathBuf::from("/nonexistent/fake.gguf"),
            sha256: "00".repeat(32),
            chat_template_sha256: None,
        }],
        tasks: tasks.iter().map(|task| (*task).to_string()).collect(),
        limit: Some(limit),
        limit_fraction: None,
        samples: None,
        num_fewshot: None,
        repeats: None,
        temperature: None,
        apply_chat_template: false,
        fewshot_as_multiturn: false,
        system_instruction: None,
        bootstrap_iters: 1000,
        seed: 1234,
        data_dir: data_dir.to_path_buf(),
        engine: EngineSettings {
            threads: 1,
            context_tokens: 4096,
            batch_tokens: 512,
            logits_rows: 64,
        },
        endpoint: None,
        concurrency: 1,
        retry: Default::default(),
        deployment: Default::default(),
        code: Default::default(),
        embedder_dir: None,
    }
}

fn loader(backend: Arc<FakeBackend>) -> FixedLoader {
    FixedLoader {
        backend,
        facts: EngineFacts {
            engine_version: "fake-1".into(),
            batching_scheme: "fake-per-item".into(),
            endpoint: None,
            unavailable: Vec::new(),
        },
    }
}

fn context<'a>(store: &'a Store, loader: &'a FixedLoader) -> EvalContext<'a> {
    EvalContext {
        store,
        loader,
        progress: &NoProgress,
        cancel: CancellationToken::new(),
    }
}

async fn stored_indices(store: &Store, run_id: &str) -> Vec<(String, Vec<u64>)> {
    let mut out = Vec::new();
    for unit in store.units(run_id).await.unwrap_or_default() {
        let items = store.items(unit.unit_id).await.unwrap_or_default();
        out.push((
            unit.task,
            items.iter().map(|item| item.item_index).collect(),
        ));
    }
    out
}

#[tokio::test]
async fn scores_first_n_items_in_dataset_order_with_predictable_predictions() {
    let Some(data) = require_datasets() else {
        return;
    };
    let store = Store::open_in_memory().await.expect("store");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    let plan = plan(&data, &["arc_easy", "piqa"], 5);
    let outcome = run_eval(&plan, &context).await.expect("eval");
    assert_eq!(outcome.status, "complete");
    assert!(!outcome.resumed);
    assert_eq!(
        stored_indices(&store, &outcome.run_id).await,
        vec![
            ("arc_easy".to_string(), vec![0, 1, 2, 3, 4]),
            ("piqa".to_string(), vec![0, 1, 2, 3, 4]),
        ]
    );
    assert_eq!(backend.calls(), 10);

    // The backend saw the items in dataset order, and each prediction is the argmax of the
    // fake's (independently computable) scores.
    let task = yardstick_tasks::resolve("arc_easy")
        .expect("task")
        .tasks
        .remove(0);
    let expected: Vec<_> = task
        .items(&data, Some(5))
        .expect("items")
        .map(|item| item.expect("item"))
        .collect();
    let seen = backend.seen_contexts();
    for (position, item) in expected.iter().enumerate() {
        assert_eq!(seen[position], item.context);
    }
    let units = store.units(&outcome.run_id).await.expect("units");
    let stored = store.items(units[0].unit_id).await.expect("items");
    for (item, result) in expected.iter().zip(&stored) {
        let scores: Vec<f64> = item
            .request
            .pairs
            .iter()
            .map(|pair| FakeBackend::score(&pair.context, &pair.continuation))
            .collect();
        assert_eq!(result.choice_loglikelihoods, scores);
        assert_eq!(
            Some(result.prediction),
            yardstick_core::stats::argmax(&scores)
        );
        assert_eq!(result.gold, item.gold);
    }
    let acc = outcome
        .results
        .iter()
        .find(|row| row.task == "arc_easy" && row.metric == "acc")
        .expect("acc row");
    let correct = stored
        .iter()
        .filter(|item| item.prediction == item.gold)
        .count();
    assert_eq!(acc.value, correct as f64 / 5.0);
    assert_eq!(acc.n, Some(5));
}

#[tokio::test]
async fn abort_mid_run_then_rerun_loses_nothing_and_duplicates_nothing() {
    let Some(data) = require_datasets() else {
        return;
    };
    let plan = plan(&data, &["arc_easy"], 8);

    // Reference: an uninterrupted run in its own store.
    let reference_store = Store::open_in_memory().await.expect("store");
    let reference_loader = loader(Arc::new(FakeBackend::new()));
    let reference = run_eval(&plan, &context(&reference_store, &reference_loader))
        .await
        .expect("reference eval");

    // The fake stalls forever on call 3 (items 0..3 are finished); the run is then dropped
    // as if the process had been killed.
    let store = Store::open_in_memory().await.expect("store");
    let stalling = loader(Arc::new(FakeBackend::with_fault(Fault::StallAt(3))));
    let stalled = context(&store, &stalling);
    let aborted = tokio::time::timeout(Duration::from_millis(500), run_eval(&plan, &stalled)).await;
    assert!(aborted.is_err(), "the stalled run must not finish");
    let runs = store.list_runs().await.expect("runs");
    assert_eq!(runs.len(), 1);
    let run_id = runs[0].run_id.clone();
    assert_eq!(
        stored_indices(&store, &run_id).await,
        vec![("arc_easy".to_string(), vec![0, 1, 2])]
    );

    // Re-running the same command continues the same run from item 3.
    let backend = Arc::new(FakeBackend::new());
    let fresh = loader(Arc::clone(&backend));
    let resumed = run_eval(&plan, &context(&store, &fresh))
        .await
        .expect("resumed eval");
    assert!(resumed.resumed);
    assert_eq!(resumed.run_id, run_id);
    assert_eq!(backend.calls(), 5, "only the 5 missing items are scored");
    assert_eq!(
        stored_indices(&store, &run_id).await,
        vec![("arc_easy".to_string(), (0..8).collect())]
    );
    let quality = |rows: &[yardstick_runner::ResultRow]| -> Vec<(String, u64, Option<u64>)> {
        rows.iter()
            .filter(|row| row.metric != "items_per_second")
            .map(|row| (row.metric.clone(), row.value.to_bits(), row.n))
            .collect()
    };
    assert_eq!(quality(&resumed.results), quality(&reference.results));
}

#[tokio::test]
async fn cancellation_marks_the_run_interrupted_and_resume_by_id_finishes_it() {
    let Some(data) = require_datasets() else {
        return;
    };
    let plan = plan(&data, &["piqa"], 6);
    let store = Store::open_in_memory().await.expect("store");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let first = loader(Arc::new(FakeBackend::new()));
    let interrupted = run_eval(
        &plan,
        &EvalContext {
            store: &store,
            loader: &first,
            progress: &NoProgress,
            cancel,
        },
    )
    .await
    .expect("eval");
    assert_eq!(interrupted.status, "interrupted");

    let backend = Arc::new(FakeBackend::new());
    let second = loader(Arc::clone(&backend));
    let finished = resume_eval(&interrupted.run_id, &context(&store, &second))
        .await
        .expect("resume");
    assert_eq!(finished.status, "complete");
    assert_eq!(finished.run_id, interrupted.run_id);
    assert_eq!(
        stored_indices(&store, &finished.run_id).await,
        vec![("piqa".to_string(), (0..6).collect())]
    );

    let error = resume_eval("no-such-run", &context(&store, &second))
        .await
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(error.contains("no-such-run"), "{error}");
}

#[tokio::test]
async fn a_failing_item_fails_its_unit_but_keeps_finished_items_and_other_tasks() {
    let Some(data) = require_datasets() else {
        return;
    };
    let plan = plan(&data, &["arc_easy", "piqa"], 4);
    let store = Store::open_in_memory().await.expect("store");
    let failing = loader(Arc::new(FakeBackend::with_fault(Fault::FailAt(2))));
    let outcome = run_eval(&plan, &context(&store, &failing))
        .await
        .expect("eval returns an outcome");
    assert_eq!(outcome.status, "failed");
    assert_eq!(outcome.failures.len(), 1);
    assert!(
        outcome.failures[0].contains("arc_easy"),
        "{:?}",
        outcome.failures
    );
    assert!(
        outcome.failures[0].contains("item 2"),
        "{:?}",
        outcome.failures
    );
    assert_eq!(
        stored_indices(&store, &outcome.run_id).await,
        vec![
            ("arc_easy".to_string(), vec![0, 1]),
            ("piqa".to_string(), vec![0, 1, 2, 3]),
        ]
    );
}

#[tokio::test]
async fn malformed_dataset_line_is_an_error_naming_file_line_and_field() {
    let data = tempfile::tempdir().expect("tempdir");
    let folder = data.path().join("arc_easy");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let good = r#"{"id":"a","question":{"stem":"Q?","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"A"}"#;
    let bad = r#"{"id":"b","question":{"stem":"Q?","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]}}"#;
    std::fs::write(
        folder.join("ARC-Easy-Test.jsonl"),
        format!("{good}\n{bad}\n"),
    )
    .expect("write");
    let store = Store::open_in_memory().await.expect("store");
    let fake = loader(Arc::new(FakeBackend::new()));
    let error = run_eval(
        &plan(data.path(), &["arc_easy"], 10),
        &context(&store, &fake),
    )
    .await
    .err()
    .map(|error| error.to_string())
    .unwrap_or_default();
    assert!(error.contains("ARC-Easy-Test.jsonl"), "{error}");
    assert!(error.contains("line 2"), "{error}");
    assert!(error.contains("answerKey"), "{error}");
}

#[tokio::test]
async fn missing_data_dir_is_a_clear_error() {
    // Without local data a built-in task goes to the hub; offline, that fails at once.
    std::env::set_var("HF_HUB_OFFLINE", "1");
    let store = Store::open_in_memory().await.expect("store");
    let fake = loader(Arc::new(FakeBackend::new()));
    let error = run_eval(
        &plan(Path::new("/definitely/not/here"), &["arc_easy"], 1),
        &context(&store, &fake),
    )
    .await
    .err()
    .map(|error| error.to_string())
    .unwrap_or_default();
    assert!(error.contains("/definitely/not/here"), "{error}");
    assert!(error.contains("--data-dir"), "{error}");
}

/// An in-process eval attaches every unit to the model's deployment: the GGUF's sha256 and
/// the registered quantization, the engine's version, this machine, one generation at a time
/// with the plan's engine settings. `--deployment` names one model's deployment only.
#[tokio::test]
async fn every_unit_of_an_in_process_eval_belongs_to_the_models_deployment() {
    let Some(data) = require_datasets() else {
        return;
    };
    let store = Store::open_in_memory().await.expect("store");
    store
        .upsert_model(&yardstick_store::NewModel {
            name: "fake-model".into(),
            path: PathBuf::from("/nonexistent/fake.gguf"),
            size_bytes: 1,
            sha256: "00".repeat(32),
            source: yardstick_store::ModelSource::Local,
            metadata: serde_json::json!({"quantization": {"file_type": "Q8_0"}}),
        })
        .await
        .expect("model");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    let mut plan = plan(&data, &["arc_easy", "piqa"], 2);
    plan.deployment.name = Some("fake-here".into());
    let outcome = run_eval(&plan, &context).await.expect("eval");
    let units = store.units(&outcome.run_id).await.expect("units");
    assert_eq!(units.len(), 2);
    let deployment = store
        .deployment("fake-here")
        .await
        .expect("read")
        .expect("named");
    for unit in &units {
        assert_eq!(
            unit.deployment_id.as_deref(),
            Some(deployment.deployment_id.as_str())
        );
    }
    let identity = &deployment.identity;
    assert_eq!(
        identity.model,
        yardstick_core::ModelIdentity::Weights {
            sha256: "00".repeat(32)
        }
    );
    assert_eq!(identity.engine.kind, yardstick_core::EngineKind::LlamaCpp);
    assert_eq!(identity.engine.version.as_deref(), Some("fake-1"));
    assert_eq!(identity.quantization.as_deref(), Some("Q8_0"));
    assert_eq!(identity.serving.parallel, Some(1));
    assert_eq!(identity.serving.context_tokens, Some(4096));
    assert_eq!(identity.serving.threads, Some(1));
    assert!(
        identity.hardware.memory_gib.is_some(),
        "the machine is detected"
    );

    // Two models cannot share one name; a server's hardware is not the engine's.
    let mut two = plan.clone();
    let mut other = two.models[0].clone();
    other.name = "other".into();
    two.models.push(other);
    let error = run_eval(&two, &context)
        .await
        .expect_err("one name, two models");
    assert!(error.to_string().contains("--deployment"), "{error}");
    let mut described = plan.clone();
    described.deployment.name = None;
    described.deployment.hardware = Some("1x H100 80GB".into());
    let error = run_eval(&described, &context)
        .await
        .expect_err("--hardware in-process");
    assert!(error.to_string().contains("--hardware"), "{error}");
}

#[tokio::test]
async fn code_tasks_refuse_greedy_repeats_before_anything_is_stored() {
    let Some(data) = require_datasets() else {
        return;
    };
    let store = Store::open_in_memory().await.expect("store");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    let mut plan = plan(&data, &["humaneval"], 2);
    plan.repeats = Some(10);
    let error = run_eval(&plan, &context).await.expect_err("refused");
    assert!(error.to_string().contains("--temperature"), "{error}");
    assert!(store.list_runs().await.expect("runs").is_empty());
    assert_eq!(backend.calls(), 0);
}

#[tokio::test]
async fn sampled_code_generations_report_pass_at_1_and_pass_at_10() {
    let Some(data) = require_datasets() else {
        return;
    };
    if let Err(error) = yardstick_runner::plan::CodeSettings::default().sandbox(1) {
        let required = std::env::var("YARDSTICK_REQUIRE_MODELS").is_ok_and(|v| v == "1");
        assert!(!required, "the sandbox is required in CI: {error}");
        return;
    }
    let store = Store::open_in_memory().await.expect("store");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    let mut plan = plan(&data, &["humaneval"], 1);
    plan.repeats = Some(10);
    plan.temperature = Some(0.8);
    let outcome = run_eval(&plan, &context).await.expect("eval");
    assert_eq!(outcome.status, "complete", "{:?}", outcome.failures);
    let metrics: Vec<&str> = outcome
        .results
        .iter()
        .map(|row| row.metric.as_str())
        .filter(|metric| metric.starts_with("pass@"))
        .collect();
    assert_eq!(metrics, ["pass@1,create_test", "pass@10,create_test"]);
    let unit = &store.units(&outcome.run_id).await.expect("units")[0];
    let items = store.items(unit.unit_id).await.expect("items");
    assert_eq!(items[0].generations.len(), 10);
    assert_eq!(items[0].executions.len(), 10);
}

#[tokio::test]
async fn an_embedding_metric_without_its_model_refuses_the_eval_before_anything_is_stored() {
    let store = Store::open_in_memory().await.expect("store");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    let empty = tempfile::tempdir().expect("temp dir");
    let mut plan = plan(empty.path(), &["creative_writing"], 3);
    plan.embedder_dir = Some(empty.path().join("all-MiniLM-L6-v2"));
    let error = run_eval(&plan, &context)
        .await
        .expect_err("no embedding model");
    let text = error.to_string();
    assert!(
        text.contains("creative_writing needs the sentence-embedding model all-MiniLM-L6-v2")
            && text.contains("scripts/setup-embedder.sh"),
        "{text}"
    );
    assert!(store.list_runs().await.expect("runs").is_empty());
    assert_eq!(backend.calls(), 0);
}

#[tokio::test]
async fn creative_writing_reports_diversity_with_the_real_embedding_model() {
    let dir = yardstick_embed::default_dir().expect("the data directory");
    if !dir.join("model.safetensors").is_file() {
        let required = std::env::var("YARDSTICK_REQUIRE_MODELS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "the embedding model is required in CI: run scripts/setup-embedder.sh"
        );
        eprintln!("skipped: no embedding model in {}", dir.display());
        return;
    }
    let store = Store::open_in_memory().await.expect("store");
    let backend = Arc::new(FakeBackend::new());
    let loader = loader(Arc::clone(&backend));
    let context = context(&store, &loader);
    // creative_writing's prompts are built in: no data directory needed.
    let mut plan = plan(Path::new("/nonexistent/data"), &["creative_writing"], 4);
    plan.embedder_dir = Some(dir);
    let outcome = run_eval(&plan, &context).await.expect("eval");
    assert_eq!(outcome.status, "complete", "{:?}", outcome.failures);
    let value = |name: &str| {
        outcome
            .results
            .iter()
            .find(|row| row.metric == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", outcome.results))
            .value
    };
    // The fake answers " fake" × 256 to every prompt: one distinct word, identical stories.
    assert!((value("distinct_1") - 1.0 / (4.0 * 256.0)).abs() < 1e-12);
    assert!((value("self_bleu") - 1.0).abs() < 1e-12);
    assert!(
        value("compression_ratio") > 20.0,
        "{}",
        value("compression_ratio")
    );
    // Identical texts embed identically: no diversity.
    assert!(
        value("embedding_diversity").abs() < 1e-5,
        "{}",
        value("embedding_diversity")
    );
}
