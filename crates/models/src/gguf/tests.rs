//! Header reader tests on files written here, byte by byte, in the GGUF layout.

use super::*;
use std::path::PathBuf;

/// Writes GGUF headers for tests (little-endian, v3 unless told otherwise).
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn new(version: u32, tensor_count: u64, metadata_count: u64) -> Self {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(version.to_le_bytes());
        bytes.extend(tensor_count.to_le_bytes());
        bytes.extend(metadata_count.to_le_bytes());
        Self { bytes }
    }
    fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes.extend(value.to_le_bytes());
        self
    }
    fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes.extend(value.to_le_bytes());
        self
    }
    fn string(&mut self, value: &str) -> &mut Self {
        self.u64(value.len() as u64);
        self.bytes.extend(value.as_bytes());
        self
    }
    fn key(&mut self, key: &str, value_type: u32) -> &mut Self {
        self.string(key).u32(value_type)
    }
    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend(bytes);
        self
    }
    fn tensor(&mut self, name: &str, dimensions: &[u64], tensor_type: u32) -> &mut Self {
        self.string(name).u32(dimensions.len() as u32);
        for &dimension in dimensions {
            self.u64(dimension);
        }
        self.u32(tensor_type).u64(0)
    }
}

fn parse(bytes: &[u8]) -> Result<GgufHeader, ModelError> {
    GgufHeader::from_reader(bytes, bytes.len() as u64, &PathBuf::from("test.gguf"))
}

/// A small but complete header: every scalar type, string and nested arrays, two tensors.
fn sample() -> Vec<u8> {
    let mut writer = Writer::new(3, 2, 17);
    writer
        .key("general.architecture", 8)
        .string("llama")
        .key("general.name", 8)
        .string("Tiny Test")
        .key("general.file_type", 4)
        .u32(15)
        .key("llama.context_length", 4)
        .u32(4096)
        .key("llama.embedding_length", 10)
        .u64(8)
        .key("llama.block_count", 5)
        .raw(&2i32.to_le_bytes())
        .key("tokenizer.ggml.model", 8)
        .string("gpt2")
        .key("tokenizer.ggml.tokens", 9)
        .u32(8)
        .u64(3)
        .string("a")
        .string("b")
        .string("<s>")
        .key("tokenizer.ggml.add_bos_token", 7)
        .raw(&[1])
        .key("tokenizer.ggml.bos_token_id", 4)
        .u32(2)
        .key("tokenizer.chat_template", 8)
        .string("{{ messages }}")
        .key("test.u8", 0)
        .raw(&[7])
        .key("test.i16", 3)
        .raw(&(-3i16).to_le_bytes())
        .key("test.f32", 6)
        .raw(&1.5f32.to_le_bytes())
        .key("test.f64", 12)
        .raw(&(-2.25f64).to_le_bytes())
        .key("test.i64", 11)
        .raw(&(-9i64).to_le_bytes())
        .key("test.nested", 9)
        .u32(9)
        .u64(2)
        .u32(4)
        .u64(2)
        .u32(1)
        .u32(2)
        .u32(7)
        .u64(1)
        .raw(&[0]);
    writer
        .tensor("token_embd.weight", &[8, 3], 12)
        .tensor("output_norm.weight", &[8], 0);
    writer.bytes
}

#[test]
fn reads_every_value_type_and_the_tensor_infos() {
    let bytes = sample();
    let header = parse(&bytes).expect("sample header parses");
    assert_eq!(header.version, 3);
    assert_eq!(header.metadata.len(), 17);
    assert_eq!(header.header_size_bytes, bytes.len() as u64);
    assert_eq!(header.get("test.u8"), Some(&GgufValue::U8(7)));
    assert_eq!(header.get("test.i16"), Some(&GgufValue::I16(-3)));
    assert_eq!(header.get("test.f32"), Some(&GgufValue::F32(1.5)));
    assert_eq!(header.get("test.f64"), Some(&GgufValue::F64(-2.25)));
    assert_eq!(header.get("test.i64"), Some(&GgufValue::I64(-9)));
    assert_eq!(header.get("llama.block_count"), Some(&GgufValue::I32(2)));
    assert_eq!(
        header.get("test.nested"),
        Some(&GgufValue::Array(GgufArray::Array(vec![
            GgufArray::U32(vec![1, 2]),
            GgufArray::Bool(vec![false]),
        ])))
    );
    assert_eq!(
        header.tensors[0],
        TensorInfo {
            name: "token_embd.weight".into(),
            dimensions: vec![8, 3],
            tensor_type: TensorType(12),
            offset: 0,
        }
    );
    assert_eq!(header.tensors[1].element_count(), 8);
}

