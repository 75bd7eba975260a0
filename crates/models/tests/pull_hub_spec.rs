//! `pull("hf:owner/repo/file.gguf")`: any hub file, through hf-hub, against the fake hub.
//! Endpoint, token and cache come through `PullOptions` (what `from_env` fills from
//! HF_ENDPOINT, HF_TOKEN and HF_HOME), so no test mutates the process environment.

use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;
use yardstick_models::{inspect, pull, Catalog, ModelError, NoProgress, PullOptions, PullOutcome};
use yardstick_test_support::fake_hub::{sha256_hex, FakeHub};

/// A minimal GGUF v3 file: one metadata pair, one tensor info, a few data bytes.
fn tiny_gguf() -> Vec<u8> {
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(1u64.to_le_bytes()); // tensors
    bytes.extend(1u64.to_le_bytes()); // metadata pairs
    let key = "general.architecture";
    bytes.extend((key.len() as u64).to_le_bytes());
    bytes.extend(key.as_bytes());
    bytes.extend(8u32.to_le_bytes()); // string
    bytes.extend(5u64.to_le_bytes());
    bytes.extend(b"llama");
    let name = "output.weight";
    bytes.extend((name.len() as u64).to_le_bytes());
    bytes.extend(name.as_bytes());
    bytes.extend(2u32.to_le_bytes());
    bytes.extend(4u64.to_le_bytes());
    bytes.extend(2u64.to_le_bytes());
    bytes.extend(0u32.to_le_bytes()); // F32
    bytes.extend(0u64.to_le_bytes());
    bytes.extend([0u8; 32]);
    bytes
}

struct Setup {
    fake: FakeHub,
    home: TempDir,
}

impl Setup {
    async fn new() -> Self {
        Self {
            fake: FakeHub::start().await,
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn hf_home(&self) -> PathBuf {
        self.home.path().join("hf-home")
    }

    fn options(&self, token: Option<&str>) -> PullOptions {
        PullOptions {
            catalog: Catalog::builtin().clone(),
            models_dir: self.home.path().join("models"),
            pypi_url: self.fake.url().to_owned(),
            hf_endpoint: self.fake.url().to_owned(),
            hf_token: token.map(str::to_owned),
            hf_cache: self.hf_home().join("hub"),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

#[tokio::test]
async fn an_hf_spec_is_fetched_with_the_token_into_the_hf_cache_and_its_checksum_reported() {
    let setup = Setup::new().await;
    let gguf = tiny_gguf();
    setup.fake.require_hub_token("hf_secret");
    setup
        .fake
        .add_hub_file("someone/Tiny-GGUF", "main", "tiny-q8_0.gguf", gguf.clone());

    let pulled = pull(
        "hf:someone/Tiny-GGUF/tiny-q8_0.gguf",
        &setup.options(Some("hf_secret")),
        &NoProgress,
    )
    .await
    .expect("pull");

    assert_eq!(pulled.name, "hf:someone/Tiny-GGUF/tiny-q8_0.gguf");
    assert_eq!(
        pulled.sha256,
        sha256_hex(&gguf),
        "the computed checksum is reported"
    );
    assert!(
        !pulled.checksum_verified,
        "nothing was known to verify against"
    );
    assert_eq!(
        pulled.path,
        setup
            .home
            .path()
            .join("models/hf/someone/Tiny-GGUF/tiny-q8_0.gguf")
    );
    assert_eq!(std::fs::read(&pulled.path).expect("read"), gguf);
    assert_eq!(
        inspect(&pulled.path)
            .expect("inspect")
            .gguf
            .architecture
            .as_deref(),
        Some("llama")
    );

    // The standard HF cache layout under HF_HOME/hub.
    let repo_cache = setup.hf_home().join("hub/models--someone--Tiny-GGUF");
    let commit = std::fs::read_to_string(repo_cache.join("refs/main")).expect("refs/main");
    assert_eq!(commit.trim().len(), 40);
    let snapshot = repo_cache
        .join("snapshots")
        .join(commit.trim())
        .join("tiny-q8_0.gguf");
    assert_eq!(std::fs::read(snapshot).expect("snapshot"), gguf);

    // Every request carried the token.
    let requests = setup.fake.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(
            request.authorization.as_deref(),
            Some("Bearer hf_secret"),
            "{request:?}"
        );
    }

    // A second pull is served from the cache and the models directory, not the network.
    let again = pull(
        "hf:someone/Tiny-GGUF/tiny-q8_0.gguf",
        &setup.options(Some("hf_secret")),
        &NoProgress,
    )
    .await
    .expect("pull again");
    assert_eq!(again.outcome, PullOutcome::AlreadyPresent);
    assert_eq!(setup.fake.requests().len(), requests.len());
}

#[tokio::test]
async fn without_the_token_a_gated_file_fails_with_the_hubs_answer() {
    let setup = Setup::new().await;
    setup.fake.require_hub_token("hf_secret");
    setup
        .fake
        .add_hub_file("someone/Tiny-GGUF", "main", "tiny.gguf", tiny_gguf());
    let error = pull(
        "hf:someone/Tiny-GGUF/tiny.gguf",
        &setup.options(None),
        &NoProgress,
    )
    .await
    .expect_err("401");
    assert!(matches!(error, ModelError::Hub { .. }), "{error}");
    assert!(error.to_string().contains("401"), "{error}");
    assert!(!setup
        .home
        .path()
        .join("models/hf/someone/Tiny-GGUF/tiny.gguf")
        .exists());
}

#[tokio::test]
async fn a_revision_after_at_is_requested() {
    let setup = Setup::new().await;
    setup
        .fake
        .add_hub_file("someone/Tiny-GGUF", "v2", "tiny.gguf", tiny_gguf());
    let pulled = pull(
        "hf:someone/Tiny-GGUF/tiny.gguf@v2",
        &setup.options(None),
        &NoProgress,
    )
    .await
    .expect("pull v2");
    assert!(
        matches!(&pulled.outcome, PullOutcome::Fetched { source } if source.ends_with("@v2")),
        "{:?}",
        pulled.outcome
    );
    assert!(setup
        .fake
        .requests()
        .iter()
        .all(|request| request.path == "/someone/Tiny-GGUF/resolve/v2/tiny.gguf"));
}

#[tokio::test]
async fn a_hub_file_that_is_not_gguf_is_refused_and_not_placed() {
    let setup = Setup::new().await;
    setup.fake.add_hub_file(
        "someone/Tiny-GGUF",
        "main",
        "broken.gguf",
        b"<html>not a model</html>".to_vec(),
    );
    let error = pull(
        "hf:someone/Tiny-GGUF/broken.gguf",
        &setup.options(None),
        &NoProgress,
    )
    .await
    .expect_err("not GGUF");
    assert!(matches!(error, ModelError::NotGguf { .. }), "{error}");
    assert!(!setup
        .home
        .path()
        .join("models/hf/someone/Tiny-GGUF/broken.gguf")
        .exists());
}

#[tokio::test]
async fn a_missing_hub_file_is_a_404_naming_repo_and_file() {
    let setup = Setup::new().await;
    let error = pull(
        "hf:someone/Nothing/none.gguf",
        &setup.options(None),
        &NoProgress,
    )
    .await
    .expect_err("404");
    let message = error.to_string();
    assert!(
        message.contains("someone/Nothing") && message.contains("none.gguf"),
        "{message}"
    );
    assert!(message.contains("404"), "{message}");
}
