//! `costing::cost_run` and `costing::pricing` on in-memory evidence and a small catalog whose
//! numbers make the arithmetic easy to redo by hand (docs/decisions.md, "Cost, energy,
//! carbon, TCO").

use yardstick_core::Host;
use yardstick_decide::catalog::Catalog;
use yardstick_decide::cost::{measured_throughput, Basis, Figure, DAYS_PER_MONTH};
use yardstick_decide::costing::{cost_run, pricing, CostEvidence, CostReport, CostRequest};
use yardstick_evidence::LatencyBounds;
use yardstick_test_support::evidence::bench_unit;

const CATALOG: &str = r#"
defaults:
  electricity_usd_per_kwh: 0.10
  electricity_source: test
  pue: 1.5
  pue_source: test
  amortization_months: 36
accelerators:
  - { id: slow, name: Slow GPU, match: ["Slow GPU"], memory_gb: 24, memory_bandwidth_gbs: 1000, tdp_watts: 200, purchase_usd: 5000, source: test }
  - { id: fast, name: Fast GPU, match: ["Fast GPU"], memory_gb: 80, memory_bandwidth_gbs: 2000, tdp_watts: 400, source: test }
instances:
  - { id: test/slow, provider: test, region: test-region, accelerator: slow, accelerator_count: 1, vcpus: 4, memory_gb: 16, on_demand_usd_hour: 3.6, price_date: 2025-01-01, price_source: "https://example.com/slow" }
  - { id: test/fast-x2, provider: test, region: test-region, accelerator: fast, accelerator_count: 2, vcpus: 8, memory_gb: 32, on_demand_usd_hour: 7.2, price_date: 2025-01-01, price_source: "https://example.com/fast" }
carbon:
  - { region: test-region, g_co2e_per_kwh: 100, source: test }
  - { region: world, g_co2e_per_kwh: 500, source: test }
"#;

/// Hours in the 12-month horizon at 24 h/day: 12 × 30.4375 × 24 = 8766.
const HOURS_PER_MONTH: f64 = DAYS_PER_MONTH * 24.0;

fn catalog() -> Catalog {
    Catalog::from_yaml(CATALOG, "the test catalog").expect("a valid catalog")
}

/// Two load points of model `m`, each with 100 prompt and 50 completion tokens a request and
/// a prefill share of 20 / 100 = 0.2: c=1#0 at 2 req/s (p99 TTFT 50 ms), c=4#0 at 4 req/s
/// (p99 TTFT 200 ms). The model loads in 36 s.
fn evidence() -> CostEvidence {
    CostEvidence {
        run_id: "bench-1".to_string(),
        deployment: None,
        units: vec![
            bench_unit("m", "c=1#0", &[("ttft_ms.p99", 50.0)]),
            bench_unit(
                "m",
                "c=4#0",
                &[("requests_per_second", 4.0), ("ttft_ms.p99", 200.0)],
            ),
        ],
        host: None,
        load_seconds: Some(36.0),
    }
}

/// c=1#0 at 3.6 $/h for 5 req/s, 24 h a day, over 12 months.
fn request() -> CostRequest {
    CostRequest {
        point: Some("c=1#0".to_string()),
        usd_per_hour: Some(3.6),
        traffic_rps: 5.0,
        hours_per_day: 24.0,
        horizon_months: 12.0,
        ..CostRequest::default()
    }
}

fn figure<'a>(report: &'a CostReport, name: &str) -> &'a Figure {
    report
        .figures
        .iter()
        .find(|figure| figure.name == name)
        .unwrap_or_else(|| panic!("no figure {name} in {:?}", report.figures))
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9 * expected.abs().max(1.0)
}

fn assert_figure(report: &CostReport, name: &str, value: f64, basis: Basis) {
    let found = figure(report, name);
    assert!(
        close(found.value, value),
        "{name}: {} ≠ {value}",
        found.value
    );
    assert_eq!(found.basis, basis, "{name}");
}

