//! `cost` of one bench run: cost, energy, carbon and TCO of serving from the throughput it
//! measured, every figure with its basis and arithmetic ([`crate::cost`]).
//!
//! The price comes from `usd_per_hour` (the hardware the run was measured on) or a catalog
//! instance. A run is never silently costed on hardware it was not measured on: an instance
//! needs `measured_on` naming it (the run was taken on that instance type), or the run's
//! throughput is *projected* to it by memory bandwidth from `measured_on` another instance
//! or `measured_bandwidth_gbs`, and every figure says so.

use serde::Serialize;
use yardstick_core::Host;
use yardstick_evidence::operating_point::costed_point;
use yardstick_evidence::{BenchUnit, LatencyBounds, ServingMetric};

use crate::catalog::{Catalog, Instance};
use crate::cost::{
    self, measured_throughput, Basis, Figure, Owned, Power, Spot, TcoInputs, Throughput, Traffic,
};
use crate::DecideError;

/// What to cost and under which assumptions (the flags of `yardstick cost`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostRequest {
    /// The load point; default: the highest throughput within `bounds`.
    pub point: Option<String>,
    pub bounds: LatencyBounds,
    pub usd_per_hour: Option<f64>,
    pub instance: Option<String>,
    pub measured_on: Option<String>,
    pub measured_bandwidth_gbs: Option<f64>,
    pub traffic_rps: f64,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub hours_per_day: f64,
    pub horizon_months: f64,
    pub spot_usd_hour: Option<f64>,
    pub interruptions_per_month: Option<f64>,
    pub resume_seconds: Option<f64>,
    pub power_watts: Option<f64>,
    pub utilisation: Option<f64>,
    pub purchase_usd: Option<f64>,
    pub electricity_usd_per_kwh: Option<f64>,
    pub region: Option<String>,
}

/// What is costed: a bench run's units, the machine it was measured on and the model's
/// measured load time (the resume overhead after an interruption).
#[derive(Debug, Clone)]
pub struct CostEvidence {
    pub run_id: String,
    /// The name of the deployment the run measured, when known.
    pub deployment: Option<String>,
    pub units: Vec<BenchUnit>,
    pub host: Option<Host>,
    pub load_seconds: Option<f64>,
}

/// Everything `cost` computed.
#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    pub run: String,
    /// The deployment costed (the run's), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    pub point: String,
    pub hardware: String,
    pub throughput: Throughput,
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

/// The hardware priced and the throughput on it (measured or projected).
#[derive(Debug, Clone)]
pub struct Pricing<'a> {
    pub label: String,
    pub usd_per_hour: f64,
    pub instance: Option<&'a Instance>,
    pub throughput: Throughput,
}

fn invalid(what: String, reason: &str) -> DecideError {
    DecideError::InvalidInput {
        what,
        reason: reason.to_string(),
    }
}

