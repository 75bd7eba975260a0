//! Runs untrusted generated code behind a real boundary, and says how each run ended.
//!
//! Every run is its own process tree ([`Sandbox::run_python`]):
//!
//! - **bubblewrap** (`bwrap`, Debian's `bubblewrap` package) puts it in fresh user, PID,
//!   network, mount, IPC, UTS and cgroup namespaces: no network at all, only `/usr` (and the
//!   `/bin`, `/lib*` links to it) read-only, a private size-capped `/tmp` as the only
//!   writable place, its own `/proc` and a minimal `/dev`, an empty environment, no new user
//!   namespaces inside, a new session, and death with its parent;
//! - a **seccomp** filter (`seccomp`) makes tracing, mounting, namespace, keyring, BPF,
//!   io_uring and module system calls fail with `EPERM`;
//! - **rlimits** (util-linux `prlimit`) cap CPU time, address space, processes, file size
//!   and core dumps; when yardstick runs as root the run also drops to an unprivileged user
//!   of its own (one per concurrent run, via `setpriv`), so the process limit is per run;
//! - the sandbox kills the run at the wall-clock limit or past the output cap.
//!
//! The program runs under a small Python harness (`harness.py`) that execs it as OpenAI's
//! human-eval does and reports through markers and its exit status; [`outcome`] reads those
//! into an [`ExecutionKind`]. A run's failure is never an error: only a sandbox that could
//! not start the interpreter is ([`SandboxError`]).
//!
//! [`Isolation::None`] (`--unsafe-no-sandbox`) keeps the rlimits and the limits on time and
//! output and drops the namespaces and the filter: the code can then read and write what
//! yardstick can and reach the network.
//!
//! Must not: run a program without the limits; leave a process behind (the run's whole
//! tree is killed when it ends); let a program's output grow past the cap in memory.

mod error;
mod limits;
mod outcome;
mod run;
pub mod seccomp;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::SandboxError;
pub use limits::Limits;
pub use yardstick_core::ExecutionKind;

/// What stands between the program and the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// bubblewrap namespaces, seccomp and rlimits.
    Bubblewrap,
    /// rlimits and the time and output limits only (`--unsafe-no-sandbox`).
    None,
}

/// How to build a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub isolation: Isolation,
    pub limits: Limits,
    /// The interpreter; with bubblewrap it must live under `/usr` (the only tree inside).
    pub python: PathBuf,
    /// bubblewrap; `None`: `bwrap` on the `PATH`.
    pub bwrap: Option<PathBuf>,
    /// How many runs may go at once (each gets a user of its own when running as root).
    pub concurrency: usize,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            isolation: Isolation::Bubblewrap,
            limits: Limits::default(),
            python: PathBuf::from("/usr/bin/python3"),
            bwrap: None,
            concurrency: 1,
        }
    }
}

/// How one run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub kind: ExecutionKind,
    /// A short reason (the exception's first line, the limit reached, the signal).
    pub detail: String,
    pub wall: Duration,
    /// What the program printed (the harness's markers left out), up to the output cap.
    pub stdout: String,
    pub stderr: String,
}

/// A ready sandbox: its tools found, its filter built.
#[derive(Debug)]
pub struct Sandbox {
    config: SandboxConfig,
    tools: run::Tools,
}

impl Sandbox {
    /// Finds the tools the configuration needs and builds the seccomp filter. Fails, saying
    /// what to install, when bubblewrap, `prlimit` or the interpreter is missing.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let tools = run::Tools::find(&config)?;
        Ok(Sandbox { config, tools })
    }

    pub fn isolation(&self) -> Isolation {
        self.config.isolation
    }

    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// What the sandbox is, for fingerprints: isolation, interpreter and limits.
    pub fn describe(&self) -> String {
        let isolation = match self.config.isolation {
            Isolation::Bubblewrap => "bubblewrap+seccomp+rlimits",
            Isolation::None => "UNSANDBOXED rlimits only",
        };
        format!(
            "{isolation}; {}; {}",
            self.config.python.display(),
            self.config.limits.describe()
        )
    }

    /// The host users its runs drop to when yardstick runs as root (empty otherwise): each
    /// owns nothing but a run's processes.
    pub fn run_users(&self) -> Vec<u32> {
        self.tools.run_users()
    }

    /// Runs `program` (Python source) to its end under the limits.
    pub async fn run_python(&self, program: &str) -> Result<RunResult, SandboxError> {
        run::run(&self.config, &self.tools, program).await
    }
}

/// `name` on the `PATH`, or in the usual system directories.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|directory| directory.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
