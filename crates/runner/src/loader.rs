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
}

#[async_trait]
pub trait BackendLoader: Send + Sync {
    fn engine_facts(&self) -> EngineFacts;
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
    fn engine_facts(&self) -> EngineFacts {
        EngineFacts {
            engine_version: yardstick_backend_llamacpp::llama_cpp_version(),
            batching_scheme: yardstick_backend_llamacpp::BATCHING_SCHEME.to_string(),
        }
    }

    async fn load(
        &self,
        model: &ModelSpec,
        engine: &EngineSettings,
    ) -> Result<LoadedBackend, RunnerError> {
        let options = yardstick_backend_llamacpp::LoadOptions {
            threads: engine.threads,
            context_tokens: engine.context_tokens,
            batch_tokens: engine.batch_tokens,
            ..Default::default()
        };
        let backend = yardstick_backend_llamacpp::LlamaCppBackend::load(&model.path, options)
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
    fn engine_facts(&self) -> EngineFacts {
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
