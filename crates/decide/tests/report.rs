//! `report::build` on in-memory evidence: which sections a report has, in which order, with
//! which rows; and `report::serving::Pricing::resolve` refusing bad inputs.

use std::collections::BTreeMap;

use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::catalog::Catalog;
use yardstick_decide::categories::Categories;
use yardstick_decide::report::serving::Pricing;
use yardstick_decide::report::{build, ReportInputs};
use yardstick_evidence::scores::GroupMembership;
use yardstick_evidence::selection::{ReportEvidence, ReportRun};
use yardstick_evidence::{BenchUnit, EvalUnit};
use yardstick_report::{Block, Document, Section, Table};
use yardstick_store::RunKind;
use yardstick_test_support::evidence::{bench_unit, eval_unit, run};

/// An eval unit of `model` on arc_easy with these items, as unit `unit_id` of run `run_id`.
fn eval(run_id: &str, unit_id: i64, model: &str, items: &[f64]) -> EvalUnit {
    let mut unit = eval_unit(model, "arc_easy", items);
    unit.unit.run_id = run_id.to_string();
    unit.unit.unit_id = unit_id;
    unit
}

fn bench(run_id: &str, unit_id: i64, model: &str, point: &str) -> BenchUnit {
    let mut unit = bench_unit(model, point, &[("ttft_ms.p99", 30.0)]);
    unit.unit.run_id = run_id.to_string();
    unit.unit.unit_id = unit_id;
    unit
}

fn eval_run(run_id: &str, seconds: i64, units: Vec<EvalUnit>) -> ReportRun {
    ReportRun {
        run: run(run_id, RunKind::Eval, seconds),
        units: units.iter().map(|unit| unit.unit.clone()).collect(),
        unit_metrics: units
            .iter()
            .map(|unit| (unit.unit.unit_id, vec![unit.metric.clone()]))
            .collect(),
        eval_units: units,
        bench_units: Vec::new(),
        host: None,
        deployments: vec![format!("{run_id} deployment")],
    }
}

fn bench_run(run_id: &str, seconds: i64, units: Vec<BenchUnit>) -> ReportRun {
    ReportRun {
        run: run(run_id, RunKind::Bench, seconds),
        units: units.iter().map(|unit| unit.unit.clone()).collect(),
        unit_metrics: units
            .iter()
            .map(|unit| (unit.unit.unit_id, unit.metrics.clone()))
            .collect(),
        eval_units: Vec::new(),
        bench_units: units,
        host: None,
        deployments: Vec::new(),
    }
}

/// The report's evidence: each eval unit's metric as its model's arc_easy score.
fn evidence(runs: Vec<ReportRun>) -> ReportEvidence {
    let mut task_scores = BTreeMap::new();
    for report_run in &runs {
        for unit in &report_run.eval_units {
            task_scores
                .entry(unit.unit.model.clone())
                .or_insert_with(BTreeMap::new)
                .insert(unit.unit.task.clone(), unit.metric.clone());
        }
    }
    ReportEvidence {
        runs,
        groups: GroupMembership::default(),
        task_scores,
    }
}

fn inputs(usd_per_hour: Option<f64>, category_task: &str) -> ReportInputs {
    ReportInputs {
        pricing: Pricing {
            usd_per_hour,
            power_watts: None,
            carbon: None,
        },
        settings: BootstrapSettings {
            resamples: 500,
            level: 0.95,
            seed: 3,
        },
        categories: Categories::from_yaml(
            &format!("reasoning:\n  - {{ task: {category_task}, weight: 1 }}\n"),
            "test categories",
        )
        .expect("valid categories"),
        categories_source: "test categories".to_string(),
        generator: "yardstick test".to_string(),
    }
}

fn titles(document: &Document) -> Vec<&str> {
    document
        .sections
        .iter()
        .map(|section| section.title.as_str())
        .collect()
}

fn section<'a>(document: &'a Document, title: &str) -> &'a Section {
    document
        .sections
        .iter()
        .find(|section| section.title == title)
        .unwrap_or_else(|| panic!("no section {title}"))
}

