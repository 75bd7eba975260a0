//! Storing a bench: one unit per run of a load point (trial), its requests and its metrics.

use std::collections::BTreeMap;

use chrono::Utc;
use yardstick_backend_openai::LoadRequest;
use yardstick_bench::{PointResult, TargetDescription};
use yardstick_core::{Fingerprint, TaskFingerprint};
use yardstick_store::{NewRunUnit, Status, Store};

use crate::RunnerError;

/// A built workload with what the fingerprint records of it.
#[derive(Debug, Clone)]
pub struct BuiltWorkload {
    pub requests: Vec<LoadRequest>,
    /// sha256 over every request as sent.
    pub digest: String,
    /// The tokenizer's identity, when one counted tokens.
    pub tokenizer: Option<String>,
    /// Input files by name with their sha256 (dataset file).
    pub files: Vec<(String, String)>,
}

/// The unit name of trial `trial` at a point: `bench:c=4#0`, `bench:poisson@2/s#1`.
pub fn unit_task(result: &PointResult, trial: u64) -> String {
    format!("bench:{}#{trial}", result.point.label())
}

/// The fingerprint every unit of the bench shares but for its task name: the model, the
/// workload (its digest as the prompt hash, dataset files by sha256, `requests` as the
/// limit), the run's fingerprint id as the task definition, the target's details as the
/// engine scheme.
pub fn unit_fingerprint(
    target: &TargetDescription,
    model_sha256: Option<&str>,
    run_fingerprint_id: &str,
    workload: &BuiltWorkload,
    requests: Option<usize>,
    seed: u64,
    threads: u32,
) -> Fingerprint {
    Fingerprint {
        model: target.model.clone(),
        model_sha256: model_sha256.unwrap_or("served").to_string(),
        task: TaskFingerprint {
            task: String::new(),
            task_hash: run_fingerprint_id.to_string(),
            dataset_sha256: workload
                .files
                .clone()
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            prompt_hash: workload.digest.clone(),
            limit: requests.map(|requests| requests as u64),
            items: workload.requests.len() as u64,
            samples_sha256: None,
        },
        yardstick_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::GIT_COMMIT.to_string(),
        llama_cpp_version: yardstick_backend_llamacpp::llama_cpp_version(),
        seed,
        batching_scheme: target.details.clone(),
        threads,
        prompt_format: None,
        endpoint: None,
    }
}

