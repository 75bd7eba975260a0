//! The decision commands through the binary, over results written straight into a store
//! with known per-item scores (so every expected number can be worked out by hand).

mod common;

use std::path::Path;

use common::{bench_run, bench_run_with, eval_run, run, yardstick};
use yardstick_store::Store;

/// 60 items; the baseline is right on items 0–39, the candidate on 0–29 and 40–59: 10 items
/// only the baseline gets, 20 only the candidate.
fn arc_scores() -> (Vec<f64>, Vec<f64>) {
    let baseline = (0..60).map(|i| if i < 40 { 1.0 } else { 0.0 }).collect();
    let candidate = (0..60)
        .map(|i| if (30..40).contains(&i) { 0.0 } else { 1.0 })
        .collect();
    (baseline, candidate)
}

/// Two-sided exact McNemar p-value by hand: 2 · Σ_{k ≤ min} C(n, k) / 2ⁿ.
fn mcnemar_by_hand(baseline_only: u64, candidate_only: u64) -> f64 {
    let n = baseline_only + candidate_only;
    let mut coefficient: u128 = 1;
    let mut sum: u128 = 0;
    for k in 0..=baseline_only.min(candidate_only) {
        if k > 0 {
            coefficient = coefficient * u128::from(n - k + 1) / u128::from(k);
        }
        sum += coefficient;
    }
    (2.0 * sum as f64 / 2f64.powi(n as i32)).min(1.0)
}

async fn two_models(home: &Path) {
    let store = Store::open(&home.join("yardstick.db"))
        .await
        .expect("store");
    let (base_arc, tuned_arc) = arc_scores();
    let boolq: Vec<f64> = (0..60).map(|i| f64::from(i % 2)).collect();
    eval_run(
        &store,
        "run-base",
        "base",
        &[("arc_easy", "p", base_arc), ("boolq", "p", boolq.clone())],
    )
    .await;
    // The candidate's boolq prompts differ: that task must be refused.
    eval_run(
        &store,
        "run-tuned",
        "tuned",
        &[
            ("arc_easy", "p", tuned_arc),
            ("boolq", "other-prompts", boolq),
        ],
    )
    .await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_pairs_items_tests_with_mcnemar_and_refuses_other_prompts() {
    let home = tempfile::tempdir().expect("home");
    two_models(home.path()).await;

    let mut compare = yardstick(home.path());
    compare.args([
        "compare",
        "--run",
        "run-base",
        "--run",
        "run-tuned",
        "--json",
    ]);
    let output = run(compare).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let tasks = json["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "{json}");
    let arc = &tasks[0];
    assert_eq!(arc["task"], "arc_easy");
    assert_eq!(arc["items"], 60);
    // (50 − 40) / 60 correct.
    let difference = arc["difference"]["value"].as_f64().expect("difference");
    assert!((difference - 10.0 / 60.0).abs() < 1e-12, "{difference}");
    assert_eq!(arc["mcnemar"]["baseline_only"], 10);
    assert_eq!(arc["mcnemar"]["candidate_only"], 20);
    let p = arc["p_value"].as_f64().expect("p");
    assert!((p - mcnemar_by_hand(10, 20)).abs() < 1e-12, "{p}");
    let low = arc["difference"]["interval"]["low"].as_f64().expect("low");
    let high = arc["difference"]["interval"]["high"]
        .as_f64()
        .expect("high");
    assert!(low < difference && difference < high);
    let refused = json["refused"].as_array().expect("refused");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["task"], "boolq");
    assert!(refused[0]["differences"][0]
        .as_str()
        .expect("text")
        .contains("prompt"));

    // By model name: the same pairing from each model's newest units; human-readable output.
    let mut by_model = yardstick(home.path());
    by_model.args(["compare", "--model", "base", "--model", "tuned"]);
    let output = run(by_model).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("McNemar exact"), "{text}");
    assert!(text.contains("indistinguishable on 1"), "{text}");
    assert!(text.contains("refused boolq"), "{text}");

    // Quantization mode allows only the weights to differ: a different model name is fine
    // there too, but the prompts of boolq still refuse it; bad flags are named.
    let mut wrong = yardstick(home.path());
    wrong.args(["compare", "--run", "run-base", "--mode", "vibes"]);
    let output = run(wrong).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("comparison mode `vibes`"), "{stderr}");
    let mut one = yardstick(home.path());
    one.args(["compare", "--run", "run-base"]);
    let output = run(one).await;
    assert!(String::from_utf8_lossy(&output.stderr).contains("exactly two --run"));
}

