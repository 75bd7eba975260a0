//! Leaderboard queries: the latest complete result per (model, task, fingerprint), per
//! (model, task) or per (deployment, task), and the latest profile records per model. Plain rows; rendering is the
//! CLI's job.

use crate::error::{database, Result};
use crate::metrics::{metric_from_row, StoredMetric, METRIC_COLUMNS};
use crate::runs::{unit_from_row, RunKind, RunUnit, Status, UNIT_COLUMNS};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::HashMap;
use yardstick_core::MetricRecord;

/// A complete unit with its metric records (in the order they were stored).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitResults {
    pub unit: RunUnit,
    pub metrics: Vec<MetricRecord>,
}

/// The records of a model's most recent complete profile run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileResults {
    pub model: String,
    pub run_id: String,
    pub run_finished_at: Option<DateTime<Utc>>,
    /// Every record of that run for that model (run-level and per-unit), in stored order.
    pub metrics: Vec<StoredMetric>,
}

/// Which units compete for a leaderboard row.
#[derive(Debug, Clone, Copy)]
enum Grouping {
    ModelTaskFingerprint,
    ModelTask,
    /// By deployment (units without one: by model) and task.
    DeploymentTask,
}

impl Grouping {
    fn partition(self) -> &'static str {
        match self {
            Grouping::ModelTaskFingerprint => "u.model, u.task, u.fingerprint_id",
            Grouping::ModelTask => "u.model, u.task",
            Grouping::DeploymentTask => "COALESCE(u.deployment_id, u.model), u.task",
        }
    }
}

impl Store {
    /// For each (model, task, fingerprint id), the most recently finished complete unit with
    /// its records, ordered by model, task and fingerprint id. Units that are running,
    /// interrupted or failed are ignored (a complete unit counts even if its run did not
    /// complete).
    pub async fn leaderboard(&self) -> Result<Vec<UnitResults>> {
        self.latest_complete_units(Grouping::ModelTaskFingerprint, RunKind::Eval)
            .await
    }

    /// For each (model, task), the most recently finished complete unit with its records,
    /// whatever its fingerprint; ordered by model and task.
    pub async fn latest_units(&self) -> Result<Vec<UnitResults>> {
        self.latest_complete_units(Grouping::ModelTask, RunKind::Eval)
            .await
    }

    /// For each (deployment, task), the most recently finished complete eval unit with its
    /// records, whatever its fingerprint; ordered by model and task. A model evaluated in
    /// two deployments (in-process and through a server) has a unit per deployment.
    pub async fn latest_deployment_units(&self) -> Result<Vec<UnitResults>> {
        self.latest_complete_units(Grouping::DeploymentTask, RunKind::Eval)
            .await
    }

    /// For each (model, load point), the most recently finished complete unit of a `bench`
    /// run with its records; ordered by model and point.
    pub async fn latest_bench_units(&self) -> Result<Vec<UnitResults>> {
        self.latest_complete_units(Grouping::ModelTask, RunKind::Bench)
            .await
    }

    /// Units of runs of `kind` only: quality tasks and load points never mix.
    async fn latest_complete_units(
        &self,
        grouping: Grouping,
        kind: RunKind,
    ) -> Result<Vec<UnitResults>> {
        let action = || "reading the latest complete units".to_string();
        let ranked = format!(
            "WITH ranked AS (SELECT u.unit_id, ROW_NUMBER() OVER (PARTITION BY {} \
             ORDER BY u.finished_at DESC, u.unit_id DESC) AS position \
             FROM run_units AS u JOIN runs AS run ON run.run_id = u.run_id \
             WHERE u.status = ? AND run.kind = ?)",
            grouping.partition()
        );
        let units_sql = format!(
            "{ranked} SELECT {UNIT_COLUMNS} FROM run_units AS u \
             JOIN ranked AS r ON r.unit_id = u.unit_id WHERE r.position = 1 \
             ORDER BY u.model, u.task, u.fingerprint_id"
        );
        let metrics_sql = format!(
            "{ranked} SELECT {METRIC_COLUMNS} FROM metrics AS m \
             JOIN ranked AS r ON r.unit_id = m.unit_id WHERE r.position = 1 \
             ORDER BY m.metric_id"
        );
        // One read transaction: units and records from the same snapshot.
        let mut transaction = self.pool.begin().await.map_err(database(action))?;
        let unit_rows = sqlx::query(&units_sql)
            .bind(Status::Complete.as_str())
            .bind(kind.as_str())
            .fetch_all(&mut *transaction)
            .await
            .map_err(database(action))?;
        let metric_rows = sqlx::query(&metrics_sql)
            .bind(Status::Complete.as_str())
            .bind(kind.as_str())
            .fetch_all(&mut *transaction)
            .await
            .map_err(database(action))?;
        transaction.commit().await.map_err(database(action))?;

        let mut records: HashMap<i64, Vec<MetricRecord>> = HashMap::new();
        for row in &metric_rows {
            let metric = metric_from_row(row)?;
            if let Some(unit_id) = metric.unit_id {
                records.entry(unit_id).or_default().push(metric.record);
            }
        }
        unit_rows
            .iter()
            .map(|row| {
                let unit = unit_from_row(row)?;
                let metrics = records.remove(&unit.unit_id).unwrap_or_default();
                Ok(UnitResults { unit, metrics })
            })
            .collect()
    }

    /// For each model, the records of its most recently finished complete profile run,
    /// ordered by model.
    pub async fn latest_profile_metrics(&self) -> Result<Vec<ProfileResults>> {
        let action = || "reading the latest profile records".to_string();
        let sql = format!(
            "WITH ranked AS (SELECT pairs.model, pairs.run_id, r.finished_at, \
             ROW_NUMBER() OVER (PARTITION BY pairs.model \
             ORDER BY r.finished_at DESC, r.created_at DESC, r.run_id DESC) AS position \
             FROM (SELECT DISTINCT model, run_id FROM metrics) AS pairs \
             JOIN runs AS r ON r.run_id = pairs.run_id \
             WHERE r.kind = ? AND r.status = ?) \
             SELECT {METRIC_COLUMNS}, ranked.finished_at AS run_finished_at \
             FROM metrics AS m \
             JOIN ranked ON ranked.model = m.model AND ranked.run_id = m.run_id \
             WHERE ranked.position = 1 ORDER BY m.model, m.metric_id"
        );
        let rows = sqlx::query(&sql)
            .bind(RunKind::Profile.as_str())
            .bind(Status::Complete.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(database(action))?;
        let mut results: Vec<ProfileResults> = Vec::new();
        for row in &rows {
            let metric = metric_from_row(row)?;
            match results.last_mut() {
                Some(last) if last.model == metric.model => last.metrics.push(metric),
                _ => results.push(ProfileResults {
                    model: metric.model.clone(),
                    run_id: metric.run_id.clone(),
                    run_finished_at: row.try_get("run_finished_at").map_err(database(action))?,
                    metrics: vec![metric],
                }),
            }
        }
        Ok(results)
    }
}
