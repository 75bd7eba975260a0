//! The report's serving sections, from the bench runs' load points ("configurations": a model
//! on a target at one load point): trade-offs (quality against latency and cost, with the
//! Pareto front), cost and energy per million tokens, and latency CDFs.
//!
//! Pure functions of the configurations and the pricing inputs, so their tables and plots are
//! covered by unit tests with known numbers.

use yardstick_evidence::{BenchUnit, ServingMetric};
use yardstick_report::chart::{cdf_points, fitted_range, Chart, Legend, Series, Style};
use yardstick_report::{Block, Plot, Row, Section, Table};

use super::strings;
use crate::cost::{self, measured_throughput, Figure, Power, Throughput};
use crate::pareto::{front, Direction};
use crate::DecideError;

/// One load point of one bench run, with what the report shows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    pub run_id: String,
    pub model: String,
    /// `c=4#0`.
    pub point: String,
    pub throughput: Throughput,
    pub p99_ttft_ms: Option<f64>,
    pub p99_tpot_ms: Option<f64>,
    /// Mean main metric over the report's common tasks; `None` when the model has no score
    /// on them in the reported eval runs.
    pub score: Option<f64>,
    pub joules_per_output_token: Option<f64>,
    /// Per measured, successful request, in milliseconds.
    pub ttft_ms: Vec<f64>,
    pub e2e_ms: Vec<f64>,
}

impl Configuration {
    /// The configurations of a bench run's units that have a measured throughput.
    pub fn from_units(run_id: &str, units: &[BenchUnit]) -> Vec<Configuration> {
        units
            .iter()
            .filter_map(|unit| {
                Some(Configuration {
                    run_id: run_id.to_string(),
                    model: unit.unit.model.clone(),
                    point: unit.point.clone(),
                    throughput: measured_throughput(unit, run_id)?,
                    p99_ttft_ms: unit.value(ServingMetric::TtftP99),
                    p99_tpot_ms: unit.value(ServingMetric::TpotP99),
                    score: None,
                    joules_per_output_token: unit.joules_per_output_token(),
                    ttft_ms: unit.ttft_ms.clone(),
                    e2e_ms: unit.e2e_ms.clone(),
                })
            })
            .collect()
    }

    /// `gemma-3-270m-it-Q4_K_M c=4#0`: the model's file name without directories or `.gguf`,
    /// and the point.
    pub fn label(&self) -> String {
        let name = self.model.rsplit(['/', '\\']).next().unwrap_or(&self.model);
        format!("{} {}", name.trim_end_matches(".gguf"), self.point)
    }
}

/// Pricing inputs of the cost section.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// $/hour of the hardware the runs were measured on; `None`: no costs.
    pub usd_per_hour: Option<f64>,
    /// Power at full load for the energy estimate when a run measured none.
    pub power_watts: Option<f64>,
    /// Grid carbon intensity, g CO2e per kWh, and its region.
    pub carbon: Option<(String, f64)>,
}

/// The trade-offs section: a table of every configuration with a score, and the scatter of
/// score against p99 TTFT and (with a price) against $ per 1M tokens, each with its
/// Pareto front drawn as a line and marked in the table.
pub fn tradeoffs(
    configurations: &[Configuration],
    tasks: &[String],
    pricing: &Pricing,
) -> Result<Option<Section>, DecideError> {
    let scored: Vec<&Configuration> = configurations
        .iter()
        .filter(|configuration| configuration.score.is_some())
        .collect();
    if scored.is_empty() {
        return Ok(None);
    }
    let mut blocks = vec![tradeoffs_paragraph(tasks)];
    let latency = Axis::new(
        scored
            .iter()
            .filter_map(|configuration| Some((*configuration, configuration.p99_ttft_ms?)))
            .collect(),
    )?;
    let cost = Axis::new(
        scored
            .iter()
            .filter_map(|configuration| {
                Some((*configuration, cost_per_million(configuration, pricing)?))
            })
            .collect(),
    )?;
    blocks.push(tradeoffs_table(&scored, &latency, &cost, pricing));
    if !latency.points.is_empty() {
        blocks.push(Block::Plot(Plot::new(
            "Score against p99 time to first token; the line joins the Pareto front.",
            "pareto-score-vs-latency",
            scatter(
                "Score vs p99 TTFT",
                "p99 time to first token (ms)",
                &latency.points,
                &latency.front,
                score,
            ),
        )?));
    }
    if cost.points.is_empty() {
        blocks.push(Block::Notice {
            text: "No cost axis: give the measuring hardware's price (--usd-per-hour) to plot \
                   score against $ per 1M tokens."
                .to_string(),
        });
    } else {
        blocks.push(Block::Plot(Plot::new(
            "Score against $ per 1M tokens (input and output) at the given price; the line \
             joins the Pareto front.",
            "pareto-score-vs-cost",
            scatter(
                "Score vs cost",
                "$ per 1M tokens (input + output)",
                &cost.points,
                &cost.front,
                score,
            ),
        )?));
    }
    Ok(Some(Section::new("Trade-offs", blocks)))
}

