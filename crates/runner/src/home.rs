//! The yardstick data directory: where pulled models and the results database live.

use std::path::{Path, PathBuf};

use yardstick_store::Store;

use crate::RunnerError;

/// The yardstick data directory: the one given (`--home`), else `$YARDSTICK_HOME`, else
/// the XDG data dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn resolve(explicit: Option<&Path>) -> Result<Home, RunnerError> {
        let root = match explicit {
            Some(path) => path.to_path_buf(),
            None => yardstick_models::data_home().map_err(RunnerError::DataHome)?,
        };
        Ok(Home { root })
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Where the sentence-embedding model of embedding metrics is installed.
    pub fn embedder_dir(&self) -> PathBuf {
        yardstick_embed::embedders_dir(&self.root).join(yardstick_embed::MODEL.name)
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("yardstick.db")
    }

    pub async fn open_store(&self) -> Result<Store, RunnerError> {
        Store::open(&self.database())
            .await
            .map_err(|source| RunnerError::OpenStore {
                root: self.root.clone(),
                source,
            })
    }
}
