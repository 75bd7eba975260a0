//! Unit tests of the parent module, with hand-computed values.
use super::*;

fn measured() -> Throughput {
    Throughput {
        requests_per_second: 2.0,
        input_tokens_per_request: 100.0,
        output_tokens_per_request: 50.0,
        prefill_share: 0.2,
        basis: Basis::Measured,
        origin: "run r1, c=4".to_string(),
    }
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{actual} ≠ {expected}"
    );
}

#[test]
fn token_costs_by_hand() {
    // $3.60/h, 2 req/s × 150 tokens = 300 tokens/s = 1,080,000 tokens/h:
    // all tokens 3.60 / 1.08 = $3.3333 per 1M; input: 0.2 × 3.60 / (720,000 tokens/h)
    // = $1.00 per 1M; output: 0.8 × 3.60 / 360,000 = $8.00 per 1M.
    let costs = token_costs(&measured(), 3.60).expect("accepted");
    close(costs.all_tokens.value, 3.60 / 1.08);
    close(costs.input_tokens.value, 1.0);
    close(costs.output_tokens.value, 8.0);
    assert_eq!(costs.output_tokens.basis, Basis::Measured);
    assert!(costs.all_tokens.derivation.contains("3.6 $/h"));
}

#[test]
fn capacity_by_hand() {
    // Same shape: a replica serves 2 req/s, 5 req/s needs ⌈2.5⌉ = 3 replicas of
    // 4 accelerators; 3 × $10/h × 12 h × 30.4375 days = $10,957.50.
    let traffic = Traffic {
        requests_per_second: 5.0,
        input_tokens: 100.0,
        output_tokens: 50.0,
        hours_per_day: 12.0,
    };
    let plan = capacity(&measured(), &traffic, 10.0, 4).expect("accepted");
    close(plan.replicas.value, 3.0);
    close(plan.accelerators.value, 12.0);
    close(plan.usd_per_month.value, 10_957.5);
    assert_eq!(plan.usd_per_month.basis, Basis::Measured);
    // Exactly at capacity needs no extra replica.
    let exact = Traffic {
        requests_per_second: 4.0,
        ..traffic.clone()
    };
    close(
        capacity(&measured(), &exact, 10.0, 1)
            .expect("accepted")
            .replicas
            .value,
        2.0,
    );
    // Twice the output tokens: time per request × (0.2 + 0.8 × 2) = 1.8, so a replica
    // serves 2 / 1.8 req/s; 5 req/s needs ⌈4.5⌉ = 5 replicas; an estimate.
    let longer = Traffic {
        output_tokens: 100.0,
        ..traffic
    };
    let plan = capacity(&measured(), &longer, 10.0, 1).expect("accepted");
    close(plan.requests_per_second_per_replica.value, 2.0 / 1.8);
    close(plan.replicas.value, 5.0);
    assert_eq!(plan.replicas.basis, Basis::Estimated);
}

#[test]
fn energy_and_carbon_by_hand() {
    // Measured 0.9 J per output token: 0.9 × 10⁶ / 3.6·10⁶ = 0.25 kWh per 1M tokens;
    // at 400 g/kWh, 100 g.
    let measured_energy = energy(
        &measured(),
        &Power::MeasuredJoulesPerOutputToken { joules: 0.9 },
        Some(400.0),
    )
    .expect("accepted");
    close(measured_energy.kwh_per_million_output_tokens.value, 0.25);
    close(
        measured_energy
            .g_co2e_per_million_output_tokens
            .expect("accepted")
            .value,
        100.0,
    );
    assert_eq!(
        measured_energy.kwh_per_million_output_tokens.basis,
        Basis::Measured
    );
    // Estimated: 72 W × 0.5 / 100 output tokens/s = 0.36 J/token = 0.1 kWh per 1M.
    let estimated = energy(
        &measured(),
        &Power::Estimated {
            tdp_watts: 72.0,
            utilisation: 0.5,
        },
        None,
    )
    .expect("accepted");
    close(estimated.kwh_per_million_output_tokens.value, 0.1);
    assert_eq!(
        estimated.kwh_per_million_output_tokens.basis,
        Basis::Estimated
    );
    assert!(estimated.g_co2e_per_million_output_tokens.is_none());
}

#[test]
fn tco_by_hand() {
    // 12 months × 24 h × 30.4375 days = 8766 h. On demand: 2 × $1 × 8766 = $17,532.
    // Spot $0.40/h, 2 interruptions a month, 0.5 h to resume: 1 + 2 × 0.5 / 730.5 —
    // 2 × 0.4 × 8766 × (1 + 1/730.5) = $7,022.40. Owned: 2 × $5000 + 2 × 300 W × 1.5 ×
    // 8766 h / 1000 × $0.10 = $10,000 + $788.94 = $10,788.94; payback 10,000 /
    // (1461 − 65.745) = 7.1671 months.
    let tco = tco(&TcoInputs {
        horizon_months: 12.0,
        hours_per_day: 24.0,
        replicas: 2.0,
        on_demand_usd_per_hour: 1.0,
        spot: Some(Spot {
            usd_per_hour: 0.4,
            interruptions_per_month: 2.0,
            resume_overhead_hours: 0.5,
        }),
        owned: Some(Owned {
            purchase_usd: 5000.0,
            power_watts: 300.0,
            electricity_usd_per_kwh: 0.10,
            pue: 1.5,
        }),
    })
    .expect("accepted");
    close(tco.on_demand.value, 17_532.0);
    close(
        tco.spot.expect("accepted").value,
        0.8 * 8766.0 * (1.0 + 1.0 / 730.5),
    );
    close(
        tco.owned.expect("accepted").value,
        10_000.0 + 2.0 * 300.0 * 1.5 * 8766.0 / 1000.0 * 0.10,
    );
    let per_month_rent = 2.0 * 730.5;
    let per_month_power = 2.0 * 300.0 * 1.5 * 730.5 / 1000.0 * 0.10;
    close(
        tco.owned_payback_months.expect("accepted").value,
        10_000.0 / (per_month_rent - per_month_power),
    );
    let cheap = Figure::new("a", 50.0, "USD", Basis::Estimated, String::new());
    let dear = Figure::new("b", 100.0, "USD", Basis::Measured, String::new());
    let gain = roi("ROI", &cheap, &dear).expect("accepted");
    close(gain.value, 1.0);
    assert_eq!(gain.basis, Basis::Estimated);
}

#[test]
fn projection_is_labelled_and_scales_by_bandwidth() {
    let projected =
        project_by_bandwidth(&measured(), ("L4", 300.0), ("H100 SXM", 3350.0)).expect("accepted");
    close(projected.requests_per_second, 2.0 * 3350.0 / 300.0);
    assert_eq!(projected.basis, Basis::Projected);
    assert!(projected.origin.contains("projected from L4"));
    let costs = token_costs(&projected, 4.0).expect("accepted");
    assert_eq!(costs.all_tokens.basis, Basis::Projected);
}

#[test]
fn bad_inputs_are_refused_by_name() {
    let mut zero = measured();
    zero.requests_per_second = 0.0;
    let error = token_costs(&zero, 1.0).expect_err("refused").to_string();
    assert!(
        error.contains("run r1") && error.contains("requests per second"),
        "{error}"
    );
    assert!(token_costs(&measured(), -1.0).is_err());
    let traffic = Traffic {
        requests_per_second: 1.0,
        input_tokens: 1.0,
        output_tokens: 1.0,
        hours_per_day: 25.0,
    };
    assert!(capacity(&measured(), &traffic, 1.0, 1)
        .expect_err("refused")
        .to_string()
        .contains("hours per day"));
}
