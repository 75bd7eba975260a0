//! The escape suite: programs that try to get out, each contained every time and recorded as
//! the right outcome. Real bubblewrap, real Python, real limits.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use yardstick_sandbox::{ExecutionKind, RunResult, Sandbox};

async fn run(sandbox: &Sandbox, program: &str) -> RunResult {
    sandbox
        .run_python(program)
        .await
        .expect("the sandbox ran it")
}

/// No process of this sandbox's runs is left: none runs as one of its users (root only;
/// elsewhere the runs share the user's processes and this is not checked).
fn no_run_left(sandbox: &Sandbox) {
    let users = sandbox.run_users();
    if users.is_empty() {
        return;
    }
    let mut left = Vec::new();
    for _ in 0..50 {
        left = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
            .filter_map(|entry| std::fs::read_to_string(entry.path().join("status")).ok())
            .filter(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with("Uid:"))
                    .and_then(|line| line.split_whitespace().nth(1)?.parse::<u32>().ok())
                    .is_some_and(|uid| users.contains(&uid))
            })
            .map(|status| status.lines().take(3).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>();
        if left.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("processes of a finished run are still running: {left:?}");
}

#[tokio::test]
async fn network_connections_fail() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    // A listener on the host's loopback: the sandbox has a loopback of its own.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("address").port();
    let program = format!(
        "import socket\n\
         for address in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n\
         \x20   try:\n\
         \x20       socket.create_connection(address, timeout=1)\n\
         \x20       print('ESCAPED', address)\n\
         \x20   except OSError as error:\n\
         \x20       print('refused', address, error)\n\
         socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
    );
    let result = run(&sandbox, &program).await;
    assert_eq!(result.kind, ExecutionKind::Error, "{result:?}");
    assert!(!result.stdout.contains("ESCAPED"), "{result:?}");
    assert!(
        result.detail.contains("unreachable") || result.detail.contains("OSError"),
        "{result:?}"
    );
    assert!(
        listener.accept().is_err(),
        "the host's listener got a connection"
    );
}

#[tokio::test]
async fn nothing_outside_the_private_tmp_can_be_written() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let host = tempfile::tempdir().expect("a host directory");
    let target = host.path().join("written-by-the-sandbox");
    let program = format!(
        "import os\n\
         open('/tmp/inside', 'w').write('fine')\n\
         for path in ['/usr/escape', '/sandbox/escape', '/escape', '/proc/escape', '/dev/escape', {target:?}]:\n\
         \x20   try:\n\
         \x20       open(path, 'w').write('x')\n\
         \x20       print('ESCAPED', path)\n\
         \x20   except OSError as error:\n\
         \x20       print('refused', path, type(error).__name__)\n\
         open({target:?}, 'w').write('x')\n"
    );
    let result = run(&sandbox, &program).await;
    assert_eq!(result.kind, ExecutionKind::Error, "{result:?}");
    assert!(!result.stdout.contains("ESCAPED"), "{result:?}");
    assert!(!target.exists());
    assert!(!std::path::Path::new("/usr/escape").exists());
}

#[tokio::test]
async fn secret_files_and_the_parents_environment_are_out_of_reach() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let host = tempfile::tempdir().expect("a host directory");
    let secret = host.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-4711").expect("a secret");
    let me = std::process::id();
    let program = format!(
        "import os\n\
         print(sorted(os.environ.items()))\n\
         for path in [{secret:?}, '/proc/{me}/environ', '/root/.bashrc', '/etc/shadow', '/etc/passwd']:\n\
         \x20   try:\n\
         \x20       print('READ', path, open(path).read())\n\
         \x20   except OSError as error:\n\
         \x20       print('refused', path, type(error).__name__)\n\
         open({secret:?}).read()\n"
    );
    let result = run(&sandbox, &program).await;
    assert_eq!(result.kind, ExecutionKind::Error, "{result:?}");
    assert!(result.detail.starts_with("FileNotFoundError"), "{result:?}");
    assert!(!result.stdout.contains("TOP-SECRET"), "{result:?}");
    assert!(!result.stdout.contains("READ"), "{result:?}");
    // This test process's environment (cargo sets CARGO_*) is not the program's.
    assert!(!result.stdout.contains("CARGO"), "{}", result.stdout);
    assert!(
        result.stdout.contains("('PATH', '/usr/bin:/bin')"),
        "{}",
        result.stdout
    );
}

