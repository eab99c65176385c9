//! Which failed answers are tried again, for which calls, and how long the client waits:
//! checked by the attempts the emulator saw and by what it created.

mod support;

use std::time::Duration;

use leap0::ErrorKind;
use serde_json::json;
use support::{opts, retries, start, start_with, timed, timeout, Harness};
use support::{CREATE, CREATE_ACCESS, DELETE, GET, LIST, REGEN, VALIDATE};

const RETRIED: [u16; 5] = [408, 500, 502, 503, 504];

fn kind_of(status: u16) -> ErrorKind {
    match status {
        408 => ErrorKind::UnexpectedStatus,
        _ => ErrorKind::Server,
    }
}

#[tokio::test]
async fn repeatable_calls_are_retried_on_transient_statuses() {
    let harness = start().await;
    let id = harness.sandbox().await;
    for status in RETRIED {
        harness.reset_stats().await;
        harness
            .status_fault("GET", "/v1/sandbox/{sandboxID}/", 1, status)
            .await;
        let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &opts())).await;
        result.unwrap_or_else(|e| panic!("{status}: {e}"));
        let counts = harness.stats(GET).await;
        assert_eq!((counts.received, counts.applied), (2, 1), "{status}");
        assert!(elapsed < Duration::from_secs(3), "{status}: {elapsed:?}");
    }
}

#[tokio::test]
async fn list_delete_and_validate_are_repeatable_too() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    harness.status_fault("GET", "/v1/sandboxes", 1, 503).await;
    harness
        .status_fault(
            "POST",
            "/v1/sandbox/{sandboxID}/ssh/{sshID}/validate",
            1,
            500,
        )
        .await;
    harness
        .status_fault("DELETE", "/v1/sandbox/{sandboxID}/", 1, 502)
        .await;

    harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await
        .expect("list");
    let ssh = harness.client.ssh();
    let valid = ssh
        .validate_access(&id, &access.id, &access.password, &opts())
        .await;
    assert!(valid.expect("validate").valid);
    harness
        .client
        .sandboxes()
        .delete(&id, &opts())
        .await
        .expect("delete");

    for route in [LIST, VALIDATE, DELETE] {
        let counts = harness.stats(route).await;
        assert_eq!((counts.received, counts.applied), (2, 1), "{route}");
    }
    assert_eq!(harness.state().await, (0, 0));
}

