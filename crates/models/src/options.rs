//! What a pull needs to know besides the model: where models go, which endpoints to use,
//! which credentials, and whom to tell about progress.

use crate::home::{data_home, models_dir};
use crate::{Catalog, ModelError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default PyPI index (the JSON API lives under `<index>/pypi/`).
pub const DEFAULT_PYPI_URL: &str = "https://pypi.org";
/// The default Hugging Face hub endpoint.
pub const DEFAULT_HF_ENDPOINT: &str = "https://huggingface.co";
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
    /// variables named on each field.
    pub fn from_env() -> Result<Self, ModelError> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let hf_home = variable("HF_HOME")
            .map(PathBuf::from)
            .or_else(|| dirs::home_dir().map(|home| home.join(".cache").join("huggingface")));
        let hf_cache = variable("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| hf_home.as_ref().map(|home| home.join("hub")))
            .ok_or_else(|| {
                ModelError::Environment(
                    "no home directory for the Hugging Face cache: set HF_HOME or HF_HUB_CACHE"
                        .into(),
                )
            })?;
        let hf_token = variable("HF_TOKEN")
            .or_else(|| variable("HUGGING_FACE_HUB_TOKEN"))
            .or_else(|| {
                let token_file = variable("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .or_else(|| hf_home.as_ref().map(|home| home.join("token")))?;
                read_token_file(&token_file)
            });
        Ok(Self {
            catalog: Catalog::builtin().clone(),
            models_dir: models_dir(&data_home()?),
            pypi_url: variable("YARDSTICK_PYPI_URL").unwrap_or_else(|| DEFAULT_PYPI_URL.into()),
            hf_endpoint: variable("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_HF_ENDPOINT.into()),
            hf_token,
            hf_cache,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        })
    }
}

fn read_token_file(path: &Path) -> Option<String> {
    let token = std::fs::read_to_string(path).ok()?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
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
