//! Models as runs name them: registering a model file with its GGUF header, and resolving a
//! `--model` argument (or an API's model field) to a registered model.

use std::path::Path;

use yardstick_models::Catalog;
use yardstick_store::{ModelSource, NewModel, Store};

use crate::{Home, ModelSpec, RunnerError};

/// Registers a model file in the store with what its GGUF header says.
pub async fn register(
    store: &Store,
    name: &str,
    path: &Path,
    source: ModelSource,
) -> Result<ModelSpec, RunnerError> {
    let path_owned = path.to_path_buf();
    let file = tokio::task::spawn_blocking(move || yardstick_models::inspect(&path_owned))
        .await
        .map_err(RunnerError::InspectWorker)??;
    let metadata =
        serde_json::to_value(&file.gguf).map_err(RunnerError::encode("GGUF metadata"))?;
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
pub async fn resolve_model(
    store: &Store,
    home: &Home,
    spec: &str,
) -> Result<ModelSpec, RunnerError> {
    if let Some(model) = store.model(spec).await? {
        if !model.path.is_file() {
            return Err(RunnerError::ModelFileMissing {
                name: spec.to_string(),
                path: model.path,
            });
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
            return Err(RunnerError::ModelNotDownloaded(spec.to_string()));
        }
        return register(store, spec, &path, ModelSource::Catalog).await;
    }
    let path = Path::new(spec);
    if path.is_file() {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or(RunnerError::ModelFileName)?
            .to_string();
        return register(store, &name, path, ModelSource::Local).await;
    }
    let registered: Vec<String> = store
        .list_models()
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    Err(RunnerError::UnknownModel {
        spec: spec.to_string(),
        registered,
        catalog: catalog.entries().iter().map(|e| e.name.clone()).collect(),
    })
}

/// sha256 of the chat template in a model's stored GGUF metadata, if it has one.
pub fn chat_template_sha256(metadata: &serde_json::Value) -> Option<String> {
    metadata
        .get("chat_template")
        .and_then(serde_json::Value::as_str)
        .map(|template| yardstick_core::sha256_hex(template.as_bytes()))
}

/// The registered model names for an error message: `none registered` when there are none.
pub(crate) fn registered_list(names: &[String]) -> String {
    if names.is_empty() {
        "none registered".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The smallest GGUF file: magic, version 3, no tensors, no metadata.
    const EMPTY_GGUF: &[u8] =
        b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

    async fn store() -> Store {
        Store::open_in_memory().await.expect("in-memory store")
    }

    fn home(dir: &tempfile::TempDir) -> Home {
        Home {
            root: dir.path().to_path_buf(),
        }
    }

    async fn add(store: &Store, name: &str, path: &Path, metadata: serde_json::Value) {
        store
            .upsert_model(&NewModel {
                name: name.to_string(),
                path: path.to_path_buf(),
                size_bytes: 24,
                sha256: "ab".repeat(32),
                source: ModelSource::Local,
                metadata,
            })
            .await
            .expect("register the model");
    }

    fn error_of(result: Result<ModelSpec, RunnerError>) -> String {
        match result {
            Ok(model) => panic!("expected an error, resolved {model:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[tokio::test]
    async fn a_registered_name_resolves_to_its_file_and_chat_template() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tiny.gguf");
        std::fs::write(&path, EMPTY_GGUF).expect("write the model");
        let store = store().await;
        add(
            &store,
            "tiny",
            &path,
            json!({ "chat_template": "{{ messages }}" }),
        )
        .await;

        let model = resolve_model(&store, &home(&dir), "tiny")
            .await
            .expect("resolve");
        assert_eq!(model.name, "tiny");
        assert_eq!(model.path, path);
        assert_eq!(model.sha256, "ab".repeat(32));
        assert_eq!(
            model.chat_template_sha256,
            Some(yardstick_core::sha256_hex(b"{{ messages }}"))
        );
    }

    #[tokio::test]
    async fn an_unknown_name_lists_the_registered_and_catalog_models() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store().await;
        let message = error_of(resolve_model(&store, &home(&dir), "no-such-model").await);
        assert!(
            message.starts_with(
                "unknown model `no-such-model`: not a registered model (none registered), \
                 not a catalog model ("
            ),
            "{message}"
        );
        assert!(message.contains("gemma-3-270m-q4_k_m"), "{message}");
        assert!(
            message.ends_with("), and not a path to a .gguf file"),
            "{message}"
        );

        let path = dir.path().join("tiny.gguf");
        std::fs::write(&path, EMPTY_GGUF).expect("write the model");
        add(&store, "tiny", &path, json!({})).await;
        let message = error_of(resolve_model(&store, &home(&dir), "no-such-model").await);
        assert!(
            message.contains("not a registered model (tiny), not a catalog model"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_path_to_a_gguf_file_is_registered_under_its_stem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tiny.gguf");
        std::fs::write(&path, EMPTY_GGUF).expect("write the model");
        let store = store().await;
        let spec = path.to_str().expect("UTF-8 temp path");

        let model = resolve_model(&store, &home(&dir), spec)
            .await
            .expect("resolve");
        assert_eq!(model.name, "tiny");
        assert_eq!(model.sha256, yardstick_core::sha256_hex(EMPTY_GGUF));
        assert_eq!(model.chat_template_sha256, None);
        let stored = store
            .model("tiny")
            .await
            .expect("read")
            .expect("registered");
        assert_eq!(stored.sha256, model.sha256);
        assert_eq!(stored.source, ModelSource::Local);
    }

    #[tokio::test]
    async fn a_path_to_a_file_that_is_not_gguf_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "hello, not a model\n").expect("write the file");
        let store = store().await;
        let spec = path.to_str().expect("UTF-8 temp path");

        let message = error_of(resolve_model(&store, &home(&dir), spec).await);
        assert!(message.contains("notes.txt"), "{message}");
        assert!(message.contains("not a GGUF file"), "{message}");
        assert!(store.list_models().await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn a_registered_model_whose_file_vanished_says_to_add_it_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gone.gguf");
        std::fs::write(&path, EMPTY_GGUF).expect("write the model");
        let store = store().await;
        add(&store, "gone", &path, json!({})).await;
        std::fs::remove_file(&path).expect("remove the model");

        let message = error_of(resolve_model(&store, &home(&dir), "gone").await);
        assert_eq!(
            message,
            format!(
                "model gone is registered at {} but that file no longer exists; pull or add it again",
                path.display()
            )
        );
    }

    #[tokio::test]
    async fn a_catalog_model_not_pulled_says_how_to_pull_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store().await;
        let message = error_of(resolve_model(&store, &home(&dir), "gemma-3-270m-q4_k_m").await);
        assert_eq!(
            message,
            "model gemma-3-270m-q4_k_m is in the catalog but not downloaded; \
             run `yardstick models pull gemma-3-270m-q4_k_m`"
        );
    }

    #[test]
    fn the_chat_template_hash_is_of_the_template_text() {
        assert_eq!(chat_template_sha256(&json!({})), None);
        assert_eq!(chat_template_sha256(&json!({ "chat_template": 3 })), None);
        assert_eq!(
            chat_template_sha256(&json!({ "chat_template": "abc" })),
            Some(yardstick_core::sha256_hex(b"abc"))
        );
    }
}