fn table(section: &Section) -> &Table {
    section
        .blocks
        .iter()
        .find_map(|block| match block {
            Block::Table(table) => Some(table),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no table in {}", section.title))
}

fn cells(table: &Table) -> Vec<Vec<&str>> {
    table
        .rows
        .iter()
        .map(|row| row.cells.iter().map(String::as_str).collect())
        .collect()
}

/// Two models evaluated on arc_easy (a: 3 of 5, b: 4 of 5) and a bench run of a.
fn eval_and_bench() -> ReportEvidence {
    evidence(vec![
        eval_run(
            "eval-1",
            0,
            vec![
                eval("eval-1", 1, "a", &[1.0, 1.0, 1.0, 0.0, 0.0]),
                eval("eval-1", 2, "b", &[1.0, 1.0, 1.0, 1.0, 0.0]),
            ],
        ),
        bench_run("bench-1", 120, vec![bench("bench-1", 3, "a", "c=1#0")]),
    ])
}

#[test]
fn an_eval_run_and_a_bench_run_give_every_section_in_order() {
    let document = build(&eval_and_bench(), &inputs(Some(3.6), "arc_easy")).expect("a report");
    assert_eq!(document.title, "yardstick report");
    assert_eq!(document.subtitle, "2 run(s); yardstick test");
    assert_eq!(
        titles(&document),
        [
            "Runs",
            "Quality",
            "Categories",
            "Comparisons",
            "Trade-offs",
            "Cost and energy",
            "Serving",
            "Latency distributions",
            "Fingerprints"
        ]
    );
    assert_eq!(
        cells(table(section(&document, "Runs"))),
        [
            [
                "eval-1",
                "eval",
                "complete",
                "2026-01-01 00:00 UTC",
                "fp-eval-1",
                "2",
                "–",
                "eval-1 deployment"
            ],
            [
                "bench-1",
                "bench",
                "complete",
                "2026-01-01 00:02 UTC",
                "fp-bench-1",
                "1",
                "–",
                "–"
            ],
        ]
    );
    // a: mean 3/5 = 0.6; sample variance (3 · 0.4² + 2 · 0.6²) / 4 = 0.3, s.e. √(0.3 / 5)
    // = 0.2449.
    let quality = cells(table(section(&document, "Quality")));
    assert_eq!(
        quality[0],
        ["eval-1", "a", "arc_easy", "acc", "0.6000", "0.2449", "5"]
    );
    assert_eq!(
        quality[1][..5],
        ["eval-1", "b", "arc_easy", "acc", "0.8000"]
    );
    // One comparison, a vs b on arc_easy: +0.2 on one discordant item, indistinguishable.
    let comparisons = cells(table(section(&document, "Comparisons")));
    assert_eq!(comparisons.len(), 1);
    assert_eq!(
        comparisons[0][..6],
        ["a", "b", "arc_easy", "acc", "5", "0.6000"]
    );
    assert_eq!(comparisons[0][10], "indistinguishable");
    // a's configuration scores a's arc_easy, 0.6; 2 req/s × 50 tokens = 100 output tok/s;
    // 3.6 $/h ÷ (3600 × 2 × 150) × 10⁶ = 3.3333 $ per 1M tokens; alone, on both fronts.
    assert_eq!(
        cells(table(section(&document, "Trade-offs"))),
        [["a c=1#0", "bench-1", "0.6000", "30.0", "100.0", "3.3333", "yes", "yes"]]
    );
    let serving = cells(table(section(&document, "Serving")));
    assert_eq!(
        serving[0][..7],
        ["bench-1", "a", "c=1#0", "2.00", "–", "–", "30.0"]
    );
    let fingerprints: Vec<&str> = section(&document, "Fingerprints")
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Preformatted { caption, .. } => Some(caption.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(fingerprints, ["run eval-1 (eval)", "run bench-1 (bench)"]);
}

#[test]
fn sections_without_their_inputs_are_left_out() {
    // One evaluated model, categories over another task: runs, quality and fingerprints.
    let one_model = evidence(vec![eval_run(
        "eval-1",
        0,
        vec![eval("eval-1", 1, "a", &[1.0, 0.0])],
    )]);
    let document = build(&one_model, &inputs(None, "hellaswag")).expect("a report");
    assert_eq!(titles(&document), ["Runs", "Quality", "Fingerprints"]);
    assert_eq!(document.subtitle, "1 run(s); yardstick test");
    // A bench run alone, without a price: no scores, so no trade-offs; costs say why the $
    // columns are empty.
    let bench_only = evidence(vec![bench_run(
        "bench-1",
        0,
        vec![bench("bench-1", 1, "a", "c=1#0")],
    )]);
    let document = build(&bench_only, &inputs(None, "arc_easy")).expect("a report");
    assert_eq!(
        titles(&document),
        [
            "Runs",
            "Cost and energy",
            "Serving",
            "Latency distributions",
            "Fingerprints"
        ]
    );
    let notices: Vec<&str> = section(&document, "Cost and energy")
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Notice { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        ["No price given (--usd-per-hour): $ columns are empty."]
    );
}

#[test]
fn pricing_resolve_refuses_a_bad_price_power_or_region() {
    let catalog = Catalog::from_yaml(
        "defaults: { electricity_usd_per_kwh: 0.1, electricity_source: t, pue: 1.2, pue_source: t, amortization_months: 36 }\n\
         carbon:\n  - { region: world, g_co2e_per_kwh: 475, source: t }\n  - { region: fr, g_co2e_per_kwh: 56, source: t }\n",
        "test catalog",
    )
    .expect("a valid catalog");
    assert_eq!(
        Pricing::resolve(Some(2.0), Some(300.0), "fr", &catalog),
        Ok(Pricing {
            usd_per_hour: Some(2.0),
            power_watts: Some(300.0),
            carbon: Some(("fr".to_string(), 56.0)),
        })
    );
    let refused = |price: Option<f64>, watts: Option<f64>, region: &str| {
        Pricing::resolve(price, watts, region, &catalog)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        refused(Some(0.0), None, "world"),
        "--usd-per-hour 0: must be a positive price"
    );
    assert_eq!(
        refused(Some(f64::NAN), None, "world"),
        "--usd-per-hour NaN: must be a positive price"
    );
    assert_eq!(
        refused(None, Some(-5.0), "world"),
        "--power-watts -5: must be a positive power"
    );
    assert_eq!(
        refused(None, None, "mars"),
        "--region mars: not in the catalog; its regions are world, fr"
    );
}
