//! `candidates::request`, `candidates::candidates` and `candidates::recommend_from` on
//! in-memory evidence: the request from a preset and flags, and each configuration's
//! objectives computed by hand (docs/decisions.md, "TOPSIS").

use std::collections::BTreeMap;

use yardstick_core::{MetricRecord, Unit};
use yardstick_decide::bootstrap::percentile_stderr;
use yardstick_decide::candidates::{
    candidates, recommend_from, request, RecommendEvidence, RecommendRequest,
};
use yardstick_decide::categories::Categories;
use yardstick_decide::recommend::{Candidate, Constraint, Measure};
use yardstick_evidence::gather::BenchRun;
use yardstick_test_support::evidence::bench_unit;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9 * expected.abs().max(1.0)
}

fn score(value: f64, stderr: f64) -> MetricRecord {
    MetricRecord::new("acc", value, Unit::Ratio).with_stderr(stderr)
}

/// Model `a` at c=1#0: 2 req/s (the builder's default) of 50 output tokens, p99 TTFT 100 ms,
/// 1024 MiB of GPU memory; model `b` at c=1#0: 1 req/s, p99 TTFT 200 ms, 2048 MiB resident,
/// no GPU. `a` has three task scores, `b` two, `c` (never benchmarked) none.
fn evidence() -> RecommendEvidence {
    let a = bench_unit(
        "a",
        "c=1#0",
        &[
            ("ttft_ms.p99", 100.0),
            ("tpot_ms.p99", 20.0),
            ("gpu_memory_mib.max", 1024.0),
            ("gpu_util_percent.mean", 50.0),
        ],
    );
    let b = bench_unit(
        "b",
        "c=1#0",
        &[
            ("requests_per_second", 1.0),
            ("ttft_ms.p99", 200.0),
            ("rss_mib.max", 2048.0),
        ],
    );
    let configurations: Vec<BenchRun> = vec![
        ("bench-a".to_string(), vec![a]),
        ("bench-b".to_string(), vec![b]),
    ];
    let scores = BTreeMap::from([
        (
            "a".to_string(),
            BTreeMap::from([
                ("arc_easy".to_string(), score(0.6, 0.03)),
                ("hellaswag".to_string(), score(0.4, 0.04)),
                ("piqa".to_string(), score(0.7, 0.01)),
            ]),
        ),
        (
            "b".to_string(),
            BTreeMap::from([
                ("arc_easy".to_string(), score(0.5, 0.03)),
                ("hellaswag".to_string(), score(0.5, 0.04)),
            ]),
        ),
        ("c".to_string(), BTreeMap::new()),
    ]);
    RecommendEvidence {
        configurations,
        scores,
        ..RecommendEvidence::default()
    }
}

fn flags() -> RecommendRequest {
    RecommendRequest {
        hours_per_day: 24.0,
        resamples: 200,
        seed: 5,
        ..RecommendRequest::default()
    }
}

fn built(asked: &RecommendRequest) -> (Vec<Candidate>, Vec<String>) {
    let request = request(asked).expect("a valid request");
    candidates(&evidence(), &request, asked).expect("candidates")
}

fn objective(candidate: &Candidate, name: &str) -> Measure {
    *candidate
        .objectives
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}", candidate.name))
}

