//! Fakes and fixtures shared by yardstick's tests: a deterministic fake backend, a fake
//! Hugging Face hub / PyPI index on loopback, a scripted OpenAI-compatible server on loopback
//! ([`mock_openai`]), paths to the real models and datasets, a builder of run
//! fingerprints with fixed defaults ([`fingerprint`]) and in-memory evidence (runs, eval
//! and bench units) for tests of decisions ([`evidence`]).
//! Test-only code: never a dependency of a non-dev build.

pub mod evidence;
pub mod fake_backend;
pub mod fake_hub;
pub mod fingerprint;
pub mod fixtures;
pub mod llama_server;
pub mod mock_openai;
pub mod mock_scoring;
