//! Golden outputs of the decision commands over one fixed database.
//!
//! `golden_fixture` writes a store whose every row is a function of the code below: fixed run
//! ids and timestamps, per-item scores from fixed patterns, bench request records from a
//! seeded generator summarised by `yardstick_load` as `yardstick bench` does. Every decision
//! command then runs on it through the binary, and its output must equal the file under
//! `tests/golden/` byte for byte. A change in any number, column or note is a reviewed diff:
//! run with `YARDSTICK_BLESS=1` to rewrite the files after checking the change is intended.

mod common;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{run, yardstick};
use yardstick_core::{Fingerprint, ItemResult, MetricRecord, TaskFingerprint, Unit};
use yardstick_load::metrics::{summarize_run, ItlDefinition, MetricsOptions};
use yardstick_load::timing::{Chunk, TokenCount, TokenCountSource};
use yardstick_load::RequestTiming;
use yardstick_store::{NewRun, NewRunUnit, RunKind, Status, Store};

const GEMMA: &str = "/models/gemma-3-270m-Q4_K_M.gguf";
const QWEN: &str = "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
        + chrono::Duration::minutes(minutes)
}

/// A deterministic stream of numbers in [0, 1) (64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn fingerprint(model: &str, task: &str, prompt_hash: &str, scheme: &str) -> Fingerprint {
    Fingerprint {
        model: model.into(),
        model_sha256: format!("sha-{}", model.rsplit('/').next().unwrap_or(model)),
        task: TaskFingerprint {
            task: task.into(),
            task_hash: format!("hash-{task}"),
            dataset_sha256: [("test.jsonl".to_string(), "d0".to_string())].into(),
            prompt_hash: prompt_hash.into(),
            limit: Some(40),
            items: 40,
            samples_sha256: None,
        },
        yardstick_version: "0.1.0".into(),
        git_commit: "golden".into(),
        llama_cpp_version: "b1".into(),
        seed: 1234,
        batching_scheme: scheme.into(),
        threads: 2,
        prompt_format: None,
        endpoint: None,
    }
}

/// Per-item 0/1 scores: item `i` is right when `(i * step + offset) % 10 < right_in_ten`.
fn pattern(items: u64, step: u64, offset: u64, right_in_ten: u64) -> Vec<f64> {
    (0..items)
        .map(|i| f64::from(u8::from((i * step + offset) % 10 < right_in_ten)))
        .collect()
}

fn mean_record(name: &str, scores: &[f64]) -> MetricRecord {
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let variance = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0);
    MetricRecord::new(name, mean, Unit::Ratio)
        .with_stderr((variance / n).sqrt())
        .with_n(scores.len() as u64)
}

/// (task, prompt hash, acc per item, acc_norm per item when the task has it)
type EvalTask = (&'static str, &'static str, Vec<f64>, Option<Vec<f64>>);

async fn eval_run(store: &Store, run_id: &str, minute: i64, model: &str, tasks: Vec<EvalTask>) {
    store
        .create_run(&NewRun {
            run_id: run_id.into(),
            kind: RunKind::Eval,
            created_at: at(minute),
            plan: serde_json::json!({ "models": [model] }),
            fingerprint: serde_json::json!({ "run": run_id }),
            fingerprint_id: format!("fp-{run_id}"),
        })
        .await
        .expect("run");
    for (task, prompt_hash, acc, acc_norm) in tasks {
        let unit = store
            .create_unit(&NewRunUnit {
                run_id: run_id.into(),
                model: model.into(),
                task: task.into(),
                fingerprint: fingerprint(model, task, prompt_hash, "item-isolated"),
                items_total: acc.len() as u64,
                started_at: at(minute),
            })
            .await
            .expect("unit");
        let items: Vec<ItemResult> = acc
            .iter()
            .enumerate()
            .map(|(index, &value)| {
                let mut metrics = vec![("acc".to_string(), value)];
                if let Some(norm) = &acc_norm {
                    metrics.push(("acc_norm".to_string(), norm[index]));
                }
                ItemResult {
                    item_index: index as u64,
                    metrics,
                    ..Default::default()
                }
            })
            .collect();
        store
            .insert_items(unit.unit_id, &items)
            .await
            .expect("items");
        let mut records = vec![mean_record("acc", &acc)];
        if let Some(norm) = &acc_norm {
            records.push(mean_record("acc_norm", norm));
        }
        records.push(MetricRecord::new(
            "items_per_second",
            12.5,
            Unit::ItemsPerSecond,
        ));
        store
            .replace_unit_metrics(unit.unit_id, &records)
            .await
            .expect("metrics");
        store
            .set_unit_status(unit.unit_id, Status::Complete, at(minute + 1))
            .await
            .expect("status");
    }
    store
        .set_run_status(run_id, Status::Complete, at(minute + 1))
        .await
        .expect("status");
}

