//! Clear errors for bad input, through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn yardstick(home: &std::path::Path) -> Command {
    let mut command = Command::cargo_bin("yardstick").expect("binary");
    command
        .env("YARDSTICK_HOME", home)
        .env_remove("YARDSTICK_DATA");
    command
}

#[test]
fn unknown_model_names_the_model_and_the_alternatives() {
    let home = tempfile::tempdir().expect("tempdir");
    yardstick(home.path())
        .args([
            "eval",
            "--model",
            "no-such-model",
            "--tasks",
            "arc_easy",
            "--limit",
            "1",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown model `no-such-model`"))
        .stderr(predicate::str::contains("gemma-3-270m-q4_k_m"));
}

#[test]
fn unknown_task_names_the_task() {
    let home = tempfile::tempdir().expect("tempdir");
    yardstick(home.path())
        .args(["eval", "--model", "x", "--tasks", "arc_eazy"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("arc_eazy"))
        .stderr(predicate::str::contains("arc_easy"));
}

#[test]
fn catalog_model_not_pulled_says_how_to_pull_it() {
    let home = tempfile::tempdir().expect("tempdir");
    yardstick(home.path())
        .args([
            "eval",
            "--model",
            "gemma-3-270m-q4_k_m",
            "--tasks",
            "arc_easy",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "yardstick models pull gemma-3-270m-q4_k_m",
        ));
}

#[test]
fn missing_data_dir_names_the_path_and_the_flag() {
    let home = tempfile::tempdir().expect("tempdir");
    // Any file registers as a model by path; the data directory check comes before loading.
    let model = home.path().join("tiny.gguf");
    std::fs::write(
        &model,
        b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    )
    .expect("write");
    let output = yardstick(home.path())
        .args([
            "eval",
            "--tasks",
            "arc_easy",
            "--data-dir",
            "/no/such/datasets",
            "--model",
        ])
        .arg(&model)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).to_string();
    assert!(stderr.contains("/no/such/datasets"), "{stderr}");
    assert!(stderr.contains("--data-dir"), "{stderr}");
}

#[test]
fn export_of_unknown_run_is_a_clear_error() {
    let home = tempfile::tempdir().expect("tempdir");
    yardstick(home.path())
        .args(["export", "--run", "nope", "--items", "--format", "jsonl"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no run with id nope"));
}

#[test]
fn leaderboard_on_an_empty_store_says_what_to_do() {
    let home = tempfile::tempdir().expect("tempdir");
    yardstick(home.path())
        .args(["leaderboard"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no results yet"));
}
