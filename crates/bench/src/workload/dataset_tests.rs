use std::path::PathBuf;

use super::*;
use crate::workload::test_tokenizers::word_level;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writes");
    path
}

fn words(count: usize) -> String {
    vec!["the"; count].join(" ")
}

#[test]
fn the_three_formats_are_read_from_json_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        &dir,
        "mixed.jsonl",
        concat!(
            r#"{"prompt": "Hello there", "max_tokens": 12}"#,
            "\n\n",
            r#"{"prompt": "No length", "output_tokens": 3}"#,
            "\n",
            r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "the cat sat"}]}"#,
            "\n",
            r#"{"conversations": [{"from": "system", "value": "x"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}"#,
            "\n",
            r#"{"conversations": [{"from": "human", "value": "alone"}]}"#,
            "\n",
        ),
    );
    let entries = read_dataset(&path).expect("reads");
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].origin, format!("line 1 of {}", path.display()));
    assert_eq!(entries[1].origin, format!("line 3 of {}", path.display()));
    assert_eq!(
        entries[0].entry,
        Entry::Prompt {
            prompt: "Hello there".into(),
            output_tokens: Some(12)
        }
    );
    assert_eq!(
        entries[1].entry,
        Entry::Prompt {
            prompt: "No length".into(),
            output_tokens: Some(3)
        }
    );
    assert_eq!(
        entries[2].entry,
        Entry::Chat {
            turns: vec![
                ChatTurn::new("system", "Be brief."),
                ChatTurn::new("user", "Hi")
            ],
            reply: Some("the cat sat".into()),
            output_tokens: None,
        }
    );
    assert_eq!(
        entries[3].entry,
        Entry::ShareGpt(Some(("Q".into(), "A".into())))
    );
    assert_eq!(entries[4].entry, Entry::ShareGpt(None));

    let tokenizer = word_level();
    let chat = prepare(&entries[2], Some(&tokenizer), false)
        .expect("prepares")
        .expect("kept");
    assert_eq!(chat.output_tokens, Some(3), "the reply's length in tokens");
    assert_eq!(
        chat.prompt_tokens, None,
        "the chat template is the server's"
    );
    let without_tokenizer = prepare(&entries[2], None, false).expect_err("needs a tokenizer");
    assert!(
        without_tokenizer.to_string().contains("line 4 of"),
        "{without_tokenizer}"
    );
    let prompt = prepare(&entries[0], Some(&tokenizer), false)
        .expect("prepares")
        .expect("kept");
    assert_eq!(prompt.prompt_tokens, Some(3), "[BOS] [UNK] there");
}

#[test]
fn sharegpt_arrays_are_read_and_entries_outside_the_bounds_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let entry = |prompt: &str, reply: &str| {
        serde_json::json!({
            "id": "x",
            "conversations": [
                { "from": "human", "value": prompt },
                { "from": "gpt", "value": reply },
            ]
        })
    };
    let array = serde_json::json!([
        entry(&words(10), &words(20)),
        entry(&words(2), &words(20)),
        entry(&words(10), &words(3)),
        entry(&words(1100), &words(20)),
        entry(&words(1000), &words(1100)),
    ]);
    let path = write(&dir, "sharegpt.json", &array.to_string());
    let entries = read_dataset(&path).expect("reads");
    assert_eq!(entries[1].origin, format!("entry 2 of {}", path.display()));
    let tokenizer = word_level();
    let kept: Vec<Option<DatasetPrompt>> = entries
        .iter()
        .map(|entry| prepare(entry, Some(&tokenizer), false).expect("prepares"))
        .collect();
    let first = kept[0].as_ref().expect("within the bounds");
    assert_eq!(first.prompt, PromptBody::Text(words(10)));
    assert_eq!(first.prompt_tokens, Some(11), "BOS and ten words");
    assert_eq!(first.output_tokens, Some(20));
    assert!(kept[1..].iter().all(Option::is_none), "{kept:?}");
    let short_reply = prepare(&entries[2], Some(&tokenizer), true).expect("prepares");
    assert!(
        short_reply.is_some(),
        "with fixed output lengths a short reply does not matter"
    );
    let error = prepare(&entries[0], None, false).expect_err("ShareGPT needs a tokenizer");
    assert!(error.to_string().contains("entry 1 of"), "{error}");
}

#[test]
fn malformed_entries_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text, location, reason) in [
        (
            "a.jsonl",
            "{\"prompt\": \"ok\"}\n\n{\"prompt\": \"cut",
            "line 3",
            "not JSON",
        ),
        (
            "b.jsonl",
            "{\"prompt\": \"ok\"}\n{\"text\": \"x\"}\n",
            "line 2",
            "needs `prompt`",
        ),
        (
            "c.jsonl",
            "{\"prompt\": \"ok\", \"max_tokens\": 0}\n",
            "line 1",
            "`max_tokens` must be an integer",
        ),
        (
            "d.jsonl",
            "{\"messages\": [{\"role\": \"user\", \"content\": [1]}]}\n",
            "line 1",
            "`content` of message 1 must be a string",
        ),
        (
            "e.jsonl",
            "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n",
            "line 1",
            "no turn to send",
        ),
        (
            "f.json",
            "[{\"prompt\": \"ok\"}, 3]",
            "entry 2",
            "JSON object",
        ),
        (
            "g.json",
            "[{\"conversations\": [{\"from\": \"human\"}]}]",
            "entry 1",
            "`value` of conversation turn 1 is missing",
        ),
        (
            "h.json",
            "[{\"prompt\": \"ok\"},\n  oops]",
            "line 2",
            "expected",
        ),
    ] {
        let path = write(&dir, name, text);
        let message = read_dataset(&path).expect_err(name).to_string();
        assert!(
            message.starts_with(&format!("{}, {location}: ", path.display())),
            "{name}: {message}"
        );
        assert!(message.contains(reason), "{name}: {message}");
    }
    let missing = read_dataset(&dir.path().join("missing.jsonl")).expect_err("no file");
    assert!(missing.to_string().contains("missing.jsonl"), "{missing}");
}
