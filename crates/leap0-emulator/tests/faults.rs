//! Programmed faults, checked on the wire with a raw TCP client where HTTP clients would
//! hide what happened.

mod common;

use std::time::Duration;

use common::{config, raw, raw_request, start_with, Api};
use leap0_emulator::{Config, Emulator};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CREATE: &str = "POST /v1/sandbox/";
const GET: &str = "GET /v1/sandbox/{sandboxID}/";
const CREATE_BODY: &str = r#"{"template_name": "t"}"#;

async fn start() -> (Emulator, Api) {
    start_with(Config {
        faults: true,
        ..config()
    })
    .await
}

async fn program(api: &Api, method: &str, path: &str, times: u32, fault: Value) {
    let rule = json!({"method": method, "path": path, "times": times, "fault": fault});
    let (status, body) = api.post("/_emulator/faults", rule).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn live_sandboxes(api: &Api) -> u64 {
    api.get("/_emulator/state").await.1["sandboxes"]
        .as_u64()
        .unwrap()
}

fn split_head(answer: &[u8]) -> (String, Vec<u8>) {
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8(answer[..end].to_vec())
        .unwrap()
        .to_lowercase();
    (head, answer[end..].to_vec())
}

#[tokio::test]
async fn status_answers_instead_of_the_handler() {
    let (_emulator, api) = start().await;
    let fault = json!({"kind": "status", "status": 503, "body": {"message": "busy"},
        "headers": {"retry-after": "2"}});
    program(&api, "POST", "/v1/sandbox/", 2, fault).await;

    for _ in 0..2 {
        let request = api
            .request(reqwest::Method::POST, "/v1/sandbox/")
            .body(CREATE_BODY);
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "busy"})
        );
    }
    assert_eq!(live_sandboxes(&api).await, 0);
    api.sandbox().await;
    let stats = api.stats(CREATE).await;
    assert_eq!(stats, json!({"received": 3, "applied": 1, "cancelled": 0}));
}

#[tokio::test]
async fn status_can_send_a_raw_body_and_match_an_exact_path() {
    let (_emulator, api) = start().await;
    let id = api.sandbox().await;
    let other = api.sandbox().await;
    let fault = json!({"kind": "status", "status": 429, "body": "slow down"});
    program(&api, "GET", &format!("/v1/sandbox/{id}/"), 1, fault).await;

    assert_eq!(
        api.get(&format!("/v1/sandbox/{other}/")).await.0,
        StatusCode::OK
    );
    let request = api.request(reqwest::Method::GET, &format!("/v1/sandbox/{id}/"));
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.text().await.unwrap(), "slow down");
}

#[tokio::test]
async fn delay_runs_the_handler_late_or_counts_a_cancel() {
    let (_emulator, api) = start().await;
    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "delay", "ms": 500}),
    )
    .await;
    let request = api
        .request(reqwest::Method::POST, "/v1/sandbox/")
        .body(CREATE_BODY);

    let gave_up = request.timeout(Duration::from_millis(100)).send().await;
    assert!(gave_up.unwrap_err().is_timeout());
    tokio::time::sleep(Duration::from_millis(700)).await;

    assert_eq!(live_sandboxes(&api).await, 0);
    let stats = api.stats(CREATE).await;
    assert_eq!(stats, json!({"received": 1, "applied": 0, "cancelled": 1}));

    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "delay", "ms": 150}),
    )
    .await;
    let started = std::time::Instant::now();
    api.sandbox().await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn stall_after_headers_sends_headers_then_nothing() {
    let (emulator, api) = start().await;
    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "stall_after_headers"}),
    )
    .await;
    let mut stream = TcpStream::connect(emulator.http_addr()).await.unwrap();
    let request = raw_request("POST", "/v1/sandbox/", &api.key, CREATE_BODY);
    stream.write_all(&request).await.unwrap();

    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the headers");
        seen.extend_from_slice(&buf[..n]);
    }
    let (head, _) = split_head(&seen);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"));
    let more = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    assert!(more.is_err(), "the body should stall");
    assert_eq!(live_sandboxes(&api).await, 0);
}

#[tokio::test]
async fn stall_after_headers_can_end_after_a_while() {
    let (emulator, api) = start().await;
    let fault = json!({"kind": "stall_after_headers", "ms": 200});
    program(&api, "POST", "/v1/sandbox/", 1, fault).await;
    let request = raw_request("POST", "/v1/sandbox/", &api.key, CREATE_BODY);

    let started = std::time::Instant::now();
    let answer = raw(emulator.http_addr(), &request).await;

    assert!(started.elapsed() >= Duration::from_millis(200));
    let (head, _) = split_head(&answer);
    assert!(head.starts_with("http/1.1 200"), "{head}");
}

#[tokio::test]
async fn drop_before_apply_closes_without_a_byte_and_changes_nothing() {
    let (emulator, api) = start().await;
    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "drop_before_apply"}),
    )
    .await;

    let request = raw_request("POST", "/v1/sandbox/", &api.key, CREATE_BODY);
    let answer = raw(emulator.http_addr(), &request).await;

    assert_eq!(String::from_utf8_lossy(&answer), "");
    assert_eq!(live_sandboxes(&api).await, 0);
    let stats = api.stats(CREATE).await;
    assert_eq!(stats, json!({"received": 1, "applied": 0, "cancelled": 0}));
}

