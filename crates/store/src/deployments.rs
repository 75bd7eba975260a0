//! Deployments (`core::Deployment`): matched or created by identity, named, listed, and
//! attached to units. Units stored before deployments existed get theirs on open
//! ([`backfill`]).

mod backfill;

pub(crate) use backfill::backfill;

use crate::error::{database, json, Result, StoreError};
use crate::runs::{unit_from_row, RunUnit, UNIT_COLUMNS};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use yardstick_core::Deployment;

/// A deployment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeployment {
    /// [`Deployment::id`].
    pub deployment_id: String,
    /// Unique: the default name ([`Deployment::default_name`]) or the user's
    /// (`--deployment NAME`).
    pub name: String,
    pub identity: Deployment,
    pub created_at: DateTime<Utc>,
}

/// A deployment with what is stored of it, for `yardstick deployments list`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSummary {
    pub deployment: StoredDeployment,
    /// Units of eval runs (a model × task each).
    pub eval_units: u64,
    /// Units of bench runs (a load point's trial each).
    pub bench_units: u64,
    /// The newest run with a unit of it.
    pub latest_run: Option<String>,
}

const DEPLOYMENT_COLUMNS: &str = "deployment_id, name, identity, created_at";

impl Store {
    /// The stored deployment with `identity`'s id, created if new. `name` (the user's
    /// `--deployment NAME`) names it, renaming a matched one; a name another deployment
    /// already has is refused, naming both. Without `name` a new deployment takes its
    /// default name (with its id's first digits when another deployment has that name).
    pub async fn deployment_for(
        &self,
        identity: &Deployment,
        name: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<StoredDeployment> {
        let action = || format!("recording deployment {}", identity.default_name());
        let mut transaction = self.begin_write(action).await?;
        let stored = upsert(&mut transaction, identity, name, at).await?;
        transaction.commit().await.map_err(database(action))?;
        Ok(stored)
    }

    /// Attaches a unit to a deployment.
    pub async fn set_unit_deployment(&self, unit_id: i64, deployment_id: &str) -> Result<()> {
        let action = || format!("attaching unit {unit_id} to deployment {deployment_id}");
        let result = sqlx::query("UPDATE run_units SET deployment_id = ? WHERE unit_id = ?")
            .bind(deployment_id)
            .bind(unit_id)
            .execute(&self.pool)
            .await
            .map_err(database(action))?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                action: action(),
                what: "unit",
                key: unit_id.to_string(),
            });
        }
        Ok(())
    }

    /// Renames the deployment named `name` (or with id `name`) to `new_name`.
    pub async fn rename_deployment(&self, name: &str, new_name: &str) -> Result<()> {
        let action = || format!("renaming deployment {name} to {new_name}");
        let deployment = self
            .deployment(name)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                action: action(),
                what: "deployment",
                key: name.to_string(),
            })?;
        let mut transaction = self.begin_write(action).await?;
        upsert(
            &mut transaction,
            &deployment.identity,
            Some(new_name),
            Utc::now(),
        )
        .await?;
        transaction.commit().await.map_err(database(action))?;
        Ok(())
    }

    /// The deployment with this name, or else with this id.
    pub async fn deployment(&self, name_or_id: &str) -> Result<Option<StoredDeployment>> {
        let sql = format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE name = ? OR deployment_id = ? \
             ORDER BY name = ? DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(name_or_id)
            .bind(name_or_id)
            .bind(name_or_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database(|| format!("reading deployment {name_or_id}")))?;
        row.as_ref().map(deployment_from_row).transpose()
    }

    /// Every deployment, by name.
    pub async fn deployments(&self) -> Result<Vec<StoredDeployment>> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments ORDER BY name");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| "listing deployments".to_string()))?;
        rows.iter().map(deployment_from_row).collect()
    }

    /// Every deployment with its unit counts and newest run, by name.
    pub async fn deployment_summaries(&self) -> Result<Vec<DeploymentSummary>> {
        let action = || "counting the units of each deployment".to_string();
        let sql = format!(
            "SELECT {DEPLOYMENT_COLUMNS}, \
             (SELECT COUNT(*) FROM run_units AS u JOIN runs AS r ON r.run_id = u.run_id \
              WHERE u.deployment_id = d.deployment_id AND r.kind = 'eval') AS eval_units, \
             (SELECT COUNT(*) FROM run_units AS u JOIN runs AS r ON r.run_id = u.run_id \
              WHERE u.deployment_id = d.deployment_id AND r.kind = 'bench') AS bench_units, \
             (SELECT r.run_id FROM run_units AS u JOIN runs AS r ON r.run_id = u.run_id \
              WHERE u.deployment_id = d.deployment_id \
              ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1) AS latest_run \
             FROM deployments AS d ORDER BY name"
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(database(action))?;
        rows.iter()
            .map(|row| {
                let count = |column: &str| -> Result<u64> {
                    let value: i64 = row.try_get(column).map_err(database(action))?;
                    crate::column::from_i64(value, column, action)
                };
                Ok(DeploymentSummary {
                    deployment: deployment_from_row(row)?,
                    eval_units: count("eval_units")?,
                    bench_units: count("bench_units")?,
                    latest_run: row.try_get("latest_run").map_err(database(action))?,
                })
            })
            .collect()
    }

    /// The units of a deployment, newest run first.
    pub async fn deployment_units(&self, deployment_id: &str) -> Result<Vec<RunUnit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM run_units AS u JOIN runs AS r ON r.run_id = u.run_id \
             WHERE u.deployment_id = ? ORDER BY r.created_at DESC, r.run_id DESC, u.unit_id"
        );
        let rows = sqlx::query(&sql)
            .bind(deployment_id)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| {
                format!("reading the units of deployment {deployment_id}")
            }))?;
        rows.iter().map(unit_from_row).collect()
    }

    /// The quantization a registered model file's GGUF header gives (`Q4_K_M`; `mostly
    /// Q4_K` when the file does not say its file type), by the file's sha256.
    pub async fn quantization_of(&self, sha256: &str) -> Result<Option<String>> {
        let mut connection = self
            .pool
            .acquire()
            .await
            .map_err(database(|| format!("reading the quantization of {sha256}")))?;
        quantization_of(&mut connection, sha256).await
    }
}

