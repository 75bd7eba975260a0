//! `yardstick eval`: every model × task of an [`EvalPlan`], each finished item written to the
//! store before the next starts, resumable after any interruption.

use crate::loader::BackendLoader;
use crate::plan::{EvalPlan, ModelSpec};
use crate::progress::ProgressSink;
use crate::RunnerError;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use yardstick_backend::{Backend, GenerateRequest, Sampling};
use yardstick_core::{
    Fingerprint, ItemResult, MetricRecord, PromptFormat, RunFingerprint, TaskFingerprint, Unit,
};
use yardstick_store::{NewRun, NewRunUnit, RunKind, RunUnit, Status, Store};
use yardstick_tasks::{
    AggregateOptions, GroupDefinition, ItemKind, Selection, TaskDefinition, TaskItem,
};

/// What an eval needs besides its plan.
pub struct EvalContext<'a> {
    pub store: &'a Store,
    pub loader: &'a dyn BackendLoader,
    pub progress: &'a dyn ProgressSink,
    /// Cancelled on Ctrl-C: the run stops after the item in flight and is marked interrupted.
    pub cancel: CancellationToken,
}

/// One result line: a metric of a model on a task (or group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub model: String,
    pub task: String,
    pub metric: String,
    pub value: f64,
    pub stderr: Option<f64>,
    pub n: Option<u64>,
    pub unit: Unit,
    /// The unit's fingerprint id; `None` for group aggregates.
    pub fingerprint_id: Option<String>,
}

/// The outcome of an eval, as printed and written by `--output-json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOutcome {
    pub run_id: String,
    /// `complete`, `interrupted` or `failed` (the store's run status).
    pub status: String,
    /// Whether an earlier, unfinished run was continued.
    pub resumed: bool,
    pub fingerprint: RunFingerprint,
    pub results: Vec<ResultRow>,
    /// Units that failed, with the reason (their finished items are kept).
    pub failures: Vec<String>,
    /// Metrics that were not computed (code execution for pass@k): "model × task: metric".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_scored: Vec<String>,
}

/// Runs a plan, continuing the unfinished run with the same fingerprint if there is one.
pub async fn run_eval(
    plan: &EvalPlan,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let prepared = prepare(plan, context).await?;
    let fingerprint_id = prepared.fingerprint.id();
    let existing = context
        .store
        .find_incomplete_run_by_fingerprint(&fingerprint_id)
        .await?;
    let (run_id, resumed) = match existing {
        Some(run) => (run.run_id, true),
        None => {
            let created_at = Utc::now();
            let run = NewRun {
                run_id: yardstick_store::new_run_id(created_at),
                kind: RunKind::Eval,
                created_at,
                plan: serde_json::to_value(plan).map_err(RunnerError::encode("the plan"))?,
                fingerprint: serde_json::to_value(&prepared.fingerprint)
                    .map_err(RunnerError::encode("the fingerprint"))?,
                fingerprint_id,
            };
            (context.store.create_run(&run).await?.run_id, false)
        }
    };
    execute(plan, prepared, run_id, resumed, context).await
}

/// Continues run `run_id` with the plan stored with it. Refuses if anything that changes
/// scores (data files, task definitions, yardstick or llama.cpp version) differs now.
pub async fn resume_eval(
    run_id: &str,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let run = context
        .store
        .run(run_id)
        .await?
        .ok_or_else(|| RunnerError::UnknownRun(run_id.to_string()))?;
    if run.kind != RunKind::Eval {
        return Err(RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: "it is not an eval run".into(),
        });
    }
    let plan: EvalPlan =
        serde_json::from_value(run.plan.clone()).map_err(|error| RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: format!("its stored plan cannot be read: {error}"),
        })?;
    let prepared = prepare(&plan, context).await?;
    if prepared.fingerprint.id() != run.fingerprint_id {
        let stored: Option<RunFingerprint> = serde_json::from_value(run.fingerprint).ok();
        return Err(RunnerError::NotResumable {
            run_id: run_id.to_string(),
            reason: format!(
                "its fingerprint changed ({}); start a new run instead",
                describe_difference(stored.as_ref(), &prepared.fingerprint)
            ),
        });
    }
    execute(&plan, prepared, run.run_id, true, context).await
}

struct Prepared {
    tasks: Vec<(TaskDefinition, TaskFingerprint)>,
    groups: Vec<GroupDefinition>,
    fingerprint: RunFingerprint,
}

