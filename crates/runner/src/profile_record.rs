//! Storing a profile: each model's records (run-level, as the leaderboard and costs read
//! them) and one unit per model, `profile:speed`, which holds no items: it says which
//! deployment the profile measured, as every unit does.

use chrono::Utc;
use yardstick_core::{Fingerprint, Host, TaskFingerprint};
use yardstick_store::{NewRunUnit, Status, Store, StoredDeployment};

use crate::deployment::{self, DeploymentFlags};
use crate::loader::EngineFacts;
use crate::plan::{ModelSpec, ProfilePlan};
use crate::profile::ModelProfile;
use crate::RunnerError;

/// The task name of a profile's unit, and the kind its run-level records are stored under.
pub const PROFILE_UNIT: &str = "profile:speed";
pub const SPEED_KIND: &str = "speed";

/// Each model's deployment for a profile (the in-process engine on `host`, one generation at
/// a time), recorded before measuring so a refused `--deployment` name measures nothing.
pub async fn profile_deployments(
    store: &Store,
    plan: &ProfilePlan,
    facts: &EngineFacts,
    flags: &DeploymentFlags,
    host: &Host,
) -> Result<Vec<(String, StoredDeployment)>, RunnerError> {
    flags.check_in_process()?;
    if flags.name.is_some() && plan.models.len() > 1 {
        return Err(RunnerError::Plan(format!(
            "--deployment names one deployment, and this profile has {} models; profile them one at a time to name each",
            plan.models.len()
        )));
    }
    let mut recorded = Vec::new();
    for model in &plan.models {
        let identity =
            deployment::in_process(store, model, &facts.engine_version, &plan.engine, 1, host)
                .await?;
        let stored = deployment::record(store, &identity, flags.name.as_deref()).await?;
        recorded.push((model.name.clone(), stored));
    }
    Ok(recorded)
}

/// Stores one model's profile in run `run_id`: its records, and its unit attached to its
/// deployment (complete).
pub async fn store_profile(
    store: &Store,
    run_id: &str,
    plan: &ProfilePlan,
    facts: &EngineFacts,
    profile: &ModelProfile,
    deployment: &StoredDeployment,
) -> Result<(), RunnerError> {
    store
        .replace_run_metrics(run_id, &profile.model, SPEED_KIND, &profile.metrics)
        .await?;
    let model = plan
        .models
        .iter()
        .find(|model| model.name == profile.model)
        .ok_or_else(|| {
            RunnerError::Plan(format!(
                "model {} is not in the profile plan",
                profile.model
            ))
        })?;
    let unit = store
        .create_unit_of(
            &NewRunUnit {
                run_id: run_id.to_string(),
                model: model.name.clone(),
                task: PROFILE_UNIT.to_string(),
                fingerprint: unit_fingerprint(plan, facts, model),
                items_total: 0,
                started_at: Utc::now(),
            },
            Some(&deployment.deployment_id),
        )
        .await?;
    store
        .set_unit_status(unit.unit_id, Status::Complete, Utc::now())
        .await?;
    Ok(())
}

/// The fingerprint of a profile's unit: the model, the engine, and the measurement's shape
/// (prompt lengths, decode tokens, repetitions) as its task.
fn unit_fingerprint(plan: &ProfilePlan, facts: &EngineFacts, model: &ModelSpec) -> Fingerprint {
    let shape = format!(
        "prompt_tokens={:?} decode_tokens={} repetitions={} warmup={} loads={}",
        plan.prompt_tokens, plan.decode_tokens, plan.repetitions, plan.warmup, plan.loads
    );
    Fingerprint {
        model: model.name.clone(),
        model_sha256: model.sha256.clone(),
        task: TaskFingerprint {
            task: PROFILE_UNIT.to_string(),
            task_hash: yardstick_core::sha256_hex(shape.as_bytes()),
            dataset_sha256: Default::default(),
            prompt_hash: String::new(),
            limit: None,
            items: 0,
            samples_sha256: None,
        },
        yardstick_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::GIT_COMMIT.to_string(),
        llama_cpp_version: facts.engine_version.clone(),
        seed: 0,
        batching_scheme: facts.batching_scheme.clone(),
        threads: plan.engine.threads,
        prompt_format: None,
        endpoint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::EngineSettings;
    use std::path::PathBuf;
    use yardstick_core::{MetricRecord, Unit};
    use yardstick_store::{NewRun, RunKind};

    fn profile_plan(models: &[&str]) -> ProfilePlan {
        ProfilePlan {
            models: models
                .iter()
                .map(|name| ModelSpec {
                    name: (*name).to_string(),
                    path: PathBuf::from(format!("/models/{name}.gguf")),
                    sha256: format!("sha-{name}"),
                    chat_template_sha256: None,
                })
                .collect(),
            prompt_tokens: vec![128],
            decode_tokens: 16,
            repetitions: 2,
            warmup: 1,
            loads: 1,
            engine: EngineSettings {
                threads: 2,
                context_tokens: 2048,
                batch_tokens: 512,
                logits_rows: 64,
            },
        }
    }

    fn facts() -> EngineFacts {
        EngineFacts {
            engine_version: "b6000 [AVX2 = 1]".into(),
            batching_scheme: "scheme".into(),
            endpoint: None,
            unavailable: Vec::new(),
        }
    }

    fn host() -> Host {
        Host {
            cpu: "Test CPU".into(),
            logical_cpus: 2,
            physical_cores: Some(1),
            memory_gib: 8.0,
            gpus: Vec::new(),
            os: None,
        }
    }

    #[tokio::test]
    async fn a_profile_stores_its_records_and_a_unit_of_the_models_deployment() {
        let store = Store::open_in_memory().await.expect("store");
        let plan = profile_plan(&["gemma"]);
        let flags = DeploymentFlags {
            name: Some("gemma-here".into()),
            hardware: None,
        };
        let deployments = profile_deployments(&store, &plan, &facts(), &flags, &host())
            .await
            .expect("deployments");
        store
            .create_run(&NewRun {
                run_id: "p1".into(),
                kind: RunKind::Profile,
                created_at: Utc::now(),
                plan: serde_json::json!({}),
                fingerprint: serde_json::json!({}),
                fingerprint_id: "f".into(),
            })
            .await
            .expect("run");
        let profile = ModelProfile {
            model: "gemma".into(),
            metrics: vec![MetricRecord::new("load_time_ms", 420.0, Unit::Milliseconds)],
        };
        store_profile(&store, "p1", &plan, &facts(), &profile, &deployments[0].1)
            .await
            .expect("stored");

        let units = store.units("p1").await.expect("units");
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].task, PROFILE_UNIT);
        assert_eq!(units[0].status, Status::Complete);
        let deployment = store
            .deployment("gemma-here")
            .await
            .expect("read")
            .expect("named");
        assert_eq!(
            units[0].deployment_id.as_deref(),
            Some(deployment.deployment_id.as_str())
        );
        assert_eq!(deployment.identity.engine.version.as_deref(), Some("b6000"));
        assert_eq!(
            deployment.identity.hardware.cpu.as_deref(),
            Some("Test CPU")
        );
        let records = store.metrics_for_run("p1").await.expect("metrics");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].unit_id, None, "the records stay run-level");
        assert_eq!(records[0].task, SPEED_KIND);

        let error = profile_deployments(
            &store,
            &profile_plan(&["a", "b"]),
            &facts(),
            &flags,
            &host(),
        )
        .await
        .expect_err("one name, two models");
        assert!(error.to_string().contains("--deployment"), "{error}");
    }
}