/// A webhook receiver that answers 503 to the first POST and 200 after, keeping the bodies.
async fn flaky_webhook() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;
    let seen: Seen = Default::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Seen>, Json(body): Json<serde_json::Value>| async move {
                    let mut seen = seen.lock().expect("lock");
                    seen.push(body);
                    if seen.len() == 1 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regress_exits_1_on_a_supported_drop_and_notifies_with_retries() {
    let home = tempfile::tempdir().expect("home");
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    // Baseline right on 45 of 60 items; the candidate keeps only 25 of those (−33 points,
    // every change in the same direction: the interval is far from 0). piqa is identical.
    let baseline: Vec<f64> = (0..60).map(|i| if i < 45 { 1.0 } else { 0.0 }).collect();
    let candidate: Vec<f64> = (0..60).map(|i| if i < 25 { 1.0 } else { 0.0 }).collect();
    let piqa: Vec<f64> = (0..60).map(|i| f64::from(i % 3 == 0)).collect();
    eval_run(
        &store,
        "old",
        "model",
        &[("arc_easy", "p", baseline), ("piqa", "p", piqa.clone())],
    )
    .await;
    eval_run(
        &store,
        "new",
        "model",
        &[("arc_easy", "p", candidate), ("piqa", "p", piqa)],
    )
    .await;
    store.close().await;

    let (url, seen) = flaky_webhook().await;
    let mut regress = yardstick(home.path());
    regress.args([
        "regress",
        "--baseline",
        "old",
        "--candidate",
        "new",
        "--json",
    ]);
    regress.args(["--webhook", &url, "--webhook-retries", "2"]);
    let output = run(regress).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["verdict"], "regression");
    let metrics = json["report"]["metrics"].as_array().expect("metrics");
    let arc = metrics
        .iter()
        .find(|metric| metric["name"] == "arc_easy.acc")
        .expect("arc_easy judged");
    assert_eq!(arc["status"], "regressed");
    let change = arc["change"].as_f64().expect("change");
    assert!((change - (25.0 - 45.0) / 60.0).abs() < 1e-12, "{change}");
    let piqa = metrics
        .iter()
        .find(|metric| metric["name"] == "piqa.acc")
        .expect("piqa judged");
    assert_eq!(piqa["status"], "unchanged");
    // The first POST got 503, the retry went through with the same verdict.
    let bodies = seen.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["verdict"], "regression");

    // A tolerance above the drop passes (exit 0); a threshold naming nothing is refused.
    let mut tolerant = yardstick(home.path());
    tolerant.args(["regress", "--baseline", "old", "--candidate", "new"]);
    tolerant.args(["--threshold", "arc_easy=50%"]);
    let output = run(tolerant).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("verdict: pass"));
    let mut typo = yardstick(home.path());
    typo.args(["regress", "--baseline", "old", "--candidate", "new"]);
    typo.args(["--threshold", "arc_esay=5%"]);
    let output = run(typo).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no metric named arc_esay") && stderr.contains("arc_easy.acc"),
        "{stderr}"
    );
}

/// 2 req/s of 100 input and 50 output tokens, prefill 20% of each request's time.
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

