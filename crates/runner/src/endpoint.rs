//! Evaluating an OpenAI-compatible server: [`EndpointLoader`] probes it once (before any
//! run is created, so a server that cannot score a task is refused with nothing stored),
//! and hands the runner its [`OpenAiBackend`] and the facts that go into the fingerprint.

use crate::loader::{BackendLoader, EngineFacts, LoadedBackend};
use crate::plan::{EndpointSettings, EngineSettings, ModelSpec};
use crate::RunnerError;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use yardstick_backend::Backend;
use yardstick_backend_openai::{Api, Endpoint, OpenAiBackend, ScoringProbe};
use yardstick_core::EndpointFingerprint;

/// A probed server, ready to score.
pub struct EndpointLoader {
    backend: Arc<OpenAiBackend>,
    probe: ScoringProbe,
    facts: EngineFacts,
}

impl EndpointLoader {
    /// Reads the API key from its variable, probes the server and builds the backend.
    pub async fn connect(settings: &EndpointSettings) -> Result<EndpointLoader, RunnerError> {
        let api: Api = settings
            .api
            .parse()
            .map_err(|error| RunnerError::Plan(format!("{error}")))?;
        let mut endpoint = Endpoint::new(&settings.base_url, &settings.served_model, api);
        if let Some(variable) = &settings.api_key_env {
            let key = std::env::var(variable)
                .map_err(|_| RunnerError::MissingApiKey(variable.clone()))?;
            endpoint.api_key = Some(key);
        }
        if !(settings.timeout_seconds.is_finite() && settings.timeout_seconds > 0.0) {
            return Err(RunnerError::Plan(format!(
                "the request timeout must be a positive number of seconds, not {}",
                settings.timeout_seconds
            )));
        }
        endpoint.timeout = Duration::from_secs_f64(settings.timeout_seconds);
        let (backend, probe) =
            yardstick_backend_openai::connect(endpoint)
                .await
                .map_err(|source| RunnerError::Endpoint {
                    url: settings.base_url.clone(),
                    source,
                })?;
        let model_entry = serde_json::to_string(&probe.model_entry).unwrap_or_default();
        let description = backend.describe();
        let tokenizer = match backend.settings().logprobs {
            Some(yardstick_backend_openai::LogprobSource::PromptLogprobs) => {
                "server (prompt_logprobs; contexts sent alone for their token count)"
            }
            _ => "server (echo token offsets against the context's length)",
        };
        let facts = EngineFacts {
            engine_version: description.engine_version.clone(),
            batching_scheme: description.batching_scheme.clone(),
            endpoint: Some(EndpointFingerprint {
                base_url: settings.base_url.clone(),
                served_model: settings.served_model.clone(),
                api: settings.api.clone(),
                model_entry,
                server_version: backend.settings().server_version.clone(),
                tokenizer: tokenizer.to_string(),
                request_parameters: backend.request_parameters(),
            }),
            unavailable: description.unavailable,
        };
        Ok(EndpointLoader {
            backend: Arc::new(backend),
            probe,
            facts,
        })
    }

    /// What the probe found, for printing.
    pub fn probe(&self) -> &ScoringProbe {
        &self.probe
    }

    /// The model spec of the served model: named `name` (the served id when none), with
    /// an identity made of the server and the served id in place of a file checksum.
    pub fn model_spec(settings: &EndpointSettings, name: Option<&str>) -> ModelSpec {
        ModelSpec {
            name: name.unwrap_or(&settings.served_model).to_string(),
            path: std::path::PathBuf::new(),
            sha256: format!("served:{}", settings.served_model),
            chat_template_sha256: None,
        }
    }
}

#[async_trait]
impl BackendLoader for EndpointLoader {
    fn engine_facts(&self, _engine: &EngineSettings) -> EngineFacts {
        self.facts.clone()
    }

    async fn load(
        &self,
        _model: &ModelSpec,
        _engine: &EngineSettings,
    ) -> Result<LoadedBackend, RunnerError> {
        Ok(LoadedBackend {
            backend: Arc::clone(&self.backend) as Arc<dyn Backend>,
            load_duration: Duration::ZERO,
        })
    }
}
