//! yardstick's filter pipelines against lm-evaluation-harness 0.4.13's own filter classes.
//!
//! `filters_reference/reference.json` was written by `filters_reference/make_reference.py`:
//! hand-written pipelines plus every `filter_list` of lm-eval's task YAML files that uses only
//! filters yardstick implements, each applied by lm-eval to a bank of responses (single and
//! repeated, with unicode, no matches, ties). Every case must give the same output here, or
//! fail where lm-eval raised.

use serde_json::Value;
use yardstick_tasks::filters::{parse_filter_list, FilterPipeline};

#[test]
fn pipelines_match_lm_eval() {
    let reference: Value = serde_json::from_str(include_str!("filters_reference/reference.json"))
        .unwrap_or_else(|error| panic!("reference.json: {error}"));
    // One list per pipeline: lm-eval's files reuse names such as `strict-match`.
    let pipelines: Vec<FilterPipeline> = reference["pipelines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|pipeline| {
            parse_filter_list(&Value::Array(vec![pipeline]))
                .unwrap_or_else(|error| panic!("lm-eval's pipelines must parse: {error}"))
                .remove(0)
        })
        .collect();
    let cases = reference["cases"].as_array().cloned().unwrap_or_default();
    assert!(
        cases.len() > 1000,
        "reference.json has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let index = case["pipeline"].as_u64().unwrap_or(u64::MAX) as usize;
        let pipeline = &pipelines[index];
        let responses: Vec<String> = case["responses"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let doc = case.get("doc").filter(|doc| !doc.is_null());
        let got = pipeline.run(&responses, doc);
        let ok = match (&got, case.get("output"), case.get("error")) {
            (Ok(output), Some(expected), _) => output.to_value() == *expected,
            (Err(_), None, Some(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "pipeline {index} `{}` on {responses:?}: lm-eval {}, yardstick {got:?}",
                pipeline.name,
                case.get("output")
                    .map(|output| format!("gives {output}"))
                    .or_else(|| case.get("error").map(|error| format!("raises {error}")))
                    .unwrap_or_default(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
