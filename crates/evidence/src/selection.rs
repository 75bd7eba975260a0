//! What the decision commands select from the store: the two sides of a comparison (two
//! runs, or two models' newest results), the runs of a regression check, and the quality
//! of each deployment to join with its speed.

use std::collections::{BTreeMap, BTreeSet};

use yardstick_core::{Host, MetricRecord};
use yardstick_store::{Run, RunKind, RunUnit, Store};

use crate::comparable::ComparisonMode;
use crate::gather::{self, BenchRun};
use crate::results::{BenchUnit, EvalUnit};
use crate::scores::{main_metric, scores_by_task, top_level_groups, GroupMembership};
use crate::EvidenceError;

/// The two sides of a comparison, as read from the store.
#[derive(Debug, Clone)]
pub enum Sides {
    /// Two eval runs (`--run A --run B`), named by their ids.
    EvalRuns {
        names: (String, String),
        baseline: Vec<EvalUnit>,
        candidate: Vec<EvalUnit>,
    },
    /// Two bench runs, named by their ids.
    BenchRuns {
        names: (String, String),
        baseline: Vec<BenchUnit>,
        candidate: Vec<BenchUnit>,
    },
    /// Two models, or two deployments (named by their names): each one's newest complete
    /// eval unit per task (when both have some) and the newest pair of their bench runs with
    /// a comparable load point (when there is one).
    Models {
        names: (String, String),
        evals: Option<(Vec<EvalUnit>, Vec<EvalUnit>)>,
        benches: Option<(BenchRun, BenchRun)>,
    },
}

/// Reads the sides named by exactly two run ids or exactly two models (baseline first).
pub async fn comparison_sides(
    store: &Store,
    runs: &[String],
    models: &[String],
    mode: ComparisonMode,
) -> Result<Sides, EvidenceError> {
    match (runs, models) {
        ([baseline, candidate], []) => {
            let runs = two_runs(store, ("--run", baseline), ("--run", candidate)).await?;
            run_sides(store, runs, |run, kind| {
                format!("--run {run}: {kind} runs have nothing to compare item by item")
            })
            .await
        }
        ([], [baseline, candidate]) => {
            let left = gather::latest_eval_units(store, baseline).await?;
            let right = gather::latest_eval_units(store, candidate).await?;
            let evals = (!left.is_empty() && !right.is_empty()).then_some((left, right));
            let benches =
                gather::latest_comparable_benches(store, baseline, candidate, mode).await?;
            if evals.is_none() && benches.is_none() {
                return Err(EvidenceError::Refused(format!(
                    "--model {baseline} --model {candidate}: no eval results on both models and no comparable bench runs of both (`yardstick leaderboard` and `yardstick runs list` show what is stored)"
                )));
            }
            Ok(Sides::Models {
                names: (baseline.clone(), candidate.clone()),
                evals,
                benches,
            })
        }
        _ => Err(EvidenceError::Refused(format!(
            "give exactly two --run (baseline then candidate) or exactly two --model, not {} --run and {} --model",
            runs.len(),
            models.len()
        ))),
    }
}

/// Reads the sides named by exactly two deployments (names or ids, baseline first): each
/// one's newest complete eval unit per task and the newest pair of their bench runs with a
/// comparable load point — quality and speed of the same deployment, never of another
/// deployment of the same model.
pub async fn deployment_sides(
    store: &Store,
    deployments: &[String],
    mode: ComparisonMode,
) -> Result<Sides, EvidenceError> {
    let [baseline, candidate] = deployments else {
        return Err(EvidenceError::Refused(format!(
            "give exactly two --deployment (baseline then candidate), not {}",
            deployments.len()
        )));
    };
    let (left_name, left_evals, left_benches) = deployment_side(store, baseline).await?;
    let (right_name, right_evals, right_benches) = deployment_side(store, candidate).await?;
    let evals =
        (!left_evals.is_empty() && !right_evals.is_empty()).then_some((left_evals, right_evals));
    let benches = gather::newest_comparable_pair(&left_benches, &right_benches, mode);
    if evals.is_none() && benches.is_none() {
        return Err(EvidenceError::Refused(format!(
            "--deployment {left_name} --deployment {right_name}: no eval results of both deployments and no comparable bench runs of both (`yardstick deployments list` shows what each has)"
        )));
    }
    Ok(Sides::Models {
        names: (left_name, right_name),
        evals,
        benches,
    })
}

/// One side of [`deployment_sides`]: the deployment's name, its newest eval units and its
/// bench runs.
async fn deployment_side(
    store: &Store,
    name: &str,
) -> Result<(String, Vec<EvalUnit>, Vec<BenchRun>), EvidenceError> {
    let deployment = store
        .deployment(name)
        .await?
        .ok_or_else(|| EvidenceError::Missing {
            what: format!("--deployment {name}"),
            reason: "no such deployment (`yardstick deployments list` shows them)".to_string(),
        })?;
    let ids = BTreeSet::from([deployment.deployment_id.clone()]);
    let evals = gather::latest_deployment_eval_units(store, &ids).await?;
    let benches = gather::bench_runs_of_deployment(store, &deployment.deployment_id).await?;
    Ok((deployment.name, evals, benches))
}

