//! The Hugging Face settings every HF tool reads from the environment: endpoint, token, hub
//! cache, offline mode. One resolution shared by model pulls and dataset downloads.
//!
//! Pure: the caller passes the environment, the home directory and a file reader, so this
//! module does no I/O itself and tests can give it any environment:
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use yardstick_core::HfEnvironment;
//!
//! let variable = |name: &str| (name == "HF_HOME").then(|| "/data/hf".to_string());
//! let no_file = |_: &Path| None;
//! let resolved = HfEnvironment::resolve(variable, None, no_file);
//! assert_eq!(resolved.map(|hf| hf.cache_dir).ok(), Some(PathBuf::from("/data/hf/hub")));
//! ```
//!
//! Programs call it with the process environment:
//!
//! ```text
//! HfEnvironment::resolve(
//!     |name| std::env::var(name).ok(),
//!     dirs::home_dir(),
//!     |path| std::fs::read_to_string(path).ok(),
//! )
//! ```

use std::path::{Path, PathBuf};

/// The default hub endpoint.
pub const DEFAULT_HF_ENDPOINT: &str = "https://huggingface.co";

/// Where the hub is, which token to send and where the cache is, as the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfEnvironment {
    /// `$HF_ENDPOINT`, default `https://huggingface.co`.
    pub endpoint: String,
    /// Sent as `Authorization: Bearer`: `$HF_TOKEN`, else `$HUGGING_FACE_HUB_TOKEN`, else the
    /// file `huggingface-cli login` writes (`$HF_TOKEN_PATH`, else `$HF_HOME/token`), trimmed.
    pub token: Option<String>,
    /// The hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    pub cache_dir: PathBuf,
    /// Use only the cache: `$HF_HUB_OFFLINE` or `$HF_DATASETS_OFFLINE` is `1`, `on`, `yes` or
    /// `true` (any case).
    pub offline: bool,
}

/// Neither `$HF_HUB_CACHE` nor `$HF_HOME` is set and there is no home directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no home directory for the Hugging Face cache: set HF_HOME or HF_HUB_CACHE")]
pub struct NoHfCache;

impl HfEnvironment {
    /// Resolves the settings from `variable` (an environment lookup; empty values count as
    /// unset), `home_dir` (the user's home directory, if any) and `read_file` (reads the
    /// token file; `None` when it cannot be read).
    pub fn resolve(
        variable: impl Fn(&str) -> Option<String>,
        home_dir: Option<PathBuf>,
        read_file: impl Fn(&Path) -> Option<String>,
    ) -> Result<HfEnvironment, NoHfCache> {
        let variable = |name: &str| variable(name).filter(|value| !value.is_empty());
        let truthy = |name: &str| {
            variable(name).is_some_and(|value| {
                matches!(
                    value.to_ascii_uppercase().as_str(),
                    "1" | "ON" | "YES" | "TRUE"
                )
            })
        };
        let hf_home = variable("HF_HOME")
            .map(PathBuf::from)
            .or_else(|| home_dir.map(|home| home.join(".cache").join("huggingface")));
        let cache_dir = variable("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| hf_home.as_ref().map(|home| home.join("hub")))
            .ok_or(NoHfCache)?;
        let token = variable("HF_TOKEN")
            .or_else(|| variable("HUGGING_FACE_HUB_TOKEN"))
            .or_else(|| {
                let path = variable("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .or_else(|| hf_home.as_ref().map(|home| home.join("token")))?;
                let token = read_file(&path)?;
                Some(token.trim().to_owned()).filter(|token| !token.is_empty())
            });
        Ok(HfEnvironment {
            endpoint: variable("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_HF_ENDPOINT.into()),
            token,
            cache_dir,
            offline: truthy("HF_HUB_OFFLINE") || truthy("HF_DATASETS_OFFLINE"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Resolves with `variables` as the whole environment, `home` as the home directory and
    /// `files` as the only readable files.
    fn resolve(
        variables: &[(&str, &str)],
        home: Option<&str>,
        files: &[(&str, &str)],
    ) -> Result<HfEnvironment, NoHfCache> {
        let variables: BTreeMap<String, String> = variables
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let files: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.to_string()))
            .collect();
        HfEnvironment::resolve(
            |name| variables.get(name).cloned(),
            home.map(PathBuf::from),
            |path| files.get(path).cloned(),
        )
    }

    #[test]
    fn defaults_under_the_home_directory() {
        let resolved = resolve(&[], Some("/home/me"), &[]);
        assert_eq!(
            resolved,
            Ok(HfEnvironment {
                endpoint: DEFAULT_HF_ENDPOINT.into(),
                token: None,
                cache_dir: PathBuf::from("/home/me/.cache/huggingface/hub"),
                offline: false,
            })
        );
    }

    #[test]
    fn token_file_under_the_default_home_is_read_and_trimmed() {
        let resolved = resolve(
            &[],
            Some("/home/me"),
            &[("/home/me/.cache/huggingface/token", " hf_abc \n")],
        );
        assert_eq!(resolved.map(|hf| hf.token), Ok(Some("hf_abc".into())));
    }

    #[test]
    fn variables_override_the_defaults_in_order() {
        let resolved = resolve(
            &[
                ("HF_HOME", "/data/hf"),
                ("HF_ENDPOINT", "http://127.0.0.1:9000"),
                ("HUGGING_FACE_HUB_TOKEN", "legacy"),
                ("HF_DATASETS_OFFLINE", "yes"),
            ],
            Some("/home/me"),
            &[("/data/hf/token", "from-file")],
        );
        assert_eq!(
            resolved,
            Ok(HfEnvironment {
                endpoint: "http://127.0.0.1:9000".into(),
                token: Some("legacy".into()),
                cache_dir: PathBuf::from("/data/hf/hub"),
                offline: true,
            })
        );
        let resolved = resolve(
            &[
                ("HF_HOME", "/data/hf"),
                ("HF_HUB_CACHE", "/cache"),
                ("HF_TOKEN", "new"),
                ("HUGGING_FACE_HUB_TOKEN", "legacy"),
            ],
            None,
            &[],
        );
        assert_eq!(
            resolved.map(|hf| (hf.cache_dir, hf.token)),
            Ok((PathBuf::from("/cache"), Some("new".into())))
        );
    }

    #[test]
    fn token_path_variable_and_empty_values() {
        let resolved = resolve(
            &[
                ("HF_TOKEN", ""),
                ("HF_TOKEN_PATH", "/secrets/hf"),
                ("HF_HUB_OFFLINE", "0"),
            ],
            Some("/home/me"),
            &[("/secrets/hf", "secret\n")],
        );
        assert_eq!(
            resolved.map(|hf| (hf.token, hf.offline)),
            Ok((Some("secret".into()), false))
        );
        let blank_file = resolve(&[("HF_HOME", "/h")], None, &[("/h/token", "  \n")]);
        assert_eq!(blank_file.map(|hf| hf.token), Ok(None));
    }

    #[test]
    fn offline_accepts_the_usual_truthy_spellings() {
        for value in ["1", "on", "YES", "True"] {
            let resolved = resolve(&[("HF_HUB_OFFLINE", value)], Some("/home/me"), &[]);
            assert_eq!(resolved.map(|hf| hf.offline), Ok(true), "{value}");
        }
    }

    #[test]
    fn no_cache_without_any_home() {
        assert_eq!(resolve(&[("HF_ENDPOINT", "x")], None, &[]), Err(NoHfCache));
        assert_eq!(
            NoHfCache.to_string(),
            "no home directory for the Hugging Face cache: set HF_HOME or HF_HUB_CACHE"
        );
    }
}
