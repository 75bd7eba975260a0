//! `yardstick runs list|show`.

use super::Outcome;
use crate::args::{Format, RunsCommand};
use crate::render::{value_with_stderr, Table};
use anyhow::{bail, Result};
use serde_json::json;
use yardstick_runner::Home;

pub async fn run(command: RunsCommand, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    match command {
        RunsCommand::List { format } => {
            let runs = store.list_runs().await?;
            if format == Format::Json {
                let rows: Vec<_> = runs
                    .iter()
                    .map(|run| {
                        json!({
                            "run_id": run.run_id, "kind": run.kind.as_str(), "status": run.status.as_str(),
                            "created_at": run.created_at, "finished_at": run.finished_at,
                            "fingerprint_id": run.fingerprint_id,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(Outcome::Success);
            }
            let mut table = Table::new(&["run", "kind", "status", "created", "fingerprint"]);
            for run in runs {
                table.push(vec![
                    run.run_id,
                    run.kind.as_str().to_string(),
                    run.status.as_str().to_string(),
                    run.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    run.fingerprint_id,
                ]);
            }
            println!("{}", table.render(format));
        }
        RunsCommand::Show { run, format } => {
            let Some(stored) = store.run(&run).await? else {
                bail!("no run with id {run} (see `yardstick runs list`)");
            };
            let results = yardstick_runner::eval::result_rows(&store, &run).await?;
            if format == Format::Json {
                let json = json!({
                    "run_id": stored.run_id, "kind": stored.kind.as_str(), "status": stored.status.as_str(),
                    "created_at": stored.created_at, "finished_at": stored.finished_at,
                    "fingerprint": stored.fingerprint, "fingerprint_id": stored.fingerprint_id,
                    "results": results,
                });
                println!("{}", serde_json::to_string_pretty(&json)?);
                return Ok(Outcome::Success);
            }
            let mut table = Table::new(&["model", "task", "metric", "value", "n", "unit"]);
            for row in results {
                table.push(vec![
                    row.model,
                    row.task,
                    row.metric,
                    value_with_stderr(row.value, row.stderr),
                    row.n.map(|n| n.to_string()).unwrap_or_default(),
                    row.unit.to_string(),
                ]);
            }
            println!("{}", table.render(format));
            if format == Format::Table {
                println!(
                    "run {} ({}, {}), fingerprint {}",
                    stored.run_id,
                    stored.kind.as_str(),
                    stored.status.as_str(),
                    stored.fingerprint_id
                );
            }
        }
    }
    Ok(Outcome::Success)
}
