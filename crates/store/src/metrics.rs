//! Metric records: per-unit summaries (accuracy and friends) and run-level records (load
//! time, profile speed), every field of `core::MetricRecord`.

use crate::column::{finite_or_null, from_i64, parse_name, to_i64};
use crate::error::{database, Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use yardstick_core::MetricRecord;

/// Rows per multi-row INSERT (13 parameters each).
const ROWS_PER_STATEMENT: usize = 500;

/// A metric record as stored, with where it belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMetric {
    pub metric_id: i64,
    pub run_id: String,
    /// `None` for run-level records.
    pub unit_id: Option<i64>,
    pub model: String,
    /// The task of the unit, or for run-level records a kind such as `speed` or `load`.
    pub task: String,
    pub record: MetricRecord,
    pub created_at: DateTime<Utc>,
}

/// The columns of a [`StoredMetric`] from `metrics AS m`.
pub(crate) const METRIC_COLUMNS: &str = "m.metric_id, m.run_id, m.unit_id, m.model, m.task, \
     m.name, m.value, m.unit, m.stderr, m.n, m.min_value, m.max_value, m.created_at";

/// The same columns, unqualified (for `RETURNING`).
const RETURNED_COLUMNS: &str = "metric_id, run_id, unit_id, model, task, name, value, unit, \
     stderr, n, min_value, max_value, created_at";

/// Where a batch of records goes.
struct Owner<'a> {
    run_id: &'a str,
    unit_id: Option<i64>,
    model: &'a str,
    task: &'a str,
}

impl Store {
    /// Replaces the metric records of a unit (its model and task come from the unit) with
    /// `records`, in one transaction. Returns the stored rows.
    pub async fn replace_unit_metrics(
        &self,
        unit_id: i64,
        records: &[MetricRecord],
    ) -> Result<Vec<StoredMetric>> {
        let action = || format!("storing {} metric records of unit {unit_id}", records.len());
        let mut transaction = self.begin_write(action).await?;
        sqlx::query("DELETE FROM metrics WHERE unit_id = ?")
            .bind(unit_id)
            .execute(&mut *transaction)
            .await
            .map_err(database(action))?;
        let unit = sqlx::query("SELECT run_id, model, task FROM run_units WHERE unit_id = ?")
            .bind(unit_id)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(database(action))?
            .ok_or_else(|| StoreError::NotFound {
                action: action(),
                what: "unit",
                key: unit_id.to_string(),
            })?;
        let run_id: String = unit.try_get("run_id").map_err(database(action))?;
        let model: String = unit.try_get("model").map_err(database(action))?;
        let task: String = unit.try_get("task").map_err(database(action))?;
        let owner = Owner {
            run_id: &run_id,
            unit_id: Some(unit_id),
            model: &model,
            task: &task,
        };
        let stored = insert_records(&mut transaction, &owner, records, action).await?;
        transaction.commit().await.map_err(database(action))?;
        Ok(stored)
    }

    /// Replaces the run-level records (no unit) that the run has for this model and kind
    /// (`task`, e.g. `speed` or `load`) with `records`, in one transaction, so re-running a
    /// step never duplicates its records. Returns the stored rows.
    pub async fn replace_run_metrics(
        &self,
        run_id: &str,
        model: &str,
        task: &str,
        records: &[MetricRecord],
    ) -> Result<Vec<StoredMetric>> {
        let action = || {
            format!(
                "storing {} {task} records of model `{model}` in run {run_id}",
                records.len()
            )
        };
        let mut transaction = self.begin_write(action).await?;
        sqlx::query(
            "DELETE FROM metrics \
             WHERE run_id = ? AND model = ? AND task = ? AND unit_id IS NULL",
        )
        .bind(run_id)
        .bind(model)
        .bind(task)
        .execute(&mut *transaction)
        .await
        .map_err(database(action))?;
        let owner = Owner {
            run_id,
            unit_id: None,
            model,
            task,
        };
        let stored = insert_records(&mut transaction, &owner, records, action).await?;
        transaction.commit().await.map_err(database(action))?;
        Ok(stored)
    }

    /// Every metric record of a run (unit and run-level), in the order they were stored.
    pub async fn metrics_for_run(&self, run_id: &str) -> Result<Vec<StoredMetric>> {
        let sql = format!(
            "SELECT {METRIC_COLUMNS} FROM metrics AS m WHERE m.run_id = ? ORDER BY m.metric_id"
        );
        let rows = sqlx::query(&sql)
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| {
                format!("reading the metric records of run {run_id}")
            }))?;
        rows.iter().map(metric_from_row).collect()
    }
}

async fn insert_records(
    connection: &mut SqliteConnection,
    owner: &Owner<'_>,
    records: &[MetricRecord],
    action: impl Fn() -> String + Copy,
) -> Result<Vec<StoredMetric>> {
    let created_at = Utc::now();
    let mut stored = Vec::with_capacity(records.len());
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let counts = chunk
            .iter()
            .map(|record| record.n.map(|n| to_i64(n, "n", action)).transpose())
            .collect::<Result<Vec<_>>>()?;
        let mut builder = QueryBuilder::<Sqlite>::new(
            "INSERT INTO metrics (run_id, unit_id, model, task, name, value, unit, stderr, \
             n, min_value, max_value, created_at) ",
        );
        builder.push_values(chunk.iter().zip(counts), |mut row, (record, n)| {
            row.push_bind(owner.run_id)
                .push_bind(owner.unit_id)
                .push_bind(owner.model)
                .push_bind(owner.task)
                .push_bind(&record.name)
                .push_bind(finite_or_null(Some(record.value)))
                .push_bind(record.unit.as_str())
                .push_bind(finite_or_null(record.stderr))
                .push_bind(n)
                .push_bind(finite_or_null(record.min))
                .push_bind(finite_or_null(record.max))
                .push_bind(created_at);
        });
        builder.push(format!(" RETURNING {RETURNED_COLUMNS}"));
        let rows = builder
            .build()
            .fetch_all(&mut *connection)
            .await
            .map_err(database(action))?;
        for row in &rows {
            stored.push(metric_from_row(row)?);
        }
    }
    stored.sort_by_key(|metric| metric.metric_id);
    Ok(stored)
}

/// Reads a row selected with [`METRIC_COLUMNS`].
pub(crate) fn metric_from_row(row: &SqliteRow) -> Result<StoredMetric> {
    let metric_id: i64 = row
        .try_get("metric_id")
        .map_err(database(|| "reading a metric row".into()))?;
    let action = || format!("reading metric record {metric_id}");
    let unit: String = row.try_get("unit").map_err(database(action))?;
    let value: Option<f64> = row.try_get("value").map_err(database(action))?;
    let n: Option<i64> = row.try_get("n").map_err(database(action))?;
    Ok(StoredMetric {
        metric_id,
        run_id: row.try_get("run_id").map_err(database(action))?,
        unit_id: row.try_get("unit_id").map_err(database(action))?,
        model: row.try_get("model").map_err(database(action))?,
        task: row.try_get("task").map_err(database(action))?,
        record: MetricRecord {
            name: row.try_get("name").map_err(database(action))?,
            // NULL is how NaN is stored.
            value: value.unwrap_or(f64::NAN),
            unit: parse_name(&unit, action)?,
            stderr: row.try_get("stderr").map_err(database(action))?,
            n: n.map(|n| from_i64(n, "n", action)).transpose()?,
            min: row.try_get("min_value").map_err(database(action))?,
            max: row.try_get("max_value").map_err(database(action))?,
        },
        created_at: row.try_get("created_at").map_err(database(action))?,
    })
}
