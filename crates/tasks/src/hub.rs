//! Hugging Face hub datasets: finding the files of one split of a dataset repository and
//! downloading them into the standard Hugging Face cache, where every HF tool finds them.
//!
//! ```no_run
//! use yardstick_tasks::hub::{fetch_dataset_split, HubDatasetRef, HubOptions};
//! use yardstick_tasks::dataset::RecordReader;
//!
//! let dataset = HubDatasetRef::new("allenai/ai2_arc").with_config("ARC-Easy");
//! let split = fetch_dataset_split(&dataset, "test", &HubOptions::from_env()?)?;
//! for record in RecordReader::new("arc_easy", split.record_files()) {
//!     println!("{:?}", record?.fields["question"]);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Which files hold a split is decided as `datasets` decides it (the rules are in `hub/layout.rs`): README.md's
//! `configs:`, then the naming conventions, then the hub's automatic parquet conversion
//! (branch `refs/convert/parquet`) when the default branch has nothing readable (a dataset
//! with a loading script, say) and no revision was pinned.
//!
//! # Blocking
//!
//! [`fetch_dataset_split`] blocks: this crate is synchronous and is called from
//! `spawn_blocking`. It runs `hf-hub`'s tokio client (the one `yardstick-models` already
//! builds, with rustls and the system's roots) on a current-thread runtime of its own, on a
//! scoped thread, so it works from any thread, inside a runtime or not.
//!
//! # Network and cache
//!
//! Every fetch lists the repository once (`/api/datasets/{id}/revision/{rev}`), which gives
//! the commit; files already in the cache at that commit are not downloaded again. Offline
//! (`HF_HUB_OFFLINE=1`) or when the hub cannot be reached, the files come from the cached
//! snapshot of the revision if the split is there whole. Transfers that receive nothing
//! for [`HubOptions::stall_timeout`] are abandoned.

mod cache;
mod error;
mod layout;
mod options;

pub use error::HubError;
pub use options::{HubOptions, DEFAULT_HF_ENDPOINT, DEFAULT_STALL_TIMEOUT};

use cache::{from_cache, snapshot_dir};
use hf_hub::api::tokio::{ApiBuilder, ApiError, ApiRepo, Progress};
use hf_hub::api::RepoInfo;
use hf_hub::{Cache, Repo, RepoType};
use layout::NoFiles;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// The branch where the hub keeps its parquet conversion of every public dataset.
pub const PARQUET_CONVERSION_REVISION: &str = "refs/convert/parquet";

/// A hub dataset as a task names it: `dataset_path`, `dataset_name`, and the revision and
/// `data_dir` of `dataset_kwargs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubDatasetRef {
    /// Repository id, `owner/name` (or a legacy bare name such as `piqa`).
    pub path: String,
    /// The config (`dataset_name`), e.g. `ARC-Easy`; `None` for the default one.
    pub name: Option<String>,
    /// Branch, tag or commit; `None` for `main` (with the parquet conversion as fallback).
    pub revision: Option<String>,
    /// Only files under this folder of the repository (`load_dataset(..., data_dir=...)`).
    pub data_dir: Option<String>,
}

impl HubDatasetRef {
    /// The default config of `path` at `main`.
    pub fn new(path: impl Into<String>) -> HubDatasetRef {
        HubDatasetRef {
            path: path.into(),
            name: None,
            revision: None,
            data_dir: None,
        }
    }

    /// The same dataset, config `name`.
    pub fn with_config(mut self, name: impl Into<String>) -> HubDatasetRef {
        self.name = Some(name.into());
        self
    }

    /// The same dataset at `revision`.
    pub fn with_revision(mut self, revision: impl Into<String>) -> HubDatasetRef {
        self.revision = Some(revision.into());
        self
    }

    /// The same dataset, only the files under `data_dir`.
    pub fn with_data_dir(mut self, data_dir: impl Into<String>) -> HubDatasetRef {
        self.data_dir = Some(data_dir.into());
        self
    }
}

