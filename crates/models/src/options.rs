//! What a pull needs to know besides the model: where models go, which endpoints to use,
//! which credentials, and whom to tell about progress.

use crate::home::{data_home, models_dir};
use crate::{Catalog, ModelError};
use std::path::PathBuf;
use std::time::Duration;
use yardstick_core::HfEnvironment;

/// The default PyPI index (the JSON API lives under `<index>/pypi/`).
pub const DEFAULT_PYPI_URL: &str = "https://pypi.org";
/// The default Hugging Face hub endpoint.
pub use yardstick_core::DEFAULT_HF_ENDPOINT;
/// How long a transfer may go without receiving a byte before it is abandoned.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything `pull` needs besides the spec. Build it with [`PullOptions::from_env`] in the
/// CLI; tests build it field by field so they never touch the process environment.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The catalog that names resolve in.
    pub catalog: Catalog,
    /// Where pulled models are placed (`<data_home>/models`).
    pub models_dir: PathBuf,
    /// PyPI index base URL (`$YARDSTICK_PYPI_URL`, default `https://pypi.org`).
    pub pypi_url: String,
    /// Hugging Face endpoint (`$HF_ENDPOINT`, default `https://huggingface.co`).
    pub hf_endpoint: String,
    /// Hugging Face token, sent as `Authorization: Bearer` (`$HF_TOKEN`, else the token
    /// file `huggingface-cli login` writes).
    pub hf_token: Option<String>,
    /// The Hugging Face hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `~/.cache/huggingface/hub`).
    pub hf_cache: PathBuf,
    /// A source that sends no byte for this long fails (and the next one is tried); there
    /// is no limit on a whole transfer that keeps moving.
    pub stall_timeout: Duration,
}

impl PullOptions {
    /// Options from the environment: the built-in catalog, `<data_home>/models`, and the
    /// variables named on each field (the Hugging Face ones resolved by [`HfEnvironment`],
    /// shared with dataset downloads).
    pub fn from_env() -> Result<Self, ModelError> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let hf = HfEnvironment::resolve(
            |name| std::env::var(name).ok(),
            dirs::home_dir(),
            |path| std::fs::read_to_string(path).ok(),
        )
        .map_err(|error| ModelError::Environment(error.to_string()))?;
        Ok(Self {
            catalog: Catalog::builtin().clone(),
            models_dir: models_dir(&data_home()?),
            pypi_url: variable("YARDSTICK_PYPI_URL").unwrap_or_else(|| DEFAULT_PYPI_URL.into()),
            hf_endpoint: hf.endpoint,
            hf_token: hf.token,
            hf_cache: hf.cache_dir,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        })
    }
}

/// Told what a pull is doing, so a front end can draw it (the CLI draws an indicatif bar).
/// Every method has a no-op default. Calls come from the task running the pull.
pub trait PullProgress: Send + Sync {
    /// A source is being tried (its description, e.g. `PyPI pkg==1.0 .. (4 wheels)`).
    fn source_started(&self, _source: &str) {}
    /// Bytes transferred so far from the current source, of `total_bytes` when known.
    fn downloaded(&self, _done_bytes: u64, _total_bytes: Option<u64>) {}
    /// The bytes are in; they are being checked (a full read of the file).
    fn verifying(&self, _what: &str) {}
    /// A source failed; the next one (if any) is tried next.
    fn source_failed(&self, _source: &str, _error: &ModelError) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl PullProgress for NoProgress {}
