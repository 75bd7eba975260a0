//! The crate's one error type: what kept a program from being run at all. How a program that
//! did run ended is never an error: it is an [`yardstick_core::ExecutionKind`].

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A program the sandbox needs is not installed.
    #[error("{what} not found ({path}): {hint}")]
    Missing {
        what: &'static str,
        path: PathBuf,
        hint: &'static str,
    },
    /// The seccomp filter could not be built for this machine.
    #[error("building the seccomp filter: {0}")]
    Seccomp(String),
    /// The sandbox did not start the interpreter (bubblewrap refused, the interpreter is not
    /// inside the sandbox...).
    #[error("the sandbox did not start the program: {0}")]
    Start(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> SandboxError {
        let what = what.into();
        move |source| SandboxError::Io { what, source }
    }
}