#[test]
fn a_preset_then_the_weights_and_bounds_given_make_the_request() {
    let asked = RecommendRequest {
        preset: Some("real-time-chat".to_string()),
        weights: vec![("cost".to_string(), 0.5)],
        max_p99_ttft_ms: Some(500.0),
        max_memory_gb: Some(8.0),
        min_scores: vec![("arc_easy".to_string(), 0.55)],
        ..flags()
    };
    let chat = request(&asked).expect("a valid request");
    // real-time-chat: accuracy 0.25, latency 0.40, throughput 0.10, cost 0.15 (replaced by
    // 0.5), memory 0.10.
    let weights: Vec<(&str, f64)> = chat
        .objectives
        .iter()
        .map(|objective| (objective.name.as_str(), objective.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("accuracy", 0.25),
            ("latency", 0.40),
            ("throughput", 0.10),
            ("cost", 0.5),
            ("memory", 0.10)
        ]
    );
    // The preset's p99 TTFT ≤ 1000 is replaced by the flag's 500 (moved to the end).
    assert_eq!(
        chat.constraints,
        [
            Constraint::at_most("p99_tpot_ms", 100.0),
            Constraint::at_most("p99_ttft_ms", 500.0),
            Constraint::at_most("memory_gb", 8.0),
            Constraint::at_least("score:arc_easy", 0.55),
        ]
    );
    assert!(chat.hardware.is_empty());
    assert_eq!((chat.resamples, chat.seed), (200, 5));
    // A preset's hardware list, unless the flags give one.
    let edge = request(&RecommendRequest {
        preset: Some("edge-cpu".to_string()),
        ..flags()
    })
    .expect("a valid request");
    assert_eq!(edge.hardware, ["cpu"]);
    let overridden = request(&RecommendRequest {
        preset: Some("edge-cpu".to_string()),
        hardware: vec!["l4".to_string()],
        ..flags()
    })
    .expect("a valid request");
    assert_eq!(overridden.hardware, ["l4"]);
}

#[test]
fn an_unknown_weight_preset_or_a_budget_without_traffic_is_refused() {
    let error = request(&RecommendRequest {
        weights: vec![("speed".to_string(), 1.0)],
        ..flags()
    })
    .expect_err("no such objective");
    assert_eq!(
        error.to_string(),
        "--weight speed=1: no objective speed; the objectives are accuracy, latency, throughput, cost, memory"
    );
    let error = request(&RecommendRequest {
        preset: Some("chat".to_string()),
        ..flags()
    })
    .expect_err("no such preset");
    assert_eq!(
        error.to_string(),
        "unknown preset `chat`; valid: batch, code-assistant, edge-cpu, real-time-chat"
    );
    let error = request(&RecommendRequest {
        budget_usd_month: Some(1000.0),
        ..flags()
    })
    .expect_err("needs traffic");
    assert_eq!(
        error.to_string(),
        "--budget-usd-month 1000: a monthly cost needs the traffic (--traffic-rps)"
    );
    let with_traffic = request(&RecommendRequest {
        budget_usd_month: Some(1000.0),
        traffic_rps: Some(5.0),
        ..flags()
    })
    .expect("a budget with traffic");
    assert_eq!(
        with_traffic.constraints,
        [Constraint::at_most("usd_per_month", 1000.0)]
    );
}

#[test]
fn accuracy_is_the_mean_over_the_common_tasks_with_its_stderr() {
    let (candidates, notes) = built(&flags());
    let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["a @ c=1#0 (run bench-a)", "b @ c=1#0 (run bench-b)"]
    );
    // The tasks both evaluated models have (c has none and does not count): arc_easy and
    // hellaswag. a: (0.6 + 0.4) / 2 = 0.5, b: (0.5 + 0.5) / 2 = 0.5; both with s.e.
    // √(0.03² + 0.04²) / 2 = 0.05 / 2 = 0.025.
    let a = objective(&candidates[0], "accuracy");
    assert!(close(a.value, 0.5));
    assert!(close(a.stderr.expect("stderr"), 0.025));
    let b = objective(&candidates[1], "accuracy");
    assert!(close(b.value, 0.5));
    assert!(close(b.stderr.expect("stderr"), 0.025));
    assert_eq!(
        notes[0],
        "accuracy: mean main metric over arc_easy, hellaswag"
    );
    // Every score is a constraint metric, piqa included.
    assert_eq!(candidates[0].metrics.get("score:piqa"), Some(&0.7));

    // Tasks asked for: b lacks piqa and gets no accuracy.
    let asked_piqa = RecommendRequest {
        tasks: vec!["arc_easy".to_string(), "piqa".to_string()],
        ..flags()
    };
    let (candidates, notes) = built(&asked_piqa);
    // a: (0.6 + 0.7) / 2 = 0.65, s.e. √(0.03² + 0.01²) / 2 = √0.001 / 2.
    let a = objective(&candidates[0], "accuracy");
    assert!(close(a.value, 0.65));
    assert!(close(a.stderr.expect("stderr"), 0.001f64.sqrt() / 2.0));
    assert!(!candidates[1].objectives.contains_key("accuracy"));
    assert_eq!(notes[0], "accuracy: mean main metric over arc_easy, piqa");
}

