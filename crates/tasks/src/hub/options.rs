//! Where the hub is, which token to send, where the cache is: from the environment
//! variables every Hugging Face tool reads.

use super::HubError;
use std::path::PathBuf;
use std::time::Duration;

/// The default hub endpoint.
pub const DEFAULT_HF_ENDPOINT: &str = "https://huggingface.co";
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
    /// Options from the environment variables named on each field.
    pub fn from_env() -> Result<HubOptions, HubError> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let truthy = |name: &str| {
            variable(name).is_some_and(|value| {
                matches!(
                    value.to_ascii_uppercase().as_str(),
                    "1" | "ON" | "YES" | "TRUE"
                )
            })
        };
        let hf_home = variable("HF_HOME")
            .map(PathBuf::from)
            .or_else(|| dirs::home_dir().map(|home| home.join(".cache").join("huggingface")));
        let cache_dir = variable("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| hf_home.as_ref().map(|home| home.join("hub")))
            .ok_or_else(|| {
                HubError::Environment(
                    "no home directory for the Hugging Face cache: set HF_HOME or HF_HUB_CACHE"
                        .into(),
                )
            })?;
        let token = variable("HF_TOKEN")
            .or_else(|| variable("HUGGING_FACE_HUB_TOKEN"))
            .or_else(|| {
                let path = variable("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .or_else(|| hf_home.as_ref().map(|home| home.join("token")))?;
                let token = std::fs::read_to_string(path).ok()?;
                Some(token.trim().to_owned()).filter(|token| !token.is_empty())
            });
        Ok(HubOptions {
            endpoint: variable("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_HF_ENDPOINT.into()),
            token,
            cache_dir,
            offline: truthy("HF_HUB_OFFLINE") || truthy("HF_DATASETS_OFFLINE"),
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        })
    }
}
