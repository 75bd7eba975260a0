//! `eval --endpoint` against the scoring mock (a server whose model is a formula): every
//! stored loglikelihood is the formula's, in vLLM's echo and `prompt_logprobs` shapes;
//! servers without trustworthy prompt logprobs are refused before anything is stored;
//! failed requests are retried and recorded; a server that goes down trips the breaker.

use std::path::Path;
use tokio_util::sync::CancellationToken;
use yardstick_runner::{
    resume_eval, run_eval, EndpointLoader, EndpointSettings, EngineSettings, EvalContext,
    EvalOutcome, EvalPlan, NoProgress, RetryPolicy, RunnerError,
};
use yardstick_store::Store;
use yardstick_test_support::fixtures::require_datasets;
use yardstick_test_support::mock_scoring::{RunningMock, ScoringFault, ScoringMock, Shape};

fn settings(mock: &RunningMock, api: &str) -> EndpointSettings {
    EndpointSettings {
        base_url: mock.base_url(),
        served_model: "toy".into(),
        api: api.into(),
        api_key_env: None,
        timeout_seconds: 30.0,
    }
}

fn plan(data: &Path, settings: EndpointSettings, tasks: &[&str], limit: u64) -> EvalPlan {
    EvalPlan {
        models: vec![EndpointLoader::model_spec(&settings, None)],
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
        bootstrap_iters: 100,
        seed: 1234,
        data_dir: data.to_path_buf(),
        engine: EngineSettings {
            threads: 1,
            context_tokens: 4096,
            batch_tokens: 512,
            logits_rows: 64,
        },
        endpoint: Some(settings),
        concurrency: 3,
        retry: RetryPolicy {
            max_attempts: 4,
            initial_backoff_ms: 1,
            max_backoff_ms: 5,
            circuit_breaker_failures: 6,
        },
        deployment: Default::default(),
        code: Default::default(),
        embedder_dir: None,
    }
}

async fn eval(store: &Store, plan: &EvalPlan) -> Result<EvalOutcome, RunnerError> {
    let settings = plan.endpoint.clone().expect("an endpoint plan");
    let loader = EndpointLoader::connect(&settings).await?;
    let context = EvalContext {
        store,
        loader: &loader,
        progress: &NoProgress,
        cancel: CancellationToken::new(),
    };
    run_eval(plan, &context).await
}

/// Every stored choice loglikelihood equals the toy model's, item by item.
async fn assert_formula_scores(store: &Store, data: &Path, outcome: &EvalOutcome, limit: u64) {
    let task = yardstick_tasks::resolve("arc_easy")
        .expect("task")
        .tasks
        .remove(0);
    let items: Vec<_> = task
        .items(data, Some(limit))
        .expect("items")
        .map(|item| item.expect("item"))
        .collect();
    let units = store.units(&outcome.run_id).await.expect("units");
    let stored = store.items(units[0].unit_id).await.expect("stored items");
    assert_eq!(stored.len(), items.len());
    for (item, result) in items.iter().zip(&stored) {
        let expected: Vec<f64> = item
            .request
            .pairs
            .iter()
            .map(|pair| ScoringMock::continuation_loglikelihood(&pair.context, &pair.continuation))
            .collect();
        for (got, want) in result.choice_loglikelihoods.iter().zip(&expected) {
            assert!(
                (got - want).abs() < 1e-9,
                "item {}: {got} vs {want}",
                item.index
            );
        }
    }
}

