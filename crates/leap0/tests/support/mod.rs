//! Shared by the integration tests: an in-process emulator per test with faults on, a
//! client for it that never reads the real environment, and raw HTTP helpers that program
//! faults and read the emulator's state and stats.
#![allow(dead_code)]

pub mod wire;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use leap0::{Client, ClientBuilder, RequestOptions};
use leap0_emulator::{Config, Emulator};
use serde_json::{json, Value};

pub const CREATE: &str = "POST /v1/sandbox/";
pub const GET: &str = "GET /v1/sandbox/{sandboxID}/";
pub const DELETE: &str = "DELETE /v1/sandbox/{sandboxID}/";
pub const LIST: &str = "GET /v1/sandboxes";
pub const CREATE_ACCESS: &str = "POST /v1/sandbox/{sandboxID}/ssh/access";
pub const DELETE_ACCESS: &str = "DELETE /v1/sandbox/{sandboxID}/ssh/{sshID}";
pub const VALIDATE: &str = "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate";
pub const REGEN: &str = "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen";

/// One emulator, a client bound to it, and a plain HTTP client for the test endpoints.
pub struct Harness {
    pub emulator: Emulator,
    pub client: Client,
    raw: reqwest::Client,
    data_dir: PathBuf,
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Sandbox directories would otherwise pile up under target/ run after run.
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A data dir of its own for each emulator, under Cargo's scratch dir for tests.
fn data_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("leap0-emulator-{}-{n}", std::process::id());
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

pub fn config() -> Config {
    Config {
        data_dir: data_dir(),
        faults: true,
        ..Config::default()
    }
}

/// A builder for `emulator` that reads nothing from the process environment, so neither a
/// developer's `LEAP0_*` nor their proxy variables can change what a test sees.
pub fn builder_for(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .timeout(Duration::from_secs(20))
}

pub fn no_env(_: &str) -> Option<String> {
    None
}

pub async fn start() -> Harness {
    start_with(config(), |builder| builder).await
}

pub async fn start_with(
    config: Config,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Harness {
    let data_dir = config.data_dir.clone();
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let client = configure(builder_for(&emulator))
        .build_with_env(no_env)
        .expect("client builds");
    let raw = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("raw client");
    Harness {
        emulator,
        client,
        raw,
        data_dir,
    }
}

/// Counters of one route in `/_emulator/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub applied: u64,
    pub cancelled: u64,
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request
            .bearer_auth(self.emulator.api_key())
            .send()
            .await
            .expect("emulator answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, body)
    }

    /// Makes the next `times` requests matching `method` and `path` (a route template or
    /// an exact path) fail as `fault` says.
    pub async fn fault(&self, method: &str, path: &str, times: u32, fault: Value) {
        let rule = json!({"method": method, "path": path, "times": times, "fault": fault});
        let request = self.raw.post(self.url("/_emulator/faults")).json(&rule);
        let (status, body) = self.send(request).await;
        assert_eq!(status, 204, "programming a fault: {body}");
    }

    /// A `status` fault: the next `times` matching requests get `status` and the
    /// emulator's default body for it.
    pub async fn status_fault(&self, method: &str, path: &str, times: u32, status: u16) {
        let fault = json!({"kind": "status", "status": status});
        self.fault(method, path, times, fault).await;
    }

    /// Counters of `route` (e.g. [`CREATE`]).
    pub async fn stats(&self, route: &str) -> Counts {
        let (status, stats) = self.send(self.raw.get(self.url("/_emulator/stats"))).await;
        assert_eq!(status, 200, "{stats}");
        let counts = &stats[route];
        let read = |name: &str| counts[name].as_u64().expect("a count");
        Counts {
            received: read("received"),
            applied: read("applied"),
            cancelled: read("cancelled"),
        }
    }

    /// Every route's counters, to check that nothing at all was sent.
    pub async fn all_stats(&self) -> Value {
        self.send(self.raw.get(self.url("/_emulator/stats")))
            .await
            .1
    }

    pub async fn reset_stats(&self) {
        let request = self.raw.post(self.url("/_emulator/stats/reset"));
        assert_eq!(self.send(request).await.0, 204);
    }

    /// Live sandboxes and accesses not deleted.
    pub async fn state(&self) -> (u64, u64) {
        let (_, state) = self.send(self.raw.get(self.url("/_emulator/state"))).await;
        let read = |name: &str| state[name].as_u64().expect("a count");
        (read("sandboxes"), read("accesses"))
    }

    /// Waits until `route` has counted a cancelled request: the emulator notices a client
    /// hanging up a moment after the client does.
    pub async fn wait_for_cancelled(&self, route: &str, expected: u64) -> Counts {
        let started = Instant::now();
        loop {
            let counts = self.stats(route).await;
            if counts.cancelled >= expected || started.elapsed() > Duration::from_secs(5) {
                return counts;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates a sandbox through the client and returns its id.
    pub async fn sandbox(&self) -> String {
        let params = Default::default();
        let sandbox = self
            .client
            .sandboxes()
            .create(&params, &opts())
            .await
            .expect("sandbox created");
        sandbox.id
    }
}

/// Default per-call options.
pub fn opts() -> RequestOptions {
    RequestOptions::default()
}

/// Options with a retry budget of its own.
pub fn retries(max_retries: u32) -> RequestOptions {
    RequestOptions {
        max_retries: Some(max_retries),
        ..RequestOptions::default()
    }
}

/// Options with one extra header.
pub fn header(name: &str, value: &str) -> RequestOptions {
    RequestOptions {
        headers: vec![(name.to_owned(), value.to_owned())],
        ..RequestOptions::default()
    }
}

/// A client of `base` with `key` and nothing else set, the environment ignored.
pub fn client_at(key: &str, base: impl Into<String>) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(base)
        .build_with_env(no_env)
        .expect("client")
}

/// Options with a timeout of its own.
pub fn timeout(timeout: Duration) -> RequestOptions {
    RequestOptions {
        timeout: Some(timeout),
        ..RequestOptions::default()
    }
}

/// Runs `future` and returns its output and how long it took.
pub async fn timed<T>(future: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = future.await;
    (output, started.elapsed())
}
