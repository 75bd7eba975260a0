//! ggml's numbered enums as they appear in GGUF files: the per-tensor storage type
//! (`ggml_type`) and the whole-file quantization (`general.file_type`, llama.cpp's
//! `llama_ftype`). Both are open-ended upstream, so they are newtypes over the number with
//! the names known today; an unknown number prints as `unknown(N)`.

use serde::{Serialize, Serializer};
use std::fmt;

/// ggml's `ggml_type` numbers and names (removed numbers are left out).
const TENSOR_TYPES: &[(u32, &str)] = &[
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (6, "Q5_0"),
    (7, "Q5_1"),
    (8, "Q8_0"),
    (9, "Q8_1"),
    (10, "Q2_K"),
    (11, "Q3_K"),
    (12, "Q4_K"),
    (13, "Q5_K"),
    (14, "Q6_K"),
    (15, "Q8_K"),
    (16, "IQ2_XXS"),
    (17, "IQ2_XS"),
    (18, "IQ3_XXS"),
    (19, "IQ1_S"),
    (20, "IQ4_NL"),
    (21, "IQ3_S"),
    (22, "IQ2_S"),
    (23, "IQ4_XS"),
    (24, "I8"),
    (25, "I16"),
    (26, "I32"),
    (27, "I64"),
    (28, "F64"),
    (29, "IQ1_M"),
    (30, "BF16"),
    (34, "TQ1_0"),
    (35, "TQ2_0"),
    (39, "MXFP4"),
];

/// llama.cpp's `llama_ftype` numbers and names, as stored in `general.file_type`.
const FILE_TYPES: &[(u32, &str)] = &[
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (7, "Q8_0"),
    (8, "Q5_0"),
    (9, "Q5_1"),
    (10, "Q2_K"),
    (11, "Q3_K_S"),
    (12, "Q3_K_M"),
    (13, "Q3_K_L"),
    (14, "Q4_K_S"),
    (15, "Q4_K_M"),
    (16, "Q5_K_S"),
    (17, "Q5_K_M"),
    (18, "Q6_K"),
    (19, "IQ2_XXS"),
    (20, "IQ2_XS"),
    (21, "Q2_K_S"),
    (22, "IQ3_XS"),
    (23, "IQ3_XXS"),
    (24, "IQ1_S"),
    (25, "IQ4_NL"),
    (26, "IQ3_S"),
    (27, "IQ3_M"),
    (28, "IQ2_S"),
    (29, "IQ2_M"),
    (30, "IQ4_XS"),
    (31, "IQ1_M"),
    (32, "BF16"),
    (36, "TQ1_0"),
    (37, "TQ2_0"),
    (38, "MXFP4_MOE"),
];

fn lookup(table: &[(u32, &'static str)], id: u32) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
}

/// How one tensor's data is stored (`ggml_type`), e.g. `Q4_K`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TensorType(pub u32);

impl TensorType {
    /// The ggml name, or `None` for a number this reader does not know.
    pub fn name(self) -> Option<&'static str> {
        lookup(TENSOR_TYPES, self.0)
    }
}

/// The quantization a whole file was made with (`general.file_type`), e.g. `Q4_K_M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileType(pub u32);

impl FileType {
    /// The llama.cpp name, or `None` for a number this reader does not know.
    pub fn name(self) -> Option<&'static str> {
        lookup(FILE_TYPES, self.0)
    }
}

macro_rules! display_and_serialize_by_name {
    ($type:ty) => {
        impl fmt::Display for $type {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => formatter.write_str(name),
                    None => write!(formatter, "unknown({})", self.0),
                }
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

display_and_serialize_by_name!(TensorType);
display_and_serialize_by_name!(FileType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers_have_llama_cpp_names() {
        assert_eq!(FileType(15).to_string(), "Q4_K_M");
        assert_eq!(FileType(7).to_string(), "Q8_0");
        assert_eq!(TensorType(12).to_string(), "Q4_K");
        assert_eq!(TensorType(14).to_string(), "Q6_K");
        assert_eq!(TensorType(30).to_string(), "BF16");
    }

    #[test]
    fn unknown_numbers_print_the_number() {
        assert_eq!(FileType(999).to_string(), "unknown(999)");
        assert_eq!(TensorType(4).name(), None);
        assert_eq!(
            serde_json::to_string(&TensorType(4)).ok().as_deref(),
            Some("\"unknown(4)\"")
        );
    }

    #[test]
    fn tables_have_no_duplicate_numbers() {
        for table in [TENSOR_TYPES, FILE_TYPES] {
            let mut ids: Vec<u32> = table.iter().map(|(id, _)| *id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), table.len());
        }
    }
}
