//! The built-in task and group configs, compiled into the binary from `crates/tasks/tasks/`
//! (see `build.rs`). They are lm-eval's YAML files with the prompt templates unchanged, plus
//! `dataset_kwargs.data_files` and a `process_docs: !function yardstick.<hook>` that reads
//! the datasets' original layouts from the data directory. A few built-in tasks have their
//! own small data files here too (yardstick's creative-writing prompts), named in
//! `data_files` as `builtin:<path>` ([`BUILTIN_DATA`]).

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// The text of a built-in file, by its path under `crates/tasks/tasks/`.
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(candidate, _)| *candidate == path)
        .map(|(_, text)| *text)
}

/// The built-in files lm-eval would index as configs: those ending in `.yaml` (templates
/// such as `_default_template_yaml` are only reachable through `include`).
pub fn config_paths() -> impl Iterator<Item = &'static str> {
    FILES
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| path.ends_with(".yaml"))
}

/// The prefix of a `data_files` entry naming a file under `crates/tasks/tasks/`.
pub const BUILTIN_DATA: &str = "builtin:";

/// A built-in data file as a file on disk (the readers read paths): written once under the
/// system's temporary directory, in a folder named by its sha256, so that a changed file
/// never reuses an old copy. Errors with the reason when there is no such built-in file or
/// it cannot be written.
pub fn materialize(path: &str) -> Result<std::path::PathBuf, String> {
    use sha2::{Digest, Sha256};
    let text = file(path).ok_or_else(|| format!("there is no built-in file `{path}`"))?;
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    let name = path.rsplit('/').next().unwrap_or(path);
    let folder = std::env::temp_dir()
        .join("yardstick-builtin-data")
        .join(&digest[..16]);
    let target = folder.join(name);
    if target.is_file() {
        return Ok(target);
    }
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&folder)?;
        let partial = folder.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &target)
    };
    write().map_err(|error| format!("cannot write {}: {error}", target.display()))?;
    Ok(target)
}
