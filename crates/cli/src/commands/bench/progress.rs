//! Live progress of a bench: one bar per run with requests done, the current completion rate
//! and the median TTFT so far; finished runs are handed on to be stored.

use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedSender;
use yardstick_bench::report::LiveRun;
use yardstick_bench::{PointResult, ProgressSink, RunSettings};
use yardstick_load::RequestTiming;

pub struct BenchBars {
    quiet: bool,
    state: Mutex<State>,
    finished: UnboundedSender<(PointResult, u64)>,
}

struct State {
    bar: Option<ProgressBar>,
    started: Instant,
    live: LiveRun,
}

impl BenchBars {
    /// Finished runs go to `finished` (with their trial number).
    pub fn new(quiet: bool, finished: UnboundedSender<(PointResult, u64)>) -> BenchBars {
        BenchBars {
            quiet,
            state: Mutex::new(State {
                bar: None,
                started: Instant::now(),
                live: LiveRun::default(),
            }),
            finished,
        }
    }
}

impl ProgressSink for BenchBars {
    fn started(&self, settings: &RunSettings) {
        let bar = match settings.requests {
            Some(requests) => ProgressBar::new((requests + settings.warmup) as u64),
            None => ProgressBar::new_spinner(),
        };
        if self.quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let template = "{prefix:<22} [{bar:30}] {pos:>5}/{len:5} {elapsed:>4} {msg}";
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(settings.point.label());
        if let Ok(mut state) = self.state.lock() {
            if let Some(previous) = state.bar.take() {
                previous.finish();
            }
            *state = State {
                bar: Some(bar),
                started: Instant::now(),
                live: LiveRun::default(),
            };
        }
    }

    fn finished(&self, timing: &RequestTiming) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.live.record(timing);
        let message = state.live.message(state.started.elapsed());
        if let Some(bar) = &state.bar {
            bar.inc(1);
            bar.set_message(message);
        }
    }

    fn point_finished(&self, result: &PointResult, trial: u64) {
        if let Ok(mut state) = self.state.lock() {
            if let Some(bar) = state.bar.take() {
                bar.finish();
            }
        }
        // The receiver lives until the bench ends; a send can only fail after that.
        let _ = self.finished.send((result.clone(), trial));
    }
}
