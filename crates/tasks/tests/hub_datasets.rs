//! Hub datasets end to end against the fake hub on loopback (never the real hub): finding a
//! split's files, downloading them into the HF cache, reading parquet rows as HF `datasets`
//! gives them to Python (fixtures and expected JSON made by `hub_datasets/make_fixtures.py`
//! with pyarrow and `datasets`), the errors, the token, and the cache.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use yardstick_tasks::dataset::RecordReader;
use yardstick_tasks::hub::{fetch_dataset_split, HubDatasetRef, HubError, HubOptions, HubSplit};
use yardstick_test_support::fake_hub::FakeHub;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hub_datasets")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn expected_rows(parquet: &str) -> Vec<Value> {
    let name = parquet.replace(".parquet", ".expected.json");
    let text = std::fs::read_to_string(fixture(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every record of the files as JSON; panics with the error text on a failed record.
fn read_rows(files: Vec<(String, PathBuf)>) -> Vec<Value> {
    RecordReader::new("t", files)
        .map(|record| match record {
            Ok(record) => Value::Object(record.fields),
            Err(error) => panic!("{error}"),
        })
        .collect()
}

#[test]
fn parquet_rows_are_what_datasets_gives_python() {
    for name in [
        "arc.parquet",
        "triviaqa.parquet",
        "types_snappy.parquet",
        "types_gzip.parquet",
        "types_lz4.parquet",
        "types_plain.parquet",
    ] {
        let rows = read_rows(vec![(name.to_owned(), fixture(name))]);
        let expected = expected_rows(name);
        assert_eq!(rows.len(), expected.len(), "{name}");
        for (index, (row, expected)) in rows.iter().zip(&expected).enumerate() {
            assert_eq!(row, expected, "{name}, row {}", index + 1);
        }
    }
    let arc = read_rows(vec![("arc.parquet".into(), fixture("arc.parquet"))]);
    assert_eq!(arc[0]["choices"]["label"][2], "C");
    let trivia = read_rows(vec![("t.parquet".into(), fixture("triviaqa.parquet"))]);
    assert_eq!(trivia[0]["answer"]["aliases"][1], "Sunset Boulevard");
}

#[test]
fn parquet_errors_name_the_file_and_the_row() {
    let directory = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let garbage = directory.path().join("garbage.parquet");
    std::fs::write(&garbage, b"PAR1 this is not parquet").unwrap_or_else(|e| panic!("{e}"));
    let error = RecordReader::new("t", vec![("garbage.parquet".into(), garbage)])
        .find_map(Result::err)
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.starts_with("task t: reading garbage.parquet: not a readable parquet file"),
        "{error}"
    );

    // Spoil the first data page of the second row group (rows 5 to 8).
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let original = fixture("types_snappy.parquet");
    let file = std::fs::File::open(&original).unwrap_or_else(|e| panic!("{e}"));
    let reader = SerializedFileReader::new(file).unwrap_or_else(|e| panic!("{e}"));
    let group = reader.metadata().row_group(1);
    let start = group
        .column(0)
        .dictionary_page_offset()
        .unwrap_or(group.column(0).data_page_offset());
    let mut bytes = fixture_bytes("types_snappy.parquet");
    let start = usize::try_from(start).unwrap_or_default();
    bytes[start..start + 24].fill(0xff);
    let spoiled = directory.path().join("spoiled.parquet");
    std::fs::write(&spoiled, bytes).unwrap_or_else(|e| panic!("{e}"));
    let records: Vec<_> =
        RecordReader::new("t", vec![("spoiled.parquet".into(), spoiled)]).collect();
    let good = records.iter().take_while(|record| record.is_ok()).count();
    assert_eq!(good, 4, "the first row group reads");
    assert_eq!(records.len(), 5, "reading stops at the broken row group");
    let error = records[4]
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        error.starts_with("task t, row 5 of spoiled.parquet: invalid parquet data"),
        "{error}"
    );
}

