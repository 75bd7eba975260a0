//! What a bench prints and writes: the summary table, failures by cause, the SLO search's
//! finding, intervals across trials, and the report files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use yardstick_bench::report::{self, PlotFormat};
use yardstick_bench::{PointResult, SloObjective, SloOutcome};

use crate::args::{BenchArgs, Format, PlotFormatArg};

/// Prints the results in the chosen format.
pub fn print_results(
    results: &[PointResult],
    args: &BenchArgs,
    search_line: Option<&str>,
    run_id: &str,
) -> Result<()> {
    if args.format == Format::Json {
        let points: Vec<serde_json::Value> = results
            .iter()
            .map(|result| {
                json!({
                    "point": result.point,
                    "interrupted": result.interrupted,
                    "metrics": result.metrics.records(),
                    "resources": result.resources,
                })
            })
            .collect();
        let across: BTreeMap<String, serde_json::Value> = report::across_points(results)
            .into_iter()
            .map(|(label, _, records)| (label, json!(records)))
            .collect();
        let value = json!({
            "run_id": run_id,
            "points": points,
            "across_trials": across,
            "slo_search": search_line,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    if results.is_empty() {
        println!("no load point finished (run {run_id})");
        return Ok(());
    }
    println!("{}", report::summary_table(results));
    if let Some(errors) = report::errors_table(results) {
        println!("\nfailed requests by cause:\n{errors}");
    }
    for line in report::trials_lines(results) {
        println!("{line}");
    }
    if let Some(line) = search_line {
        println!("{line}");
    }
    println!("run {run_id} stored; `yardstick runs show {run_id}` shows every record");
    Ok(())
}

/// One line on what the SLO search found for `objectives`.
pub fn search_line(found: &SloOutcome, objectives: &[SloObjective]) -> String {
    let slos = objectives
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    match (found.best_rate, found.lowest_failing_rate) {
        (Some(best), Some(failing)) => {
            format!("SLO search ({slos}): met at {best:.3} req/s, not at {failing:.3} req/s")
        }
        (Some(best), None) => {
            format!("SLO search ({slos}): met up to the top of the range, {best:.3} req/s")
        }
        (None, Some(failing)) => {
            format!("SLO search ({slos}): not met at any rate tried (lowest {failing:.3} req/s)")
        }
        (None, None) => format!("SLO search ({slos}): interrupted before any rate was tried"),
    }
}

/// Writes `report.json`, `requests.csv`, `metrics.csv` and the plots into `out`.
pub fn write_outputs(results: &[PointResult], out: &Path, format: PlotFormatArg) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    report::write_json(results, &out.join("report.json"))?;
    report::write_csv_requests(results, &out.join("requests.csv"))?;
    report::write_csv_metrics(results, &out.join("metrics.csv"))?;
    let format = match format {
        PlotFormatArg::Svg => PlotFormat::Svg,
        PlotFormatArg::Png => PlotFormat::Png,
    };
    let plots = report::write_plots(results, out, format)?;
    eprintln!(
        "wrote report.json, requests.csv, metrics.csv and {} plots to {}",
        plots.len(),
        out.display()
    );
    Ok(())
}
