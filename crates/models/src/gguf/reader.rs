//! A reader for the GGUF v2/v3 header: magic, version, counts, metadata key/value pairs
//! (every value type, arrays included) and tensor infos. It never reads tensor data.
//!
//! Lengths and counts come from the file, so every one is checked against the bytes that
//! remain before anything is allocated: a corrupt header is an error, not an out-of-memory.

use super::{GgufArray, GgufHeader, GgufValue, TensorInfo, TensorType};
use std::io::{self, Read};

/// `GGUF` as it appears at the start of every file.
pub(crate) const MAGIC: [u8; 4] = *b"GGUF";

/// Why a header could not be read; turned into a [`crate::ModelError`] naming the path.
#[derive(Debug)]
pub(crate) enum HeaderError {
    /// The first four bytes are not `GGUF`.
    NotGguf { magic: Vec<u8> },
    /// The file ends inside the header: `expected` says what was still to come.
    Truncated { offset: u64, expected: String },
    /// A value in the header is impossible or unsupported.
    Invalid { offset: u64, reason: String },
    /// Reading failed for a reason other than end of file.
    Io(io::Error),
}

/// The most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
const MAX_TENSOR_DIMS: u32 = 4;
/// Nested arrays deeper than this are refused (real files nest at most once).
const MAX_ARRAY_DEPTH: u32 = 8;

/// Reads a GGUF header from `input`, which holds `file_size` bytes in all.
pub(crate) fn read_header(input: impl Read, file_size: u64) -> Result<GgufHeader, HeaderError> {
    let mut reader = Reader {
        input,
        offset: 0,
        file_size,
    };
    let mut magic = [0u8; 4];
    let read = reader.read_up_to(&mut magic)?;
    if read < 4 || magic != MAGIC {
        return Err(HeaderError::NotGguf {
            magic: magic[..read].to_vec(),
        });
    }
    let version = reader.u32()?;
    if version == 1 {
        return Err(reader.invalid("GGUF version 1 is not supported (only versions 2 and 3)"));
    }
    if !(2..=3).contains(&version) {
        let hint = if version.swap_bytes() <= 3 {
            " (a big-endian file?)"
        } else {
            ""
        };
        return Err(reader.invalid(format!(
            "unsupported GGUF version {version}{hint}; supported: 2, 3"
        )));
    }
    let tensor_count = reader.u64()?;
    let metadata_count = reader.u64()?;
    // Each key/value pair takes at least 8 (key length) + 4 (type) + 1 bytes, each tensor
    // info at least 8 + 4 + 4 + 8.
    reader.check_count(metadata_count, 13, "metadata key/value pairs")?;
    reader.check_count(tensor_count, 24, "tensor infos")?;

    let mut metadata = Vec::with_capacity(metadata_count as usize);
    for _ in 0..metadata_count {
        let key = reader.string()?;
        let type_offset = reader.offset;
        let value_type = reader.u32()?;
        let value = reader
            .value(value_type, type_offset)
            .map_err(|error| match error {
                HeaderError::Invalid { offset, reason } => HeaderError::Invalid {
                    offset,
                    reason: format!("key `{key}`: {reason}"),
                },
                other => other,
            })?;
        metadata.push((key, value));
    }

    let mut tensors = Vec::with_capacity(tensor_count as usize);
    for _ in 0..tensor_count {
        let name = reader.string()?;
        let dimension_count = reader.u32()?;
        if dimension_count > MAX_TENSOR_DIMS {
            return Err(reader.invalid(format!(
                "tensor `{name}` has {dimension_count} dimensions (at most {MAX_TENSOR_DIMS})"
            )));
        }
        let mut dimensions = Vec::with_capacity(dimension_count as usize);
        for _ in 0..dimension_count {
            dimensions.push(reader.u64()?);
        }
        let tensor_type = TensorType(reader.u32()?);
        let offset = reader.u64()?;
        tensors.push(TensorInfo {
            name,
            dimensions,
            tensor_type,
            offset,
        });
    }

    Ok(GgufHeader {
        version,
        metadata,
        tensors,
        header_size_bytes: reader.offset,
    })
}

struct Reader<R> {
    input: R,
    offset: u64,
    file_size: u64,
}

impl<R: Read> Reader<R> {
    fn invalid(&self, reason: impl Into<String>) -> HeaderError {
        HeaderError::Invalid {
            offset: self.offset,
            reason: reason.into(),
        }
    }

