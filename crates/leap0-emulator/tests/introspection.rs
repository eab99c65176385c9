//! `/_emulator/state` and `/_emulator/stats`.

mod common;

use common::start;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ROUTES: [&str; 8] = [
    "POST /v1/sandbox/",
    "GET /v1/sandbox/{sandboxID}/",
    "DELETE /v1/sandbox/{sandboxID}/",
    "GET /v1/sandboxes",
    "POST /v1/sandbox/{sandboxID}/ssh/access",
    "DELETE /v1/sandbox/{sandboxID}/ssh/{sshID}",
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate",
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
];

fn counts(received: u64, applied: u64) -> Value {
    json!({"received": received, "applied": applied, "cancelled": 0})
}

#[tokio::test]
async fn state_counts_live_sandboxes_and_accesses() {
    let (_emulator, api) = start().await;
    assert_eq!(
        api.get("/_emulator/state").await,
        (StatusCode::OK, json!({"sandboxes": 0, "accesses": 0}))
    );

    let first = api.sandbox().await;
    let second = api.sandbox().await;
    let access = api.access(&first).await;
    api.access(&first).await;
    api.access(&second).await;
    assert_eq!(
        api.get("/_emulator/state").await.1,
        json!({"sandboxes": 2, "accesses": 3})
    );

    let id = access["id"].as_str().unwrap();
    api.delete(&format!("/v1/sandbox/{first}/ssh/{id}")).await;
    assert_eq!(
        api.get("/_emulator/state").await.1,
        json!({"sandboxes": 2, "accesses": 2})
    );
    api.delete(&format!("/v1/sandbox/{first}/")).await;
    assert_eq!(
        api.get("/_emulator/state").await.1,
        json!({"sandboxes": 1, "accesses": 1})
    );
}

#[tokio::test]
async fn stats_list_every_route_and_count_what_was_applied() {
    let (_emulator, api) = start().await;

    let (status, stats) = api.get("/_emulator/stats").await;
    assert_eq!(status, StatusCode::OK);
    let zero = counts(0, 0);
    for route in ROUTES {
        assert_eq!(stats[route], zero, "{route}");
    }
    assert_eq!(stats.as_object().unwrap().len(), ROUTES.len());

    let sandbox = api.sandbox().await;
    api.get(&format!("/v1/sandbox/{sandbox}/")).await;
    api.get("/v1/sandbox/sbx-missing/").await;
    api.post("/v1/sandbox/", json!({})).await;
    let access = api.access(&sandbox).await;
    let id = access["id"].as_str().unwrap();
    api.validate(&sandbox, id, "wrong").await;

    let (_, stats) = api.get("/_emulator/stats").await;
    assert_eq!(stats[ROUTES[0]], counts(2, 1));
    assert_eq!(stats[ROUTES[1]], counts(2, 1));
    assert_eq!(stats[ROUTES[4]], counts(1, 1));
    assert_eq!(stats[ROUTES[6]], counts(1, 1));
    assert_eq!(stats[ROUTES[3]], zero);
}

#[tokio::test]
async fn stats_reset_to_zero() {
    let (_emulator, api) = start().await;
    api.sandbox().await;

    let (status, _) = api.post("/_emulator/stats/reset", Value::Null).await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, stats) = api.get("/_emulator/stats").await;
    assert_eq!(
        stats[ROUTES[0]],
        json!({"received": 0, "applied": 0, "cancelled": 0})
    );
    assert_eq!(api.get("/_emulator/state").await.1["sandboxes"], 1);
}
