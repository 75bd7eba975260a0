//! GGUF header: the raw key/value metadata and tensor infos of a file ([`GgufHeader`]) and
//! the facts yardstick needs from them ([`GgufSummary`]). Only the header is read, never
//! tensor data, so inspecting a multi-gigabyte model reads a few megabytes.

mod reader;
mod summary;
mod types;

pub use summary::{GgufSummary, Quantization};
pub use types::{FileType, TensorType};

use crate::ModelError;
use reader::HeaderError;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// One metadata value. GGUF integers keep their stored width and sign.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    Array(GgufArray),
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A metadata array, stored compactly by element type (a 262k-token vocabulary is one
/// `Vec<String>`, not 262k enum values).
#[derive(Debug, Clone, PartialEq)]
pub enum GgufArray {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    Bool(Vec<bool>),
    String(Vec<String>),
    Array(Vec<GgufArray>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl GgufArray {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::U8(values) => values.len(),
            Self::I8(values) => values.len(),
            Self::U16(values) => values.len(),
            Self::I16(values) => values.len(),
            Self::U32(values) => values.len(),
            Self::I32(values) => values.len(),
            Self::F32(values) => values.len(),
            Self::Bool(values) => values.len(),
            Self::String(values) => values.len(),
            Self::Array(values) => values.len(),
            Self::U64(values) => values.len(),
            Self::I64(values) => values.len(),
            Self::F64(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl GgufValue {
    /// The value as an unsigned integer, for any integer type holding a non-negative value.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(value) => Some(value.into()),
            Self::U16(value) => Some(value.into()),
            Self::U32(value) => Some(value.into()),
            Self::U64(value) => Some(value),
            Self::I8(value) => u64::try_from(value).ok(),
            Self::I16(value) => u64::try_from(value).ok(),
            Self::I32(value) => u64::try_from(value).ok(),
            Self::I64(value) => u64::try_from(value).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&GgufArray> {
        match self {
            Self::Array(array) => Some(array),
            _ => None,
        }
    }
}

/// One tensor's description in the header (its data is not read).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions, innermost first, as ggml stores them.
    pub dimensions: Vec<u64>,
    pub tensor_type: TensorType,
    /// Offset of the data from the start of the tensor-data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements (the product of the dimensions; 1 for a scalar).
    pub fn element_count(&self) -> u64 {
        self.dimensions.iter().fold(1u64, |product, &dimension| {
            product.saturating_mul(dimension)
        })
    }
}

/// Everything in a GGUF header, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHeader {
    /// GGUF format version (2 or 3).
    pub version: u32,
    pub metadata: Vec<(String, GgufValue)>,
    pub tensors: Vec<TensorInfo>,
    /// Bytes from the start of the file to the end of the tensor infos.
    pub header_size_bytes: u64,
}

impl GgufHeader {
    /// The value of metadata key `key`, if present.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata
            .iter()
            .find(|(candidate, _)| candidate == key)
            .map(|(_, value)| value)
    }

    /// Reads the header of the GGUF file at `path` (blocking I/O).
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let file = File::open(path).map_err(|source| ModelError::io("opening", path, source))?;
        let size = file
            .metadata()
            .map_err(|source| ModelError::io("reading the size of", path, source))?
            .len();
        Self::from_reader(BufReader::with_capacity(1 << 20, file), size, path)
    }

    /// Reads a header from `input` holding `size_bytes` bytes; `path` names it in errors.
    pub fn from_reader(
        input: impl std::io::Read,
        size_bytes: u64,
        path: &Path,
    ) -> Result<Self, ModelError> {
        reader::read_header(input, size_bytes).map_err(|error| match error {
            HeaderError::NotGguf { magic } => ModelError::NotGguf {
                path: path.to_path_buf(),
                magic,
            },
            HeaderError::Truncated { offset, expected } => ModelError::TruncatedGguf {
                path: path.to_path_buf(),
                offset,
                expected,
                size_bytes,
            },
            HeaderError::Invalid { offset, reason } => ModelError::InvalidGguf {
                path: path.to_path_buf(),
                offset,
                reason,
            },
            HeaderError::Io(source) => ModelError::io("reading the GGUF header of", path, source),
        })
    }
}

#[cfg(test)]
mod tests;
