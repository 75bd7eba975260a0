//! Reading local dataset files record by record, without holding the file in memory:
//! JSON lines (`.jsonl`, or `.json` that does not start with `[`), JSON arrays (`.json`,
//! read whole), CSV with a header row (`.csv`, two passes: the first types each column the
//! way pandas would: integer, float or text), each optionally gzipped (`.gz`); and parquet
//! (`.parquet`, one row group in memory at a time, values as Hugging Face `datasets` gives
//! them to Python; see [`parquet`]).
//!
//! Paths come from `dataset_kwargs.data_files` and are relative to the data directory, or
//! are files of a hub dataset fetched by [`crate::hub`].

mod parquet;

use self::parquet::ParquetRows;

use crate::error::{RecordLocation, TaskError};
use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One record of a dataset file, before `process_docs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    pub fields: Map<String, Value>,
    /// The data file as named in the config (relative to the data directory).
    pub file: String,
    pub location: RecordLocation,
}

/// The path of `relative` under `data_dir`, checking that both exist.
pub fn resolve_data_file(
    task: &str,
    data_dir: &Path,
    relative: &str,
) -> Result<PathBuf, TaskError> {
    if !data_dir.is_dir() {
        return Err(TaskError::DataDirMissing {
            task: task.to_string(),
            path: data_dir.to_path_buf(),
        });
    }
    let path = data_dir.join(relative);
    if !path.is_file() {
        return Err(TaskError::DataFileMissing {
            task: task.to_string(),
            file: relative.to_string(),
            path,
        });
    }
    Ok(path)
}

/// sha256 of a file's bytes, as lowercase hex, read in chunks.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Opens a file, transparently un-gzipping `.gz`.
pub fn open_text(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    let is_gzip = path.extension().is_some_and(|extension| extension == "gz");
    Ok(if is_gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

/// The file name without a `.gz` suffix, lower-cased, to decide the format.
fn format_name(relative: &str) -> String {
    let lower = relative.to_ascii_lowercase();
    lower.strip_suffix(".gz").unwrap_or(&lower).to_string()
}

enum FileRecords {
    Lines {
        reader: Box<dyn BufRead + Send>,
        line: u64,
    },
    Array {
        items: std::vec::IntoIter<Value>,
        element: u64,
    },
    Csv {
        reader: csv::Reader<Box<dyn BufRead + Send>>,
        headers: Vec<String>,
        columns: Vec<ColumnType>,
    },
    Parquet(ParquetRows),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnType {
    Integer,
    Float,
    Text,
}

/// Records of one or more files, in order.
pub struct RecordReader {
    task: String,
    pending: VecDeque<(String, PathBuf)>,
    current: Option<(String, FileRecords)>,
}

impl RecordReader {
    /// `files`: (name as configured, resolved path), read in this order.
    pub fn new(task: &str, files: Vec<(String, PathBuf)>) -> RecordReader {
        RecordReader {
            task: task.to_string(),
            pending: files.into(),
            current: None,
        }
    }

    fn io_error(&self, file: &str, source: std::io::Error) -> TaskError {
        io_error(&self.task, file, source)
    }

    fn record_error(&self, file: &str, location: RecordLocation, message: String) -> TaskError {
        record_error(&self.task, file, location, message)
    }

    fn open(&self, name: &str, path: &Path) -> Result<FileRecords, TaskError> {
        let format = format_name(name);
        if name.to_ascii_lowercase().ends_with(".parquet") {
            return ParquetRows::open(path)
                .map(FileRecords::Parquet)
                .map_err(|message| {
                    self.io_error(
                        name,
                        std::io::Error::new(std::io::ErrorKind::InvalidData, message),
                    )
                });
        }
        let mut reader = open_text(path).map_err(|error| self.io_error(name, error))?;
        if format.ends_with(".csv") {
            let columns = self.csv_column_types(name, path)?;
            let mut reader = csv::Reader::from_reader(reader);
            let headers = reader
                .headers()
                .map_err(|error| {
                    self.record_error(
                        name,
                        RecordLocation::Line(1),
                        format!("invalid CSV header: {error}"),
                    )
                })?
                .iter()
                .map(str::to_string)
                .collect();
            return Ok(FileRecords::Csv {
                reader,
                headers,
                columns,
            });
        }
        let is_json = format.ends_with(".json");
        if !is_json && !format.ends_with(".jsonl") {
            return Err(self.record_error(
                name,
                RecordLocation::Line(1),
                "unsupported file type; use .jsonl, .json, .csv (optionally .gz) or .parquet"
                    .into(),
            ));
        }
        let starts_with_bracket = is_json && {
            let buffer = reader
                .fill_buf()
                .map_err(|error| self.io_error(name, error))?;
            buffer.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[')
        };
        if starts_with_bracket {
            let items: Vec<Value> = serde_json::from_reader(reader).map_err(|error| {
                self.record_error(
                    name,
                    RecordLocation::Element(0),
                    format!("invalid JSON array: {error}"),
                )
            })?;
            return Ok(FileRecords::Array {
                items: items.into_iter(),
                element: 0,
            });
        }
        Ok(FileRecords::Lines { reader, line: 0 })
    }

    /// First CSV pass: a column is integer if every non-empty cell parses as one, float if
    /// every non-empty cell parses as a number, text otherwise (pandas' inference, roughly).
    fn csv_column_types(&self, name: &str, path: &Path) -> Result<Vec<ColumnType>, TaskError> {
        let reader = open_text(path).map_err(|error| self.io_error(name, error))?;
        let mut reader = csv::Reader::from_reader(reader);
        let width = reader
            .headers()
            .map_err(|error| {
                self.record_error(
                    name,
                    RecordLocation::Line(1),
                    format!("invalid CSV header: {error}"),
                )
            })?
            .len();
        let mut columns = vec![ColumnType::Integer; width];
        for record in reader.records() {
            let record = record.map_err(|error| {
                let line = error.position().map_or(0, |position| position.line());
                self.record_error(
                    name,
                    RecordLocation::Line(line),
                    format!("invalid CSV: {error}"),
                )
            })?;
            for (column, cell) in columns.iter_mut().zip(record.iter()) {
                if cell.is_empty() {
                    continue;
                }
                if *column == ColumnType::Integer && cell.parse::<i64>().is_err() {
                    *column = ColumnType::Float;
                }
                if *column == ColumnType::Float && cell.parse::<f64>().is_err() {
                    *column = ColumnType::Text;
                }
            }
        }
        Ok(columns)
    }

    fn next_in_current(&mut self) -> Option<Result<RawRecord, TaskError>> {
        let (name, records) = self.current.as_mut()?;
        let file = FileInTask {
            task: &self.task,
            name: name.clone(),
        };
        match records {
            FileRecords::Parquet(rows) => {
                let record = next_parquet_row(rows, file)?;
                if record.is_err() {
                    // A row group that fails to decode leaves the reader in an unknown
                    // state: report it once and stop reading this file.
                    self.current = None;
                }
                Some(record)
            }
            FileRecords::Lines { reader, line } => next_json_line(reader, line, file),
            FileRecords::Array { items, element } => next_array_element(items, element, file),
            FileRecords::Csv {
                reader,
                headers,
                columns,
            } => next_csv_row(reader, headers, columns, file),
        }
    }
}

/// The data file being read (as named in the config) and its task, for records and errors.
struct FileInTask<'a> {
    task: &'a str,
    name: String,
}

impl FileInTask<'_> {
    fn record(self, fields: Map<String, Value>, location: RecordLocation) -> RawRecord {
        RawRecord {
            fields,
            file: self.name,
            location,
        }
    }

    fn record_error(&self, location: RecordLocation, message: String) -> TaskError {
        record_error(self.task, &self.name, location, message)
    }
}

fn io_error(task: &str, file: &str, source: std::io::Error) -> TaskError {
    TaskError::Io {
        task: task.to_string(),
        file: file.to_string(),
        source,
    }
}

fn record_error(task: &str, file: &str, location: RecordLocation, message: String) -> TaskError {
    TaskError::Record {
        task: task.to_string(),
        file: file.to_string(),
        location,
        message,
    }
}

fn next_parquet_row(
    rows: &mut ParquetRows,
    file: FileInTask<'_>,
) -> Option<Result<RawRecord, TaskError>> {
    let (row, result) = rows.next_row()?;
    let location = RecordLocation::Row(row);
    Some(match result {
        Ok(fields) => Ok(file.record(fields, location)),
        Err(message) => Err(file.record_error(location, message)),
    })
}

/// The next non-blank line of a JSON-lines file, as an object.
fn next_json_line(
    reader: &mut Box<dyn BufRead + Send>,
    line: &mut u64,
    file: FileInTask<'_>,
) -> Option<Result<RawRecord, TaskError>> {
    loop {
        let mut text = String::new();
        *line += 1;
        let location = RecordLocation::Line(*line);
        match reader.read_line(&mut text) {
            Ok(0) => return None,
            Ok(_) if text.trim().is_empty() => continue,
            Ok(_) => {
                return Some(match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(fields)) => Ok(file.record(fields, location)),
                    Ok(other) => Err(file.record_error(
                        location,
                        format!("expected a JSON object, got {}", kind_of(&other)),
                    )),
                    Err(error) => Err(file.record_error(location, json_error(&error))),
                })
            }
            Err(error) => return Some(Err(io_error(file.task, &file.name, error))),
        }
    }
}

fn next_array_element(
    items: &mut std::vec::IntoIter<Value>,
    element: &mut u64,
    file: FileInTask<'_>,
) -> Option<Result<RawRecord, TaskError>> {
    let item = items.next()?;
    *element += 1;
    let location = RecordLocation::Element(*element);
    Some(match item {
        Value::Object(fields) => Ok(file.record(fields, location)),
        other => Err(file.record_error(
            location,
            format!("expected a JSON object, got {}", kind_of(&other)),
        )),
    })
}

/// The next CSV row, each cell typed by its column ([`csv_cell`]).
fn next_csv_row(
    reader: &mut csv::Reader<Box<dyn BufRead + Send>>,
    headers: &[String],
    columns: &[ColumnType],
    file: FileInTask<'_>,
) -> Option<Result<RawRecord, TaskError>> {
    let mut record = csv::StringRecord::new();
    let result = reader.read_record(&mut record);
    let line = record.position().map_or(0, |position| position.line());
    match result {
        Ok(false) => None,
        Ok(true) => {
            let fields = headers
                .iter()
                .zip(columns.iter())
                .zip(record.iter())
                .map(|((header, column), cell)| (header.clone(), csv_cell(cell, *column)))
                .collect();
            Some(Ok(file.record(fields, RecordLocation::Line(line))))
        }
        Err(error) => {
            let line = error.position().map_or(line, |position| position.line());
            Some(Err(file.record_error(
                RecordLocation::Line(line),
                format!("invalid CSV: {error}"),
            )))
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<RawRecord, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.current.is_some() {
                if let Some(record) = self.next_in_current() {
                    return Some(record);
                }
                self.current = None;
            }
            let (name, path) = self.pending.pop_front()?;
            match self.open(&name, &path) {
                Ok(records) => self.current = Some((name, records)),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

fn csv_cell(cell: &str, column: ColumnType) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match column {
        ColumnType::Integer => cell
            .parse::<i64>()
            .map_or_else(|_| Value::from(cell), Value::from),
        ColumnType::Float => cell
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        ColumnType::Text => Value::from(cell),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without its "at line 1 column N" (the line is ours to report).
fn json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    if error.line() == 1 && error.column() > 0 {
        format!("invalid JSON ({message} at column {})", error.column())
    } else {
        format!("invalid JSON ({message})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    fn read_all(files: Vec<(String, PathBuf)>) -> Vec<Result<RawRecord, TaskError>> {
        RecordReader::new("t", files).collect()
    }

    #[test]
    fn reads_every_format_in_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let jsonl = write(dir.path(), "a.jsonl", b"{\"x\": 1}\n\n{\"x\": 2}\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"x\": 3}\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let gz = write(dir.path(), "b.jsonl.gz", &gz.finish().unwrap_or_default());
        let array = write(dir.path(), "c.json", b" [{\"x\": 4}, {\"x\": 5}]");
        let csv = write(dir.path(), "d.csv", b"x,y,z\n6,a,1.5\n7,,2\n");
        let records = read_all(vec![
            ("a.jsonl".into(), jsonl),
            ("b.jsonl.gz".into(), gz),
            ("c.json".into(), array),
            ("d.csv".into(), csv),
        ]);
        let xs: Vec<String> = records
            .iter()
            .map(|record| match record {
                Ok(record) => format!("{}@{}", record.fields["x"], record.location),
                Err(error) => error.to_string(),
            })
            .collect();
        assert_eq!(
            xs,
            [
                "1@line 1",
                "2@line 3",
                "3@line 1",
                "4@element 1",
                "5@element 2",
                "6@line 2",
                "7@line 3"
            ]
        );
        let last = records.last().and_then(|record| record.as_ref().ok());
        assert_eq!(
            last.map(|record| record.fields["y"].clone()),
            Some(Value::Null)
        );
        assert_eq!(
            last.map(|record| record.fields["z"].clone()),
            Some(Value::from(2.0))
        );
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = write(
            dir.path(),
            "x.jsonl",
            b"{\"a\": 1}\n{\"a\": \n[1]\n{\"a\" 2}\n",
        );
        let records = read_all(vec![("x.jsonl".into(), path)]);
        let errors: Vec<String> = records
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "task t, line 2 of x.jsonl: invalid JSON (EOF while parsing a value)",
                "task t, line 3 of x.jsonl: expected a JSON object, got an array",
                "task t, line 4 of x.jsonl: invalid JSON (expected `:` at column 6)",
            ]
        );
    }

    #[test]
    fn missing_paths_say_how_to_get_the_data() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = resolve_data_file("arc_easy", &dir.path().join("nope"), "a.jsonl");
        let text = missing.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("data directory")
                && text.contains("YARDSTICK_DATA")
                && text.contains("--data-dir"),
            "{text}"
        );
        let missing = resolve_data_file("arc_easy", dir.path(), "arc_easy/ARC-Easy-Test.jsonl");
        let text = missing.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.starts_with("task arc_easy: dataset file ")
                && text.contains("ARC-Easy-Test.jsonl not found"),
            "{text}"
        );
    }
}
