//! Parquet files, row by row: `parquet`'s record API reads one row group at a time (pages
//! are decoded as rows are asked for), so a file never sits in memory whole.
//!
//! Each row becomes a JSON object holding what Hugging Face `datasets` gives Python for it
//! (pyarrow's `to_pylist`): strings, integers of every width (unsigned 64-bit included),
//! floats (`float32`/`float16` widened exactly, as Python does; NaN and infinities become
//! `null`, which JSON cannot hold), booleans, `null`, lists, and structs as objects, nested
//! to any depth. Dictionary-encoded columns read as their values. Types without a JSON
//! counterpart become text the way Python's `str()` prints them: dates `2020-01-31`,
//! timestamps `2021-06-01 12:30:15.250000`, times `12:30:15`, decimals `1.50`. Binary
//! values become a string when they are UTF-8, else an array of byte values; maps become an
//! object when every key is a string, else an array of `[key, value]` pairs.

use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use serde_json::{Map, Value};
use std::fs::File;
use std::path::Path;

/// One row as a JSON object.
pub(super) type Fields = Map<String, Value>;

/// The rows of one parquet file, in order.
pub(super) struct ParquetRows {
    rows: RowIter<'static>,
    /// Rows returned so far (the next row's 1-based number is `row + 1`).
    row: u64,
}

impl ParquetRows {
    /// Opens the file and checks that every column has a type this reader can convert
    /// (the record API would panic on the others). The message says what is wrong.
    pub(super) fn open(path: &Path) -> Result<ParquetRows, String> {
        let file = File::open(path).map_err(|error| error.to_string())?;
        let reader = SerializedFileReader::new(file)
            .map_err(|error| format!("not a readable parquet file: {error}"))?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        for column in schema.columns() {
            if !convertible(column.physical_type(), column.converted_type()) {
                return Err(format!(
                    "column `{}` has parquet type {} ({}), which is not supported",
                    column.path(),
                    column.physical_type(),
                    column.converted_type()
                ));
            }
        }
        Ok(ParquetRows {
            rows: reader.into_iter(),
            row: 0,
        })
    }

    /// The next row with its 1-based number, or the reason it cannot be read.
    pub(super) fn next_row(&mut self) -> Option<(u64, Result<Fields, String>)> {
        let row = self.rows.next()?;
        self.row += 1;
        Some((
            self.row,
            row.map(row_to_json)
                .map_err(|error| format!("invalid parquet data: {error}")),
        ))
    }
}

/// The (physical, converted) type pairs `Field::convert_*` handles without panicking.
fn convertible(physical: PhysicalType, converted: ConvertedType) -> bool {
    use ConvertedType as C;
    match physical {
        PhysicalType::BOOLEAN
        | PhysicalType::INT96
        | PhysicalType::FLOAT
        | PhysicalType::DOUBLE => true,
        PhysicalType::INT32 => matches!(
            converted,
            C::NONE
                | C::INT_8
                | C::INT_16
                | C::INT_32
                | C::UINT_8
                | C::UINT_16
                | C::UINT_32
                | C::DATE
                | C::TIME_MILLIS
                | C::DECIMAL
        ),
        PhysicalType::INT64 => matches!(
            converted,
            C::NONE
                | C::INT_64
                | C::UINT_64
                | C::TIME_MICROS
                | C::TIMESTAMP_MILLIS
                | C::TIMESTAMP_MICROS
                | C::DECIMAL
        ),
        PhysicalType::BYTE_ARRAY => matches!(
            converted,
            C::NONE | C::UTF8 | C::ENUM | C::JSON | C::BSON | C::DECIMAL
        ),
        PhysicalType::FIXED_LEN_BYTE_ARRAY => matches!(converted, C::NONE | C::DECIMAL),
    }
}

/// A row as a JSON object, columns in file order.
pub(super) fn row_to_json(row: Row) -> Fields {
    row.into_columns()
        .into_iter()
        .map(|(name, field)| (name, field_to_json(&field)))
        .collect()
}

fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn field_to_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(value) => Value::Bool(*value),
        Field::Byte(value) => Value::from(*value),
        Field::Short(value) => Value::from(*value),
        Field::Int(value) => Value::from(*value),
        Field::Long(value) => Value::from(*value),
        Field::UByte(value) => Value::from(*value),
        Field::UShort(value) => Value::from(*value),
        Field::UInt(value) => Value::from(*value),
        Field::ULong(value) => Value::from(*value),
        Field::Float16(value) => float(value.to_f64()),
        Field::Float(value) => float(f64::from(*value)),
        Field::Double(value) => float(*value),
        // The record API checks precision and scale when it reads the schema.
        Field::Decimal(_) => Value::String(field.to_string()),
        Field::Str(value) => Value::String(value.clone()),
        Field::Bytes(value) => match std::str::from_utf8(value.data()) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::Array(value.data().iter().map(|byte| Value::from(*byte)).collect()),
        },
        Field::Date(days) => Value::String(date_text(i64::from(*days))),
        Field::TimeMillis(millis) => Value::String(time_text(i64::from(*millis) * 1000)),
        Field::TimeMicros(micros) => Value::String(time_text(*micros)),
        Field::TimestampMillis(millis) => Value::String(timestamp_text(i128::from(*millis) * 1000)),
        Field::TimestampMicros(micros) => Value::String(timestamp_text(i128::from(*micros))),
        Field::Group(row) => Value::Object(
            row.get_column_iter()
                .map(|(name, field)| (name.clone(), field_to_json(field)))
                .collect(),
        ),
        Field::ListInternal(list) => {
            Value::Array(list.elements().iter().map(field_to_json).collect())
        }
        Field::MapInternal(map) => {
            let entries = map.entries();
            if entries.iter().all(|(key, _)| matches!(key, Field::Str(_))) {
                Value::Object(
                    entries
                        .iter()
                        .filter_map(|(key, value)| match key {
                            Field::Str(key) => Some((key.clone(), field_to_json(value))),
                            _ => None,
                        })
                        .collect(),
                )
            } else {
                Value::Array(
                    entries
                        .iter()
                        .map(|(key, value)| {
                            Value::Array(vec![field_to_json(key), field_to_json(value)])
                        })
                        .collect(),
                )
            }
        }
    }
}

const MICROS_PER_DAY: i128 = 86_400_000_000;

/// Days since 1970-01-01 as `YYYY-MM-DD` (proleptic Gregorian; Howard Hinnant's
/// `civil_from_days`), as Python's `str(date)`.
fn date_text(days: i64) -> String {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Microseconds since midnight as `HH:MM:SS[.ffffff]`, as Python's `str(time)`.
fn time_text(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction == 0 {
        clock
    } else {
        format!("{clock}.{fraction:06}")
    }
}

/// Microseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS[.ffffff]`, as Python's
/// `str(datetime)` of a naive datetime.
fn timestamp_text(micros: i128) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    // `of_day` < 86_400_000_000 fits an i64; `days` does for any representable timestamp.
    let days = i64::try_from(days).unwrap_or(i64::MAX / 2);
    let of_day = i64::try_from(of_day).unwrap_or_default();
    format!("{} {}", date_text(days), time_text(of_day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_text_matches_python() {
        assert_eq!(date_text(0), "1970-01-01");
        assert_eq!(date_text(18_321), "2020-02-29");
        assert_eq!(date_text(-1), "1969-12-31");
        assert_eq!(date_text(-719_162), "0001-01-01");
        assert_eq!(time_text(45_015_250_000), "12:30:15.250000");
        assert_eq!(time_text(3_600_000_000), "01:00:00");
        assert_eq!(timestamp_text(-1), "1969-12-31 23:59:59.999999");
        assert_eq!(
            timestamp_text(1_622_550_615_250_000),
            "2021-06-01 12:30:15.250000"
        );
    }
}
