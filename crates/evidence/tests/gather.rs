//! `gather` against a real SQLite store written through the store's API: what eval and
//! bench units are read as, and which runs the selections keep.

mod common;

use std::collections::BTreeMap;

use common::{
    acc_unit, bench_fingerprint, bench_unit, eval_unit, item, profile, run, store, timing,
};
use yardstick_core::{Host, ItemResult, Unit};
use yardstick_evidence::gather::{
    bench_runs_of, bench_units, eval_units, host_of, latest_comparable_benches, latest_eval_units,
    load_seconds, newest_configurations, profile_records,
};
use yardstick_evidence::ComparisonMode;
use yardstick_load::ErrorCause;
use yardstick_store::{RunKind, Status};
use yardstick_test_support::evidence::new_run;
use yardstick_test_support::fingerprint::fingerprint;

#[tokio::test]
async fn eval_units_read_the_main_metric_and_its_per_item_values() {
    let store = store().await;
    run(&store, "eval-1", RunKind::Eval, 0, Status::Complete).await;
    // acc_norm is preferred over acc (and the rate is never a main metric).
    let arc_items: Vec<ItemResult> = [(1.0, 1.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)]
        .iter()
        .enumerate()
        .map(|(index, (acc, acc_norm))| {
            item(index as u64, &[("acc", *acc), ("acc_norm", *acc_norm)])
        })
        .collect();
    eval_unit(
        &store,
        "eval-1",
        fingerprint("m", "arc_easy"),
        &[("items_per_second", 9.0), ("acc", 0.5), ("acc_norm", 0.75)],
        &arc_items,
        Status::Complete,
    )
    .await;
    acc_unit(&store, "eval-1", "m", "piqa", &[1.0, 0.0], Status::Complete).await;
    // A weighted metric has no per-item mean: no items.
    let mut perplexity = item(0, &[("word_perplexity", 20.0)]);
    perplexity.weights = vec![("word_perplexity".to_string(), 10.0)];
    eval_unit(
        &store,
        "eval-1",
        fingerprint("m", "wikitext"),
        &[("word_perplexity", 20.0)],
        &[perplexity],
        Status::Complete,
    )
    .await;
    // Only the rate: no main metric, left out.
    eval_unit(
        &store,
        "eval-1",
        fingerprint("m", "boolq"),
        &[("items_per_second", 9.0)],
        &[item(0, &[("acc", 1.0)])],
        Status::Complete,
    )
    .await;

    let stored = store.run("eval-1").await.expect("read").expect("the run");
    let units = eval_units(&store, &stored).await.expect("eval units");
    let read: Vec<(&str, &str, f64)> = units
        .iter()
        .map(|unit| {
            (
                unit.unit.task.as_str(),
                unit.metric.name.as_str(),
                unit.metric.value,
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("arc_easy", "acc_norm", 0.75),
            ("piqa", "acc", 0.5),
            ("wikitext", "word_perplexity", 20.0)
        ]
    );
    assert_eq!(
        units[0].items,
        BTreeMap::from([(0, 1.0), (1, 1.0), (2, 1.0), (3, 0.0)])
    );
    assert_eq!(units[1].items, BTreeMap::from([(0, 1.0), (1, 0.0)]));
    assert!(units[2].items.is_empty());
    assert_eq!(
        units[0].unit.fingerprint,
        fingerprint("m", "arc_easy").build()
    );
}

#[tokio::test]
async fn a_unit_reader_refuses_a_run_of_the_other_kind() {
    let store = store().await;
    run(&store, "eval-1", RunKind::Eval, 0, Status::Complete).await;
    run(&store, "bench-1", RunKind::Bench, 0, Status::Complete).await;
    let eval = store.run("eval-1").await.expect("read").expect("the run");
    let bench = store.run("bench-1").await.expect("read").expect("the run");
    let error = eval_units(&store, &bench).await.expect_err("a bench run");
    assert_eq!(
        error.to_string(),
        "run bench-1 is a bench run; this needs an eval run"
    );
    let error = bench_units(&store, &eval).await.expect_err("an eval run");
    assert_eq!(
        error.to_string(),
        "run eval-1 is an eval run; this needs a bench run"
    );
}

#[tokio::test]
async fn a_unit_reader_names_an_eval_run_with_its_article() {
    let store = store().await;
    run(&store, "eval-1", RunKind::Eval, 0, Status::Complete).await;
    let eval = store.run("eval-1").await.expect("read").expect("the run");
    let error = bench_units(&store, &eval).await.expect_err("an eval run");
    assert_eq!(
        error.to_string(),
        "run eval-1 is an eval run; this needs a bench run"
    );
}

#[tokio::test]
async fn bench_units_leave_warm_up_and_failed_requests_out_of_the_samples() {
    let store = store().await;
    let mut bench = new_run("bench-1", RunKind::Bench, 0);
    bench.plan = serde_json::json!({ "workload": { "prompts": { "kind": "synthetic" } } });
    common::stored_run(&store, bench, Status::Complete).await;
    // Stored in index order; sent in another: index 1 (sent at 0 ms) and index 2 (1 ms) are
    // the two warm-up requests by send time; index 4 failed.
    let timings = [
        // sent 5 ms: TTFT 50, E2E 150, TPOT (150 − 50) / (11 − 1) = 10.
        timing(5, 50, 150, 11, None),
        timing(0, 1000, 2000, 5, None),
        timing(1, 1000, 2000, 5, None),
        // sent 2 ms: TTFT 30, E2E 100, TPOT (100 − 30) / (6 − 1) = 14.
        timing(2, 30, 100, 6, None),
        timing(3, 7, 9, 3, Some(ErrorCause::Timeout)),
        // sent 4 ms: TTFT 40, E2E 204, TPOT (204 − 40) / (21 − 1) = 8.2.
        timing(4, 40, 204, 21, None),
    ];
    bench_unit(
        &store,
        "bench-1",
        bench_fingerprint("m", "c=4#0"),
        &[("requests_warmup", 2.0), ("requests_completed", 3.0)],
        &timings,
    )
    .await;
    let stored = store.run("bench-1").await.expect("read").expect("the run");
    let units = bench_units(&store, &stored).await.expect("bench units");
    assert_eq!(units.len(), 1);
    let unit = &units[0];
    assert_eq!(unit.point, "c=4#0");
    assert_eq!(unit.unit.task, "bench:c=4#0");
    assert_eq!(unit.ttft_ms, [50.0, 30.0, 40.0]);
    assert_eq!(unit.e2e_ms, [150.0, 100.0, 204.0]);
    assert_eq!(unit.tpot_ms.len(), 3);
    for (read, expected) in unit.tpot_ms.iter().zip([10.0, 14.0, 8.2]) {
        assert!((read - expected).abs() < 1e-9, "{:?}", unit.tpot_ms);
    }
    assert_eq!(unit.workload["prompts"]["kind"], "synthetic");
    assert_eq!(
        unit.metrics
            .iter()
            .map(|record| (record.name.as_str(), record.value, record.unit))
            .collect::<Vec<_>>(),
        [
            ("requests_warmup", 2.0, Unit::Count),
            ("requests_completed", 3.0, Unit::Count)
        ]
    );
}

#[tokio::test]
async fn an_unreadable_request_record_is_an_error_naming_it() {
    let store = store().await;
    run(&store, "bench-1", RunKind::Bench, 0, Status::Complete).await;
    let unit_id = bench_unit(&store, "bench-1", bench_fingerprint("m", "c=1#0"), &[], &[]).await;
    store
        .insert_requests(unit_id, &[(0, "{\"sent_ns\": \"soon\"}".to_string())])
        .await
        .expect("stored as given");
    let stored = store.run("bench-1").await.expect("read").expect("the run");
    let error = bench_units(&store, &stored).await.expect_err("unreadable");
    assert!(
        error
            .to_string()
            .starts_with("run bench-1, unit bench:c=1#0: request 0 is unreadable:"),
        "{error}"
    );
}

#[tokio::test]
async fn latest_eval_units_take_the_newest_complete_unit_of_each_task() {
    let store = store().await;
    run(&store, "eval-1", RunKind::Eval, 0, Status::Complete).await;
    acc_unit(
        &store,
        "eval-1",
        "m",
        "arc_easy",
        &[1.0, 0.0],
        Status::Complete,
    )
    .await;
    acc_unit(
        &store,
        "eval-1",
        "m",
        "piqa",
        &[1.0, 1.0, 0.0, 0.0],
        Status::Complete,
    )
    .await;
    acc_unit(
        &store,
        "eval-1",
        "n",
        "boolq",
        &[1.0, 1.0],
        Status::Complete,
    )
    .await;
    run(&store, "eval-2", RunKind::Eval, 100, Status::Failed).await;
    acc_unit(
        &store,
        "eval-2",
        "m",
        "arc_easy",
        &[1.0, 1.0, 1.0, 0.0],
        Status::Complete,
    )
    .await;
    // A newer piqa that did not complete does not replace the older one.
    acc_unit(&store, "eval-2", "m", "piqa", &[1.0], Status::Failed).await;

    let units = latest_eval_units(&store, "m").await.expect("units");
    let read: Vec<(&str, &str, f64)> = units
        .iter()
        .map(|unit| {
            (
                unit.unit.task.as_str(),
                unit.unit.run_id.as_str(),
                unit.metric.value,
            )
        })
        .collect();
    // arc_easy from eval-2 (3 of 4), piqa from eval-1 (2 of 4), in task order.
    assert_eq!(
        read,
        [("arc_easy", "eval-2", 0.75), ("piqa", "eval-1", 0.5)]
    );
    assert!(latest_eval_units(&store, "nobody")
        .await
        .expect("units")
        .is_empty());
}

#[tokio::test]
async fn newest_configurations_keep_one_run_per_model_and_engine_scheme() {
    let store = store().await;
    let scheme =
        |model: &str, scheme: &str| bench_fingerprint(model, "c=1#0").batching_scheme(scheme);
    for (run_id, seconds, model, batching) in [
        ("bench-1", 0, "m", "s1"),
        ("bench-2", 100, "m", "s1"),
        ("bench-3", 200, "m", "s2"),
        ("bench-4", 300, "n", "s1"),
    ] {
        run(&store, run_id, RunKind::Bench, seconds, Status::Running).await;
        bench_unit(&store, run_id, scheme(model, batching), &[], &[]).await;
    }
    // The newest run has no units: skipped.
    run(&store, "bench-5", RunKind::Bench, 400, Status::Complete).await;
    let configurations = newest_configurations(&store).await.expect("configurations");
    let runs: Vec<&str> = configurations
        .iter()
        .map(|(run_id, _)| run_id.as_str())
        .collect();
    // bench-1 is m with s1 again, older than bench-2.
    assert_eq!(runs, ["bench-4", "bench-3", "bench-2"]);
}

#[tokio::test]
async fn bench_runs_of_a_model_are_its_complete_runs_newest_first() {
    let store = store().await;
    run(&store, "bench-1", RunKind::Bench, 0, Status::Complete).await;
    bench_unit(&store, "bench-1", bench_fingerprint("m", "c=1#0"), &[], &[]).await;
    bench_unit(&store, "bench-1", bench_fingerprint("n", "c=1#0"), &[], &[]).await;
    run(&store, "bench-2", RunKind::Bench, 100, Status::Complete).await;
    bench_unit(&store, "bench-2", bench_fingerprint("m", "c=4#0"), &[], &[]).await;
    run(&store, "bench-3", RunKind::Bench, 200, Status::Interrupted).await;
    bench_unit(&store, "bench-3", bench_fingerprint("m", "c=1#0"), &[], &[]).await;
    let runs = bench_runs_of(&store, "m").await.expect("runs");
    let read: Vec<(&str, Vec<&str>)> = runs
        .iter()
        .map(|(run_id, units)| {
            (
                run_id.as_str(),
                units.iter().map(|unit| unit.unit.model.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(read, [("bench-2", vec!["m"]), ("bench-1", vec!["m"])]);
}

#[tokio::test]
async fn the_newest_comparable_bench_pair_is_found_across_runs() {
    let store = store().await;
    // a's newest run measured c=8#0 only; its older one c=1#0, which b's newest run has.
    run(&store, "a-old", RunKind::Bench, 0, Status::Complete).await;
    bench_unit(&store, "a-old", bench_fingerprint("a", "c=1#0"), &[], &[]).await;
    run(&store, "a-new", RunKind::Bench, 100, Status::Complete).await;
    bench_unit(&store, "a-new", bench_fingerprint("a", "c=8#0"), &[], &[]).await;
    run(&store, "b-new", RunKind::Bench, 200, Status::Complete).await;
    bench_unit(&store, "b-new", bench_fingerprint("b", "c=1#0"), &[], &[]).await;
    let (left, right) = latest_comparable_benches(&store, "a", "b", ComparisonMode::Models)
        .await
        .expect("read")
        .expect("a comparable pair");
    assert_eq!((left.0.as_str(), right.0.as_str()), ("a-old", "b-new"));
    // Comparing engines, two models are never comparable.
    let none = latest_comparable_benches(&store, "a", "b", ComparisonMode::Engine)
        .await
        .expect("read");
    assert!(none.is_none());
}

#[tokio::test]
async fn load_seconds_read_the_newest_complete_profile_s_load_time() {
    let store = store().await;
    profile(
        &store,
        "profile-1",
        0,
        "m",
        &[("load_time_ms", 2500.0, Unit::Milliseconds)],
        Status::Complete,
    )
    .await;
    // A newer profile that failed does not count.
    profile(
        &store,
        "profile-2",
        100,
        "m",
        &[("load_time_ms", 9999.0, Unit::Milliseconds)],
        Status::Failed,
    )
    .await;
    assert_eq!(load_seconds(&store, "m").await.expect("read"), Some(2.5));
    assert_eq!(load_seconds(&store, "other").await.expect("read"), None);
}

#[tokio::test]
async fn profile_records_take_each_metric_from_the_newest_run_that_measured_it() {
    let store = store().await;
    profile(
        &store,
        "profile-1",
        0,
        "m",
        &[
            ("load_time_ms", 2500.0, Unit::Milliseconds),
            ("decode_tokens_per_second@512", 40.0, Unit::TokensPerSecond),
        ],
        Status::Complete,
    )
    .await;
    profile(
        &store,
        "profile-2",
        100,
        "m",
        &[("decode_tokens_per_second@512", 50.0, Unit::TokensPerSecond)],
        Status::Complete,
    )
    .await;
    let records = profile_records(&store).await.expect("records");
    let read: Vec<(&str, &str, f64)> = records
        .iter()
        .map(|record| {
            (
                record.run_id.as_str(),
                record.record.name.as_str(),
                record.record.value,
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("profile-2", "decode_tokens_per_second@512", 50.0),
            ("profile-1", "load_time_ms", 2500.0)
        ]
    );
}

#[tokio::test]
async fn the_host_is_read_from_the_run_fingerprint_when_recorded() {
    let host = Host {
        cpu: "Test CPU".to_string(),
        logical_cpus: 8,
        physical_cores: Some(4),
        memory_gib: 31.5,
        gpus: vec!["NVIDIA H100 80GB HBM3".to_string()],
        os: Some("Debian GNU/Linux 12".to_string()),
    };
    let store = store().await;
    let mut with_host = new_run("bench-1", RunKind::Bench, 0);
    with_host.fingerprint = serde_json::json!({ "host": host });
    common::stored_run(&store, with_host, Status::Complete).await;
    run(&store, "bench-0", RunKind::Bench, 0, Status::Complete).await;
    let stored = store.run("bench-1").await.expect("read").expect("the run");
    assert_eq!(
        host_of(&stored).expect("a readable fingerprint"),
        Some(host)
    );
    let older = store.run("bench-0").await.expect("read").expect("the run");
    assert_eq!(host_of(&older).expect("a readable fingerprint"), None);
}
