//! Cost, energy and carbon from measured throughput, and total cost of ownership.
//!
//! Every result is a [`Figure`]: a value, its unit, whether it rests on a measurement, an
//! estimate or a projection ([`Basis`]), and the arithmetic that produced it with the numbers
//! substituted, so a reader can redo it by hand. The definitions:
//!
//! - **$ per 1M tokens** from a price per hour `P` and a measured throughput of `R` requests/s
//!   with `I` input and `O` output tokens per request: all tokens `P / (3600 R (I + O)) · 10⁶`;
//!   split by the time each phase occupies — prefill share `f = mean TTFT / mean E2E` — input
//!   `f P / (3600 R I) · 10⁶` and output `(1 − f) P / (3600 R O) · 10⁶`.
//! - **Capacity for a traffic** of `λ` requests/s with `I'`/`O'` tokens: a replica serves
//!   `R / s` requests/s where `s = f I'/I + (1 − f) O'/O` rescales the measured workload's time
//!   per request to the traffic's (`s = 1`, exact, when the shapes agree; otherwise an
//!   estimate); replicas `⌈λ s / R⌉`, accelerators = replicas × accelerators per replica,
//!   $/month = replicas × `P` × hours per day × 365.25/12.
//! - **Energy per 1M output tokens**: measured joules per output token × 10⁶ / 3.6·10⁶ kWh;
//!   without a measurement, power is estimated as TDP × utilisation and divided by the
//!   measured output tokens per second (labelled an estimate). gCO2e = kWh × grid intensity.
//! - **TCO over a horizon** of `H` months at `h` hours a day (`hours = H · 365.25/12 · h`):
//!   on-demand `replicas · P · hours`; spot `replicas · P_spot · hours · (1 + k · r / hours_m)`
//!   where `k` is the expected interruptions per instance-month, `r` the measured hours to
//!   resume after one (load and warm-up) and `hours_m` the hours run per month — the extra
//!   time paid to restart; owned `replicas · purchase + replicas · W · PUE · hours / 1000 ·
//!   $/kWh` (purchase counted in full, no resale value).
//! - **ROI vs a baseline**: `(baseline − candidate) / candidate` over the same horizon; the
//!   payback of owned hardware: purchase / (monthly on-demand − monthly owned energy).

use serde::Serialize;
use yardstick_evidence::BenchUnit;

use crate::DecideError;

/// Days in an average month.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// What a figure rests on, from firmest to weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Arithmetic on measured quantities and given prices only.
    Measured,
    /// Uses an assumption (TDP × utilisation, a rescaled workload).
    Estimated,
    /// Transfers a measurement to hardware it was not taken on.
    Projected,
}

yardstick_core::closed_set!(Basis, "basis", {
    Measured => "measured",
    Estimated => "estimated",
    Projected => "projected",
});

impl Basis {
    /// The weaker of two bases (a figure is only as firm as its weakest input).
    pub fn weakest(self, other: Basis) -> Basis {
        self.max(other)
    }
}

/// One computed number and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub basis: Basis,
    /// The formula with its inputs substituted.
    pub derivation: String,
}

impl Figure {
    fn new(name: &str, value: f64, unit: &str, basis: Basis, derivation: String) -> Figure {
        Figure {
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            basis,
            derivation,
        }
    }
}

/// Throughput of one configuration at one operating point (a bench load point, its goodput
/// under the user's SLO, or a projection of one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    pub requests_per_second: f64,
    pub input_tokens_per_request: f64,
    pub output_tokens_per_request: f64,
    /// Mean TTFT / mean end-to-end latency, in [0, 1].
    pub prefill_share: f64,
    pub basis: Basis,
    /// Where the numbers come from (run, load point, SLO, projection method).
    pub origin: String,
}

