//! Memory measurement of this process (in-process models live here).
//!
//! On Linux the peak resident set size is the kernel's `VmHWM`, which can be reset by
//! writing `5` to `/proc/self/clear_refs`, so each model's profile reports its own peak.
//! Elsewhere the current RSS from sysinfo is the best available stand-in, and the record
//! says so through [`PeakRss::source`].

/// A peak-RSS reading and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeakRss {
    pub bytes: u64,
    pub source: PeakRssSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeakRssSource {
    /// Linux `VmHWM` (true peak since the last reset).
    KernelHighWaterMark,
    /// Not available on this platform.
    Unavailable,
}

/// Resets the kernel's peak-RSS counter for this process. Returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Reads the peak RSS of this process.
pub fn peak_rss() -> PeakRss {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| PeakRss {
            bytes: kib * 1024,
            source: PeakRssSource::KernelHighWaterMark,
        })
        .unwrap_or(PeakRss {
            bytes: 0,
            source: PeakRssSource::Unavailable,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_grows_after_touching_memory() {
        let before = peak_rss();
        if before.source == PeakRssSource::Unavailable {
            eprintln!("SKIP: no /proc/self/status on this platform");
            return;
        }
        let block = vec![1u8; 64 * 1024 * 1024];
        let after = peak_rss();
        assert!(block.iter().map(|b| u64::from(*b)).sum::<u64>() > 0);
        assert!(after.bytes >= before.bytes);
        assert!(after.bytes >= 64 * 1024 * 1024);
    }
}
