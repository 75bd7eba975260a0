//! What a bench drives: a served model (probed first) or the in-process engine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};
use yardstick_backend_openai::{Endpoint, OpenAiClient, Support};
use yardstick_bench::resources::detect_host;
use yardstick_bench::{InProcessTarget, OpenAiTarget, Target};
use yardstick_core::Deployment;
use yardstick_runner::{resolve_model, Home};
use yardstick_store::Store;

use crate::args::BenchArgs;
use crate::commands::engine_settings;
use crate::commands::probe::endpoint_from_args;

/// Generations the in-process engine batches together unless `--parallel` says otherwise:
/// llama-server's default slot count, so both targets are measured alike by default.
const DEFAULT_PARALLEL: u32 = 4;

/// What the load test drives.
pub struct Driven {
    pub target: Arc<dyn Target>,
    /// The model's GGUF when one was given: the default tokenizer source.
    pub model_path: Option<PathBuf>,
    /// The in-process model's sha256 (a served model's weights are not known).
    pub model_sha256: Option<String>,
    pub capabilities: Capabilities,
    /// The deployment measured: the served model at its base URL with the server's version
    /// (the identity an endpoint eval gives it too), or the GGUF on this machine's engine.
    pub deployment: Deployment,
}

/// What the target can do that shapes the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `ignore_eos`/`min_tokens` are honoured, so output lengths can be forced.
    pub forces_length: bool,
    /// The stream ends with the server's usage (`stream_options.include_usage`).
    pub stream_usage: bool,
    /// Every event carries a running usage (vLLM's `continuous_usage_stats`).
    pub continuous_usage: bool,
}

pub async fn driven(args: &BenchArgs, home: &Home, store: &Store) -> Result<Driven> {
    if args.endpoint.endpoint.is_none() {
        args.deployment.flags().check_in_process()?;
    }
    let model = match &args.model {
        Some(spec) => Some(resolve_model(store, home, spec).await?),
        None => None,
    };
    if let Some(endpoint) = endpoint_from_args(&args.endpoint).await? {
        if args.parallel.is_some() {
            bail!("--parallel applies to the in-process engine only; a server sets its own (llama-server: --parallel)");
        }
        let capabilities = probe(&endpoint, !args.allow_eos).await?;
        let client = OpenAiClient::new(endpoint)?;
        let server_version = yardstick_backend_openai::server_version(&client)
            .await
            .with_context(|| format!("asking {} for its version", client.endpoint().base_url))?;
        let served = &client.endpoint().served_model;
        let deployment = Deployment::served(
            served,
            served,
            &client.endpoint().base_url,
            server_version.as_deref(),
            args.deployment.flags().served_hardware(),
        );
        return Ok(Driven {
            target: Arc::new(OpenAiTarget::new(client, !args.no_stream)),
            model_path: model.as_ref().map(|model| model.path.clone()),
            model_sha256: None,
            capabilities,
            deployment,
        });
    }
    let Some(model) = model else {
        bail!("bench needs a target: --endpoint URL for a server, or --model for the in-process engine");
    };
    if args.no_stream {
        bail!(
            "--no-stream applies to --endpoint only: the in-process engine always streams tokens"
        );
    }
    let engine = engine_settings(&args.engine);
    let options = LoadOptions {
        parallel: args.parallel.unwrap_or(DEFAULT_PARALLEL),
        ..yardstick_runner::load_options(&engine)
    };
    let deployment = yardstick_runner::deployment::in_process(
        store,
        &model,
        &yardstick_backend_llamacpp::llama_cpp_version(),
        &engine,
        options.parallel,
        &detect_host(None),
    )
    .await?;
    let backend = LlamaCppBackend::load(&model.path, options)
        .await
        .with_context(|| format!("loading {}", model.path.display()))?;
    Ok(Driven {
        target: Arc::new(InProcessTarget::new(
            Arc::new(backend),
            model.name.clone(),
            Duration::from_secs_f64(args.endpoint.request_timeout),
        )),
        model_path: Some(model.path),
        model_sha256: Some(model.sha256),
        capabilities: Capabilities {
            forces_length: true,
            stream_usage: true,
            continuous_usage: false,
        },
        deployment,
    })
}

/// Probes the server for what shapes the requests. Refuses a server that cannot stream.
async fn probe(endpoint: &Endpoint, want_forced: bool) -> Result<Capabilities> {
    let report = yardstick_backend_openai::probe(endpoint)
        .await
        .with_context(|| format!("probing {}", endpoint.base_url))?;
    if report.streaming.support == Support::No {
        bail!(
            "{} does not stream ({}); use --no-stream",
            endpoint.base_url,
            report.streaming.reason
        );
    }
    let forced = report.ignore_eos.support == Support::Yes;
    if want_forced && !forced {
        eprintln!(
            "note: {} does not honour ignore_eos/min_tokens ({}); output lengths may be shorter than asked",
            endpoint.base_url, report.ignore_eos.reason
        );
    }
    Ok(Capabilities {
        forces_length: forced,
        stream_usage: report.stream_usage.support == Support::Yes,
        continuous_usage: report.continuous_usage.support == Support::Yes,
    })
}
