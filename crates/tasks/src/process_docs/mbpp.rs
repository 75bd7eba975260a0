//! MBPP: the test split of the published file that holds every split.

use super::fields::field;
use super::DocProcessor;
use crate::dataset::RawRecord;
use serde_json::{Map, Value};

/// MBPP's published file holds every split; the test split is task ids 11 to 510.
pub(super) struct MbppTest;

impl DocProcessor for MbppTest {
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String> {
        let task_id = field(&record.fields, "task_id")?
            .as_u64()
            .ok_or("field `task_id` is not an integer")?;
        Ok((11..=510).contains(&task_id).then_some(record.fields))
    }
}
