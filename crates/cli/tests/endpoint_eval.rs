//! `yardstick eval --endpoint` against real servers: llama.cpp's `llama-server` (built by
//! the set-up) ignores `echo`, so loglikelihood tasks are refused with the capability
//! message and a non-zero exit, while a generative task is scored.

mod common;

use common::{run, yardstick};
use yardstick_test_support::fixtures::{gemma_model, require_datasets};
use yardstick_test_support::llama_server::{llama_server_binary, LlamaServer};

#[tokio::test]
async fn llama_server_is_refused_for_loglikelihood_tasks_and_scores_a_generative_one() {
    let (Some(binary), Some(model), Some(data)) =
        (llama_server_binary(), gemma_model(), require_datasets())
    else {
        return;
    };
    let server = LlamaServer::start(&binary, &model, &["--alias", "gemma"]).expect("llama-server");
    let home = tempfile::tempdir().expect("home");
    let eval = |tasks: &str| {
        let mut command = yardstick(home.path());
        command
            .args([
                "eval",
                "--endpoint",
                &server.base_url(),
                "--served-model",
                "gemma",
            ])
            .args(["--tasks", tasks, "--limit", "2", "--format", "json"])
            .arg("--data-dir")
            .arg(&data);
        command
    };

    let refused = run(eval("arc_easy")).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("refusing task arc_easy")
            && stderr.contains("it needs loglikelihood")
            && stderr.contains("no prompt token logprobs"),
        "{stderr}"
    );
    let runs = run({
        let mut command = yardstick(home.path());
        command.args(["runs", "list", "--format", "json"]);
        command
    })
    .await;
    assert_eq!(
        String::from_utf8_lossy(&runs.stdout).trim(),
        "[]",
        "nothing is stored for a refused run"
    );

    // Zero-shot: the test server's slots hold 512 tokens, five examples do not fit.
    let mut command = eval("gsm8k");
    command.args(["--num-fewshot", "0"]);
    let scored = run(command).await;
    let stderr = String::from_utf8_lossy(&scored.stderr);
    assert!(scored.status.success(), "{stderr}\n{}", server.log_text());
    let outcome: serde_json::Value = serde_json::from_slice(&scored.stdout).expect("json");
    assert_eq!(outcome["status"], "complete");
    let endpoint = &outcome["fingerprint"]["units"][0]["endpoint"];
    assert_eq!(endpoint["served_model"], "gemma");
    assert!(
        endpoint["model_entry"]
            .as_str()
            .is_some_and(|entry| entry.contains("gemma")),
        "{endpoint}"
    );
    let exact = outcome["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|row| {
            row["metric"]
                .as_str()
                .is_some_and(|metric| metric.starts_with("exact_match"))
        })
        .expect("an exact_match row");
    assert_eq!(exact["n"], 2);
}
