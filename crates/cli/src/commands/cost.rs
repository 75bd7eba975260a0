//! `yardstick cost --run BENCH_RUN …`: cost, energy, carbon and TCO of serving from the
//! throughput a bench run measured, every figure with its basis and arithmetic
//! ([`yardstick_decide::cost`]).
//!
//! The price comes from `--usd-per-hour` (the hardware the run was measured on) or a catalog
//! instance (`--instance`). A run is never silently costed on hardware it was not measured
//! on: `--instance X` needs `--measured-on X` (the run was taken on that instance type), or
//! the run's throughput is *projected* to X by memory bandwidth from `--measured-on Y` or
//! `--measured-bandwidth-gbs`, and every figure says so.

use std::fs;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use yardstick_decide::catalog::{Catalog, Instance};
use yardstick_decide::cost::{
    self, Basis, Figure, Owned, Power, Spot, TcoInputs, Throughput, Traffic,
};
use yardstick_store::Store;

use super::evidence::{self, BenchUnit};
use super::Outcome;
use crate::args::{CostArgs, Format};
use crate::home::Home;
use crate::render::Table;

/// Everything `cost` computed.
#[derive(Debug, Serialize)]
pub struct CostReport {
    pub run: String,
    pub point: String,
    pub hardware: String,
    pub throughput: Throughput,
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

/// The catalog: built in, with `--catalog FILE` applied.
pub fn catalog(path: Option<&std::path::Path>) -> Result<Catalog> {
    let builtin = Catalog::builtin()?;
    match path {
        None => Ok(builtin),
        Some(path) => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("--catalog {}: cannot read it", path.display()))?;
            Ok(builtin.merged_with(&text, &format!("--catalog {}", path.display()))?)
        }
    }
}

