//! `yardstick models pull|add|list|catalog`.

use super::Outcome;
use crate::args::{Format, ModelsCommand};
use crate::render::Table;
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use yardstick_models::{Catalog, ModelError, PullOptions, PullOutcome, PullProgress};
use yardstick_runner::{register, Home};
use yardstick_store::ModelSource;

pub async fn run(command: ModelsCommand, home: &Home, quiet: bool) -> Result<Outcome> {
    match command {
        ModelsCommand::Pull { spec } => pull(&spec, home, quiet).await,
        ModelsCommand::Catalog { format } => catalog(format),
        ModelsCommand::Add { path, name } => {
            if !path.is_file() {
                bail!("{} is not a file", path.display());
            }
            let name = match name {
                Some(name) => name,
                None => path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| "model".to_string()),
            };
            let store = home.open_store().await?;
            let path = std::fs::canonicalize(&path)?;
            let model = register(&store, &name, &path, ModelSource::Local).await?;
            println!(
                "registered {} ({}, sha256 {})",
                model.name,
                model.path.display(),
                model.sha256
            );
            Ok(Outcome::Success)
        }
        ModelsCommand::List { format } => list(home, format).await,
    }
}

async fn list(home: &Home, format: Format) -> Result<Outcome> {
    let store = home.open_store().await?;
    let models = store.list_models().await?;
    if format == Format::Json {
        let rows: Vec<_> = models
            .iter()
            .map(|model| {
                json!({
                    "name": model.name, "path": model.path, "size_bytes": model.size_bytes,
                    "sha256": model.sha256, "source": model.source.as_str(), "gguf": model.metadata,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Success);
    }
    let mut table = Table::new(&[
        "name",
        "architecture",
        "parameters",
        "quantization",
        "context",
        "chat template",
        "size_bytes",
        "sha256",
        "path",
    ]);
    for model in models {
        let meta = &model.metadata;
        let text = |key: &str| {
            meta.get(key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default()
        };
        table.push(vec![
            model.name.clone(),
            text("architecture"),
            meta.get("parameter_count")
                .and_then(|v| v.as_u64())
                .map(human_count)
                .unwrap_or_default(),
            meta.get("quantization")
                .and_then(|quantization| quantization.get("file_type"))
                .and_then(|name| name.as_str())
                .unwrap_or_default()
                .to_string(),
            text("context_length"),
            meta.get("has_chat_template")
                .and_then(|v| v.as_bool())
                .map(|b| if b { "yes" } else { "no" }.to_string())
                .unwrap_or_default(),
            model.size_bytes.to_string(),
            model.sha256[..12.min(model.sha256.len())].to_string() + "…",
            model.path.display().to_string(),
        ]);
    }
    println!("{}", table.render(format));
    Ok(Outcome::Success)
}

fn human_count(count: u64) -> String {
    if count >= 1_000_000_000 {
        format!("{:.2}B", count as f64 / 1e9)
    } else {
        format!("{:.0}M", count as f64 / 1e6)
    }
}

/// Download progress for `models pull`: one bar per source tried.
struct PullBar {
    bar: ProgressBar,
}

impl PullBar {
    fn new(quiet: bool) -> PullBar {
        let bar = ProgressBar::new(0);
        if quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:<50} [{bar:30}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        PullBar { bar }
    }
}

impl PullProgress for PullBar {
    fn source_started(&self, source: &str) {
        self.bar.reset();
        self.bar.set_message(format!("from {source}"));
    }

    fn downloaded(&self, done_bytes: u64, total_bytes: Option<u64>) {
        if let Some(total) = total_bytes {
            self.bar.set_length(total);
        }
        self.bar.set_position(done_bytes);
    }

    fn verifying(&self, what: &str) {
        self.bar.set_message(format!("verifying {what}"));
    }

    fn source_failed(&self, source: &str, error: &ModelError) {
        self.bar
            .suspend(|| eprintln!("{source}: failed: {error}; trying the next source"));
    }
}

async fn pull(spec: &str, home: &Home, quiet: bool) -> Result<Outcome> {
    let mut options = PullOptions::from_env()?;
    options.models_dir = home.models_dir();
    let progress = PullBar::new(quiet);
    let pulled = yardstick_models::pull(spec, &options, &progress).await;
    progress.bar.finish_and_clear();
    let pulled = pulled?;
    let source = match spec.starts_with("hf:") {
        true => ModelSource::Hf,
        false => ModelSource::Catalog,
    };
    let store = home.open_store().await?;
    let model = register(&store, &pulled.name, &pulled.path, source).await?;
    match &pulled.outcome {
        PullOutcome::AlreadyPresent => println!(
            "{} already present and verified: {} ({} bytes, sha256 {})",
            model.name,
            model.path.display(),
            pulled.size_bytes,
            pulled.sha256
        ),
        PullOutcome::Fetched { source } => println!(
            "pulled {} from {source}: {} ({} bytes, sha256 {}{})",
            model.name,
            model.path.display(),
            pulled.size_bytes,
            pulled.sha256,
            if pulled.checksum_verified {
                ", verified"
            } else {
                ", no published checksum to verify"
            }
        ),
    }
    Ok(Outcome::Success)
}

fn catalog(format: Format) -> Result<Outcome> {
    let catalog = Catalog::builtin();
    if format == Format::Json {
        let rows: Vec<_> = catalog
            .entries()
            .iter()
            .map(|entry| {
                json!({
                    "name": entry.name, "file_name": entry.file_name, "size_bytes": entry.size_bytes,
                    "sha256": entry.sha256, "license": entry.license, "description": entry.description,
                    "sources": entry.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Success);
    }
    let mut table = Table::new(&[
        "name",
        "size_bytes",
        "sha256",
        "sources (in order)",
        "license",
    ]);
    for entry in catalog.entries() {
        table.push(vec![
            entry.name.clone(),
            entry.size_bytes.to_string(),
            entry.sha256.clone(),
            entry
                .sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            entry.license.clone(),
        ]);
    }
    println!("{}", table.render(format));
    Ok(Outcome::Success)
}