#[tokio::test]
async fn creating_calls_are_not_retried_on_statuses_that_may_have_acted() {
    let harness = start().await;
    for status in RETRIED {
        harness.reset_stats().await;
        harness
            .status_fault("POST", "/v1/sandbox/", 1, status)
            .await;
        let error = harness
            .client
            .sandboxes()
            .create(&Default::default(), &opts())
            .await;
        let error = error.expect_err("not retried");
        assert_eq!(error.kind(), kind_of(status), "{status}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(harness.stats(CREATE).await.received, 1, "{status}");
    }
    assert_eq!(harness.state().await, (0, 0));

    let id = harness.sandbox().await;
    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    harness
        .status_fault("POST", "/v1/sandbox/{sandboxID}/ssh/access", 1, 503)
        .await;
    harness
        .status_fault("POST", "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen", 1, 500)
        .await;
    let ssh = harness.client.ssh();
    let error = ssh
        .create_access(&id, &opts())
        .await
        .expect_err("not retried");
    assert_eq!(error.status(), Some(503));
    let error = ssh.regenerate_access(&id, &access.id, &opts()).await;
    assert_eq!(error.expect_err("not retried").status(), Some(500));
    assert_eq!(harness.stats(CREATE_ACCESS).await.received, 2);
    assert_eq!(harness.stats(REGEN).await.received, 1);
    assert_eq!(harness.state().await, (1, 1));
}

async fn fault_with_retry_after(harness: &Harness, path: &str, status: u16, seconds: &str) {
    let fault = json!({"kind": "status", "status": status, "headers": {"retry-after": seconds}});
    harness.fault("POST", path, 1, fault).await;
}

#[tokio::test]
async fn creating_calls_are_retried_on_429_and_on_503_with_retry_after() {
    let harness = start().await;
    harness.status_fault("POST", "/v1/sandbox/", 1, 429).await;
    harness.sandbox().await;
    let counts = harness.stats(CREATE).await;
    assert_eq!((counts.received, counts.applied), (2, 1));

    fault_with_retry_after(&harness, "/v1/sandbox/", 503, "1").await;
    let (result, elapsed) = timed(
        harness
            .client
            .sandboxes()
            .create(&Default::default(), &opts()),
    )
    .await;
    let id = result.expect("retried after the asked second").id;
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    let counts = harness.stats(CREATE).await;
    assert_eq!((counts.received, counts.applied), (4, 2));
    assert_eq!(harness.state().await, (2, 0));

    fault_with_retry_after(&harness, "/v1/sandbox/{sandboxID}/ssh/access", 503, "0").await;
    harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("retried");
    assert_eq!(harness.stats(CREATE_ACCESS).await.received, 2);
    assert_eq!(harness.state().await, (2, 1));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let fault = json!({"kind": "status", "status": 429, "headers": {"retry-after": "1"}});
    harness
        .fault("GET", "/v1/sandbox/{sandboxID}/", 1, fault)
        .await;

    let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &opts())).await;
    result.expect("retried");
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test]
async fn a_retry_after_past_the_timeout_fails_at_once_with_the_delay() {
    let harness = start().await;
    let fault = json!({"kind": "status", "status": 429, "headers": {"retry-after": "30"},
        "body": {"message": "slow down"}});
    harness.fault("POST", "/v1/sandbox/", 1, fault).await;

    let options = timeout(Duration::from_secs(5));
    let (result, elapsed) = timed(
        harness
            .client
            .sandboxes()
            .create(&Default::default(), &options),
    )
    .await;
    let error = result.expect_err("not worth waiting for");
    assert_eq!(error.kind(), ErrorKind::RateLimit);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(error.message(), "slow down");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(harness.stats(CREATE).await.received, 1);
}

#[tokio::test]
async fn max_retries_bounds_the_attempts_per_client_and_per_call() {
    let harness = start_with(support::config(), |b| b.max_retries(0)).await;
    let id = harness.sandbox().await;
    let sandboxes = harness.client.sandboxes();

    harness
        .status_fault("GET", "/v1/sandbox/{sandboxID}/", 1, 503)
        .await;
    let error = sandboxes
        .get(&id, &opts())
        .await
        .expect_err("client says no retries");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert!(error.is_retryable());
    harness
        .status_fault("GET", "/v1/sandbox/{sandboxID}/", 1, 503)
        .await;
    sandboxes
        .get(&id, &retries(1))
        .await
        .expect("the call allows one");
    assert_eq!(harness.stats(GET).await.received, 3);

    harness
        .status_fault("GET", "/v1/sandbox/{sandboxID}/", 3, 502)
        .await;
    let error = sandboxes
        .get(&id, &retries(2))
        .await
        .expect_err("three failures");
    assert_eq!(error.status(), Some(502));
    assert_eq!(harness.stats(GET).await.received, 6);
}

#[tokio::test]
async fn other_statuses_are_not_retried() {
    let harness = start().await;
    let id = harness.sandbox().await;
    for (status, kind) in [
        (400, ErrorKind::Validation),
        (401, ErrorKind::Authentication),
        (403, ErrorKind::Permission),
        (404, ErrorKind::NotFound),
        (409, ErrorKind::Conflict),
        (501, ErrorKind::Server),
        (418, ErrorKind::UnexpectedStatus),
    ] {
        harness.reset_stats().await;
        harness
            .status_fault("GET", "/v1/sandbox/{sandboxID}/", 1, status)
            .await;
        let error = harness.client.sandboxes().get(&id, &opts()).await;
        let error = error.expect_err("an error answer");
        assert_eq!((error.kind(), error.status()), (kind, Some(status)));
        assert_eq!(harness.stats(GET).await.received, 1, "{status}");
    }
}
