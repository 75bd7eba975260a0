//! One run: the program and the harness written to a private directory, the command line
//! (`setpriv` when root, `prlimit`, `bwrap`, the interpreter), the output read up to the
//! cap, the wall-clock limit, and the whole process tree killed at the end.

use std::hash::{BuildHasher, RandomState};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::Semaphore;

use crate::error::SandboxError;
use crate::outcome::{classify, Exit, Seen};
use crate::{find_on_path, is_executable, Isolation, RunResult, SandboxConfig};

const HARNESS: &str = include_str!("harness.py");

/// The first of the users runs drop to when yardstick is root, one per concurrent run: far
/// above the range distributions give to people and services, and owning nothing. Each
/// process takes a block of its own (by its pid), so two yardstick processes never share a
/// user, nor its process limit.
const FIRST_SANDBOX_UID: u32 = 1_900_000;
const UIDS_PER_PROCESS: u32 = 256;

/// The programs a run needs, found once.
#[derive(Debug)]
pub(crate) struct Tools {
    prlimit: PathBuf,
    bwrap: Option<PathBuf>,
    /// `setpriv` and a user per concurrent run, when running as root.
    drop_to: Option<(PathBuf, Mutex<Vec<u32>>)>,
    seccomp: Option<Vec<u8>>,
    slots: Semaphore,
}

impl Tools {
    /// The users this sandbox's runs drop to (when running as root).
    pub(crate) fn run_users(&self) -> Vec<u32> {
        match &self.drop_to {
            Some((_, pool)) => pool.lock().map(|pool| pool.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

impl Tools {
    pub(crate) fn find(config: &SandboxConfig) -> Result<Tools, SandboxError> {
        let prlimit = find_on_path("prlimit").ok_or(SandboxError::Missing {
            what: "prlimit",
            path: PathBuf::from("prlimit"),
            hint: "install util-linux",
        })?;
        if !is_executable(&config.python) {
            return Err(SandboxError::Missing {
                what: "the Python interpreter",
                path: config.python.clone(),
                hint: "install python3 (apt install python3) or name another with --python",
            });
        }
        let concurrency = config.concurrency.max(1);
        let (bwrap, drop_to, seccomp) = match config.isolation {
            Isolation::None => (None, None, None),
            Isolation::Bubblewrap => {
                let bwrap = match &config.bwrap {
                    Some(path) if is_executable(path) => path.clone(),
                    Some(path) => {
                        return Err(SandboxError::Missing {
                            what: "bubblewrap",
                            path: path.clone(),
                            hint: "install bubblewrap (apt install bubblewrap)",
                        })
                    }
                    None => find_on_path("bwrap").ok_or(SandboxError::Missing {
                        what: "bubblewrap",
                        path: PathBuf::from("bwrap"),
                        hint: "install bubblewrap (apt install bubblewrap), or run the code \
                               unsandboxed with --unsafe-no-sandbox",
                    })?,
                };
                if !config.python.starts_with("/usr") {
                    return Err(SandboxError::Missing {
                        what: "a Python interpreter under /usr",
                        path: config.python.clone(),
                        hint: "only /usr is inside the sandbox: install the distribution's \
                               python3 or name one under /usr with --python",
                    });
                }
                let drop_to = if is_root() {
                    let setpriv = find_on_path("setpriv").ok_or(SandboxError::Missing {
                        what: "setpriv",
                        path: PathBuf::from("setpriv"),
                        hint: "install util-linux (running as root, each run drops to a user \
                               of its own)",
                    })?;
                    let base = FIRST_SANDBOX_UID + (std::process::id() % 4096) * UIDS_PER_PROCESS;
                    let uids = (0..(concurrency as u32).min(UIDS_PER_PROCESS))
                        .map(|slot| base + slot)
                        .collect();
                    Some((setpriv, Mutex::new(uids)))
                } else {
                    None
                };
                (Some(bwrap), drop_to, Some(crate::seccomp::filter_bytes()?))
            }
        };
        Ok(Tools {
            prlimit,
            bwrap,
            drop_to,
            seccomp,
            slots: Semaphore::new(concurrency.min(UIDS_PER_PROCESS as usize)),
        })
    }
}

/// Field `name`'s `index`th value in a `/proc/PID/status` text (`Uid:` holds the real,
/// effective, saved and filesystem user).
fn status_field<'a>(status: &'a str, name: &str, index: usize) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|values| values.split_whitespace().nth(index))
}

fn is_root() -> bool {
    // The effective user of this process, as /proc says (no FFI).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .is_some_and(|status| status_field(&status, "Uid", 1) == Some("0"))
}

/// The processes and threads `uid` has now (`RLIMIT_NPROC` counts them all).
fn tasks_of_current_user() -> u64 {
    let Ok(own) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    let Some(uid) = status_field(&own, "Uid", 0) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("status")).ok())
        .filter(|status| status_field(status, "Uid", 0) == Some(uid))
        .map(|status| {
            status_field(&status, "Threads", 0)
                .and_then(|threads| threads.parse::<u64>().ok())
                .unwrap_or(1)
        })
        .sum()
}

