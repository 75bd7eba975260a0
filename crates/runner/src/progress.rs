//! Progress reporting: the runner tells a sink what it is doing; the CLI draws bars.

/// Receives progress events. Implementations must be cheap: they are called per item.
pub trait ProgressSink: Send + Sync {
    /// A model × task unit starts; `already_done` items were restored from an earlier run.
    fn unit_started(&self, model: &str, task: &str, total: u64, already_done: u64);
    /// One more item of the current unit is finished.
    fn item_done(&self, model: &str, task: &str);
    /// The unit finished (or stopped); `summary` is a one-line result.
    fn unit_finished(&self, model: &str, task: &str, summary: &str);
    /// A free-form status line (loading a model, profiling a prompt length…).
    fn message(&self, text: &str);
}

/// A sink that ignores everything (tests, `--quiet`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn unit_started(&self, _model: &str, _task: &str, _total: u64, _already_done: u64) {}
    fn item_done(&self, _model: &str, _task: &str) {}
    fn unit_finished(&self, _model: &str, _task: &str, _summary: &str) {}
    fn message(&self, _text: &str) {}
}
