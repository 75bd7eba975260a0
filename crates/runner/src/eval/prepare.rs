//! Preparing an eval before anything runs: the plan's tasks and groups resolved, every
//! selected item read and hashed once, and the run's fingerprint built; and, on resume, what
//! changed between a stored fingerprint and today's.

use super::item::selection_for;
use super::EvalContext;
use crate::deployment;
use crate::loader::EngineFacts;
use crate::plan::{EvalPlan, ModelSpec};
use crate::RunnerError;
use yardstick_backend::Need;
use yardstick_core::{Deployment, Fingerprint, PromptFormat, RunFingerprint, TaskFingerprint};
use yardstick_store::StoredDeployment;
use yardstick_tasks::{GroupDefinition, OutputType, TaskDefinition, TextEmbedder};

pub(super) struct Prepared {
    pub(super) tasks: Vec<(TaskDefinition, TaskFingerprint)>,
    pub(super) groups: Vec<GroupDefinition>,
    pub(super) fingerprint: RunFingerprint,
    /// Each model's deployment, by model name.
    pub(super) deployments: Vec<(String, StoredDeployment)>,
    /// Where code tasks' programs run; `None` when no task runs code.
    pub(super) sandbox: Option<std::sync::Arc<yardstick_sandbox::Sandbox>>,
    /// The sentence-embedding model of embedding metrics; `None` when no task has one.
    pub(super) embedder: Option<std::sync::Arc<dyn TextEmbedder>>,
}

/// Resolves tasks, reads and hashes every selected item once, and builds the fingerprints.
pub(super) async fn prepare(
    plan: &EvalPlan,
    context: &EvalContext<'_>,
) -> Result<Prepared, RunnerError> {
    if plan.models.is_empty() {
        return Err(RunnerError::Plan("no model given (use --model)".into()));
    }
    if plan.tasks.is_empty() {
        return Err(RunnerError::Plan("no task given (use --tasks)".into()));
    }
    let (leaves, groups) = resolve_tasks(plan)?;
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
    refuse_what_cannot_be_scored(plan, &facts, &tasks)?;
    let sandbox = code_sandbox(plan, &tasks)?;
    let embedder = embedder(plan, &tasks).await?;
    let deployments = deployments(plan, &facts, context.store).await?;
    let fingerprint = run_fingerprint(plan, facts, &tasks);
    Ok(Prepared {
        tasks,
        groups,
        fingerprint,
        deployments,
        sandbox,
        embedder,
    })
}

/// all-MiniLM-L6-v2 as the tasks' [`TextEmbedder`].
struct SentenceEmbedder(yardstick_embed::Embedder);

impl std::fmt::Debug for SentenceEmbedder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(yardstick_embed::MODEL.name)
    }
}

impl TextEmbedder for SentenceEmbedder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        self.0.embed(texts).map_err(|error| error.to_string())
    }

    fn name(&self) -> &str {
        yardstick_embed::MODEL.name
    }
}

/// The sentence-embedding model, loaded (and its files checked) before anything runs when
/// a task has an embedding metric; a missing model refuses the eval, saying how to
/// install it. `None` when no task needs one.
async fn embedder(
    plan: &EvalPlan,
    tasks: &[(TaskDefinition, TaskFingerprint)],
) -> Result<Option<std::sync::Arc<dyn TextEmbedder>>, RunnerError> {
    let mut first = None;
    for (task, _) in tasks {
        if task.needs_embeddings()? {
            first = Some(task.name().to_string());
            break;
        }
    }
    let Some(task) = first else {
        return Ok(None);
    };
    let dir = match &plan.embedder_dir {
        Some(dir) => dir.clone(),
        None => yardstick_embed::default_dir()
            .map_err(|error| RunnerError::Plan(format!("{task}: {error}")))?,
    };
    let shown = dir.display().to_string();
    let loaded = tokio::task::spawn_blocking(move || yardstick_embed::Embedder::load(&dir))
        .await
        .map_err(|error| RunnerError::Worker(error.to_string()))?
        .map_err(|error| {
            RunnerError::Plan(format!(
                "{task} needs the sentence-embedding model {} in {shown}: {error}; install it with scripts/setup-embedder.sh",
                yardstick_embed::MODEL.name
            ))
        })?;
    Ok(Some(std::sync::Arc::new(SentenceEmbedder(loaded))))
}

/// A code task with several generations per problem: pass@k for the k they can estimate;
/// refused when the generations are greedy (the same program k times would say nothing).
fn code_samples(task: TaskDefinition) -> Result<TaskDefinition, RunnerError> {
    let repeats = task.config().repeats;
    if repeats <= 1 || !task.needs_execution()? {
        return Ok(task);
    }
    if !task.config().generation_kwargs.samples() {
        return Err(RunnerError::Plan(format!(
            "{} draws {repeats} generations per problem greedily, so pass@k would count one \
             program {repeats} times: sample them with --temperature (0.8 is the HumanEval \
             paper's for pass@100, 0.2 for pass@1)",
            task.name()
        )));
    }
    Ok(task.with_code_samples(repeats)?)
}

