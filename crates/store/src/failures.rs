//! Failed attempts of requests an eval sent to a remote backend: each one a row with its
//! cause, kept whether or not a retry then succeeded.

use crate::column::{from_i64, to_i64};
use crate::error::{database, Result};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// One failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    pub unit_id: i64,
    pub item_index: u64,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// A short stable label: `rate_limited`, `http_503`, `timeout`, `connection_reset`, …
    pub cause: String,
    pub message: String,
    /// What the server asked to wait before the next attempt.
    pub retry_after_ms: Option<u64>,
    /// Whether another attempt followed.
    pub retried: bool,
    pub occurred_at: DateTime<Utc>,
}

impl Store {
    /// Records one failed attempt.
    pub async fn insert_request_failure(&self, failure: &RequestFailure) -> Result<()> {
        let action = || {
            format!(
                "recording a failed request of unit {} item {}",
                failure.unit_id, failure.item_index
            )
        };
        let item_index = to_i64(failure.item_index, "item index", action)?;
        let retry_after = failure
            .retry_after_ms
            .map(|ms| to_i64(ms, "retry-after", action))
            .transpose()?;
        let mut transaction = self.begin_write(action).await?;
        sqlx::query(
            "INSERT INTO request_failures (unit_id, item_index, attempt, cause, message, \
             retry_after_ms, retried, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(failure.unit_id)
        .bind(item_index)
        .bind(i64::from(failure.attempt))
        .bind(&failure.cause)
        .bind(&failure.message)
        .bind(retry_after)
        .bind(failure.retried)
        .bind(failure.occurred_at)
        .execute(&mut *transaction)
        .await
        .map_err(database(action))?;
        transaction.commit().await.map_err(database(action))?;
        Ok(())
    }

    /// The failed attempts of a run's units, in the order they happened.
    pub async fn request_failures(&self, run_id: &str) -> Result<Vec<RequestFailure>> {
        let action = || format!("reading the failed requests of run {run_id}");
        let rows = sqlx::query(
            "SELECT f.unit_id, f.item_index, f.attempt, f.cause, f.message, f.retry_after_ms, \
             f.retried, f.occurred_at FROM request_failures f \
             JOIN run_units u ON u.unit_id = f.unit_id WHERE u.run_id = ? \
             ORDER BY f.failure_id",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database(action))?;
        rows.iter()
            .map(|row| {
                let retry_after: Option<i64> = row.try_get(5).map_err(database(action))?;
                let attempt: i64 = row.try_get(2).map_err(database(action))?;
                Ok(RequestFailure {
                    unit_id: row.try_get(0).map_err(database(action))?,
                    item_index: from_i64(
                        row.try_get(1).map_err(database(action))?,
                        "item index",
                        action,
                    )?,
                    attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                    cause: row.try_get(3).map_err(database(action))?,
                    message: row.try_get(4).map_err(database(action))?,
                    retry_after_ms: retry_after
                        .map(|ms| from_i64(ms, "retry-after", action))
                        .transpose()?,
                    retried: row.try_get(6).map_err(database(action))?,
                    occurred_at: row.try_get(7).map_err(database(action))?,
                })
            })
            .collect()
    }
}