#[test]
fn dollars_per_million_tokens_capacity_and_tco_at_a_price() {
    let report = cost_run(&evidence(), &catalog(), &request()).expect("costed");
    assert_eq!(report.point, "c=1#0");
    assert_eq!(report.hardware, "the hardware the run was measured on");
    assert_eq!(report.throughput.requests_per_second, 2.0);
    // All tokens: 3.6 / (3600 × 2 × (100 + 50)) × 10⁶ = 3.6·10⁶ / 1.08·10⁶ = 3.3333.
    assert_figure(
        &report,
        "cost per 1M tokens (input + output)",
        3.6e6 / 1.08e6,
        Basis::Measured,
    );
    // Input: 0.2 × 3.6 / (3600 × 2 × 100) × 10⁶ = 1.0; output: 0.8 × 3.6 / (3600 × 2 × 50)
    // × 10⁶ = 8.0.
    assert_figure(&report, "cost per 1M input tokens", 1.0, Basis::Measured);
    assert_figure(&report, "cost per 1M output tokens", 8.0, Basis::Measured);
    // The traffic has the measured shape (s = 1): 2 req/s a replica, ⌈5 / 2⌉ = 3 replicas,
    // 3 × 3.6 × 24 × 30.4375 = 7889.4 $ a month.
    assert_figure(
        &report,
        "requests per second per replica",
        2.0,
        Basis::Measured,
    );
    assert_figure(&report, "replicas", 3.0, Basis::Measured);
    assert_figure(&report, "cost per month", 7889.4, Basis::Measured);
    // On demand over 12 months: 3 × 3.6 × 8766 h = 94672.8.
    assert_figure(&report, "TCO on demand", 94_672.8, Basis::Measured);
    let names: Vec<&str> = report.figures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cost per 1M input tokens",
            "cost per 1M output tokens",
            "cost per 1M tokens (input + output)",
            "requests per second per replica",
            "replicas",
            "cost per month",
            "TCO on demand",
        ]
    );
    assert_eq!(
        report.notes,
        [
            "no energy figure: the run measured no power and no --power-watts or --instance gives one",
            "no spot price (the catalog ships none: they change hourly): give --spot-usd-hour for a spot TCO",
            "no owned-hardware TCO: it needs a purchase price (--purchase-usd or a catalog accelerator's) and a power figure",
        ]
    );
}

#[test]
fn a_traffic_of_another_shape_is_an_estimate_of_more_replicas() {
    let request = CostRequest {
        traffic_rps: 6.0,
        input_tokens: Some(200.0),
        output_tokens: Some(50.0),
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &request).expect("costed");
    // s = 0.2 × 200/100 + 0.8 × 50/50 = 1.2: a replica serves 2 / 1.2 = 1.6667 req/s;
    // ⌈6 × 1.2 / 2⌉ = ⌈3.6⌉ = 4 replicas; 4 × 3.6 × 24 × 30.4375 = 10519.2 $ a month.
    assert_figure(
        &report,
        "requests per second per replica",
        2.0 / 1.2,
        Basis::Estimated,
    );
    assert_figure(&report, "replicas", 4.0, Basis::Estimated);
    assert_figure(&report, "cost per month", 10_519.2, Basis::Estimated);
    // The token costs rest on the measurement alone.
    assert_figure(
        &report,
        "cost per 1M tokens (input + output)",
        3.6e6 / 1.08e6,
        Basis::Measured,
    );
}

#[test]
fn without_a_point_the_fastest_within_the_bounds_is_costed() {
    let unbounded = CostRequest {
        point: None,
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &unbounded).expect("costed");
    assert_eq!(report.point, "c=4#0");
    // 4 req/s: 3.6 / (3600 × 4 × 150) × 10⁶ = 1.6667.
    assert_figure(
        &report,
        "cost per 1M tokens (input + output)",
        3.6e6 / 2.16e6,
        Basis::Measured,
    );
    let bounded = CostRequest {
        point: None,
        bounds: LatencyBounds {
            max_p99_ttft_ms: Some(100.0),
            max_p99_tpot_ms: None,
        },
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &bounded).expect("costed");
    assert_eq!(report.point, "c=1#0");
    let impossible = CostRequest {
        point: None,
        bounds: LatencyBounds {
            max_p99_ttft_ms: Some(10.0),
            max_p99_tpot_ms: None,
        },
        ..request()
    };
    let error = cost_run(&evidence(), &catalog(), &impossible).expect_err("none within");
    assert_eq!(
        error.to_string(),
        "run bench-1: no load point has a measured throughput within the latency bounds given"
    );
}

#[test]
fn a_named_point_that_is_missing_is_refused_naming_the_points() {
    let request = CostRequest {
        point: Some("c=2#0".to_string()),
        ..request()
    };
    let error = cost_run(&evidence(), &catalog(), &request).expect_err("no such point");
    assert_eq!(
        error.to_string(),
        "--point c=2#0: run bench-1 has no such load point; it has c=1#0, c=4#0"
    );
}

