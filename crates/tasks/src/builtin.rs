//! The built-in task and group configs, compiled into the binary from `crates/tasks/tasks/`
//! (see `build.rs`). They are lm-eval's YAML files with the prompt templates unchanged, plus
//! `dataset_kwargs.data_files` and a `process_docs: !function yardstick.<hook>` that reads
//! the datasets' original layouts from the data directory.

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