#[tokio::test]
async fn echo_and_prompt_logprobs_shapes_give_the_models_loglikelihoods() {
    let Some(data) = require_datasets() else {
        return;
    };
    for shape in [Shape::Echo, Shape::PromptLogprobs] {
        let mock = ScoringMock::new(shape).start().await.expect("mock");
        let store = Store::open_in_memory().await.expect("store");
        let plan = plan(&data, settings(&mock, "completions"), &["arc_easy"], 6);
        let outcome = eval(&store, &plan).await.expect("eval");
        assert_eq!(outcome.status, "complete", "{shape:?}");
        assert_formula_scores(&store, &data, &outcome, 6).await;
        let endpoint = outcome.fingerprint.units[0]
            .endpoint
            .clone()
            .expect("endpoint in the fingerprint");
        assert_eq!(endpoint.served_model, "toy");
        assert_eq!(
            endpoint.server_version.as_deref(),
            Some("toy-scoring-mock/1.0")
        );
        assert!(endpoint.model_entry.contains("max_model_len"));
        assert!(
            endpoint
                .request_parameters
                .iter()
                .any(|parameter| parameter.contains("prompts_per_request=16")),
            "{:?}",
            endpoint.request_parameters
        );
        assert!(outcome.failed_requests.is_empty());
    }
}

#[tokio::test]
async fn one_prompt_per_request_where_the_server_takes_no_list() {
    let Some(data) = require_datasets() else {
        return;
    };
    let mut mock = ScoringMock::new(Shape::Echo);
    mock.prompt_lists = false;
    let mock = mock.start().await.expect("mock");
    let store = Store::open_in_memory().await.expect("store");
    let plan = plan(&data, settings(&mock, "completions"), &["arc_easy"], 3);
    let before = mock.requests();
    let outcome = eval(&store, &plan).await.expect("eval");
    assert_formula_scores(&store, &data, &outcome, 3).await;
    // Probe: generation, refused list, single echo, echo from a character (which the mock
    // ignores; its missing /tokenize is not counted); then one request per choice.
    let task = yardstick_tasks::resolve("arc_easy")
        .expect("task")
        .tasks
        .remove(0);
    let choices: usize = task
        .items(&data, Some(3))
        .expect("items")
        .map(|item| item.expect("item").request.pairs.len())
        .sum();
    assert_eq!(mock.requests() - before, 4 + choices as u64);
}

#[tokio::test]
async fn servers_without_trustworthy_prompt_logprobs_are_refused_before_anything_is_stored() {
    let Some(data) = require_datasets() else {
        return;
    };
    for (shape, expected) in [
        (Shape::NoPromptLogprobs, "no prompt token logprobs"),
        (Shape::ShiftedEcho, "shifted or misaligned"),
    ] {
        let mock = ScoringMock::new(shape).start().await.expect("mock");
        let store = Store::open_in_memory().await.expect("store");
        let plan = plan(
            &data,
            settings(&mock, "completions"),
            &["gsm8k", "arc_easy"],
            2,
        );
        let error = eval(&store, &plan).await.expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("refusing task arc_easy")
                && message.contains("loglikelihood")
                && message.contains(expected),
            "{shape:?}: {message}"
        );
        assert!(
            store.list_runs().await.expect("runs").is_empty(),
            "nothing stored"
        );
        // The generative task alone is scored.
        let plan = plan_with_tasks(plan, &["gsm8k"]);
        let outcome = eval(&store, &plan).await.expect("generative eval");
        assert_eq!(outcome.status, "complete");
    }
}

fn plan_with_tasks(mut plan: EvalPlan, tasks: &[&str]) -> EvalPlan {
    plan.tasks = tasks.iter().map(|task| (*task).to_string()).collect();
    plan
}

#[tokio::test]
async fn rolling_loglikelihood_needs_a_prefix_token() {
    let mut mock = ScoringMock::new(Shape::Echo);
    mock.bos = false;
    let mock = mock.start().await.expect("mock");
    let loader = EndpointLoader::connect(&settings(&mock, "completions"))
        .await
        .expect("connect");
    let probe = loader.probe();
    assert_eq!(probe.prefix_token.support.as_str(), "no");
    let lacks = &probe.settings.unavailable;
    assert!(
        lacks
            .iter()
            .any(|gap| gap.need == yardstick_backend::Need::RollingLoglikelihood),
        "{lacks:?}"
    );
    assert!(
        !lacks
            .iter()
            .any(|gap| gap.need == yardstick_backend::Need::Loglikelihood),
        "{lacks:?}"
    );
}