    /// Reads as many bytes as are there, up to `buffer.len()`.
    fn read_up_to(&mut self, buffer: &mut [u8]) -> Result<usize, HeaderError> {
        let mut filled = 0;
        while filled < buffer.len() {
            match self.input.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(HeaderError::Io(error)),
            }
        }
        self.offset += filled as u64;
        Ok(filled)
    }

    fn exact(&mut self, buffer: &mut [u8]) -> Result<(), HeaderError> {
        let start = self.offset;
        if self.read_up_to(buffer)? < buffer.len() {
            return Err(HeaderError::Truncated {
                offset: start,
                expected: format!("{} more bytes", buffer.len()),
            });
        }
        Ok(())
    }

    fn remaining(&self) -> u64 {
        self.file_size.saturating_sub(self.offset)
    }

    /// Refuses a count whose elements (at least `min_element_bytes` each) could not fit in
    /// the rest of the file.
    fn check_count(
        &self,
        count: u64,
        min_element_bytes: u64,
        what: &str,
    ) -> Result<(), HeaderError> {
        if count.saturating_mul(min_element_bytes) > self.remaining() {
            return Err(HeaderError::Truncated {
                offset: self.offset,
                expected: format!("{count} {what}"),
            });
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HeaderError> {
        let mut bytes = [0u8; N];
        self.exact(&mut bytes)?;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, HeaderError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, HeaderError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, HeaderError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, HeaderError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn bool(&mut self) -> Result<bool, HeaderError> {
        let start = self.offset;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(HeaderError::Invalid {
                offset: start,
                reason: format!("boolean value {other} is neither 0 nor 1"),
            }),
        }
    }

    fn string(&mut self) -> Result<String, HeaderError> {
        let length = self.u64()?;
        self.check_count(length, 1, "string bytes")?;
        let mut bytes = vec![0u8; length as usize];
        let start = self.offset;
        self.exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|_| HeaderError::Invalid {
            offset: start,
            reason: "string is not valid UTF-8".into(),
        })
    }

    /// Reads one value of `value_type`, whose type number was read at `type_offset`.
    fn value(&mut self, value_type: u32, type_offset: u64) -> Result<GgufValue, HeaderError> {
        Ok(match value_type {
            0 => GgufValue::U8(self.u8()?),
            1 => GgufValue::I8(self.u8()? as i8),
            2 => GgufValue::U16(self.u16()?),
            3 => GgufValue::I16(self.u16()? as i16),
            4 => GgufValue::U32(self.u32()?),
            5 => GgufValue::I32(self.u32()? as i32),
            6 => GgufValue::F32(f32::from_bits(self.u32()?)),
            7 => GgufValue::Bool(self.bool()?),
            8 => GgufValue::String(self.string()?),
            9 => GgufValue::Array(self.array_value(0)?),
            10 => GgufValue::U64(self.u64()?),
            11 => GgufValue::I64(self.u64()? as i64),
            12 => GgufValue::F64(f64::from_bits(self.u64()?)),
            other => {
                return Err(HeaderError::Invalid {
                    offset: type_offset,
                    reason: format!("unknown metadata value type {other}"),
                })
            }
        })
    }

    fn array_value(&mut self, depth: u32) -> Result<GgufArray, HeaderError> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(self.invalid(format!("arrays nested deeper than {MAX_ARRAY_DEPTH}")));
        }
        let element_type = self.u32()?;
        let count = self.u64()?;
        let element_bytes = match element_type {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            8 | 10..=12 => 8,
            9 => 12,
            other => return Err(self.invalid(format!("unknown array element type {other}"))),
        };
        self.check_count(count, element_bytes, "array elements")?;
        let count = count as usize;
        macro_rules! collect {
            ($variant:ident, $read:expr) => {{
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push($read(&mut *self)?);
                }
                GgufArray::$variant(values)
            }};
        }
        Ok(match element_type {
            0 => collect!(U8, |r: &mut Self| r.u8()),
            1 => collect!(I8, |r: &mut Self| r.u8().map(|v| v as i8)),
            2 => collect!(U16, |r: &mut Self| r.u16()),
            3 => collect!(I16, |r: &mut Self| r.u16().map(|v| v as i16)),
            4 => collect!(U32, |r: &mut Self| r.u32()),
            5 => collect!(I32, |r: &mut Self| r.u32().map(|v| v as i32)),
            6 => collect!(F32, |r: &mut Self| r.u32().map(f32::from_bits)),
            7 => collect!(Bool, |r: &mut Self| r.bool()),
            8 => collect!(String, |r: &mut Self| r.string()),
            10 => collect!(U64, |r: &mut Self| r.u64()),
            11 => collect!(I64, |r: &mut Self| r.u64().map(|v| v as i64)),
            12 => collect!(F64, |r: &mut Self| r.u64().map(f64::from_bits)),
            _ => collect!(Array, |r: &mut Self| r.array_value(depth + 1)),
        })
    }
}
