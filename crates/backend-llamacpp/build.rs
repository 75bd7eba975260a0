//! Records which `llama-cpp-sys-2` (and so which vendored llama.cpp) this crate is linked
//! against, for run fingerprints. Cargo gives a build script no dependency versions, so the
//! version is read from the workspace's committed Cargo.lock; "unknown" when there is none.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let lock_path = manifest_dir.join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let version = std::fs::read_to_string(&lock_path)
        .ok()
        .and_then(|lock| package_version(&lock, "llama-cpp-sys-2"))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=YARDSTICK_LLAMA_CPP_SYS_VERSION={version}");
}

/// The `version` of the `[[package]]` named `name` in a Cargo.lock.
fn package_version(lock: &str, name: &str) -> Option<String> {
    let name_line = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version_line = lines.next()?.trim();
            let version = version_line
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_string());
        }
    }
    None
}