/// The sandbox code tasks run their programs in, found before anything runs (a missing
/// bubblewrap refuses the eval, saying what to install); `None` when no task runs code.
fn code_sandbox(
    plan: &EvalPlan,
    tasks: &[(TaskDefinition, TaskFingerprint)],
) -> Result<Option<std::sync::Arc<yardstick_sandbox::Sandbox>>, RunnerError> {
    let mut code_tasks = Vec::new();
    for (task, _) in tasks {
        if task.needs_execution()? {
            code_tasks.push(task.name().to_string());
        }
    }
    let Some(first) = code_tasks.first() else {
        return Ok(None);
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let sandbox = plan
        .code
        .sandbox(cpus)
        .map_err(|source| RunnerError::Sandbox {
            task: first.clone(),
            source,
        })?;
    if plan.code.unsafe_no_sandbox {
        tracing::warn!(
            "running the programs of {} WITHOUT a sandbox (--unsafe-no-sandbox): generated code can read and write what this user can and reach the network",
            code_tasks.join(", ")
        );
    }
    Ok(Some(std::sync::Arc::new(sandbox)))
}

/// Each model's deployment, recorded (matched or created) before the run starts, so a
/// refused `--deployment` name stores no run: the served model when scoring through a
/// server, else the GGUF on the in-process engine (one generation at a time) on this
/// machine.
async fn deployments(
    plan: &EvalPlan,
    facts: &EngineFacts,
    store: &yardstick_store::Store,
) -> Result<Vec<(String, StoredDeployment)>, RunnerError> {
    let flags = &plan.deployment;
    if flags.name.is_some() && plan.models.len() > 1 {
        return Err(RunnerError::Plan(format!(
            "--deployment names one deployment, and this eval has {} models; evaluate them one at a time to name each",
            plan.models.len()
        )));
    }
    if facts.endpoint.is_none() {
        flags.check_in_process()?;
    }
    let mut host = None;
    let mut recorded = Vec::new();
    for model in &plan.models {
        let identity = match &facts.endpoint {
            Some(endpoint) => {
                Deployment::from_endpoint(&model.name, endpoint, flags.served_hardware())
            }
            None => {
                let host =
                    host.get_or_insert_with(|| yardstick_bench::resources::detect_host(None));
                let version = &facts.engine_version;
                deployment::in_process(store, model, version, &plan.engine, 1, host).await?
            }
        };
        let stored = deployment::record(store, &identity, flags.name.as_deref()).await?;
        recorded.push((model.name.clone(), stored));
    }
    Ok(recorded)
}

/// The plan's leaf tasks (with its few-shot and repeat settings) and groups, each once, in
/// the order first named.
fn resolve_tasks(
    plan: &EvalPlan,
) -> Result<(Vec<TaskDefinition>, Vec<GroupDefinition>), RunnerError> {
    let mut leaves: Vec<TaskDefinition> = Vec::new();
    let mut groups: Vec<GroupDefinition> = Vec::new();
    for name in &plan.tasks {
        let resolved = yardstick_tasks::resolve_spec(name)?;
        for task in resolved.tasks {
            let task = match plan.num_fewshot {
                Some(shots) => task.with_num_fewshot(shots)?,
                None => task,
            };
            let generative =
                task.config().output_type == yardstick_tasks::OutputType::GenerateUntil;
            let task = match plan.repeats {
                Some(repeats) if generative => task.with_repeats(repeats)?,
                _ => task,
            };
            let task = match plan.temperature {
                Some(temperature) if generative => task.with_temperature(temperature)?,
                _ => task,
            };
            let task = code_samples(task)?;
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
    Ok((leaves, groups))
}

/// The run's fingerprint: one unit per model × task, and what every unit shares.
fn run_fingerprint(
    plan: &EvalPlan,
    facts: EngineFacts,
    tasks: &[(TaskDefinition, TaskFingerprint)],
) -> RunFingerprint {
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
                endpoint: facts.endpoint.clone(),
            })
        })
        .collect();
    RunFingerprint {
        yardstick_version: version,
        git_commit: commit,
        llama_cpp_version: facts.engine_version,
        seed: plan.seed,
        batching_scheme: facts.batching_scheme,
        threads: plan.engine.threads,
        units,
    }
}

/// What a task asks of the backend.
fn need_of(task: &TaskDefinition) -> Need {
    match task.config().output_type {
        OutputType::GenerateUntil => Need::Generate,
        OutputType::LoglikelihoodRolling => Need::RollingLoglikelihood,
        OutputType::MultipleChoice | OutputType::Loglikelihood => Need::Loglikelihood,
    }
}

/// Refuses, before anything is stored, a task the backend cannot score honestly: a server
/// without trustworthy prompt logprobs for a loglikelihood task, or a chat template a
/// server applies only to generations.
fn refuse_what_cannot_be_scored(
    plan: &EvalPlan,
    facts: &EngineFacts,
    tasks: &[(TaskDefinition, TaskFingerprint)],
) -> Result<(), RunnerError> {
    let backend = match &facts.endpoint {
        Some(endpoint) => format!("{} (model `{}`)", endpoint.base_url, endpoint.served_model),
        None => "the in-process engine".to_string(),
    };
    for (task, _) in tasks {
        let need = need_of(task);
        let refused = |need: Need, reason: String| RunnerError::Refused {
            task: task.name().to_string(),
            need,
            backend: backend.clone(),
            reason,
        };
        if let Some(unavailable) = facts.unavailable.iter().find(|gap| gap.need == need) {
            return Err(refused(need, unavailable.reason.clone()));
        }
        if plan.apply_chat_template && facts.endpoint.is_some() && need != Need::Generate {
            return Err(refused(
                Need::ChatTemplate,
                "a server applies its chat template only to chat generations, which return no prompt logprobs; score this task without --apply-chat-template".into(),
            ));
        }
    }
    Ok(())
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
        fewshot_as_multiturn: plan.apply_chat_template && plan.fewshot_as_multiturn,
    })
}

/// A human description of what differs between two run fingerprints.
pub(super) fn describe_difference(stored: Option<&RunFingerprint>, now: &RunFingerprint) -> String {
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
