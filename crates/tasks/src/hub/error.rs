//! What can go wrong fetching a hub dataset, said so that the user knows what to do next.

use std::path::PathBuf;

/// What went wrong fetching a hub dataset; every message names the dataset.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The repository (or the revision) does not exist (HTTP 404).
    #[error(
        "dataset {dataset} was not found on {endpoint}; check `dataset_path`{}",
        if *.revision_missing { " and the revision" } else { "" }
    )]
    NotFound {
        dataset: String,
        endpoint: String,
        /// The repository exists; the revision does not.
        revision_missing: bool,
    },

    /// HTTP 401/403: private, gated, or (the hub answers 401 to anonymous requests for
    /// repositories that do not exist) missing.
    #[error(
        "dataset {dataset}: {endpoint} refused access (HTTP {status}); {}",
        auth_hint(*status, *token_sent, endpoint, dataset)
    )]
    Auth {
        dataset: String,
        endpoint: String,
        status: u16,
        token_sent: bool,
    },

    /// `dataset_name` names a config that README.md does not declare and no folder has.
    #[error(
        "dataset {dataset} has no config `{config}`; {}",
        config_list(available)
    )]
    UnknownConfig {
        dataset: String,
        config: String,
        available: Vec<String>,
    },

    /// No `dataset_name`, and README.md declares several configs without a default.
    #[error(
        "dataset {dataset} has several configs; set `dataset_name` to one of: {}",
        available.join(", ")
    )]
    ConfigRequired {
        dataset: String,
        available: Vec<String>,
    },

    /// No readable file holds the split (nor does the parquet conversion, when tried).
    #[error(
        "dataset {dataset}: no {} for split `{split}`; the repository holds: {}",
        if unsupported.is_empty() { "files" } else { "readable files (.parquet, .jsonl, .json, .csv)" },
        file_list(files)
    )]
    NoSplitFiles {
        dataset: String,
        split: String,
        /// Files that matched the split in formats yardstick cannot read.
        unsupported: Vec<String>,
        /// Every file of the repository at that revision.
        files: Vec<String>,
    },

    /// The hub cannot be reached (refused, unresolvable, stalled) and the cache cannot
    /// stand in.
    #[error(
        "the Hugging Face hub at {endpoint} is unreachable ({reason}) and dataset {dataset} \
         is not in the cache ({}); to run without the hub, put the files in the data \
         directory (--data-dir / YARDSTICK_DATA) and name them in dataset_kwargs.data_files",
        cache.display()
    )]
    Unreachable {
        dataset: String,
        endpoint: String,
        reason: String,
        cache: PathBuf,
    },

    /// Offline, and the cache does not hold the whole split.
    #[error(
        "dataset {dataset}, split `{split}`: offline (HF_HUB_OFFLINE) and the split is not \
         whole in the cache ({}); unset HF_HUB_OFFLINE to download it, or put the files in \
         the data directory and name them in dataset_kwargs.data_files",
        cache.display()
    )]
    NotCached {
        dataset: String,
        split: String,
        cache: PathBuf,
    },

    /// Any other failed request or download.
    #[error("dataset {dataset}: {what}: {reason}")]
    Request {
        dataset: String,
        what: String,
        reason: String,
    },

    /// Reading or writing the cache.
    #[error("dataset {dataset}: {}: {source}", path.display())]
    Io {
        dataset: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The environment gives no cache directory, or no runtime or client can start.
    #[error("{0}")]
    Environment(String),
}

fn auth_hint(status: u16, token_sent: bool, endpoint: &str, dataset: &str) -> String {
    match (status, token_sent) {
        (403, _) => format!(
            "the dataset is gated: accept its conditions at {endpoint}/datasets/{dataset} \
             with the account of HF_TOKEN"
        ),
        (_, true) => "the token in HF_TOKEN was not accepted (expired, or without read access \
                      to this private or gated dataset)"
            .to_owned(),
        (_, false) => "the dataset is private or gated, or does not exist: set HF_TOKEN to a \
                       token that can read it (huggingface.co/settings/tokens)"
            .to_owned(),
    }
}

fn config_list(available: &[String]) -> String {
    if available.is_empty() {
        "the repository declares no configs (README.md `configs:`) and has no folder of \
         that name"
            .to_owned()
    } else {
        format!("its configs are: {}", available.join(", "))
    }
}

fn file_list(files: &[String]) -> String {
    const SHOWN: usize = 40;
    if files.is_empty() {
        return "no files".to_owned();
    }
    let mut text = files
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    text
}
