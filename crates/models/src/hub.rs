//! The Hugging Face source, through the `hf-hub` crate: files land in the standard HF cache
//! (`<cache>/models--owner--name/{blobs,snapshots,refs}`), shared with every other HF tool;
//! a file already there is used without touching the network.

use crate::fetch::error_chain;
use crate::{ModelError, PullOptions, PullProgress};
use hf_hub::api::tokio::{ApiBuilder, Progress};
use hf_hub::{Cache, Repo, RepoType};
use std::path::PathBuf;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// Where a hub file is: repository, path in it, revision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HubLocation<'a> {
    pub repo: &'a str,
    pub file: &'a str,
    pub revision: &'a str,
}

/// The path of the file in the HF cache, downloading it first when it is not there.
pub(crate) async fn cached_file(
    location: HubLocation<'_>,
    options: &PullOptions,
    progress: &dyn PullProgress,
) -> Result<PathBuf, ModelError> {
    let hub_error = |reason: String| ModelError::Hub {
        repo: location.repo.to_owned(),
        file: location.file.to_owned(),
        reason,
    };
    let repo = Repo::with_revision(
        location.repo.to_owned(),
        RepoType::Model,
        location.revision.to_owned(),
    );
    let cache = Cache::new(options.hf_cache.clone());
    if let Some(path) = cache.repo(repo.clone()).get(location.file) {
        if path.is_file() {
            return Ok(path);
        }
    }

    let api = ApiBuilder::from_cache(cache)
        .with_endpoint(options.hf_endpoint.trim_end_matches('/').to_owned())
        .with_token(options.hf_token.clone())
        .with_progress(false)
        .with_user_agent("yardstick", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|error| hub_error(error_chain(&error)))?;
    let (sender, mut receiver) = unbounded_channel();
    let api_repo = api.repo(repo);
    let download = api_repo.download_with_progress(location.file, ChannelProgress { sender });
    tokio::pin!(download);

    let mut total_bytes = None;
    let mut done_bytes = 0u64;
    let mut report = |event: Transfer| {
        match event {
            Transfer::Total(total) => total_bytes = Some(total),
            Transfer::Advanced(bytes) => done_bytes += bytes,
        }
        progress.downloaded(done_bytes, total_bytes);
    };
    // hf-hub's client has no timeouts of its own: give up on a transfer that stalls.
    let stall = options.stall_timeout;
    let mut deadline = tokio::time::Instant::now() + stall;
    let result = loop {
        tokio::select! {
            result = &mut download => break result,
            Some(event) = receiver.recv() => {
                report(event);
                deadline = tokio::time::Instant::now() + stall;
            }
            () = tokio::time::sleep_until(deadline) => {
                return Err(hub_error(format!(
                    "no data received for {} s; giving up on this source",
                    stall.as_secs_f64()
                )));
            }
        }
    };
    while let Ok(event) = receiver.try_recv() {
        report(event);
    }
    result.map_err(|error| hub_error(error_chain(&error)))
}

/// What hf-hub reports while downloading.
#[derive(Debug, Clone, Copy)]
enum Transfer {
    Total(u64),
    Advanced(u64),
}

/// hf-hub's progress hook, forwarded over a channel: hf-hub needs a `'static` hook that it
/// clones into its download tasks, while [`PullProgress`] is borrowed from the caller.
#[derive(Clone)]
struct ChannelProgress {
    sender: UnboundedSender<Transfer>,
}

impl Progress for ChannelProgress {
    async fn init(&mut self, size: usize, _filename: &str) {
        // A closed channel only means nobody listens any more.
        let _ = self.sender.send(Transfer::Total(size as u64));
    }

    async fn update(&mut self, size: usize) {
        let _ = self.sender.send(Transfer::Advanced(size as u64));
    }

    async fn finish(&mut self) {}
}
