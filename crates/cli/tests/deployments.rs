//! Deployments through the binary: `deployments list|show`, and `recommend` joining the
//! quality and speed of the same deployment into one candidate.

mod common;

use std::path::Path;

use common::{bench_run, eval_run, run, yardstick};
use yardstick_core::deployment::{Hardware, ServingSettings};
use yardstick_core::Deployment;
use yardstick_store::Store;

const SERVING: &[(&str, f64)] = &[
    ("requests_completed", 10.0),
    ("requests_per_second", 2.0),
    ("prompt_tokens", 1000.0),
    ("completion_tokens", 500.0),
    ("ttft_ms.mean", 200.0),
    ("e2e_ms.mean", 1000.0),
    ("ttft_ms.p99", 300.0),
    ("tpot_ms.p99", 20.0),
    ("rss_mib.max", 1000.0),
];

/// The served model `qwen` at a server, as an endpoint eval and an endpoint bench record it.
fn served() -> Deployment {
    Deployment::served(
        "qwen",
        "qwen",
        "http://127.0.0.1:8000/v1",
        Some("yardstick/0.1.0"),
        Hardware::described("1x H100 80GB"),
    )
}

/// The same model's GGUF in-process.
fn local() -> Deployment {
    Deployment::in_process(
        "qwen-gguf",
        &"cd".repeat(32),
        "b6000",
        Some("Q4_K_M".into()),
        Hardware::default(),
        ServingSettings {
            parallel: Some(1),
            ..ServingSettings::default()
        },
    )
}

/// Attaches every unit of `run_id` to `identity` (created or matched).
async fn attach(store: &Store, run_id: &str, identity: &Deployment, name: Option<&str>) {
    let deployment = store
        .deployment_for(identity, name, chrono::Utc::now())
        .await
        .expect("deployment");
    for unit in store.units(run_id).await.expect("units") {
        store
            .set_unit_deployment(unit.unit_id, &deployment.deployment_id)
            .await
            .expect("attach");
    }
}

/// An eval and a bench through the server (one deployment), and an eval of the GGUF
/// in-process scoring much higher (another deployment).
async fn fixture(home: &Path) {
    let store = Store::open(&home.join("yardstick.db"))
        .await
        .expect("store");
    let served_scores: Vec<f64> = (0..20).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
    eval_run(
        &store,
        "eval-served",
        "qwen",
        &[("arc_easy", "p", served_scores)],
    )
    .await;
    attach(&store, "eval-served", &served(), Some("qwen-h100")).await;
    bench_run(&store, "bench-served", "qwen", &[("c=2#0", SERVING)]).await;
    attach(&store, "bench-served", &served(), None).await;
    let local_scores = vec![1.0; 20];
    eval_run(
        &store,
        "eval-local",
        "qwen-gguf",
        &[("arc_easy", "p", local_scores)],
    )
    .await;
    attach(&store, "eval-local", &local(), None).await;
    store.close().await;
}