/// The load point to cost: the one named, else the highest throughput among the points
/// meeting the latency bounds given.
pub fn choose_point<'a>(
    units: &'a [BenchUnit],
    point: Option<&str>,
    max_p99_ttft_ms: Option<f64>,
    max_p99_tpot_ms: Option<f64>,
    run_id: &str,
) -> Result<&'a BenchUnit> {
    if let Some(point) = point {
        return units
            .iter()
            .find(|unit| unit.point == point)
            .with_context(|| {
                format!(
                    "--point {point}: run {run_id} has no such load point; it has {}",
                    units
                        .iter()
                        .map(|unit| unit.point.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
    }
    let meets = |unit: &&BenchUnit| {
        let within = |metric: &str, limit: Option<f64>| match limit {
            None => true,
            Some(limit) => unit.value(metric).is_some_and(|value| value <= limit),
        };
        within("ttft_ms.p99", max_p99_ttft_ms) && within("tpot_ms.p99", max_p99_tpot_ms)
    };
    units
        .iter()
        .filter(meets)
        .filter(|unit| unit.throughput(run_id).is_some())
        .max_by(|a, b| {
            let rate = |unit: &BenchUnit| {
                unit.throughput(run_id)
                    .map_or(0.0, |throughput| throughput.requests_per_second)
            };
            rate(a).total_cmp(&rate(b))
        })
        .with_context(|| {
            format!(
                "run {run_id}: no load point has a measured throughput within the latency bounds given"
            )
        })
}

pub async fn run(args: CostArgs, home: &Home) -> Result<Outcome> {
    let catalog = catalog(args.catalog.as_deref())?;
    let store = home.open_store().await?;
    let report = compute(&store, &catalog, &args).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Outcome::Success);
    }
    println!(
        "{} at {} on {} — {}",
        report.run, report.point, report.hardware, report.throughput.origin
    );
    let mut table = Table::new(&["figure", "value", "unit", "basis", "how"]);
    for figure in &report.figures {
        table.push(vec![
            figure.name.clone(),
            format_value(figure.value),
            figure.unit.clone(),
            figure.basis.as_str().to_string(),
            figure.derivation.clone(),
        ]);
    }
    println!("{}", table.render(Format::Table));
    for note in &report.notes {
        println!("note: {note}");
    }
    Ok(Outcome::Success)
}

fn format_value(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// The hardware priced and the throughput on it (measured or projected).
pub struct Pricing<'a> {
    pub label: String,
    pub usd_per_hour: f64,
    pub instance: Option<&'a Instance>,
    pub throughput: Throughput,
}

/// Resolves the price and, for another instance type, the projection.
pub fn pricing<'a>(
    catalog: &'a Catalog,
    measured: &Throughput,
    instance: Option<&str>,
    usd_per_hour: Option<f64>,
    measured_on: Option<&str>,
    measured_bandwidth_gbs: Option<f64>,
) -> Result<Pricing<'a>> {
    match (instance, usd_per_hour) {
        (None, None) => bail!(
            "give the price: --usd-per-hour for the hardware the run was measured on, or --instance ID from the catalog"
        ),
        (Some(_), Some(_)) => bail!("give --instance or --usd-per-hour, not both"),
        (None, Some(price)) => {
            if !(price.is_finite() && price > 0.0) {
                bail!("--usd-per-hour {price}: must be a positive price");
            }
            Ok(Pricing {
                label: measured_on.map_or_else(
                    || "the hardware the run was measured on".to_string(),
                    str::to_string,
                ),
                usd_per_hour: price,
                instance: None,
                throughput: measured.clone(),
            })
        }
        (Some(id), None) => {
            let target = catalog.instance(id)?;
            if measured_on == Some(id) {
                return Ok(Pricing {
                    label: id.to_string(),
                    usd_per_hour: target.on_demand_usd_hour,
                    instance: Some(target),
                    throughput: measured.clone(),
                });
            }
            let target_bandwidth = instance_bandwidth(catalog, target)?;
            let (from_name, from_bandwidth) = match (measured_on, measured_bandwidth_gbs) {
                (Some(source), _) => {
                    let source_instance = catalog.instance(source)?;
                    (source.to_string(), instance_bandwidth(catalog, source_instance)?)
                }
                (None, Some(bandwidth)) => ("the measuring machine".to_string(), bandwidth),
                (None, None) => bail!(
                    "--instance {id}: the run was not measured on {id}, so its throughput must be projected there; \
                     say where it was measured (--measured-on INSTANCE, or --measured-bandwidth-gbs N for the measuring \
                     machine's memory bandwidth), or give --measured-on {id} if it was measured on that instance type"
                ),
            };
            let throughput = cost::project_by_bandwidth(
                measured,
                (&from_name, from_bandwidth),
                (id, target_bandwidth),
            )?;
            Ok(Pricing {
                label: format!("{id} (projected)"),
                usd_per_hour: target.on_demand_usd_hour,
                instance: Some(target),
                throughput,
            })
        }
    }
}

/// Aggregate memory bandwidth of an instance's accelerators (one replica uses them all).
fn instance_bandwidth(catalog: &Catalog, instance: &Instance) -> Result<f64> {
    match &instance.accelerator {
        Some(id) => Ok(catalog.accelerator(id)?.memory_bandwidth_gbs),
        None => bail!(
            "instance {} has no accelerator with a known memory bandwidth: a projection to or from it needs --measured-bandwidth-gbs",
            instance.id
        ),
    }
}

