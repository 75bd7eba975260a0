//! Models, runs and units: lifecycle and the look-ups `--resume` relies on.

mod common;

use common::{at, new_run, new_unit};
use std::collections::BTreeSet;
use std::path::PathBuf;
use yardstick_store::{ModelSource, NewModel, RunKind, Status, Store, StoreError};

fn model(name: &str, sha256: &str) -> NewModel {
    NewModel {
        name: name.into(),
        path: PathBuf::from(format!("/models/{name}.gguf")),
        size_bytes: 4_368_439_584,
        sha256: sha256.into(),
        source: ModelSource::Hf,
        metadata: serde_json::json!({
            "architecture": "gemma3",
            "parameter_count": 268_098_176u64,
            "quantization": "Q8_0",
            "context_length": 32768,
            "has_chat_template": true,
        }),
    }
}

#[tokio::test]
async fn models_are_upserted_by_name_and_keep_their_added_time() {
    let store = Store::open_in_memory().await.expect("open");
    let first = store
        .upsert_model(&model("gemma", "aa"))
        .await
        .expect("add");
    assert_eq!(first.sha256, "aa");
    assert_eq!(first.metadata["quantization"], "Q8_0");
    let mut changed = model("gemma", "bb");
    changed.source = ModelSource::Local;
    let second = store.upsert_model(&changed).await.expect("update");
    assert_eq!(second.sha256, "bb");
    assert_eq!(second.source, ModelSource::Local);
    assert_eq!(second.added_at, first.added_at);
    assert!(second.updated_at >= first.updated_at);
    store
        .upsert_model(&model("alpha", "cc"))
        .await
        .expect("add");

    let names: Vec<String> = store
        .list_models()
        .await
        .expect("list")
        .into_iter()
        .map(|model| model.name)
        .collect();
    assert_eq!(names, ["alpha", "gemma"]);
    assert_eq!(store.model("gemma").await.expect("read"), Some(second));
    assert!(store.remove_model("gemma").await.expect("remove"));
    assert!(!store.remove_model("gemma").await.expect("remove again"));
    assert_eq!(store.model("gemma").await.expect("read"), None);
}

#[tokio::test]
async fn a_run_records_its_plan_and_status_changes() {
    let store = Store::open_in_memory().await.expect("open");
    let created = store
        .create_run(&new_run("r1", RunKind::Eval, "fp1", 10))
        .await
        .expect("create");
    assert_eq!(created.status, Status::Running);
    assert_eq!(created.finished_at, None);
    assert_eq!(created.plan["limit"], 100);
    assert_eq!(created.created_at, at(10));

    store
        .set_run_status("r1", Status::Interrupted, at(20))
        .await
        .expect("interrupt");
    let run = store.run("r1").await.expect("read").expect("exists");
    assert_eq!(
        (run.status, run.finished_at),
        (Status::Interrupted, Some(at(20)))
    );
    store
        .set_run_status("r1", Status::Running, at(30))
        .await
        .expect("resume");
    let run = store.run("r1").await.expect("read").expect("exists");
    assert_eq!((run.status, run.finished_at), (Status::Running, None));

    let error = store
        .set_run_status("nope", Status::Complete, at(40))
        .await
        .expect_err("no such run");
    assert!(
        matches!(error, StoreError::NotFound { what: "run", .. }),
        "{error}"
    );
    assert!(store
        .create_run(&new_run("r1", RunKind::Eval, "fp1", 10))
        .await
        .is_err());

    store
        .create_run(&new_run("r2", RunKind::Profile, "fp2", 50))
        .await
        .expect("create");
    let ids: Vec<String> = store
        .list_runs()
        .await
        .expect("list")
        .into_iter()
        .map(|run| run.run_id)
        .collect();
    assert_eq!(ids, ["r2", "r1"]);
}

