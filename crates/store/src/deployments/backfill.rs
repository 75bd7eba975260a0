//! Deployments for units stored before deployments existed (schema 5), derived from what
//! their fingerprints recorded:
//!
//! - an eval or profile unit scored through a server: the served model at its base URL with
//!   the server's version (the same identity a new endpoint eval gets);
//! - an eval or profile unit run in-process: the model's sha256, llama.cpp's version, the
//!   quantization of the registered file with that sha256, and the fingerprint's thread
//!   count and batching scheme; the hardware is unknown (eval fingerprints never recorded
//!   it);
//! - a bench unit of a server (`openai` target): the served model at the base URL its
//!   target description starts with, engine version and hardware unknown (the recorded host
//!   was the load client's);
//! - a bench unit run in-process: the model's sha256, llama.cpp's version, the quantization,
//!   the recorded host, the thread count and the target's engine details.

use crate::error::{database, Result};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection, SqlitePool};
use yardstick_core::deployment::{Hardware, ServingSettings};
use yardstick_core::{BenchFingerprint, Deployment, Fingerprint, HostRole};

/// Gives every unit without a deployment the one derived from its fingerprint. Reads first,
/// so an up-to-date store takes no write lock.
pub(crate) async fn backfill(pool: &SqlitePool) -> Result<()> {
    let action = || "giving stored units their deployments".to_string();
    let missing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM run_units WHERE deployment_id IS NULL")
            .fetch_one(pool)
            .await
            .map_err(database(action))?;
    if missing == 0 {
        return Ok(());
    }
    let mut transaction = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(database(action))?;
    let rows = sqlx::query(
        "SELECT u.unit_id, u.model, u.fingerprint, u.started_at, r.kind, \
         r.fingerprint AS run_fingerprint FROM run_units AS u \
         JOIN runs AS r ON r.run_id = u.run_id WHERE u.deployment_id IS NULL \
         ORDER BY u.unit_id",
    )
    .fetch_all(&mut *transaction)
    .await
    .map_err(database(action))?;
    for row in &rows {
        let unit_id: i64 = row.try_get("unit_id").map_err(database(action))?;
        let unit_action = || format!("deriving the deployment of unit {unit_id}");
        let model: String = row.try_get("model").map_err(database(unit_action))?;
        let kind: String = row.try_get("kind").map_err(database(unit_action))?;
        let started_at: DateTime<Utc> = row.try_get("started_at").map_err(database(unit_action))?;
        let fingerprint: String = row.try_get("fingerprint").map_err(database(unit_action))?;
        // A unit whose fingerprint cannot be read cannot be read at all (`Store::units`
        // fails on it); it keeps no deployment rather than making the store unopenable.
        let Ok(fingerprint) = serde_json::from_str::<Fingerprint>(&fingerprint) else {
            continue;
        };
        // A bench run's fingerprint that does not read adds nothing to the unit's own.
        let bench = if kind == "bench" {
            let run: String = row
                .try_get("run_fingerprint")
                .map_err(database(unit_action))?;
            serde_json::from_str::<serde_json::Value>(&run)
                .ok()
                .and_then(|run| BenchFingerprint::from_json(&run).ok())
        } else {
            None
        };
        let identity = derive(&mut transaction, &model, &fingerprint, bench.as_ref()).await?;
        let stored = super::upsert(&mut transaction, &identity, None, started_at).await?;
        sqlx::query("UPDATE run_units SET deployment_id = ? WHERE unit_id = ?")
            .bind(&stored.deployment_id)
            .bind(unit_id)
            .execute(&mut *transaction)
            .await
            .map_err(database(unit_action))?;
    }
    transaction.commit().await.map_err(database(action))?;
    Ok(())
}

/// The deployment a stored unit measured, from its fingerprint (and its bench run's).
async fn derive(
    connection: &mut SqliteConnection,
    model: &str,
    fingerprint: &Fingerprint,
    bench: Option<&BenchFingerprint>,
) -> Result<Deployment> {
    if let Some(endpoint) = &fingerprint.endpoint {
        return Ok(Deployment::from_endpoint(
            model,
            endpoint,
            Hardware::default(),
        ));
    }
    let target = bench.and_then(|bench| bench.plan.target.as_ref());
    if let Some(target) = target.filter(|target| target.kind == "openai") {
        let base_url = target.details.split_whitespace().next().unwrap_or_default();
        return Ok(Deployment::served(
            model,
            &target.model,
            base_url,
            None,
            Hardware::default(),
        ));
    }
    let sha256 = bench
        .and_then(|bench| bench.model_sha256.clone())
        .filter(|_| fingerprint.model_sha256 == "served")
        .unwrap_or_else(|| fingerprint.model_sha256.clone());
    let quantization = super::quantization_of(connection, &sha256).await?;
    let hardware = bench
        .filter(|bench| bench.host_role == Some(HostRole::Engine))
        .and_then(|bench| bench.host.as_ref())
        .map(Hardware::detected)
        .unwrap_or_default();
    let serving = ServingSettings {
        threads: (fingerprint.threads > 0).then_some(fingerprint.threads),
        scheme: Some(match target {
            Some(target) => target.details.clone(),
            None => fingerprint.batching_scheme.clone(),
        }),
        ..ServingSettings::default()
    };
    Ok(Deployment::in_process(
        model,
        &sha256,
        &fingerprint.llama_cpp_version,
        quantization,
        hardware,
        serving,
    ))
}