#[test]
fn an_instance_the_run_was_not_measured_on_is_refused_without_a_projection_source() {
    let request = CostRequest {
        usd_per_hour: None,
        instance: Some("test/fast-x2".to_string()),
        ..request()
    };
    let error = cost_run(&evidence(), &catalog(), &request).expect_err("needs a projection");
    assert_eq!(
        error.to_string(),
        "--instance test/fast-x2: the run was not measured on test/fast-x2, so its throughput must \
         be projected there; say where it was measured (--measured-on INSTANCE, or \
         --measured-bandwidth-gbs N for the measuring machine's memory bandwidth), or give \
         --measured-on test/fast-x2 if it was measured on that instance type"
    );
}

#[test]
fn measured_on_the_instance_priced_is_costed_without_projection() {
    let request = CostRequest {
        usd_per_hour: None,
        instance: Some("test/fast-x2".to_string()),
        measured_on: Some("test/fast-x2".to_string()),
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &request).expect("costed");
    assert_eq!(report.hardware, "test/fast-x2");
    assert_eq!(report.throughput.basis, Basis::Measured);
    assert_eq!(report.throughput.requests_per_second, 2.0);
    // 7.2 / (3600 × 2 × 150) × 10⁶ = 6.6667.
    assert_figure(
        &report,
        "cost per 1M tokens (input + output)",
        7.2e6 / 1.08e6,
        Basis::Measured,
    );
    // 3 replicas of 2 accelerators each.
    assert_figure(&report, "accelerators", 6.0, Basis::Measured);
    // No measured energy: the instance's 2 × 400 W TDP at full utilisation over
    // 2 × 50 = 100 output tokens/s is 8 J/token; 8 · 10⁶ / 3.6·10⁶ = 2.2222 kWh per 1M
    // output tokens, × 100 gCO2e/kWh in the instance's region = 222.22 g.
    assert_figure(
        &report,
        "energy per 1M output tokens",
        8.0 / 3.6,
        Basis::Estimated,
    );
    assert_figure(
        &report,
        "carbon per 1M output tokens",
        800.0 / 3.6,
        Basis::Estimated,
    );
    assert!(report.notes.contains(
        &"price of test/fast-x2: 7.2 $/h on demand as of 2025-01-01 (https://example.com/fast)"
            .to_string()
    ));
    assert!(!report.notes.iter().any(|note| note.contains("projected")));
}

#[test]
fn measured_on_another_instance_is_projected_by_memory_bandwidth() {
    let request = CostRequest {
        usd_per_hour: None,
        instance: Some("test/fast-x2".to_string()),
        measured_on: Some("test/slow".to_string()),
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &request).expect("costed");
    assert_eq!(report.hardware, "test/fast-x2 (projected)");
    // Bandwidth 2000 / 1000 GB/s: 2 × 2 = 4 req/s; 7.2 / (3600 × 4 × 150) × 10⁶ = 3.3333.
    assert_eq!(report.throughput.basis, Basis::Projected);
    assert!(close(report.throughput.requests_per_second, 4.0));
    assert_figure(
        &report,
        "cost per 1M tokens (input + output)",
        7.2e6 / 2.16e6,
        Basis::Projected,
    );
    assert!(report.notes.contains(
        &"run bench-1, load point c=1#0 (completed requests) projected from test/slow (1000 GB/s) \
          to test/fast-x2 (2000 GB/s) by memory-bandwidth ratio 2.000; not measured"
            .to_string()
    ));
    // The measuring machine's bandwidth given instead of an instance: 2000 / 500 = 4 × 2.
    let request = CostRequest {
        usd_per_hour: None,
        instance: Some("test/fast-x2".to_string()),
        measured_bandwidth_gbs: Some(500.0),
        ..self::request()
    };
    let report = cost_run(&evidence(), &catalog(), &request).expect("costed");
    assert!(close(report.throughput.requests_per_second, 8.0));
}

