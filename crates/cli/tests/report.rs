//! `yardstick report` through the binary: two models benchmarked against the scripted mock
//! (real request timings, so latency CDFs), their eval results written into the store, then
//! the report over all four runs in HTML, PDF, JSON and plot files — and the HTML opened in
//! Debian's headless chromium, which must show the plots.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{eval_run, run, yardstick};
use yardstick_store::Store;
use yardstick_test_support::mock_openai::{MockScript, MockServer};

/// Benchmarks `model` served by a mock with the given time to first token; returns the run id.
async fn bench(home: &Path, model: &str, time_to_first_token: Duration) -> String {
    let server = MockServer::start(MockScript {
        models: vec![model.to_string()],
        time_to_first_token,
        inter_token_gap: Duration::from_millis(1),
        ..MockScript::default()
    })
    .await
    .expect("mock");
    let dataset = home.join("prompts.jsonl");
    let lines: Vec<String> = (0..4)
        .map(|index| format!("{{\"prompt\": \"question {index}\", \"max_tokens\": 4}}"))
        .collect();
    std::fs::write(&dataset, lines.join("\n")).expect("dataset");
    let mut bench = yardstick(home);
    bench.args([
        "bench",
        "--endpoint",
        &server.base_url(),
        "--served-model",
        model,
    ]);
    bench.args(["--dataset", dataset.to_str().expect("utf-8")]);
    bench.args(["--concurrency", "2", "--requests", "4", "--warmup", "0"]);
    let output = run(bench).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let store = Store::open(&home.join("yardstick.db"))
        .await
        .expect("store");
    let mut runs = store.list_runs().await.expect("runs");
    store.close().await;
    runs.sort_by_key(|run| run.created_at);
    runs.last().expect("the bench run").run_id.clone()
}

/// 60 arc_easy items, the first `correct` right.
fn scores(correct: usize) -> Vec<f64> {
    (0..60)
        .map(|index| if index < correct { 1.0 } else { 0.0 })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_writes_html_pdf_json_and_plots_that_chromium_shows() {
    let home = tempfile::tempdir().expect("home");
    let fast = bench(home.path(), "mock-a", Duration::from_millis(5)).await;
    let slow = bench(home.path(), "mock-b", Duration::from_millis(40)).await;
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    eval_run(&store, "eval-a", "mock-a", &[("arc_easy", "p", scores(30))]).await;
    eval_run(&store, "eval-b", "mock-b", &[("arc_easy", "p", scores(48))]).await;
    let stored = store.metrics_for_run(&fast).await.expect("metrics");
    let throughput = stored
        .iter()
        .find(|metric| metric.record.name == "requests_per_second")
        .expect("stored throughput")
        .record
        .value;
    let fingerprint_id = store
        .run(&fast)
        .await
        .expect("read")
        .expect("run")
        .fingerprint_id;
    store.close().await;

    let out = home.path().join("report");
    let mut report = yardstick(home.path());
    report.args([
        "report",
        "--runs",
        &format!("eval-a,eval-b,{fast},{slow}"),
        "--usd-per-hour",
        "1.5",
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
    let row = format!("<tr><td>{fast}</td><td>mock-a</td><td>c=2#0</td><td>{throughput:.2}</td>");
    assert!(html.contains(&row), "{row} not in {html}");
    assert!(html.contains(&fingerprint_id));
    // Bench runs name the machine they were measured on.
    assert!(html.contains("logical CPUs"), "no host in {html}");
    let pdf = std::fs::read(out.join("report.pdf")).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
            .expect("valid JSON");
    let sections = json["sections"].as_array().expect("sections");
    let titles: Vec<&str> = sections
        .iter()
        .filter_map(|section| section["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Runs",
            "Quality",
            "Categories",
            "Comparisons",
            "Trade-offs",
            "Cost and energy",
            "Serving",
            "Latency distributions",
            "Fingerprints"
        ]
    );
    // mock-b: 48 of 60 against 30 of 60, 18 items only it gets right: clearly better.
    let comparisons = serde_json::to_string(&sections[3]).expect("JSON");
    assert!(
        comparisons.contains("\"arc_easy\",\"acc\",\"60\",\"0.5000\",\"0.8000\",\"+0.3000"),
        "{comparisons}"
    );
    assert!(comparisons.contains("\"better\""), "{comparisons}");
    // Both configurations are on both fronts: mock-b scores higher, mock-a is faster and
    // cheaper.
    let tradeoffs = &sections[4];
    let rows = tradeoffs["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|block| block["kind"] == "table")
        .expect("the trade-off table")["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["highlight"], true, "{row}");
    }

    let plots = [
        "pareto-score-vs-latency",
        "pareto-score-vs-cost",
        "ttft-cdf",
        "e2e-cdf",
    ];
    for name in plots {
        let svg = std::fs::read_to_string(out.join(format!("plots/{name}.svg"))).expect("svg");
        assert!(svg.starts_with("<svg "), "{name}");
        let png = std::fs::read(out.join(format!("plots/{name}.png"))).expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
    }

    check_in_chromium(&out.join("report.html"), &plots, home.path());

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

/// Debian's chromium; scripts/setup.sh installs it.
fn chromium() -> PathBuf {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        })
        .expect("chromium is not installed: run scripts/setup.sh (it installs Debian's chromium)")
}

/// Opens `html` in headless chromium: it loads without a console message (a failed load, a
/// blocked resource, a parse problem reported to the console), the parsed page holds each
/// plot's SVG with its chart title, and a screenshot shows the plots' colours.
fn check_in_chromium(html: &Path, plots: &[&str], scratch: &Path) {
    let url = format!("file://{}", html.display());
    let browser = |extra: &[&str]| {
        let profile = tempfile::tempdir_in(scratch).expect("profile");
        let output = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let console: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("CONSOLE"))
            .collect();
        assert!(console.is_empty(), "console messages: {console:#?}");
        output.stdout
    };

    let dom = String::from_utf8(browser(&["--dump-dom"])).expect("UTF-8 DOM");
    assert_eq!(dom.matches("<svg").count(), plots.len(), "{dom}");
    for name in plots {
        let start = dom
            .find(&format!("id=\"plot-{name}\""))
            .unwrap_or_else(|| panic!("no figure plot-{name} in the page"));
        let figure = &dom[start..];
        let figure = &figure[..figure.find("</figure>").expect("closed figure")];
        assert!(
            figure.contains("<svg") && figure.contains("<text"),
            "plot {name} has no drawn SVG in the page"
        );
    }

    let screenshot = scratch.join("report.png");
    browser(&[
        "--hide-scrollbars",
        "--window-size=1280,6000",
        &format!("--screenshot={}", screenshot.display()),
    ]);
    let image = image::open(&screenshot)
        .expect("the screenshot is an image")
        .to_rgb8();
    // The first two series colours of every plot (tab10 blue and orange): the page has no
    // other element drawn in them.
    let plotted = image
        .pixels()
        .filter(|pixel| pixel.0 == [31, 119, 180] || pixel.0 == [255, 127, 14])
        .count();
    assert!(
        plotted > 2_000,
        "the screenshot shows {plotted} pixels in the plots' colours"
    );
}
