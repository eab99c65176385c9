//! Cancelling a call and closing the client: both settle at once and drop the connection.

mod support;

use std::time::{Duration, Instant};

use leap0::{ErrorKind, RequestOptions};
use serde_json::json;
use support::{opts, start, CREATE, GET, LIST};
use tokio_util::sync::CancellationToken;

const PROMPTLY: Duration = Duration::from_millis(100);

fn cancellable(token: &CancellationToken) -> RequestOptions {
    RequestOptions {
        cancellation: Some(token.clone()),
        ..Default::default()
    }
}

#[tokio::test]
async fn cancelling_settles_promptly_and_hangs_up() {
    let harness = start().await;
    harness
        .fault(
            "POST",
            "/v1/sandbox/",
            1,
            json!({"kind": "delay", "ms": 5000}),
        )
        .await;
    let token = CancellationToken::new();
    let cancelled_at = tokio::spawn({
        let token = token.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            token.cancel();
            Instant::now()
        }
    });

    let options = cancellable(&token);
    let result = harness
        .client
        .sandboxes()
        .create(&Default::default(), &options)
        .await;
    let error = result.expect_err("cancelled");
    let settled = Instant::now();
    assert_eq!(error.kind(), ErrorKind::Aborted);
    assert!(error.is_aborted());
    let cancelled_at = cancelled_at.await.expect("cancelled");
    assert!(settled.duration_since(cancelled_at) < PROMPTLY);

    let counts = harness.wait_for_cancelled(CREATE, 1).await;
    assert_eq!(
        (counts.received, counts.applied, counts.cancelled),
        (1, 0, 1)
    );
    assert_eq!(harness.state().await, (0, 0));
}

#[tokio::test]
async fn an_already_cancelled_token_sends_nothing() {
    let harness = start().await;
    let token = CancellationToken::new();
    token.cancel();
    let options = cancellable(&token);
    let result = harness
        .client
        .sandboxes()
        .list(&Default::default(), &options)
        .await;
    assert_eq!(result.expect_err("cancelled").kind(), ErrorKind::Aborted);
    assert_eq!(harness.stats(LIST).await.received, 0);

    // Cancelling after a call settled changes nothing for it.
    let token = CancellationToken::new();
    let options = cancellable(&token);
    let page = harness
        .client
        .sandboxes()
        .list(&Default::default(), &options)
        .await;
    page.expect("listed");
    token.cancel();
}

#[tokio::test]
async fn closing_fails_calls_in_flight_and_later_ones_without_sending() {
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
    let client = harness.client.clone();
    let closed_at = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.close();
        Instant::now()
    });

    let error = harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect_err("closed");
    let settled = Instant::now();
    assert_eq!(error.kind(), ErrorKind::Closed);
    assert!(settled.duration_since(closed_at.await.expect("closed")) < PROMPTLY);
    assert!(harness.client.is_closed());
    let counts = harness.wait_for_cancelled(GET, 1).await;
    assert_eq!((counts.applied, counts.cancelled), (0, 1), "hung up");

    let before = harness.all_stats().await;
    let error = harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect_err("closed");
    assert_eq!(error.kind(), ErrorKind::Closed);
    let error = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect_err("closed");
    assert_eq!(error.kind(), ErrorKind::Closed);
    harness.client.close();
    assert_eq!(harness.all_stats().await, before, "nothing was sent");
}