#[tokio::test]
async fn drop_after_apply_closes_without_a_byte_after_the_change() {
    let (emulator, api) = start().await;
    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "drop_after_apply"}),
    )
    .await;

    let request = raw_request("POST", "/v1/sandbox/", &api.key, CREATE_BODY);
    let answer = raw(emulator.http_addr(), &request).await;

    assert_eq!(String::from_utf8_lossy(&answer), "");
    assert_eq!(live_sandboxes(&api).await, 1);
    let stats = api.stats(CREATE).await;
    assert_eq!(stats, json!({"received": 1, "applied": 1, "cancelled": 0}));

    program(
        &api,
        "GET",
        "/v1/sandboxes",
        1,
        json!({"kind": "drop_before_apply"}),
    )
    .await;
    let http_client_sees = api
        .request(reqwest::Method::GET, "/v1/sandboxes")
        .send()
        .await;
    assert!(http_client_sees.is_err());
}

#[tokio::test]
async fn truncated_body_promises_more_than_it_sends() {
    let (emulator, api) = start().await;
    let id = api.sandbox().await;
    program(
        &api,
        "GET",
        "/v1/sandbox/{sandboxID}/",
        1,
        json!({"kind": "truncated_body"}),
    )
    .await;

    let request = raw_request("GET", &format!("/v1/sandbox/{id}/"), &api.key, "");
    let (head, body) = split_head(&raw(emulator.http_addr(), &request).await);

    assert!(head.starts_with("http/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < length,
        "{} of {length}",
        body.len()
    );
    assert_eq!(api.stats(GET).await["applied"], 1);
}

#[tokio::test]
async fn oversized_body_streams_the_asked_size() {
    let (_emulator, api) = start().await;
    program(
        &api,
        "GET",
        "/v1/sandboxes",
        1,
        json!({"kind": "oversized_body"}),
    )
    .await;
    let fault = json!({"kind": "oversized_body", "bytes": 100, "chunked": true});
    program(&api, "GET", "/v1/sandboxes", 1, fault).await;

    let response = api
        .request(reqwest::Method::GET, "/v1/sandboxes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(11 * 1024 * 1024));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 11 * 1024 * 1024);
    assert!(serde_json::from_slice::<Value>(&body).unwrap().is_object());

    let response = api
        .request(reqwest::Method::GET, "/v1/sandboxes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), None);
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 100);
    assert!(serde_json::from_slice::<Value>(&body).is_ok());
}

#[tokio::test]
async fn malformed_json_answers_the_documented_status_and_applies_on_request() {
    let (_emulator, api) = start().await;
    program(
        &api,
        "POST",
        "/v1/sandbox/",
        1,
        json!({"kind": "malformed_json"}),
    )
    .await;
    let fault = json!({"kind": "malformed_json", "apply": true});
    program(&api, "POST", "/v1/sandbox/", 1, fault).await;

    for expected_live in [0, 1] {
        let request = api
            .request(reqwest::Method::POST, "/v1/sandbox/")
            .body(CREATE_BODY);
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["content-type"], "application/json");
        let text = response.text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
        assert_eq!(live_sandboxes(&api).await, expected_live);
    }
}

#[tokio::test]
async fn html_is_a_proxy_error_page() {
    let (_emulator, api) = start().await;
    program(&api, "GET", "/v1/sandboxes", 1, json!({"kind": "html"})).await;

    let response = api
        .request(reqwest::Method::GET, "/v1/sandboxes")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("<html>"));
}

#[tokio::test]
async fn clearing_forgets_programmed_faults() {
    let (_emulator, api) = start().await;
    program(&api, "GET", "/v1/sandboxes", 5, json!({"kind": "html"})).await;

    let (status, _) = api.delete("/_emulator/faults").await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/v1/sandboxes").await.0, StatusCode::OK);
}

#[tokio::test]
async fn bad_fault_programs_are_400() {
    let (_emulator, api) = start().await;
    let rules = [
        json!({"method": "GET", "path": "/v1/sandboxes", "fault": {"kind": "explode"}}),
        json!({"method": "GET", "path": "/v1/sandboxes", "fault": {"kind": "delay"}}),
        json!({"method": "GET", "path": "/v1/sandboxes", "times": 0, "fault": {"kind": "html"}}),
        json!({"method": "G T", "path": "/v1/sandboxes", "fault": {"kind": "html"}}),
        json!({"method": "GET", "path": "v1", "fault": {"kind": "html"}}),
        json!({"method": "GET", "path": "/x", "fault": {"kind": "status", "status": 42}}),
        json!({"path": "/x", "fault": {"kind": "html"}}),
    ];
    for rule in rules {
        let (status, body) = api.post("/_emulator/faults", rule.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{rule}");
        assert_eq!(body["message"], "Invalid request");
    }
}