/// `count` closed-loop requests of 64 prompt and 16 completion tokens, one token per chunk,
/// with TTFT and TPOT drawn around the given means.
fn requests(rng: &mut Lcg, count: usize, ttft_ms: f64, tpot_ms: f64) -> Vec<RequestTiming> {
    let mut timings = Vec::new();
    let mut clock = Duration::ZERO;
    for _ in 0..count {
        let sent = clock;
        let ttft = Duration::from_secs_f64(ttft_ms * (0.7 + 0.6 * rng.next()) / 1000.0);
        let mut arrived = sent + ttft;
        let mut chunks = Vec::new();
        for _ in 0..16 {
            chunks.push(Chunk { arrived, tokens: 1 });
            arrived += Duration::from_secs_f64(tpot_ms * (0.8 + 0.4 * rng.next()) / 1000.0);
        }
        let last = chunks.last().map_or(sent, |chunk| chunk.arrived) + Duration::from_millis(1);
        timings.push(RequestTiming {
            scheduled: None,
            sent,
            first_byte: Some(sent + ttft),
            chunks,
            last_byte: Some(last),
            finished: last,
            prompt_tokens: Some(TokenCount::new(64, TokenCountSource::ServerUsage)),
            completion_tokens: Some(TokenCount::new(16, TokenCountSource::ServerUsage)),
            http_status: Some(200),
            error: None,
        });
        clock = last + Duration::from_millis(2);
    }
    timings
}

/// A bench run of `model` in process: per load point (label, concurrency factor on TTFT)
/// 30 requests of which 2 are warm-up, summarised as `yardstick bench` summarises them.
async fn bench_run(store: &Store, run_id: &str, minute: i64, model: &str, seed: u64, speed: f64) {
    let workload = serde_json::json!({
        "prompts": { "kind": "synthetic", "prompt_tokens": 64, "output_tokens": 16 },
        "seed": 7,
    });
    let plan = serde_json::json!({
        "target": { "kind": "in-process", "model": model, "details": "llama.cpp parallel 4" },
        "workload": workload,
        "points": [{ "concurrency": 1 }, { "concurrency": 4 }],
        "trials": 1,
        "requests": 28,
        "warmup": 2,
        "seed": 7,
        "itl": "per_token",
        "stream": true,
    });
    let fingerprint_json = serde_json::json!({
        "plan": plan,
        "host": {
            "cpu": "Golden CPU @ 2.0GHz",
            "logical_cpus": 2,
            "physical_cores": 1,
            "memory_gib": 24.0,
            "gpus": [],
            "os": "Debian GNU/Linux 12",
        },
        "host_role": "engine",
        "workload_sha256": "workload-digest",
        "tokenizer": "gguf",
        "model_sha256": format!("sha-{model}"),
        "yardstick_version": "0.1.0",
    });
    store
        .create_run(&NewRun {
            run_id: run_id.into(),
            kind: RunKind::Bench,
            created_at: at(minute),
            plan,
            fingerprint: fingerprint_json,
            fingerprint_id: format!("fp-{run_id}"),
        })
        .await
        .expect("run");
    let mut rng = Lcg(seed);
    for (point, load) in [("c=1#0", 1.0), ("c=4#0", 2.5)] {
        let task = format!("bench:{point}");
        let unit = store
            .create_unit(&NewRunUnit {
                run_id: run_id.into(),
                model: model.into(),
                task: task.clone(),
                fingerprint: fingerprint(model, &task, "workload-digest", "llama.cpp parallel 4"),
                items_total: 30,
                started_at: at(minute),
            })
            .await
            .expect("unit");
        let timings = requests(
            &mut rng,
            30,
            40.0 * load / speed,
            15.0 * load.sqrt() / speed,
        );
        let records: Vec<(u64, String)> = timings
            .iter()
            .enumerate()
            .map(|(index, timing)| {
                (
                    index as u64,
                    serde_json::to_string(timing).expect("a timing encodes"),
                )
            })
            .collect();
        store
            .insert_requests(unit.unit_id, &records)
            .await
            .expect("requests");
        let options = MetricsOptions {
            itl: ItlDefinition::PerToken,
            warmup_requests: 2,
            slo: Default::default(),
        };
        let mut metrics = summarize_run(&timings, &options)
            .expect("consistent timings")
            .records();
        metrics.push(MetricRecord::new(
            "rss_mib.max",
            300.0 * speed.recip() + 100.0 * load,
            Unit::Mebibytes,
        ));
        // `c=4` runs four requests side by side: its throughput is load × that of `c=1`.
        for record in &mut metrics {
            if record.name.ends_with("_per_second") {
                record.value *= load;
            }
        }
        store
            .replace_unit_metrics(unit.unit_id, &metrics)
            .await
            .expect("metrics");
        store
            .set_unit_status(unit.unit_id, Status::Complete, at(minute + 1))
            .await
            .expect("status");
    }
    store
        .set_run_status(run_id, Status::Complete, at(minute + 1))
        .await
        .expect("status");
}

