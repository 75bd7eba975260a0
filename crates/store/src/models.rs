//! The model catalog: which model files yardstick knows, where they are and what they are.

use crate::column::{from_i64, parse_name, to_i64};
use crate::error::{database, json, Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use std::path::PathBuf;

/// Where a model file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelSource {
    /// yardstick's built-in catalog.
    Catalog,
    /// A Hugging Face repository.
    Hf,
    /// A file the user pointed at.
    Local,
}

yardstick_core::closed_set!(ModelSource, "model source", {
    Catalog => "catalog",
    Hf => "hf",
    Local => "local",
});

/// A model to add to (or update in) the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub name: String,
    pub path: PathBuf,
    pub size_bytes: u64,
    pub sha256: String,
    pub source: ModelSource,
    /// GGUF metadata as a JSON object: architecture, parameter_count, quantization,
    /// context_length, has_chat_template, …
    pub metadata: serde_json::Value,
}

/// A model as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub path: PathBuf,
    pub size_bytes: u64,
    pub sha256: String,
    pub source: ModelSource,
    pub metadata: serde_json::Value,
    /// When the name was first added; kept by later upserts.
    pub added_at: DateTime<Utc>,
    /// When the row was last written.
    pub updated_at: DateTime<Utc>,
}

const MODEL_COLUMNS: &str =
    "name, path, size_bytes, sha256, source, metadata, added_at, updated_at";

impl Store {
    /// Adds the model, or replaces every field of the one with the same name except
    /// `added_at`. Returns the stored row.
    pub async fn upsert_model(&self, model: &NewModel) -> Result<Model> {
        let action = || format!("saving model `{}`", model.name);
        let path = model.path.to_str().ok_or_else(|| StoreError::Invalid {
            action: action(),
            detail: format!("path {} is not valid UTF-8", model.path.display()),
        })?;
        let size_bytes = to_i64(model.size_bytes, "size_bytes", action)?;
        let metadata = serde_json::to_string(&model.metadata).map_err(json(action))?;
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO models ({MODEL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET path = excluded.path, \
             size_bytes = excluded.size_bytes, sha256 = excluded.sha256, \
             source = excluded.source, metadata = excluded.metadata, \
             updated_at = excluded.updated_at \
             RETURNING {MODEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&model.name)
            .bind(path)
            .bind(size_bytes)
            .bind(&model.sha256)
            .bind(model.source.as_str())
            .bind(metadata)
            .bind(now)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(database(action))?;
        model_from_row(&row)
    }

    /// The model called `name`, if the catalog has it.
    pub async fn model(&self, name: &str) -> Result<Option<Model>> {
        let sql = format!("SELECT {MODEL_COLUMNS} FROM models WHERE name = ?");
        let row = sqlx::query(&sql)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(database(|| format!("reading model `{name}`")))?;
        row.as_ref().map(model_from_row).transpose()
    }

    /// Every model in the catalog, by name.
    pub async fn list_models(&self) -> Result<Vec<Model>> {
        let sql = format!("SELECT {MODEL_COLUMNS} FROM models ORDER BY name");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| "listing models".to_string()))?;
        rows.iter().map(model_from_row).collect()
    }

    /// Removes the model from the catalog (its runs and results stay). Returns whether it
    /// was there.
    pub async fn remove_model(&self, name: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM models WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(database(|| format!("removing model `{name}`")))?;
        Ok(result.rows_affected() > 0)
    }
}

fn model_from_row(row: &SqliteRow) -> Result<Model> {
    let name: String = row
        .try_get("name")
        .map_err(database(|| "reading a model row".into()))?;
    let action = || format!("reading model `{name}`");
    let path: String = row.try_get("path").map_err(database(action))?;
    let size_bytes: i64 = row.try_get("size_bytes").map_err(database(action))?;
    let source: String = row.try_get("source").map_err(database(action))?;
    let metadata: String = row.try_get("metadata").map_err(database(action))?;
    Ok(Model {
        path: PathBuf::from(path),
        size_bytes: from_i64(size_bytes, "size_bytes", action)?,
        sha256: row.try_get("sha256").map_err(database(action))?,
        source: parse_name(&source, action)?,
        metadata: serde_json::from_str(&metadata).map_err(json(action))?,
        added_at: row.try_get("added_at").map_err(database(action))?,
        updated_at: row.try_get("updated_at").map_err(database(action))?,
        name,
    })
}