#[test]
fn latency_throughput_and_memory_come_from_the_operating_point() {
    let asked = flags();
    let (candidates, _) = built(&asked);
    let (a, b) = (&candidates[0], &candidates[1]);
    // The p99 TTFT with a bootstrap stderr over the point's requests (10, 20, 30 ms), drawn
    // from the request's seed plus the configuration's index.
    let latency = objective(a, "latency");
    assert_eq!(latency.value, 100.0);
    let stderr = latency.stderr.expect("three samples have a stderr");
    assert!(stderr > 0.0);
    assert_eq!(
        Some(stderr),
        percentile_stderr(&[10.0, 20.0, 30.0], 99.0, 500, asked.seed)
    );
    assert_eq!(
        objective(b, "latency").stderr,
        percentile_stderr(&[10.0, 20.0, 30.0], 99.0, 500, asked.seed + 1)
    );
    // Output tokens per second: 2 req/s × 500 / 10 tokens = 100; b 1 × 50 = 50; exact.
    assert_eq!(objective(a, "throughput"), Measure::exact(100.0));
    assert_eq!(objective(b, "throughput"), Measure::exact(50.0));
    // GPU memory 1024 MiB = 1024 × 2²⁰ / 10⁹ GB; b's resident set 2048 MiB.
    assert!(close(objective(a, "memory").value, 1.073_741_824));
    assert!(close(objective(b, "memory").value, 2.147_483_648));
    assert_eq!(
        (a.hardware_class.as_str(), b.hardware_class.as_str()),
        ("gpu", "cpu")
    );
    assert_eq!(a.hardware, "this machine");
    assert_eq!(a.metrics.get("p99_ttft_ms"), Some(&100.0));
    assert_eq!(a.metrics.get("p99_tpot_ms"), Some(&20.0));
    assert_eq!(b.metrics.get("p99_tpot_ms"), None);
}

#[test]
fn cost_is_dollars_per_million_tokens_at_the_price_given() {
    let (candidates, notes) = built(&flags());
    assert!(!candidates[0].objectives.contains_key("cost"));
    assert_eq!(
        notes.last().map(String::as_str),
        Some("no --usd-per-hour: cost is not ranked and cost constraints cannot be met")
    );
    let priced = RecommendRequest {
        usd_per_hour: Some(3.6),
        traffic_rps: Some(5.0),
        ..flags()
    };
    let (candidates, notes) = built(&priced);
    // a: 3.6 / (3600 × 2 × (100 + 50)) × 10⁶ = 3.3333; b at 1 req/s: 6.6667.
    assert_eq!(
        objective(&candidates[0], "cost"),
        Measure::exact(3.6e6 / 1.08e6)
    );
    assert!(close(
        objective(&candidates[1], "cost").value,
        3.6e6 / 0.54e6
    ));
    assert_eq!(
        candidates[0].metrics.get("cost_per_million_tokens"),
        Some(&(3.6e6 / 1.08e6))
    );
    // 5 req/s: a needs ⌈5/2⌉ = 3 replicas, 3 × 3.6 × 24 × 30.4375 = 7889.4 $ a month;
    // b ⌈5/1⌉ = 5, 13149 $.
    let monthly = |candidate: &Candidate| candidate.metrics["usd_per_month"];
    assert!(close(monthly(&candidates[0]), 7889.4));
    assert!(close(monthly(&candidates[1]), 13_149.0));
    assert!(!notes
        .iter()
        .any(|note| note.starts_with("no --usd-per-hour")));
}

#[test]
fn the_latency_bounds_choose_each_configuration_s_point() {
    let mut evidence = evidence();
    evidence.configurations[0].1.push(bench_unit(
        "a",
        "c=4#0",
        &[("requests_per_second", 4.0), ("ttft_ms.p99", 400.0)],
    ));
    let unbounded = flags();
    let request_unbounded = request(&unbounded).expect("a valid request");
    let (found, _) = candidates(&evidence, &request_unbounded, &unbounded).expect("candidates");
    assert_eq!(found[0].name, "a @ c=4#0 (run bench-a)");
    let bounded = RecommendRequest {
        max_p99_ttft_ms: Some(150.0),
        ..flags()
    };
    let request_bounded = request(&bounded).expect("a valid request");
    let (found, _) = candidates(&evidence, &request_bounded, &bounded).expect("candidates");
    assert_eq!(found[0].name, "a @ c=1#0 (run bench-a)");
}