/// Gives a run's user back to the pool when the run ends.
struct Lease<'a> {
    pool: &'a Mutex<Vec<u32>>,
    uid: u32,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(self.uid);
        }
    }
}

pub(crate) async fn run(
    config: &SandboxConfig,
    tools: &Tools,
    program: &str,
) -> Result<RunResult, SandboxError> {
    let _slot = tools
        .slots
        .acquire()
        .await
        .map_err(|_| SandboxError::Start("the sandbox was closed".into()))?;
    let lease = match &tools.drop_to {
        Some((_, pool)) => {
            let uid = pool
                .lock()
                .map_err(|_| SandboxError::Start("the user pool is poisoned".into()))?
                .pop()
                .ok_or_else(|| SandboxError::Start("no free sandbox user".into()))?;
            Some(Lease { pool, uid })
        }
        None => None,
    };
    let directory = write_files(program)?;
    let nonce = format!("{:016x}", RandomState::new().hash_one(Instant::now()));
    let mut command = build_command(
        config,
        tools,
        directory.path(),
        &nonce,
        lease.as_ref().map(|lease| lease.uid),
    );
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(SandboxError::io("starting the sandboxed program"))?;
    let pid = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        // bubblewrap reads the filter from its stdin before it starts the program, which
        // then finds its stdin at end of file.
        if let Some(filter) = &tools.seccomp {
            stdin
                .write_all(filter)
                .await
                .map_err(SandboxError::io("handing the seccomp filter to bubblewrap"))?;
        }
        drop(stdin);
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let cap = config.limits.output_bytes;
    let deadline = tokio::time::Instant::now() + config.limits.wall;
    // The output ends when the whole tree has closed its pipes, or at the cap.
    let output = read_capped(stdout, stderr, cap);
    let (outputs, mut timed_out) = match tokio::time::timeout_at(deadline, output).await {
        Ok(outputs) => (Some(outputs), false),
        Err(_) => (None, true),
    };
    let overflowed = outputs.as_ref().is_some_and(|output| output.overflowed);
    let status = if timed_out || overflowed {
        kill_tree(&mut child, pid);
        child.wait().await
    } else {
        match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                // Its pipes closed, the program went on.
                timed_out = true;
                kill_tree(&mut child, pid);
                child.wait().await
            }
        }
    }
    .map_err(SandboxError::io("waiting for the sandboxed program"))?;
    // Whatever the program left running in its group goes too.
    kill_tree(&mut child, pid);
    let wall = started.elapsed();
    drop(lease);
    let (stdout, stderr) = match outputs {
        Some(output) => (output.stdout, output.stderr),
        None => (Vec::new(), Vec::new()),
    };
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let start_marker = format!("YARDSTICK-START {nonce}");
    let pass_marker = format!("YARDSTICK-PASS {nonce}");
    let seen = Seen {
        exit: exit_of(status),
        timed_out,
        overflowed,
        // A run killed for time may have started without its output being read.
        started: stdout.contains(&start_marker) || timed_out,
        finished: stdout.contains(&pass_marker),
        last_error: stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
        bubblewrap: config.isolation == Isolation::Bubblewrap,
        cpu_time_possible: wall >= Duration::from_secs(config.limits.cpu_seconds),
    };
    let (kind, detail) = classify(&seen, &config.limits)?;
    let stdout = stdout
        .replace(&format!("\n{start_marker}\n"), "")
        .replace(&format!("\n{pass_marker}\n"), "");
    Ok(RunResult {
        kind,
        detail,
        wall,
        stdout,
        stderr,
    })
}

