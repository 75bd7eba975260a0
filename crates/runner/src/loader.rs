//! Loading backends for plans. A trait so tests can run the whole runner on a fake.

use crate::plan::{EngineSettings, ModelSpec};
use crate::RunnerError;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use yardstick_backend::Backend;

/// A loaded backend and how long loading took.
pub struct LoadedBackend {
    pub backend: Arc<dyn Backend>,
    pub load_duration: Duration,
}

/// Facts about an engine that go into fingerprints before any model is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineFacts {
    pub engine_version: String,
    pub batching_scheme: String,
    /// The server scored through (remote backends only).
    pub endpoint: Option<yardstick_core::EndpointFingerprint>,
    /// What the backend cannot do, known before loading (a probed server's gaps).
    pub unavailable: Vec<yardstick_backend::Unavailable>,
}

#[async_trait]
pub trait BackendLoader: Send + Sync {
    /// Engine version and batching scheme for these settings (everything that can change
    /// scores besides the model and the task).
    fn engine_facts(&self, engine: &EngineSettings) -> EngineFacts;
    async fn load(
        &self,
        model: &ModelSpec,
        engine: &EngineSettings,
    ) -> Result<LoadedBackend, RunnerError>;
}

/// Loads GGUF models in-process through llama.cpp.
#[derive(Debug, Default, Clone, Copy)]
pub struct LlamaCppLoader;

#[async_trait]
impl BackendLoader for LlamaCppLoader {
    fn engine_facts(&self, engine: &EngineSettings) -> EngineFacts {
        // The CPU kernel set (AVX2, AVX-512, …) changes floating-point results, so it is part
        // of the engine's identity.
        EngineFacts {
            engine_version: format!(
                "{} [{}]",
                yardstick_backend_llamacpp::llama_cpp_version(),
                yardstick_backend_llamacpp::llama_system_info().trim()
            ),
            batching_scheme: yardstick_backend_llamacpp::batching_scheme(&load_options(engine)),
            endpoint: None,
            unavailable: Vec::new(),
        }
    }

    async fn load(
        &self,
        model: &ModelSpec,
        engine: &EngineSettings,
    ) -> Result<LoadedBackend, RunnerError> {
        let backend =
            yardstick_backend_llamacpp::LlamaCppBackend::load(&model.path, load_options(engine))
                .await
                .map_err(|source| RunnerError::Backend {
                    model: model.name.clone(),
                    source,
                })?;
        let load_duration = backend.load_duration();
        Ok(LoadedBackend {
            backend: Arc::new(backend),
            load_duration,
        })
    }
}

/// Wraps one already-built backend (tests: the fake) as a loader.
pub struct FixedLoader {
    pub backend: Arc<dyn Backend>,
    pub facts: EngineFacts,
}

#[async_trait]
impl BackendLoader for FixedLoader {
    fn engine_facts(&self, _engine: &EngineSettings) -> EngineFacts {
        self.facts.clone()
    }

    async fn load(
        &self,
        _model: &ModelSpec,
        _engine: &EngineSettings,
    ) -> Result<LoadedBackend, RunnerError> {
        Ok(LoadedBackend {
            backend: Arc::clone(&self.backend),
            load_duration: Duration::ZERO,
        })
    }
}

/// The llama.cpp load options for an engine setting.
pub fn load_options(engine: &EngineSettings) -> yardstick_backend_llamacpp::LoadOptions {
    yardstick_backend_llamacpp::LoadOptions {
        threads: engine.threads,
        context_tokens: engine.context_tokens,
        batch_tokens: engine.batch_tokens,
        logits_rows: engine.logits_rows,
        ..Default::default()
    }
}
