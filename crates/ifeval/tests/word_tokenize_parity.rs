//! `word_tokenize` against NLTK 3.10.4's `nltk.word_tokenize` on every IFEval prompt and GPT-4
//! response (the number of tokens and the all-caps ones, which `capital_word_frequency`
//! counts) and on hand-written hard cases (every token), as recorded in
//! `fixtures/word_tokenize_english.jsonl` by `scripts/parity/word_tokenize_fixture.py`.

use std::collections::HashMap;

use serde_json::Value;
use yardstick_ifeval::python_str::is_upper;
use yardstick_ifeval::word_tokenize::word_tokenize;

fn read_lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{path}: {error}"))
        .lines()
        .map(|line| serde_json::from_str(line).expect("a fixture line is JSON"))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn tokens_equal_nltks() {
    // The texts of the dataset lines: the prompts and responses of the verdict fixture.
    let mut texts: HashMap<(i64, String), String> = HashMap::new();
    for line in read_lines("ifeval_gpt4_verdicts.jsonl") {
        let key = line["key"].as_i64().expect("key is an integer");
        for field in ["prompt", "response"] {
            let text = line[field].as_str().expect("a string").to_string();
            texts.insert((key, field.to_string()), text);
        }
    }

    let mut differences = Vec::new();
    let mut dataset_texts = 0;
    let mut hand_written = 0;
    for line in read_lines("word_tokenize_english.jsonl") {
        if let Some(text) = line["text"].as_str() {
            hand_written += 1;
            let expected = strings(&line["tokens"]);
            let got = word_tokenize(text);
            if got != expected {
                differences.push(format!("{text:?}:\n  nltk {expected:?}\n  ours {got:?}"));
            }
            continue;
        }
        dataset_texts += 1;
        let key = line["key"].as_i64().expect("key is an integer");
        let field = line["field"]
            .as_str()
            .expect("field is a string")
            .to_string();
        let text = &texts[&(key, field.clone())];
        let tokens = word_tokenize(text);
        let capitals: Vec<String> = tokens
            .iter()
            .filter(|token| is_upper(token))
            .cloned()
            .collect();
        let expected_count = line["token_count"].as_u64().expect("a count") as usize;
        let expected_capitals = strings(&line["capitals"]);
        if tokens.len() != expected_count || capitals != expected_capitals {
            differences.push(format!(
                "key {key} {field}: nltk {expected_count} tokens, capitals {expected_capitals:?}\n  \
                 ours {} tokens, capitals {capitals:?}",
                tokens.len()
            ));
        }
    }
    assert_eq!(dataset_texts, 2 * 541);
    assert!(hand_written > 20);
    assert!(
        differences.is_empty(),
        "{} texts tokenized differently from NLTK:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