/// Matches or creates the deployment (see [`Store::deployment_for`]) inside a write
/// transaction.
pub(crate) async fn upsert(
    connection: &mut SqliteConnection,
    identity: &Deployment,
    name: Option<&str>,
    at: DateTime<Utc>,
) -> Result<StoredDeployment> {
    let id = identity.id();
    let action = || format!("recording deployment {id} ({})", identity.default_name());
    let existing = by_id(connection, &id).await?;
    if let Some(name) = name {
        if let Some(holder) = by_name(connection, name).await? {
            if holder.deployment_id != id {
                return Err(StoreError::Conflict {
                    action: action(),
                    detail: format!(
                        "the name `{name}` is deployment {} ({}), not this deployment {id} ({}); choose another --deployment name",
                        holder.deployment_id,
                        holder.identity.default_name(),
                        identity.default_name()
                    ),
                });
            }
        }
    }
    if let Some(mut existing) = existing {
        if let Some(name) = name.filter(|name| *name != existing.name) {
            sqlx::query("UPDATE deployments SET name = ? WHERE deployment_id = ?")
                .bind(name)
                .bind(&id)
                .execute(&mut *connection)
                .await
                .map_err(database(action))?;
            existing.name = name.to_string();
        }
        return Ok(existing);
    }
    let name = match name {
        Some(name) => name.to_string(),
        None => {
            let default = identity.default_name();
            if by_name(connection, &default).await?.is_some() {
                identity.unique_name()
            } else {
                default
            }
        }
    };
    let identity_json = serde_json::to_string(identity).map_err(json(action))?;
    let sql = format!(
        "INSERT INTO deployments ({DEPLOYMENT_COLUMNS}) VALUES (?, ?, ?, ?) \
         RETURNING {DEPLOYMENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&id)
        .bind(&name)
        .bind(identity_json)
        .bind(at)
        .fetch_one(&mut *connection)
        .await
        .map_err(database(action))?;
    deployment_from_row(&row)
}

async fn by_id(connection: &mut SqliteConnection, id: &str) -> Result<Option<StoredDeployment>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE deployment_id = ?");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *connection)
        .await
        .map_err(database(|| format!("reading deployment {id}")))?;
    row.as_ref().map(deployment_from_row).transpose()
}

async fn by_name(
    connection: &mut SqliteConnection,
    name: &str,
) -> Result<Option<StoredDeployment>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE name = ?");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(&mut *connection)
        .await
        .map_err(database(|| format!("reading deployment `{name}`")))?;
    row.as_ref().map(deployment_from_row).transpose()
}

/// See [`Store::quantization_of`].
pub(crate) async fn quantization_of(
    connection: &mut SqliteConnection,
    sha256: &str,
) -> Result<Option<String>> {
    let action = || format!("reading the quantization of model {sha256}");
    let metadata: Option<String> =
        sqlx::query_scalar("SELECT metadata FROM models WHERE sha256 = ? LIMIT 1")
            .bind(sha256)
            .fetch_optional(&mut *connection)
            .await
            .map_err(database(action))?;
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    let metadata: serde_json::Value = serde_json::from_str(&metadata).map_err(json(action))?;
    let quantization = &metadata["quantization"];
    Ok(match quantization["file_type"].as_str() {
        Some(file_type) => Some(file_type.to_string()),
        None => quantization["dominant_tensor_type"]
            .as_str()
            .map(|tensor_type| format!("mostly {tensor_type}")),
    })
}

fn deployment_from_row(row: &SqliteRow) -> Result<StoredDeployment> {
    let deployment_id: String = row
        .try_get("deployment_id")
        .map_err(database(|| "reading a deployment row".into()))?;
    let action = || format!("reading deployment {deployment_id}");
    let identity: String = row.try_get("identity").map_err(database(action))?;
    Ok(StoredDeployment {
        name: row.try_get("name").map_err(database(action))?,
        identity: serde_json::from_str(&identity).map_err(json(action))?,
        created_at: row.try_get("created_at").map_err(database(action))?,
        deployment_id,
    })
}