/// Resolves tasks, reads and hashes every selected item once, and builds the fingerprints.
async fn prepare(plan: &EvalPlan, context: &EvalContext<'_>) -> Result<Prepared, RunnerError> {
    if plan.models.is_empty() {
        return Err(RunnerError::Plan("no model given (use --model)".into()));
    }
    if plan.tasks.is_empty() {
        return Err(RunnerError::Plan("no task given (use --tasks)".into()));
    }
    let mut leaves: Vec<TaskDefinition> = Vec::new();
    let mut groups: Vec<GroupDefinition> = Vec::new();
    for name in &plan.tasks {
        let resolved = yardstick_tasks::resolve_spec(name)?;
        for task in resolved.tasks {
            let task = match plan.num_fewshot {
                Some(shots) => task.with_num_fewshot(shots)?,
                None => task,
            };
            let task = match plan.repeats {
                Some(repeats)
                    if task.config().output_type == yardstick_tasks::OutputType::GenerateUntil =>
                {
                    task.with_repeats(repeats)?
                }
                _ => task,
            };
            if !leaves.iter().any(|known| known.name() == task.name()) {
                leaves.push(task);
            }
        }
        for group in resolved.groups {
            if !groups.iter().any(|known| known.name() == group.name()) {
                groups.push(group);
            }
        }
    }
    if let Some(samples) = &plan.samples {
        for task in samples.keys() {
            if !leaves.iter().any(|known| known.name() == task) {
                return Err(RunnerError::Plan(format!(
                    "the samples file names task `{task}`, which is not among the tasks to run"
                )));
            }
        }
    }
    context.progress.message(&format!(
        "reading {} task(s) to fingerprint their prompts",
        leaves.len()
    ));
    let data_dir = plan.data_dir.clone();
    let plan_for_tasks = plan.clone();
    let tasks = tokio::task::spawn_blocking(move || {
        leaves
            .into_iter()
            .map(|task| {
                let selection = selection_for(&plan_for_tasks, &task, &data_dir)?;
                let fingerprint =
                    task.fingerprint_selection(&data_dir, &selection, plan_for_tasks.seed)?;
                Ok((task, fingerprint))
            })
            .collect::<Result<Vec<_>, yardstick_tasks::TaskError>>()
    })
    .await
    .map_err(|error| RunnerError::Worker(error.to_string()))??;

    let facts = context.loader.engine_facts(&plan.engine);
    let version = env!("CARGO_PKG_VERSION").to_string();
    let commit = env!("YARDSTICK_GIT_COMMIT").to_string();
    let units = plan
        .models
        .iter()
        .flat_map(|model| {
            tasks.iter().map(|(_, task_fingerprint)| Fingerprint {
                model: model.name.clone(),
                model_sha256: model.sha256.clone(),
                task: task_fingerprint.clone(),
                yardstick_version: version.clone(),
                git_commit: commit.clone(),
                llama_cpp_version: facts.engine_version.clone(),
                seed: plan.seed,
                batching_scheme: facts.batching_scheme.clone(),
                threads: plan.engine.threads,
                prompt_format: prompt_format(plan, model),
            })
        })
        .collect();
    let fingerprint = RunFingerprint {
        yardstick_version: version,
        git_commit: commit,
        llama_cpp_version: facts.engine_version,
        seed: plan.seed,
        batching_scheme: facts.batching_scheme,
        threads: plan.engine.threads,
        units,
    };
    Ok(Prepared {
        tasks,
        groups,
        fingerprint,
    })
}