async fn profile_run(store: &Store, run_id: &str, minute: i64, model: &str, load_ms: f64) {
    store
        .create_run(&NewRun {
            run_id: run_id.into(),
            kind: RunKind::Profile,
            created_at: at(minute),
            plan: serde_json::json!({}),
            fingerprint: serde_json::json!({}),
            fingerprint_id: format!("fp-{run_id}"),
        })
        .await
        .expect("run");
    let records = [
        MetricRecord::new(
            "prefill_tokens_per_second.prompt_512",
            120_000.0 / load_ms,
            Unit::TokensPerSecond,
        ),
        MetricRecord::new(
            "decode_tokens_per_second.prompt_128",
            30_000.0 / load_ms,
            Unit::TokensPerSecond,
        ),
        MetricRecord::new(
            "time_to_first_token_ms.prompt_128",
            load_ms / 4.0,
            Unit::Milliseconds,
        ),
        MetricRecord::new("load_time_ms", load_ms, Unit::Milliseconds),
        MetricRecord::new("peak_rss_bytes", load_ms * 1_000_000.0, Unit::Bytes),
    ];
    store
        .replace_run_metrics(run_id, model, "speed", &records)
        .await
        .expect("metrics");
    store
        .set_run_status(run_id, Status::Complete, at(minute + 1))
        .await
        .expect("status");
}

/// The fixed database: two models evaluated on arc_easy, boolq (other prompts for qwen:
/// refused), hellaswag (acc_norm) and three MMLU subjects, gemma evaluated twice (for
/// `regress`), a bench run and a profile of each.
pub async fn golden_fixture(path: &Path) {
    let store = Store::open(path).await.expect("store");
    let mmlu = |step, offset, right| {
        vec![
            (
                "mmlu_abstract_algebra",
                "p",
                pattern(20, step, offset, right),
                None,
            ),
            (
                "mmlu_anatomy",
                "p",
                pattern(24, step, offset + 1, right),
                None,
            ),
            (
                "mmlu_astronomy",
                "p",
                pattern(16, step, offset + 2, right),
                None,
            ),
        ]
    };
    let mut gemma = vec![
        ("arc_easy", "p", pattern(80, 3, 0, 6), None),
        ("boolq", "p", pattern(60, 7, 1, 6), None),
        (
            "hellaswag",
            "p",
            pattern(50, 3, 2, 4),
            Some(pattern(50, 3, 2, 5)),
        ),
    ];
    gemma.extend(mmlu(3, 0, 3));
    eval_run(&store, "eval-gemma-1", 0, GEMMA, gemma).await;
    let mut qwen = vec![
        ("arc_easy", "p", pattern(80, 7, 0, 4), None),
        ("boolq", "other-prompts", pattern(60, 3, 1, 7), None),
        (
            "hellaswag",
            "p",
            pattern(50, 7, 2, 4),
            Some(pattern(50, 7, 2, 4)),
        ),
    ];
    qwen.extend(mmlu(7, 1, 4));
    eval_run(&store, "eval-qwen-1", 10, QWEN, qwen).await;
    // Gemma again: arc_easy worse, boolq the same.
    eval_run(
        &store,
        "eval-gemma-2",
        20,
        GEMMA,
        vec![
            ("arc_easy", "p", pattern(80, 3, 0, 4), None),
            ("boolq", "p", pattern(60, 7, 1, 6), None),
        ],
    )
    .await;
    bench_run(&store, "bench-gemma", 30, GEMMA, 11, 1.6).await;
    bench_run(&store, "bench-qwen", 40, QWEN, 23, 1.0).await;
    profile_run(&store, "profile-gemma", 50, GEMMA, 420.0).await;
    profile_run(&store, "profile-qwen", 55, QWEN, 780.0).await;
    store.close().await;
}