impl std::fmt::Display for HubDatasetRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(name) = &self.name {
            write!(f, " (config {name})")?;
        }
        if let Some(revision) = &self.revision {
            write!(f, " at revision {revision}")?;
        }
        Ok(())
    }
}

/// The files of one split, in the cache, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSplit {
    /// The repository id.
    pub dataset: String,
    /// The branch, tag or commit the files were listed at (`main`, `refs/convert/parquet`).
    pub revision: String,
    /// The commit that revision pointed to.
    pub commit: String,
    pub files: Vec<HubFile>,
}

/// One file of a [`HubSplit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFile {
    /// The path in the repository, e.g. `ARC-Easy/test-00000-of-00001.parquet`.
    pub path_in_repo: String,
    /// Where it is on disk (in the cache's snapshot of the commit).
    pub local_path: PathBuf,
}

impl HubSplit {
    /// The files as [`crate::dataset::RecordReader::new`] takes them, each named
    /// `hf://datasets/{id}[@{revision}]/{path}` (the revision only when not `main`).
    pub fn record_files(&self) -> Vec<(String, PathBuf)> {
        let at = match self.revision.as_str() {
            "main" => String::new(),
            revision => format!("@{}", revision.replace('/', "%2F")),
        };
        self.files
            .iter()
            .map(|file| {
                let name = format!("hf://datasets/{}{at}/{}", self.dataset, file.path_in_repo);
                (name, file.local_path.clone())
            })
            .collect()
    }
}

/// Finds the files of `split` of `dataset` and makes sure they are in the cache (see the
/// module doc for the rules and for what happens offline). Blocks until they are.
pub fn fetch_dataset_split(
    dataset: &HubDatasetRef,
    split: &str,
    options: &HubOptions,
) -> Result<HubSplit, HubError> {
    let not_cached = || HubError::NotCached {
        dataset: dataset.to_string(),
        split: split.to_owned(),
        cache: options.cache_dir.clone(),
    };
    if options.offline {
        return from_cache(dataset, split, options).ok_or_else(not_cached);
    }
    let fetched = std::thread::scope(|scope| {
        let worker = scope.spawn(|| -> Result<HubSplit, HubError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| HubError::Environment(format!("starting a runtime: {error}")))?;
            runtime.block_on(fetch_online(dataset, split, options))
        });
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    match fetched {
        Err(unreachable @ HubError::Unreachable { .. }) => {
            match from_cache(dataset, split, options) {
                Some(cached) => {
                    tracing::warn!(%dataset, split, "{unreachable}; using the cached copy");
                    Ok(cached)
                }
                None => Err(unreachable),
            }
        }
        other => other,
    }
}

/// The repository's files at a revision.
struct Listing {
    revision: String,
    commit: String,
    files: Vec<String>,
}

/// One dataset fetch: the hf-hub client and what errors need to say.
struct Session<'a> {
    api: hf_hub::api::tokio::Api,
    dataset: &'a HubDatasetRef,
    options: &'a HubOptions,
}

