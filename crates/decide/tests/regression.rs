//! `regression::regress`, `judged_metrics` and `expand` on in-memory evidence: which metrics
//! two runs are judged on, which threshold each gets, and the verdicts, computed by hand.

use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::regress::{MetricVerdict, Status, Threshold};
use yardstick_decide::regression::{expand, judged_metrics, regress};
use yardstick_evidence::selection::Sides;
use yardstick_evidence::{BenchUnit, ComparisonMode};
use yardstick_test_support::evidence::{bench_unit, eval_unit, eval_unit_from};
use yardstick_test_support::fingerprint::fingerprint;

fn settings() -> BootstrapSettings {
    BootstrapSettings {
        resamples: 2000,
        level: 0.95,
        seed: 11,
    }
}

fn threshold(text: &str) -> Threshold {
    text.parse().expect("a valid threshold")
}

/// A threshold on one load point's metric, as the command line writes it
/// (`ttft_ms.p99@c=4#0=2%`: the last `=` separates the percentage).
fn threshold_on(metric: &str, relative_percent: f64) -> Threshold {
    format!("{metric}={relative_percent}%")
        .parse()
        .expect("a valid threshold")
}

/// Per-item values of the baseline and the candidate, aligned by item.
type Scores = (Vec<f64>, Vec<f64>);

/// Per-item 0/1 scores of both sides: `both` right on both, `baseline_only`,
/// `candidate_only`, then `neither`.
fn scores(both: usize, baseline_only: usize, candidate_only: usize, neither: usize) -> Scores {
    let mut baseline = vec![1.0; both + baseline_only];
    baseline.extend(vec![0.0; candidate_only + neither]);
    let mut candidate = vec![1.0; both];
    candidate.extend(vec![0.0; baseline_only]);
    candidate.extend(vec![1.0; candidate_only]);
    candidate.extend(vec![0.0; neither]);
    (baseline, candidate)
}

/// Two eval runs of model `m` on these tasks.
fn eval_runs(tasks: &[(&str, Scores)]) -> Sides {
    Sides::EvalRuns {
        names: ("run-1".to_string(), "run-2".to_string()),
        baseline: tasks
            .iter()
            .map(|(task, (baseline, _))| eval_unit("m", task, baseline))
            .collect(),
        candidate: tasks
            .iter()
            .map(|(task, (_, candidate))| eval_unit("m", task, candidate))
            .collect(),
    }
}

/// Two bench runs of model `m` at c=1#0 and c=4#0 with the same fingerprints.
fn bench_runs(candidate_ttft_ms: Option<Vec<f64>>) -> Sides {
    let points =
        || -> Vec<BenchUnit> { vec![bench_unit("m", "c=1#0", &[]), bench_unit("m", "c=4#0", &[])] };
    let mut baseline = points();
    let mut candidate = points();
    if let Some(samples) = candidate_ttft_ms {
        baseline[0].ttft_ms = (1..=50).map(f64::from).collect();
        candidate[0].ttft_ms = samples;
    }
    Sides::BenchRuns {
        names: ("bench-1".to_string(), "bench-2".to_string()),
        baseline,
        candidate,
    }
}

fn verdict<'a>(verdicts: &'a [MetricVerdict], name: &str) -> &'a MetricVerdict {
    verdicts
        .iter()
        .find(|verdict| verdict.name == name)
        .unwrap_or_else(|| panic!("no verdict for {name}"))
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

const BENCH_METRICS: [&str; 12] = [
    "ttft_ms.p50@c=1#0",
    "ttft_ms.p99@c=1#0",
    "tpot_ms.p50@c=1#0",
    "tpot_ms.p99@c=1#0",
    "e2e_ms.p50@c=1#0",
    "e2e_ms.p99@c=1#0",
    "ttft_ms.p50@c=4#0",
    "ttft_ms.p99@c=4#0",
    "tpot_ms.p50@c=4#0",
    "tpot_ms.p99@c=4#0",
    "e2e_ms.p50@c=4#0",
    "e2e_ms.p99@c=4#0",
];

#[test]
fn bench_runs_are_judged_on_p50_and_p99_of_each_latency_at_each_point() {
    let judged = judged_metrics(&bench_runs(None), ComparisonMode::Models);
    let names: Vec<&str> = judged
        .pairs
        .iter()
        .map(|metric| metric.name.as_str())
        .collect();
    assert_eq!(names, BENCH_METRICS);
    assert!(judged.pairs.iter().all(|metric| !metric.higher_is_better));
    assert!(judged.refused.is_empty());
    assert_eq!(
        judged.notes,
        [
            "c=1#0: throughput is one measurement per run (no interval); compare it with `yardstick compare`",
            "c=4#0: throughput is one measurement per run (no interval); compare it with `yardstick compare`",
        ]
    );
}

#[test]
fn eval_runs_are_judged_on_each_task_s_main_metric() {
    let judged = judged_metrics(
        &eval_runs(&[
            ("arc_easy", scores(2, 0, 0, 2)),
            ("piqa", scores(2, 0, 0, 2)),
        ]),
        ComparisonMode::Models,
    );
    let names: Vec<&str> = judged
        .pairs
        .iter()
        .map(|metric| metric.name.as_str())
        .collect();
    assert_eq!(names, ["arc_easy.acc", "piqa.acc"]);
    assert!(judged.pairs.iter().all(|metric| metric.higher_is_better));
}