impl Throughput {
    fn check(&self) -> Result<(), DecideError> {
        let invalid = |reason: String| DecideError::InvalidInput {
            what: format!("throughput ({})", self.origin),
            reason,
        };
        for (name, value) in [
            ("requests per second", self.requests_per_second),
            ("input tokens per request", self.input_tokens_per_request),
            ("output tokens per request", self.output_tokens_per_request),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(invalid(format!("{name} is {value}; it must be positive")));
            }
        }
        if !(0.0..=1.0).contains(&self.prefill_share) {
            return Err(invalid(format!(
                "prefill share is {}; it must lie in [0, 1]",
                self.prefill_share
            )));
        }
        Ok(())
    }

    pub fn output_tokens_per_second(&self) -> f64 {
        self.requests_per_second * self.output_tokens_per_request
    }

    pub fn total_tokens_per_second(&self) -> f64 {
        self.requests_per_second * (self.input_tokens_per_request + self.output_tokens_per_request)
    }
}

/// The throughput a bench unit measured: goodput when the run had an SLO (only requests
/// meeting it count), else completed requests per second; tokens per request and the
/// prefill share (mean TTFT / mean E2E) of its measured requests. `None` when the unit lacks
/// any of them.
pub fn measured_throughput(unit: &BenchUnit, run_id: &str) -> Option<Throughput> {
    let (requests_per_second, which) = unit.request_rate()?;
    let (input, output) = unit.tokens_per_request()?;
    Some(Throughput {
        requests_per_second,
        input_tokens_per_request: input,
        output_tokens_per_request: output,
        prefill_share: unit.prefill_share()?,
        basis: Basis::Measured,
        origin: format!("run {run_id}, load point {} ({which})", unit.point),
    })
}

fn positive(what: &str, value: f64) -> Result<(), DecideError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(DecideError::InvalidInput {
            what: what.to_string(),
            reason: format!("{value} must be a positive number"),
        })
    }
}

/// $ per million tokens at a price per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenCosts {
    pub all_tokens: Figure,
    pub input_tokens: Figure,
    pub output_tokens: Figure,
}

pub fn token_costs(throughput: &Throughput, usd_per_hour: f64) -> Result<TokenCosts, DecideError> {
    throughput.check()?;
    positive("price per hour", usd_per_hour)?;
    let t = throughput;
    let share = t.prefill_share;
    let all = usd_per_hour / (3600.0 * t.total_tokens_per_second()) * 1e6;
    let input =
        share * usd_per_hour / (3600.0 * t.requests_per_second * t.input_tokens_per_request) * 1e6;
    let output = (1.0 - share) * usd_per_hour
        / (3600.0 * t.requests_per_second * t.output_tokens_per_request)
        * 1e6;
    Ok(TokenCosts {
        all_tokens: Figure::new(
            "cost per 1M tokens (input + output)",
            all,
            "USD",
            t.basis,
            format!(
                "{usd_per_hour} $/h ÷ (3600 s/h × {:.4} req/s × ({:.1} + {:.1}) tokens) × 10⁶",
                t.requests_per_second, t.input_tokens_per_request, t.output_tokens_per_request
            ),
        ),
        input_tokens: Figure::new(
            "cost per 1M input tokens",
            input,
            "USD",
            t.basis,
            format!(
                "prefill share {share:.3} × {usd_per_hour} $/h ÷ (3600 × {:.4} req/s × {:.1} tokens) × 10⁶",
                t.requests_per_second, t.input_tokens_per_request
            ),
        ),
        output_tokens: Figure::new(
            "cost per 1M output tokens",
            output,
            "USD",
            t.basis,
            format!(
                "(1 − {share:.3}) × {usd_per_hour} $/h ÷ (3600 × {:.4} req/s × {:.1} tokens) × 10⁶",
                t.requests_per_second, t.output_tokens_per_request
            ),
        ),
    })
}

/// A traffic to serve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    pub requests_per_second: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
    pub hours_per_day: f64,
}

/// How many replicas a traffic needs and what they cost a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    pub requests_per_second_per_replica: Figure,
    pub replicas: Figure,
    pub accelerators: Figure,
    pub usd_per_month: Figure,
}

