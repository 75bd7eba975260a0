//! The deployment every unit a command stores belongs to: built from what was loaded (the
//! in-process engine: the GGUF's sha256 and quantization, llama.cpp's version, the detected
//! machine, the load settings) or what was probed (a server: the served model, its base URL
//! and version header), recorded in the store (matched by identity or created) and named by
//! the user's `--deployment NAME`.

use serde::{Deserialize, Serialize};
use yardstick_core::deployment::{Hardware, ServingSettings};
use yardstick_core::{Deployment, Host};
use yardstick_store::{Store, StoredDeployment};

use crate::plan::{EngineSettings, ModelSpec};
use crate::RunnerError;

/// What the user says of a deployment: its name (`--deployment NAME`) and, for a server
/// whose machine yardstick cannot see, its hardware (`--hardware "1x H100 80GB"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFlags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<String>,
}

impl DeploymentFlags {
    /// Whether neither was given.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.hardware.is_none()
    }

    /// A server's hardware: as described, else unknown.
    pub fn served_hardware(&self) -> Hardware {
        self.hardware
            .as_deref()
            .map(Hardware::described)
            .unwrap_or_default()
    }

    /// Refuses `--hardware` where the machine is detected (the in-process engine).
    pub fn check_in_process(&self) -> Result<(), RunnerError> {
        match &self.hardware {
            Some(text) => Err(RunnerError::Plan(format!(
                "--hardware \"{text}\" describes a server's machine (with --endpoint); the in-process engine's machine is detected"
            ))),
            None => Ok(()),
        }
    }
}

/// The in-process engine's deployment of `model` on `host`, with `parallel` generations
/// side by side; its quantization is the registered file's (by sha256), when known.
pub async fn in_process(
    store: &Store,
    model: &ModelSpec,
    engine_version: &str,
    engine: &EngineSettings,
    parallel: u32,
    host: &Host,
) -> Result<Deployment, RunnerError> {
    let quantization = store.quantization_of(&model.sha256).await?;
    Ok(Deployment::in_process(
        &model.name,
        &model.sha256,
        engine_version,
        quantization,
        Hardware::detected(host),
        ServingSettings {
            parallel: Some(parallel),
            context_tokens: Some(engine.context_tokens),
            batch_tokens: Some(engine.batch_tokens),
            threads: Some(engine.threads),
            scheme: None,
        },
    ))
}

/// Records `identity` (matched or created), named `name` when given.
pub async fn record(
    store: &Store,
    identity: &Deployment,
    name: Option<&str>,
) -> Result<StoredDeployment, RunnerError> {
    Ok(store
        .deployment_for(identity, name, chrono::Utc::now())
        .await?)
}
