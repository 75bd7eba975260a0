//! Opening a store: migrations, WAL, foreign keys, directories.

mod common;

use sqlx::{Connection, SqliteConnection};
use std::path::Path;
use yardstick_store::{Store, StoreError};

async fn raw_connection(path: &Path) -> SqliteConnection {
    let url = format!("sqlite://{}", path.display());
    SqliteConnection::connect(&url)
        .await
        .expect("raw connection")
}

#[tokio::test]
async fn migrations_apply_on_a_fresh_file_and_reopening_is_a_no_op() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("nested/deeper/yardstick.db");
    let store = Store::open(&path).await.expect("open fresh");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    store
        .insert_item(unit_id, &common::item(0))
        .await
        .expect("insert");
    store.close().await;
    assert!(
        path.exists(),
        "the file and its parent directories are created"
    );

    let store = Store::open(&path).await.expect("reopen");
    assert_eq!(store.units("r1").await.expect("units").len(), 1);
    assert_eq!(
        store.items(unit_id).await.expect("items"),
        vec![common::item(0)]
    );
    store.close().await;

    let mut connection = raw_connection(&path).await;
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut connection)
            .await
            .expect("read migrations");
    assert_eq!(
        applied,
        vec![(1, true), (2, true), (3, true), (4, true), (5, true)]
    );
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut connection)
    .await
    .expect("read tables");
    assert_eq!(
        tables,
        [
            "deployments",
            "items",
            "metrics",
            "models",
            "request_failures",
            "requests",
            "run_units",
            "runs"
        ]
    );
}

#[tokio::test]
async fn the_journal_is_in_wal_mode() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("yardstick.db");
    let store = Store::open(&path).await.expect("open");
    common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    assert!(directory.path().join("yardstick.db-wal").exists());
    // The journal mode is a property of the file: a plain connection sees it too.
    let mut connection = raw_connection(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
    store.close().await;
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    let store = Store::open_in_memory().await.expect("open");
    let error = store
        .insert_item(42, &common::item(0))
        .await
        .expect_err("no unit 42");
    let message = error.to_string();
    assert!(message.contains("unit 42"), "{message}");
    assert!(message.contains("FOREIGN KEY"), "{message}");

    let error = store
        .create_unit(&common::new_unit("missing", "gemma", "arc_easy", 1, 0))
        .await
        .expect_err("no run `missing`");
    assert!(matches!(error, StoreError::Database { .. }), "{error}");
}

#[tokio::test]
async fn opening_a_path_under_a_file_names_the_path() {
    let directory = tempfile::tempdir().expect("tempdir");
    let blocker = directory.path().join("file");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let path = blocker.join("yardstick.db");
    let error = Store::open(&path).await.expect_err("parent is a file");
    let message = error.to_string();
    assert!(
        message.contains(&blocker.display().to_string()),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_opening_a_fresh_file_at_once_all_succeed() {
    let directory = tempfile::tempdir().expect("tempdir");
    for attempt in 0..10 {
        let path = directory.path().join(format!("yardstick-{attempt}.db"));
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                tokio::spawn(async move { Store::open(&path).await })
            })
            .collect();
        let mut stores = Vec::new();
        for open in opens {
            stores.push(open.await.expect("join").expect("concurrent open"));
        }
        common::run_with_unit(&stores[0], "r1", "gemma", "arc_easy").await;
        assert_eq!(stores[3].units("r1").await.expect("units").len(), 1);
    }
}
