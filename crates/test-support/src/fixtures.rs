//! Where tests find the real models and datasets, and how they skip when those are absent.
//!
//! Real-model tests always run in CI: `.ci/run` installs the models and sets
//! `YARDSTICK_REQUIRE_MODELS=1`, which turns a missing model into a test failure instead of
//! a skip. Locally a test may skip, printing why.

use std::path::PathBuf;

/// Catalog name and file name of the bundled Gemma-3-270M Q4_K_M.
pub const GEMMA_FILE: &str = "gemma-3-270m-q4_k_m.gguf";
/// Catalog name and file name of the bundled Qwen2.5-Coder-0.5B-Instruct Q4_K_M.
pub const QWEN_FILE: &str = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

/// The yardstick data directory as the product resolves it: `$YARDSTICK_HOME`, else the
/// XDG data directory's `yardstick` folder.
pub fn data_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("YARDSTICK_HOME") {
        return Some(PathBuf::from(home));
    }
    dirs::data_dir().map(|dir| dir.join("yardstick"))
}

fn find_model(env_var: &str, file: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = data_home()?.join("models").join(file);
    path.is_file().then_some(path)
}

pub(crate) fn require_or_skip(what: &str, found: Option<PathBuf>) -> Option<PathBuf> {
    if found.is_none() {
        let required = std::env::var("YARDSTICK_REQUIRE_MODELS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{what} is required (YARDSTICK_REQUIRE_MODELS=1) but was not found; run `make setup`"
        );
        eprintln!("SKIP: {what} not found; run `make setup` (or set the env var) to run this test");
    }
    found
}

/// Path of the real Gemma GGUF (`YARDSTICK_GEMMA_GGUF` or `$YARDSTICK_HOME/models/…`).
pub fn gemma_model() -> Option<PathBuf> {
    require_or_skip(
        "the Gemma-3-270M model",
        find_model("YARDSTICK_GEMMA_GGUF", GEMMA_FILE),
    )
}

/// Path of the real Qwen GGUF (`YARDSTICK_QWEN_GGUF` or `$YARDSTICK_HOME/models/…`).
pub fn qwen_model() -> Option<PathBuf> {
    require_or_skip(
        "the Qwen2.5-Coder-0.5B model",
        find_model("YARDSTICK_QWEN_GGUF", QWEN_FILE),
    )
}

/// Folder of the all-MiniLM-L6-v2 sentence embedder of `yardstick-embed`, installed by
/// `scripts/setup-embedder.sh` into `$YARDSTICK_HOME/embedders/all-MiniLM-L6-v2` (present
/// when it holds `model.safetensors`; the embedder itself checks every file's sha256).
pub fn minilm_embedder() -> Option<PathBuf> {
    let dir = data_home().map(|home| home.join("embedders").join("all-MiniLM-L6-v2"));
    require_or_skip(
        "the all-MiniLM-L6-v2 embedder (scripts/setup-embedder.sh)",
        dir.filter(|dir| dir.join("model.safetensors").is_file()),
    )
}

/// The shared benchmark datasets (`YARDSTICK_DATA`, else `../shared/datasets` relative to
/// the workspace root).
pub fn datasets_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("YARDSTICK_DATA") {
        let dir = PathBuf::from(dir);
        return dir.is_dir().then_some(dir);
    }
    let dir = workspace_root().join("../shared/datasets");
    dir.is_dir().then_some(dir)
}

/// The datasets directory, or a skip (a failure when `YARDSTICK_REQUIRE_MODELS=1`).
pub fn require_datasets() -> Option<PathBuf> {
    require_or_skip("the shared datasets directory", datasets_dir())
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
