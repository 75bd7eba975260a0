//! Conversions between Rust values and column values: unsigned counts to BIGINT and back,
//! closed sets to their TEXT names, NaN-free floats.

use crate::error::{Result, StoreError};

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
pub(crate) fn parse_name<T>(text: &str, what: &str, action: impl FnOnce() -> String) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|error| StoreError::Invalid {
        action: action(),
        detail: format!("stored {what} `{text}`: {error}"),
    })
}

/// SQLite cannot store NaN (it becomes NULL); an optional float that is NaN is stored as
/// NULL, i.e. read back as `None`.
pub(crate) fn finite_or_null(value: Option<f64>) -> Option<f64> {
    value.filter(|value| !value.is_nan())
}

/// Error for an unknown name of a closed set, listing the valid ones.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{given}`; valid values are: {valid}")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub valid: String,
}

/// Implements `as_str`, `Display` and `FromStr` (with [`UnknownName`]) for a fieldless enum.
macro_rules! named_enum {
    ($type:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::column::UnknownName;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $type::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| $crate::column::UnknownName {
                        what: $what,
                        given: text.to_string(),
                        valid: $type::ALL
                            .iter()
                            .map(|value| value.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    };
}
pub(crate) use named_enum;
