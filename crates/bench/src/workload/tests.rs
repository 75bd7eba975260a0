//! Whole-workload tests: seeding, the spec's JSON, sources end to end, and exact lengths
//! with the real Gemma-3-270M vocabulary.

use std::collections::HashSet;
use std::path::Path;

use super::*;
use crate::workload::test_tokenizers::{word_level, Merging};

fn distribution(text: &str) -> LengthDistribution {
    text.parse().expect("valid distribution")
}

fn synthetic(input: &str, output: &str, seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        prompts: PromptSource::Synthetic {
            input: distribution(input),
        },
        output: Some(distribution(output)),
        ignore_eos: true,
        min_tokens: true,
        seed,
    }
}

fn shared_prefix(prefix_tokens: u32, groups: u32, seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        prompts: PromptSource::SharedPrefix {
            prefix_tokens,
            groups,
            input: distribution("uniform:1:64"),
        },
        ..synthetic("1", "16", seed)
    }
}

fn gemma() -> Option<GgufTokenizer> {
    let path = yardstick_test_support::fixtures::gemma_model()?;
    Some(GgufTokenizer::with_sha256(&path, "test").expect("Gemma's vocabulary loads"))
}

fn assert_exact(tokenizer: &dyn PromptTokenizer, workload: &Workload) {
    for item in &workload.requests {
        let tokens = tokenizer
            .encode(&item.request.prompt, true)
            .expect("encodes");
        let expected = item.prompt_tokens.expect("synthetic counts are known");
        assert_eq!(tokens.len(), expected as usize, "{:?}", item.request.prompt);
    }
}

#[test]
fn the_same_seed_gives_the_same_workload_and_another_seed_another() {
    let tokenizer = word_level();
    for spec in [
        synthetic("uniform:1:300", "normal:50:10", 11),
        shared_prefix(40, 3, 11),
    ] {
        let build =
            |spec: &WorkloadSpec| build_workload(spec, Some(&tokenizer), 40).expect("builds");
        let first = build(&spec);
        assert_eq!(first, build(&spec));
        assert_eq!(first.digest(), build(&spec).digest());
        assert_eq!(first.digest().len(), 64);
        let other = build(&WorkloadSpec {
            seed: 12,
            ..spec.clone()
        });
        assert_ne!(first.digest(), other.digest());
        assert_exact(&tokenizer, &first);
        let prompts: HashSet<&str> = first
            .requests
            .iter()
            .map(|item| item.request.prompt.as_str())
            .collect();
        assert_eq!(prompts.len(), 40, "every prompt is distinct");
    }
}

#[test]
fn output_lengths_do_not_change_the_prompts_and_set_the_request_fields() {
    let tokenizer = word_level();
    let short =
        build_workload(&synthetic("uniform:5:50", "8", 3), Some(&tokenizer), 20).expect("builds");
    let long = build_workload(
        &synthetic("uniform:5:50", "uniform:100:200", 3),
        Some(&tokenizer),
        20,
    )
    .expect("builds");
    for (a, b) in short.requests.iter().zip(&long.requests) {
        assert_eq!(a.request.prompt, b.request.prompt);
        assert_eq!(a.request.max_tokens, 8);
        assert!((100..=200).contains(&b.request.max_tokens));
        assert!(b.request.ignore_eos);
        assert_eq!(b.request.min_tokens, Some(b.request.max_tokens));
    }
    let plain = WorkloadSpec {
        ignore_eos: false,
        min_tokens: false,
        ..synthetic("4", "8", 3)
    };
    let workload = build_workload(&plain, Some(&tokenizer), 2).expect("builds");
    assert!(!workload.requests[0].request.ignore_eos);
    assert_eq!(workload.requests[0].request.min_tokens, None);
    assert_eq!(workload.tokenizer, Some(tokenizer.identity()));
}

#[test]
fn missing_tokenizer_or_output_lengths_are_clear_errors() {
    let error = build_workload(&synthetic("8", "8", 1), None, 1).expect_err("no tokenizer");
    assert!(
        error
            .to_string()
            .contains("a synthetic workload needs a tokenizer"),
        "{error}"
    );
    let no_output = WorkloadSpec {
        output: None,
        ..shared_prefix(10, 2, 1)
    };
    let error = build_workload(&no_output, Some(&word_level()), 1).expect_err("no output");
    assert!(
        error
            .to_string()
            .contains("a shared-prefix workload has no output length"),
        "{error}"
    );
    let error = build_workload(&shared_prefix(1, 2, 1), Some(&word_level()), 1)
        .expect_err("the prefix is BOS alone");
    assert!(error.to_string().contains("holds no text"), "{error}");
}

#[test]
fn the_spec_serialises_to_stable_json() {
    let spec = synthetic("uniform:10:20", "fixed:5", 42);
    let json = serde_json::to_string(&spec).expect("serialises");
    assert_eq!(
        json,
        r#"{"prompts":{"kind":"synthetic","input":"uniform:10:20"},"output":"fixed:5","ignore_eos":true,"min_tokens":true,"seed":42}"#
    );
    let task: WorkloadSpec = serde_json::from_str(
        r#"{"prompts": {"kind": "task", "task": "gsm8k", "data_dir": "/data"}, "seed": 1}"#,
    )
    .expect("defaults fill the rest");
    assert!(task.ignore_eos && task.min_tokens && task.output.is_none());
    let back: WorkloadSpec =
        serde_json::from_str(&serde_json::to_string(&task).expect("serialises")).expect("reads");
    assert_eq!(back, task);
    let unknown = serde_json::from_str::<WorkloadSpec>(
        r#"{"prompts": {"kind": "dataset", "path": "x", "oops": 1}, "seed": 1}"#,
    );
    assert!(unknown.is_err());
}