/// A configuration's score (NaN when it has none).
fn score(configuration: &Configuration) -> f64 {
    configuration.score.unwrap_or(f64::NAN)
}

/// $ per 1M tokens (input and output) at the given price; `None` without a price.
fn cost_per_million(configuration: &Configuration, pricing: &Pricing) -> Option<f64> {
    let price = pricing.usd_per_hour?;
    cost::token_costs(&configuration.throughput, price)
        .ok()
        .map(|costs| costs.all_tokens.value)
}

/// One x axis of the trade-offs (p99 TTFT or cost): the scored configurations that have it,
/// with their x, and the indices of their Pareto front of (score ↑, x ↓).
struct Axis<'a> {
    points: Vec<(&'a Configuration, f64)>,
    front: Vec<usize>,
}

impl<'a> Axis<'a> {
    fn new(points: Vec<(&'a Configuration, f64)>) -> Result<Axis<'a>, DecideError> {
        let front = pareto(&points, score)?;
        Ok(Axis { points, front })
    }

    /// `yes` or `no`: whether `configuration` is on this axis's front; `–` when it has no x.
    fn mark(&self, configuration: &Configuration) -> &'static str {
        self.points
            .iter()
            .position(|(other, _)| std::ptr::eq(*other, configuration))
            .map_or("–", |index| {
                if self.front.contains(&index) {
                    "yes"
                } else {
                    "no"
                }
            })
    }
}

/// The paragraph saying what a configuration, its score, the fronts and the cost are.
fn tradeoffs_paragraph(tasks: &[String]) -> Block {
    Block::Paragraph {
        text: format!(
            "Each load point of each bench run is a configuration. Score: the mean main metric \
             over {} from the reported eval runs of the same model. A configuration is on the \
             Pareto front when no other is at least as good on both axes and better on one \
             (higher score, lower p99 TTFT or lower cost). Cost is $ per 1M tokens, input and \
             output together: the hour's price over every token served in it.",
            tasks.join(", ")
        ),
    }
}

/// The table of the scored configurations with their front memberships, members highlighted.
fn tradeoffs_table(
    scored: &[&Configuration],
    latency: &Axis,
    cost: &Axis,
    pricing: &Pricing,
) -> Block {
    let rows = scored
        .iter()
        .map(|configuration| {
            let on_latency = latency.mark(configuration);
            let on_cost = cost.mark(configuration);
            Row {
                cells: vec![
                    configuration.label(),
                    configuration.run_id.clone(),
                    format!("{:.4}", score(configuration)),
                    optional(configuration.p99_ttft_ms, 1),
                    format!("{:.1}", configuration.throughput.output_tokens_per_second()),
                    optional(cost_per_million(configuration, pricing), 4),
                    on_latency.to_string(),
                    on_cost.to_string(),
                ],
                highlight: on_latency == "yes" || on_cost == "yes",
            }
        })
        .collect();
    Block::Table(Table {
        caption: "configurations (front members highlighted)".to_string(),
        columns: strings(&[
            "configuration",
            "run",
            "score",
            "p99 TTFT ms",
            "output tok/s",
            "$ / 1M tokens",
            "front: score vs latency",
            "front: score vs cost",
        ]),
        rows,
    })
}

/// Indices of the Pareto front of (score ↑, x ↓).
fn pareto(
    points: &[(&Configuration, f64)],
    score: impl Fn(&Configuration) -> f64,
) -> Result<Vec<usize>, DecideError> {
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<Vec<f64>> = points
        .iter()
        .map(|(configuration, x)| vec![score(configuration), *x])
        .collect();
    front(&values, &[Direction::Maximize, Direction::Minimize])
}

/// Front members as a line sorted by x, the others as markers; every point labelled.
fn scatter(
    title: &str,
    x_label: &str,
    points: &[(&Configuration, f64)],
    front: &[usize],
    score: impl Fn(&Configuration) -> f64,
) -> Chart {
    let mut members: Vec<(f64, f64, String)> = Vec::new();
    let mut others: Vec<(f64, f64, String)> = Vec::new();
    for (index, (configuration, x)) in points.iter().enumerate() {
        let point = (*x, score(configuration), configuration.label());
        if front.contains(&index) {
            members.push(point);
        } else {
            others.push(point);
        }
    }
    members.sort_by(|a, b| a.0.total_cmp(&b.0));
    let series = |label: &str, points: Vec<(f64, f64, String)>, style: Style| Series {
        label: label.to_string(),
        points: points.iter().map(|(x, y, _)| (*x, *y)).collect(),
        style,
        point_labels: points.into_iter().map(|(_, _, label)| label).collect(),
    };
    let mut all = Vec::new();
    all.push(series("Pareto front", members, Style::LineAndMarkers));
    if !others.is_empty() {
        all.push(series("dominated", others, Style::Markers));
    }
    Chart {
        title: title.to_string(),
        x_label: x_label.to_string(),
        y_label: "score (mean main metric)".to_string(),
        x_range: fitted_range(points.iter().map(|(_, x)| *x), 0.15),
        y_range: fitted_range(
            points.iter().map(|(configuration, _)| score(configuration)),
            0.15,
        ),
        legend: Legend::LowerRight,
        series: all,
    }
}

/// The cost section: per configuration $ per 1M tokens at the price given and energy and
/// carbon per 1M output tokens (measured energy, else the power given, labelled an estimate).
pub fn costs(
    configurations: &[Configuration],
    pricing: &Pricing,
) -> Result<Option<Section>, DecideError> {
    if configurations.is_empty() {
        return Ok(None);
    }
    let rows = configurations
        .iter()
        .map(|configuration| cost_row(configuration, pricing))
        .collect::<Result<Vec<Row>, DecideError>>()?;
    let blocks = vec![
        costs_paragraph(pricing),
        price_block(pricing),
        costs_table(rows),
    ];
    Ok(Some(Section::new("Cost and energy", blocks)))
}

/// One configuration's throughput, $ per 1M tokens (all, input, output) at the price given,
/// and energy and carbon per 1M output tokens, each figure with its basis.
fn cost_row(configuration: &Configuration, pricing: &Pricing) -> Result<Row, DecideError> {
    let throughput = &configuration.throughput;
    let token_costs = pricing
        .usd_per_hour
        .map(|price| cost::token_costs(throughput, price))
        .transpose()?;
    let power = match (configuration.joules_per_output_token, pricing.power_watts) {
        (Some(joules), _) => Some(Power::MeasuredJoulesPerOutputToken { joules }),
        (None, Some(watts)) => Some(Power::Estimated {
            tdp_watts: watts,
            utilisation: 1.0,
        }),
        (None, None) => None,
    };
    let energy = power
        .map(|power| {
            cost::energy(
                throughput,
                &power,
                pricing.carbon.as_ref().map(|(_, intensity)| *intensity),
            )
        })
        .transpose()?;
    let figure = |figure: Option<&Figure>, digits: usize| match figure {
        Some(figure) => format!("{:.digits$} ({})", figure.value, figure.basis.as_str()),
        None => "–".to_string(),
    };
    Ok(Row::new(vec![
        configuration.label(),
        configuration.run_id.clone(),
        format!("{:.3}", throughput.requests_per_second),
        format!("{:.1}", throughput.output_tokens_per_second()),
        figure(token_costs.as_ref().map(|costs| &costs.all_tokens), 4),
        figure(token_costs.as_ref().map(|costs| &costs.input_tokens), 4),
        figure(token_costs.as_ref().map(|costs| &costs.output_tokens), 4),
        figure(
            energy
                .as_ref()
                .map(|energy| &energy.kwh_per_million_output_tokens),
            4,
        ),
        figure(
            energy
                .as_ref()
                .and_then(|energy| energy.g_co2e_per_million_output_tokens.as_ref()),
            1,
        ),
    ]))
}

/// The paragraph saying how each cost, energy and carbon figure is computed.
fn costs_paragraph(pricing: &Pricing) -> Block {
    Block::Paragraph {
        text: format!(
            "Per configuration, from its measured throughput (docs/decisions.md has every \
             formula): $ per 1M tokens = price per hour ÷ tokens (input and output) per hour; \
             for input and output tokens separately the hour is split by the measured prefill \
             share; energy per 1M output \
             tokens from the run's measured energy, else {}; carbon at {}. Each figure names its \
             basis: measured, or estimated where an assumption entered.",
            pricing.power_watts.map_or_else(
                || "not shown (no measured energy; --power-watts gives an estimate)".to_string(),
                |watts| format!("{watts} W at full utilisation (an estimate)")
            ),
            pricing.carbon.as_ref().map_or_else(
                || "no grid intensity".to_string(),
                |(region, intensity)| format!("{intensity} gCO2e/kWh ({region})")
            ),
        ),
    }
}

/// The price the costs are at, or a notice that none was given.
fn price_block(pricing: &Pricing) -> Block {
    match pricing.usd_per_hour {
        Some(price) => Block::Paragraph {
            text: format!(
                "Price: {price} $/hour for the hardware the runs were measured on. Costs on other \
                 hardware need `yardstick cost --instance`, which marks projections as such."
            ),
        },
        None => Block::Notice {
            text: "No price given (--usd-per-hour): $ columns are empty.".to_string(),
        },
    }
}

/// The table of every configuration's cost row.
fn costs_table(rows: Vec<Row>) -> Block {
    Block::Table(Table {
        caption: "cost and energy per configuration".to_string(),
        columns: strings(&[
            "configuration",
            "run",
            "req/s",
            "output tok/s",
            "$ / 1M tokens",
            "$ / 1M input tokens",
            "$ / 1M output tokens",
            "kWh / 1M output tokens",
            "gCO2e / 1M output tokens",
        ]),
        rows,
    })
}

/// The latency CDFs: TTFT and end-to-end latency, one curve per configuration with samples.
pub fn latency_cdfs(configurations: &[Configuration]) -> Result<Option<Section>, DecideError> {
    let mut blocks = Vec::new();
    for (name, title, axis, pick) in [
        (
            "ttft-cdf",
            "TTFT CDF",
            "time to first token (ms)",
            (|configuration: &Configuration| &configuration.ttft_ms)
                as fn(&Configuration) -> &Vec<f64>,
        ),
        (
            "e2e-cdf",
            "End-to-end latency CDF",
            "end-to-end latency (ms)",
            |configuration: &Configuration| &configuration.e2e_ms,
        ),
    ] {
        let series: Vec<Series> = configurations
            .iter()
            .filter(|configuration| !pick(configuration).is_empty())
            .map(|configuration| Series {
                label: format!(
                    "{} (n={})",
                    configuration.label(),
                    pick(configuration).len()
                ),
                points: cdf_points(pick(configuration).clone()),
                style: Style::Line,
                point_labels: Vec::new(),
            })
            .collect();
        if series.is_empty() {
            continue;
        }
        blocks.push(Block::Plot(Plot::new(
            format!(
                "{title}: fraction of measured, successful requests at or below each latency, \
                 one curve per configuration."
            ),
            name,
            Chart {
                title: title.to_string(),
                x_label: axis.to_string(),
                y_label: "fraction of requests".to_string(),
                x_range: None,
                y_range: Some((0.0, 1.0)),
                legend: Legend::LowerRight,
                series,
            },
        )?));
    }
    Ok((!blocks.is_empty()).then(|| Section::new("Latency distributions", blocks)))
}

fn optional(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.digits$}"))
}

#[cfg(test)]
mod tests;
