//! yardstick's few-shot selection against lm-evaluation-harness 0.4.13 end to end:
//! `fewshot_reference/fewshot_reference.json` was written by
//! `fewshot_reference/make_fewshot_reference.py`, which builds small tasks with lm-eval's own
//! `ConfigurableTask`, seeds them with `set_fewshot_seed` and reads the few-shot doc ids back
//! from the contexts `build_all_requests` rendered. The sampler must choose the same docs in
//! the same order for every eval doc, drawing from one generator across the docs as lm-eval
//! does.

use serde_json::Value;
use yardstick_tasks::fewshot::{passes_eval_doc, FewshotSampler, SamplerKind};

fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

#[test]
fn sampler_chooses_what_lm_eval_chooses() {
    let reference: Value =
        serde_json::from_str(include_str!("fewshot_reference/fewshot_reference.json"))
            .unwrap_or_else(|error| panic!("fewshot_reference.json: {error}"));
    let scenarios = list(&reference["scenarios"]);
    assert!(scenarios.len() >= 10);
    let mut resampled = 0;
    for scenario in &scenarios {
        let name = format!(
            "{} (seed {})",
            scenario["name"].as_str().unwrap_or_default(),
            scenario["seed"]
        );
        let seed = scenario["seed"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: seed"));
        let kind = SamplerKind::parse(scenario["sampler"].as_str().unwrap_or_default())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let num = scenario["num_fewshot"].as_u64().unwrap_or_default() as usize;
        let passes = passes_eval_doc(
            scenario["fewshot_split"].as_str(),
            scenario["test_split"].as_str(),
        );
        assert_eq!(
            Some(passes),
            scenario["passes_eval_doc"].as_bool(),
            "{name}"
        );
        let fewshot_docs = list(&scenario["fewshot_docs"]);
        let eval_docs = list(&scenario["eval_docs"]);
        let expected = list(&scenario["chosen_ids"]);
        assert_eq!(eval_docs.len(), expected.len(), "{name}");
        resampled += list(&scenario["rnd_sample_calls"])
            .iter()
            .filter(|calls| calls.as_u64() > Some(1))
            .count();

        let mut sampler = FewshotSampler::new(kind, seed, fewshot_docs.len());
        for (position, (eval_doc, expected)) in eval_docs.iter().zip(&expected).enumerate() {
            let is_eval_doc = |index: usize| fewshot_docs[index] == *eval_doc;
            let eval_doc_test: Option<&dyn Fn(usize) -> bool> =
                if passes { Some(&is_eval_doc) } else { None };
            let chosen = sampler
                .select(num, eval_doc_test)
                .unwrap_or_else(|error| panic!("{name}, eval doc {position}: {error}"));
            let ids: Vec<Value> = chosen
                .iter()
                .map(|index| fewshot_docs[*index]["id"].clone())
                .collect();
            assert_eq!(
                ids,
                list(expected),
                "{name}, eval doc {position} ({})",
                eval_doc["id"]
            );
        }
    }
    assert!(
        resampled > 0,
        "the reference must exercise lm-eval's resampling path"
    );
}
