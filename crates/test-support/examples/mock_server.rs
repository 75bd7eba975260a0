//! The scripted mock OpenAI server as a standalone process, for load generators outside
//! yardstick (GuideLLM, vLLM's `bench serve`, ...) and for yardstick's own client in another
//! process.
//!
//! ```text
//! cargo run --release -p yardstick-test-support --example mock_server -- \
//!     --port 18200 --ttft-ms 20 --gap-ms 5 --log /tmp/mock-log.jsonl
//! ```
//!
//! It prints `listening on http://127.0.0.1:PORT/v1` once it accepts connections, serves
//! the model `mock-model` (`--model` to change) until SIGINT or SIGTERM, and with `--log`
//! appends one JSON line per generation request once the request is over:
//!
//! ```text
//! {"index": 0, "path": "/v1/completions", "prompt": "...", "status": 200,
//!  "completion_tokens": 32, "received": 1795467600.123456, "admitted": ..., "finished": ...,
//!  "sends": [{"at": 1795467600.143512, "kind": "tokens", "tokens": 1}, ...]}
//! ```
//!
//! Every time is UNIX wall-clock seconds. The mock times its writes with the monotonic
//! clock; they are turned into wall-clock time through one (`Instant`, `SystemTime`) pair
//! read together at start-up, so they are as comparable with another process's
//! `time.time()` as that process's own readings are (both read the system's real-time
//! clock; a step of the clock during a run would show as an offset).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use yardstick_test_support::mock_openai::{MockScript, MockServer, RequestLog, SentKind};

struct Options {
    port: u16,
    model: String,
    time_to_first_token: Duration,
    inter_token_gap: Duration,
    tokens_per_chunk: u32,
    max_concurrent: Option<usize>,
    log: Option<PathBuf>,
}

const USAGE: &str = "usage: mock_server [--port N] [--model NAME] [--ttft-ms MS] [--gap-ms MS] \
                     [--tokens-per-chunk N] [--max-concurrent N] [--log PATH]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        port: 0,
        model: "mock-model".to_string(),
        time_to_first_token: Duration::from_millis(20),
        inter_token_gap: Duration::from_millis(5),
        tokens_per_chunk: 1,
        max_concurrent: None,
        log: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let whole = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what} needs a whole number, not `{value}`"))
        };
        let millis = |what: &str| {
            value
                .parse::<f64>()
                .ok()
                .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
                .ok_or_else(|| format!("{what} needs milliseconds ≥ 0, not `{value}`"))
        };
        match flag.as_str() {
            "--port" => {
                options.port = u16::try_from(whole("--port")?)
                    .map_err(|_| format!("--port {value} is not a port"))?;
            }
            "--model" => options.model = value.clone(),
            "--ttft-ms" => options.time_to_first_token = millis("--ttft-ms")?,
            "--gap-ms" => options.inter_token_gap = millis("--gap-ms")?,
            "--tokens-per-chunk" => {
                options.tokens_per_chunk = u32::try_from(whole("--tokens-per-chunk")?.max(1))
                    .map_err(|_| format!("--tokens-per-chunk {value} is too large"))?;
            }
            "--max-concurrent" => {
                let slots = whole("--max-concurrent")?;
                options.max_concurrent = Some(
                    usize::try_from(slots.max(1))
                        .map_err(|_| format!("--max-concurrent {value} is too large"))?,
                );
            }
            "--log" => options.log = Some(PathBuf::from(&value)),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// Turns the mock's monotonic instants into UNIX seconds.
#[derive(Clone, Copy)]
struct WallClock {
    instant: Instant,
    unix_seconds: f64,
}

impl WallClock {
    fn now() -> WallClock {
        let instant = Instant::now();
        let system = SystemTime::now();
        let unix_seconds = system
            .duration_since(UNIX_EPOCH)
            .expect("the system clock is after 1970")
            .as_secs_f64();
        WallClock {
            instant,
            unix_seconds,
        }
    }

    fn seconds(&self, at: Instant) -> f64 {
        if at >= self.instant {
            self.unix_seconds + (at - self.instant).as_secs_f64()
        } else {
            self.unix_seconds - (self.instant - at).as_secs_f64()
        }
    }
}

fn kind_name(kind: SentKind) -> &'static str {
    match kind {
        SentKind::Role => "role",
        SentKind::Tokens => "tokens",
        SentKind::Usage => "usage",
        SentKind::Done => "done",
        SentKind::Malformed => "malformed",
        SentKind::Dropped => "dropped",
        SentKind::Body => "body",
    }
}

