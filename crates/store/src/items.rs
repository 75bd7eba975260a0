//! Per-item results: idempotent inserts (the first write wins), the completed set for
//! resuming, and reads in item order, per unit or for a whole run (export).

use crate::column::{from_i64, to_i64};
use crate::error::{database, json, Result};
use crate::Store;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::BTreeSet;
use std::fmt;
use yardstick_core::ItemResult;

/// Rows per multi-row INSERT: 9 parameters each stays far below SQLite's limit (32766).
const ROWS_PER_STATEMENT: usize = 500;

/// One stored item of a run, with the unit it belongs to (for export).
#[derive(Debug, Clone, PartialEq)]
pub struct RunItem {
    pub unit_id: i64,
    pub model: String,
    pub task: String,
    pub item: ItemResult,
}

impl Store {
    /// Stores one item of a unit. Returns `false`, changing nothing, when the unit already
    /// has an item with this index (the first write wins).
    pub async fn insert_item(&self, unit_id: i64, item: &ItemResult) -> Result<bool> {
        let inserted = self
            .insert_items(unit_id, std::slice::from_ref(item))
            .await?;
        Ok(inserted == 1)
    }

    /// Stores items of a unit in one transaction (all or none). Items whose index the unit
    /// already has, in the store or earlier in `items`, are skipped: the first write wins.
    /// Returns how many rows were new.
    pub async fn insert_items(&self, unit_id: i64, items: &[ItemResult]) -> Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let action = || format!("storing {} items of unit {unit_id}", items.len());
        let encoded = items
            .iter()
            .map(|item| EncodedItem::new(item, action))
            .collect::<Result<Vec<_>>>()?;
        let mut transaction = self.begin_write(action).await?;
        let mut inserted = 0;
        for chunk in encoded.chunks(ROWS_PER_STATEMENT) {
            let mut builder = QueryBuilder::<Sqlite>::new(
                "INSERT INTO items (unit_id, item_index, item_id, choice_loglikelihoods, \
                 choice_is_greedy, gold, prediction, prediction_norm, metrics, detail) ",
            );
            builder.push_values(chunk, |mut row, item| {
                row.push_bind(unit_id)
                    .push_bind(item.item_index)
                    .push_bind(&item.item_id)
                    .push_bind(&item.choice_loglikelihoods)
                    .push_bind(&item.choice_is_greedy)
                    .push_bind(item.gold)
                    .push_bind(item.prediction)
                    .push_bind(item.prediction_norm)
                    .push_bind(&item.metrics)
                    .push_bind(&item.detail);
            });
            builder.push(" ON CONFLICT (unit_id, item_index) DO NOTHING");
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

    /// The indices of the items stored for a unit: the ones a resumed run skips.
    pub async fn completed_item_indices(&self, unit_id: i64) -> Result<BTreeSet<u64>> {
        let action = || format!("reading the completed items of unit {unit_id}");
        let indices: Vec<i64> =
            sqlx::query_scalar("SELECT item_index FROM items WHERE unit_id = ?")
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await
                .map_err(database(action))?;
        indices
            .into_iter()
            .map(|index| from_i64(index, "item_index", action))
            .collect()
    }

    /// The items of a unit, in item index order.
    pub async fn items(&self, unit_id: i64) -> Result<Vec<ItemResult>> {
        let rows = sqlx::query(
            "SELECT item_index, item_id, choice_loglikelihoods, choice_is_greedy, gold, \
             prediction, prediction_norm, metrics, detail FROM items WHERE unit_id = ? \
             ORDER BY item_index",
        )
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database(|| format!("reading the items of unit {unit_id}")))?;
        rows.iter()
            .map(|row| item_from_row(row, &|| format!("reading an item of unit {unit_id}")))
            .collect()
    }