#[tokio::test]
async fn an_interrupted_run_is_found_by_fingerprint_with_its_completed_items() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("yardstick.db");
    let store = Store::open(&path).await.expect("open");
    // An older incomplete run, a complete one and one with another fingerprint.
    store
        .create_run(&new_run("old", RunKind::Eval, "fp", 0))
        .await
        .expect("run");
    store
        .set_run_status("old", Status::Failed, at(5))
        .await
        .expect("status");
    store
        .create_run(&new_run("done", RunKind::Eval, "fp", 200))
        .await
        .expect("run");
    store
        .set_run_status("done", Status::Complete, at(250))
        .await
        .expect("status");
    store
        .create_run(&new_run("other", RunKind::Eval, "fp-other", 300))
        .await
        .expect("run");

    store
        .create_run(&new_run("cut", RunKind::Eval, "fp", 100))
        .await
        .expect("run");
    let unit = store
        .create_unit(&new_unit("cut", "gemma", "arc_easy", 1, 100))
        .await
        .expect("unit");
    let items: Vec<_> = (0..40)
        .filter(|index| index % 3 != 1)
        .map(common::item)
        .collect();
    store
        .insert_items(unit.unit_id, &items)
        .await
        .expect("items");
    store
        .set_unit_status(unit.unit_id, Status::Interrupted, at(150))
        .await
        .expect("unit");
    store
        .set_run_status("cut", Status::Interrupted, at(150))
        .await
        .expect("run");
    store.close().await;

    // A later process resumes.
    let store = Store::open(&path).await.expect("reopen");
    let run = store
        .find_incomplete_run_by_fingerprint("fp")
        .await
        .expect("find")
        .expect("an incomplete run");
    assert_eq!(run.run_id, "cut");
    assert_eq!(run.status, Status::Interrupted);
    assert!(store
        .find_incomplete_run_by_fingerprint("unknown")
        .await
        .expect("find")
        .is_none());

    let units = store.units(&run.run_id).await.expect("units");
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].status, Status::Interrupted);
    assert_eq!(units[0].items_completed, items.len() as u64);
    assert_eq!(
        units[0].fingerprint,
        common::fingerprint("gemma", "arc_easy", 1)
    );
    let expected: BTreeSet<u64> = (0..40).filter(|index| index % 3 != 1).collect();
    assert_eq!(
        store
            .completed_item_indices(units[0].unit_id)
            .await
            .expect("indices"),
        expected
    );

    // Re-creating the unit on resume returns the stored one; another fingerprint is refused.
    let again = store
        .create_unit(&new_unit("cut", "gemma", "arc_easy", 1, 400))
        .await
        .expect("get existing");
    assert_eq!(again, units[0]);
    let error = store
        .create_unit(&new_unit("cut", "gemma", "arc_easy", 2, 400))
        .await
        .expect_err("another fingerprint");
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    assert_eq!(store.units("cut").await.expect("units").len(), 1);
}

#[tokio::test]
async fn unit_status_sets_and_clears_the_finish_time() {
    let store = Store::open_in_memory().await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let unit = store.unit(unit_id).await.expect("read").expect("exists");
    assert_eq!((unit.status, unit.finished_at), (Status::Running, None));
    assert_eq!(
        unit.fingerprint_id,
        common::fingerprint("gemma", "arc_easy", 1).id()
    );
    store
        .set_unit_status(unit_id, Status::Complete, at(9))
        .await
        .expect("complete");
    let unit = store.unit(unit_id).await.expect("read").expect("exists");
    assert_eq!(
        (unit.status, unit.finished_at),
        (Status::Complete, Some(at(9)))
    );
    assert!(store
        .set_unit_status(999, Status::Complete, at(9))
        .await
        .is_err());
}

#[test]
fn run_ids_are_short_and_sortable() {
    let id = yardstick_store::new_run_id(at(3661));
    assert_eq!(id.len(), "20250101-010101-abcdef".len(), "{id}");
    assert!(id.starts_with("20250101-010101-"), "{id}");
    assert_ne!(id, yardstick_store::new_run_id(at(3661)));
}

#[test]
fn closed_sets_parse_and_list_valid_names() {
    assert_eq!(
        "interrupted".parse::<Status>().ok(),
        Some(Status::Interrupted)
    );
    assert_eq!("profile".parse::<RunKind>().ok(), Some(RunKind::Profile));
    let message = "paused"
        .parse::<Status>()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("paused") && message.contains("interrupted"),
        "{message}"
    );
}
