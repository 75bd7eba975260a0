//! Conversions between Rust values and column values: unsigned counts to BIGINT and back,
//! closed sets to their TEXT names, NaN-free floats.

use crate::error::{Result, StoreError};
use yardstick_core::ClosedSet;

/// A count or index as a BIGINT; values above `i64::MAX` do not fit the schema.
pub(crate) fn to_i64<T>(value: T, what: &str, action: impl FnOnce() -> String) -> Result<i64>
where
    T: TryInto<i64> + Copy + std::fmt::Display,
{
    value.try_into().map_err(|_| StoreError::Invalid {
        action: action(),
        detail: format!(
            "{what} {value} is larger than the store can hold ({})",
            i64::MAX
        ),
    })
}

/// A stored BIGINT back to an unsigned count or index; a negative one was not written by the
/// store.
pub(crate) fn from_i64<T>(value: i64, what: &str, action: impl FnOnce() -> String) -> Result<T>
where
    T: TryFrom<i64>,
{
    T::try_from(value).map_err(|_| StoreError::Invalid {
        action: action(),
        detail: format!("stored {what} {value} is not a valid count or index"),
    })
}

/// A stored TEXT back to a closed set (`RunKind`, `Status`, `Unit`, …).
pub(crate) fn parse_name<T: ClosedSet>(text: &str, action: impl FnOnce() -> String) -> Result<T> {
    T::from_name(text).map_err(|error| StoreError::Invalid {
        action: action(),
        detail: format!("stored {} `{text}`: {error}", T::WHAT),
    })
}

/// SQLite cannot store NaN (it becomes NULL); an optional float that is NaN is stored as
/// NULL, i.e. read back as `None`.
pub(crate) fn finite_or_null(value: Option<f64>) -> Option<f64> {
    value.filter(|value| !value.is_nan())
}
