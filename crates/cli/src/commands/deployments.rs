//! `yardstick deployments list|show|rename`.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde_json::json;
use yardstick_runner::Home;
use yardstick_store::{DeploymentSummary, StoredDeployment};

use super::Outcome;
use crate::args::{DeploymentsCommand, Format};
use crate::render::Table;

pub async fn run(command: DeploymentsCommand, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    match command {
        DeploymentsCommand::List { format } => {
            let summaries = store.deployment_summaries().await?;
            if format == Format::Json {
                let rows: Vec<_> = summaries.iter().map(summary_json).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(Outcome::Success);
            }
            let mut table = Table::new(&[
                "deployment",
                "model",
                "engine",
                "quantization",
                "hardware",
                "serving",
                "eval units",
                "bench units",
                "latest run",
            ]);
            for summary in summaries {
                let identity = &summary.deployment.identity;
                table.push(vec![
                    summary.deployment.name.clone(),
                    identity.describe_model(),
                    identity.describe_engine(),
                    identity
                        .quantization
                        .clone()
                        .unwrap_or_else(|| "unknown".to_string()),
                    identity.hardware.describe(),
                    identity.serving.describe(),
                    summary.eval_units.to_string(),
                    summary.bench_units.to_string(),
                    summary.latest_run.clone().unwrap_or_default(),
                ]);
            }
            println!("{}", table.render(format));
        }
        DeploymentsCommand::Rename { name, new_name } => {
            store.rename_deployment(&name, &new_name).await?;
            println!("deployment {name} is now {new_name}");
        }
        DeploymentsCommand::Show { name, format } => {
            let Some(deployment) = store.deployment(&name).await? else {
                bail!("no deployment named {name} (see `yardstick deployments list`)");
            };
            let units = store.deployment_units(&deployment.deployment_id).await?;
            // Each run once, newest first, with its units' tasks.
            let mut runs: Vec<(String, Vec<String>)> = Vec::new();
            for unit in units {
                match runs.iter_mut().find(|(run, _)| *run == unit.run_id) {
                    Some((_, tasks)) => tasks.push(unit.task),
                    None => runs.push((unit.run_id, vec![unit.task])),
                }
            }
            let mut kinds = BTreeMap::new();
            for (run_id, _) in &runs {
                if let Some(run) = store.run(run_id).await? {
                    kinds.insert(run_id.clone(), (run.kind, run.status, run.created_at));
                }
            }
            if format == Format::Json {
                let runs: Vec<_> = runs
                    .iter()
                    .map(|(run_id, tasks)| {
                        let (kind, status, created_at) = kinds
                            .get(run_id)
                            .map(|(kind, status, at)| (kind.as_str(), status.as_str(), Some(*at)))
                            .unwrap_or(("", "", None));
                        json!({"run_id": run_id, "kind": kind, "status": status,
                               "created_at": created_at, "units": tasks})
                    })
                    .collect();
                let mut json = deployment_json(&deployment);
                json["runs"] = json!(runs);
                println!("{}", serde_json::to_string_pretty(&json)?);
                return Ok(Outcome::Success);
            }
            let identity = &deployment.identity;
            println!(
                "deployment {} (id {})",
                deployment.name, deployment.deployment_id
            );
            println!("  model         {}", identity.describe_model());
            println!("  engine        {}", identity.describe_engine());
            println!(
                "  quantization  {}",
                identity.quantization.as_deref().unwrap_or("unknown")
            );
            println!("  hardware      {}", identity.hardware.describe());
            println!("  serving       {}", identity.serving.describe());
            let mut table = Table::new(&["run", "kind", "status", "created", "units"]);
            for (run_id, tasks) in runs {
                let (kind, status, created) = kinds
                    .get(&run_id)
                    .map(|(kind, status, at)| {
                        (
                            kind.as_str().to_string(),
                            status.as_str().to_string(),
                            at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        )
                    })
                    .unwrap_or_default();
                table.push(vec![run_id, kind, status, created, tasks.join(", ")]);
            }
            println!("{}", table.render(format));
        }
    }
    Ok(Outcome::Success)
}

fn deployment_json(deployment: &StoredDeployment) -> serde_json::Value {
    json!({
        "deployment_id": deployment.deployment_id,
        "name": deployment.name,
        "identity": deployment.identity,
        "created_at": deployment.created_at,
    })
}

fn summary_json(summary: &DeploymentSummary) -> serde_json::Value {
    let mut json = deployment_json(&summary.deployment);
    json["eval_units"] = json!(summary.eval_units);
    json["bench_units"] = json!(summary.bench_units);
    json["latest_run"] = json!(summary.latest_run);
    json
}
