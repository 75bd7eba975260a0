//! How a finished run is read: from what the sandbox saw (the exit status, whether it killed
//! the run for time or output, the harness's markers on stdout) to an
//! [`ExecutionKind`] with a short reason. Pure, so every path is unit-tested.

use yardstick_core::ExecutionKind;

use crate::error::SandboxError;
use crate::limits::Limits;

/// The harness's exit statuses (`harness.py`).
pub(crate) const EXIT_ASSERTION: i32 = 3;
pub(crate) const EXIT_MEMORY: i32 = 4;

const SIGKILL: i32 = 9;
const SIGSEGV: i32 = 11;
const SIGXCPU: i32 = 24;
const SIGXFSZ: i32 = 25;

/// How the process the sandbox started ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
}

/// What the sandbox saw of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub exit: Exit,
    /// The sandbox killed it at the wall-clock limit.
    pub timed_out: bool,
    /// The sandbox killed it for writing past the output cap.
    pub overflowed: bool,
    /// The harness's START marker arrived: the interpreter ran.
    pub started: bool,
    /// The harness's PASS marker arrived: every statement ran.
    pub finished: bool,
    /// The last line the program (or the harness) wrote to stderr.
    pub last_error: String,
    /// Whether bubblewrap stood between: it reports a signal that ended its child as exit
    /// status 128 + the signal.
    pub bubblewrap: bool,
    /// The run lasted as long as the CPU limit: a SIGKILL may be the kernel's at that limit
    /// (a namespace's PID 1 ignores the SIGXCPU before it).
    pub cpu_time_possible: bool,
}

/// The outcome of a run, or why the sandbox itself failed.
pub(crate) fn classify(
    seen: &Seen,
    limits: &Limits,
) -> Result<(ExecutionKind, String), SandboxError> {
    if seen.overflowed {
        return Ok((
            ExecutionKind::OutputLimit,
            format!("more than {} bytes of output", limits.output_bytes),
        ));
    }
    if seen.timed_out {
        return Ok((
            ExecutionKind::Timeout,
            format!("over the {:?} wall-clock limit", limits.wall),
        ));
    }
    let exit = match seen.exit {
        Exit::Code(code) if seen.bubblewrap && code > 128 && code < 128 + 65 => {
            Exit::Signal(code - 128)
        }
        other => other,
    };
    if !seen.started {
        return Err(SandboxError::Start(format!(
            "{} before the interpreter ran{}",
            describe(exit),
            if seen.last_error.is_empty() {
                String::new()
            } else {
                format!(": {}", seen.last_error)
            }
        )));
    }
    let detail = seen.last_error.clone();
    Ok(match exit {
        Exit::Code(0) if seen.finished => (ExecutionKind::Passed, String::new()),
        Exit::Code(0) => (
            ExecutionKind::Error,
            "exited before the tests finished".to_string(),
        ),
        Exit::Code(EXIT_ASSERTION) => (ExecutionKind::FailedAssertion, detail),
        Exit::Code(EXIT_MEMORY) => (
            ExecutionKind::MemoryLimit,
            format!("MemoryError under the {}-byte limit", limits.memory_bytes),
        ),
        Exit::Code(1) => (ExecutionKind::Error, detail),
        Exit::Code(code) => (ExecutionKind::Error, format!("exit status {code}")),
        Exit::Signal(SIGXCPU) => (
            ExecutionKind::Timeout,
            format!("over the {} s CPU limit", limits.cpu_seconds),
        ),
        Exit::Signal(SIGKILL) if seen.cpu_time_possible => (
            ExecutionKind::Timeout,
            format!("over the {} s CPU limit (SIGKILL)", limits.cpu_seconds),
        ),
        Exit::Signal(SIGXFSZ) => (
            ExecutionKind::Error,
            format!("wrote a file over the {}-byte limit", limits.file_bytes),
        ),
        Exit::Signal(signal) => (ExecutionKind::Killed, signal_name(signal)),
    })
}

fn describe(exit: Exit) -> String {
    match exit {
        Exit::Code(code) => format!("exit status {code}"),
        Exit::Signal(signal) => format!("killed by {}", signal_name(signal)),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        SIGKILL => "SIGKILL".to_string(),
        SIGSEGV => "SIGSEGV".to_string(),
        6 => "SIGABRT".to_string(),
        15 => "SIGTERM".to_string(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(exit: Exit) -> Seen {
        Seen {
            exit,
            timed_out: false,
            overflowed: false,
            started: true,
            finished: false,
            last_error: "NameError: name 'x' is not defined".into(),
            bubblewrap: true,
            cpu_time_possible: false,
        }
    }

    fn kind(seen: &Seen) -> ExecutionKind {
        classify(seen, &Limits::default()).expect("an outcome").0
    }

    #[test]
    fn statuses_markers_and_kills_map_to_kinds() {
        let mut passed = seen(Exit::Code(0));
        passed.finished = true;
        assert_eq!(kind(&passed), ExecutionKind::Passed);
        assert_eq!(kind(&seen(Exit::Code(0))), ExecutionKind::Error);
        assert_eq!(kind(&seen(Exit::Code(3))), ExecutionKind::FailedAssertion);
        assert_eq!(kind(&seen(Exit::Code(4))), ExecutionKind::MemoryLimit);
        let (error, detail) = classify(&seen(Exit::Code(1)), &Limits::default()).expect("ok");
        assert_eq!(error, ExecutionKind::Error);
        assert!(detail.starts_with("NameError"));
        // bubblewrap reports its child's signal as 128 + the signal.
        assert_eq!(kind(&seen(Exit::Code(128 + 24))), ExecutionKind::Timeout);
        assert_eq!(kind(&seen(Exit::Code(128 + 9))), ExecutionKind::Killed);
        // The kernel's SIGKILL at the CPU limit.
        let mut spun = seen(Exit::Code(128 + 9));
        spun.cpu_time_possible = true;
        assert_eq!(kind(&spun), ExecutionKind::Timeout);
        assert_eq!(kind(&seen(Exit::Signal(11))), ExecutionKind::Killed);
        assert_eq!(kind(&seen(Exit::Signal(25))), ExecutionKind::Error);
        let mut unsandboxed = seen(Exit::Code(137));
        unsandboxed.bubblewrap = false;
        assert_eq!(kind(&unsandboxed), ExecutionKind::Error);
        // The sandbox's own kills win over the status they caused.
        let mut timed_out = seen(Exit::Signal(9));
        timed_out.timed_out = true;
        assert_eq!(kind(&timed_out), ExecutionKind::Timeout);
        let mut flooded = timed_out.clone();
        flooded.overflowed = true;
        assert_eq!(kind(&flooded), ExecutionKind::OutputLimit);
    }

    #[test]
    fn a_run_that_never_started_the_interpreter_is_a_sandbox_error() {
        let mut refused = seen(Exit::Code(1));
        refused.started = false;
        refused.last_error = "bwrap: Creating new namespace failed".into();
        let error = classify(&refused, &Limits::default()).expect_err("not an outcome");
        assert!(
            error.to_string().contains("Creating new namespace failed"),
            "{error}"
        );
    }
}