/// A private directory (readable by the run's user) holding `program.py` and `harness.py`.
fn write_files(program: &str) -> Result<tempfile::TempDir, SandboxError> {
    let directory = tempfile::Builder::new()
        .prefix("yardstick-sandbox-")
        .tempdir()
        .map_err(SandboxError::io("creating the sandbox's directory"))?;
    for (name, text) in [("program.py", program), ("harness.py", HARNESS)] {
        let path = directory.path().join(name);
        std::fs::write(&path, text).map_err(SandboxError::io(format!("writing {name}")))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(SandboxError::io(format!("opening {name} to the sandbox")))?;
    }
    std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(SandboxError::io("opening the sandbox's directory"))?;
    Ok(directory)
}

/// The command line of one run.
fn build_command(
    config: &SandboxConfig,
    tools: &Tools,
    directory: &Path,
    nonce: &str,
    uid: Option<u32>,
) -> Command {
    let limits = &config.limits;
    let processes = match (config.isolation, uid) {
        // A user of its own: the limit is this run's alone.
        (Isolation::Bubblewrap, Some(_)) => limits.processes,
        // Yardstick's own user: its processes count too.
        _ => tasks_of_current_user() + limits.processes,
    };
    let mut argv: Vec<String> = Vec::new();
    if let (Some((setpriv, _)), Some(uid)) = (&tools.drop_to, uid) {
        argv.extend([
            setpriv.display().to_string(),
            format!("--reuid={uid}"),
            format!("--regid={uid}"),
            "--clear-groups".into(),
            "--".into(),
        ]);
    }
    argv.extend([
        tools.prlimit.display().to_string(),
        // The program is its namespace's PID 1, which ignores SIGXCPU: the kernel's SIGKILL
        // at the limit ends it (read as a timeout).
        format!("--cpu={}", limits.cpu_seconds),
        format!("--as={}", limits.memory_bytes),
        format!("--nproc={processes}"),
        format!("--fsize={}", limits.file_bytes),
        "--core=0".into(),
        "--".into(),
    ]);
    let python = config.python.display().to_string();
    let mut command = match &tools.bwrap {
        Some(bwrap) => {
            argv.push(bwrap.display().to_string());
            argv.extend(bubblewrap_arguments(limits.tmp_bytes, directory, nonce));
            argv.extend([
                python,
                "-I".into(),
                "/sandbox/harness.py".into(),
                "/sandbox/program.py".into(),
            ]);
            let mut command = Command::new(&argv[0]);
            command.args(&argv[1..]);
            command.env_clear();
            command
        }
        None => {
            argv.extend([
                python,
                "-I".into(),
                directory.join("harness.py").display().to_string(),
                directory.join("program.py").display().to_string(),
            ]);
            let mut command = Command::new(&argv[0]);
            command
                .args(&argv[1..])
                .env_clear()
                .env("YARDSTICK_NONCE", nonce)
                .env("PATH", "/usr/bin:/bin")
                .env("LANG", "C.UTF-8")
                .current_dir(directory);
            command
        }
    };
    command
        .stdin(if tools.seccomp.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    command
}

/// bubblewrap's options: every namespace new, `/usr` read-only with the host's links to
/// it, a private `/tmp`, the run's files read-only at `/sandbox`, the seccomp filter on
/// stdin.
fn bubblewrap_arguments(tmp_bytes: u64, directory: &Path, nonce: &str) -> Vec<String> {
    let mut arguments: Vec<String> = [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        // The program is PID 1 of its namespace: no reaper process that bubblewrap would
        // leave behind as a zombie for init to collect (a container's init may never).
        "--as-pid-1",
        "--hostname",
        "sandbox",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    .map(String::from)
    .to_vec();
    for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
        let path = Path::new(top);
        match std::fs::read_link(path) {
            Ok(target) => arguments.extend([
                "--symlink".into(),
                target.display().to_string(),
                top.to_string(),
            ]),
            Err(_) if path.is_dir() => {
                arguments.extend(["--ro-bind".into(), top.to_string(), top.to_string()])
            }
            Err(_) => {}
        }
    }
    arguments.extend([
        "--proc".into(),
        "/proc".into(),
        "--dev".into(),
        "/dev".into(),
        "--size".into(),
        tmp_bytes.to_string(),
        "--tmpfs".into(),
        "/tmp".into(),
        "--ro-bind".into(),
        directory.display().to_string(),
        "/sandbox".into(),
        // The root bubblewrap builds is a tmpfs: read-only, so /tmp is the only place to
        // write.
        "--remount-ro".into(),
        "/".into(),
        // Device nodes stay usable (/dev/null); nothing new can be made there.
        "--remount-ro".into(),
        "/dev".into(),
        "--chdir".into(),
        "/tmp".into(),
        "--setenv".into(),
        "YARDSTICK_NONCE".into(),
        nonce.to_string(),
        "--seccomp".into(),
        "0".into(),
        "--".into(),
    ]);
    arguments
}

/// What a run wrote, up to the cap.
#[derive(Debug, Default)]
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// It wrote more than the cap (the reading stopped there: the run is then killed).
    overflowed: bool,
}

