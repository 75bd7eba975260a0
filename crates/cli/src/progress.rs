//! Progress bars (indicatif) for the runner's progress events: one bar per model × task with
//! items/s and ETA.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use yardstick_runner::ProgressSink;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<(String, String), ProgressBar>>,
    quiet: bool,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        let multi = MultiProgress::new();
        if quiet {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
            quiet,
        }
    }

    fn style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{prefix:<40} [{bar:30}] {pos:>5}/{len:5} {per_sec:>12} ETA {eta:>4} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }
}

impl ProgressSink for Bars {
    fn unit_started(&self, model: &str, task: &str, total: u64, already_done: u64) {
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(Self::style());
        bar.set_prefix(format!("{model} × {task}"));
        bar.set_position(already_done);
        bar.reset_eta();
        if already_done > 0 {
            bar.set_message(format!("({already_done} restored)"));
        }
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert((model.to_string(), task.to_string()), bar);
        }
    }

    fn item_done(&self, model: &str, task: &str) {
        if let Ok(bars) = self.bars.lock() {
            if let Some(bar) = bars.get(&(model.to_string(), task.to_string())) {
                bar.inc(1);
            }
        }
    }

    fn unit_finished(&self, model: &str, task: &str, summary: &str) {
        if let Ok(mut bars) = self.bars.lock() {
            if let Some(bar) = bars.remove(&(model.to_string(), task.to_string())) {
                bar.finish_with_message(summary.to_string());
            }
        }
    }

    fn message(&self, text: &str) {
        if !self.quiet {
            let _ = self.multi.println(format!("==> {text}"));
        }
    }
}
