//! Connections that fail: refused before anything was sent (retried for every call), and
//! dropped after the request left (retried only where repeating cannot do anything twice).

mod support;

use std::time::Duration;

use leap0::{Client, ErrorKind};
use leap0_emulator::{Config, Emulator};
use serde_json::json;
use support::{client_at, no_env, opts, start, timed, Harness};
use support::{CREATE, CREATE_ACCESS, DELETE, DELETE_ACCESS, GET, REGEN, VALIDATE};

/// A loopback port with nothing listening on it.
async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test]
async fn refused_connections_are_retried_even_for_creating_calls() {
    let port = free_port().await;
    let client = Client::builder()
        .api_key("test-key")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(8)
        .timeout(Duration::from_secs(20))
        .build_with_env(no_env)
        .expect("client");
    // The emulator comes up only after the first attempt was refused.
    let config = Config {
        port,
        api_key: Some("test-key".to_owned()),
        ..support::config()
    };
    let data_dir = config.data_dir.clone();
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Emulator::start(config).await;
        started.expect("emulator on the freed port")
    });

    let (result, elapsed) = timed(client.sandboxes().create(&Default::default(), &opts())).await;
    let sandbox = result.expect("created once the server was up");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    let emulator = late.await.expect("started");
    assert_eq!(emulator.store().counts().sandboxes, 1);
    client
        .sandboxes()
        .get(&sandbox.id, &opts())
        .await
        .expect("there");
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn refusal_with_no_retries_left_is_a_connection_error() {
    let port = free_port().await;
    let client = client_at("k", format!("http://127.0.0.1:{port}"));
    let (result, elapsed) = timed(client.sandboxes().list(&Default::default(), &opts())).await;
    let error = result.expect_err("nothing listens");
    assert_eq!(error.kind(), ErrorKind::Connection);
    assert_eq!(error.status(), None);
    assert!(
        std::error::Error::source(&error).is_some(),
        "keeps the cause"
    );
    assert!(elapsed < Duration::from_secs(4), "two retries: {elapsed:?}");
}

async fn drop_fault(harness: &Harness, method: &str, path: &str, kind: &str) {
    harness.fault(method, path, 1, json!({"kind": kind})).await;
}

#[tokio::test]
async fn dropped_connections_are_retried_for_repeatable_calls() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    for kind in ["drop_before_apply", "drop_after_apply"] {
        harness.reset_stats().await;
        drop_fault(&harness, "GET", "/v1/sandbox/{sandboxID}/", kind).await;
        drop_fault(
            &harness,
            "POST",
            "/v1/sandbox/{sandboxID}/ssh/{sshID}/validate",
            kind,
        )
        .await;
        harness
            .client
            .sandboxes()
            .get(&id, &opts())
            .await
            .expect(kind);
        let ssh = harness.client.ssh();
        let valid = ssh
            .validate_access(&id, &access.id, &access.password, &opts())
            .await;
        assert!(valid.expect(kind).valid);
        for route in [GET, VALIDATE] {
            let counts = harness.stats(route).await;
            let applied = if kind == "drop_before_apply" { 1 } else { 2 };
            assert_eq!(
                (counts.received, counts.applied),
                (2, applied),
                "{kind} {route}"
            );
        }
    }
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_still_succeeds() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    drop_fault(
        &harness,
        "DELETE",
        "/v1/sandbox/{sandboxID}/ssh/{sshID}",
        "drop_after_apply",
    )
    .await;
    drop_fault(
        &harness,
        "DELETE",
        "/v1/sandbox/{sandboxID}/",
        "drop_after_apply",
    )
    .await;

    let ssh = harness.client.ssh();
    ssh.delete_access(&id, &access.id, &opts())
        .await
        .expect("revoked on the first try");
    harness
        .client
        .sandboxes()
        .delete(&id, &opts())
        .await
        .expect("deleted on the first try");

    for route in [DELETE_ACCESS, DELETE] {
        let counts = harness.stats(route).await;
        assert_eq!((counts.received, counts.applied), (2, 1), "{route}");
    }
    assert_eq!(harness.state().await, (0, 0));
    // Without an earlier attempt that may have acted, a missing sandbox is still an error.
    let error = harness.client.sandboxes().delete(&id, &opts()).await;
    assert_eq!(error.expect_err("gone").kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn creating_calls_are_not_retried_after_a_drop() {
    let harness = start().await;
    let sandboxes = harness.client.sandboxes();
    drop_fault(&harness, "POST", "/v1/sandbox/", "drop_before_apply").await;
    let error = sandboxes
        .create(&Default::default(), &opts())
        .await
        .expect_err("dropped");
    assert_eq!(error.kind(), ErrorKind::Connection);
    assert_eq!(harness.state().await, (0, 0));

    drop_fault(&harness, "POST", "/v1/sandbox/", "drop_after_apply").await;
    let error = sandboxes
        .create(&Default::default(), &opts())
        .await
        .expect_err("dropped");
    assert_eq!(error.kind(), ErrorKind::Connection);
    assert!(
        !error.is_retryable(),
        "the sandbox may exist: repeating could create two"
    );
    assert_eq!(harness.state().await, (1, 0), "created exactly once");
    let counts = harness.stats(CREATE).await;
    assert_eq!((counts.received, counts.applied), (2, 1));

    let id = harness.sandbox().await;
    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    drop_fault(
        &harness,
        "POST",
        "/v1/sandbox/{sandboxID}/ssh/access",
        "drop_after_apply",
    )
    .await;
    drop_fault(
        &harness,
        "POST",
        "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
        "drop_after_apply",
    )
    .await;
    let ssh = harness.client.ssh();
    let error = ssh.create_access(&id, &opts()).await.expect_err("dropped");
    assert_eq!(error.kind(), ErrorKind::Connection);
    let error = ssh.regenerate_access(&id, &access.id, &opts()).await;
    assert_eq!(error.expect_err("dropped").kind(), ErrorKind::Connection);
    assert_eq!(harness.state().await, (2, 2), "one access per create");
    assert_eq!(harness.stats(CREATE_ACCESS).await.received, 2);
    assert_eq!(harness.stats(REGEN).await.received, 1);
}