#[test]
fn a_threshold_names_metrics_by_prefix_and_the_most_specific_one_wins() {
    let metrics = judged_metrics(&bench_runs(None), ComparisonMode::Models).pairs;
    // `ttft_ms.p99` covers the p99 at both points; the later `@c=4#0` replaces its share.
    let expanded = expand(
        &[
            threshold("ttft_ms.p99=10%"),
            threshold_on("ttft_ms.p99@c=4#0", 2.0),
        ],
        &metrics,
    )
    .expect("both thresholds name metrics");
    let pairs: Vec<(&str, f64)> = expanded
        .iter()
        .map(|threshold| (threshold.metric.as_str(), threshold.relative_percent))
        .collect();
    assert_eq!(
        pairs,
        [("ttft_ms.p99@c=1#0", 10.0), ("ttft_ms.p99@c=4#0", 2.0)]
    );
    // The most specific wins whatever the order: the prefix given after it does not override.
    let reversed = expand(
        &[
            threshold_on("ttft_ms.p99@c=4#0", 2.0),
            threshold("ttft_ms.p99=10%"),
        ],
        &metrics,
    )
    .expect("both thresholds name metrics");
    assert_eq!(reversed, expanded);
    // Between equal names, the later one.
    let twice = expand(
        &[threshold("ttft_ms.p99=10%"), threshold("ttft_ms.p99=7%")],
        &metrics,
    )
    .expect("a prefix");
    assert!(twice
        .iter()
        .all(|threshold| threshold.relative_percent == 7.0));
    // A prefix ends at `.` or `@`: `ttft_ms` covers p50 and p99 at both points.
    let expanded = expand(&[threshold("ttft_ms=20%")], &metrics).expect("a prefix");
    let names: Vec<&str> = expanded.iter().map(|t| t.metric.as_str()).collect();
    assert_eq!(
        names,
        [
            "ttft_ms.p50@c=1#0",
            "ttft_ms.p99@c=1#0",
            "ttft_ms.p50@c=4#0",
            "ttft_ms.p99@c=4#0"
        ]
    );

    // Through `regress`: each metric carries the threshold it was judged with.
    let output = regress(
        &bench_runs(None),
        &[
            threshold("ttft_ms.p99=10%"),
            threshold_on("ttft_ms.p99@c=4#0", 2.0),
        ],
        ComparisonMode::Models,
        &settings(),
    )
    .expect("regression check");
    let thresholds: Vec<(&str, f64)> = output
        .report
        .metrics
        .iter()
        .map(|metric| (metric.name.as_str(), metric.threshold_percent))
        .collect();
    assert_eq!(thresholds[1], ("ttft_ms.p99@c=1#0", 10.0));
    assert_eq!(thresholds[7], ("ttft_ms.p99@c=4#0", 2.0));
    // Every other metric gets the default 5%.
    assert_eq!(thresholds[0], ("ttft_ms.p50@c=1#0", 5.0));
    assert_eq!(
        thresholds
            .iter()
            .filter(|(_, percent)| *percent == 5.0)
            .count(),
        10
    );
}

#[test]
fn a_threshold_naming_no_metric_is_refused_with_the_valid_names() {
    let metrics = judged_metrics(&bench_runs(None), ComparisonMode::Models).pairs;
    // `ttft_ms.p9` is not a prefix up to `.` or `@` of `ttft_ms.p99@…`.
    let error = expand(&[threshold("ttft_ms.p9=1%")], &metrics).expect_err("no such metric");
    assert_eq!(
        error.to_string(),
        format!(
            "--threshold ttft_ms.p9=1%: no metric named ttft_ms.p9; the metrics are {}",
            BENCH_METRICS.join(", ")
        )
    );
    let error = regress(
        &eval_runs(&[("arc_easy", scores(2, 0, 0, 2))]),
        &[threshold("arc=2.5%")],
        ComparisonMode::Models,
        &settings(),
    )
    .expect_err("`arc` is not a prefix of `arc_easy.acc`");
    assert_eq!(
        error.to_string(),
        "--threshold arc=2.5%: no metric named arc; the metrics are arc_easy.acc"
    );
}