#[tokio::test]
async fn failed_requests_are_retried_recorded_and_lose_nothing() {
    let Some(data) = require_datasets() else {
        return;
    };
    let mut mock = ScoringMock::new(Shape::Echo);
    // The probe sends three requests (generation, echo list, echo from a character);
    // faults hit the eval's.
    mock.faults = vec![
        (3, ScoringFault::RateLimited),
        (5, ScoringFault::ServerError),
        (7, ScoringFault::Drop),
    ];
    let mock = mock.start().await.expect("mock");
    let store = Store::open_in_memory().await.expect("store");
    let plan = plan(&data, settings(&mock, "completions"), &["arc_easy"], 8);
    let outcome = eval(&store, &plan).await.expect("eval");
    assert_eq!(outcome.status, "complete", "{:?}", outcome.failures);
    assert_formula_scores(&store, &data, &outcome, 8).await;
    let failures = store
        .request_failures(&outcome.run_id)
        .await
        .expect("failures");
    // A body that breaks off reads as a dropped stream or a reset connection, depending
    // on when hyper notices.
    let mut causes: Vec<&str> = failures
        .iter()
        .map(|f| match f.cause.as_str() {
            "stream_dropped" | "connection_reset" => "dropped",
            cause => cause,
        })
        .collect();
    causes.sort_unstable();
    assert_eq!(
        causes,
        ["dropped", "http_500", "rate_limited"],
        "{failures:?}"
    );
    assert!(failures.iter().all(|failure| failure.retried));
    let rate_limited = failures
        .iter()
        .find(|f| f.cause == "rate_limited")
        .expect("429");
    assert_eq!(rate_limited.retry_after_ms, Some(0));
    assert_eq!(outcome.failed_requests.values().sum::<u64>(), 3);
}