#[test]
fn a_dominating_configuration_is_recommended_and_a_budget_excludes_the_other() {
    let asked = RecommendRequest {
        usd_per_hour: Some(3.6),
        traffic_rps: Some(5.0),
        budget_usd_month: Some(10_000.0),
        ..flags()
    };
    let mut evidence = evidence();
    // Give b a lower accuracy so that a is better on every objective.
    if let Some(scores) = evidence.scores.get_mut("b") {
        scores.insert("arc_easy".to_string(), score(0.3, 0.03));
    }
    let output = recommend_from(&evidence, &asked).expect("a recommendation");
    assert_eq!(output.candidates.len(), 2);
    let recommendation = &output.recommendation;
    assert_eq!(
        recommendation.recommended.as_deref(),
        Some("a @ c=1#0 (run bench-a)")
    );
    // b's 13149 $ a month is over the budget.
    assert_eq!(recommendation.excluded.len(), 1);
    assert_eq!(
        recommendation.excluded[0].reasons,
        ["usd_per_month = 13149.0000 > 10000"]
    );
    // Without the budget, a (better on every objective) is the ideal point and b the
    // anti-ideal: closeness 1 and 0; the budget does not change the first choice.
    assert!(recommendation.binding.is_empty());
    let unbudgeted = RecommendRequest {
        budget_usd_month: None,
        ..asked
    };
    let output = recommend_from(&evidence, &unbudgeted).expect("a recommendation");
    let closeness: Vec<(&str, f64)> = output
        .recommendation
        .ranking
        .iter()
        .map(|ranked| (ranked.candidate.as_str(), ranked.closeness))
        .collect();
    assert_eq!(closeness.len(), 2);
    assert_eq!(closeness[0].0, "a @ c=1#0 (run bench-a)");
    assert!(
        close(closeness[0].1, 1.0) && close(closeness[1].1, 0.0),
        "{closeness:?}"
    );
    assert!(output.recommendation.ranking[0].on_front);
    assert!(!output.recommendation.ranking[1].on_front);
}

#[test]
fn no_configuration_is_an_error() {
    let asked = flags();
    let request = request(&asked).expect("a valid request");
    let error = candidates(&RecommendEvidence::default(), &request, &asked)
        .expect_err("nothing to recommend");
    assert_eq!(
        error.to_string(),
        "no bench results to recommend from: run `yardstick bench` on the candidate models first"
    );
    let error =
        recommend_from(&RecommendEvidence::default(), &asked).expect_err("nothing to recommend");
    assert!(error.to_string().starts_with("no bench results"), "{error}");
}

#[test]
fn a_min_score_may_name_a_category_and_an_unknown_name_is_refused() {
    let categories = Categories::from_yaml(
        "reasoning:\n  - { task: arc_easy, weight: 1 }\n  - { task: hellaswag, weight: 3 }\n",
        "test",
    )
    .expect("categories");
    let asked = RecommendRequest {
        min_scores: vec![("reasoning".to_string(), 0.46)],
        categories,
        ..flags()
    };
    let output = recommend_from(&evidence(), &asked).expect("a recommendation");
    // a: (0.6 + 3·0.4) / 4 = 0.45 < 0.46 is excluded; b: (0.5 + 3·0.5) / 4 = 0.5 passes.
    let a = &output.candidates[0];
    let b = &output.candidates[1];
    assert!(close(a.metrics["score:reasoning"], 0.45));
    assert!(close(b.metrics["score:reasoning"], 0.5));
    assert_eq!(output.recommendation.recommended.as_ref(), Some(&b.name));

    let error = recommend_from(
        &evidence(),
        &RecommendRequest {
            min_scores: vec![("codng".to_string(), 0.2)],
            ..asked.clone()
        },
    )
    .expect_err("no such task or category");
    assert_eq!(
        error.to_string(),
        "--min-score codng=0.2: no evaluated task or category `codng`; the categories are reasoning; the evaluated tasks are arc_easy, hellaswag, piqa"
    );
}
