//! Per-request timing records of `bench` units. The store keeps each record as the JSON
//! the caller gives (`yardstick_load::RequestTiming`); it does not interpret it.

use crate::column::{from_i64, to_i64};
use crate::error::{database, Result};
use crate::Store;
use sqlx::{QueryBuilder, Row, Sqlite};

/// Rows per multi-row INSERT (3 parameters each).
const ROWS_PER_STATEMENT: usize = 1000;

impl Store {
    /// Stores request records `(index, timing JSON)` of a unit in one transaction. A record
    /// whose index the unit already has is skipped (the first write wins). Returns how many
    /// rows were new.
    pub async fn insert_requests(&self, unit_id: i64, records: &[(u64, String)]) -> Result<u64> {
        if records.is_empty() {
            return Ok(0);
        }
        let action = || {
            format!(
                "storing {} request records of unit {unit_id}",
                records.len()
            )
        };
        let indices = records
            .iter()
            .map(|(index, _)| to_i64(*index, "request index", action))
            .collect::<Result<Vec<i64>>>()?;
        let mut transaction = self.begin_write(action).await?;
        let mut inserted = 0;
        let rows: Vec<(i64, &String)> = indices
            .into_iter()
            .zip(records.iter().map(|(_, timing)| timing))
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut builder = QueryBuilder::<Sqlite>::new(
                "INSERT INTO requests (unit_id, request_index, timing) ",
            );
            builder.push_values(chunk, |mut row, (index, timing)| {
                row.push_bind(unit_id).push_bind(*index).push_bind(*timing);
            });
            builder.push(" ON CONFLICT (unit_id, request_index) DO NOTHING");
            let result = builder
                .build()
                .execute(&mut *transaction)
                .await
                .map_err(database(action))?;
            inserted += result.rows_affected();
        }
        transaction.commit().await.map_err(database(action))?;
        Ok(inserted)
    }

    /// The request records of a unit, `(index, timing JSON)` in index order.
    pub async fn requests(&self, unit_id: i64) -> Result<Vec<(u64, String)>> {
        let action = || format!("reading the request records of unit {unit_id}");
        let rows = sqlx::query(
            "SELECT request_index, timing FROM requests WHERE unit_id = ? ORDER BY request_index",
        )
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database(action))?;
        rows.iter()
            .map(|row| {
                let index: i64 = row.try_get("request_index").map_err(database(action))?;
                let timing: String = row.try_get("timing").map_err(database(action))?;
                Ok((from_i64(index, "request index", action)?, timing))
            })
            .collect()
    }
}