pub fn capacity(
    throughput: &Throughput,
    traffic: &Traffic,
    usd_per_hour: f64,
    accelerators_per_replica: u32,
) -> Result<Capacity, DecideError> {
    throughput.check()?;
    positive("price per hour", usd_per_hour)?;
    positive("traffic requests per second", traffic.requests_per_second)?;
    positive("traffic input tokens", traffic.input_tokens)?;
    positive("traffic output tokens", traffic.output_tokens)?;
    if !(traffic.hours_per_day > 0.0 && traffic.hours_per_day <= 24.0) {
        return Err(DecideError::InvalidInput {
            what: "hours per day".to_string(),
            reason: format!("{} must lie in (0, 24]", traffic.hours_per_day),
        });
    }
    let t = throughput;
    let f = t.prefill_share;
    let scale = f * traffic.input_tokens / t.input_tokens_per_request
        + (1.0 - f) * traffic.output_tokens / t.output_tokens_per_request;
    let same_shape = (scale - 1.0).abs() < 1e-9;
    let basis = if same_shape {
        t.basis
    } else {
        t.basis.weakest(Basis::Estimated)
    };
    let per_replica = t.requests_per_second / scale;
    let replicas = (traffic.requests_per_second / per_replica - 1e-9)
        .ceil()
        .max(1.0);
    let accelerators = replicas * f64::from(accelerators_per_replica);
    let monthly = replicas * usd_per_hour * traffic.hours_per_day * DAYS_PER_MONTH;
    Ok(Capacity {
        requests_per_second_per_replica: Figure::new(
            "requests per second per replica",
            per_replica,
            "req/s",
            basis,
            if same_shape {
                format!(
                    "{:.4} req/s measured with the traffic's token counts",
                    t.requests_per_second
                )
            } else {
                format!(
                    "{:.4} req/s ÷ {scale:.3} (time rescaled: {f:.3} × {}/{:.1} input + {:.3} × {}/{:.1} output tokens)",
                    t.requests_per_second,
                    traffic.input_tokens,
                    t.input_tokens_per_request,
                    1.0 - f,
                    traffic.output_tokens,
                    t.output_tokens_per_request
                )
            },
        ),
        replicas: Figure::new(
            "replicas",
            replicas,
            "count",
            basis,
            format!(
                "⌈{} req/s ÷ {per_replica:.4} req/s⌉",
                traffic.requests_per_second
            ),
        ),
        accelerators: Figure::new(
            "accelerators",
            accelerators,
            "count",
            basis,
            format!("{replicas} replicas × {accelerators_per_replica} per replica"),
        ),
        usd_per_month: Figure::new(
            "cost per month",
            monthly,
            "USD",
            basis,
            format!(
                "{replicas} × {usd_per_hour} $/h × {} h/day × {DAYS_PER_MONTH} days",
                traffic.hours_per_day
            ),
        ),
    })
}

/// Where a power figure comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Power {
    /// Energy per output token measured during the run (hardware counters or sampled power).
    MeasuredJoulesPerOutputToken { joules: f64 },
    /// Nameplate power times an assumed or sampled utilisation.
    Estimated { tdp_watts: f64, utilisation: f64 },
}

/// Energy and carbon per million output tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Energy {
    pub kwh_per_million_output_tokens: Figure,
    /// Absent when the region's carbon intensity is unknown.
    pub g_co2e_per_million_output_tokens: Option<Figure>,
}