#[test]
fn a_supported_drop_is_a_regression_and_an_unsupported_one_inconclusive() {
    let sides = eval_runs(&[
        // 20 right, then 10 of them lost: 1 → 0.5, −50%; the interval of the mean of 10
        // zeros and 10 −1s stays below 0.
        ("arc_easy", scores(10, 10, 0, 0)),
        // 4 right, then 1 lost: 1 → 0.75, −25%; a resample without the lost item has
        // probability (3/4)⁴ ≈ 0.32, so the interval reaches 0.
        ("piqa", scores(3, 1, 0, 0)),
        // 5 of 20 → 15 of 20: +200%, 10 gained and none lost.
        ("winogrande", scores(5, 0, 10, 5)),
        // The same two right and two wrong: no change.
        ("hellaswag", scores(2, 0, 0, 2)),
    ]);
    let output =
        regress(&sides, &[], ComparisonMode::Models, &settings()).expect("regression check");
    assert_eq!(
        (output.baseline.as_str(), output.candidate.as_str()),
        ("run-1", "run-2")
    );
    assert_eq!(output.mode, "models");
    let metrics = &output.report.metrics;

    let arc = verdict(metrics, "arc_easy.acc");
    assert!(close(arc.baseline, 1.0) && close(arc.candidate, 0.5) && close(arc.change, -0.5));
    assert!(close(
        arc.relative_change_percent.expect("baseline ≠ 0"),
        -50.0
    ));
    assert!(arc.interval.high < 0.0, "{:?}", arc.interval);
    assert_eq!(
        (arc.threshold_percent, arc.status),
        (5.0, Status::Regressed)
    );

    let piqa = verdict(metrics, "piqa.acc");
    assert!(close(
        piqa.relative_change_percent.expect("baseline ≠ 0"),
        -25.0
    ));
    assert_eq!(piqa.interval.high, 0.0);
    assert_eq!(piqa.status, Status::Inconclusive);

    let winogrande = verdict(metrics, "winogrande.acc");
    // 0.25 → 0.75: (0.75 − 0.25) / 0.25 = +200%.
    assert!(close(
        winogrande.relative_change_percent.expect("baseline ≠ 0"),
        200.0
    ));
    assert!(winogrande.interval.low > 0.0);
    assert_eq!(winogrande.status, Status::Improved);

    assert_eq!(verdict(metrics, "hellaswag.acc").status, Status::Unchanged);

    assert_eq!(output.verdict, "regression");
    assert!(output.report.is_regression());
}

#[test]
fn a_slower_first_token_at_one_point_is_a_latency_regression() {
    // Baseline TTFT 1…50 ms, candidate 101…150 ms at c=1#0. p50 at rank 24.5: 25.5 vs 125.5;
    // p99 at rank 48.51: 49.51 vs 149.51. Every resampled candidate percentile is ≥ 101 and
    // every baseline one ≤ 50, so the whole interval lies above 51 ms.
    let sides = bench_runs(Some((101..=150).map(f64::from).collect()));
    let output =
        regress(&sides, &[], ComparisonMode::Models, &settings()).expect("regression check");
    let metrics = &output.report.metrics;
    let p50 = verdict(metrics, "ttft_ms.p50@c=1#0");
    assert!(close(p50.baseline, 25.5) && close(p50.candidate, 125.5) && close(p50.change, 100.0));
    // 100 / 25.5 = +392.16%, worse than 5% for a latency.
    assert!(close(
        p50.relative_change_percent.expect("baseline ≠ 0"),
        100.0 / 25.5 * 100.0
    ));
    assert!(p50.interval.low >= 51.0, "{:?}", p50.interval);
    assert_eq!(p50.status, Status::Regressed);
    let p99 = verdict(metrics, "ttft_ms.p99@c=1#0");
    assert!(close(p99.baseline, 49.51) && close(p99.candidate, 149.51));
    assert_eq!(p99.status, Status::Regressed);
    // The other latencies have the same samples on both sides.
    let unchanged = metrics
        .iter()
        .filter(|metric| metric.status == Status::Unchanged)
        .count();
    assert_eq!(unchanged, 10);
    assert_eq!(output.verdict, "regression");
}

#[test]
fn nothing_comparable_is_an_error_naming_every_refusal() {
    let baseline = vec![
        eval_unit("m", "boolq", &[1.0, 0.0]),
        eval_unit("m", "piqa", &[1.0, 0.0]),
    ];
    let mut candidate = vec![
        eval_unit_from(
            fingerprint("m", "boolq").prompt_hash("other").build(),
            &[1.0, 1.0],
        ),
        eval_unit("m", "piqa", &[1.0, 0.0]),
    ];
    // One item in common: too few to pair.
    candidate[1].items.remove(&0);
    let sides = Sides::EvalRuns {
        names: ("run-1".to_string(), "run-2".to_string()),
        baseline,
        candidate,
    };
    let error = regress(&sides, &[], ComparisonMode::Models, &settings()).expect_err("nothing");
    assert_eq!(
        error.to_string(),
        "nothing comparable between run-1 and run-2: boolq (rendered prompts (sha256): p vs other), \
         piqa (1 items scored on both sides (per-item scores are needed))"
    );

    let models = Sides::Models {
        names: ("a".to_string(), "b".to_string()),
        evals: None,
        benches: None,
    };
    let error = regress(&models, &[], ComparisonMode::Models, &settings()).expect_err("models");
    assert_eq!(
        error.to_string(),
        "nothing comparable between a and b: a vs b (a regression check judges two runs)"
    );
}

#[test]
fn a_threshold_on_one_load_point_parses() {
    let parsed: Threshold = "ttft_ms.p99@c=4#0=2%"
        .parse()
        .expect("the metric names of bench regressions contain `=`");
    assert_eq!(parsed, threshold_on("ttft_ms.p99@c=4#0", 2.0));
}