/// Two runs by id (each named by its flag) that must be of the same kind.
pub async fn two_runs(
    store: &Store,
    (baseline_flag, baseline): (&str, &str),
    (candidate_flag, candidate): (&str, &str),
) -> Result<(Run, Run), EvidenceError> {
    let baseline = gather::run_by_id(store, baseline_flag, baseline).await?;
    let candidate = gather::run_by_id(store, candidate_flag, candidate).await?;
    if baseline.kind != candidate.kind {
        let hint = if baseline_flag == candidate_flag {
            "compare two eval runs or two bench runs"
        } else {
            "give two eval runs or two bench runs"
        };
        return Err(EvidenceError::Refused(format!(
            "{baseline_flag} {} is {} run and {candidate_flag} {} {} run; {hint}",
            baseline.run_id,
            gather::with_article(baseline.kind),
            candidate.run_id,
            gather::with_article(candidate.kind)
        )));
    }
    Ok((baseline, candidate))
}

/// Reads the two runs of a regression check (`--baseline`, `--candidate`): two eval runs or
/// two bench runs.
pub async fn regression_sides(
    store: &Store,
    baseline: &str,
    candidate: &str,
) -> Result<Sides, EvidenceError> {
    let runs = two_runs(store, ("--baseline", baseline), ("--candidate", candidate)).await?;
    run_sides(store, runs, |run, kind| {
        format!("--baseline {run}: {kind} runs have no metrics to judge")
    })
    .await
}

/// The units of two runs of the same kind, eval or bench; another kind is refused with
/// `refusal(baseline run id, kind)`.
async fn run_sides(
    store: &Store,
    (baseline, candidate): (Run, Run),
    refusal: impl Fn(&str, &str) -> String,
) -> Result<Sides, EvidenceError> {
    let names = (baseline.run_id.clone(), candidate.run_id.clone());
    match baseline.kind {
        RunKind::Eval => Ok(Sides::EvalRuns {
            names,
            baseline: gather::eval_units(store, &baseline).await?,
            candidate: gather::eval_units(store, &candidate).await?,
        }),
        RunKind::Bench => Ok(Sides::BenchRuns {
            names,
            baseline: gather::bench_units(store, &baseline).await?,
            candidate: gather::bench_units(store, &candidate).await?,
        }),
        other => Err(EvidenceError::Refused(refusal(
            &baseline.run_id,
            other.as_str(),
        ))),
    }
}

/// Each model's task scores as the leaderboard scores them (a group such as mmlu aggregated
/// from its subtasks' main metrics, so that it counts once), from its newest complete eval
/// units (an empty map for a model never evaluated).
pub async fn model_scores(
    store: &Store,
    models: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, BTreeMap<String, MetricRecord>>, EvidenceError> {
    let groups = top_level_groups()?;
    let mut scores = BTreeMap::new();
    for model in models {
        if scores.contains_key(&model) {
            continue;
        }
        let leaves: BTreeMap<String, Vec<MetricRecord>> = gather::latest_eval_units(store, &model)
            .await?
            .into_iter()
            .map(|unit| (unit.unit.task, vec![unit.metric]))
            .collect();
        scores.insert(model, scores_by_task(&groups, &leaves));
    }
    Ok(scores)
}

/// The quality of deployments, as the leaderboard scores it, for joining with their speed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentScores {
    /// Task scores by deployment id (groups counted once), from the newest complete eval
    /// units of the deployment; empty when neither it nor a deployment of the same weights
    /// and engine was evaluated.
    pub scores: BTreeMap<String, BTreeMap<String, MetricRecord>>,
    /// Each deployment's name, by id.
    pub names: BTreeMap<String, String>,
    /// Deployments without eval results of their own whose scores are those of other
    /// deployments serving the same weights on the same engine at the same quantization
    /// (other hardware or serving settings): by id, those deployments' names.
    pub borrowed_from: BTreeMap<String, Vec<String>>,
}

