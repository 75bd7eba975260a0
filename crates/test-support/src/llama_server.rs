//! A real llama.cpp HTTP server (`llama-server`, built from source by
//! `scripts/setup-llama-server.sh`) on loopback, for integration tests of the OpenAI client
//! and `yardstick bench`. Killed when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::{require_or_skip, workspace_root};

/// How long the server may take to load the model and answer `/health`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);

/// The `llama-server` binary: `YARDSTICK_LLAMA_SERVER`, else the one the set-up builds.
/// `None` (a printed skip locally, a failure under `YARDSTICK_REQUIRE_MODELS=1`) when absent.
pub fn llama_server_binary() -> Option<PathBuf> {
    let found = match std::env::var_os("YARDSTICK_LLAMA_SERVER") {
        Some(path) => Some(PathBuf::from(path)),
        None => Some(workspace_root().join("target/llama-server/bin/llama-server")),
    }
    .filter(|path| path.is_file());
    require_or_skip(
        "llama-server (scripts/setup-llama-server.sh builds it)",
        found,
    )
}

/// A running `llama-server`.
#[derive(Debug)]
pub struct LlamaServer {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl LlamaServer {
    /// Starts `binary` serving `model` on a free loopback port with test-sized settings
    /// (2 threads, 4 slots sharing a 2048-token context, no web UI) plus `extra_args`, and
    /// waits until `/health` answers 200. The error carries the server's log.
    ///
    /// `--no-repack`: this llama.cpp's AMX matrix kernel (used for repacked weights on CPUs
    /// with AMX, as the development machine has) crashes the server on its first graph
    /// (SIGSEGV in `ggml_backend_amx_mul_mat`); without repacking it runs.
    pub fn start(binary: &Path, model: &Path, extra_args: &[&str]) -> Result<LlamaServer, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("finding a free port: {error}"))?
            .port();
        let log = std::env::temp_dir().join(format!("llama-server-{port}.log"));
        let log_file = std::fs::File::create(&log)
            .map_err(|error| format!("creating {}: {error}", log.display()))?;
        let stderr = log_file
            .try_clone()
            .map_err(|error| format!("duplicating the log handle: {error}"))?;
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--model")
            .arg(model)
            .args([
                "--threads",
                "2",
                "--parallel",
                "4",
                "--ctx-size",
                "2048",
                "--no-repack",
                "--no-webui",
            ])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("starting {}: {error}", binary.display()))?;
        let mut server = LlamaServer {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "llama-server exited with {status}:\n{}",
                    server.log_text()
                ));
            }
            if server.healthy() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "llama-server did not become healthy in {STARTUP_TIMEOUT:?}:\n{}",
                    server.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The OpenAI base URL: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.address, Duration::from_secs(1))
        else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET /health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.starts_with("HTTP/1.1 200")
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
