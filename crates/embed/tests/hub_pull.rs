//! `pull_from_hub` against a fake hub on loopback serving the real model files: the pulled
//! directory loads and embeds as the installed one does. (Mismatching and missing files are
//! unit-tested in `src/hub.rs` with small files.)

use std::time::Duration;
use yardstick_embed::{cosine, pull_from_hub, EmbedError, Embedder, HubOptions, MODEL};
use yardstick_test_support::fake_hub::FakeHub;
use yardstick_test_support::fixtures::minilm_embedder;

fn options(hub: &FakeHub, cache: &std::path::Path) -> HubOptions {
    HubOptions {
        endpoint: hub.url().to_owned(),
        token: None,
        cache_dir: cache.to_path_buf(),
        offline: false,
        timeout_per_file: Duration::from_secs(120),
    }
}

#[tokio::test]
async fn the_real_files_pulled_from_a_hub_load_and_embed_as_installed() {
    let Some(installed) = minilm_embedder() else {
        return;
    };
    let hub = FakeHub::start().await;
    for file in MODEL.files() {
        let bytes = std::fs::read(installed.join(file.name)).expect("reading an installed file");
        hub.add_hub_file(MODEL.hub_repo, MODEL.hub_revision, file.name, bytes);
    }
    let cache = tempfile::tempdir().expect("cache dir");
    let out = tempfile::tempdir().expect("model dir");
    let dir = out.path().join("embedders").join(MODEL.name);

    pull_from_hub(&dir, &options(&hub, cache.path()))
        .await
        .expect("pulling from the fake hub");
    let text = "Pulled from the hub, checked, and loaded.";
    let pulled = Embedder::load(&dir).expect("the pulled directory loads");
    let reference = Embedder::load(&installed).expect("the installed directory loads");
    let a = pulled.embed(&[text]).expect("embedding");
    let b = reference.embed(&[text]).expect("embedding");
    assert!(cosine(&a[0], &b[0]) > 0.999_999);
}

#[tokio::test]
async fn a_hub_serving_other_weights_is_refused_naming_the_file() {
    let hub = FakeHub::start().await;
    hub.add_hub_file(
        MODEL.hub_repo,
        MODEL.hub_revision,
        "model.safetensors",
        vec![0u8; 64],
    );
    let cache = tempfile::tempdir().expect("cache dir");
    let out = tempfile::tempdir().expect("model dir");

    let error = pull_from_hub(out.path(), &options(&hub, cache.path()))
        .await
        .expect_err("the weights differ");
    assert!(
        matches!(&error, EmbedError::SizeMismatch { path, expected, actual: 64 }
            if path.ends_with("model.safetensors") && *expected == MODEL.weights.size_bytes),
        "{error}"
    );
    let message = Embedder::load(out.path())
        .err()
        .expect("nothing installed")
        .to_string();
    assert!(
        message.contains("missing model.safetensors, tokenizer.json"),
        "{message}"
    );
}