    /// The items of every unit of a run, unit by unit (in creation order), each in item index
    /// order, read as they are consumed. Holds one connection until dropped.
    pub fn stream_run_items(&self, run_id: &str) -> BoxStream<'_, Result<RunItem>> {
        let action = {
            let run_id = run_id.to_string();
            move || format!("reading the items of run {run_id}")
        };
        sqlx::query(
            "SELECT i.unit_id, u.model, u.task, i.item_index, i.item_id, \
             i.choice_loglikelihoods, i.choice_is_greedy, i.gold, i.prediction, \
             i.prediction_norm, i.metrics, i.detail \
             FROM items AS i JOIN run_units AS u ON u.unit_id = i.unit_id \
             WHERE u.run_id = ? ORDER BY i.unit_id, i.item_index",
        )
        .bind(run_id.to_string())
        .fetch(&self.pool)
        .map(move |row| {
            let row = row.map_err(database(&action))?;
            Ok(RunItem {
                unit_id: row.try_get("unit_id").map_err(database(&action))?,
                model: row.try_get("model").map_err(database(&action))?,
                task: row.try_get("task").map_err(database(&action))?,
                item: item_from_row(&row, &action)?,
            })
        })
        .boxed()
    }

    /// All items of a run, as [`Store::stream_run_items`] orders them.
    pub async fn run_items(&self, run_id: &str) -> Result<Vec<RunItem>> {
        self.stream_run_items(run_id).try_collect().await
    }
}

/// An item in column form.
struct EncodedItem {
    item_index: i64,
    item_id: Option<String>,
    choice_loglikelihoods: String,
    choice_is_greedy: String,
    gold: i64,
    prediction: i64,
    prediction_norm: i64,
    metrics: String,
    detail: Option<String>,
}

/// The `detail` column: the parts of an item only generative or weighted tasks have.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Detail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    weights: Vec<(String, ExactFloat)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    generations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    filtered: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    references: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    executions: Vec<yardstick_core::Execution>,
}

impl EncodedItem {
    fn new(item: &ItemResult, action: impl Fn() -> String + Copy) -> Result<EncodedItem> {
        let loglikelihoods: Vec<ExactFloat> = item
            .choice_loglikelihoods
            .iter()
            .copied()
            .map(ExactFloat)
            .collect();
        let metrics: Vec<(&str, ExactFloat)> = item
            .metrics
            .iter()
            .map(|(name, value)| (name.as_str(), ExactFloat(*value)))
            .collect();
        Ok(EncodedItem {
            item_index: to_i64(item.item_index, "item_index", action)?,
            item_id: item.item_id.clone(),
            choice_loglikelihoods: serde_json::to_string(&loglikelihoods).map_err(json(action))?,
            choice_is_greedy: serde_json::to_string(&item.choice_is_greedy)
                .map_err(json(action))?,
            gold: to_i64(item.gold, "gold", action)?,
            prediction: to_i64(item.prediction, "prediction", action)?,
            prediction_norm: to_i64(item.prediction_norm, "prediction_norm", action)?,
            metrics: serde_json::to_string(&metrics).map_err(json(action))?,
            detail: encode_detail(item).map_err(json(action))?,
        })
    }
}

/// Reads a row with the item columns; `action` names what was being read.
fn encode_detail(item: &ItemResult) -> serde_json::Result<Option<String>> {
    if item.weights.is_empty()
        && item.generations.is_empty()
        && item.filtered.is_empty()
        && item.references.is_empty()
        && item.executions.is_empty()
    {
        return Ok(None);
    }
    let detail = Detail {
        weights: item
            .weights
            .iter()
            .map(|(name, value)| (name.clone(), ExactFloat(*value)))
            .collect(),
        generations: item.generations.clone(),
        filtered: item.filtered.clone(),
        references: item.references.clone(),
        executions: item.executions.clone(),
    };
    serde_json::to_string(&detail).map(Some)
}

