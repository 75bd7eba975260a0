//! Which llama.cpp this crate runs, for run fingerprints.
//!
//! `llama-cpp-sys-2` builds the llama.cpp sources vendored in its crates.io package, outside
//! any git checkout, so llama.cpp's own build number is 0 and its commit "unknown". The crate
//! version pins the vendored sources, so it is the identifier; ggml's version and commit are
//! added as llama.cpp reports them, the commit only when known.

use std::ffi::{c_char, CStr};
use std::sync::OnceLock;

/// Version of `llama-cpp-sys-2` in the workspace's Cargo.lock (see build.rs).
pub const LLAMA_CPP_SYS_VERSION: &str = env!("YARDSTICK_LLAMA_CPP_SYS_VERSION");

// Two getters of ggml's C API (ggml.h). `llama-cpp-2` does not wrap them; the symbols come
// from the static ggml library that `llama-cpp-sys-2` links into every binary using it.
extern "C" {
    fn ggml_version() -> *const c_char;
    fn ggml_commit() -> *const c_char;
    // llama.h; writes a function-static std::string, so it is called once (see below).
    fn llama_print_system_info() -> *const c_char;
}

fn static_c_string(pointer: *const c_char) -> Option<String> {
    if pointer.is_null() {
        return None;
    }
    // SAFETY: ggml returns pointers to NUL-terminated string literals compiled into the
    // library: valid, immutable and 'static.
    let text = unsafe { CStr::from_ptr(pointer) };
    Some(text.to_string_lossy().into_owned())
}

/// The llama.cpp this process runs, e.g. `llama-cpp-sys-2 0.1.161 (ggml 0.26.0)`; the
/// ggml commit is appended when the build knew it. Needs no model and no backend init.
pub fn llama_cpp_version() -> String {
    // SAFETY: both functions take no arguments, have no preconditions and return static strings.
    let (version, commit) = unsafe { (ggml_version(), ggml_commit()) };
    let version = static_c_string(version).unwrap_or_else(|| "unknown".to_string());
    let commit = static_c_string(commit).filter(|commit| !commit.is_empty() && commit != "unknown");
    match commit {
        Some(commit) => {
            format!("llama-cpp-sys-2 {LLAMA_CPP_SYS_VERSION} (ggml {version}, commit {commit})")
        }
        None => format!("llama-cpp-sys-2 {LLAMA_CPP_SYS_VERSION} (ggml {version})"),
    }
}

/// The CPU features the linked ggml kernels use, as llama.cpp reports them, e.g.
/// `CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 1 | …`.
/// The kernel set decides the float rounding of every score: results are only comparable
/// bit for bit between builds with the same features. Needs no model.
pub fn llama_system_info() -> String {
    static INFO: OnceLock<String> = OnceLock::new();
    INFO.get_or_init(|| {
        // SAFETY: no arguments or preconditions; the returned pointer is to a static string
        // that stays valid until the next call, and the OnceLock makes this the only call.
        let info = unsafe { llama_print_system_info() };
        static_c_string(info).map_or_else(String::new, |info| {
            info.trim_end_matches([' ', '|']).to_string()
        })
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_the_sys_crate_and_ggml() {
        let version = llama_cpp_version();
        assert!(version.starts_with("llama-cpp-sys-2 0."), "{version}");
        assert!(version.contains("(ggml 0."), "{version}");
        assert_ne!(LLAMA_CPP_SYS_VERSION, "unknown");
    }

    #[test]
    fn system_info_lists_the_cpu_backend_features() {
        let info = llama_system_info();
        assert!(info.starts_with("CPU :"), "{info}");
        assert_eq!(info, llama_system_info());
    }
}
