//! `yardstick serve` as a process on a free port with the real Gemma model: it prints its
//! URL, lists the model, answers a completion, and stops on Ctrl-C.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

#[tokio::test]
async fn serve_lists_the_model_answers_a_completion_and_stops_on_ctrl_c() {
    let Some(model) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    let home = tempfile::tempdir().expect("a home");
    let mut command = common::yardstick(home.path());
    command
        .args(["serve", "--model"])
        .arg(&model)
        .args(["--port", "0", "--threads", "1", "--context-tokens", "1024"])
        .args(["--parallel", "2", "--served-model-name", "tiny"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(120), line)
        .await
        .expect("it starts listening")
        .expect("join")
        .expect("a line");
    let base_url = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.strip_suffix(" (model tiny)\n"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"));

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let models: Value = client
        .get(format!("{base_url}/models"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(models["data"][0]["id"], "tiny");
    assert_eq!(models["data"][0]["max_model_len"], 1024);
    let response = client
        .post(format!("{base_url}/completions"))
        .json(&json!({ "model": "tiny", "prompt": "The capital of France is", "max_tokens": 4 }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["server"]
        .to_str()
        .is_ok_and(|server| server.starts_with("yardstick/")));
    let completion: Value = response.json().await.expect("JSON");
    assert_eq!(completion["usage"]["completion_tokens"], 4);
    assert!(completion["choices"][0]["text"].is_string());

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..300 {
            if let Some(status) = child.try_wait().expect("a status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        None
    })
    .await
    .expect("join");
    let status = status.expect("the server stopped within 30 s of Ctrl-C");
    assert!(status.success(), "{status}");
}