async fn execute(
    plan: &EvalPlan,
    prepared: Prepared,
    run_id: String,
    resumed: bool,
    context: &EvalContext<'_>,
) -> Result<EvalOutcome, RunnerError> {
    let store = context.store;
    store
        .set_run_status(&run_id, Status::Running, Utc::now())
        .await?;
    let mut failures = Vec::new();
    let mut interrupted = false;

    'models: for model in &plan.models {
        let mut units = Vec::new();
        for (task, task_fingerprint) in &prepared.tasks {
            let fingerprint = prepared
                .fingerprint
                .units
                .iter()
                .find(|unit| unit.model == model.name && &unit.task == task_fingerprint)
                .cloned()
                .ok_or_else(|| RunnerError::Plan("fingerprint missing for a unit".into()))?;
            let unit = store
                .create_unit(&NewRunUnit {
                    run_id: run_id.clone(),
                    model: model.name.clone(),
                    task: task.name().to_string(),
                    fingerprint,
                    items_total: task_fingerprint.items,
                    started_at: Utc::now(),
                })
                .await?;
            units.push((task, unit));
        }
        if units
            .iter()
            .all(|(_, unit)| unit.status == Status::Complete)
        {
            aggregate_groups(store, &run_id, &model.name, &prepared.groups).await?;
            continue;
        }
        context
            .progress
            .message(&format!("{}: loading {}", model.name, model.path.display()));
        let loaded = context.loader.load(model, &plan.engine).await?;
        for (task, unit) in units {
            if unit.status == Status::Complete {
                continue;
            }
            match run_unit(
                plan,
                model,
                task,
                &unit,
                Arc::clone(&loaded.backend),
                context,
            )
            .await
            {
                Ok(UnitEnd::Finished) => {}
                Ok(UnitEnd::Interrupted) => {
                    store
                        .set_unit_status(unit.unit_id, Status::Interrupted, Utc::now())
                        .await?;
                    interrupted = true;
                    break 'models;
                }
                Err(error) => {
                    store
                        .set_unit_status(unit.unit_id, Status::Failed, Utc::now())
                        .await?;
                    let message = format!("{} × {}: {error}", model.name, task.name());
                    context.progress.unit_finished(
                        &model.name,
                        task.name(),
                        &format!("failed: {error}"),
                    );
                    failures.push(message);
                }
            }
        }
        aggregate_groups(store, &run_id, &model.name, &prepared.groups).await?;
    }

    let status = if interrupted {
        Status::Interrupted
    } else if failures.is_empty() {
        Status::Complete
    } else {
        Status::Failed
    };
    store.set_run_status(&run_id, status, Utc::now()).await?;
    let results = result_rows(store, &run_id).await?;
    let mut not_scored = Vec::new();
    for model in &plan.models {
        for (task, _) in &prepared.tasks {
            for metric in task.metrics()? {
                if yardstick_tasks::metrics::is_not_scored(&metric) {
                    not_scored.push(format!(
                        "{} × {}: {} (needs code execution, not implemented yet; the generations are stored)",
                        model.name,
                        task.name(),
                        metric.name
                    ));
                }
            }
        }
    }
    Ok(EvalOutcome {
        run_id,
        status: status.as_str().to_string(),
        resumed,
        fingerprint: prepared.fingerprint,
        results,
        failures,
        not_scored,
    })
}

enum UnitEnd {
    Finished,
    Interrupted,
}