/// Each deployment's task scores (see [`DeploymentScores`]): its own eval units', else
/// those of the deployments with the same weights, engine and quantization — a score is a
/// function of the item alone, whatever the hardware and slot count. A served model never
/// borrows from a local file: its weights are unknown.
pub async fn deployment_scores(
    store: &Store,
    deployment_ids: impl IntoIterator<Item = String>,
) -> Result<DeploymentScores, EvidenceError> {
    let groups = top_level_groups()?;
    let all = store.deployments().await?;
    let mut result = DeploymentScores::default();
    for id in deployment_ids {
        if result.scores.contains_key(&id) {
            continue;
        }
        let Some(deployment) = all.iter().find(|stored| stored.deployment_id == id) else {
            continue;
        };
        result.names.insert(id.clone(), deployment.name.clone());
        let own = BTreeSet::from([id.clone()]);
        let mut units = gather::latest_deployment_eval_units(store, &own).await?;
        if units.is_empty() {
            let siblings: BTreeSet<String> = all
                .iter()
                .filter(|other| {
                    other.deployment_id != id
                        && other.identity.same_weights_and_engine(&deployment.identity)
                })
                .map(|other| other.deployment_id.clone())
                .collect();
            if !siblings.is_empty() {
                units = gather::latest_deployment_eval_units(store, &siblings).await?;
            }
            let sources: BTreeSet<&str> = units
                .iter()
                .filter_map(|unit| unit.unit.deployment_id.as_deref())
                .filter_map(|source| {
                    all.iter()
                        .find(|stored| stored.deployment_id == source)
                        .map(|stored| stored.name.as_str())
                })
                .collect();
            if !sources.is_empty() {
                result.borrowed_from.insert(
                    id.clone(),
                    sources.into_iter().map(str::to_string).collect(),
                );
            }
        }
        let leaves: BTreeMap<String, Vec<MetricRecord>> = units
            .into_iter()
            .map(|unit| (unit.unit.task, vec![unit.metric]))
            .collect();
        result.scores.insert(id, scores_by_task(&groups, &leaves));
    }
    Ok(result)
}

/// One run of a report, with everything the report shows of it.
#[derive(Debug, Clone)]
pub struct ReportRun {
    pub run: Run,
    pub units: Vec<RunUnit>,
    /// Each unit's metric records, by unit id, in the order they were stored.
    pub unit_metrics: BTreeMap<i64, Vec<MetricRecord>>,
    /// Eval runs: the units with a main metric and their per-item values.
    pub eval_units: Vec<EvalUnit>,
    /// Bench runs: the load points with their latency samples.
    pub bench_units: Vec<BenchUnit>,
    /// Bench runs: the machine measured on, when recorded.
    pub host: Option<Host>,
    /// The names of the deployments its units measured, in the order first met.
    pub deployments: Vec<String>,
}

/// What a report is built from: its runs in the order given, and each evaluated model's
/// task scores over them (later runs replacing earlier ones; groups counted once).
#[derive(Debug, Clone)]
pub struct ReportEvidence {
    pub runs: Vec<ReportRun>,
    /// The groups each counted once in the report's comparisons.
    pub groups: GroupMembership,
    pub task_scores: BTreeMap<String, BTreeMap<String, MetricRecord>>,
}

/// Reads the runs named by `--runs`.
pub async fn report_evidence(
    store: &Store,
    run_ids: &[String],
) -> Result<ReportEvidence, EvidenceError> {
    let mut runs = Vec::new();
    for run_id in run_ids {
        let run = store
            .run(run_id)
            .await?
            .ok_or_else(|| EvidenceError::Missing {
                what: format!("--runs {run_id}"),
                reason: "no such run (`yardstick runs list`)".to_string(),
            })?;
        runs.push(run);
    }
    let names: BTreeMap<String, String> = store
        .deployments()
        .await?
        .into_iter()
        .map(|deployment| (deployment.deployment_id, deployment.name))
        .collect();
    let mut report_runs = Vec::new();
    // Model → leaf task → its records, later runs replacing earlier ones.
    let mut leaf_records: BTreeMap<String, BTreeMap<String, Vec<MetricRecord>>> = BTreeMap::new();
    for run in runs {
        let units = store.units(&run.run_id).await?;
        let unit_metrics = gather::unit_metrics(store, &run.run_id).await?;
        let (eval_units, bench_units) = match run.kind {
            RunKind::Eval => (gather::eval_units(store, &run).await?, Vec::new()),
            RunKind::Bench => (Vec::new(), gather::bench_units(store, &run).await?),
            _ => (Vec::new(), Vec::new()),
        };
        if run.kind == RunKind::Eval {
            for unit in &units {
                let Some(records) = unit_metrics.get(&unit.unit_id) else {
                    continue;
                };
                if main_metric(records).is_some() {
                    leaf_records
                        .entry(unit.model.clone())
                        .or_default()
                        .insert(unit.task.clone(), records.clone());
                }
            }
        }
        let mut deployments: Vec<String> = Vec::new();
        for name in units
            .iter()
            .filter_map(|unit| unit.deployment_id.as_ref())
            .filter_map(|id| names.get(id))
        {
            if !deployments.contains(name) {
                deployments.push(name.clone());
            }
        }
        report_runs.push(ReportRun {
            deployments,
            host: gather::host_of(&run)?,
            run,
            units,
            unit_metrics,
            eval_units,
            bench_units,
        });
    }
    let groups = top_level_groups()?;
    let task_scores = leaf_records
        .iter()
        .map(|(model, leaves)| (model.clone(), scores_by_task(&groups, leaves)))
        .collect();
    Ok(ReportEvidence {
        runs: report_runs,
        groups: GroupMembership::from_definitions(&groups),
        task_scores,
    })
}
