//! The data directory (models, results database) and resolving `--model` arguments.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use yardstick_models::Catalog;
use yardstick_runner::ModelSpec;
use yardstick_store::{ModelSource, NewModel, Store};

/// The yardstick data directory: `--home`, `$YARDSTICK_HOME`, else the XDG data dir.
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn resolve(explicit: Option<&Path>) -> Result<Home> {
        let root = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                yardstick_models::data_home().context("finding the yardstick data directory")?
            }
        };
        Ok(Home { root })
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("yardstick.db")
    }

    pub async fn open_store(&self) -> Result<Store> {
        Store::open(&self.database())
            .await
            .with_context(|| format!("opening the results database in {}", self.root.display()))
    }
}

/// Registers a model file in the store with what its GGUF header says.
pub async fn register(
    store: &Store,
    name: &str,
    path: &Path,
    source: ModelSource,
) -> Result<ModelSpec> {
    let path_owned = path.to_path_buf();
    let file = tokio::task::spawn_blocking(move || yardstick_models::inspect(&path_owned))
        .await
        .context("inspecting the model file")??;
    let metadata = serde_json::to_value(&file.gguf).context("encoding GGUF metadata")?;
    let stored = store
        .upsert_model(&NewModel {
            name: name.to_string(),
            path: file.path.clone(),
            size_bytes: file.size_bytes,
            sha256: file.sha256.clone(),
            source,
            metadata,
        })
        .await?;
    Ok(ModelSpec {
        chat_template_sha256: chat_template_sha256(&stored.metadata),
        name: stored.name,
        path: stored.path,
        sha256: stored.sha256,
    })
}

/// Resolves a `--model` argument: a registered name, a pulled catalog model, or a path to a
/// `.gguf` file (registered on first use under its file stem).
pub async fn resolve_model(store: &Store, home: &Home, spec: &str) -> Result<ModelSpec> {
    if let Some(model) = store.model(spec).await? {
        if !model.path.is_file() {
            bail!(
                "model {spec} is registered at {} but that file no longer exists; pull or add it again",
                model.path.display()
            );
        }
        return Ok(ModelSpec {
            chat_template_sha256: chat_template_sha256(&model.metadata),
            name: model.name,
            path: model.path,
            sha256: model.sha256,
        });
    }
    let catalog = Catalog::builtin();
    if let Ok(entry) = catalog.get(spec) {
        let path = home.models_dir().join(&entry.file_name);
        if !path.is_file() {
            bail!(
                "model {spec} is in the catalog but not downloaded; run `yardstick models pull {spec}`"
            );
        }
        return register(store, spec, &path, ModelSource::Catalog).await;
    }
    let path = Path::new(spec);
    if path.is_file() {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .context("the model file name is not valid UTF-8")?
            .to_string();
        return register(store, &name, path, ModelSource::Local).await;
    }
    let registered: Vec<String> = store
        .list_models()
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let in_catalog: Vec<String> = catalog.entries().iter().map(|e| e.name.clone()).collect();
    bail!(
        "unknown model `{spec}`: not a registered model ({}), not a catalog model ({}), and not a path to a .gguf file",
        if registered.is_empty() { "none registered".to_string() } else { registered.join(", ") },
        in_catalog.join(", ")
    )
}

/// sha256 of the chat template in a model's stored GGUF metadata, if it has one.
fn chat_template_sha256(metadata: &serde_json::Value) -> Option<String> {
    metadata
        .get("chat_template")
        .and_then(serde_json::Value::as_str)
        .map(|template| yardstick_core::sha256_hex(template.as_bytes()))
}
