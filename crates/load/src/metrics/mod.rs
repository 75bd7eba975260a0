//! Metrics of a serving load test, as pure functions of [`RequestTiming`] records.
//!
//! Exact definitions (offsets from the run's start; `n` = completion tokens; "token chunk" =
//! a chunk carrying at least one token). `docs/metrics.md` compares each with `vllm bench
//! serve`, GuideLLM and AIPerf.
//!
//! Per request:
//! - TTFT = first token chunk − sent; `ttft_from_schedule` = first token chunk − scheduled.
//! - E2E = last byte − sent; `e2e_from_schedule` = last byte − scheduled.
//! - schedule lag = sent − scheduled (how late the load generator was).
//! - TPOT = (last token chunk − first token chunk) / (n − 1); undefined for n < 2. The first
//!   token is not included (vLLM's definition).
//! - ITL: per token (default) or per chunk, see [`ItlDefinition`].
//!
//! Per run, over measured requests (all but the first `warmup_requests` by send time):
//! - duration = latest `finished` − earliest `sent`, failed requests included;
//! - request throughput = completed / duration; output token throughput = Σ completion
//!   tokens of completed requests / duration; total token throughput adds their prompt tokens;
//! - error rate = failed / measured; failures are also counted by cause, never dropped;
//! - goodput = completed requests meeting every [`Slo`] threshold / duration;
//! - latency distributions (mean, sample std, min, max, p50/p90/p95/p99) over completed
//!   requests only; ITL pools every sample of every completed request.
//!
//! [`RequestTiming`]: crate::timing::RequestTiming

mod distribution;
mod request;
mod run;

pub use distribution::Distribution;
pub use request::{
    e2e, e2e_from_schedule, inter_token_latencies, schedule_lag, tpot, ttft, ttft_from_schedule,
    ItlDefinition, LatencyOrigin, RequestMetrics,
};
pub use run::{summarize_run, warmup_mask, MetricsOptions, RunMetrics, Slo};
