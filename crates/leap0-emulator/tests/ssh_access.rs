//! The SSH access paths, and the store interface the SSH gateway will use.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{config, fields, start, start_with};
use leap0_emulator::state::{AuthFailure, EndReason};
use leap0_emulator::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn text(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_issues_a_usable_credential() {
    let (emulator, api) = start().await;
    let sandbox = api.sandbox().await;

    let access = api.access(&sandbox).await;

    let id = text(&access, "id");
    assert!(id.len() <= 32 && id.as_bytes()[0].is_ascii_lowercase());
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    assert_eq!(access["sandbox_id"], sandbox.as_str());
    assert!(text(&access, "password").len() >= 24);
    assert_eq!(access["created_at"], access["updated_at"]);
    let created = humantime::parse_rfc3339(&text(&access, "created_at")).unwrap();
    let expires = humantime::parse_rfc3339(&text(&access, "expires_at")).unwrap();
    assert_eq!(
        expires.duration_since(created).unwrap(),
        Duration::from_secs(3600)
    );
    let port = emulator.ssh_addr().port();
    assert_eq!(
        text(&access, "ssh_command"),
        format!("ssh -p {port} {id}@127.0.0.1")
    );
}

#[tokio::test]
async fn passwords_are_unique() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let mut seen = HashSet::new();
    for _ in 0..10 {
        let access = api.access(&sandbox).await;
        assert!(seen.insert(text(&access, "password")));
    }
}

#[tokio::test]
async fn validate_tells_right_from_wrong_passwords() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let access = api.access(&sandbox).await;
    let (id, password) = (text(&access, "id"), text(&access, "password"));

    let right = api.validate(&sandbox, &id, &password).await;
    let wrong = api.validate(&sandbox, &id, "not-the-password").await;

    assert_eq!(
        right,
        (
            StatusCode::OK,
            json!({"valid": true, "sandbox_id": sandbox})
        )
    );
    assert_eq!(
        wrong,
        (
            StatusCode::OK,
            json!({"valid": false, "sandbox_id": sandbox})
        )
    );
}

#[tokio::test]
async fn validate_refuses_an_expired_credential() {
    let (_emulator, api) = start_with(Config {
        ssh_ttl: Duration::from_millis(300),
        ..config()
    })
    .await;
    let sandbox = api.sandbox().await;
    let access = api.access(&sandbox).await;
    let (id, password) = (text(&access, "id"), text(&access, "password"));
    assert_eq!(
        api.validate(&sandbox, &id, &password).await.1["valid"],
        true
    );

    tokio::time::sleep(Duration::from_millis(400)).await;

    let (status, body) = api.validate(&sandbox, &id, &password).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["valid"], false);
}

#[tokio::test]
async fn regenerate_keeps_the_id_and_replaces_password_and_expiry() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let old = api.access(&sandbox).await;
    let id = text(&old, "id");
    tokio::time::sleep(Duration::from_millis(10)).await;

    let path = format!("/v1/sandbox/{sandbox}/ssh/{id}/regen");
    let (status, new) = api.post(&path, Value::Null).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(new["id"], id.as_str());
    assert_eq!(new["sandbox_id"], sandbox.as_str());
    assert_eq!(new["created_at"], old["created_at"]);
    assert_ne!(new["password"], old["password"]);
    assert_ne!(new["expires_at"], old["expires_at"]);
    assert_ne!(new["updated_at"], old["updated_at"]);
    assert!(text(&new, "password").len() >= 24);
    let old_password = text(&old, "password");
    assert_eq!(
        api.validate(&sandbox, &id, &old_password).await.1["valid"],
        false
    );
    let new_password = text(&new, "password");
    assert_eq!(
        api.validate(&sandbox, &id, &new_password).await.1["valid"],
        true
    );
}

