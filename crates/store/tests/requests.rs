//! Bench runs: per-request records, the separation of load points from quality tasks, and
//! the schema-3 migration of a store that already holds results.

mod common;

use sqlx::migrate::Migrator;
use sqlx::{Connection, SqliteConnection};
use yardstick_core::MetricRecord;
use yardstick_store::{RunKind, Status, Store};

#[tokio::test]
async fn request_records_round_trip_in_index_order_and_the_first_write_wins() {
    let store = Store::open_in_memory().await.expect("store");
    store
        .create_run(&common::new_run("b1", RunKind::Bench, "fp", 0))
        .await
        .expect("bench run");
    let unit = store
        .create_unit(&common::new_unit("b1", "gemma", "bench:c=4#0", 1, 1))
        .await
        .expect("unit");
    let records: Vec<(u64, String)> = (0..2500u64)
        .rev()
        .map(|index| (index, format!("{{\"sent_ns\":{index}}}")))
        .collect();
    assert_eq!(
        store
            .insert_requests(unit.unit_id, &records)
            .await
            .expect("insert"),
        2500
    );
    let again = [(7, "{\"other\":1}".to_string())];
    assert_eq!(
        store
            .insert_requests(unit.unit_id, &again)
            .await
            .expect("again"),
        0
    );
    let stored = store.requests(unit.unit_id).await.expect("read");
    assert_eq!(stored.len(), 2500);
    assert_eq!(stored[7], (7, "{\"sent_ns\":7}".to_string()));
    assert!(stored.windows(2).all(|pair| pair[0].0 < pair[1].0));
}

#[tokio::test]
async fn bench_units_stay_out_of_the_quality_leaderboard() {
    let store = Store::open_in_memory().await.expect("store");
    let eval = common::run_with_unit(&store, "e1", "gemma", "arc_easy").await;
    store
        .create_run(&common::new_run("b1", RunKind::Bench, "fp", 0))
        .await
        .expect("bench run");
    let bench = store
        .create_unit(&common::new_unit("b1", "gemma", "bench:c=1#0", 1, 1))
        .await
        .expect("unit");
    for (unit_id, name) in [(eval, "acc"), (bench.unit_id, "ttft_ms.p50")] {
        let records = [MetricRecord::new(name, 0.5, yardstick_core::Unit::Ratio)];
        store
            .replace_unit_metrics(unit_id, &records)
            .await
            .expect("metrics");
        store
            .set_unit_status(unit_id, Status::Complete, common::at(5))
            .await
            .expect("complete");
    }
    let quality: Vec<String> = store
        .latest_units()
        .await
        .expect("latest")
        .into_iter()
        .map(|results| results.unit.task)
        .collect();
    assert_eq!(quality, ["arc_easy"]);
    let serving = store.latest_bench_units().await.expect("bench");
    assert_eq!(serving.len(), 1);
    assert_eq!(serving[0].unit.task, "bench:c=1#0");
    assert_eq!(serving[0].metrics[0].name, "ttft_ms.p50");
}

#[tokio::test]
async fn migrating_a_schema_2_store_keeps_every_run_unit_and_item() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("old.db");
    // A store as schema 2 left it: only the first two migrations applied.
    let old_migrations = directory.path().join("migrations");
    std::fs::create_dir_all(&old_migrations).expect("dir");
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for file in ["0001_initial.sql", "0002_item_detail.sql"] {
        std::fs::copy(here.join(file), old_migrations.join(file)).expect("copy");
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut connection = SqliteConnection::connect(&url).await.expect("connect");
    Migrator::new(old_migrations.as_path())
        .await
        .expect("old migrations")
        .run(&mut connection)
        .await
        .expect("schema 2");
    sqlx::query(
        "INSERT INTO runs VALUES ('r1', 'eval', 'complete', '2025-01-01T00:00:00Z', NULL, \
         '{}', '{}', 'fp')",
    )
    .execute(&mut connection)
    .await
    .expect("run");
    sqlx::query(
        "INSERT INTO run_units (run_id, model, task, fingerprint, fingerprint_id, items_total, \
         status, started_at) VALUES ('r1', 'gemma', 'arc_easy', ?, 'u', 1, 'complete', \
         '2025-01-01T00:00:00Z')",
    )
    .bind(serde_json::to_string(&common::fingerprint("gemma", "arc_easy", 1)).expect("json"))
    .execute(&mut connection)
    .await
    .expect("unit");
    connection.close().await.expect("close");

    let store = Store::open(&path).await.expect("migrate to schema 3");
    let units = store.units("r1").await.expect("units");
    assert_eq!(
        units.len(),
        1,
        "dropping the old runs table must not cascade"
    );
    assert_eq!(
        store.run("r1").await.expect("run").expect("kept").kind,
        RunKind::Eval
    );
    store
        .create_run(&common::new_run("b1", RunKind::Bench, "fp", 0))
        .await
        .expect("the new kind is accepted");
    // Foreign keys still hold after the rebuild.
    let orphan = store
        .create_unit(&common::new_unit("missing", "gemma", "x", 1, 1))
        .await;
    assert!(orphan.is_err());
}