/// Scores the items of one unit that are not stored yet, then its metric records.
async fn run_unit(
    plan: &EvalPlan,
    model: &ModelSpec,
    task: &TaskDefinition,
    unit: &RunUnit,
    backend: Arc<dyn Backend>,
    context: &EvalContext<'_>,
) -> Result<UnitEnd, RunnerError> {
    let store = context.store;
    let done = store.completed_item_indices(unit.unit_id).await?;
    context.progress.unit_started(
        &model.name,
        task.name(),
        unit.items_total,
        done.len() as u64,
    );
    let mut items = stream_items(task.clone(), plan, done);
    let started = Instant::now();
    let mut scored: u64 = 0;
    while let Some(item) = items.recv().await {
        let item = item?;
        let result = tokio::select! {
            biased;
            () = context.cancel.cancelled() => return Ok(UnitEnd::Interrupted),
            result = run_item(plan, task, item, backend.as_ref()) => result?,
        };
        store.insert_item(unit.unit_id, &result).await?;
        scored += 1;
        context.progress.item_done(&model.name, task.name());
        if context.cancel.is_cancelled() {
            return Ok(UnitEnd::Interrupted);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let results = store.items(unit.unit_id).await?;
    if results.len() as u64 != unit.items_total {
        return Err(RunnerError::Plan(format!(
            "unit {} × {} has {} stored items, expected {}",
            model.name,
            task.name(),
            results.len(),
            unit.items_total
        )));
    }
    let options = AggregateOptions {
        bootstrap_iters: plan.bootstrap_iters,
        seed: plan.seed,
    };
    let mut records = task.aggregate_with(&results, &options)?;
    let mut summary = records
        .iter()
        .map(|record| format!("{} {:.4}", record.name, record.value))
        .collect::<Vec<_>>()
        .join(", ");
    if summary.is_empty() {
        summary = format!("{} generations stored, not scored", results.len());
    }
    if scored > 0 && elapsed > 0.0 {
        records.push(
            MetricRecord::new(
                ITEMS_PER_SECOND,
                scored as f64 / elapsed,
                Unit::ItemsPerSecond,
            )
            .with_n(scored),
        );
    }
    store.replace_unit_metrics(unit.unit_id, &records).await?;
    store
        .set_unit_status(unit.unit_id, Status::Complete, Utc::now())
        .await?;
    context
        .progress
        .unit_finished(&model.name, task.name(), &summary);
    Ok(UnitEnd::Finished)
}

/// Name of the scoring-throughput record of each unit (items scored in this session / s).
pub const ITEMS_PER_SECOND: &str = "items_per_second";

/// Runs one item on the backend (rendering it with the chat template first when the plan
/// asks) and scores it.
async fn run_item(
    plan: &EvalPlan,
    task: &TaskDefinition,
    item: TaskItem,
    backend: &dyn Backend,
) -> Result<ItemResult, RunnerError> {
    let index = item.index;
    let failed = |source| RunnerError::Item {
        task: task.name().to_string(),
        item: index,
        source,
    };
    let item = if plan.apply_chat_template {
        let (inputs, add_generation_prompt) = item.chat_turns();
        let mut contexts = Vec::with_capacity(inputs.len());
        for turns in &inputs {
            contexts.push(
                backend
                    .apply_chat_template(turns, add_generation_prompt)
                    .await
                    .map_err(failed)?,
            );
        }
        item.with_chat_contexts(contexts).map_err(|message| {
            RunnerError::Plan(format!("{} item {index}: {message}", task.name()))
        })?
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
                generations.push(backend.generate(request).await.map_err(failed)?.text);
            }
            task.score_generation(&item, &generations)?
        }
    };
    Ok(result)
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
fn stream_items(
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
fn selection_for(
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

/// The prompt format of a model's units, when prompts are not lm-eval's plain text.
fn prompt_format(plan: &EvalPlan, model: &ModelSpec) -> Option<PromptFormat> {
    if !plan.apply_chat_template && plan.system_instruction.is_none() {
        return None;
    }
    Some(PromptFormat {
        chat_template_sha256: if plan.apply_chat_template {
            model.chat_template_sha256.clone()
        } else {
            None
        },
        system_instruction: plan.system_instruction.clone(),
    })
}

/// Group records (e.g. `mmlu` from its 57 subjects) for one model, from the leaf records.
async fn aggregate_groups(
    store: &Store,
    run_id: &str,
    model: &str,
    groups: &[GroupDefinition],
) -> Result<(), RunnerError> {
    if groups.is_empty() {
        return Ok(());
    }
    let mut leaf_records: BTreeMap<String, Vec<MetricRecord>> = BTreeMap::new();
    for stored in store.metrics_for_run(run_id).await? {
        if stored.model == model && stored.unit_id.is_some() {
            leaf_records
                .entry(stored.task)
                .or_default()
                .push(stored.record);
        }
    }
    // Groups come members first, so a group's records can feed the group containing it.
    for group in groups {
        let records = group.aggregate(&leaf_records);
        store
            .replace_run_metrics(run_id, model, group.name(), &records)
            .await?;
        leaf_records.insert(group.name().to_string(), records);
    }
    Ok(())
}

/// Every metric record of a run as result rows, units first (in run order), then groups.
pub async fn result_rows(store: &Store, run_id: &str) -> Result<Vec<ResultRow>, RunnerError> {
    let units = store.units(run_id).await?;
    let fingerprints: BTreeMap<i64, String> = units
        .iter()
        .map(|unit| (unit.unit_id, unit.fingerprint_id.clone()))
        .collect();
    Ok(store
        .metrics_for_run(run_id)
        .await?
        .into_iter()
        .map(|stored| ResultRow {
            model: stored.model,
            task: stored.task,
            metric: stored.record.name,
            value: stored.record.value,
            stderr: stored.record.stderr,
            n: stored.record.n,
            unit: stored.record.unit,
            fingerprint_id: stored.unit_id.and_then(|id| fingerprints.get(&id).cloned()),
        })
        .collect())
}

/// A human description of what differs between two run fingerprints.
fn describe_difference(stored: Option<&RunFingerprint>, now: &RunFingerprint) -> String {
    let Some(stored) = stored else {
        return "the stored fingerprint cannot be read".into();
    };
    let mut differences = Vec::new();
    if stored.yardstick_version != now.yardstick_version || stored.git_commit != now.git_commit {
        differences.push(format!(
            "yardstick {} ({}) → {} ({})",
            stored.yardstick_version, stored.git_commit, now.yardstick_version, now.git_commit
        ));
    }
    if stored.llama_cpp_version != now.llama_cpp_version {
        differences.push(format!(
            "llama.cpp {} → {}",
            stored.llama_cpp_version, now.llama_cpp_version
        ));
    }
    for (before, after) in stored.units.iter().zip(&now.units) {
        if before.model_sha256 != after.model_sha256 {
            differences.push(format!("model {} file changed", after.model));
        }
        if before.task.dataset_sha256 != after.task.dataset_sha256 {
            differences.push(format!("dataset of {} changed", after.task.task));
        }
        if before.task.task_hash != after.task.task_hash
            || before.task.prompt_hash != after.task.prompt_hash
        {
            differences.push(format!(
                "definition or prompts of {} changed",
                after.task.task
            ));
        }
    }
    if differences.is_empty() {
        "settings differ".into()
    } else {
        differences.sort();
        differences.dedup();
        differences.join("; ")
    }
}
