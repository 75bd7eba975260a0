//! Where the hub is, which token to send, where the cache is: from the environment
//! variables every Hugging Face tool reads.

use super::HubError;
use std::path::PathBuf;
use std::time::Duration;
use yardstick_core::HfEnvironment;

/// The default hub endpoint.
pub use yardstick_core::DEFAULT_HF_ENDPOINT;
/// How long a request may go without receiving a byte before it is abandoned.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Where and how to reach the hub. [`HubOptions::from_env`] in programs; tests build it
/// field by field so that they never touch the process environment.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// `$HF_ENDPOINT`, default `https://huggingface.co`.
    pub endpoint: String,
    /// Sent as `Authorization: Bearer`: `$HF_TOKEN`, else `$HUGGING_FACE_HUB_TOKEN`, else
    /// the file `huggingface-cli login` writes (`$HF_TOKEN_PATH`, `$HF_HOME/token`).
    pub token: Option<String>,
    /// The hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    pub cache_dir: PathBuf,
    /// Use only the cache (`$HF_HUB_OFFLINE` or `$HF_DATASETS_OFFLINE` set to `1`).
    pub offline: bool,
    /// A request that receives nothing for this long fails.
    pub stall_timeout: Duration,
}

impl HubOptions {
    /// Options from the environment variables named on each field (resolved by
    /// [`HfEnvironment`], shared with model pulls).
    pub fn from_env() -> Result<HubOptions, HubError> {
        let hf = HfEnvironment::resolve(
            |name| std::env::var(name).ok(),
            dirs::home_dir(),
            |path| std::fs::read_to_string(path).ok(),
        )
        .map_err(|error| HubError::Environment(error.to_string()))?;
        Ok(HubOptions {
            endpoint: hf.endpoint,
            token: hf.token,
            cache_dir: hf.cache_dir,
            offline: hf.offline,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        })
    }
}