/// The fake hub plus a fresh HF cache.
struct Hub {
    fake: FakeHub,
    cache: tempfile::TempDir,
}

const ARC_README: &str = "---\nlanguage:\n- en\nconfigs:\n- config_name: ARC-Challenge\n  \
    data_files:\n  - split: train\n    path: ARC-Challenge/train-*\n  - split: test\n    \
    path: ARC-Challenge/test-*\n- config_name: ARC-Easy\n  data_files:\n  - split: train\n    \
    path: ARC-Easy/train-*\n  - split: test\n    path: ARC-Easy/test-*\n---\n\n# ai2_arc\n";

impl Hub {
    async fn start() -> Hub {
        Hub {
            fake: FakeHub::start().await,
            cache: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn options(&self) -> HubOptions {
        HubOptions {
            endpoint: self.fake.url().to_owned(),
            token: None,
            cache_dir: self.cache.path().to_path_buf(),
            offline: false,
            stall_timeout: Duration::from_secs(20),
        }
    }

    /// Publishes a copy of allenai/ai2_arc's layout: README configs, one folder per config.
    fn add_arc(&self) {
        let repo = "allenai/ai2_arc";
        self.fake
            .add_dataset_file(repo, "main", ".gitattributes", "*.parquet filter=lfs\n");
        self.fake
            .add_dataset_file(repo, "main", "README.md", ARC_README);
        let arc = fixture_bytes("arc.parquet");
        let other = fixture_bytes("triviaqa.parquet");
        for (path, bytes) in [
            ("ARC-Easy/test-00000-of-00001.parquet", &arc),
            ("ARC-Easy/train-00000-of-00001.parquet", &other),
            ("ARC-Challenge/test-00000-of-00001.parquet", &other),
            ("ARC-Challenge/train-00000-of-00001.parquet", &other),
        ] {
            self.fake
                .add_dataset_file(repo, "main", path, bytes.clone());
        }
    }

    /// The files downloaded so far, in order (hf-hub asks for each twice: its first byte
    /// for the metadata, then the content).
    fn downloads(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .fake
            .requests()
            .into_iter()
            .filter(|request| request.path.contains("/resolve/"))
            .map(|request| request.path)
            .collect();
        paths.dedup();
        paths
    }
}

/// Fetches on a blocking thread, as the runner calls task loading.
async fn fetch(
    dataset: HubDatasetRef,
    split: &str,
    options: HubOptions,
) -> Result<HubSplit, HubError> {
    let split = split.to_owned();
    tokio::task::spawn_blocking(move || fetch_dataset_split(&dataset, &split, &options))
        .await
        .unwrap_or_else(|panic| panic!("fetch panicked: {panic}"))
}

fn arc_easy() -> HubDatasetRef {
    HubDatasetRef::new("allenai/ai2_arc").with_config("ARC-Easy")
}

fn paths_in_repo(split: &HubSplit) -> Vec<&str> {
    split
        .files
        .iter()
        .map(|file| file.path_in_repo.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_configs_choose_the_files_and_rows_read_back() {
    let hub = Hub::start().await;
    hub.add_arc();
    let split = fetch(arc_easy(), "test", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        paths_in_repo(&split),
        ["ARC-Easy/test-00000-of-00001.parquet"]
    );
    assert_eq!(split.revision, "main");
    assert_eq!(split.commit.len(), 40);
    let local = &split.files[0].local_path;
    assert!(
        local.starts_with(
            hub.cache
                .path()
                .join("datasets--allenai--ai2_arc/snapshots")
                .join(&split.commit)
        ),
        "{}",
        local.display()
    );
    let files = split.record_files();
    assert_eq!(
        files[0].0,
        "hf://datasets/allenai/ai2_arc/ARC-Easy/test-00000-of-00001.parquet"
    );
    assert_eq!(read_rows(files), expected_rows("arc.parquet"));
    // README.md (for the configs) and the one parquet file: nothing else was downloaded.
    assert_eq!(
        hub.downloads(),
        [
            "/datasets/allenai/ai2_arc/resolve/main/README.md",
            "/datasets/allenai/ai2_arc/resolve/main/ARC-Easy/test-00000-of-00001.parquet"
        ]
    );

    let challenge = HubDatasetRef::new("allenai/ai2_arc").with_config("ARC-Challenge");
    let split = fetch(challenge, "train", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        paths_in_repo(&split),
        ["ARC-Challenge/train-00000-of-00001.parquet"]
    );

    let error = fetch(
        HubDatasetRef::new("allenai/ai2_arc").with_config("ARC-Hard"),
        "test",
        hub.options(),
    )
    .await
    .err()
    .map(|error| error.to_string())
    .unwrap_or_default();
    assert_eq!(
        error,
        "dataset allenai/ai2_arc has no config `ARC-Hard`; its configs are: ARC-Challenge, ARC-Easy"
    );
    let error = fetch(HubDatasetRef::new("allenai/ai2_arc"), "test", hub.options())
        .await
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("set `dataset_name` to one of: ARC-Challenge, ARC-Easy"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn naming_conventions_without_readme_configs() {
    let hub = Hub::start().await;
    let arc = fixture_bytes("arc.parquet");
    // data/{split}-NNNNN-of-NNNNN.parquet, sharded, read in shard order.
    for path in [
        "data/train-00000-of-00001.parquet",
        "data/test-00001-of-00002.parquet",
        "data/test-00000-of-00002.parquet",
    ] {
        hub.fake
            .add_dataset_file("org/sharded", "main", path, arc.clone());
    }
    let split = fetch(HubDatasetRef::new("org/sharded"), "test", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        paths_in_repo(&split),
        [
            "data/test-00000-of-00002.parquet",
            "data/test-00001-of-00002.parquet"
        ]
    );
    assert_eq!(read_rows(split.record_files()).len(), 4);

    // {config}/{split}-*.parquet with no README, and {split} keywords in JSON lines names.
    hub.fake
        .add_dataset_file("org/folders", "main", "easy/test-0.parquet", arc.clone());
    hub.fake
        .add_dataset_file("org/folders", "main", "hard/test-0.parquet", arc.clone());
    let split = fetch(
        HubDatasetRef::new("org/folders").with_config("hard"),
        "test",
        hub.options(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(paths_in_repo(&split), ["hard/test-0.parquet"]);
    hub.fake.add_dataset_file(
        "piqa",
        "main",
        "dev.jsonl",
        "{\"goal\": \"g\", \"label\": 1}\n",
    );
    hub.fake.add_dataset_file(
        "piqa",
        "main",
        "train.jsonl",
        "{\"goal\": \"t\", \"label\": 0}\n",
    );
    let split = fetch(HubDatasetRef::new("piqa"), "validation", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(paths_in_repo(&split), ["dev.jsonl"]);
    assert_eq!(
        read_rows(split.record_files()),
        [serde_json::json!({"goal": "g", "label": 1})]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_fall_back_to_the_parquet_conversion() {
    let hub = Hub::start().await;
    let repo = "legacy/scripted";
    hub.fake
        .add_dataset_file(repo, "main", "scripted.py", "import datasets\n");
    hub.fake.add_dataset_file(
        repo,
        "main",
        "README.md",
        "# a dataset with a loading script\n",
    );
    let converted = "refs/convert/parquet";
    hub.fake.add_dataset_file(
        repo,
        converted,
        "default/test/0000.parquet",
        fixture_bytes("arc.parquet"),
    );
    hub.fake.add_dataset_file(
        repo,
        converted,
        "default/train/0000.parquet",
        fixture_bytes("triviaqa.parquet"),
    );
    let split = fetch(HubDatasetRef::new(repo), "test", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.revision, converted);
    assert_eq!(paths_in_repo(&split), ["default/test/0000.parquet"]);
    assert_eq!(
        split.record_files()[0].0,
        "hf://datasets/legacy/scripted@refs%2Fconvert%2Fparquet/default/test/0000.parquet"
    );
    assert_eq!(
        read_rows(split.record_files()),
        expected_rows("arc.parquet")
    );
    assert!(hub.downloads().contains(
        &"/datasets/legacy/scripted/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet"
            .to_owned()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_splits_and_datasets_say_what_exists() {
    let hub = Hub::start().await;
    hub.add_arc();
    let error = fetch(arc_easy(), "validation", hub.options())
        .await
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert_eq!(
        error,
        "dataset allenai/ai2_arc (config ARC-Easy): no files for split `validation`; the \
         repository holds: .gitattributes, ARC-Challenge/test-00000-of-00001.parquet, \
         ARC-Challenge/train-00000-of-00001.parquet, ARC-Easy/test-00000-of-00001.parquet, \
         ARC-Easy/train-00000-of-00001.parquet, README.md"
    );
    let error = fetch(HubDatasetRef::new("nobody/nothing"), "test", hub.options()).await;
    assert!(
        matches!(
            &error,
            Err(HubError::NotFound {
                revision_missing: false,
                ..
            })
        ),
        "{error:?}"
    );
    let error = fetch(arc_easy().with_revision("v9"), "test", hub.options()).await;
    let text = error
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        matches!(
            &error,
            Err(HubError::NotFound {
                revision_missing: true,
                ..
            })
        ) && text.contains("allenai/ai2_arc (config ARC-Easy) at revision v9 was not found"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_sent_and_a_refusal_names_hf_token() {
    let hub = Hub::start().await;
    hub.add_arc();
    hub.fake.require_hub_token("hf_secret");
    let error = fetch(arc_easy(), "test", hub.options())
        .await
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("HTTP 401") && error.contains("set HF_TOKEN"),
        "{error}"
    );

    let mut options = hub.options();
    options.token = Some("hf_wrong".into());
    let error = fetch(arc_easy(), "test", options)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("the token in HF_TOKEN was not accepted"),
        "{error}"
    );

    let before = hub.fake.requests().len();
    let mut options = hub.options();
    options.token = Some("hf_secret".into());
    let split = fetch(arc_easy(), "test", options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.files.len(), 1);
    let requests = &hub.fake.requests()[before..];
    assert!(requests.len() >= 3, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|request| request.authorization.as_deref() == Some("Bearer hf_secret")),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_serves_again_and_offline() {
    let hub = Hub::start().await;
    hub.add_arc();
    let first = fetch(arc_easy(), "test", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let downloads = hub.downloads().len();
    let second = fetch(arc_easy(), "test", hub.options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, second);
    assert_eq!(
        hub.downloads().len(),
        downloads,
        "the second fetch downloads nothing"
    );

    // HF_HUB_OFFLINE: no request at all; a split never fetched is an error that says so.
    let requests = hub.fake.requests().len();
    let mut offline = hub.options();
    offline.offline = true;
    let third = fetch(arc_easy(), "test", offline.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(third, first);
    assert_eq!(hub.fake.requests().len(), requests);
    let error = fetch(arc_easy(), "train", offline)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("offline (HF_HUB_OFFLINE)") && error.contains("data_files"),
        "{error}"
    );

    // The hub gone: the cached split still reads; another is an "unreachable" error.
    let mut gone = hub.options();
    gone.endpoint = closed_endpoint();
    let fourth = fetch(arc_easy(), "test", gone.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fourth, first);
    assert_eq!(
        read_rows(fourth.record_files()),
        expected_rows("arc.parquet")
    );
    let error = fetch(arc_easy(), "train", gone).await;
    let text = error
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(matches!(error, Err(HubError::Unreachable { .. })), "{text}");
    assert!(
        text.contains("is unreachable")
            && text.contains("--data-dir")
            && text.contains("dataset_kwargs.data_files"),
        "{text}"
    );
}

/// `http://127.0.0.1:PORT` where nothing listens.
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    format!("http://{address}")
}