fn log_line(entry: &RequestLog, clock: &WallClock) -> Value {
    let sends: Vec<Value> = entry
        .sends
        .iter()
        .map(|sent| {
            json!({
                "at": clock.seconds(sent.at),
                "kind": kind_name(sent.kind),
                "tokens": sent.tokens,
            })
        })
        .collect();
    json!({
        "index": entry.index,
        "path": entry.path,
        "stream": entry.stream,
        "prompt": entry.prompt,
        "status": entry.status,
        "completion_tokens": entry.completion_tokens,
        "received": clock.seconds(entry.received),
        "admitted": entry.admitted.map(|at| clock.seconds(at)),
        "finished": entry.finished.map(|at| clock.seconds(at)),
        "sends": sends,
    })
}

/// A request is over when its response finished or its stream was dropped.
fn is_over(entry: &RequestLog) -> bool {
    entry.finished.is_some()
        || entry
            .sends
            .last()
            .is_some_and(|sent| sent.kind == SentKind::Dropped)
}

/// Appends finished requests to the log file, in index order as far as possible.
struct LogWriter {
    out: BufWriter<File>,
    clock: WallClock,
    /// Every request below this index is written.
    next: usize,
    /// Written requests at or above `next`.
    written_ahead: std::collections::BTreeSet<usize>,
}

impl LogWriter {
    /// Writes what finished since the last call; with `everything`, also what did not.
    fn write_finished(&mut self, server: &MockServer, everything: bool) -> std::io::Result<()> {
        let first = self.next;
        for entry in server.log_from(first) {
            let index = entry.index as usize;
            if self.written_ahead.contains(&index) || !(everything || is_over(&entry)) {
                continue;
            }
            serde_json::to_writer(&mut self.out, &log_line(&entry, &self.clock))?;
            self.out.write_all(b"\n")?;
            self.written_ahead.insert(index);
        }
        while self.written_ahead.remove(&self.next) {
            self.next += 1;
        }
        self.out.flush()
    }
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the mock's runtime");
    runtime.block_on(async move {
        let script = MockScript {
            models: vec![options.model.clone()],
            time_to_first_token: options.time_to_first_token,
            inter_token_gap: options.inter_token_gap,
            tokens_per_chunk: options.tokens_per_chunk,
            max_concurrent: options.max_concurrent,
            ..MockScript::default()
        };
        let address = SocketAddr::from(([127, 0, 0, 1], options.port));
        let server = MockServer::start_on(address, script)
            .await
            .unwrap_or_else(|error| panic!("listening on {address}: {error}"));
        let mut writer = options.log.as_ref().map(|path| {
            let file = File::create(path)
                .unwrap_or_else(|error| panic!("creating {}: {error}", path.display()));
            LogWriter {
                out: BufWriter::new(file),
                clock: WallClock::now(),
                next: 0,
                written_ahead: Default::default(),
            }
        });
        println!("listening on {}", server.base_url());
        std::io::stdout().flush().expect("stdout");
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = tick.tick() => {
                    if let Some(writer) = writer.as_mut() {
                        writer
                            .write_finished(&server, false)
                            .expect("writing the mock's log");
                    }
                }
            }
        }
        if let Some(writer) = writer.as_mut() {
            writer
                .write_finished(&server, true)
                .expect("writing the mock's log");
        }
        server.stop().await;
    });
}