#[tokio::test]
async fn deleted_credentials_are_gone() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let access = api.access(&sandbox).await;
    let (id, password) = (text(&access, "id"), text(&access, "password"));
    let path = format!("/v1/sandbox/{sandbox}/ssh/{id}");

    let (status, body) = api.delete(&path).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));

    assert_eq!(
        api.validate(&sandbox, &id, &password).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.delete(&path).await.0, StatusCode::NOT_FOUND);
    let regen = format!("{path}/regen");
    assert_eq!(api.post(&regen, Value::Null).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_sandboxes_and_other_sandboxes_credentials_are_404() {
    let (_emulator, api) = start().await;
    let mine = api.sandbox().await;
    let theirs = api.sandbox().await;
    let access = api.access(&theirs).await;
    let (id, password) = (text(&access, "id"), text(&access, "password"));

    let create = api
        .post("/v1/sandbox/sbx-nope/ssh/access", Value::Null)
        .await;
    assert_eq!(create.0, StatusCode::NOT_FOUND);
    assert!(create.1["message"].is_string());
    for sandbox in [mine.as_str(), "sbx-nope"] {
        let (status, body) = api.validate(sandbox, &id, &password).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body["message"].is_string());
        let regen = format!("/v1/sandbox/{sandbox}/ssh/{id}/regen");
        assert_eq!(api.post(&regen, Value::Null).await.0, StatusCode::NOT_FOUND);
        let delete = format!("/v1/sandbox/{sandbox}/ssh/{id}");
        assert_eq!(api.delete(&delete).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        api.validate(&mine, "nobody", "x").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.validate(&theirs, &id, &password).await.1["valid"], true);
}

#[tokio::test]
async fn deleting_the_sandbox_deletes_its_credentials() {
    let (emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let id = text(&api.access(&sandbox).await, "id");

    api.delete(&format!("/v1/sandbox/{sandbox}/")).await;

    assert!(emulator.store().access(&id).is_none());
    assert_eq!(emulator.store().counts().accesses, 0);
}

#[tokio::test]
async fn validate_needs_a_string_password() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let id = text(&api.access(&sandbox).await, "id");
    let path = format!("/v1/sandbox/{sandbox}/ssh/{id}/validate");
    for body in [json!({}), json!({"password": 5}), json!({"password": null})] {
        let (status, answer) = api.post(&path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(fields(&answer), ["password"]);
    }
}

#[tokio::test]
async fn the_gateway_interface_authenticates_and_announces_ends() {
    let (emulator, api) = start().await;
    let store = emulator.store().clone();
    let sandbox_body = json!({"template_name": "t", "env_vars": {"GREETING": "hi"}});
    let sandbox = text(&api.post("/v1/sandbox/", sandbox_body).await.1, "id");
    let access = api.access(&sandbox).await;
    let (id, password) = (text(&access, "id"), text(&access, "password"));

    let wrong = store.authenticate(&id, "nope").await.unwrap_err();
    assert!(matches!(wrong, AuthFailure::WrongPassword));
    let unknown = store.authenticate("nobody", &password).await.unwrap_err();
    assert!(matches!(unknown, AuthFailure::UnknownAccess));
    let mut grant = store.authenticate(&id, &password).await.unwrap();
    assert_eq!(grant.access.sandbox_id, sandbox);
    assert_eq!(grant.env_vars["GREETING"], "hi");
    assert_eq!(grant.sandbox_dir, store.sandbox_dir(&sandbox));
    assert!(grant.sandbox_dir.is_dir());

    api.post(
        &format!("/v1/sandbox/{sandbox}/ssh/{id}/regen"),
        Value::Null,
    )
    .await;
    assert_eq!(grant.watch.ended().await, EndReason::Regenerated);

    let mut watch = store.watch_access(&id).unwrap();
    let ended = tokio::spawn(async move { watch.ended().await });
    api.delete(&format!("/v1/sandbox/{sandbox}/ssh/{id}")).await;
    assert_eq!(ended.await.unwrap(), EndReason::Deleted);
}

#[tokio::test]
async fn watches_end_on_expiry_and_on_sandbox_deletion() {
    let (emulator, api) = start_with(Config {
        ssh_ttl: Duration::from_millis(200),
        ..config()
    })
    .await;
    let store = emulator.store().clone();
    let sandbox = api.sandbox().await;
    let short = text(&api.access(&sandbox).await, "id");
    let mut expiring = store.watch_access(&short).unwrap();
    assert_eq!(expiring.ended().await, EndReason::Expired);
    let expired = store.authenticate(&short, "whatever").await.unwrap_err();
    assert!(matches!(expired, AuthFailure::Expired));

    let other = api.sandbox().await;
    let id = text(&api.access(&other).await, "id");
    let mut watch = store.watch_access(&id).unwrap();
    api.delete(&format!("/v1/sandbox/{other}/")).await;
    assert_eq!(watch.ended().await, EndReason::SandboxDeleted);
}