/// Compares `actual` with `tests/golden/NAME` byte for byte (rewrites it with
/// `YARDSTICK_BLESS=1`).
fn check(name: &str, actual: &[u8]) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("YARDSTICK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("golden folder");
        std::fs::write(&path, actual).expect("writing a golden file");
        return None;
    }
    let expected = std::fs::read(&path).unwrap_or_default();
    (expected != actual).then(|| {
        let new = path.with_extension("new");
        std::fs::write(&new, actual).expect("writing the new output");
        format!(
            "{name} differs from {} (the new output is in {}; `diff` them, and bless with YARDSTICK_BLESS=1 if intended)",
            path.display(),
            new.display()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_commands_match_their_golden_outputs() {
    let home = tempfile::tempdir().expect("home");
    golden_fixture(&home.path().join("yardstick.db")).await;
    let out = home.path().join("report");
    let out_text = out.display().to_string();
    let commands: Vec<(&str, Vec<&str>, i32)> = vec![
        (
            "compare-evals.json",
            vec![
                "compare",
                "--run",
                "eval-gemma-1",
                "--run",
                "eval-qwen-1",
                "--json",
            ],
            0,
        ),
        (
            "compare-models.txt",
            vec!["compare", "--model", GEMMA, "--model", QWEN],
            0,
        ),
        (
            "compare-subtasks.txt",
            vec![
                "compare",
                "--run",
                "eval-gemma-1",
                "--run",
                "eval-qwen-1",
                "--subtasks",
            ],
            0,
        ),
        (
            "compare-benches.json",
            vec![
                "compare",
                "--run",
                "bench-gemma",
                "--run",
                "bench-qwen",
                "--json",
            ],
            0,
        ),
        (
            "recommend.json",
            vec![
                "recommend",
                "--json",
                "--usd-per-hour",
                "0.2",
                "--traffic-rps",
                "2",
            ],
            0,
        ),
        (
            "recommend.txt",
            vec![
                "recommend",
                "--usd-per-hour",
                "0.2",
                "--max-p99-ttft-ms",
                "80",
            ],
            0,
        ),
        (
            "cost.txt",
            vec!["cost", "--run", "bench-gemma", "--usd-per-hour", "0.2"],
            0,
        ),
        (
            "cost-instance.json",
            vec![
                "cost",
                "--run",
                "bench-qwen",
                "--instance",
                "aws/g6.xlarge",
                "--measured-bandwidth-gbs",
                "50",
                "--json",
            ],
            0,
        ),
        (
            "regress-evals.json",
            vec![
                "regress",
                "--baseline",
                "eval-gemma-1",
                "--candidate",
                "eval-gemma-2",
                "--json",
            ],
            1,
        ),
        (
            "regress-benches.txt",
            vec![
                "regress",
                "--baseline",
                "bench-qwen",
                "--candidate",
                "bench-gemma",
                "--mode",
                "models",
                "--threshold",
                "ttft_ms=10%",
            ],
            0,
        ),
        ("leaderboard.txt", vec!["leaderboard"], 0),
        (
            "leaderboard.json",
            vec!["leaderboard", "--format", "json"],
            0,
        ),
        (
            "report-command.txt",
            vec![
                "report",
                "--runs",
                "eval-gemma-1,eval-qwen-1,bench-gemma,bench-qwen",
                "--usd-per-hour",
                "0.2",
                "--power-watts",
                "65",
                "--out",
                &out_text,
            ],
            0,
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, code) in commands {
        let mut command = yardstick(home.path());
        command.args(&args);
        let output = run(command).await;
        assert_eq!(
            output.status.code(),
            Some(code),
            "{name}: {args:?}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        failures.extend(check(name, &output.stdout));
    }
    // report.json names the build's commit in its subtitle: the one line that may differ.
    let report = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let commit = format!("({})", yardstick_runner::GIT_COMMIT);
    let report = report.replacen(&commit, "(COMMIT)", 1);
    failures.extend(check("report.json", report.as_bytes()));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