#[tokio::test]
async fn a_server_that_goes_down_trips_the_circuit_breaker_and_the_run_can_resume() {
    let Some(data) = require_datasets() else {
        return;
    };
    let mut mock = ScoringMock::new(Shape::Echo);
    mock.down_from = Some(5);
    let mock = mock.start().await.expect("mock");
    let store = Store::open_in_memory().await.expect("store");
    let plan = plan(&data, settings(&mock, "completions"), &["arc_easy"], 20);
    let error = eval(&store, &plan).await.expect_err("breaker");
    let message = error.to_string();
    assert!(message.contains("6 requests in a row failed"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    let runs = store.list_runs().await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.as_str(), "interrupted");
    let failures = store
        .request_failures(&runs[0].run_id)
        .await
        .expect("failures");
    // Six in a row trip it; items in flight beside the sixth may add theirs.
    assert!((6..=8).contains(&failures.len()), "{}", failures.len());
    assert!(failures.iter().all(|failure| failure.cause == "http_503"));
    // The items scored before the server went down are kept.
    let units = store.units(&runs[0].run_id).await.expect("units");
    let kept = store.items(units[0].unit_id).await.expect("items").len();
    assert!((1..20).contains(&kept), "{kept} items kept");

    // Back up: the run resumes where it stopped, every item once, scores unchanged.
    mock.recover();
    let loader = EndpointLoader::connect(&settings(&mock, "completions"))
        .await
        .expect("connect");
    let context = EvalContext {
        store: &store,
        loader: &loader,
        progress: &NoProgress,
        cancel: CancellationToken::new(),
    };
    let outcome = resume_eval(&runs[0].run_id, &context)
        .await
        .expect("resume");
    assert_eq!(outcome.status, "complete");
    assert!(outcome.resumed);
    assert_formula_scores(&store, &data, &outcome, 20).await;
}

#[tokio::test]
async fn the_chat_api_gets_the_conversation_with_few_shot_turns() {
    let Some(data) = require_datasets() else {
        return;
    };
    let mock = ScoringMock::new(Shape::Echo).start().await.expect("mock");
    let store = Store::open_in_memory().await.expect("store");
    let mut plan = plan(&data, settings(&mock, "chat"), &["gsm8k"], 2);
    plan.apply_chat_template = true;
    plan.num_fewshot = Some(2);
    let single = eval(&store, &plan).await.expect("eval");
    plan.fewshot_as_multiturn = true;
    let multi = eval(&store, &plan).await.expect("eval");
    let generation = |outcome: &EvalOutcome| {
        let store = &store;
        let run_id = outcome.run_id.clone();
        async move {
            let units = store.units(&run_id).await.expect("units");
            let items = store.items(units[0].unit_id).await.expect("items");
            items[0].generations[0].clone()
        }
    };
    assert!(generation(&single).await.starts_with("1 turns:"));
    // Two examples as user/assistant pairs, then the question.
    assert!(generation(&multi).await.starts_with("5 turns:"));
    // A loglikelihood task cannot be scored through a server's chat template.
    let mut plan = plan_with_tasks(plan, &["arc_easy"]);
    plan.num_fewshot = None;
    let error = eval(&store, &plan).await.expect_err("refused");
    assert!(error.to_string().contains("chat_template"), "{error}");
}

/// An endpoint eval's units belong to the served deployment, whose identity is the one an
/// endpoint bench of the same server and served model builds (served id, base URL, the
/// server's version header); `--hardware` describes another deployment.
#[tokio::test]
async fn an_endpoint_eval_attaches_its_units_to_the_served_deployment() {
    let Some(data) = require_datasets() else {
        return;
    };
    let mock = ScoringMock::new(Shape::Echo).start().await.expect("mock");
    let store = Store::open_in_memory().await.expect("store");
    let mut plan = plan(&data, settings(&mock, "completions"), &["arc_easy"], 2);
    plan.deployment.name = Some("toy-server".into());
    let outcome = eval(&store, &plan).await.expect("eval");
    let units = store.units(&outcome.run_id).await.expect("units");

    // What `bench --endpoint` builds for the same server.
    let client =
        yardstick_backend_openai::OpenAiClient::new(yardstick_backend_openai::Endpoint::new(
            format!("{}/", mock.base_url()),
            "toy",
            yardstick_backend_openai::Api::Completions,
        ))
        .expect("client");
    let version = yardstick_backend_openai::server_version(&client)
        .await
        .expect("the version");
    assert_eq!(version.as_deref(), Some("toy-scoring-mock/1.0"));
    let bench_identity = yardstick_core::Deployment::served(
        "toy",
        "toy",
        &client.endpoint().base_url,
        version.as_deref(),
        plan.deployment.served_hardware(),
    );
    assert_eq!(
        units[0].deployment_id.as_deref(),
        Some(bench_identity.id().as_str())
    );
    let stored = store
        .deployment("toy-server")
        .await
        .expect("read")
        .expect("named");
    assert_eq!(stored.deployment_id, bench_identity.id());
    assert!(stored.identity.hardware.is_unknown());
    assert_eq!(stored.identity.quantization, None);

    // The same server described as an H100 box is another deployment; the name is taken.
    plan.deployment.hardware = Some("1x H100 80GB".into());
    let error = eval(&store, &plan)
        .await
        .expect_err("the name belongs to the other deployment");
    assert!(error.to_string().contains("toy-server"), "{error}");
    plan.deployment.name = None;
    let outcome = eval(&store, &plan)
        .await
        .expect("eval on described hardware");
    let units = store.units(&outcome.run_id).await.expect("units");
    let described = store
        .deployment(units[0].deployment_id.as_deref().expect("attached"))
        .await
        .expect("read")
        .expect("stored");
    assert_ne!(described.deployment_id, bench_identity.id());
    assert_eq!(described.identity.hardware.describe(), "1x H100 80GB");
}