async fn fetch_online(
    dataset: &HubDatasetRef,
    split: &str,
    options: &HubOptions,
) -> Result<HubSplit, HubError> {
    let api = ApiBuilder::from_cache(Cache::new(options.cache_dir.clone()))
        .with_endpoint(options.endpoint.trim_end_matches('/').to_owned())
        .with_token(options.token.clone())
        .with_progress(false)
        .with_user_agent("yardstick", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|error| HubError::Environment(format!("building the hub client: {error}")))?;
    let session = Session {
        api,
        dataset,
        options,
    };
    let revision = dataset.revision.as_deref().unwrap_or("main");
    let listing = session.list(revision).await?;
    // README.md's front matter may declare the configs and their files.
    let configs = if listing.files.iter().any(|file| file == "README.md") {
        let readme = session.cached_file(&listing, "README.md").await?;
        let text =
            std::fs::read_to_string(&readme).map_err(|source| session.io(&readme, source))?;
        layout::declared_configs(&text).unwrap_or_else(|message| {
            tracing::warn!(%dataset, "{message}; using the file naming conventions");
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let config = dataset.name.as_deref();
    let data_dir = dataset.data_dir.as_deref();
    let problem = match layout::select_split(&listing.files, &configs, config, data_dir, split) {
        Ok(files) => return session.download_all(&listing, files).await,
        Err(problem) => problem,
    };
    if dataset.revision.is_none() && data_dir.is_none() {
        match session.list(PARQUET_CONVERSION_REVISION).await {
            Ok(converted) => {
                let files = layout::converted_split(&converted.files, config, split);
                if !files.is_empty() {
                    tracing::info!(%dataset, split, "using the hub's parquet conversion");
                    return session.download_all(&converted, files).await;
                }
            }
            Err(HubError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Err(no_files(dataset, split, problem, listing.files))
}

fn no_files(
    dataset: &HubDatasetRef,
    split: &str,
    problem: NoFiles,
    files: Vec<String>,
) -> HubError {
    let name = dataset.path.clone();
    match problem {
        NoFiles::UnknownConfig { available } => HubError::UnknownConfig {
            dataset: name,
            config: dataset.name.clone().unwrap_or_default(),
            available,
        },
        NoFiles::ConfigRequired { available } => HubError::ConfigRequired {
            dataset: name,
            available,
        },
        NoFiles::NoSplit { unsupported } => HubError::NoSplitFiles {
            dataset: dataset.to_string(),
            split: split.to_owned(),
            unsupported,
            files,
        },
    }
}

impl Session<'_> {
    fn repo(&self, revision: &str) -> Repo {
        Repo::with_revision(
            self.dataset.path.clone(),
            RepoType::Dataset,
            revision.to_owned(),
        )
    }

    fn io(&self, path: &Path, source: std::io::Error) -> HubError {
        HubError::Io {
            dataset: self.dataset.path.clone(),
            path: path.to_path_buf(),
            source,
        }
    }

    /// A failed request as the error the user should see.
    fn request_error(&self, what: &str, error: &reqwest::Error) -> HubError {
        let endpoint = self.options.endpoint.clone();
        let dataset = self.dataset.path.clone();
        match error.status().map(|status| status.as_u16()) {
            Some(status @ (401 | 403)) => HubError::Auth {
                dataset,
                endpoint,
                status,
                token_sent: self.options.token.is_some(),
            },
            _ if error.is_connect() || error.is_timeout() => HubError::Unreachable {
                dataset: self.dataset.to_string(),
                endpoint,
                reason: error_chain(error),
                cache: self.options.cache_dir.clone(),
            },
            _ => HubError::Request {
                dataset,
                what: what.to_owned(),
                reason: error_chain(error),
            },
        }
    }

    fn stalled(&self, what: &str) -> HubError {
        HubError::Unreachable {
            dataset: self.dataset.to_string(),
            endpoint: self.options.endpoint.clone(),
            reason: format!(
                "{what}: nothing received for {} s",
                self.options.stall_timeout.as_secs_f64()
            ),
            cache: self.options.cache_dir.clone(),
        }
    }

    /// The repository's files at `revision`, with the commit it points to.
    async fn list(&self, revision: &str) -> Result<Listing, HubError> {
        let what = format!("listing the files at revision {revision}");
        let request = self.api.repo(self.repo(revision)).info_request();
        let response = tokio::time::timeout(self.options.stall_timeout, request.send())
            .await
            .map_err(|_| self.stalled(&what))?
            .map_err(|error| self.request_error(&what, &error))?;
        let status = response.status().as_u16();
        if status == 404 {
            let code = response
                .headers()
                .get("x-error-code")
                .and_then(|value| value.to_str().ok());
            return Err(HubError::NotFound {
                dataset: self.dataset.to_string(),
                endpoint: self.options.endpoint.clone(),
                revision_missing: code == Some("RevisionNotFound"),
            });
        }
        let response = response
            .error_for_status()
            .map_err(|error| self.request_error(&what, &error))?;
        let info: RepoInfo = tokio::time::timeout(self.options.stall_timeout, response.json())
            .await
            .map_err(|_| self.stalled(&what))?
            .map_err(|error| self.request_error(&what, &error))?;
        Ok(Listing {
            revision: revision.to_owned(),
            commit: info.sha,
            files: info
                .siblings
                .into_iter()
                .map(|file| file.rfilename)
                .collect(),
        })
    }

    /// The file from the cache's snapshot of the listed commit, downloaded if not there.
    async fn cached_file(&self, listing: &Listing, file: &str) -> Result<PathBuf, HubError> {
        let snapshot =
            snapshot_dir(&self.options.cache_dir, &self.dataset.path, &listing.commit).join(file);
        if snapshot.is_file() {
            return Ok(snapshot);
        }
        tracing::info!(dataset = %self.dataset, file, "downloading");
        let repo = self.api.repo(self.repo(&listing.revision));
        let what = format!("downloading {file}");
        let path = download(&repo, file, self.options.stall_timeout)
            .await
            .map_err(|failure| match failure {
                Failure::Stalled => self.stalled(&what),
                Failure::Api(ApiError::RequestError(error)) => self.request_error(&what, &error),
                Failure::Api(error) => HubError::Request {
                    dataset: self.dataset.path.clone(),
                    what: what.clone(),
                    reason: error_chain(&error),
                },
            })?;
        if path != snapshot {
            return Err(HubError::Request {
                dataset: self.dataset.path.clone(),
                what,
                reason: format!(
                    "revision {} moved from commit {} while downloading; run again",
                    listing.revision, listing.commit
                ),
            });
        }
        Ok(path)
    }

    async fn download_all(
        &self,
        listing: &Listing,
        files: Vec<String>,
    ) -> Result<HubSplit, HubError> {
        let mut fetched = Vec::with_capacity(files.len());
        for file in files {
            let local_path = self.cached_file(listing, &file).await?;
            fetched.push(HubFile {
                path_in_repo: file,
                local_path,
            });
        }
        // hf-hub writes the ref only when it downloads; a fully cached split may be
        // reached through a revision that never downloaded anything.
        Cache::new(self.options.cache_dir.clone())
            .repo(self.repo(&listing.revision))
            .create_ref(&listing.commit)
            .map_err(|source| self.io(&self.options.cache_dir, source))?;
        Ok(HubSplit {
            dataset: self.dataset.path.clone(),
            revision: listing.revision.clone(),
            commit: listing.commit.clone(),
            files: fetched,
        })
    }
}

enum Failure {
    Api(ApiError),
    Stalled,
}

/// hf-hub's download, abandoned when no byte arrives for `stall` (hf-hub has no timeouts).
async fn download(repo: &ApiRepo, file: &str, stall: Duration) -> Result<PathBuf, Failure> {
    let (sender, mut receiver) = unbounded_channel();
    let download = repo.download_with_progress(file, Heartbeat { sender });
    tokio::pin!(download);
    let mut deadline = tokio::time::Instant::now() + stall;
    loop {
        tokio::select! {
            result = &mut download => return result.map_err(Failure::Api),
            Some(()) = receiver.recv() => deadline = tokio::time::Instant::now() + stall,
            () = tokio::time::sleep_until(deadline) => return Err(Failure::Stalled),
        }
    }
}

/// Tells the stall watch that bytes arrived.
#[derive(Clone)]
struct Heartbeat {
    sender: UnboundedSender<()>,
}

impl Progress for Heartbeat {
    async fn init(&mut self, _size: usize, _filename: &str) {
        // A closed channel only means the download is over.
        let _ = self.sender.send(());
    }

    async fn update(&mut self, _size: usize) {
        let _ = self.sender.send(());
    }

    async fn finish(&mut self) {}
}

/// An error with its causes, each once (reqwest's messages repeat their source's).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
