//! `yardstick serve`: the in-process engine behind an OpenAI-compatible HTTP API.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use yardstick_backend_llamacpp::{LlamaCppBackend, LoadOptions};
use yardstick_runner::{load_options, resolve_model, Home};
use yardstick_serve::ServeState;

use super::{engine_settings, Outcome};
use crate::args::ServeArgs;

/// Loads the model with the engine settings other commands use (plus `--parallel`; logits
/// rows at least the batch size),
/// listens, prints the URL and serves until Ctrl-C, then finishes the requests in flight.
pub async fn run(args: ServeArgs, home: &Home) -> Result<Outcome> {
    let model = {
        let store = home.open_store().await?;
        resolve_model(&store, home, &args.model).await?
    };
    let mut options = LoadOptions {
        parallel: args.parallel,
        ..load_options(&engine_settings(&args.engine))
    };
    // An echoed prompt asks for logits at every position, in-process scoring at the
    // continuation's only; with the row cap at the batch size, the prompts of an item that
    // in-process scoring reads in one `llama_decode` call are read in one call here too
    // (llama.cpp's CPU kernels round differently when a run is split differently). Memory:
    // a vocabulary-sized row twice per logit row of the largest call (1 MiB each for Gemma 3).
    options.logits_rows = options.logits_rows.max(options.batch_tokens);
    let backend = LlamaCppBackend::load(&model.path, options)
        .await
        .with_context(|| format!("loading {}", model.path.display()))?;
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("listening on {}:{}", args.host, args.port))?;
    let address = listener
        .local_addr()
        .context("reading the address listened on")?;
    let served_model = args.served_model_name.unwrap_or(model.name);
    println!("listening on http://{address}/v1 (model {served_model})");
    let state = ServeState::new(Arc::new(backend), served_model);
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("shutting down: finishing the requests in flight");
        }
    };
    yardstick_serve::serve(listener, state, shutdown).await?;
    Ok(Outcome::Success)
}
