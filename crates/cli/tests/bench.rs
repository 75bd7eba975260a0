//! `yardstick probe` and `yardstick bench` through the binary: against the scripted mock
//! server (every mode, faults, stored records) and in-process with the real Gemma model.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use yardstick_load::RequestTiming;
use yardstick_store::{RunKind, Store};
use yardstick_test_support::fixtures::gemma_model;
use yardstick_test_support::mock_openai::{Fault, FaultRule, FaultWhen, MockScript, MockServer};

fn yardstick(home: &Path) -> Command {
    let mut command = Command::cargo_bin("yardstick").expect("binary");
    command
        .env("YARDSTICK_HOME", home)
        .env_remove("YARDSTICK_DATA")
        .env_remove("YARDSTICK_API_KEY")
        .arg("--quiet");
    command
}

/// Runs the binary off the test's runtime (the mock serves on it meanwhile).
async fn run(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("join")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every stored bench unit: (task, request records).
async fn stored_bench(home: &Path) -> Vec<(String, Vec<RequestTiming>)> {
    let store = Store::open(&home.join("yardstick.db"))
        .await
        .expect("store");
    let mut units = Vec::new();
    for run in store.list_runs().await.expect("runs") {
        assert_eq!(run.kind, RunKind::Bench);
        for unit in store.units(&run.run_id).await.expect("units") {
            let records = store
                .requests(unit.unit_id)
                .await
                .expect("requests")
                .into_iter()
                .map(|(_, json)| serde_json::from_str(&json).expect("a timing record"))
                .collect();
            units.push((unit.task, records));
        }
    }
    units.sort_by(|a, b| a.0.cmp(&b.0));
    units
}

fn mock_script() -> MockScript {
    MockScript {
        time_to_first_token: Duration::from_millis(10),
        inter_token_gap: Duration::from_millis(2),
        ..MockScript::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_prints_what_the_server_supports() {
    let server = MockServer::start(MockScript {
        echo_logprobs: false,
        ..mock_script()
    })
    .await
    .expect("mock");
    let home = tempfile::tempdir().expect("home");
    let mut command = yardstick(home.path());
    command.args([
        "probe",
        "--endpoint",
        &server.base_url(),
        "--format",
        "json",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["served_model"], "mock-model");
    assert_eq!(report["findings"]["streaming"]["support"], "yes");
    assert_eq!(
        report["findings"]["ignore_eos / min_tokens"]["support"],
        "yes"
    );
    assert_eq!(
        report["findings"]["echo + prompt logprobs"]["support"],
        "no"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_against_a_server_stores_every_request_and_writes_the_report() {
    let server = MockServer::start(mock_script()).await.expect("mock");
    let home = tempfile::tempdir().expect("home");
    // bench probes the server first: count the probe's requests, then fail the 4th request
    // of the load test itself.
    let mut probe = yardstick(home.path());
    probe.args(["probe", "--endpoint", &server.base_url()]);
    assert!(run(probe).await.status.success());
    let probe_requests = server.log().len() as u64;
    server.set_script(MockScript {
        faults: vec![FaultRule::new(
            Fault::HttpStatus { status: 503 },
            FaultWhen::Requests(vec![2 * probe_requests + 3]),
        )],
        ..mock_script()
    });
    let out = home.path().join("report");
    let dataset = home.path().join("prompts.jsonl");
    let lines: Vec<String> = (0..5)
        .map(|index| format!("{{\"prompt\": \"question {index}\", \"max_tokens\": 6}}"))
        .collect();
    std::fs::write(&dataset, lines.join("\n")).expect("dataset");
    let mut command = yardstick(home.path());
    command.args([
        "bench",
        "--endpoint",
        &server.base_url(),
        "--served-model",
        "mock-model",
    ]);
    command.args(["--dataset", dataset.to_str().expect("utf-8")]);
    command.args(["--concurrency", "1,3", "--requests", "6", "--warmup", "2"]);
    command.args([
        "--slo",
        "ttft:p99<=5000",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("c=1") && stdout.contains("c=3"), "{stdout}");
    assert!(
        stdout.contains("http_503"),
        "the failure is reported: {stdout}"
    );

    let units = stored_bench(home.path()).await;
    let tasks: Vec<&str> = units.iter().map(|(task, _)| task.as_str()).collect();
    assert_eq!(tasks, ["bench:c=1#0", "bench:c=3#0"]);
    for (_, records) in &units {
        assert_eq!(
            records.len(),
            8,
            "warm-up + measured requests are all stored"
        );
    }
    let failed: Vec<&RequestTiming> = units
        .iter()
        .flat_map(|(_, records)| records)
        .filter(|record| record.error.is_some())
        .collect();
    assert_eq!(failed.len(), 1, "the mock's one injected 503");
    let completed = units[0]
        .1
        .iter()
        .find(|record| record.succeeded())
        .expect("ok");
    assert_eq!(completed.completion_tokens.expect("usage").count, 6);
    for file in [
        "report.json",
        "requests.csv",
        "metrics.csv",
        "ttft_cdf.svg",
        "itl_cdf.svg",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_refuses_bad_flags_naming_them() {
    let home = tempfile::tempdir().expect("home");
    for (args, expected) in [
        (vec!["bench", "--concurrency", "1"], "needs a target"),
        (
            vec![
                "bench",
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--served-model",
                "m",
                "--slo",
                "ttft:p1<=3",
            ],
            "--slo",
        ),
        (
            vec![
                "bench",
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--served-model",
                "m",
                "--rate=-2",
            ],
            "--rate -2",
        ),
        (
            vec![
                "bench",
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--served-model",
                "m",
                "--arrivals",
                "gamma:0",
                "--rate",
                "1",
            ],
            "--arrivals gamma:0",
        ),
        (
            vec![
                "bench",
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--served-model",
                "m",
                "--parallel",
                "2",
            ],
            "--parallel applies to the in-process engine only",
        ),
    ] {
        let mut command = yardstick(home.path());
        command.args(&args);
        let output = run(command).await;
        assert!(!output.status.success(), "{args:?} must fail");
        assert!(
            text(&output).contains(expected),
            "{args:?}: {}",
            text(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_open_loop_and_slo_search_run_against_a_server() {
    let server = MockServer::start(MockScript {
        max_concurrent: Some(1),
        ..mock_script()
    })
    .await
    .expect("mock");
    let home = tempfile::tempdir().expect("home");
    let dataset = home.path().join("prompts.jsonl");
    std::fs::write(&dataset, "{\"prompt\": \"hello\", \"max_tokens\": 4}\n").expect("dataset");
    let mut command = yardstick(home.path());
    command.args([
        "bench",
        "--endpoint",
        &server.base_url(),
        "--served-model",
        "mock-model",
    ]);
    command.args([
        "--dataset",
        dataset.to_str().expect("utf-8"),
        "--warmup",
        "0",
    ]);
    command.args(["--rate", "20", "--arrivals", "constant", "--requests", "8"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));
    let units = stored_bench(home.path()).await;
    assert_eq!(units.len(), 1);
    let scheduled: Vec<Duration> = units[0]
        .1
        .iter()
        .map(|record| record.scheduled.expect("open-loop records are scheduled"))
        .collect();
    assert_eq!(scheduled[1] - scheduled[0], Duration::from_millis(50));

    let mut command = yardstick(home.path());
    command.args([
        "bench",
        "--endpoint",
        &server.base_url(),
        "--served-model",
        "mock-model",
    ]);
    command.args([
        "--dataset",
        dataset.to_str().expect("utf-8"),
        "--warmup",
        "0",
    ]);
    command.args(["--slo", "ttft:p99<=100", "--search", "--rate-max", "200"]);
    command.args([
        "--search-steps",
        "3",
        "--requests",
        "10",
        "--arrivals",
        "constant",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("SLO search (ttft:p99<=100): met at"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_in_process_streams_tokens_from_the_real_model() {
    let Some(model) = gemma_model() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let mut command = yardstick(home.path());
    command.args(["bench", "--model", model.to_str().expect("utf-8")]);
    command.args([
        "--input-tokens",
        "32",
        "--output-tokens",
        "8",
        "--requests",
        "3",
    ]);
    command.args(["--warmup", "1", "--concurrency", "2", "--threads", "2"]);
    command.args(["--parallel", "2"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));
    let units = stored_bench(home.path()).await;
    assert_eq!(units.len(), 1);
    // Two streams decoded side by side: some two requests' token streams overlap in time
    // (one at a time, a request's first token would come after the other's last).
    let records = &units[0].1;
    let overlapping = records.iter().enumerate().any(|(index, first)| {
        records[index + 1..].iter().any(|second| {
            first.first_byte < second.last_byte && second.first_byte < first.last_byte
        })
    });
    assert!(overlapping, "{records:?}");
    for record in &units[0].1 {
        assert!(record.succeeded(), "{record:?}");
        // Exact prompt length from the GGUF vocabulary, exact output length by ignore_eos.
        assert_eq!(record.prompt_tokens.expect("prompt").count, 32);
        assert_eq!(record.completion_tokens.expect("completion").count, 8);
        assert_eq!(record.chunks.len(), 8, "one event per generated token");
        assert!(record
            .chunks
            .windows(2)
            .all(|pair| pair[0].arrived <= pair[1].arrived));
    }
    // The unit belongs to the GGUF's in-process deployment on this machine, with the load
    // settings it ran with.
    let store = Store::open(&home.path().join("yardstick.db"))
        .await
        .expect("store");
    let run = store.list_runs().await.expect("runs").remove(0);
    let unit = store.units(&run.run_id).await.expect("units").remove(0);
    let deployment = store
        .deployment(unit.deployment_id.as_deref().expect("attached"))
        .await
        .expect("read")
        .expect("stored");
    let identity = &deployment.identity;
    assert_eq!(identity.engine.kind, yardstick_core::EngineKind::LlamaCpp);
    assert_eq!(identity.quantization.as_deref(), Some("Q4_K_M"));
    assert_eq!(identity.serving.parallel, Some(2));
    assert_eq!(identity.serving.threads, Some(2));
    assert!(identity.hardware.memory_gib.is_some(), "{identity:?}");
    assert!(
        deployment.name.contains("Q4_K_M · llamacpp"),
        "{}",
        deployment.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_against_a_real_llama_server_gets_exact_prompt_and_output_lengths() {
    use yardstick_test_support::llama_server::{llama_server_binary, LlamaServer};
    let (Some(model), Some(binary)) = (gemma_model(), llama_server_binary()) else {
        return;
    };
    let server = LlamaServer::start(&binary, &model, &[]).unwrap_or_else(|error| panic!("{error}"));
    let home = tempfile::tempdir().expect("home");
    let mut command = yardstick(home.path());
    command.args(["bench", "--endpoint", &server.base_url()]);
    command.args(["--model", model.to_str().expect("utf-8")]);
    command.args([
        "--input-tokens",
        "48",
        "--output-tokens",
        "12",
        "--requests",
        "4",
    ]);
    command.args(["--warmup", "1", "--concurrency", "1,2"]);
    command.args(["--server-pid", &server.pid().to_string()]);
    let output = run(command).await;
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output),
        server.log_text()
    );
    let units = stored_bench(home.path()).await;
    assert_eq!(units.len(), 2);
    for (_, records) in &units {
        assert_eq!(records.len(), 5);
        for record in records {
            assert!(record.succeeded(), "{record:?}");
            // The server counts the prompt with its own tokenizer: the synthetic prompt built
            // with the GGUF vocabulary has exactly the asked length for it.
            assert_eq!(record.prompt_tokens.expect("usage").count, 48);
            assert_eq!(record.completion_tokens.expect("usage").count, 12);
        }
    }
    // A served deployment, whatever file gave the tokenizer: its weights, quantization and
    // hardware are the server's.
    let mut list = yardstick(home.path());
    list.args(["deployments", "list", "--format", "json"]);
    let output = run(list).await;
    assert!(output.status.success(), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rows = json.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{json}");
    let identity = &rows[0]["identity"];
    assert_eq!(identity["model"]["kind"], "served", "{identity}");
    assert_eq!(identity["engine"]["kind"], "openai-compatible");
    assert!(identity["quantization"].is_null());
    assert_eq!(rows[0]["bench_units"], 2);
}

/// A bench of a server attaches its units to the served deployment: named and described by
/// the flags, matched again by a later bench of the same server and served model, shown by
/// `deployments show`; `--hardware` is refused in-process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_of_a_server_belongs_to_the_served_deployment() {
    let server = MockServer::start(mock_script()).await.expect("mock");
    let home = tempfile::tempdir().expect("home");
    let dataset = home.path().join("prompts.jsonl");
    std::fs::write(&dataset, "{\"prompt\": \"hello\", \"max_tokens\": 4}\n").expect("dataset");
    let bench = |extra: &[&str]| {
        let mut command = yardstick(home.path());
        command.args([
            "bench",
            "--endpoint",
            &server.base_url(),
            "--served-model",
            "mock-model",
            "--dataset",
            dataset.to_str().expect("utf-8"),
            "--warmup",
            "0",
            "--concurrency",
            "1",
            "--requests",
            "2",
            "--hardware",
            "1x H100 80GB",
        ]);
        command.args(extra);
        command
    };
    let output = run(bench(&["--deployment", "mock-h100"])).await;
    assert!(output.status.success(), "{}", text(&output));
    let output = run(bench(&[])).await;
    assert!(output.status.success(), "{}", text(&output));

    let mut show = yardstick(home.path());
    show.args(["deployments", "show", "mock-h100", "--format", "json"]);
    let output = run(show).await;
    assert!(output.status.success(), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["identity"]["model"]["kind"], "served");
    assert_eq!(json["identity"]["model"]["served_model"], "mock-model");
    assert_eq!(
        json["identity"]["model"]["base_url"],
        server.base_url().trim_end_matches('/')
    );
    assert_eq!(json["identity"]["engine"]["kind"], "openai-compatible");
    assert_eq!(json["identity"]["hardware"]["described"], "1x H100 80GB");
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "both benches: {json}");
    assert!(runs.iter().all(|run| run["kind"] == "bench"));

    let mut in_process = yardstick(home.path());
    in_process.args(["bench", "--model", "nothing.gguf", "--hardware", "1x H100"]);
    let output = run(in_process).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("--hardware"), "{}", text(&output));
}
