//! Answers that are not what the contract documents: broken or foreign bodies, another 2xx,
//! wrong-typed fields, bodies cut short, and bodies over the size limit.

mod support;

use std::time::Duration;

use leap0::{ErrorKind, MAX_RESPONSE_BYTES};
use serde_json::json;
use support::{opts, retries, start, timed, CREATE, DELETE, GET, LIST};

#[tokio::test]
async fn malformed_json_is_an_invalid_response_with_its_status() {
    let harness = start().await;
    let id = harness.sandbox().await;
    harness
        .fault(
            "GET",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "malformed_json"}),
        )
        .await;
    let error = harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect_err("broken");
    assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    assert_eq!(error.status(), Some(200));
    let message = error.message();
    assert!(message.contains("expected a JSON Sandbox"), "{message}");
    assert!(
        message.contains("application/json that is not JSON"),
        "{message}"
    );

    // The create went through, and was not repeated because its answer broke.
    let fault = json!({"kind": "malformed_json", "apply": true});
    harness.fault("POST", "/v1/sandbox/", 1, fault).await;
    let error = harness
        .client
        .sandboxes()
        .create(&Default::default(), &opts())
        .await;
    let error = error.expect_err("broken");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::InvalidResponse, Some(201))
    );
    assert_eq!(harness.state().await, (2, 0));
    assert_eq!(harness.stats(CREATE).await.received, 2);
}

#[tokio::test]
async fn an_html_error_page_is_a_server_error_that_says_what_came() {
    let harness = start().await;
    harness
        .fault("GET", "/v1/sandboxes", 1, json!({"kind": "html"}))
        .await;
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &retries(0))
        .await;
    let error = error.expect_err("a proxy's page");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Server, Some(502))
    );
    assert!(error.message().contains("not JSON"), "{error}");
    assert!(error.message().contains("502 Bad Gateway"), "{error}");

    // A 502 is transient, so a repeatable call tries again.
    harness
        .fault("GET", "/v1/sandboxes", 1, json!({"kind": "html"}))
        .await;
    harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await
        .expect("retried");
    assert_eq!(harness.stats(LIST).await.received, 3);
}

#[tokio::test]
async fn a_truncated_body_is_a_connection_error_that_keeps_the_status() {
    let harness = start().await;
    harness
        .fault("POST", "/v1/sandbox/", 1, json!({"kind": "truncated_body"}))
        .await;
    let error = harness
        .client
        .sandboxes()
        .create(&Default::default(), &opts())
        .await;
    let error = error.expect_err("cut short");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Connection, Some(201))
    );
    assert_eq!(harness.state().await, (1, 0), "created once, not repeated");
    assert_eq!(harness.stats(CREATE).await.received, 1);

    let id = harness.sandbox().await;
    harness
        .fault(
            "GET",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "truncated_body"}),
        )
        .await;
    harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect("a get is retried");
    assert_eq!(harness.stats(GET).await.received, 2);
}

#[tokio::test]
async fn an_empty_success_body_is_an_invalid_response() {
    let harness = start().await;
    let fault = json!({"kind": "status", "status": 200, "body": ""});
    harness.fault("GET", "/v1/sandboxes", 1, fault).await;
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await;
    let error = error.expect_err("empty");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::InvalidResponse, Some(200))
    );
    assert_eq!(
        error.message(),
        "expected a JSON SandboxPage, got an empty body"
    );
    assert_eq!(harness.stats(LIST).await.received, 1, "not retried");
}

#[tokio::test]
async fn a_wrong_typed_field_is_named_without_its_value() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let body = json!({"items": "none", "total_items": 0});
    harness
        .fault(
            "GET",
            "/v1/sandboxes",
            1,
            json!({"kind": "status", "status": 200, "body": body}),
        )
        .await;
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await;
    let error = error.expect_err("wrong type");
    assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    let message = error.message();
    assert!(message.contains("expected a SandboxPage"), "{message}");
    assert!(message.contains("at items"), "{message}");
    assert!(message.contains("expected a sequence"), "{message}");
    assert!(!message.contains("none"), "{message}");

    let access = harness
        .client
        .ssh()
        .create_access(&id, &opts())
        .await
        .expect("access");
    let body = json!({"id": 7, "sandbox_id": id, "password": "hunter2-secret",
        "expires_at": "", "created_at": "", "updated_at": "", "ssh_command": ""});
    let fault = json!({"kind": "status", "status": 200, "body": body});
    harness
        .fault(
            "POST",
            "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
            1,
            fault,
        )
        .await;
    let error = harness
        .client
        .ssh()
        .regenerate_access(&id, &access.id, &opts())
        .await;
    let error = error.expect_err("id is not a string");
    assert!(error.message().contains("at id"), "{error}");
    assert!(
        !format!("{error} {error:?}").contains("hunter2"),
        "{error:?}"
    );
}

#[tokio::test]
async fn another_success_status_than_the_documented_one_is_refused() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let sandbox = harness
        .client
        .sandboxes()
        .get(&id, &opts())
        .await
        .expect("sandbox");
    let body = serde_json::to_value(&sandbox).expect("json");
    let fault = json!({"kind": "status", "status": 200, "body": body});
    harness.fault("POST", "/v1/sandbox/", 1, fault).await;
    let error = harness
        .client
        .sandboxes()
        .create(&Default::default(), &opts())
        .await;
    let error = error.expect_err("200 is not 201");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::InvalidResponse, Some(200))
    );
    assert!(
        error
            .message()
            .starts_with("expected status 201 Created, got 200 OK"),
        "{error}"
    );

    harness
        .fault(
            "DELETE",
            "/v1/sandbox/{sandboxID}/",
            1,
            json!({"kind": "malformed_json"}),
        )
        .await;
    let error = harness
        .client
        .sandboxes()
        .delete(&id, &opts())
        .await
        .expect_err("not 204");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::InvalidResponse, Some(200))
    );
    assert_eq!(harness.stats(DELETE).await.received, 1);
}

#[tokio::test]
async fn oversized_answers_are_refused_without_being_read_whole() {
    let harness = start().await;
    for chunked in [false, true] {
        let fault = json!({"kind": "oversized_body", "chunked": chunked});
        harness.fault("GET", "/v1/sandboxes", 1, fault).await;
        let (params, options) = (Default::default(), opts());
        let sandboxes = harness.client.sandboxes();
        let (result, elapsed) = timed(sandboxes.list(&params, &options)).await;
        let error = result.expect_err("too large");
        assert_eq!(
            error.kind(),
            ErrorKind::ResponseTooLarge,
            "chunked {chunked}"
        );
        assert_eq!(error.status(), Some(200));
        assert!(
            error.message().contains(&MAX_RESPONSE_BYTES.to_string()),
            "{error}"
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
    assert_eq!(harness.stats(LIST).await.received, 2, "not retried");

    // Exactly at the limit is still read.
    let fault = json!({"kind": "oversized_body", "bytes": MAX_RESPONSE_BYTES, "chunked": true});
    harness.fault("GET", "/v1/sandboxes", 1, fault).await;
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await;
    let error = error.expect_err("not a page");
    assert_eq!(error.kind(), ErrorKind::InvalidResponse, "{error}");
}
