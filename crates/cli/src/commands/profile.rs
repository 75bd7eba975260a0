//! `yardstick profile`.

use super::{engine_settings, Outcome};
use crate::args::{Format, ProfileArgs};
use crate::progress::Bars;
use crate::render::Table;
use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::json;
use yardstick_bench::resources::detect_host;
use yardstick_runner::{
    profile_deployments, profile_models, resolve_model, store_profile, BackendLoader,
    EngineSettings, Home, LlamaCppLoader, ModelProfile, ProfilePlan,
};
use yardstick_store::{NewRun, RunKind, Status, Store};

/// Profiles the models' speed, stores the measurements as a profile run and prints them.
pub async fn run(args: ProfileArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    let engine = checked_engine(&args)?;
    let store = home.open_store().await?;
    let mut models = Vec::new();
    for spec in &args.models {
        models.push(resolve_model(&store, home, spec).await?);
    }
    let plan = ProfilePlan {
        models,
        prompt_tokens: args.prompt_tokens.clone(),
        decode_tokens: args.decode_tokens,
        repetitions: args.repetitions,
        warmup: args.warmup,
        loads: args.loads,
        engine,
    };
    let facts = LlamaCppLoader.engine_facts(&plan.engine);
    let deployments = profile_deployments(
        &store,
        &plan,
        &facts,
        &args.deployment.flags(),
        &detect_host(None),
    )
    .await?;
    let run_id = create_run(&store, &plan).await?;
    let bars = Bars::new(quiet);
    let profiles = match profile_models(&plan, &LlamaCppLoader, &bars).await {
        Ok(profiles) => profiles,
        Err(error) => {
            store
                .set_run_status(&run_id, Status::Failed, Utc::now())
                .await?;
            return Err(error.into());
        }
    };
    for profile in &profiles {
        let Some((_, deployment)) = deployments
            .iter()
            .find(|(model, _)| *model == profile.model)
        else {
            bail!("no deployment recorded for {}", profile.model);
        };
        store_profile(&store, &run_id, &plan, &facts, profile, deployment).await?;
    }
    store
        .set_run_status(&run_id, Status::Complete, Utc::now())
        .await?;
    print_profiles(&profiles, &run_id, args.format)?;
    Ok(Outcome::Success)
}

/// The engine settings, after refusing zero repetitions, a prompt under 2 tokens and a
/// prompt plus generation longer than the context.
fn checked_engine(args: &ProfileArgs) -> Result<EngineSettings> {
    if args.repetitions == 0 {
        bail!("--repetitions must be at least 1");
    }
    if args.prompt_tokens.iter().any(|&tokens| tokens < 2) {
        bail!("--prompt-tokens values must be at least 2");
    }
    let engine = engine_settings(&args.engine);
    if let Some(&longest) = args.prompt_tokens.iter().max() {
        if longest + args.decode_tokens > engine.context_tokens {
            bail!(
                "a {longest}-token prompt plus {} generated tokens does not fit --context-tokens {}",
                args.decode_tokens,
                engine.context_tokens
            );
        }
    }
    Ok(engine)
}

/// Stores a new profile run for `plan` with its fingerprint; returns the run's id.
async fn create_run(store: &Store, plan: &ProfilePlan) -> Result<String> {
    let created_at = Utc::now();
    let run_id = yardstick_store::new_run_id(created_at);
    let fingerprint = json!({
        "yardstick_version": env!("CARGO_PKG_VERSION"),
        "llama_cpp_version": LlamaCppLoader.engine_facts(&plan.engine).engine_version,
        "models": plan.models.iter().map(|m| json!({"name": m.name, "sha256": m.sha256})).collect::<Vec<_>>(),
        "prompt_tokens": plan.prompt_tokens,
        "decode_tokens": plan.decode_tokens,
        "threads": plan.engine.threads,
    });
    let fingerprint_id =
        yardstick_core::sha256_hex(fingerprint.to_string().as_bytes())[..16].to_string();
    store
        .create_run(&NewRun {
            run_id: run_id.clone(),
            kind: RunKind::Profile,
            created_at,
            plan: serde_json::to_value(plan).context("encoding the plan")?,
            fingerprint,
            fingerprint_id,
        })
        .await?;
    Ok(run_id)
}

/// Prints every model's metrics: as JSON with the run id, else as a table (then the run id
/// when the format is a terminal table).
fn print_profiles(profiles: &[ModelProfile], run_id: &str, format: Format) -> Result<()> {
    if format == Format::Json {
        let rows: Vec<_> = profiles
            .iter()
            .flat_map(|p| {
                p.metrics
                    .iter()
                    .map(move |m| json!({"model": p.model, "metric": m}))
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"run_id": run_id, "results": rows}))?
        );
        return Ok(());
    }
    let mut table = Table::new(&["model", "metric", "median", "min", "max", "n", "unit"]);
    for profile in profiles {
        for metric in &profile.metrics {
            table.push(vec![
                profile.model.clone(),
                metric.name.clone(),
                format!("{:.2}", metric.value),
                metric.min.map(|v| format!("{v:.2}")).unwrap_or_default(),
                metric.max.map(|v| format!("{v:.2}")).unwrap_or_default(),
                metric.n.map(|n| n.to_string()).unwrap_or_default(),
                metric.unit.to_string(),
            ]);
        }
    }
    println!("{}", table.render(format));
    if format == Format::Table {
        println!("run {run_id}");
    }
    Ok(())
}