pub async fn compute(store: &Store, catalog: &Catalog, args: &CostArgs) -> Result<CostReport> {
    let run = evidence::run_by_id(store, "--run", &args.run).await?;
    let units = evidence::bench_units(store, &run).await?;
    let unit = choose_point(
        &units,
        args.point.as_deref(),
        args.max_p99_ttft_ms,
        args.max_p99_tpot_ms,
        &run.run_id,
    )?;
    let measured = unit.throughput(&run.run_id).with_context(|| {
        format!(
            "run {}, load point {}: no completed requests with token counts to cost",
            run.run_id, unit.point
        )
    })?;
    let pricing = pricing(
        catalog,
        &measured,
        args.instance.as_deref(),
        args.usd_per_hour,
        args.measured_on.as_deref(),
        args.measured_bandwidth_gbs,
    )?;
    let throughput = pricing.throughput.clone();
    let mut notes = Vec::new();
    let mut figures = Vec::new();
    if let Some(host) = evidence::host_of(&run) {
        notes.push(format!(
            "run {} was measured on {}",
            run.run_id,
            host.describe()
        ));
        for gpu in &host.gpus {
            if let Some(accelerator) = catalog.accelerator_for_device(gpu) {
                notes.push(format!(
                    "GPU {gpu} matches the catalog accelerator {}: an instance type with the same accelerators is priced without projection by --instance ID --measured-on ID",
                    accelerator.id
                ));
            }
        }
    }
    if let Some(instance) = pricing.instance {
        notes.push(format!(
            "price of {}: {} $/h on demand as of {} ({})",
            instance.id, instance.on_demand_usd_hour, instance.price_date, instance.price_source
        ));
    }
    if throughput.basis == Basis::Projected {
        notes.push(throughput.origin.clone());
    }

    let costs = cost::token_costs(&throughput, pricing.usd_per_hour)?;
    figures.extend([costs.input_tokens, costs.output_tokens, costs.all_tokens]);

    let accelerators = pricing
        .instance
        .map_or(0, |instance| instance.accelerator_count);
    let traffic = Traffic {
        requests_per_second: args.traffic_rps,
        input_tokens: args
            .input_tokens
            .unwrap_or(throughput.input_tokens_per_request),
        output_tokens: args
            .output_tokens
            .unwrap_or(throughput.output_tokens_per_request),
        hours_per_day: args.hours_per_day,
    };
    let plan = cost::capacity(&throughput, &traffic, pricing.usd_per_hour, accelerators)?;
    let replicas = plan.replicas.value;
    figures.push(plan.requests_per_second_per_replica);
    figures.push(plan.replicas);
    if accelerators > 0 {
        figures.push(plan.accelerators);
    }
    figures.push(plan.usd_per_month);

    // Energy: measured per token when the run has it (and it ran on the priced hardware),
    // else TDP × utilisation of the priced instance, else --power-watts.
    let region = args
        .region
        .clone()
        .or_else(|| pricing.instance.map(|instance| instance.region.clone()))
        .unwrap_or_else(|| "world".to_string());
    let intensity = catalog.carbon(&region);
    if intensity.is_none() {
        notes.push(format!(
            "no carbon intensity for region {region} in the catalog: no gCO2e figure"
        ));
    }
    let measured_energy = unit
        .joules_per_output_token()
        .filter(|_| throughput.basis != Basis::Projected);
    let utilisation = args.utilisation.unwrap_or_else(|| {
        unit.value("gpu_util_percent.mean")
            .map_or(1.0, |percent| (percent / 100.0).clamp(0.01, 1.0))
    });
    let power = match (measured_energy, args.power_watts, pricing.instance) {
        (Some(joules), _, _) => Some(Power::MeasuredJoulesPerOutputToken { joules }),
        (None, Some(watts), _) => Some(Power::Estimated {
            tdp_watts: watts,
            utilisation,
        }),
        (None, None, Some(instance)) => Some(Power::Estimated {
            tdp_watts: catalog.instance_power_watts(instance)?,
            utilisation,
        }),
        (None, None, None) => None,
    };
    let instance_power = match (args.power_watts, pricing.instance) {
        (Some(watts), _) => Some(watts),
        (None, Some(instance)) => Some(catalog.instance_power_watts(instance)?),
        (None, None) => None,
    };
    match &power {
        Some(power) => {
            let energy = cost::energy(&throughput, power, intensity.map(|c| c.g_co2e_per_kwh))?;
            figures.push(energy.kwh_per_million_output_tokens);
            if let (Some(carbon), Some(intensity)) =
                (energy.g_co2e_per_million_output_tokens, intensity)
            {
                notes.push(format!(
                    "carbon intensity of {region}: {} gCO2e/kWh ({})",
                    intensity.g_co2e_per_kwh, intensity.source
                ));
                figures.push(carbon);
            }
        }
        None => notes.push(
            "no energy figure: the run measured no power and no --power-watts or --instance gives one"
                .to_string(),
        ),
    }

    // TCO.
    let spot_price = args
        .spot_usd_hour
        .or_else(|| pricing.instance.and_then(|instance| instance.spot_usd_hour));
    let spot = match spot_price {
        Some(usd_per_hour) => {
            let interruptions_per_month = args
                .interruptions_per_month
                .or_else(|| {
                    pricing
                        .instance
                        .and_then(|i| i.spot_interruptions_per_month)
                })
                .unwrap_or(0.0);
            let resume_seconds = match args.resume_seconds {
                Some(seconds) => seconds,
                None => {
                    let (seconds, note) = resume_overhead(store, &unit.unit.model).await?;
                    notes.push(note);
                    seconds
                }
            };
            Some(Spot {
                usd_per_hour,
                interruptions_per_month,
                resume_overhead_hours: resume_seconds / 3600.0,
            })
        }
        None => {
            notes.push(
                "no spot price (the catalog ships none: they change hourly): give --spot-usd-hour for a spot TCO"
                    .to_string(),
            );
            None
        }
    };
    let purchase = args.purchase_usd.or_else(|| {
        let instance = pricing.instance?;
        let accelerator = catalog.accelerator(instance.accelerator.as_deref()?).ok()?;
        Some(accelerator.purchase_usd? * f64::from(instance.accelerator_count))
    });
    let owned = match (purchase, instance_power) {
        (Some(purchase_usd), Some(power_watts)) => Some(Owned {
            purchase_usd,
            power_watts: power_watts * utilisation,
            electricity_usd_per_kwh: args
                .electricity_usd_per_kwh
                .unwrap_or(catalog.defaults.electricity_usd_per_kwh),
            pue: catalog.defaults.pue,
        }),
        _ => {
            notes.push(
                "no owned-hardware TCO: it needs a purchase price (--purchase-usd or a catalog accelerator's) and a power figure"
                    .to_string(),
            );
            None
        }
    };
    let tco = cost::tco(&TcoInputs {
        horizon_months: args.horizon_months,
        hours_per_day: args.hours_per_day,
        replicas,
        on_demand_usd_per_hour: pricing.usd_per_hour,
        spot,
        owned,
    })?;
    let on_demand = tco.on_demand;
    figures.push(on_demand.clone());
    if let Some(spot) = tco.spot {
        let gain = cost::roi("ROI of spot vs on demand", &spot, &on_demand)?;
        figures.push(spot);
        figures.push(gain);
    }
    if let Some(owned) = tco.owned {
        let gain = cost::roi("ROI of owning vs on demand", &owned, &on_demand)?;
        figures.push(owned);
        figures.push(gain);
    }
    if let Some(payback) = tco.owned_payback_months {
        figures.push(payback);
    }
    Ok(CostReport {
        run: run.run_id.clone(),
        point: unit.point.clone(),
        hardware: pricing.label,
        throughput,
        figures,
        notes,
    })
}

/// Seconds to serve again after losing an instance: the model's load time measured by
/// `yardstick profile` when the store has one.
async fn resume_overhead(store: &Store, model: &str) -> Result<(f64, String)> {
    let profiles = store.latest_profile_metrics().await?;
    let load = profiles.iter().find_map(|profile| {
        (profile.model == model).then(|| {
            profile
                .metrics
                .iter()
                .find(|stored| stored.record.name == yardstick_runner::profile::names::LOAD_TIME_MS)
                .map(|stored| stored.record.value / 1000.0)
        })?
    });
    Ok(match load {
        Some(seconds) => (
            seconds,
            format!("resume overhead: the model's load time measured by `yardstick profile`, {seconds:.2} s"),
        ),
        None => (
            0.0,
            format!("resume overhead not measured for {model} (run `yardstick profile` or give --resume-seconds): counted as 0"),
        ),
    })
}
