//! Several writers on one file: they wait for each other (busy timeout) instead of failing.

mod common;

use yardstick_core::{ItemResult, MetricRecord, Unit};
use yardstick_store::{RunKind, Status, Store};

async fn write_a_run(store: Store, run_id: String, model: &'static str) -> (String, i64) {
    store
        .create_run(&common::new_run(&run_id, RunKind::Eval, "fp", 0))
        .await
        .expect("create run");
    let unit_id = store
        .create_unit(&common::new_unit(&run_id, model, "arc_easy", 1, 0))
        .await
        .expect("create unit")
        .unit_id;
    // Many small transactions interleave with the other writer's.
    for start in (0..1_000).step_by(20) {
        let batch: Vec<ItemResult> = (start..start + 20).map(common::item).collect();
        assert_eq!(
            store
                .insert_items(unit_id, &batch)
                .await
                .expect("insert items"),
            20
        );
        store
            .replace_unit_metrics(unit_id, &[MetricRecord::new("acc", 0.5, Unit::Ratio)])
            .await
            .expect("metrics");
    }
    store
        .set_unit_status(unit_id, Status::Complete, common::at(1))
        .await
        .expect("unit");
    store
        .set_run_status(&run_id, Status::Complete, common::at(1))
        .await
        .expect("run");
    (run_id, unit_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_write_concurrently() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("yardstick.db");
    // Two handles, as two processes would have; each has its own connections.
    let first = Store::open(&path).await.expect("open first");
    let second = Store::open(&path).await.expect("open second");
    let one = tokio::spawn(write_a_run(first.clone(), "r1".into(), "gemma"));
    let two = tokio::spawn(write_a_run(second.clone(), "r2".into(), "qwen"));
    // A shared handle writes from a third task meanwhile.
    let three = tokio::spawn(write_a_run(first.clone(), "r3".into(), "llama"));
    let mut written = Vec::new();
    for task in [one, two, three] {
        written.push(task.await.expect("writer task"));
    }
    for (run_id, unit_id) in written {
        assert_eq!(
            second.items(unit_id).await.expect("items").len(),
            1_000,
            "{run_id}"
        );
        let run = first.run(&run_id).await.expect("run").expect("exists");
        assert_eq!(run.status, Status::Complete);
        assert_eq!(
            second
                .metrics_for_run(&run_id)
                .await
                .expect("metrics")
                .len(),
            1
        );
    }
    assert_eq!(first.leaderboard().await.expect("leaderboard").len(), 3);
}