/// Resolves the price and, for another instance type, the projection.
pub fn pricing<'a>(
    catalog: &'a Catalog,
    measured: &Throughput,
    request: &CostRequest,
) -> Result<Pricing<'a>, DecideError> {
    let measured_on = request.measured_on.as_deref();
    match (request.instance.as_deref(), request.usd_per_hour) {
        (None, None) => Err(invalid(
            "give the price".to_string(),
            "--usd-per-hour for the hardware the run was measured on, or --instance ID from the catalog",
        )),
        (Some(_), Some(_)) => Err(DecideError::Refused(
            "give --instance or --usd-per-hour, not both".to_string(),
        )),
        (None, Some(price)) => {
            if !(price.is_finite() && price > 0.0) {
                return Err(invalid(
                    format!("--usd-per-hour {price}"),
                    "must be a positive price",
                ));
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
            let (from_name, from_bandwidth) = match (measured_on, request.measured_bandwidth_gbs) {
                (Some(source), _) => {
                    let source_instance = catalog.instance(source)?;
                    (source.to_string(), instance_bandwidth(catalog, source_instance)?)
                }
                (None, Some(bandwidth)) => ("the measuring machine".to_string(), bandwidth),
                (None, None) => {
                    return Err(invalid(
                        format!("--instance {id}"),
                        &format!(
                            "the run was not measured on {id}, so its throughput must be projected there; \
                             say where it was measured (--measured-on INSTANCE, or --measured-bandwidth-gbs N for the measuring \
                             machine's memory bandwidth), or give --measured-on {id} if it was measured on that instance type"
                        ),
                    ))
                }
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
fn instance_bandwidth(catalog: &Catalog, instance: &Instance) -> Result<f64, DecideError> {
    match &instance.accelerator {
        Some(id) => Ok(catalog.accelerator(id)?.memory_bandwidth_gbs),
        None => Err(invalid(
            format!("instance {}", instance.id),
            "no accelerator with a known memory bandwidth: a projection to or from it needs --measured-bandwidth-gbs",
        )),
    }
}

/// Costs the run at its chosen load point.
pub fn cost_run(
    evidence: &CostEvidence,
    catalog: &Catalog,
    request: &CostRequest,
) -> Result<CostReport, DecideError> {
    let run_id = &evidence.run_id;
    let unit = costed_point(
        &evidence.units,
        request.point.as_deref(),
        &request.bounds,
        run_id,
    )
    .map_err(|error| DecideError::Refused(error.to_string()))?;
    let measured = measured_throughput(unit, run_id).ok_or_else(|| {
        invalid(
            format!("run {run_id}, load point {}", unit.point),
            "no completed requests with token counts to cost",
        )
    })?;
    let pricing = pricing(catalog, &measured, request)?;
    let throughput = pricing.throughput.clone();
    let mut notes = pricing_notes(evidence, catalog, &pricing);
    let mut figures = Vec::new();
    let replicas = serving_cost_figures(request, &pricing, &mut figures)?;

    let utilisation = request.utilisation.unwrap_or_else(|| {
        unit.value(ServingMetric::GpuUtilPercentMean)
            .map_or(1.0, |percent| (percent / 100.0).clamp(0.01, 1.0))
    });
    energy_figures(
        unit,
        catalog,
        request,
        &pricing,
        utilisation,
        &mut figures,
        &mut notes,
    )?;
    let tco_inputs = tco_inputs(
        evidence,
        catalog,
        request,
        &pricing,
        utilisation,
        replicas,
        &mut notes,
    )?;
    tco_figures(&tco_inputs, &mut figures)?;
    Ok(CostReport {
        run: run_id.clone(),
        deployment: evidence.deployment.clone(),
        point: unit.point.clone(),
        hardware: pricing.label,
        throughput,
        figures,
        notes,
    })
}

/// Where the run was measured (and which catalog accelerators its GPUs match), where the
/// price comes from, and how the throughput was projected when it was.
fn pricing_notes(evidence: &CostEvidence, catalog: &Catalog, pricing: &Pricing) -> Vec<String> {
    let run_id = &evidence.run_id;
    let mut notes = Vec::new();
    if let Some(host) = &evidence.host {
        notes.push(format!("run {run_id} was measured on {}", host.describe()));
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
    if pricing.throughput.basis == Basis::Projected {
        notes.push(pricing.throughput.origin.clone());
    }
    notes
}

/// $ per 1M tokens, then the capacity plan for the traffic (per-replica rate, replicas,
/// accelerators when the instance has them, $ per month); returns the replica count.
fn serving_cost_figures(
    request: &CostRequest,
    pricing: &Pricing,
    figures: &mut Vec<Figure>,
) -> Result<f64, DecideError> {
    let throughput = &pricing.throughput;
    let costs = cost::token_costs(throughput, pricing.usd_per_hour)?;
    figures.extend([costs.input_tokens, costs.output_tokens, costs.all_tokens]);

    let accelerators = pricing
        .instance
        .map_or(0, |instance| instance.accelerator_count);
    let traffic = Traffic {
        requests_per_second: request.traffic_rps,
        input_tokens: request
            .input_tokens
            .unwrap_or(throughput.input_tokens_per_request),
        output_tokens: request
            .output_tokens
            .unwrap_or(throughput.output_tokens_per_request),
        hours_per_day: request.hours_per_day,
    };
    let plan = cost::capacity(throughput, &traffic, pricing.usd_per_hour, accelerators)?;
    let replicas = plan.replicas.value;
    figures.push(plan.requests_per_second_per_replica);
    figures.push(plan.replicas);
    if accelerators > 0 {
        figures.push(plan.accelerators);
    }
    figures.push(plan.usd_per_month);
    Ok(replicas)
}

/// Energy and carbon per 1M output tokens: measured per token when the run has it (and it
/// ran on the priced hardware), else TDP × utilisation of the priced instance, else the
/// power given.
fn energy_figures(
    unit: &BenchUnit,
    catalog: &Catalog,
    request: &CostRequest,
    pricing: &Pricing,
    utilisation: f64,
    figures: &mut Vec<Figure>,
    notes: &mut Vec<String>,
) -> Result<(), DecideError> {
    let throughput = &pricing.throughput;
    let region = request
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
    let power = match (measured_energy, request.power_watts, pricing.instance) {
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
    match &power {
        Some(power) => {
            let energy = cost::energy(throughput, power, intensity.map(|c| c.g_co2e_per_kwh))?;
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
    Ok(())
}

/// The TCO's inputs: on demand, spot (with the measured resume overhead) and owned
/// hardware, each when its prices are known.
fn tco_inputs(
    evidence: &CostEvidence,
    catalog: &Catalog,
    request: &CostRequest,
    pricing: &Pricing,
    utilisation: f64,
    replicas: f64,
    notes: &mut Vec<String>,
) -> Result<TcoInputs, DecideError> {
    let instance_power = match (request.power_watts, pricing.instance) {
        (Some(watts), _) => Some(watts),
        (None, Some(instance)) => Some(catalog.instance_power_watts(instance)?),
        (None, None) => None,
    };
    let spot_price = request
        .spot_usd_hour
        .or_else(|| pricing.instance.and_then(|instance| instance.spot_usd_hour));
    let spot = match spot_price {
        Some(usd_per_hour) => {
            let interruptions_per_month = request
                .interruptions_per_month
                .or_else(|| {
                    pricing
                        .instance
                        .and_then(|i| i.spot_interruptions_per_month)
                })
                .unwrap_or(0.0);
            let resume_seconds = match request.resume_seconds {
                Some(seconds) => seconds,
                None => {
                    let (seconds, note) = resume_overhead(evidence);
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
    let purchase = request.purchase_usd.or_else(|| {
        let instance = pricing.instance?;
        let accelerator = catalog.accelerator(instance.accelerator.as_deref()?).ok()?;
        Some(accelerator.purchase_usd? * f64::from(instance.accelerator_count))
    });
    let owned = match (purchase, instance_power) {
        (Some(purchase_usd), Some(power_watts)) => Some(Owned {
            purchase_usd,
            power_watts: power_watts * utilisation,
            electricity_usd_per_kwh: request
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
    Ok(TcoInputs {
        horizon_months: request.horizon_months,
        hours_per_day: request.hours_per_day,
        replicas,
        on_demand_usd_per_hour: pricing.usd_per_hour,
        spot,
        owned,
    })
}

/// The TCO figures with each alternative's ROI against on demand, and the payback.
fn tco_figures(inputs: &TcoInputs, figures: &mut Vec<Figure>) -> Result<(), DecideError> {
    let tco = cost::tco(inputs)?;
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
    Ok(())
}

/// Seconds to serve again after losing an instance: the model's load time measured by
/// `yardstick profile` when there is one; with the note saying which.
fn resume_overhead(evidence: &CostEvidence) -> (f64, String) {
    let model = evidence
        .units
        .first()
        .map_or("the model", |unit| unit.unit.model.as_str());
    match evidence.load_seconds {
        Some(seconds) => (
            seconds,
            format!("resume overhead: the model's load time measured by `yardstick profile`, {seconds:.2} s"),
        ),
        None => (
            0.0,
            format!("resume overhead not measured for {model} (run `yardstick profile` or give --resume-seconds): counted as 0"),
        ),
    }
}