/// Stores one finished run: its unit (attached to the deployment measured), every request
/// record and its metric records (the run's metrics, then the resources sampled during it).
pub async fn store_point(
    store: &Store,
    run_id: &str,
    fingerprint: &Fingerprint,
    deployment_id: &str,
    result: &PointResult,
    trial: u64,
) -> Result<(), RunnerError> {
    let task = unit_task(result, trial);
    let mut fingerprint = fingerprint.clone();
    fingerprint.task.task = task.clone();
    let unit = store
        .create_unit_of(
            &NewRunUnit {
                run_id: run_id.to_string(),
                model: fingerprint.model.clone(),
                task: task.clone(),
                fingerprint,
                items_total: result.timings.len() as u64,
                started_at: Utc::now(),
            },
            Some(deployment_id),
        )
        .await?;
    let records = result
        .timings
        .iter()
        .enumerate()
        .map(|(index, timing)| Ok((index as u64, serde_json::to_string(timing)?)))
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(RunnerError::encode("request records"))?;
    store.insert_requests(unit.unit_id, &records).await?;
    let mut metrics = result.metrics.records();
    metrics.extend(result.resources.iter().cloned());
    store.replace_unit_metrics(unit.unit_id, &metrics).await?;
    let status = if result.interrupted {
        Status::Interrupted
    } else {
        Status::Complete
    };
    store
        .set_unit_status(unit.unit_id, status, Utc::now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use yardstick_bench::LoadPoint;
    use yardstick_core::{BenchFingerprint, MetricRecord, Unit};
    use yardstick_load::{
        summarize_run, Chunk, ErrorCause, MetricsOptions, RequestTiming, TokenCount,
        TokenCountSource,
    };
    use yardstick_store::NewRun;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    /// A streamed request sent at `sent_ms`: first token 20 ms later, then one token every
    /// 5 ms.
    fn completed(sent_ms: u64, tokens: u32) -> RequestTiming {
        let chunks: Vec<Chunk> = (0..u64::from(tokens))
            .map(|index| Chunk {
                arrived: ms(sent_ms + 20 + index * 5),
                tokens: 1,
            })
            .collect();
        let end = ms(sent_ms + 20 + u64::from(tokens) * 5);
        RequestTiming {
            scheduled: None,
            sent: ms(sent_ms),
            first_byte: Some(ms(sent_ms + 20)),
            chunks,
            last_byte: Some(end),
            finished: end,
            prompt_tokens: Some(TokenCount::new(32, TokenCountSource::ServerUsage)),
            completion_tokens: Some(TokenCount::new(
                u64::from(tokens),
                TokenCountSource::ServerUsage,
            )),
            http_status: Some(200),
            error: None,
        }
    }

    fn refused(sent_ms: u64) -> RequestTiming {
        RequestTiming {
            scheduled: None,
            sent: ms(sent_ms),
            first_byte: None,
            chunks: Vec::new(),
            last_byte: None,
            finished: ms(sent_ms + 1),
            prompt_tokens: None,
            completion_tokens: None,
            http_status: None,
            error: Some(ErrorCause::Http { status: 503 }),
        }
    }

    fn result(timings: Vec<RequestTiming>, interrupted: bool) -> PointResult {
        let metrics =
            summarize_run(&timings, &MetricsOptions::default()).expect("consistent timings");
        PointResult {
            point: LoadPoint::Concurrency { concurrency: 2 },
            started: std::time::Instant::now(),
            timings,
            metrics,
            resources: vec![MetricRecord::new("cpu_percent", 42.0, Unit::Percent)],
            interrupted,
        }
    }

    fn workload() -> BuiltWorkload {
        BuiltWorkload {
            requests: vec![LoadRequest::new("a", 4), LoadRequest::new("b", 4)],
            digest: "d1".repeat(32),
            tokenizer: Some("gguf".to_string()),
            files: vec![("chat.jsonl".to_string(), "f0".repeat(32))],
        }
    }

    fn target() -> TargetDescription {
        TargetDescription {
            kind: "openai".to_string(),
            model: "served-model".to_string(),
            details: "http://127.0.0.1:8080/v1 chat, streaming".to_string(),
        }
    }

    /// A store holding one bench run and the served deployment it measures; returns it with
    /// the run's id and the deployment's.
    async fn store_with_run() -> (Store, String, String) {
        let store = Store::open_in_memory().await.expect("in-memory store");
        let created_at = Utc::now();
        let run_id = yardstick_store::new_run_id(created_at);
        let run = NewRun::bench(run_id.clone(), created_at, &BenchFingerprint::default())
            .expect("bench run");
        store.create_run(&run).await.expect("create the run");
        let identity = yardstick_core::Deployment::served(
            "served-model",
            "served-model",
            "http://127.0.0.1:8080/v1",
            None,
            Default::default(),
        );
        let deployment = store
            .deployment_for(&identity, None, created_at)
            .await
            .expect("the deployment");
        (store, run_id, deployment.deployment_id)
    }

    #[test]
    fn the_unit_fingerprint_records_the_workload_and_target() {
        let fingerprint = unit_fingerprint(
            &target(),
            None,
            "run-fingerprint",
            &workload(),
            Some(10),
            7,
            0,
        );
        assert_eq!(fingerprint.model, "served-model");
        assert_eq!(fingerprint.model_sha256, "served");
        assert_eq!(fingerprint.task.task, "");
        assert_eq!(fingerprint.task.task_hash, "run-fingerprint");
        assert_eq!(fingerprint.task.prompt_hash, "d1".repeat(32));
        assert_eq!(
            fingerprint.task.dataset_sha256,
            BTreeMap::from([("chat.jsonl".to_string(), "f0".repeat(32))])
        );
        assert_eq!(fingerprint.task.limit, Some(10));
        assert_eq!(fingerprint.task.items, 2);
        assert_eq!(fingerprint.seed, 7);
        assert_eq!(fingerprint.threads, 0);
        assert_eq!(fingerprint.batching_scheme, target().details);
        assert_eq!(fingerprint.git_commit, crate::GIT_COMMIT);

        let engine = unit_fingerprint(&target(), Some("ab12"), "id", &workload(), None, 7, 4);
        assert_eq!(engine.model_sha256, "ab12");
        assert_eq!(engine.task.limit, None);
        assert_eq!(engine.threads, 4);
    }

    #[tokio::test]
    async fn a_finished_point_is_stored_as_a_unit_with_its_requests_and_metrics() {
        let (store, run_id, deployment_id) = store_with_run().await;
        let fingerprint = unit_fingerprint(&target(), None, "id", &workload(), None, 7, 0);
        let result = result(vec![completed(0, 4), completed(10, 3), refused(15)], false);

        store_point(&store, &run_id, &fingerprint, &deployment_id, &result, 1)
            .await
            .expect("store the point");

        let units = store.units(&run_id).await.expect("units");
        assert_eq!(units.len(), 1);
        let unit = &units[0];
        assert_eq!(unit.task, "bench:c=2#1");
        assert_eq!(unit.model, "served-model");
        assert_eq!(unit.fingerprint.task.task, "bench:c=2#1");
        assert_eq!(unit.items_total, 3);
        assert_eq!(unit.status, Status::Complete);
        assert!(unit.finished_at.is_some());
        assert_eq!(unit.deployment_id.as_deref(), Some(deployment_id.as_str()));

        let requests = store.requests(unit.unit_id).await.expect("requests");
        let stored: Vec<(u64, RequestTiming)> = requests
            .iter()
            .map(|(index, json)| (*index, serde_json::from_str(json).expect("a timing")))
            .collect();
        let expected: Vec<(u64, RequestTiming)> = result
            .timings
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (i as u64, t))
            .collect();
        assert_eq!(stored, expected);

        let metrics: Vec<MetricRecord> = store
            .metrics_for_run(&run_id)
            .await
            .expect("metrics")
            .into_iter()
            .filter(|metric| metric.unit_id == Some(unit.unit_id))
            .map(|metric| metric.record)
            .collect();
        let mut expected = result.metrics.records();
        expected.push(MetricRecord::new("cpu_percent", 42.0, Unit::Percent));
        assert_eq!(metrics, expected);
        let failed = metrics
            .iter()
            .find(|metric| metric.name == "requests_failed")
            .expect("a failed-request count");
        assert_eq!(failed.value, 1.0);
    }

    #[tokio::test]
    async fn an_interrupted_point_is_stored_as_interrupted() {
        let (store, run_id, deployment_id) = store_with_run().await;
        let fingerprint = unit_fingerprint(&target(), None, "id", &workload(), None, 7, 0);
        let result = result(vec![completed(0, 4)], true);

        store_point(&store, &run_id, &fingerprint, &deployment_id, &result, 0)
            .await
            .expect("store the point");

        let units = store.units(&run_id).await.expect("units");
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].task, "bench:c=2#0");
        assert_eq!(units[0].status, Status::Interrupted);
        assert_eq!(
            store
                .requests(units[0].unit_id)
                .await
                .expect("requests")
                .len(),
            1
        );
    }
}