/// Reads stdout and stderr to their ends, keeping at most `cap` bytes of the two together.
async fn read_capped(
    stdout: Option<impl AsyncRead + Unpin>,
    stderr: Option<impl AsyncRead + Unpin>,
    cap: usize,
) -> Output {
    let mut output = Output::default();
    let (mut stdout, mut stderr) = (stdout, stderr);
    let mut out_buffer = vec![0u8; 64 * 1024];
    let mut err_buffer = vec![0u8; 64 * 1024];
    loop {
        let (read, is_out) = tokio::select! {
            read = async { stdout.as_mut()?.read(&mut out_buffer).await.ok() }, if stdout.is_some() => (read, true),
            read = async { stderr.as_mut()?.read(&mut err_buffer).await.ok() }, if stderr.is_some() => (read, false),
            else => return output,
        };
        let read = match read {
            Some(0) | None => {
                if is_out {
                    stdout = None;
                } else {
                    stderr = None;
                }
                continue;
            }
            Some(read) => read,
        };
        let room = cap.saturating_sub(output.stdout.len() + output.stderr.len());
        let (kept, buffer) = if is_out {
            (&mut output.stdout, &out_buffer)
        } else {
            (&mut output.stderr, &err_buffer)
        };
        kept.extend_from_slice(&buffer[..read.min(room)]);
        if read > room {
            output.overflowed = true;
            return output;
        }
    }
}

/// Kills the run's process group (the unsandboxed tree) and the process started; bubblewrap
/// takes its namespace down with it.
fn kill_tree(child: &mut tokio::process::Child, pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|pid| i32::try_from(pid).ok()) {
        if let Some(group) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    }
    let _ = child.start_kill();
}

fn exit_of(status: ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Code(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_status_fields_are_read_by_name_and_position() {
        let status = "Name:\tpython3\nUid:\t1000\t0\t0\t0\nThreads:\t3\n";
        assert_eq!(status_field(status, "Uid", 0), Some("1000"));
        assert_eq!(status_field(status, "Uid", 1), Some("0"));
        assert_eq!(status_field(status, "Threads", 0), Some("3"));
        assert_eq!(status_field(status, "Gid", 0), None);
    }

    #[test]
    fn bubblewrap_gets_every_namespace_a_private_tmp_and_the_filter() {
        let arguments = bubblewrap_arguments(1 << 20, Path::new("/tmp/run"), "abc");
        let joined = arguments.join(" ");
        for needed in [
            "--unshare-all",
            "--disable-userns",
            "--die-with-parent",
            "--clearenv",
            "--ro-bind /usr /usr",
            "--size 1048576 --tmpfs /tmp",
            "--ro-bind /tmp/run /sandbox",
            "--seccomp 0",
        ] {
            assert!(joined.contains(needed), "{needed} missing from {joined}");
        }
        assert_eq!(arguments.last().map(String::as_str), Some("--"));
        assert!(
            !joined.contains("--bind "),
            "nothing writable is bound: {joined}"
        );
    }

    #[tokio::test]
    async fn output_past_the_cap_is_cut_and_flagged() {
        let output = read_capped(Some(&b"0123456789"[..]), Some(&b""[..]), 4).await;
        assert_eq!(output.stdout, b"0123");
        assert!(output.overflowed);
        let output = read_capped(Some(&b"01"[..]), Some(&b"23"[..]), 4).await;
        assert_eq!(
            (output.stdout.as_slice(), output.stderr.as_slice()),
            (&b"01"[..], &b"23"[..])
        );
        assert!(!output.overflowed);
        let output = read_capped(Some(&b"012"[..]), Some(&b"345"[..]), 4).await;
        assert!(output.overflowed);
        assert_eq!(output.stdout.len() + output.stderr.len(), 4);
    }
}
