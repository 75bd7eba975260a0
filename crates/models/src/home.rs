//! Where yardstick keeps its data: `$YARDSTICK_HOME`, else the platform data directory's
//! `yardstick` folder (`$XDG_DATA_HOME/yardstick`, usually `~/.local/share/yardstick`).

use crate::ModelError;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const YARDSTICK_HOME: &str = "YARDSTICK_HOME";

/// The yardstick data directory (not created here).
pub fn data_home() -> Result<PathBuf, ModelError> {
    resolve_data_home(
        std::env::var_os(YARDSTICK_HOME).map(PathBuf::from),
        dirs::data_dir(),
    )
}

/// Where pulled models live: `<data_home>/models`.
pub fn models_dir(data_home: &Path) -> PathBuf {
    data_home.join("models")
}

fn resolve_data_home(
    yardstick_home: Option<PathBuf>,
    platform_data_dir: Option<PathBuf>,
) -> Result<PathBuf, ModelError> {
    match yardstick_home {
        Some(home) if !home.as_os_str().is_empty() => Ok(home),
        _ => platform_data_dir
            .map(|dir| dir.join("yardstick"))
            .ok_or(ModelError::NoDataHome),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yardstick_home_wins_over_the_platform_directory() {
        let resolved = resolve_data_home(Some("/custom".into()), Some("/data".into()));
        assert_eq!(resolved.ok(), Some(PathBuf::from("/custom")));
    }

    #[test]
    fn default_is_the_platform_data_directory() {
        let resolved = resolve_data_home(None, Some("/home/u/.local/share".into()));
        assert_eq!(
            resolved.ok(),
            Some(PathBuf::from("/home/u/.local/share/yardstick"))
        );
        let empty = resolve_data_home(Some(PathBuf::new()), Some("/d".into()));
        assert_eq!(empty.ok(), Some(PathBuf::from("/d/yardstick")));
    }

    #[test]
    fn no_directory_at_all_is_an_error_saying_what_to_set() {
        let error = resolve_data_home(None, None).expect_err("nothing to resolve");
        assert!(error.to_string().contains("YARDSTICK_HOME"));
    }
}
