//! A built-in task without a local data directory reads its dataset from the Hugging Face
//! hub (a fake hub on loopback here), through `HF_ENDPOINT` and the HF cache under `HF_HOME`,
//! and renders the same prompts as from local files.

use std::path::{Path, PathBuf};
use yardstick_tasks::TaskRegistry;
use yardstick_test_support::fake_hub::FakeHub;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hub_datasets")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn builtin_arc_easy_reads_the_hub_without_a_data_directory() {
    let hub = FakeHub::start().await;
    let repo = "allenai/ai2_arc";
    hub.add_dataset_file(repo, "main", ".gitattributes", "*.parquet filter=lfs\n");
    hub.add_dataset_file(
        repo,
        "main",
        "ARC-Easy/test-00000-of-00001.parquet",
        fixture("arc.parquet"),
    );
    let cache = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    // This test is alone in its binary: setting the process environment is safe.
    point_at_hub(hub.url(), cache.path());

    let registry = TaskRegistry::builtin().unwrap_or_else(|error| panic!("{error}"));
    let task = registry
        .task("arc_easy")
        .unwrap_or_else(|| panic!("no arc_easy"))
        .clone();
    let no_data = cache.path().join("no-such-data-dir");
    assert!(task.reads_hub(&no_data));
    let items = tokio::task::spawn_blocking(move || {
        let items: Vec<_> = task
            .items(&no_data, Some(2))
            .unwrap_or_else(|error| panic!("{error}"))
            .map(|item| item.unwrap_or_else(|error| panic!("{error}")))
            .collect();
        let digests = task
            .dataset_sha256(&no_data)
            .unwrap_or_else(|error| panic!("{error}"));
        (items, digests)
    })
    .await
    .unwrap_or_else(|error| panic!("{error}"));
    let (items, digests) = items;
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].context,
        "Question: An astronomer observes that a planet rotates faster after a meteorite impact. \
         Which is the most likely effect of this increase in rotation?\nAnswer:"
    );
    assert_eq!(items[0].gold, 2);
    assert_eq!(
        items[0].request.pairs[2].continuation,
        " Planetary days will become shorter."
    );
    let names: Vec<&String> = digests.keys().collect();
    assert_eq!(names.len(), 1);
    assert!(
        names[0].starts_with("hf://datasets/allenai/ai2_arc"),
        "{names:?}"
    );
}

/// Points hf-hub at the fake hub and a private cache.
fn point_at_hub(endpoint: &str, cache: &Path) {
    std::env::set_var("HF_ENDPOINT", endpoint);
    std::env::set_var("HF_HOME", cache);
    std::env::remove_var("HF_TOKEN");
    std::env::remove_var("HF_HUB_OFFLINE");
    std::env::remove_var("HF_DATASETS_OFFLINE");
}
