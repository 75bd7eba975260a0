//! The facts yardstick needs from a GGUF header: what the model is, how big, how quantized,
//! how long a context it takes and how its prompts must be framed (BOS, chat template).

use super::{FileType, GgufArray, GgufHeader, GgufValue, TensorType};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How a file's weights are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quantization {
    /// `general.file_type`, e.g. `Q4_K_M` (absent in some converted files).
    pub file_type: Option<FileType>,
    /// The tensor type holding the most parameters, e.g. `Q4_K`.
    pub dominant_tensor_type: Option<TensorType>,
    /// Parameters per tensor type, by type name.
    pub parameters_by_tensor_type: BTreeMap<String, u64>,
}

impl fmt::Display for Quantization {
    /// `Q4_K_M`, or `mostly Q4_K` when the file does not say its file type.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file_type, self.dominant_tensor_type) {
            (Some(file_type), _) => write!(formatter, "{file_type}"),
            (None, Some(tensor_type)) => write!(formatter, "mostly {tensor_type}"),
            (None, None) => formatter.write_str("unknown"),
        }
    }
}

/// What a GGUF header says about its model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GgufSummary {
    /// GGUF format version.
    pub version: u32,
    /// `general.architecture`, e.g. `gemma3`, `qwen2`, `llama`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// Sum over all tensors of the product of their dimensions.
    pub parameter_count: u64,
    pub tensor_count: u64,
    pub quantization: Quantization,
    /// `<architecture>.context_length`: the context the model was trained for.
    pub context_length: Option<u64>,
    /// `<architecture>.embedding_length`.
    pub embedding_length: Option<u64>,
    /// `<architecture>.block_count` (layers).
    pub block_count: Option<u64>,
    /// `tokenizer.ggml.model`, e.g. `llama` (SentencePiece) or `gpt2` (BPE).
    pub tokenizer_model: Option<String>,
    /// Number of tokens in `tokenizer.ggml.tokens` (else `<architecture>.vocab_size`).
    pub vocab_size: Option<u64>,
    /// `tokenizer.ggml.add_bos_token`: whether prompts must start with BOS.
    pub add_bos_token: Option<bool>,
    /// `tokenizer.ggml.add_eos_token`.
    pub add_eos_token: Option<bool>,
    pub bos_token_id: Option<u64>,
    pub eos_token_id: Option<u64>,
    /// Whether `tokenizer.chat_template` is present.
    pub has_chat_template: bool,
    /// The Jinja chat template itself.
    #[serde(skip_serializing)]
    pub chat_template: Option<String>,
    /// Number of metadata key/value pairs.
    pub metadata_count: u64,
}

impl GgufSummary {
    /// Summarises a header.
    pub fn from_header(header: &GgufHeader) -> Self {
        let text = |key: &str| {
            header
                .get(key)
                .and_then(GgufValue::as_str)
                .map(str::to_owned)
        };
        let number = |key: &str| header.get(key).and_then(GgufValue::as_u64);
        let flag = |key: &str| header.get(key).and_then(GgufValue::as_bool);

        let architecture = text("general.architecture");
        let architecture_number = |suffix: &str| {
            architecture
                .as_deref()
                .and_then(|arch| number(&format!("{arch}.{suffix}")))
        };

        let mut parameters_by_type: BTreeMap<TensorType, u64> = BTreeMap::new();
        for tensor in &header.tensors {
            let parameters = parameters_by_type.entry(tensor.tensor_type).or_default();
            *parameters = parameters.saturating_add(tensor.element_count());
        }
        let parameter_count = parameters_by_type
            .values()
            .fold(0u64, |sum, &count| sum.saturating_add(count));
        let dominant_tensor_type = parameters_by_type
            .iter()
            .max_by_key(|(tensor_type, count)| (**count, std::cmp::Reverse(**tensor_type)))
            .map(|(tensor_type, _)| *tensor_type);
        let file_type = number("general.file_type")
            .and_then(|id| u32::try_from(id).ok())
            .map(FileType);

        let vocab_size = header
            .get("tokenizer.ggml.tokens")
            .and_then(GgufValue::as_array)
            .map(|tokens: &GgufArray| tokens.len() as u64)
            .or_else(|| architecture_number("vocab_size"));
        let chat_template = text("tokenizer.chat_template");

        Self {
            version: header.version,
            name: text("general.name"),
            parameter_count,
            tensor_count: header.tensors.len() as u64,
            quantization: Quantization {
                file_type,
                dominant_tensor_type,
                parameters_by_tensor_type: parameters_by_type
                    .iter()
                    .map(|(tensor_type, count)| (tensor_type.to_string(), *count))
                    .collect(),
            },
            context_length: architecture_number("context_length"),
            embedding_length: architecture_number("embedding_length"),
            block_count: architecture_number("block_count"),
            tokenizer_model: text("tokenizer.ggml.model"),
            vocab_size,
            add_bos_token: flag("tokenizer.ggml.add_bos_token"),
            add_eos_token: flag("tokenizer.ggml.add_eos_token"),
            bos_token_id: number("tokenizer.ggml.bos_token_id"),
            eos_token_id: number("tokenizer.ggml.eos_token_id"),
            has_chat_template: chat_template.is_some(),
            chat_template,
            metadata_count: header.metadata.len() as u64,
            architecture,
        }
    }
}