fn item_from_row(row: &SqliteRow, action: &dyn Fn() -> String) -> Result<ItemResult> {
    let item_index: i64 = row.try_get("item_index").map_err(database(action))?;
    let action = || format!("{}, item {item_index}", action());
    let loglikelihoods: String = row
        .try_get("choice_loglikelihoods")
        .map_err(database(action))?;
    let is_greedy: String = row.try_get("choice_is_greedy").map_err(database(action))?;
    let metrics: String = row.try_get("metrics").map_err(database(action))?;
    let gold: i64 = row.try_get("gold").map_err(database(action))?;
    let prediction: i64 = row.try_get("prediction").map_err(database(action))?;
    let prediction_norm: i64 = row.try_get("prediction_norm").map_err(database(action))?;
    let loglikelihoods: Vec<ExactFloat> =
        serde_json::from_str(&loglikelihoods).map_err(json(action))?;
    let detail: Option<String> = row.try_get("detail").map_err(database(action))?;
    let detail: Detail = match detail {
        Some(text) => serde_json::from_str(&text).map_err(json(action))?,
        None => Detail::default(),
    };
    let metrics: Vec<(String, ExactFloat)> =
        serde_json::from_str(&metrics).map_err(json(action))?;
    Ok(ItemResult {
        item_index: from_i64(item_index, "item_index", action)?,
        item_id: row.try_get("item_id").map_err(database(action))?,
        choice_loglikelihoods: loglikelihoods.into_iter().map(|value| value.0).collect(),
        choice_is_greedy: serde_json::from_str(&is_greedy).map_err(json(action))?,
        gold: from_i64(gold, "gold", action)?,
        prediction: from_i64(prediction, "prediction", action)?,
        prediction_norm: from_i64(prediction_norm, "prediction_norm", action)?,
        metrics: metrics
            .into_iter()
            .map(|(name, value)| (name, value.0))
            .collect(),
        weights: detail
            .weights
            .into_iter()
            .map(|(name, value)| (name, value.0))
            .collect(),
        generations: detail.generations,
        filtered: detail.filtered,
        references: detail.references,
        executions: detail.executions,
    })
}

/// An `f64` in JSON that reads back with the same bits: finite values as numbers in their
/// shortest round-trip form (parsed with correct rounding: serde_json's `float_roundtrip`),
/// non-finite ones as the strings `"inf"`, `"-inf"` and `"NaN"`.
#[derive(Debug, Clone, Copy)]
struct ExactFloat(f64);

impl Serialize for ExactFloat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            value if value.is_finite() => serializer.serialize_f64(value),
            value if value.is_nan() => serializer.serialize_str("NaN"),
            value if value > 0.0 => serializer.serialize_str("inf"),
            _ => serializer.serialize_str("-inf"),
        }
    }
}

impl<'de> Deserialize<'de> for ExactFloat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ExactFloatVisitor)
    }
}

struct ExactFloatVisitor;

impl Visitor<'_> for ExactFloatVisitor {
    type Value = ExactFloat;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a number, \"inf\", \"-inf\" or \"NaN\"")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<ExactFloat, E> {
        Ok(ExactFloat(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<ExactFloat, E> {
        Ok(ExactFloat(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<ExactFloat, E> {
        Ok(ExactFloat(value as f64))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ExactFloat, E> {
        match value {
            "inf" => Ok(ExactFloat(f64::INFINITY)),
            "-inf" => Ok(ExactFloat(f64::NEG_INFINITY)),
            "NaN" => Ok(ExactFloat(f64::NAN)),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: f64) -> f64 {
        let text = serde_json::to_string(&ExactFloat(value)).unwrap_or_default();
        serde_json::from_str::<ExactFloat>(&text)
            .map(|float| float.0)
            .unwrap_or(f64::from_bits(0xdead))
    }

    #[test]
    fn floats_keep_their_bits() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.2345678901234567e-5,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            1e300,
            -123456789.12345679,
            0.1 + 0.2,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for value in values {
            assert_eq!(round_trip(value).to_bits(), value.to_bits(), "{value:e}");
        }
        assert!(round_trip(f64::NAN).is_nan());
    }

    #[test]
    fn many_pseudo_random_floats_keep_their_bits() {
        // splitmix64 over the whole bit space: subnormals, huge and tiny magnitudes.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut checked = 0;
        while checked < 20_000 {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut bits = state;
            bits = (bits ^ (bits >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            bits = (bits ^ (bits >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            bits ^= bits >> 31;
            let value = f64::from_bits(bits);
            if value.is_nan() {
                continue;
            }
            assert_eq!(round_trip(value).to_bits(), bits, "{value:e}");
            checked += 1;
        }
    }

    #[test]
    fn unknown_strings_are_rejected() {
        assert!(serde_json::from_str::<ExactFloat>("\"infinity\"").is_err());
    }
}
