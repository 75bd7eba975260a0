//! `yardstick cost --run BENCH_RUN …`: cost, energy, carbon and TCO of serving from the
//! throughput a bench run measured, every figure with its basis and arithmetic
//! ([`yardstick_decide::cost`]).
//!
//! The run is read by `yardstick_evidence::gather`, costed by `yardstick_decide::costing`;
//! this prints the figures.
//!
//! The price comes from `--usd-per-hour` (the hardware the run was measured on) or a catalog
//! instance (`--instance`). A run is never silently costed on hardware it was not measured
//! on: `--instance X` needs `--measured-on X` (the run was taken on that instance type), or
//! the run's throughput is *projected* to X by memory bandwidth from `--measured-on Y` or
//! `--measured-bandwidth-gbs`, and every figure says so.

use anyhow::Result;
use yardstick_decide::costing::{cost_run, CostEvidence, CostRequest};
use yardstick_decide::views;
use yardstick_evidence::{gather, LatencyBounds};
use yardstick_runner::Home;

use super::Outcome;
use crate::args::{CostArgs, Format};
use crate::render::print_blocks;

/// The typed request from the flags.
fn request(args: &CostArgs) -> CostRequest {
    CostRequest {
        point: args.point.clone(),
        bounds: LatencyBounds {
            max_p99_ttft_ms: args.max_p99_ttft_ms,
            max_p99_tpot_ms: args.max_p99_tpot_ms,
        },
        usd_per_hour: args.usd_per_hour,
        instance: args.instance.clone(),
        measured_on: args.measured_on.clone(),
        measured_bandwidth_gbs: args.measured_bandwidth_gbs,
        traffic_rps: args.traffic_rps,
        input_tokens: args.input_tokens,
        output_tokens: args.output_tokens,
        hours_per_day: args.hours_per_day,
        horizon_months: args.horizon_months,
        spot_usd_hour: args.spot_usd_hour,
        interruptions_per_month: args.interruptions_per_month,
        resume_seconds: args.resume_seconds,
        power_watts: args.power_watts,
        utilisation: args.utilisation,
        purchase_usd: args.purchase_usd,
        electricity_usd_per_kwh: args.electricity_usd_per_kwh,
        region: args.region.clone(),
    }
}

pub async fn run(args: CostArgs, home: &Home) -> Result<Outcome> {
    let catalog = super::inputs::catalog(args.catalog.as_deref())?;
    let store = home.open_store().await?;
    let run = gather::run_by_id(&store, "--run", &args.run).await?;
    let units = gather::bench_units(&store, &run).await?;
    let load_seconds = match units.first() {
        Some(unit) => gather::load_seconds(&store, &unit.unit.model).await?,
        None => None,
    };
    // Every unit of a bench run measured the same deployment.
    let deployment = match units
        .first()
        .and_then(|unit| unit.unit.deployment_id.as_deref())
    {
        Some(id) => store.deployment(id).await?.map(|stored| stored.name),
        None => None,
    };
    let evidence = CostEvidence {
        run_id: run.run_id.clone(),
        deployment,
        host: gather::host_of(&run)?,
        units,
        load_seconds,
    };
    let report = cost_run(&evidence, &catalog, &request(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Outcome::Success);
    }
    print_blocks(&views::cost(&report), Format::Table);
    Ok(Outcome::Success)
}
