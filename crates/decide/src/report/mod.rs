//! The report over stored runs as one `yardstick_report::Document`: what ran, quality scores
//! and categories, pairwise comparisons ([`comparisons`]), trade-offs with their Pareto
//! fronts, cost and energy, serving numbers and latency CDFs ([`serving`]), every
//! fingerprint. Nothing is measured again; the renderers only draw what this decides.

pub mod comparisons;
pub mod serving;

use std::collections::{BTreeMap, BTreeSet};

use yardstick_core::MetricRecord;
use yardstick_evidence::scores::main_metric;
use yardstick_evidence::selection::{ReportEvidence, ReportRun};
use yardstick_evidence::ServingMetric;
use yardstick_report::{Block, Document, Row, Section, Table};
use yardstick_store::RunKind;

use crate::bootstrap::BootstrapSettings;
use crate::catalog::Catalog;
use crate::categories::{category_scores, Categories, TaskScore};
use crate::DecideError;
use serving::{Configuration, Pricing};

/// What the report is built with, besides the runs.
#[derive(Debug, Clone)]
pub struct ReportInputs {
    pub pricing: Pricing,
    pub settings: BootstrapSettings,
    pub categories: Categories,
    /// Where the category definitions come from, as the report names it.
    pub categories_source: String,
    /// `yardstick 0.1.0 (abc1234)`: what wrote the report, for its subtitle.
    pub generator: String,
}

