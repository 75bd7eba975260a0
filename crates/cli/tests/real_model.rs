//! End to end through the binary with the real Gemma model: kill -9 mid-run then resume
//! (nothing lost, nothing duplicated), Ctrl-C, identical numbers on a re-run, export.

mod common;

use common::yardstick;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use yardstick_store::Store;
use yardstick_test_support::fixtures::{gemma_model, require_datasets};

fn stored_items(home: &Path) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let Ok(store) = Store::open(&home.join("yardstick.db")).await else {
            return 0;
        };
        let mut total = 0;
        for run in store.list_runs().await.unwrap_or_default() {
            for unit in store.units(&run.run_id).await.unwrap_or_default() {
                total += store
                    .completed_item_indices(unit.unit_id)
                    .await
                    .map(|set| set.len() as u64)
                    .unwrap_or(0);
            }
        }
        total
    })
}

fn results(path: &Path) -> (String, bool, Vec<(String, String, u64)>) {
    let text = std::fs::read_to_string(path).expect("results json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let rows = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|row| row["metric"] != "items_per_second")
        .map(|row| {
            (
                row["task"].as_str().unwrap_or_default().to_string(),
                row["metric"].as_str().unwrap_or_default().to_string(),
                row["value"].as_f64().unwrap_or(f64::NAN).to_bits(),
            )
        })
        .collect();
    (
        json["run_id"].as_str().unwrap_or_default().to_string(),
        json["resumed"].as_bool().unwrap_or(false),
        rows,
    )
}

#[test]
fn kill_resume_rerun_and_export_on_the_real_model() {
    let (Some(model), Some(data)) = (gemma_model(), require_datasets()) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let status = yardstick(home.path())
        .args(["models", "add", "--name", "gemma"])
        .arg(&model)
        .status()
        .expect("models add");
    assert!(status.success());

    let eval = |json: &Path| {
        let mut command = yardstick(home.path());
        command
            .args([
                "eval",
                "-m",
                "gemma",
                "--tasks",
                "arc_easy",
                "--limit",
                "10",
                "--threads",
                "2",
            ])
            .arg("--data-dir")
            .arg(&data)
            .arg("--output-json")
            .arg(json);
        command
    };

    // 1. Start, wait for a few finished items, kill -9.
    let first_json = home.path().join("first.json");
    let mut child = eval(&first_json)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn eval");
    let started = Instant::now();
    while stored_items(home.path()) < 3 {
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("eval ended before it could be killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let after_kill = stored_items(home.path());
    assert!(
        (3..10).contains(&after_kill),
        "{after_kill} items stored at the kill"
    );

    // 2. The same command continues the same run: nothing lost, nothing duplicated.
    let resumed_json = home.path().join("resumed.json");
    let status = eval(&resumed_json).status().expect("resume");
    assert!(status.success());
    let (run_id, resumed, resumed_rows) = results(&resumed_json);
    assert!(resumed, "the re-run must continue the interrupted run");
    assert_eq!(stored_items(home.path()), 10);

    let export = yardstick(home.path())
        .args(["export", "--run", &run_id, "--items", "--format", "jsonl"])
        .output()
        .expect("export");
    assert!(export.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("jsonl line"))
        .collect();
    let indices: BTreeSet<u64> = lines
        .iter()
        .filter_map(|l| l["item_index"].as_u64())
        .collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(indices, (0..10).collect());
    for line in &lines {
        assert_eq!(
            line["choice_loglikelihoods"].as_array().map(Vec::len),
            line["choice_is_greedy"].as_array().map(Vec::len)
        );
        assert_eq!(
            line["correct"].as_bool(),
            Some(line["prediction"] == line["gold"])
        );
    }

    // 3. Running it again makes a new, complete run with bit-identical numbers.
    let again_json = home.path().join("again.json");
    let status = eval(&again_json).status().expect("again");
    assert!(status.success());
    let (again_id, again_resumed, again_rows) = results(&again_json);
    assert_ne!(again_id, run_id);
    assert!(!again_resumed);
    assert!(!again_rows.is_empty());
    assert_eq!(again_rows, resumed_rows);
}

#[test]
fn ctrl_c_interrupts_and_keeps_finished_items() {
    let (Some(model), Some(data)) = (gemma_model(), require_datasets()) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let child = yardstick(home.path())
        .args(["eval", "--tasks", "hellaswag", "--limit", "200", "--model"])
        .arg(&model)
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn eval");
    let started = Instant::now();
    while stored_items(home.path()) < 2 {
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let kept = stored_items(home.path());
    assert!((2..200).contains(&kept), "{kept}");
}