pub fn energy(
    throughput: &Throughput,
    power: &Power,
    g_co2e_per_kwh: Option<f64>,
) -> Result<Energy, DecideError> {
    throughput.check()?;
    let (joules, basis, how) = match *power {
        Power::MeasuredJoulesPerOutputToken { joules } => {
            positive("measured energy per output token", joules)?;
            (
                joules,
                throughput.basis,
                format!("{joules:.4} J/token measured"),
            )
        }
        Power::Estimated {
            tdp_watts,
            utilisation,
        } => {
            positive("TDP", tdp_watts)?;
            if !(utilisation > 0.0 && utilisation <= 1.0) {
                return Err(DecideError::InvalidInput {
                    what: "utilisation".to_string(),
                    reason: format!("{utilisation} must lie in (0, 1]"),
                });
            }
            let tokens_per_second = throughput.output_tokens_per_second();
            (
                tdp_watts * utilisation / tokens_per_second,
                throughput.basis.weakest(Basis::Estimated),
                format!(
                    "{tdp_watts} W × {utilisation} utilisation ÷ {tokens_per_second:.3} output tokens/s"
                ),
            )
        }
    };
    let kwh = joules * 1e6 / 3.6e6;
    let carbon = g_co2e_per_kwh.map(|intensity| {
        Figure::new(
            "carbon per 1M output tokens",
            kwh * intensity,
            "gCO2e",
            basis,
            format!("{kwh:.4} kWh × {intensity} gCO2e/kWh"),
        )
    });
    Ok(Energy {
        kwh_per_million_output_tokens: Figure::new(
            "energy per 1M output tokens",
            kwh,
            "kWh",
            basis,
            format!("{how} × 10⁶ tokens ÷ 3.6·10⁶ J/kWh"),
        ),
        g_co2e_per_million_output_tokens: carbon,
    })
}

/// Spot capacity: its price and how often it is taken away.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spot {
    pub usd_per_hour: f64,
    pub interruptions_per_month: f64,
    /// Hours from an interruption to serving again (model load and warm-up), measured.
    pub resume_overhead_hours: f64,
}

/// Owned hardware, per replica.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Owned {
    pub purchase_usd: f64,
    pub power_watts: f64,
    pub electricity_usd_per_kwh: f64,
    pub pue: f64,
}

/// What the TCO is computed over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcoInputs {
    pub horizon_months: f64,
    pub hours_per_day: f64,
    pub replicas: f64,
    pub on_demand_usd_per_hour: f64,
    pub spot: Option<Spot>,
    pub owned: Option<Owned>,
}

/// TCO of each way to get the hardware over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tco {
    pub on_demand: Figure,
    pub spot: Option<Figure>,
    pub owned: Option<Figure>,
    /// Months until owning costs less than renting on demand; absent when it never does.
    pub owned_payback_months: Option<Figure>,
}

