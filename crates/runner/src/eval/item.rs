//! The items of a unit: which ones a plan selects, streamed from a blocking thread, and one
//! item run on the backend and scored.

use crate::plan::EvalPlan;
use crate::RunnerError;
use std::collections::BTreeSet;
use tokio::sync::mpsc;
use yardstick_backend::{Backend, ChatEnd, GenerateRequest, Sampling};
use yardstick_core::{Execution, ItemResult};
use yardstick_sandbox::Sandbox;
use yardstick_tasks::{ItemKind, Selection, TaskDefinition, TaskItem};

/// Runs one item on the backend (rendering it with the chat template first when the plan
/// asks) and scores it.
pub(super) async fn run_item(
    plan: &EvalPlan,
    task: &TaskDefinition,
    item: TaskItem,
    backend: &dyn Backend,
    sandbox: Option<&Sandbox>,
) -> Result<ItemResult, RunnerError> {
    let index = item.index;
    let failed = |source| RunnerError::Item {
        task: task.name().to_string(),
        item: index,
        source,
    };
    // A server's chat API applies the template itself: the conversation is sent as is.
    let mut conversation = None;
    let item = if plan.apply_chat_template {
        let (inputs, add_generation_prompt) = if plan.fewshot_as_multiturn {
            item.chat_turns_multiturn()
        } else {
            item.chat_turns()
        };
        if backend.renders_chat_itself() {
            conversation = inputs.into_iter().next();
            item
        } else {
            let mut contexts = Vec::with_capacity(inputs.len());
            for turns in &inputs {
                contexts.push(
                    backend
                        .apply_chat_template(
                            turns,
                            ChatEnd::from_generation_prompt(add_generation_prompt),
                        )
                        .await
                        .map_err(failed)?,
                );
            }
            item.with_chat_contexts(contexts).map_err(|message| {
                RunnerError::Plan(format!("{} item {index}: {message}", task.name()))
            })?
        }
    } else {
        item
    };
    let result = match &item.kind {
        ItemKind::Choices | ItemKind::Loglikelihood => {
            let scores = backend
                .loglikelihood(item.request.clone())
                .await
                .map_err(failed)?;
            task.score(&item, &scores)?
        }
        ItemKind::Rolling { text } => {
            let score = backend.loglikelihood_rolling(text).await.map_err(failed)?;
            task.score_rolling(&item, score.loglikelihood)?
        }
        ItemKind::Generate {
            until,
            max_tokens,
            sampling,
            repeats,
        } => {
            let mut generations = Vec::with_capacity(*repeats as usize);
            for repeat in 0..*repeats {
                let request = GenerateRequest {
                    prompt: item.context.clone(),
                    max_tokens: *max_tokens,
                    stop: until.clone(),
                    ignore_eos: false,
                    sampling: sampling.as_ref().map(|sampling| Sampling {
                        temperature: sampling.temperature,
                        top_k: sampling.top_k,
                        top_p: sampling.top_p,
                        seed: generation_seed(plan.seed, index, repeat),
                    }),
                };
                let generation = match &conversation {
                    Some(turns) => backend.generate_chat(turns, request).await,
                    None => backend.generate(request).await,
                };
                generations.push(generation.map_err(failed)?.text);
            }
            if task.needs_execution()? {
                let sandbox = sandbox.ok_or_else(|| {
                    RunnerError::Plan(format!("{} runs code and no sandbox was made", task.name()))
                })?;
                let runs = execute(task, &item, &generations, sandbox).await?;
                task.score_code(&item, &generations, &runs)?
            } else {
                task.score_generation(&item, &generations)?
            }
        }
    };
    Ok(result)
}

/// Runs a code item's programs (one per sample and filter pipeline) in the sandbox, each
/// run's outcome recorded.
pub(crate) async fn execute(
    task: &TaskDefinition,
    item: &TaskItem,
    generations: &[String],
    sandbox: &Sandbox,
) -> Result<Vec<(String, Vec<Execution>)>, RunnerError> {
    let programs = task.code_programs(item, generations)?;
    let mut runs = Vec::with_capacity(programs.len());
    for (filter, programs) in programs {
        let results =
            futures::future::join_all(programs.iter().map(|program| sandbox.run_python(program)))
                .await;
        let mut executions = Vec::with_capacity(results.len());
        for (sample, result) in results.into_iter().enumerate() {
            let result = result.map_err(|source| RunnerError::Sandbox {
                task: task.name().to_string(),
                source,
            })?;
            executions.push(Execution {
                sample: sample as u32,
                kind: result.kind,
                detail: result.detail,
                wall_ms: result.wall.as_millis() as u64,
            });
        }
        runs.push((filter, executions));
    }
    Ok(runs)
}

/// The sampling seed of one generation: the plan's seed, the item and the repeat, mixed
/// (splitmix64) so that items and repeats draw independent streams.
fn generation_seed(seed: u64, item: u64, repeat: u32) -> u64 {
    let mut z = seed
        ^ item.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ u64::from(repeat).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reads the task's items on a blocking thread (file I/O and rendering) and hands over those
/// not yet stored, in dataset order, through a small buffer.
pub(super) fn stream_items(
    task: TaskDefinition,
    plan: &EvalPlan,
    done: BTreeSet<u64>,
) -> mpsc::Receiver<Result<TaskItem, RunnerError>> {
    let (sender, receiver) = mpsc::channel(16);
    let data_dir = plan.data_dir.clone();
    let plan = plan.clone();
    tokio::task::spawn_blocking(move || {
        let items = selection_for(&plan, &task, &data_dir)
            .and_then(|selection| task.select_items(&data_dir, &selection, plan.seed));
        let items = match items {
            Ok(items) => items,
            Err(error) => {
                let _ = sender.blocking_send(Err(error.into()));
                return;
            }
        };
        for item in items {
            let item = item.map_err(RunnerError::from);
            if let Ok(item) = &item {
                if done.contains(&item.index) {
                    continue;
                }
            }
            let failed = item.is_err();
            if sender.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    receiver
}

/// Which items of `task` a plan runs: `--limit` (a count, or a fraction of the task's items
/// rounded up as lm-eval does), `--samples`, and the system instruction.
pub(super) fn selection_for(
    plan: &EvalPlan,
    task: &TaskDefinition,
    data_dir: &std::path::Path,
) -> Result<Selection, yardstick_tasks::TaskError> {
    let limit = match (plan.limit, plan.limit_fraction) {
        (Some(limit), _) => Some(limit),
        (None, Some(fraction)) => {
            let total = task.count_items(data_dir)?;
            Some((total as f64 * fraction).ceil() as u64)
        }
        (None, None) => None,
    };
    let indices = plan
        .samples
        .as_ref()
        .and_then(|samples| samples.get(task.name()))
        .map(|indices| indices.iter().copied().collect());
    Ok(Selection {
        limit,
        indices,
        system_instruction: plan.system_instruction.clone(),
    })
}