fn success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommend_joins_quality_and_speed_of_the_same_deployment() {
    let home = tempfile::tempdir().expect("home");
    fixture(home.path()).await;

    let mut command = yardstick(home.path());
    command.args(["recommend", "--usd-per-hour", "1", "--json"]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let candidates = json["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 1, "{json}");
    let candidate = &candidates[0];
    assert_eq!(candidate["deployment"], "qwen-h100");
    // The served eval's 5/20, not the in-process GGUF's 20/20.
    assert_eq!(
        candidate["objectives"]["accuracy"]["value"], 0.25,
        "{candidate}"
    );
    assert_eq!(candidate["objectives"]["throughput"]["value"], 100.0);
    assert!(candidate["objectives"]["cost"]["value"].is_number());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_are_listed_and_shown_with_their_runs() {
    let home = tempfile::tempdir().expect("home");
    fixture(home.path()).await;

    let mut command = yardstick(home.path());
    command.args(["deployments", "list", "--format", "json"]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rows = json.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{json}");
    let served_row = rows
        .iter()
        .find(|row| row["name"] == "qwen-h100")
        .expect("the served deployment");
    assert_eq!(served_row["deployment_id"], served().id());
    assert_eq!(served_row["eval_units"], 1);
    assert_eq!(served_row["bench_units"], 1);
    assert_eq!(served_row["latest_run"], "bench-served");
    assert_eq!(
        served_row["identity"]["engine"]["version"],
        "yardstick/0.1.0"
    );
    assert_eq!(
        served_row["identity"]["hardware"]["described"],
        "1x H100 80GB"
    );
    let local_row = rows
        .iter()
        .find(|row| row["deployment_id"] == local().id())
        .expect("the local deployment");
    assert_eq!(local_row["eval_units"], 1);
    assert_eq!(local_row["bench_units"], 0);

    let mut command = yardstick(home.path());
    command.args(["deployments", "list"]);
    let output = run(command).await;
    success(&output);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("qwen-h100"), "{table}");
    assert!(table.contains("1x H100 80GB"), "{table}");
    assert!(table.contains("Q4_K_M"), "{table}");

    let mut command = yardstick(home.path());
    command.args(["deployments", "show", "qwen-h100", "--format", "json"]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let runs: Vec<&str> = json["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|run| run["run_id"].as_str().expect("an id"))
        .collect();
    assert_eq!(runs.len(), 2);
    assert!(runs.contains(&"eval-served") && runs.contains(&"bench-served"));

    // Renamed; a name another deployment has is refused, naming both.
    let mut command = yardstick(home.path());
    command.args(["deployments", "rename", "qwen-h100", "qwen-prod"]);
    success(&run(command).await);
    let mut command = yardstick(home.path());
    command.args(["deployments", "rename", &local().id(), "qwen-prod"]);
    let output = run(command).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&served().id()) && stderr.contains(&local().id()),
        "{stderr}"
    );

    let mut command = yardstick(home.path());
    command.args(["deployments", "show", "nothing-here"]);
    let output = run(command).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("deployments list"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_takes_each_deployments_own_results() {
    let home = tempfile::tempdir().expect("home");
    fixture(home.path()).await;

    let mut command = yardstick(home.path());
    command.args([
        "compare",
        "--deployment",
        "qwen-h100",
        "--deployment",
        &local().id(),
        "--json",
    ]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["baseline"], "qwen-h100");
    let task = &json["tasks"][0];
    assert_eq!(task["task"], "arc_easy");
    // The served eval's 5/20 against the in-process GGUF's 20/20.
    assert_eq!(task["baseline_mean"], 0.25, "{task}");
    assert_eq!(task["candidate_mean"], 1.0, "{task}");

    let mut command = yardstick(home.path());
    command.args([
        "compare",
        "--deployment",
        "qwen-h100",
        "--deployment",
        "nope",
    ]);
    let output = run(command).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--deployment nope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_names_the_deployment_it_prices() {
    let home = tempfile::tempdir().expect("home");
    fixture(home.path()).await;
    let mut command = yardstick(home.path());
    command.args([
        "cost",
        "--run",
        "bench-served",
        "--usd-per-hour",
        "1",
        "--json",
    ]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["deployment"], "qwen-h100", "{json}");
}

/// A model evaluated through a server and in-process is two leaderboard rows, named by
/// deployment; a model with one deployment keeps its own name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaderboard_has_a_row_per_deployment_of_a_model() {
    let home = tempfile::tempdir().expect("home");
    fixture(home.path()).await;
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    let in_process = Deployment::in_process(
        "qwen",
        &"ef".repeat(32),
        "b6000",
        None,
        Hardware::default(),
        ServingSettings::default(),
    );
    eval_run(
        &store,
        "eval-qwen-local",
        "qwen",
        &[("arc_easy", "p", vec![0.0; 20])],
    )
    .await;
    attach(&store, "eval-qwen-local", &in_process, Some("qwen-local")).await;
    store.close().await;

    let mut command = yardstick(home.path());
    command.args(["leaderboard", "--format", "json"]);
    let output = run(command).await;
    success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut rows: Vec<(String, f64)> = json["quality"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|cell| {
            (
                cell["model"].as_str().expect("a row").to_string(),
                cell["value"].as_f64().expect("a value"),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rows,
        [
            ("qwen-gguf".to_string(), 1.0),
            ("qwen-h100".to_string(), 0.25),
            ("qwen-local".to_string(), 0.0)
        ]
    );
}