#[tokio::test]
async fn a_fork_bomb_is_contained_and_leaves_nothing_running() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let program = "import os\nwhile True:\n    os.fork()\n";
    let result = run(&sandbox, program).await;
    assert!(
        matches!(result.kind, ExecutionKind::Error | ExecutionKind::Timeout),
        "{result:?}"
    );
    no_run_left(&sandbox);
    // The machine still starts processes, and the sandbox still runs programs.
    let fine = run(&sandbox, "assert 1 + 1 == 2\n").await;
    assert_eq!(fine.kind, ExecutionKind::Passed, "{fine:?}");
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    let limits = yardstick_sandbox::Limits {
        memory_bytes: 512 << 20,
        ..common::quick()
    };
    let Some(sandbox) = common::sandbox(limits) else {
        return;
    };
    for program in [
        "x = bytearray(64 * 1024 ** 3)\n",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 ** 2))\n",
    ] {
        let result = run(&sandbox, program).await;
        assert_eq!(
            result.kind,
            ExecutionKind::MemoryLimit,
            "{program}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_infinite_loop_times_out() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let result = run(&sandbox, "while True:\n    pass\n").await;
    assert_eq!(result.kind, ExecutionKind::Timeout, "{result:?}");
    assert!(result.wall < Duration::from_secs(6), "{result:?}");
    // Sleeping (no CPU) is stopped by the wall clock.
    let result = run(&sandbox, "import time\ntime.sleep(60)\n").await;
    assert_eq!(result.kind, ExecutionKind::Timeout, "{result:?}");
    assert!(result.detail.contains("wall-clock"), "{result:?}");
    no_run_left(&sandbox);
}

#[tokio::test]
async fn a_gigabyte_of_output_is_cut_at_the_cap() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let program =
        "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n";
    let result = run(&sandbox, program).await;
    assert_eq!(result.kind, ExecutionKind::OutputLimit, "{result:?}");
    assert!(result.stdout.len() + result.stderr.len() <= sandbox.limits().output_bytes);
    no_run_left(&sandbox);
}

#[tokio::test]
async fn killing_the_parent_reaches_nothing_outside() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let me = std::process::id();
    let program = format!(
        "import os, signal\n\
         print('parent', os.getppid(), 'self', os.getpid())\n\
         os.kill(-1, signal.SIGKILL)\n\
         os.kill({me}, signal.SIGKILL)\n"
    );
    let result = run(&sandbox, &program).await;
    // This test process is the one the program aimed at, and it is still here; inside, the
    // program has no parent to aim at (it is its namespace's PID 1, its parent outside it).
    assert_eq!(result.kind, ExecutionKind::Error, "{result:?}");
    assert!(result.stdout.contains("parent 0 self 1"), "{result:?}");
    assert!(result.detail.contains("ProcessLookupError"), "{result:?}");
}

#[tokio::test]
async fn only_the_runs_own_processes_are_under_proc() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let me = std::process::id();
    let program = format!(
        "import os\n\
         pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n\
         print('PIDS', pids)\n\
         assert len(pids) <= 3, pids\n\
         assert {me} not in pids\n\
         open('/proc/{me}/cmdline').read()\n"
    );
    let result = run(&sandbox, &program).await;
    assert_eq!(result.kind, ExecutionKind::Error, "{result:?}");
    assert!(result.detail.starts_with("FileNotFoundError"), "{result:?}");
}

#[tokio::test]
async fn tracing_and_new_namespaces_are_refused_by_seccomp() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    let program = "import ctypes, errno, os\n\
                   libc = ctypes.CDLL(None, use_errno=True)\n\
                   ptrace = {'x86_64': 101, 'aarch64': 117}[os.uname().machine]\n\
                   assert libc.syscall(ptrace, 0, 0, 0, 0) == -1\n\
                   assert ctypes.get_errno() == errno.EPERM, ctypes.get_errno()\n\
                   assert libc.unshare(0x10000000) == -1\n\
                   assert ctypes.get_errno() == errno.EPERM, ctypes.get_errno()\n";
    let result = run(&sandbox, program).await;
    assert_eq!(result.kind, ExecutionKind::Passed, "{result:?}");
}