#[test]
fn datasets_are_drawn_in_a_seeded_order_with_their_own_lengths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("prompts.jsonl");
    let lines: Vec<String> = (0..30)
        .map(|index| {
            format!(
                r#"{{"prompt": "the cat {index}", "max_tokens": {}}}"#,
                index + 1
            )
        })
        .collect();
    let chat = r#"{"messages": [{"role": "user", "content": "the dog"}], "max_tokens": 9}"#;
    std::fs::write(&path, format!("{}\n{chat}\n", lines.join("\n"))).expect("writes");
    let spec = |seed| WorkloadSpec {
        prompts: PromptSource::Dataset { path: path.clone() },
        output: None,
        ignore_eos: false,
        min_tokens: false,
        seed,
    };
    let all = build_workload(&spec(5), None, 31).expect("builds");
    for item in &all.requests {
        match &item.request.messages {
            None => {
                let index: u32 = item.request.prompt["the cat ".len()..].parse().expect("n");
                assert_eq!(item.request.max_tokens, index + 1);
                assert_eq!(item.prompt_tokens, None, "no tokenizer given");
            }
            Some(turns) => {
                assert_eq!(turns, &vec![ChatTurn::new("user", "the dog")]);
                assert_eq!(item.request.prompt, "user: the dog");
                assert_eq!(item.request.max_tokens, 9);
            }
        }
    }
    let five = build_workload(&spec(5), None, 5).expect("builds");
    assert_eq!(
        five.requests[..],
        all.requests[..5],
        "a prefix of the same order"
    );
    let other = build_workload(&spec(6), None, 5).expect("builds");
    assert_ne!(other.digest(), five.digest());
    let error = build_workload(&spec(5), None, 32).expect_err("31 entries");
    assert!(
        error
            .to_string()
            .contains("has 31 usable prompts, fewer than the 32"),
        "{error}"
    );
}

#[test]
fn task_prompts_take_the_task_generation_length_or_the_output_distribution() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let spec = WorkloadSpec {
        prompts: PromptSource::Task {
            task: "gsm8k".into(),
            data_dir: data_dir.clone(),
            num_fewshot: Some(0),
        },
        output: None,
        ignore_eos: true,
        min_tokens: false,
        seed: 9,
    };
    let tokenizer = word_level();
    let workload = build_workload(&spec, Some(&tokenizer), 10).expect("builds");
    assert_eq!(workload.requests.len(), 10);
    for item in &workload.requests {
        assert!(item.request.prompt.starts_with("Question: "));
        assert_eq!(item.request.max_tokens, 256);
        let tokens = tokenizer
            .encode(&item.request.prompt, true)
            .expect("encodes");
        assert_eq!(item.prompt_tokens, Some(tokens.len() as u32));
    }
    let arc = WorkloadSpec {
        prompts: PromptSource::Task {
            task: "arc_easy".into(),
            data_dir,
            num_fewshot: None,
        },
        ..spec
    };
    let error = build_workload(&arc, None, 3).expect_err("multiple choice has no length");
    assert!(
        error
            .to_string()
            .contains("of arc_easy has no output length"),
        "{error}"
    );
    let fixed = WorkloadSpec {
        output: Some(distribution("32")),
        ..arc
    };
    let workload = build_workload(&fixed, None, 3).expect("builds");
    assert!(workload
        .requests
        .iter()
        .all(|item| item.request.max_tokens == 32));
}

#[test]
fn merging_tokenizer_workloads_have_exact_lengths() {
    let workload =
        build_workload(&synthetic("uniform:1:400", "4", 2), Some(&Merging), 50).expect("builds");
    assert_exact(&Merging, &workload);
}

#[test]
fn gemma_prompts_have_exact_token_counts() {
    let Some(tokenizer) = gemma() else {
        return;
    };
    for length in [1, 2, 7, 128, 1000] {
        let spec = synthetic(&length.to_string(), "16", u64::from(length));
        let workload = build_workload(&spec, Some(&tokenizer), 4).expect("builds");
        assert_exact(&tokenizer, &workload);
        assert!(workload
            .requests
            .iter()
            .all(|item| item.prompt_tokens == Some(length)));
        if length > 1 {
            let distinct: HashSet<&str> = workload
                .requests
                .iter()
                .map(|item| item.request.prompt.as_str())
                .collect();
            assert_eq!(distinct.len(), 4);
        }
    }
    let varied = build_workload(&synthetic("uniform:1:700", "16", 77), Some(&tokenizer), 60)
        .expect("builds");
    assert_exact(&tokenizer, &varied);
}

#[test]
fn gemma_shared_prefixes_are_the_first_k_tokens() {
    let Some(tokenizer) = gemma() else {
        return;
    };
    let workload = build_workload(&shared_prefix(100, 4, 5), Some(&tokenizer), 16).expect("builds");
    assert_exact(&tokenizer, &workload);
    let encoded: Vec<Vec<u32>> = workload
        .requests
        .iter()
        .map(|item| {
            tokenizer
                .encode(&item.request.prompt, true)
                .expect("encodes")
        })
        .collect();
    for (index, tokens) in encoded.iter().enumerate() {
        assert!(tokens.len() > 100);
        assert_eq!(tokens[..100], encoded[index % 4][..100], "request {index}");
        assert_ne!(tokens[..100], encoded[(index + 1) % 4][..100]);
        assert_ne!(tokens[100..], encoded[(index + 4) % 16][100..]);
    }
}

#[test]
fn hf_tokenizer_files_load_from_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, test_tokenizers::word_level_json()).expect("writes");
    let from_file = HfTokenizer::from_file(&path).expect("loads");
    assert_eq!(from_file.identity(), word_level().identity());
    assert!(HfTokenizer::from_file(Path::new("/nonexistent/tokenizer.json")).is_err());
}
