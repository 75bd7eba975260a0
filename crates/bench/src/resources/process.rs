//! CPU time and RSS of one process through sysinfo, refreshing only that process.

use std::time::{Duration, Instant};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::{ProcessSample, ResourceError};

/// One process, with the previous reading to compute CPU use from.
pub(super) struct ProcessProbe {
    system: System,
    pid: Pid,
    previous: Option<(Instant, u64)>,
    /// Once gone, never read again: the pid could be reused by another process.
    gone: bool,
}

impl ProcessProbe {
    /// Fails when no process `pid` exists.
    pub(super) fn open(pid: u32) -> Result<ProcessProbe, ResourceError> {
        let mut probe = ProcessProbe {
            system: System::new(),
            pid: Pid::from_u32(pid),
            previous: None,
            gone: false,
        };
        if probe.refresh().is_none() {
            return Err(ResourceError::NoSuchProcess { pid });
        }
        Ok(probe)
    }

    /// Refreshes the process; `None` when it is gone. Returns CPU time (ms) and RSS (bytes).
    fn refresh(&mut self) -> Option<(u64, u64)> {
        let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::Some(&[self.pid]), true, kind);
        self.system
            .process(self.pid)
            .map(|process| (process.accumulated_cpu_time(), process.memory()))
    }

    /// Reads the process at `now` (`at` after start). CPU percent is computed over the time
    /// since the previous sample when that is at least `shortest_interval`.
    pub(super) fn sample(
        &mut self,
        now: Instant,
        shortest_interval: Duration,
        at: Duration,
        notes: &mut Vec<String>,
    ) -> Option<ProcessSample> {
        if self.gone {
            return None;
        }
        let Some((cpu_time_ms, rss_bytes)) = self.refresh() else {
            self.gone = true;
            notes.push(format!(
                "process {}: gone {:.3} s after the start; no process readings after that",
                self.pid,
                at.as_secs_f64()
            ));
            return None;
        };
        let cpu_percent = self.previous.and_then(|(then, previous_cpu_time_ms)| {
            let wall = now.duration_since(then);
            (wall >= shortest_interval && !wall.is_zero()).then(|| {
                let cpu = cpu_time_ms.saturating_sub(previous_cpu_time_ms) as f64;
                100.0 * cpu / (wall.as_secs_f64() * 1000.0)
            })
        });
        self.previous = Some((now, cpu_time_ms));
        Some(ProcessSample {
            cpu_time_ms,
            cpu_percent,
            rss_bytes,
        })
    }
}
