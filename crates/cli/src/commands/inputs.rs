//! Files named by flags of the decision commands, read and handed to the library: the
//! category definitions (`--categories FILE`) and the hardware catalog (`--catalog FILE`).

use std::path::Path;

use anyhow::{Context, Result};
use yardstick_decide::catalog::Catalog;
use yardstick_decide::categories::Categories;

/// The category definitions: the built-in ones, or those of `path` instead; with the name
/// the output gives their source.
pub fn categories(path: Option<&Path>) -> Result<(Categories, String)> {
    match path {
        None => Ok((
            Categories::builtin()?,
            "crates/decide/data/categories.yaml".to_string(),
        )),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--categories {}: cannot read it", path.display()))?;
            let source = format!("--categories {}", path.display());
            Ok((
                Categories::from_yaml(&text, &source)?,
                path.display().to_string(),
            ))
        }
    }
}

/// The catalog: built in, with `--catalog FILE` applied.
pub fn catalog(path: Option<&Path>) -> Result<Catalog> {
    let builtin = Catalog::builtin()?;
    match path {
        None => Ok(builtin),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--catalog {}: cannot read it", path.display()))?;
            Ok(builtin.merged_with(&text, &format!("--catalog {}", path.display()))?)
        }
    }
}