pub fn tco(inputs: &TcoInputs) -> Result<Tco, DecideError> {
    positive("horizon in months", inputs.horizon_months)?;
    positive("replicas", inputs.replicas)?;
    positive("on-demand price per hour", inputs.on_demand_usd_per_hour)?;
    if !(inputs.hours_per_day > 0.0 && inputs.hours_per_day <= 24.0) {
        return Err(DecideError::InvalidInput {
            what: "hours per day".to_string(),
            reason: format!("{} must lie in (0, 24]", inputs.hours_per_day),
        });
    }
    let hours_per_month = DAYS_PER_MONTH * inputs.hours_per_day;
    let hours = inputs.horizon_months * hours_per_month;
    let replicas = inputs.replicas;
    let on_demand = Figure::new(
        "TCO on demand",
        replicas * inputs.on_demand_usd_per_hour * hours,
        "USD",
        Basis::Measured,
        format!(
            "{replicas} replicas × {} $/h × {hours:.1} h ({} months × {hours_per_month:.2} h)",
            inputs.on_demand_usd_per_hour, inputs.horizon_months
        ),
    );
    let spot = match &inputs.spot {
        None => None,
        Some(spot) => {
            positive("spot price per hour", spot.usd_per_hour)?;
            if !(spot.interruptions_per_month >= 0.0 && spot.resume_overhead_hours >= 0.0) {
                return Err(DecideError::InvalidInput {
                    what: "spot interruption rate and resume overhead".to_string(),
                    reason: "must be ≥ 0".to_string(),
                });
            }
            let overhead =
                spot.interruptions_per_month * spot.resume_overhead_hours / hours_per_month;
            Some(Figure::new(
                "TCO on spot",
                replicas * spot.usd_per_hour * hours * (1.0 + overhead),
                "USD",
                Basis::Estimated,
                format!(
                    "{replicas} × {} $/h × {hours:.1} h × (1 + {} interruptions/month × {:.4} h resume ÷ {hours_per_month:.2} h/month)",
                    spot.usd_per_hour, spot.interruptions_per_month, spot.resume_overhead_hours
                ),
            ))
        }
    };
    let (owned, payback) = match &inputs.owned {
        None => (None, None),
        Some(owned) => {
            positive("purchase price", owned.purchase_usd)?;
            positive("power", owned.power_watts)?;
            positive("electricity price", owned.electricity_usd_per_kwh)?;
            if owned.pue.is_nan() || owned.pue < 1.0 {
                return Err(DecideError::InvalidInput {
                    what: "PUE".to_string(),
                    reason: format!("{} is below 1", owned.pue),
                });
            }
            let energy_per_month = replicas * owned.power_watts * owned.pue * hours_per_month
                / 1000.0
                * owned.electricity_usd_per_kwh;
            let total = replicas * owned.purchase_usd + energy_per_month * inputs.horizon_months;
            let rent_per_month = replicas * inputs.on_demand_usd_per_hour * hours_per_month;
            let payback = (rent_per_month > energy_per_month).then(|| {
                let months = replicas * owned.purchase_usd / (rent_per_month - energy_per_month);
                Figure::new(
                    "owned payback vs on demand",
                    months,
                    "months",
                    Basis::Estimated,
                    format!(
                        "{replicas} × {} $ ÷ ({rent_per_month:.2} $/month on demand − {energy_per_month:.2} $/month power)",
                        owned.purchase_usd
                    ),
                )
            });
            (
                Some(Figure::new(
                    "TCO owned",
                    total,
                    "USD",
                    Basis::Estimated,
                    format!(
                        "{replicas} × {} $ purchase + {replicas} × {} W × PUE {} × {hours:.1} h ÷ 1000 × {} $/kWh",
                        owned.purchase_usd, owned.power_watts, owned.pue, owned.electricity_usd_per_kwh
                    ),
                )),
                payback,
            )
        }
    };
    Ok(Tco {
        on_demand,
        spot,
        owned,
        owned_payback_months: payback,
    })
}

/// Return on choosing `candidate` over `baseline` (both costs over the same horizon), as firm
/// as the weaker of the two.
pub fn roi(name: &str, candidate: &Figure, baseline: &Figure) -> Result<Figure, DecideError> {
    positive(&candidate.name, candidate.value)?;
    positive(&baseline.name, baseline.value)?;
    Ok(Figure::new(
        name,
        (baseline.value - candidate.value) / candidate.value,
        "ratio",
        candidate.basis.weakest(baseline.basis),
        format!(
            "({:.2} {} − {:.2} {}) ÷ {:.2}",
            baseline.value, baseline.name, candidate.value, candidate.name, candidate.value
        ),
    ))
}

/// Transfers a throughput measured on one device to another by the ratio of their memory
/// bandwidths (token generation reads every weight once per step, so decode speed scales
/// with bandwidth to a first approximation; prefill, compute-bound, is not modelled). The
/// result is marked [`Basis::Projected`] and names the method.
pub fn project_by_bandwidth(
    throughput: &Throughput,
    measured_on: (&str, f64),
    target: (&str, f64),
) -> Result<Throughput, DecideError> {
    throughput.check()?;
    positive(
        &format!("memory bandwidth of {}", measured_on.0),
        measured_on.1,
    )?;
    positive(&format!("memory bandwidth of {}", target.0), target.1)?;
    let ratio = target.1 / measured_on.1;
    Ok(Throughput {
        requests_per_second: throughput.requests_per_second * ratio,
        basis: Basis::Projected,
        origin: format!(
            "{} projected from {} ({} GB/s) to {} ({} GB/s) by memory-bandwidth ratio {ratio:.3}; not measured",
            throughput.origin, measured_on.0, measured_on.1, target.0, target.1
        ),
        ..throughput.clone()
    })
}

#[cfg(test)]
mod tests;
