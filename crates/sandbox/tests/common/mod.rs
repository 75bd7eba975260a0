//! A sandbox for the tests, or a skip when bubblewrap is missing (a failure in CI, where the
//! set-up installs it: `YARDSTICK_REQUIRE_MODELS=1`).

#![allow(dead_code)]

use yardstick_sandbox::{Isolation, Limits, Sandbox, SandboxConfig};

pub fn sandbox(limits: Limits) -> Option<Sandbox> {
    let config = SandboxConfig {
        isolation: Isolation::Bubblewrap,
        limits,
        concurrency: 2,
        ..SandboxConfig::default()
    };
    match Sandbox::new(config) {
        Ok(sandbox) => Some(sandbox),
        Err(error) => {
            let required = std::env::var("YARDSTICK_REQUIRE_MODELS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "the sandbox is required (YARDSTICK_REQUIRE_MODELS=1): {error}; run `make setup`"
            );
            eprintln!("skipped: {error}");
            None
        }
    }
}

/// Limits short enough for tests that wait for a limit.
pub fn quick() -> Limits {
    Limits {
        wall: std::time::Duration::from_secs(3),
        cpu_seconds: 2,
        ..Limits::default()
    }
}