impl Pricing {
    /// The pricing inputs from the user's price, power and grid region (checked: positive
    /// numbers, a region the catalog knows).
    pub fn resolve(
        usd_per_hour: Option<f64>,
        power_watts: Option<f64>,
        region: &str,
        catalog: &Catalog,
    ) -> Result<Pricing, DecideError> {
        if let Some(price) = usd_per_hour {
            if !(price.is_finite() && price > 0.0) {
                return Err(DecideError::Refused(format!(
                    "--usd-per-hour {price}: must be a positive price"
                )));
            }
        }
        if let Some(watts) = power_watts {
            if !(watts.is_finite() && watts > 0.0) {
                return Err(DecideError::Refused(format!(
                    "--power-watts {watts}: must be a positive power"
                )));
            }
        }
        let carbon = catalog.carbon(region).ok_or_else(|| {
            DecideError::Refused(format!(
                "--region {region}: not in the catalog; its regions are {}",
                catalog
                    .carbon
                    .iter()
                    .map(|carbon| carbon.region.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        Ok(Pricing {
            usd_per_hour,
            power_watts,
            carbon: Some((carbon.region.clone(), carbon.g_co2e_per_kwh)),
        })
    }
}

/// The rows the report collects from its runs, in the order given.
#[derive(Default)]
struct Rows {
    runs: Vec<Row>,
    quality: Vec<Row>,
    serving: Vec<Row>,
    fingerprints: Vec<Block>,
}

fn collect_rows(report_run: &ReportRun, rows: &mut Rows) -> Result<(), DecideError> {
    let run = &report_run.run;
    rows.runs.push(Row::new(vec![
        run.run_id.clone(),
        run.kind.as_str().to_string(),
        run.status.as_str().to_string(),
        run.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        run.fingerprint_id.clone(),
        report_run.units.len().to_string(),
        report_run
            .host
            .as_ref()
            .map_or_else(|| "–".to_string(), |host| host.describe()),
        if report_run.deployments.is_empty() {
            "–".to_string()
        } else {
            report_run.deployments.join("; ")
        },
    ]));
    for unit in &report_run.units {
        let Some(records) = report_run.unit_metrics.get(&unit.unit_id) else {
            continue;
        };
        match run.kind {
            RunKind::Bench => {
                rows.serving
                    .push(serving_row(&run.run_id, &unit.model, &unit.task, records))
            }
            RunKind::Eval => {
                let Some(record) = main_metric(records) else {
                    continue;
                };
                rows.quality.push(Row::new(vec![
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
            _ => {}
        }
    }
    rows.fingerprints.push(Block::Preformatted {
        caption: format!("run {} ({})", run.run_id, run.kind.as_str()),
        text: serde_json::to_string_pretty(&run.fingerprint)
            .map_err(|error| DecideError::Report(error.to_string()))?,
    });
    Ok(())
}

/// Builds the report's document.
pub fn build(evidence: &ReportEvidence, inputs: &ReportInputs) -> Result<Document, DecideError> {
    let mut rows = Rows::default();
    let mut configurations = Vec::new();
    let mut eval_units = Vec::new();
    for report_run in &evidence.runs {
        collect_rows(report_run, &mut rows)?;
        configurations.extend(Configuration::from_units(
            &report_run.run.run_id,
            &report_run.bench_units,
        ));
        eval_units.extend(report_run.eval_units.iter().cloned());
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
                "deployments",
            ]),
            rows: rows.runs,
        })],
    )];
    if !rows.quality.is_empty() {
        sections.push(quality_section(rows.quality));
    }
    let task_scores: BTreeMap<String, BTreeMap<String, TaskScore>> = evidence
        .task_scores
        .iter()
        .map(|(model, scores)| (model.clone(), task_scores(scores)))
        .collect();
    if let Some(section) = categories_section(&task_scores, inputs) {
        sections.push(section);
    }
    if let Some(section) = comparisons::comparisons(
        &comparisons::by_model(eval_units),
        &evidence.groups,
        &inputs.settings,
    )? {
        sections.push(section);
    }
    let tasks = score_configurations(&mut configurations, &task_scores);
    if let Some(section) = serving::tradeoffs(&configurations, &tasks, &inputs.pricing)? {
        sections.push(section);
    }
    if let Some(section) = serving::costs(&configurations, &inputs.pricing)? {
        sections.push(section);
    }
    if !rows.serving.is_empty() {
        sections.push(serving_section(rows.serving));
    }
    if let Some(section) = serving::latency_cdfs(&configurations)? {
        sections.push(section);
    }
    sections.push(Section::new("Fingerprints", rows.fingerprints));
    Ok(Document {
        title: "yardstick report".to_string(),
        subtitle: format!("{} run(s); {}", evidence.runs.len(), inputs.generator),
        sections,
    })
}

fn task_scores(scores: &BTreeMap<String, MetricRecord>) -> BTreeMap<String, TaskScore> {
    scores
        .iter()
        .map(|(task, record)| {
            let score = TaskScore {
                value: record.value,
                stderr: record.stderr.unwrap_or(0.0),
            };
            (task.clone(), score)
        })
        .collect()
}

fn quality_section(rows: Vec<Row>) -> Section {
    Section::new(
        "Quality",
        vec![
            Block::Paragraph {
                text: "The main metric of each task (acc_norm where the task has it, else acc), \
                       with its standard error and the number of items."
                    .to_string(),
            },
            Block::Table(Table {
                caption: "scores".to_string(),
                columns: strings(&["run", "model", "task", "metric", "value", "± s.e.", "n"]),
                rows,
            }),
        ],
    )
}

fn categories_section(
    task_scores: &BTreeMap<String, BTreeMap<String, TaskScore>>,
    inputs: &ReportInputs,
) -> Option<Section> {
    let mut rows = Vec::new();
    for (model, scores) in task_scores {
        for category in category_scores(&inputs.categories, scores) {
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
    if rows.is_empty() {
        return None;
    }
    let has_safety = rows
        .iter()
        .any(|row| row.cells.get(1).is_some_and(|cell| cell == "safety"));
    let mut blocks = vec![
        Block::Paragraph {
            text: format!(
                "Category scores are weighted means of the tasks' main metrics \
                 (weights from {}), with standard error \
                 √(Σ w²·se²)/Σ w and a normal 95% interval; a partial category \
                 renormalises the weights over the tasks present.",
                inputs.categories_source
            ),
        },
        Block::Table(Table {
            caption: "categories".to_string(),
            columns: strings(&[
                "model", "category", "score", "± s.e.", "95% CI", "tasks", "coverage",
            ]),
            rows,
        }),
    ];
    if has_safety {
        blocks.push(Block::Paragraph {
            text: "Toxicity of generated text: not measured. No toxicity classifier that \
                   runs offline is available to yardstick, and no estimate stands in for \
                   one; the safety score has no toxicity component."
                .to_string(),
        });
    }
    Some(Section::new("Categories", blocks))
}

fn serving_section(rows: Vec<Row>) -> Section {
    Section::new(
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
                rows,
            }),
        ],
    )
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

fn serving_row(run_id: &str, model: &str, point: &str, records: &[MetricRecord]) -> Row {
    let value = |metric: ServingMetric, digits: usize| {
        records
            .iter()
            .find(|record| record.name == metric.name())
            .map_or_else(
                || "–".to_string(),
                |record| format!("{:.digits$}", record.value),
            )
    };
    Row::new(vec![
        run_id.to_string(),
        model.to_string(),
        point.trim_start_matches("bench:").to_string(),
        value(ServingMetric::RequestsPerSecond, 2),
        value(ServingMetric::OutputTokensPerSecond, 1),
        value(ServingMetric::TtftP50, 1),
        value(ServingMetric::TtftP99, 1),
        value(ServingMetric::TpotP50, 1),
        value(ServingMetric::TpotP99, 1),
        value(ServingMetric::E2eP99, 1),
        value(ServingMetric::ErrorRate, 3),
    ])
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_string()).collect()
}
