//! Unit tests of the parent module, with hand-computed values.
use super::*;
use crate::cost::Basis;

/// A configuration serving `rps` requests/s of 100 input and 50 output tokens, prefill a
/// fifth of each request.
fn configuration(model: &str, point: &str, rps: f64, p99: f64, score: f64) -> Configuration {
    Configuration {
        run_id: format!("run-{model}"),
        model: format!("/models/{model}.gguf"),
        point: point.to_string(),
        throughput: Throughput {
            requests_per_second: rps,
            input_tokens_per_request: 100.0,
            output_tokens_per_request: 50.0,
            prefill_share: 0.2,
            basis: Basis::Measured,
            origin: "test".to_string(),
        },
        p99_ttft_ms: Some(p99),
        p99_tpot_ms: None,
        score: Some(score),
        joules_per_output_token: None,
        ttft_ms: vec![p99 / 2.0, p99],
        e2e_ms: vec![p99 * 3.0],
    }
}

fn three() -> Vec<Configuration> {
    vec![
        // Best score, slowest and dearest: on both fronts.
        configuration("big", "c=1#0", 1.0, 400.0, 0.60),
        // Fast and cheap, lower score: on both fronts.
        configuration("small", "c=4#0", 4.0, 100.0, 0.50),
        // Dominated by small on every axis.
        configuration("small", "c=8#0", 2.0, 300.0, 0.50),
    ]
}

fn table(section: &Section) -> String {
    section
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Table(table) => Some(table),
            _ => None,
        })
        .map(|table| {
            let mut text = format!("{}\n{}\n", table.caption, table.columns.join(" | "));
            for row in &table.rows {
                text.push_str(&row.cells.join(" | "));
                text.push_str(if row.highlight { "  *\n" } else { "\n" });
            }
            text
        })
        .collect()
}

fn plot_names(section: &Section) -> Vec<&str> {
    section
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Plot(plot) => Some(plot.name.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn tradeoffs_mark_the_front_on_both_axes() {
    let pricing = Pricing {
        usd_per_hour: Some(1.0),
        power_watts: None,
        carbon: None,
    };
    let section = tradeoffs(&three(), &["arc_easy".to_string()], &pricing)
        .expect("builds")
        .expect("a section");
    // $/1M tokens = 1 $/h ÷ (3600 × rps × 150 tokens) × 10⁶:
    // 1 req/s → 1.8519, 4 req/s → 0.4630, 2 req/s → 0.9259.
    insta::assert_snapshot!(table(&section), @r"
    configurations (front members highlighted)
    configuration | run | score | p99 TTFT ms | output tok/s | $ / 1M tokens | front: score vs latency | front: score vs cost
    big c=1#0 | run-big | 0.6000 | 400.0 | 50.0 | 1.8519 | yes | yes  *
    small c=4#0 | run-small | 0.5000 | 100.0 | 200.0 | 0.4630 | yes | yes  *
    small c=8#0 | run-small | 0.5000 | 300.0 | 100.0 | 0.9259 | no | no
    ");
    assert_eq!(
        plot_names(&section),
        ["pareto-score-vs-latency", "pareto-score-vs-cost"]
    );
    let Some(Block::Plot(plot)) = section.blocks.get(2) else {
        panic!("the latency plot");
    };
    assert_eq!(plot.chart.series[0].label, "Pareto front");
    assert_eq!(plot.chart.series[0].points, [(100.0, 0.5), (400.0, 0.6)]);
    assert_eq!(plot.chart.series[1].points, [(300.0, 0.5)]);
    assert!(plot.svg.contains("small c=8#0"));

    let unpriced = Pricing {
        usd_per_hour: None,
        ..pricing
    };
    let section = tradeoffs(&three(), &["arc_easy".to_string()], &unpriced)
        .expect("builds")
        .expect("a section");
    assert_eq!(plot_names(&section), ["pareto-score-vs-latency"]);
    assert!(section
        .blocks
        .iter()
        .any(|block| matches!(block, Block::Notice { text } if text.contains("--usd-per-hour"))));
    let unscored: Vec<Configuration> = three()
        .into_iter()
        .map(|configuration| Configuration {
            score: None,
            ..configuration
        })
        .collect();
    assert!(tradeoffs(&unscored, &[], &unpriced)
        .expect("builds")
        .is_none());
}

#[test]
fn cost_table_labels_measured_and_estimated_figures() {
    let mut configurations = three();
    configurations[0].joules_per_output_token = Some(3.6);
    let pricing = Pricing {
        usd_per_hour: Some(1.0),
        power_watts: Some(100.0),
        carbon: Some(("world".to_string(), 480.0)),
    };
    let section = costs(&configurations, &pricing)
        .expect("builds")
        .expect("a section");
    // Input: 0.2 × 1 $/h ÷ (3600 × rps × 100 tokens) × 10⁶ → 0.5556 at 1 req/s.
    // Energy: 3.6 J/token measured → 1 kWh per 1M tokens, 480 g; else 100 W ÷ tok/s:
    // 200 tok/s → 0.5 J → 0.1389 kWh → 66.7 g; 100 tok/s → 0.2778 kWh → 133.3 g.
    insta::assert_snapshot!(table(&section), @r"
    cost and energy per configuration
    configuration | run | req/s | output tok/s | $ / 1M tokens | $ / 1M input tokens | $ / 1M output tokens | kWh / 1M output tokens | gCO2e / 1M output tokens
    big c=1#0 | run-big | 1.000 | 50.0 | 1.8519 (measured) | 0.5556 (measured) | 4.4444 (measured) | 1.0000 (measured) | 480.0 (measured)
    small c=4#0 | run-small | 4.000 | 200.0 | 0.4630 (measured) | 0.1389 (measured) | 1.1111 (measured) | 0.1389 (estimated) | 66.7 (estimated)
    small c=8#0 | run-small | 2.000 | 100.0 | 0.9259 (measured) | 0.2778 (measured) | 2.2222 (measured) | 0.2778 (estimated) | 133.3 (estimated)
    ");
}

#[test]
fn cdfs_have_one_curve_per_configuration_with_samples() {
    let mut configurations = three();
    configurations[2].ttft_ms.clear();
    configurations[2].e2e_ms.clear();
    let section = latency_cdfs(&configurations)
        .expect("builds")
        .expect("a section");
    assert_eq!(plot_names(&section), ["ttft-cdf", "e2e-cdf"]);
    let Some(Block::Plot(plot)) = section.blocks.first() else {
        panic!("the TTFT CDF");
    };
    let labels: Vec<&str> = plot
        .chart
        .series
        .iter()
        .map(|series| series.label.as_str())
        .collect();
    assert_eq!(labels, ["big c=1#0 (n=2)", "small c=4#0 (n=2)"]);
    assert_eq!(
        plot.chart.series[1].points,
        [(50.0, 0.0), (50.0, 0.5), (100.0, 0.5), (100.0, 1.0)]
    );
    for configuration in &mut configurations {
        configuration.ttft_ms.clear();
        configuration.e2e_ms.clear();
    }
    assert!(latency_cdfs(&configurations).expect("builds").is_none());
}