#[test]
fn summary_reports_architecture_size_quantization_and_prompt_framing() {
    let header = parse(&sample()).expect("sample header parses");
    let summary = GgufSummary::from_header(&header);
    assert_eq!(summary.architecture.as_deref(), Some("llama"));
    assert_eq!(summary.name.as_deref(), Some("Tiny Test"));
    assert_eq!(summary.parameter_count, 8 * 3 + 8);
    assert_eq!(summary.tensor_count, 2);
    assert_eq!(summary.quantization.file_type, Some(FileType(15)));
    assert_eq!(summary.quantization.to_string(), "Q4_K_M");
    assert_eq!(
        summary.quantization.dominant_tensor_type,
        Some(TensorType(12))
    );
    assert_eq!(
        summary.quantization.parameters_by_tensor_type,
        BTreeMap::from([("F32".to_string(), 8), ("Q4_K".to_string(), 24)])
    );
    assert_eq!(summary.context_length, Some(4096));
    assert_eq!(summary.embedding_length, Some(8));
    assert_eq!(summary.block_count, Some(2));
    assert_eq!(summary.vocab_size, Some(3));
    assert_eq!(summary.tokenizer_model.as_deref(), Some("gpt2"));
    assert_eq!(summary.add_bos_token, Some(true));
    assert_eq!(summary.add_eos_token, None);
    assert_eq!(summary.bos_token_id, Some(2));
    assert!(summary.has_chat_template);
    assert_eq!(summary.chat_template.as_deref(), Some("{{ messages }}"));
}

use std::collections::BTreeMap;

#[test]
fn summary_without_file_type_falls_back_to_the_dominant_tensor_type() {
    let mut writer = Writer::new(2, 2, 0);
    writer.tensor("a", &[4, 4], 8).tensor("b", &[4], 1);
    let summary = GgufSummary::from_header(&parse(&writer.bytes).expect("parses"));
    assert_eq!(summary.quantization.file_type, None);
    assert_eq!(summary.quantization.to_string(), "mostly Q8_0");
    assert_eq!(summary.architecture, None);
    assert!(!summary.has_chat_template);
}

#[test]
fn every_truncation_of_a_valid_header_is_a_clear_error() {
    let bytes = sample();
    for length in 0..bytes.len() {
        let error = parse(&bytes[..length]).expect_err("a truncated header must not parse");
        let message = error.to_string();
        assert!(message.contains("test.gguf"), "{length}: {message}");
        match error {
            ModelError::NotGguf { .. } => assert!(length < 4, "{length}: {message}"),
            ModelError::TruncatedGguf { size_bytes, .. } => {
                assert_eq!(size_bytes, length as u64);
                assert!(message.contains("truncated"), "{message}");
            }
            other => panic!("{length}: unexpected error {other}"),
        }
    }
}

#[test]
fn a_file_that_is_not_gguf_is_named_in_the_error() {
    let error = parse(b"PK\x03\x04 this is a zip").expect_err("not GGUF");
    assert!(matches!(error, ModelError::NotGguf { .. }));
    let message = error.to_string();
    assert!(
        message.contains("test.gguf") && message.contains("not a GGUF file"),
        "{message}"
    );
}

#[test]
fn unsupported_versions_are_refused() {
    let error = parse(&Writer::new(1, 0, 0).bytes).expect_err("v1");
    assert!(error.to_string().contains("version 1"), "{error}");
    let big_endian = Writer::new(3u32.swap_bytes(), 0, 0).bytes;
    let error = parse(&big_endian).expect_err("big-endian");
    assert!(error.to_string().contains("big-endian"), "{error}");
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let mut writer = Writer::new(3, 0, 1);
    writer
        .key("tokenizer.ggml.tokens", 9)
        .u32(8)
        .u64(u64::MAX / 2);
    let error = parse(&writer.bytes).expect_err("absurd array");
    assert!(matches!(error, ModelError::TruncatedGguf { .. }), "{error}");

    let error = parse(&Writer::new(3, u64::MAX, 0).bytes).expect_err("absurd tensor count");
    assert!(matches!(error, ModelError::TruncatedGguf { .. }), "{error}");
}

#[test]
fn invalid_values_name_the_offset() {
    let mut writer = Writer::new(3, 0, 1);
    writer.key("x", 13).u32(0);
    let error = parse(&writer.bytes).expect_err("unknown value type");
    let message = error.to_string();
    assert!(
        message.contains("unknown metadata value type 13"),
        "{message}"
    );
    assert!(message.contains("byte 33"), "{message}");

    let mut writer = Writer::new(3, 0, 1);
    writer.key("flag", 7).raw(&[2]);
    let error = parse(&writer.bytes).expect_err("bad bool");
    assert!(error.to_string().contains("neither 0 nor 1"), "{error}");

    let mut writer = Writer::new(3, 1, 0);
    writer.string("t").u32(5);
    writer.bytes.extend([0u8; 64]);
    let error = parse(&writer.bytes).expect_err("too many dimensions");
    assert!(error.to_string().contains("5 dimensions"), "{error}");
}
