//! The timeout bounds the whole call: a slow handler, headers followed by a stalled body,
//! and the waits between retries.

mod support;

use std::time::Duration;

use leap0::ErrorKind;
use serde_json::json;
use support::{opts, start, start_with, timed, timeout, CREATE, GET};

const SHORT: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_slow_answer_is_cut_off_at_the_deadline_and_its_connection_dropped() {
    let harness = start().await;
    let id = harness.sandbox().await;
    harness
        .fault(
            "GET",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "delay", "ms": 5000}),
        )
        .await;

    let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &timeout(SHORT))).await;
    let error = result.expect_err("too slow");
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.is_timeout() && error.is_retryable());
    assert_eq!(
        error.to_string(),
        format!("timed out after 0.500s (GET /v1/sandbox/{id}/)")
    );
    assert!(
        elapsed >= SHORT && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    let counts = harness.wait_for_cancelled(GET, 1).await;
    assert_eq!(
        (counts.received, counts.applied, counts.cancelled),
        (1, 0, 1)
    );
}

#[tokio::test]
async fn the_client_timeout_applies_when_the_call_sets_none() {
    let harness = start_with(support::config(), |b| b.timeout(SHORT)).await;
    let fault = json!({"kind": "delay", "ms": 5000});
    harness.fault("POST", "/v1/sandbox/", 1, fault).await;

    let (result, elapsed) = timed(
        harness
            .client
            .sandboxes()
            .create(&Default::default(), &opts()),
    )
    .await;
    assert_eq!(result.expect_err("too slow").kind(), ErrorKind::Timeout);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    harness.wait_for_cancelled(CREATE, 1).await;
    assert_eq!(harness.state().await, (0, 0), "the handler never ran");
}

#[tokio::test]
async fn a_delay_within_the_timeout_succeeds() {
    let harness = start().await;
    let id = harness.sandbox().await;
    harness
        .fault(
            "GET",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "delay", "ms": 200}),
        )
        .await;
    let options = timeout(Duration::from_secs(5));
    let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &options)).await;
    result.expect("in time");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
}

#[tokio::test]
async fn a_body_that_stalls_after_the_headers_is_cut_off() {
    let harness = start().await;
    let id = harness.sandbox().await;
    harness
        .fault(
            "GET",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "stall_after_headers"}),
        )
        .await;

    let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &timeout(SHORT))).await;
    assert_eq!(result.expect_err("stalled").kind(), ErrorKind::Timeout);
    assert!(
        elapsed >= SHORT && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_stalled_body_that_ends_empty_is_an_invalid_answer() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let fault = json!({"kind": "stall_after_headers", "ms": 200});
    harness
        .fault("GET", "/v1/sandbox/{sandboxID}/", 1, fault)
        .await;

    let error = harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect_err("empty");
    assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    assert_eq!(error.status(), Some(200));
    assert!(error.message().contains("empty"), "{error}");
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let fault = json!({"kind": "status", "status": 503});
    harness
        .fault("GET", "/v1/sandbox/{sandboxID}/", 50, fault)
        .await;
    let options = leap0::RequestOptions {
        timeout: Some(Duration::from_millis(1500)),
        max_retries: Some(50),
        ..Default::default()
    };

    let (result, elapsed) = timed(harness.client.sandboxes().get(&id, &options)).await;
    let error = result.expect_err("always 503");
    // Either the last answer, when the next wait would not fit, or the deadline itself.
    assert!(
        matches!(error.kind(), ErrorKind::Server | ErrorKind::Timeout),
        "{error}"
    );
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert!(harness.stats(GET).await.received >= 2, "it did retry");
}

#[tokio::test]
async fn a_zero_timeout_is_refused_before_sending() {
    let harness = start().await;
    let options = timeout(Duration::ZERO);
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &options)
        .await;
    let error = error.expect_err("no time at all");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(error.field_errors()[0].field, "options.timeout");
    assert_eq!(harness.stats(support::LIST).await.received, 0);
}
