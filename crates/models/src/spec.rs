//! What `pull` is asked for: a catalog name, or `hf:<owner>/<repo>/<file.gguf>[@revision]`
//! for any GGUF file on the Hugging Face hub.

use crate::ModelError;
use std::fmt;

/// A parsed pull argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// A name from the catalog.
    Catalog(String),
    /// A file on the Hugging Face hub that the catalog does not describe.
    Hub(HubSpec),
}

/// `hf:<owner>/<repo>/<file.gguf>[@revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSpec {
    /// `owner/name`.
    pub repo: String,
    /// Path inside the repository (may contain `/`).
    pub file: String,
    /// Branch, tag or commit; `None` means `main`.
    pub revision: Option<String>,
}

impl fmt::Display for HubSpec {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "hf:{}/{}", self.repo, self.file)?;
        if let Some(revision) = &self.revision {
            write!(formatter, "@{revision}")?;
        }
        Ok(())
    }
}

impl ModelSpec {
    /// Parses a pull argument. Anything not starting with `hf:` is a catalog name.
    pub fn parse(spec: &str) -> Result<Self, ModelError> {
        let Some(rest) = spec.strip_prefix("hf:") else {
            return Ok(Self::Catalog(spec.to_owned()));
        };
        let invalid = |reason: &str| ModelError::InvalidSpec {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (path, revision) = match rest.split_once(".gguf@") {
            Some((stem, revision)) => (format!("{stem}.gguf"), Some(revision.to_owned())),
            None => (rest.to_owned(), None),
        };
        if revision.as_deref().is_some_and(str::is_empty) {
            return Err(invalid("the revision after `@` is empty"));
        }
        let mut pieces = path.splitn(3, '/');
        let (Some(owner), Some(name), Some(file)) = (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(invalid("expected hf:<owner>/<repo>/<file.gguf>[@revision]"));
        };
        if owner.is_empty() || name.is_empty() || file.is_empty() {
            return Err(invalid("owner, repo and file must all be non-empty"));
        }
        if !file.ends_with(".gguf") {
            return Err(invalid("the file must be a `.gguf` file"));
        }
        if file
            .split('/')
            .any(|piece| piece.is_empty() || piece == "." || piece == "..")
        {
            return Err(invalid(
                "the file path must not contain empty, `.` or `..` parts",
            ));
        }
        Ok(Self::Hub(HubSpec {
            repo: format!("{owner}/{name}"),
            file: file.to_owned(),
            revision,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(spec: &str) -> HubSpec {
        match ModelSpec::parse(spec) {
            Ok(ModelSpec::Hub(hub)) => hub,
            other => panic!("{spec}: {other:?}"),
        }
    }

    #[test]
    fn catalog_names_pass_through() {
        assert_eq!(
            ModelSpec::parse("gemma-3-270m-q4_k_m").ok(),
            Some(ModelSpec::Catalog("gemma-3-270m-q4_k_m".into()))
        );
    }

    #[test]
    fn hub_specs_split_into_repo_file_and_revision() {
        let plain = hub("hf:Qwen/Qwen2.5-GGUF/q4.gguf");
        assert_eq!(plain.repo, "Qwen/Qwen2.5-GGUF");
        assert_eq!(plain.file, "q4.gguf");
        assert_eq!(plain.revision, None);
        let nested = hub("hf:o/r/sub/dir/m.gguf@refs/pr/1");
        assert_eq!(nested.file, "sub/dir/m.gguf");
        assert_eq!(nested.revision.as_deref(), Some("refs/pr/1"));
        assert_eq!(nested.to_string(), "hf:o/r/sub/dir/m.gguf@refs/pr/1");
    }

    #[test]
    fn malformed_hub_specs_say_what_is_expected() {
        for (spec, expected) in [
            ("hf:owner/repo", "hf:<owner>/<repo>/<file.gguf>"),
            ("hf:owner/repo/readme.md", ".gguf"),
            ("hf:/repo/m.gguf", "non-empty"),
            ("hf:o/r/m.gguf@", "revision"),
            ("hf:o/r/../m.gguf", "`..`"),
        ] {
            let error = ModelSpec::parse(spec).expect_err(spec);
            let message = error.to_string();
            assert!(
                message.contains(expected) && message.contains(spec),
                "{message}"
            );
        }
    }
}