#[test]
fn spot_and_owned_tco_use_the_measured_load_time_and_the_power_given() {
    let request = CostRequest {
        spot_usd_hour: Some(1.0),
        interruptions_per_month: Some(2.0),
        purchase_usd: Some(10_000.0),
        power_watts: Some(500.0),
        ..request()
    };
    let report = cost_run(&evidence(), &catalog(), &request).expect("costed");
    let hours = 12.0 * HOURS_PER_MONTH;
    // Spot: 3 replicas × 1 $/h × 8766 h × (1 + 2 interruptions × 0.01 h (36 s) ÷ 730.5 h).
    let spot = 3.0 * 1.0 * hours * (1.0 + 2.0 * 0.01 / HOURS_PER_MONTH);
    assert_figure(&report, "TCO on spot", spot, Basis::Estimated);
    let on_demand = 3.0 * 3.6 * hours;
    assert_figure(
        &report,
        "ROI of spot vs on demand",
        (on_demand - spot) / spot,
        Basis::Estimated,
    );
    // Owned: power 3 × 500 W × PUE 1.5 × 730.5 h / 1000 × 0.10 $/kWh = 164.3625 $ a month;
    // 3 × 10000 + 12 × 164.3625 = 31972.35; payback 30000 / (7889.4 − 164.3625) = 3.8835.
    assert_figure(&report, "TCO owned", 31_972.35, Basis::Estimated);
    assert_figure(
        &report,
        "owned payback vs on demand",
        30_000.0 / (7889.4 - 164.3625),
        Basis::Estimated,
    );
    // Energy from the power given: 500 W over 100 output tokens/s = 5 J/token, 1.3889 kWh per
    // 1M output tokens, × 500 gCO2e/kWh (no instance: the world average) = 694.44 g.
    assert_figure(
        &report,
        "energy per 1M output tokens",
        5.0 / 3.6,
        Basis::Estimated,
    );
    assert_figure(
        &report,
        "carbon per 1M output tokens",
        2500.0 / 3.6,
        Basis::Estimated,
    );
    assert!(report.notes.contains(
        &"resume overhead: the model's load time measured by `yardstick profile`, 36.00 s"
            .to_string()
    ));
    // Without a measured load time the overhead counts as 0, and says so.
    let unmeasured = CostEvidence {
        load_seconds: None,
        ..evidence()
    };
    let report = cost_run(&unmeasured, &catalog(), &request).expect("costed");
    assert_figure(&report, "TCO on spot", 3.0 * hours, Basis::Estimated);
    assert!(report.notes.contains(
        &"resume overhead not measured for m (run `yardstick profile` or give --resume-seconds): counted as 0"
            .to_string()
    ));
}

#[test]
fn a_recorded_gpu_that_the_catalog_knows_is_named_in_the_notes() {
    let host = Host {
        cpu: "Test CPU".to_string(),
        logical_cpus: 8,
        physical_cores: Some(4),
        memory_gib: 32.0,
        gpus: vec!["Slow GPU 24GB".to_string()],
        os: None,
    };
    let evidence = CostEvidence {
        host: Some(host.clone()),
        ..evidence()
    };
    let report = cost_run(&evidence, &catalog(), &request()).expect("costed");
    assert_eq!(
        report.notes[..2],
        [
            format!("run bench-1 was measured on {}", host.describe()),
            "GPU Slow GPU 24GB matches the catalog accelerator slow: an instance type with the same accelerators is priced without projection by --instance ID --measured-on ID".to_string(),
        ]
    );
}

#[test]
fn pricing_needs_exactly_one_valid_price() {
    let catalog = catalog();
    let unit = bench_unit("m", "c=1#0", &[]);
    let measured = measured_throughput(&unit, "bench-1").expect("a throughput");
    let priced = |usd_per_hour: Option<f64>, instance: Option<&str>| {
        let request = CostRequest {
            usd_per_hour,
            instance: instance.map(str::to_string),
            ..request()
        };
        pricing(&catalog, &measured, &request).map(|pricing| pricing.usd_per_hour)
    };
    assert_eq!(priced(Some(3.6), None), Ok(3.6));
    let message = |result: Result<f64, yardstick_decide::DecideError>| {
        result.expect_err("refused").to_string()
    };
    assert_eq!(
        message(priced(None, None)),
        "give the price: --usd-per-hour for the hardware the run was measured on, or --instance ID from the catalog"
    );
    assert_eq!(
        message(priced(Some(3.6), Some("test/slow"))),
        "give --instance or --usd-per-hour, not both"
    );
    assert_eq!(
        message(priced(Some(0.0), None)),
        "--usd-per-hour 0: must be a positive price"
    );
    assert_eq!(
        message(priced(None, Some("test/huge"))),
        "unknown instance type `test/huge`; valid: test/slow, test/fast-x2"
    );
}
