//! The sandbox lifecycle paths: shapes, statuses, limits and listing.

mod common;

use std::time::Duration;

use common::{config, fields, start, start_with};
use leap0_emulator::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn is_rfc3339_utc(text: &Value) -> bool {
    let text = text.as_str().unwrap();
    text.ends_with('Z') && humantime::parse_rfc3339(text).is_ok()
}

#[tokio::test]
async fn create_answers_201_with_defaults_and_keeps_env_vars_private() {
    let (emulator, api) = start().await;
    let body = json!({"template_name": "system/debian:bookworm", "env_vars": {"TOKEN": "t0p"}});

    let (status, created) = api.post("/v1/sandbox/", body).await;

    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("sbx-"));
    assert!(id[4..]
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(created["template_id"], "system/debian:bookworm");
    assert_eq!(created["state"], "running");
    assert_eq!(
        (&created["vcpu"], &created["memory"], &created["timeout"]),
        (&json!(1), &json!(1024), &json!(300))
    );
    assert!(created["disk"].as_u64().unwrap() >= 1);
    assert_eq!(created["auto_pause"], false);
    assert!(is_rfc3339_utc(&created["created_at"]));
    assert!(created.get("env_vars").is_none());
    let kept = emulator.store().sandbox(id).unwrap();
    assert_eq!(kept.env_vars["TOKEN"], "t0p");
}

#[tokio::test]
async fn create_echoes_the_requested_sizes_policy_and_mounts() {
    let (_emulator, api) = start().await;
    let policy = json!({"mode": "custom", "allow_domains": ["example.com"],
        "allow_cidrs": ["10.0.0.0/8"], "transforms": [{"domain": "api.example.com",
        "inject_headers": {"x-key": "v"}, "strip_headers": ["cookie"]}]});
    let mount = json!({"type": "object-storage", "bucket": "assets", "mount_path": "/data",
        "endpoint": "https://s3.example.com", "prefix": "docs/", "secret_access_key": "s"});
    let body = json!({"template_name": "t", "vcpu": 8, "memory": 8192, "timeout": 28800,
        "auto_pause": true, "network_policy": policy, "mounts": [mount]});

    let (status, created) = api.post("/v1/sandbox/", body).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["vcpu"], 8);
    assert_eq!(created["memory"], 8192);
    assert_eq!(created["timeout"], 28800);
    assert_eq!(created["auto_pause"], true);
    assert_eq!(created["network_policy"], policy);
    let mounts = created["mounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 1);
    assert!(mounts[0]["id"].as_str().unwrap().starts_with("mnt-"));
    assert_eq!(mounts[0]["bucket"], "assets");
    assert_eq!(mounts[0]["read_only"], true);
    assert!(mounts[0].get("secret_access_key").is_none());
}

#[tokio::test]
async fn get_answers_the_status_and_delete_removes_it() {
    let (_emulator, api) = start().await;
    let id = api.sandbox().await;
    let path = format!("/v1/sandbox/{id}/");

    let (status, sandbox) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sandbox["id"], id.as_str());
    assert_eq!(sandbox["state"], "running");
    for field in [
        "template_id",
        "vcpu",
        "memory",
        "disk",
        "timeout",
        "auto_pause",
    ] {
        assert!(sandbox.get(field).is_some(), "missing {field}");
    }

    let (status, body) = api.delete(&path).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string());
    assert_eq!(api.delete(&path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_and_escaping_ids_are_404() {
    let (_emulator, api) = start().await;
    let other = api.sandbox().await;
    for id in ["sbx-nope", "..%2Fother", "%2E%2E", "sbx-%FF"] {
        let (status, body) = api.get(&format!("/v1/sandbox/{id}/")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert!(body["message"].is_string());
    }
    let (status, _) = api.get(&format!("/v1/sandbox/..%2F{other}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sandbox_directories_follow_the_sandbox() {
    let (emulator, api) = start().await;
    let id = api.sandbox().await;
    let dir = emulator.store().sandbox_dir(&id);
    assert!(dir.is_dir());
    std::fs::write(dir.join("file"), "x").unwrap();

    api.delete(&format!("/v1/sandbox/{id}/")).await;

    assert!(!dir.exists());
}

#[tokio::test]
async fn creating_past_max_sandboxes_is_409_until_one_is_deleted() {
    let (_emulator, api) = start_with(Config {
        max_sandboxes: 2,
        ..config()
    })
    .await;
    let first = api.sandbox().await;
    api.sandbox().await;

    let (status, body) = api
        .post("/v1/sandbox/", json!({"template_name": "t"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].is_string());

    api.delete(&format!("/v1/sandbox/{first}/")).await;
    api.sandbox().await;
}

#[tokio::test]
async fn list_pages_and_orders_by_creation() {
    let (_emulator, api) = start().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(api.sandbox().await);
    }
    let listed = |body: &Value| -> Vec<String> {
        let items = body["items"].as_array().unwrap();
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, all) = api.get("/v1/sandboxes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total_items"], 5);
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(listed(&all), newest_first);
    let item = &all["items"][0];
    for field in [
        "template_id",
        "pod_id",
        "state",
        "created_at",
        "launch_time",
    ] {
        assert!(item.get(field).is_some(), "missing {field}");
    }
    assert!(item["timeout_at"].is_u64());

    let (_, page) = api
        .get("/v1/sandboxes?order-by=asc&page=2&page-size=2")
        .await;
    assert_eq!(page["total_items"], 5);
    assert_eq!(listed(&page), ids[2..4]);
    let (_, past_end) = api.get("/v1/sandboxes?page=4&page-size=2").await;
    assert_eq!(listed(&past_end), Vec::<String>::new());
    let (_, by_state) = api.get("/v1/sandboxes?sort=state&order-by=asc").await;
    assert_eq!(listed(&by_state), ids);
}

#[tokio::test]
async fn list_filters_by_state() {
    let (_emulator, api) = start().await;
    api.sandbox().await;

    let (_, running) = api.get("/v1/sandboxes?state=running").await;
    let (_, paused) = api.get("/v1/sandboxes?state=paused").await;

    assert_eq!(running["total_items"], 1);
    assert_eq!(paused["total_items"], 0);
    assert_eq!(paused["items"], json!([]));
}

#[tokio::test]
async fn list_rejects_bad_parameters_by_name() {
    let (_emulator, api) = start().await;
    let cases = [
        ("state=gone", "state"),
        ("sort=name", "sort"),
        ("order-by=up", "order-by"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page-size=0", "page-size"),
        ("page-size=101", "page-size"),
    ];
    for (query, field) in cases {
        let (status, body) = api.get(&format!("/v1/sandboxes?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(fields(&body), [field]);
    }
    let (_, body) = api.get("/v1/sandboxes?page=0&page-size=500").await;
    assert_eq!(fields(&body), ["page", "page-size"]);
}

#[tokio::test]
async fn sandboxes_created_apart_get_increasing_timestamps() {
    let (_emulator, api) = start().await;
    let first = api.sandbox().await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = api.sandbox().await;
    let created = |body: Value| humantime::parse_rfc3339(body["created_at"].as_str().unwrap());

    let a = created(api.get(&format!("/v1/sandbox/{first}/")).await.1).unwrap();
    let b = created(api.get(&format!("/v1/sandbox/{second}/")).await.1).unwrap();

    assert!(a < b);
}
