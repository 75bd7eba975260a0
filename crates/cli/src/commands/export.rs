//! `yardstick export --run RUN_ID --items --format jsonl`.

use super::Outcome;
use crate::args::ExportArgs;
use anyhow::{bail, Context, Result};
use futures::StreamExt;
use serde_json::json;
use std::io::Write;
use yardstick_runner::Home;

pub async fn run(args: ExportArgs, home: &Home) -> Result<Outcome> {
    if !args.items {
        bail!("nothing to export: pass --items");
    }
    let store = home.open_store().await?;
    if store.run(&args.run).await?.is_none() {
        bail!("no run with id {} (see `yardstick runs list`)", args.run);
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut items = store.stream_run_items(&args.run);
    let mut count = 0u64;
    while let Some(row) = items.next().await {
        let row = row?;
        let item = &row.item;
        let metrics: serde_json::Map<String, serde_json::Value> = item
            .metrics
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        let mut line = json!({
            "run_id": args.run,
            "model": row.model,
            "task": row.task,
            "item_index": item.item_index,
            "item_id": item.item_id,
            "choice_loglikelihoods": item.choice_loglikelihoods,
            "choice_is_greedy": item.choice_is_greedy,
            "prediction": item.prediction,
            "prediction_norm": item.prediction_norm,
            "gold": item.gold,
            "correct": item.correct(),
            "metrics": metrics,
        });
        // Generative and weighted items also carry what was generated and extracted.
        if let Some(object) = line.as_object_mut() {
            if !item.generations.is_empty() {
                object.insert("generations".into(), json!(item.generations));
                object.insert(
                    "filtered".into(),
                    json!(item
                        .filtered
                        .iter()
                        .map(|(filter, answer)| (filter.clone(), json!(answer)))
                        .collect::<serde_json::Map<_, _>>()),
                );
            }
            if !item.references.is_empty() {
                object.insert("references".into(), json!(item.references));
            }
            if !item.executions.is_empty() {
                object.insert("executions".into(), json!(item.executions));
            }
            if !item.weights.is_empty() {
                object.insert(
                    "weights".into(),
                    json!(item
                        .weights
                        .iter()
                        .map(|(name, value)| (name.clone(), json!(value)))
                        .collect::<serde_json::Map<_, _>>()),
                );
            }
        }
        if let Err(error) = writeln!(out, "{line}") {
            // A closed pipe (`| head`) is the reader saying it has enough.
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Outcome::Success);
            }
            return Err(error).context("writing the export");
        }
        count += 1;
    }
    match out.flush() {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(error).context("writing the export")
        }
        _ => {}
    }
    if args.output.is_some() {
        eprintln!("exported {count} items");
    }
    Ok(Outcome::Success)
}
