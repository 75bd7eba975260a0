//! Unit tests of the parent module, with hand-computed values.
use super::*;

fn candidate(
    name: &str,
    class: &str,
    values: [(f64, f64); 5],
    metrics: &[(&str, f64)],
) -> Candidate {
    Candidate {
        name: name.to_string(),
        deployment: None,
        hardware: format!("{class}-box"),
        hardware_class: class.to_string(),
        objectives: DEFAULT_OBJECTIVES
            .iter()
            .zip(values)
            .map(|((objective, _, _), (value, stderr))| {
                (
                    objective.to_string(),
                    Measure {
                        value,
                        stderr: (stderr > 0.0).then_some(stderr),
                    },
                )
            })
            .collect(),
        metrics: metrics
            .iter()
            .map(|(name, value)| (name.to_string(), *value))
            .collect(),
    }
}

fn request(constraints: Vec<Constraint>) -> Request {
    Request {
        objectives: default_objectives(),
        constraints,
        hardware: Vec::new(),
        resamples: 2000,
        seed: 7,
    }
}

/// accuracy, latency ms, throughput tok/s, cost $/1M, memory GB (value, stderr).
fn three() -> Vec<Candidate> {
    vec![
        candidate(
            "big-gpu",
            "h100-sxm",
            [
                (0.80, 0.01),
                (200.0, 5.0),
                (900.0, 10.0),
                (2.0, 0.0),
                (40.0, 0.0),
            ],
            &[("p99_ttft_ms", 400.0), ("memory_gb", 40.0)],
        ),
        candidate(
            "small-gpu",
            "l4",
            [
                (0.60, 0.01),
                (150.0, 5.0),
                (700.0, 10.0),
                (0.8, 0.0),
                (6.0, 0.0),
            ],
            &[("p99_ttft_ms", 300.0), ("memory_gb", 6.0)],
        ),
        candidate(
            "tiny-cpu",
            "cpu",
            [
                (0.30, 0.01),
                (900.0, 20.0),
                (40.0, 1.0),
                (3.0, 0.0),
                (1.0, 0.0),
            ],
            &[("p99_ttft_ms", 2500.0), ("memory_gb", 1.0)],
        ),
    ]
}

#[test]
fn clear_winner_is_strong_and_explained() {
    let result = recommend(&three(), &request(Vec::new())).expect("ranks");
    assert_eq!(result.recommended.as_deref(), Some("small-gpu"));
    assert_eq!(result.runner_up.as_deref(), Some("big-gpu"));
    assert!(!result.weak, "{result:?}");
    assert!(result.ranking[0].first_rate > 0.95);
    assert_eq!(result.ranking[0].rank_interval, (1, 1));
    assert!(result
        .ranking
        .iter()
        .all(|ranked| ranked.on_front || ranked.rank > 1));
    let accuracy = &result.trade_offs[0];
    assert_eq!(accuracy.objective, "accuracy");
    assert_eq!(accuracy.verdict, "gives up");
    let cost = result
        .trade_offs
        .iter()
        .find(|trade| trade.objective == "cost")
        .expect("cost compared");
    assert_eq!(cost.verdict, "gains");
}

#[test]
fn constraints_exclude_and_bind() {
    let constraints = vec![
        Constraint::at_most("memory_gb", 4.0),
        Constraint::at_most("p99_ttft_ms", 5000.0),
    ];
    let result = recommend(&three(), &request(constraints)).expect("ranks");
    assert_eq!(result.recommended.as_deref(), Some("tiny-cpu"));
    assert_eq!(result.excluded.len(), 2);
    assert!(result.excluded[0].reasons[0].contains("memory_gb = 40"));
    // The memory bound decides the answer; the loose latency bound does not.
    assert_eq!(result.binding.len(), 1);
    assert_eq!(result.binding[0].constraint, "memory_gb ≤ 4");
    assert_eq!(result.binding[0].removed, 2);
    assert_eq!(result.binding[0].would_recommend, "small-gpu");
    // One candidate left: nothing to separate from, no trade-offs.
    assert!(result.runner_up.is_none() && result.trade_offs.is_empty());
}

#[test]
fn unmeasured_metric_fails_a_constraint_and_nothing_left_is_reported() {
    let constraints = vec![Constraint::at_least("score:mmlu", 0.5)];
    let result = recommend(&three(), &request(constraints)).expect("answers");
    assert!(result.recommended.is_none());
    assert_eq!(result.excluded.len(), 3);
    assert!(result.excluded[0].reasons[0].contains("not measured"));
}

#[test]
fn inseparable_candidates_make_a_weak_recommendation() {
    let twins = vec![
        candidate(
            "a",
            "cpu",
            [
                (0.50, 0.05),
                (100.0, 20.0),
                (50.0, 10.0),
                (1.0, 0.0),
                (2.0, 0.0),
            ],
            &[],
        ),
        candidate(
            "b",
            "cpu",
            [
                (0.51, 0.05),
                (101.0, 20.0),
                (50.0, 10.0),
                (1.0, 0.0),
                (2.0, 0.0),
            ],
            &[],
        ),
    ];
    let result = recommend(&twins, &request(Vec::new())).expect("ranks");
    assert!(result.weak, "{result:?}");
    let separation = result.separation.expect("two candidates");
    assert!(separation > 0.05 && separation < 0.95, "{separation}");
    let rates: f64 = result.ranking.iter().map(|ranked| ranked.first_rate).sum();
    assert!((rates - 1.0).abs() < 1e-12);
    assert_eq!(result.ranking[0].rank_interval, (1, 2));
}

#[test]
fn hardware_allow_list_and_missing_objectives() {
    let mut candidates = three();
    candidates[1].objectives.remove("cost");
    let mut req = request(Vec::new());
    req.hardware = vec!["cpu".to_string(), "l4".to_string()];
    let result = recommend(&candidates, &req).expect("ranks");
    assert_eq!(result.recommended.as_deref(), Some("tiny-cpu"));
    let reasons: Vec<&str> = result
        .excluded
        .iter()
        .flat_map(|exclusion| exclusion.reasons.iter().map(String::as_str))
        .collect();
    assert!(
        reasons.iter().any(|reason| reason.contains("allow-list")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("no cost measured")),
        "{reasons:?}"
    );
    // No one has energy: weighting it drops the objective by name.
    req.objectives.push(Objective {
        name: "energy".to_string(),
        direction: Direction::Minimize,
        weight: 0.5,
    });
    let result = recommend(&candidates, &req).expect("ranks");
    assert_eq!(result.dropped_objectives, vec!["energy".to_string()]);
}

#[test]
fn presets_load_and_unknown_names_are_listed() {
    let all = presets().expect("built-in presets parse");
    for name in ["real-time-chat", "batch", "edge-cpu", "code-assistant"] {
        assert!(all.contains_key(name), "{name}");
    }
    assert_eq!(
        preset("edge-cpu").expect("exists").hardware,
        vec!["cpu".to_string()]
    );
    let error = preset("fast").expect_err("unknown").to_string();
    assert!(error.contains("real-time-chat"), "{error}");
}

#[test]
fn same_seed_same_answer() {
    let one = recommend(&three(), &request(Vec::new())).expect("ranks");
    let two = recommend(&three(), &request(Vec::new())).expect("ranks");
    assert_eq!(one, two);
}