fn figure(json: &serde_json::Value, name: &str) -> (f64, String) {
    let figure = json["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .find(|figure| figure["name"] == name)
        .unwrap_or_else(|| panic!("no figure {name} in {json}"));
    (
        figure["value"].as_f64().expect("value"),
        figure["basis"].as_str().expect("basis").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_prices_measured_throughput_and_labels_projections() {
    let home = tempfile::tempdir().expect("home");
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    bench_run(&store, "serve", "model", &[("c=2#0", SERVING)]).await;
    store.close().await;

    // $3.60/h: input 0.2 × 3.6 / (3600 × 2 × 100) × 10⁶ = $1; output 0.8 × 3.6 /
    // (3600 × 2 × 50) × 10⁶ = $8; 5 req/s needs ⌈2.5⌉ = 3 replicas, 3 × 3.6 × 24 ×
    // 30.4375 = $7,889.40 a month; 100 W × 1 ÷ 100 tokens/s = 1 J/token = 0.2778 kWh per 1M.
    let mut cost = yardstick(home.path());
    cost.args(["cost", "--run", "serve", "--usd-per-hour", "3.6", "--json"]);
    cost.args([
        "--traffic-rps",
        "5",
        "--power-watts",
        "100",
        "--utilisation",
        "1",
    ]);
    let output = run(cost).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let close = |(value, _): (f64, String), expected: f64| {
        assert!(
            (value - expected).abs() < 1e-9 * expected.max(1.0),
            "{value} ≠ {expected}"
        );
    };
    close(figure(&json, "cost per 1M input tokens"), 1.0);
    close(figure(&json, "cost per 1M output tokens"), 8.0);
    close(figure(&json, "replicas"), 3.0);
    close(figure(&json, "cost per month"), 3.0 * 3.6 * 24.0 * 30.4375);
    close(figure(&json, "energy per 1M output tokens"), 1e6 / 3.6e6);
    assert_eq!(figure(&json, "cost per 1M output tokens").1, "measured");
    assert_eq!(figure(&json, "energy per 1M output tokens").1, "estimated");

    // Another instance type: refused without saying where the run was measured…
    let mut elsewhere = yardstick(home.path());
    elsewhere.args(["cost", "--run", "serve", "--instance", "aws/g5.xlarge"]);
    let output = run(elsewhere).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("must be projected"));
    // …and with it, projected by memory bandwidth (A10G 600 GB/s ÷ L4 300 GB/s = 2×),
    // every throughput-derived figure labelled a projection.
    let mut projected = yardstick(home.path());
    projected.args(["cost", "--run", "serve", "--instance", "aws/g5.xlarge"]);
    projected.args(["--measured-on", "aws/g6.xlarge", "--json"]);
    let output = run(projected).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let (value, basis) = figure(&json, "cost per 1M output tokens");
    assert!(
        (value - 0.8 * 1.006 / (3600.0 * 4.0 * 50.0) * 1e6).abs() < 1e-9,
        "{value}"
    );
    assert_eq!(basis, "projected");
    assert!(json["notes"]
        .to_string()
        .contains("projected from aws/g6.xlarge"));
}

/// [`two_models`] plus a bench run of each: "tuned" is more accurate (50/60 vs 40/60 on
/// arc_easy) but half as fast, slower to the first token and three times the memory.
async fn two_configurations(home: &Path) {
    two_models(home).await;
    let store = Store::open(&home.join("yardstick.db"))
        .await
        .expect("store");
    bench_run(&store, "bench-base", "base", &[("c=2#0", SERVING)]).await;
    let slower: Vec<(&str, f64)> = SERVING
        .iter()
        .map(|&(name, value)| match name {
            "requests_per_second" => (name, 1.0),
            "ttft_ms.p99" => (name, 600.0),
            "rss_mib.max" => (name, 3000.0),
            _ => (name, value),
        })
        .collect();
    bench_run(&store, "bench-tuned", "tuned", &[("c=2#0", &slower)]).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommend_ranks_stored_configurations_and_names_binding_constraints() {
    let home = tempfile::tempdir().expect("home");
    two_configurations(home.path()).await;

    let recommend = |extra: &[&str]| {
        let mut command = yardstick(home.path());
        command.args(["recommend", "--usd-per-hour", "1", "--json"]);
        command.args(extra);
        command
    };
    let output = run(recommend(&[])).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let result = &json["recommendation"];
    assert_eq!(
        result["recommended"], "base @ c=2#0 (run bench-base)",
        "{result}"
    );
    assert_eq!(result["ranking"].as_array().expect("ranking").len(), 2);
    // Accuracy only: the tuned model wins; a memory cap of 2 GB then binds.
    let accuracy_only = [
        "--weight",
        "accuracy=1",
        "--weight",
        "latency=0",
        "--weight",
        "throughput=0",
        "--weight",
        "cost=0",
        "--weight",
        "memory=0",
    ];
    let output = run(recommend(&accuracy_only)).await;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        json["recommendation"]["recommended"],
        "tuned @ c=2#0 (run bench-tuned)"
    );
    let mut capped = accuracy_only.to_vec();
    capped.extend(["--max-memory-gb", "2"]);
    let output = run(recommend(&capped)).await;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let result = &json["recommendation"];
    assert_eq!(result["recommended"], "base @ c=2#0 (run bench-base)");
    assert_eq!(result["binding"][0]["constraint"], "memory_gb ≤ 2");
    assert_eq!(
        result["binding"][0]["would_recommend"],
        "tuned @ c=2#0 (run bench-tuned)"
    );
    assert!(result["excluded"][0]["reasons"][0]
        .as_str()
        .expect("reason")
        .contains("memory_gb = 3.1"));

    // Presets by name; unknown ones list the valid names; nothing left exits 1.
    let output = run(recommend(&["--preset", "batch"])).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(recommend(&["--preset", "fast"])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("real-time-chat"));
    let output = run(recommend(&["--max-p99-ttft-ms", "10"])).await;
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_shows_category_scores_as_weighted_task_means() {
    let home = tempfile::tempdir().expect("home");
    two_models(home.path()).await;
    let out = home.path().join("report");
    let mut report = yardstick(home.path());
    report.args(["report", "--runs", "run-base,run-tuned", "--out"]);
    report.arg(&out);
    let output = run(report).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
            .expect("JSON");
    let categories = json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|section| section["title"] == "Categories")
        .expect("a Categories section");
    let text = categories.to_string();
    // base: reasoning = arc_easy alone (40/60), knowledge = boolq alone (30/60); both partial.
    assert!(text.contains(r#""base","reasoning","0.6667""#), "{text}");
    assert!(text.contains(r#""base","knowledge","0.5000""#), "{text}");
    assert!(text.contains("partial: no"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_models_adds_their_bench_runs_when_the_workload_matches() {
    let home = tempfile::tempdir().expect("home");
    two_models(home.path()).await;
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    // Synthetic prompts of one specification: each model's tokenizer gives other texts.
    let synthetic = serde_json::json!({"workload": {"prompts": {"kind": "synthetic", "input": "fixed:128"}, "output": "fixed:32", "seed": 0}});
    bench_run_with(
        &store,
        "bench-base",
        "base",
        synthetic.clone(),
        "digest-base",
        &[("c=2#0", SERVING)],
    )
    .await;
    bench_run_with(
        &store,
        "bench-tuned",
        "tuned",
        synthetic,
        "digest-tuned",
        &[("c=2#0", SERVING)],
    )
    .await;
    // A dataset workload whose prompts differ is another workload: refused.
    let dataset = serde_json::json!({"workload": {"prompts": {"kind": "dataset", "path": "a.jsonl"}, "seed": 0}});
    bench_run_with(
        &store,
        "bench-other",
        "other",
        dataset.clone(),
        "digest-a",
        &[("c=2#0", SERVING)],
    )
    .await;
    bench_run_with(
        &store,
        "bench-another",
        "another",
        dataset,
        "digest-b",
        &[("c=2#0", SERVING)],
    )
    .await;
    store.close().await;

    let mut compare = yardstick(home.path());
    compare.args(["compare", "--model", "base", "--model", "tuned", "--json"]);
    let output = run(compare).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // The eval comparison is still there, and the serving one joins it.
    assert_eq!(json["tasks"][0]["task"], "arc_easy", "{json}");
    let throughput = json["throughput"].as_array().expect("throughput");
    // SERVING stores requests_per_second, not output_tokens_per_second.
    assert_eq!(throughput.len(), 1, "{json}");
    assert_eq!(throughput[0]["point"], "c=2#0");
    assert_eq!(throughput[0]["baseline"], 2.0);
    let notes = json["notes"].to_string();
    assert!(
        notes.contains("bench run bench-base vs bench run bench-tuned"),
        "{notes}"
    );
    assert!(
        notes.contains("synthetic prompts of the same specification"),
        "{notes}"
    );

    let mut refused = yardstick(home.path());
    refused.args(["compare", "--model", "other", "--model", "another"]);
    let output = run(refused).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no comparable bench runs of both"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_shows_category_scores_with_user_weights() {
    let home = tempfile::tempdir().expect("home");
    two_models(home.path()).await;
    let categories = home.path().join("categories.yaml");
    std::fs::write(
        &categories,
        "mine:\n  - { task: arc_easy, weight: 3 }\n  - { task: boolq, weight: 1 }\n  - { task: mmlu, weight: 1 }\n",
    )
    .expect("categories");
    let mut leaderboard = yardstick(home.path());
    leaderboard.args(["leaderboard", "--format", "json", "--categories"]);
    leaderboard.arg(&categories);
    let output = run(leaderboard).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let base = json["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|cell| cell["model"] == "base")
        .expect("base's category")
        .clone();
    // (3 × 40/60 + 1 × 30/60) / 4 = 0.625, mmlu missing: partial.
    assert_eq!(base["category"], "mine");
    assert!(
        (base["score"].as_f64().expect("score") - 0.625).abs() < 1e-12,
        "{base}"
    );
    assert_eq!(base["partial"], true);
    assert_eq!(base["tasks_missing"][0], "mmlu");

    std::fs::write(&categories, "mine:\n  - { task: arc_easy, weight: -1 }\n").expect("write");
    let mut bad = yardstick(home.path());
    bad.args(["leaderboard", "--categories"]);
    bad.arg(&categories);
    let output = run(bad).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("categories.yaml") && stderr.contains("weights must be positive"),
        "{stderr}"
    );
}

/// The terminal tables of `compare`, `cost` and `recommend` over known results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_tables_are_stable() {
    let home = tempfile::tempdir().expect("home");
    two_configurations(home.path()).await;
    let text = |args: &'static [&'static str]| {
        let mut command = yardstick(home.path());
        command.args(args);
        async move {
            let output = run(command).await;
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).expect("UTF-8")
        }
    };
    insta::assert_snapshot!(
        "compare",
        text(&["compare", "--run", "run-base", "--run", "run-tuned"]).await
    );
    insta::assert_snapshot!(
        "cost",
        text(&[
            "cost",
            "--run",
            "bench-base",
            "--usd-per-hour",
            "3.6",
            "--power-watts",
            "100"
        ])
        .await
    );
    insta::assert_snapshot!(
        "recommend",
        text(&["recommend", "--usd-per-hour", "1"]).await
    );
}

/// A group's subtasks count once in recommend's accuracy and the report's scores, as on the
/// leaderboard: two MMLU subjects become one `mmlu (2/57 subtasks)` score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_subtasks_count_once_in_accuracy() {
    let home = tempfile::tempdir().expect("home");
    two_configurations(home.path()).await;
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    let wrong = vec![0.0; 10];
    for (run_id, model) in [("mmlu-base", "base"), ("mmlu-tuned", "tuned")] {
        eval_run(
            &store,
            run_id,
            model,
            &[
                ("mmlu_anatomy", "p", wrong.clone()),
                ("mmlu_astronomy", "p", wrong.clone()),
            ],
        )
        .await;
    }
    store.close().await;
    let mut recommend = yardstick(home.path());
    recommend.args(["recommend", "--usd-per-hour", "1", "--json"]);
    let output = run(recommend).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        json["notes"][0],
        "accuracy: mean main metric over arc_easy, boolq, mmlu (2/57 subtasks)"
    );
    let base = json["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|candidate| {
            candidate["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("base"))
        })
        .expect("base")
        .clone();
    // (40/60 + 30/60 + 0) / 3, not (40/60 + 30/60 + 0 + 0) / 4.
    let accuracy = base["objectives"]["accuracy"]["value"]
        .as_f64()
        .expect("accuracy");
    assert!(
        (accuracy - (40.0 / 60.0 + 0.5) / 3.0).abs() < 1e-12,
        "{accuracy}"
    );
}

#[test]
fn tasks_list_names_each_tasks_category() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = yardstick(home.path())
        .args(["tasks", "list", "--format", "csv"])
        .output()
        .expect("tasks list");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let category = |task: &str| {
        text.lines()
            .find(|line| line.split(',').next() == Some(task))
            .and_then(|line| line.rsplit(',').next())
            .unwrap_or_else(|| panic!("no {task} in {text}"))
            .to_string()
    };
    assert_eq!(category("humaneval"), "coding");
    assert_eq!(category("arc_easy"), "reasoning");
    assert_eq!(category("mmlu_anatomy"), "knowledge");
    assert_eq!(category("truthfulqa_mc1"), "safety");
}
