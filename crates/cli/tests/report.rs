//! `yardstick report` through the binary: a bench run against the scripted mock, then the
//! report over it in HTML, PDF and JSON.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use yardstick_store::Store;
use yardstick_test_support::mock_openai::{MockScript, MockServer};

fn yardstick(home: &Path) -> Command {
    let mut command = Command::cargo_bin("yardstick").expect("binary");
    command
        .env("YARDSTICK_HOME", home)
        .env_remove("YARDSTICK_DATA")
        .arg("--quiet");
    command
}

async fn run(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_over_a_bench_run_writes_html_pdf_and_json_with_the_stored_numbers() {
    let server = MockServer::start(MockScript {
        time_to_first_token: Duration::from_millis(5),
        inter_token_gap: Duration::from_millis(1),
        ..MockScript::default()
    })
    .await
    .expect("mock");
    let home = tempfile::tempdir().expect("home");
    let dataset = home.path().join("prompts.jsonl");
    let lines: Vec<String> = (0..4)
        .map(|index| format!("{{\"prompt\": \"question {index}\", \"max_tokens\": 4}}"))
        .collect();
    std::fs::write(&dataset, lines.join("\n")).expect("dataset");
    let mut bench = yardstick(home.path());
    bench.args([
        "bench",
        "--endpoint",
        &server.base_url(),
        "--served-model",
        "mock-model",
    ]);
    bench.args(["--dataset", dataset.to_str().expect("utf-8")]);
    bench.args(["--concurrency", "2", "--requests", "4", "--warmup", "0"]);
    let output = run(bench).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    let runs = store.list_runs().await.expect("runs");
    assert_eq!(runs.len(), 1);
    let run_id = runs[0].run_id.clone();
    let stored = store.metrics_for_run(&run_id).await.expect("metrics");
    let throughput = stored
        .iter()
        .find(|metric| metric.record.name == "requests_per_second")
        .expect("stored throughput")
        .record
        .value;
    drop(store);

    let out = home.path().join("report");
    let mut report = yardstick(home.path());
    report.args([
        "report",
        "--runs",
        &run_id,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let output = run(report).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The serving row carries the stored throughput, formatted as the table shows it.
    let row =
        format!("<tr><td>{run_id}</td><td>mock-model</td><td>c=2#0</td><td>{throughput:.2}</td>");
    assert!(html.contains(&row), "{row} not in {html}");
    assert!(html.contains(&runs[0].fingerprint_id));
    let pdf = std::fs::read(out.join("report.pdf")).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
            .expect("valid JSON");
    let titles: Vec<&str> = json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(|section| section["title"].as_str())
        .collect();
    assert_eq!(titles, ["Runs", "Serving", "Fingerprints"]);

    let mut unknown = yardstick(home.path());
    unknown.args([
        "report",
        "--runs",
        "no-such-run",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let output = run(unknown).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--runs no-such-run: no such run"));
}
