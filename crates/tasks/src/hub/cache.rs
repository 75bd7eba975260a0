//! The hub cache as `hf-hub` and Python's `huggingface_hub` lay it out:
//! `{cache}/datasets--{owner}--{name}/refs/{revision}` holds a commit and
//! `snapshots/{commit}/{path}` the files (links into `blobs/`). Read here to serve a split
//! without the network.

use super::layout;
use super::{HubDatasetRef, HubFile, HubOptions, HubSplit, PARQUET_CONVERSION_REVISION};
use hf_hub::{Repo, RepoType};
use std::path::{Path, PathBuf};

fn repo_dir(cache_dir: &Path, dataset: &str) -> PathBuf {
    cache_dir.join(Repo::new(dataset.to_owned(), RepoType::Dataset).folder_name())
}

/// Where the files of `dataset` at `commit` are (or will be) in the cache.
pub(super) fn snapshot_dir(cache_dir: &Path, dataset: &str, commit: &str) -> PathBuf {
    repo_dir(cache_dir, dataset).join("snapshots").join(commit)
}

/// The commit `revision` pointed to when it was last fetched (a commit is its own).
fn cached_commit(cache_dir: &Path, dataset: &str, revision: &str) -> Option<String> {
    let reference = repo_dir(cache_dir, dataset).join("refs").join(revision);
    match std::fs::read_to_string(reference) {
        Ok(commit) => Some(commit.trim().to_owned()),
        Err(_) => {
            let is_commit =
                revision.len() == 40 && revision.bytes().all(|byte| byte.is_ascii_hexdigit());
            let snapshot = snapshot_dir(cache_dir, dataset, revision);
            (is_commit && snapshot.is_dir()).then(|| revision.to_owned())
        }
    }
}

/// Every file under `root`, as `/`-separated paths relative to it, sorted.
fn files_under(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                folders.push((path, format!("{prefix}{name}/")));
            } else if path.is_file() {
                found.push(format!("{prefix}{name}"));
            }
        }
    }
    found.sort();
    found
}

/// The split from the cache alone, when its files are there: at the pinned revision, else
/// at `main`, else in the parquet conversion. A sharded split (`-00000-of-00003`) counts
/// only with every shard; a split whose shards are not numbered that way cannot be checked.
pub(super) fn from_cache(
    dataset: &HubDatasetRef,
    split: &str,
    options: &HubOptions,
) -> Option<HubSplit> {
    let revisions = match &dataset.revision {
        Some(revision) => vec![revision.as_str()],
        None => vec!["main", PARQUET_CONVERSION_REVISION],
    };
    revisions.into_iter().find_map(|revision| {
        let commit = cached_commit(&options.cache_dir, &dataset.path, revision)?;
        let root = snapshot_dir(&options.cache_dir, &dataset.path, &commit);
        let files = files_under(&root);
        let selected = if revision == PARQUET_CONVERSION_REVISION {
            layout::converted_split(&files, dataset.name.as_deref(), split)
        } else {
            let configs = std::fs::read_to_string(root.join("README.md"))
                .ok()
                .and_then(|readme| layout::declared_configs(&readme).ok())
                .unwrap_or_default();
            layout::select_split(
                &files,
                &configs,
                dataset.name.as_deref(),
                dataset.data_dir.as_deref(),
                split,
            )
            .ok()?
        };
        if selected.is_empty() || !layout::shards_complete(&selected) {
            return None;
        }
        Some(HubSplit {
            dataset: dataset.path.clone(),
            revision: revision.to_owned(),
            commit,
            files: selected
                .into_iter()
                .map(|path_in_repo| HubFile {
                    local_path: root.join(&path_in_repo),
                    path_in_repo,
                })
                .collect(),
        })
    })
}
