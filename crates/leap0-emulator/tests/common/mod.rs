//! Helpers shared by the integration tests: an emulator per test, a small JSON client, and a
//! raw TCP client for answers no HTTP client would show as they are.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use leap0_emulator::{Config, Emulator};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A data dir of its own for each emulator (under Cargo's scratch dir for tests), so tests
/// can look at sandbox directories.
pub fn data_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("emulator-{}-{n}", std::process::id());
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

pub fn config() -> Config {
    Config {
        data_dir: data_dir(),
        ..Config::default()
    }
}

pub async fn start() -> (Emulator, Api) {
    start_with(config()).await
}

pub async fn start_with(config: Config) -> (Emulator, Api) {
    let emulator = Emulator::start(config).await.unwrap();
    let api = Api::new(&emulator);
    (emulator, api)
}

/// A JSON client bound to one emulator and its key.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    pub fn new(emulator: &Emulator) -> Self {
        Self {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: emulator.base_url().to_owned(),
            key: emulator.api_key().to_owned(),
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    /// Creates a sandbox and returns its id.
    pub async fn sandbox(&self) -> String {
        let body = serde_json::json!({"template_name": "system/debian:bookworm"});
        let (status, body) = self.post("/v1/sandbox/", body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates an SSH access for the sandbox and returns its body.
    pub async fn access(&self, sandbox: &str) -> Value {
        let path = format!("/v1/sandbox/{sandbox}/ssh/access");
        let (status, body) = self.post(&path, Value::Null).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn validate(&self, sandbox: &str, id: &str, password: &str) -> (StatusCode, Value) {
        let path = format!("/v1/sandbox/{sandbox}/ssh/{id}/validate");
        self.post(&path, serde_json::json!({ "password": password }))
            .await
    }

    pub async fn stats(&self, route: &str) -> Value {
        let (_, stats) = self.get("/_emulator/stats").await;
        stats[route].clone()
    }
}

/// The field names of a 400 validation answer.
pub fn fields(body: &Value) -> Vec<String> {
    assert_eq!(body["message"], "Invalid request", "{body}");
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Sends `request` as is and returns every byte the server sends until it closes.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    match tokio::time::timeout(Duration::from_secs(10), read).await {
        Ok(Ok(_)) => {}
        // A reset after the data still counts as the server closing.
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Ok(Err(err)) => panic!("read failed: {err}"),
        Err(_) => panic!("server kept the connection open"),
    }
    answer
}

/// A complete HTTP/1.1 request that asks the server to close after answering.
pub fn raw_request(method: &str, path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
