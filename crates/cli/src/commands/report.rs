//! `yardstick report --runs A,B --out DIR`: one document over stored runs — what ran, quality
//! scores and categories, pairwise comparisons, trade-offs with their Pareto fronts, cost and
//! energy, serving numbers and latency CDFs, every fingerprint — written as `report.html`
//! (self-contained), `report.pdf`, `report.json` and each plot as `plots/NAME.svg` and
//! `plots/NAME.png`. Nothing is measured again.

mod comparisons;
mod serving;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use anyhow::{bail, Context, Result};
use yardstick_core::MetricRecord;
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::categories::{category_scores, Categories, TaskScore};
use yardstick_report::{Block, Document, Row, Section, Table};
use yardstick_store::{Run, RunKind, Store, StoredMetric};

use super::evidence;
use super::leaderboard::{main_metric, scores_by_task};
use super::Outcome;
use crate::args::ReportArgs;
use crate::home::Home;
use serving::{Configuration, Pricing};

pub async fn run(args: ReportArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    if args.runs.is_empty() {
        bail!("--runs needs at least one run id (`yardstick runs list` shows them)");
    }
    if let Some(price) = args.usd_per_hour {
        if !(price.is_finite() && price > 0.0) {
            bail!("--usd-per-hour {price}: must be a positive price");
        }
    }
    if let Some(watts) = args.power_watts {
        if !(watts.is_finite() && watts > 0.0) {
            bail!("--power-watts {watts}: must be a positive power");
        }
    }
    let catalog = yardstick_decide::catalog::Catalog::builtin()?;
    let carbon = catalog.carbon(&args.region).with_context(|| {
        format!(
            "--region {}: not in the catalog; its regions are {}",
            args.region,
            catalog
                .carbon
                .iter()
                .map(|carbon| carbon.region.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let pricing = Pricing {
        usd_per_hour: args.usd_per_hour,
        power_watts: args.power_watts,
        carbon: Some((carbon.region.clone(), carbon.g_co2e_per_kwh)),
    };
    let (categories, categories_source) = evidence::categories(args.categories.as_deref())?;
    let settings = BootstrapSettings {
        resamples: args.resamples,
        level: 0.95,
        seed: args.seed,
    };
    let store = home.open_store().await?;
    let mut runs = Vec::new();
    for run_id in &args.runs {
        let run = store
            .run(run_id)
            .await?
            .with_context(|| format!("--runs {run_id}: no such run (`yardstick runs list`)"))?;
        runs.push(run);
    }
    let inputs = Inputs {
        pricing,
        settings,
        categories,
        categories_source,
    };
    let document = build(&store, &runs, &inputs).await?;
    let plots_dir = args.out.join("plots");
    fs::create_dir_all(&plots_dir).with_context(|| format!("creating {}", plots_dir.display()))?;
    let html = yardstick_report::html::render(&document)?;
    let pdf = yardstick_report::pdf::render(&document)?;
    let json = serde_json::to_string_pretty(&document)?;
    let mut files = vec![
        ("report.html".to_string(), html.into_bytes()),
        ("report.pdf".to_string(), pdf),
        ("report.json".to_string(), json.into_bytes()),
    ];
    for plot in document.plots() {
        files.push((
            format!("plots/{}.svg", plot.name),
            plot.svg.clone().into_bytes(),
        ));
        files.push((format!("plots/{}.png", plot.name), plot.png()?));
    }
    for (name, bytes) in &files {
        let path = args.out.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    if !quiet {
        println!(
            "wrote report.html, report.pdf, report.json and {} plot(s) (SVG and PNG) for {} run(s) to {}",
            document.plots().count(),
            runs.len(),
            args.out.display()
        );
    }
    Ok(Outcome::Success)
}

/// What the report is built with, besides the runs.
struct Inputs {
    pricing: Pricing,
    settings: BootstrapSettings,
    categories: Categories,
    /// Where the category definitions come from, as the report names it.
    categories_source: String,
}

async fn build(store: &Store, runs: &[Run], inputs: &Inputs) -> Result<Document> {
    let Inputs {
        pricing,
        settings,
        categories,
        categories_source,
    } = inputs;
    let mut configurations = Vec::new();
    let mut eval_units = Vec::new();
    let mut run_rows = Vec::new();
    let mut quality_rows = Vec::new();
    let mut serving_rows = Vec::new();
    let mut fingerprints = Vec::new();
    // Model → leaf task → its records, later runs replacing earlier ones (runs in the order given).
    let mut leaf_records: BTreeMap<String, BTreeMap<String, Vec<MetricRecord>>> = BTreeMap::new();
    for run in runs {
        let units = store.units(&run.run_id).await?;
        run_rows.push(Row::new(vec![
            run.run_id.clone(),
            run.kind.as_str().to_string(),
            run.status.as_str().to_string(),
            run.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            run.fingerprint_id.clone(),
            units.len().to_string(),
            evidence::host_of(run).map_or_else(|| "–".to_string(), |host| host.describe()),
        ]));
        match run.kind {
            RunKind::Bench => configurations.extend(Configuration::from_units(
                &run.run_id,
                &evidence::bench_units(store, run).await?,
            )),
            RunKind::Eval => eval_units.extend(evidence::eval_units(store, run).await?),
            _ => {}
        }
        let metrics = store.metrics_for_run(&run.run_id).await?;
        let mut by_unit: BTreeMap<i64, Vec<&StoredMetric>> = BTreeMap::new();
        for metric in &metrics {
            if let Some(unit_id) = metric.unit_id {
                by_unit.entry(unit_id).or_default().push(metric);
            }
        }
        for unit in &units {
            let Some(stored) = by_unit.get(&unit.unit_id) else {
                continue;
            };
            let records: Vec<MetricRecord> =
                stored.iter().map(|metric| metric.record.clone()).collect();
            match run.kind {
                RunKind::Bench => {
                    serving_rows.push(serving_row(run, &unit.model, &unit.task, &records))
                }
                RunKind::Eval => {
                    if let Some(record) = main_metric(&records) {
                        leaf_records
                            .entry(unit.model.clone())
                            .or_default()
                            .insert(unit.task.clone(), records.clone());
                        quality_rows.push(Row::new(vec![
                            run.run_id.clone(),
                            unit.model.clone(),
                            unit.task.clone(),
                            record.name.clone(),
                            format!("{:.4}", record.value),
                            record
                                .stderr
                                .map_or_else(String::new, |stderr| format!("{stderr:.4}")),
                            record.n.map_or_else(String::new, |n| n.to_string()),
                        ]));
                    }
                }
                _ => {}
            }
        }
        fingerprints.push(Block::Preformatted {
            caption: format!("run {} ({})", run.run_id, run.kind.as_str()),
            text: serde_json::to_string_pretty(&run.fingerprint)?,
        });
    }

    let mut sections = vec![Section::new(
        "Runs",
        vec![Block::Table(Table {
            caption: "what was measured".to_string(),
            columns: strings(&[
                "run",
                "kind",
                "status",
                "created",
                "fingerprint",
                "units",
                "measured on",
            ]),
            rows: run_rows,
        })],
    )];
    if !quality_rows.is_empty() {
        sections.push(Section::new(
            "Quality",
            vec![
                Block::Paragraph {
                    text:
                        "The main metric of each task (acc_norm where the task has it, else acc), \
                           with its standard error and the number of items."
                            .to_string(),
                },
                Block::Table(Table {
                    caption: "scores".to_string(),
                    columns: strings(&["run", "model", "task", "metric", "value", "± s.e.", "n"]),
                    rows: quality_rows,
                }),
            ],
        ));
    }
    // Scored as the leaderboard scores: groups (mmlu) aggregated from their subtasks.
    let mut task_scores: BTreeMap<String, BTreeMap<String, TaskScore>> = BTreeMap::new();
    for (model, leaves) in &leaf_records {
        let scores = scores_by_task(leaves)?
            .into_iter()
            .map(|(task, record)| {
                let score = TaskScore {
                    value: record.value,
                    stderr: record.stderr.unwrap_or(0.0),
                };
                (task, score)
            })
            .collect();
        task_scores.insert(model.clone(), scores);
    }
    if !task_scores.is_empty() {
        let mut rows = Vec::new();
        for (model, scores) in &task_scores {
            for category in category_scores(categories, scores) {
                let (Some(score), Some(interval)) = (category.score, category.interval) else {
                    continue;
                };
                rows.push(Row::new(vec![
                    model.clone(),
                    category.category.clone(),
                    format!("{score:.4}"),
                    category
                        .stderr
                        .map_or_else(String::new, |stderr| format!("{stderr:.4}")),
                    format!("[{:.4}, {:.4}]", interval.low, interval.high),
                    category.tasks_used.join(", "),
                    if category.partial {
                        format!("partial: no {}", category.tasks_missing.join(", "))
                    } else {
                        "complete".to_string()
                    },
                ]));
            }
        }
        if !rows.is_empty() {
            sections.push(Section::new(
                "Categories",
                vec![
                    Block::Paragraph {
                        text: format!(
                            "Category scores are weighted means of the tasks' main metrics \
                             (weights from {categories_source}), with standard error \
                             √(Σ w²·se²)/Σ w and a normal 95% interval; a partial category \
                             renormalises the weights over the tasks present."
                        ),
                    },
                    Block::Table(Table {
                        caption: "categories".to_string(),
                        columns: strings(&[
                            "model", "category", "score", "± s.e.", "95% CI", "tasks", "coverage",
                        ]),
                        rows,
                    }),
                ],
            ));
        }
    }
    if let Some(section) = comparisons::comparisons(&comparisons::by_model(eval_units), settings)? {
        sections.push(section);
    }
    let tasks = score_configurations(&mut configurations, &task_scores);
    if let Some(section) = serving::tradeoffs(&configurations, &tasks, pricing)? {
        sections.push(section);
    }
    if let Some(section) = serving::costs(&configurations, pricing)? {
        sections.push(section);
    }
    if !serving_rows.is_empty() {
        sections.push(Section::new(
            "Serving",
            vec![
                Block::Paragraph {
                    text: "Each load point of each bench run; latencies in milliseconds over the \
                           measured (non-warm-up) requests, as defined in docs/metrics.md."
                        .to_string(),
                },
                Block::Table(Table {
                    caption: "load points".to_string(),
                    columns: strings(&[
                        "run",
                        "model",
                        "point",
                        "req/s",
                        "output tok/s",
                        "TTFT p50",
                        "TTFT p99",
                        "TPOT p50",
                        "TPOT p99",
                        "E2E p99",
                        "error rate",
                    ]),
                    rows: serving_rows,
                }),
            ],
        ));
    }
    if let Some(section) = serving::latency_cdfs(&configurations)? {
        sections.push(section);
    }
    sections.push(Section::new("Fingerprints", fingerprints));
    Ok(Document {
        title: "yardstick report".to_string(),
        subtitle: format!(
            "{} run(s); yardstick {} ({})",
            runs.len(),
            env!("CARGO_PKG_VERSION"),
            yardstick_runner::GIT_COMMIT
        ),
        sections,
    })
}

/// Gives each configuration the mean main metric of its model over the tasks every served
/// model with eval results was evaluated on, and returns those tasks (empty: no scores).
fn score_configurations(
    configurations: &mut [Configuration],
    task_scores: &BTreeMap<String, BTreeMap<String, TaskScore>>,
) -> Vec<String> {
    let served: BTreeSet<&str> = configurations
        .iter()
        .map(|configuration| configuration.model.as_str())
        .collect();
    let mut common: Option<BTreeSet<String>> = None;
    for (model, scores) in task_scores {
        if !served.contains(model.as_str()) {
            continue;
        }
        let tasks: BTreeSet<String> = scores.keys().cloned().collect();
        common = Some(match common {
            None => tasks,
            Some(common) => common.intersection(&tasks).cloned().collect(),
        });
    }
    let tasks: Vec<String> = common.unwrap_or_default().into_iter().collect();
    if tasks.is_empty() {
        return tasks;
    }
    for configuration in configurations.iter_mut() {
        configuration.score = task_scores
            .get(&configuration.model)
            .and_then(|scores| {
                tasks
                    .iter()
                    .map(|task| scores.get(task).map(|score| score.value))
                    .sum::<Option<f64>>()
            })
            .map(|sum| sum / tasks.len() as f64);
    }
    tasks
}

fn serving_row(run: &Run, model: &str, point: &str, records: &[MetricRecord]) -> Row {
    let value = |name: &str, digits: usize| {
        records
            .iter()
            .find(|record| record.name == name)
            .map_or_else(
                || "–".to_string(),
                |record| format!("{:.digits$}", record.value),
            )
    };
    Row::new(vec![
        run.run_id.clone(),
        model.to_string(),
        point.trim_start_matches("bench:").to_string(),
        value("requests_per_second", 2),
        value("output_tokens_per_second", 1),
        value("ttft_ms.p50", 1),
        value("ttft_ms.p99", 1),
        value("tpot_ms.p50", 1),
        value("tpot_ms.p99", 1),
        value("e2e_ms.p99", 1),
        value("error_rate", 3),
    ])
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_string()).collect()
}
