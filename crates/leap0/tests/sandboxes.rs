//! Sandbox calls against the emulator: each call's success, the error kinds real answers
//! produce, and ids that must never become more than one path segment.

mod support;

use std::collections::BTreeMap;

use leap0::{CreateSandboxParams, ErrorKind, ListSandboxesParams, DEFAULT_TEMPLATE};
use leap0_emulator::Config;
use support::{opts, start, start_with, CREATE, DELETE, GET, LIST};

#[tokio::test]
async fn create_get_list_and_delete_round_trip() {
    let harness = start().await;
    let sandboxes = harness.client.sandboxes();
    let params = CreateSandboxParams {
        vcpu: Some(2),
        memory_mib: Some(1024),
        timeout_min: Some(10),
        auto_pause: Some(true),
        env_vars: Some(BTreeMap::from([("A".to_owned(), "1".to_owned())])),
        ..Default::default()
    };

    let created = sandboxes.create(&params, &opts()).await.expect("created");
    assert_eq!(created.template_id, DEFAULT_TEMPLATE);
    assert_eq!((created.vcpu, created.memory), (2, 1024));
    assert_eq!(created.timeout, 600, "minutes are sent as seconds");
    assert!(created.auto_pause);
    let fetched = sandboxes.get(&created.id, &opts()).await.expect("fetched");
    assert_eq!(fetched.id, created.id);
    assert_eq!(fetched.memory, 1024);

    let page = sandboxes
        .list(&Default::default(), &opts())
        .await
        .expect("listed");
    assert_eq!(page.total_items, 1);
    assert_eq!(page.items[0].id, created.id);

    sandboxes
        .delete(&created.id, &opts())
        .await
        .expect("deleted");
    assert_eq!(harness.state().await, (0, 0));
    let error = sandboxes.get(&created.id, &opts()).await.expect_err("gone");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.status(), Some(404));
    assert!(error.to_string().contains("(GET /v1/sandbox/"), "{error}");
}

#[tokio::test]
async fn list_pages_through_the_query_parameters() {
    let harness = start().await;
    for _ in 0..3 {
        harness.sandbox().await;
    }
    let params = ListSandboxesParams {
        page: Some(2),
        page_size: Some(2),
        order_by: Some("asc".to_owned()),
        ..Default::default()
    };
    let page = harness.client.sandboxes().list(&params, &opts()).await;
    let page = page.expect("second page");
    assert_eq!(page.total_items, 3);
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_validation_answer_keeps_the_field_list() {
    let harness = start().await;
    let params = CreateSandboxParams {
        vcpu: Some(99),
        memory_mib: Some(513),
        ..Default::default()
    };
    let error = harness.client.sandboxes().create(&params, &opts()).await;
    let error = error.expect_err("out of range");

    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.status(), Some(400));
    let fields: Vec<&str> = error
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["vcpu", "memory"], "{error}");
    assert!(error.body().is_some());
    assert_eq!(harness.state().await, (0, 0));

    let params = ListSandboxesParams {
        page_size: Some(0),
        ..Default::default()
    };
    let error = harness.client.sandboxes().list(&params, &opts()).await;
    let error = error.expect_err("page size 0");
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.field_errors().len(), 1, "{error}");
}

#[tokio::test]
async fn the_sandbox_limit_answers_conflict() {
    let config = Config {
        max_sandboxes: 1,
        ..support::config()
    };
    let harness = start_with(config, |builder| builder).await;
    harness.sandbox().await;

    let error = harness
        .client
        .sandboxes()
        .create(&Default::default(), &opts())
        .await;
    let error = error.expect_err("over the limit");
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(error.status(), Some(409));
    assert!(!error.is_retryable());
    assert_eq!(harness.state().await, (1, 0));
    assert_eq!(
        harness.stats(CREATE).await.received,
        2,
        "409 is not retried"
    );
}

#[tokio::test]
async fn unknown_sandboxes_are_not_found() {
    let harness = start().await;
    let sandboxes = harness.client.sandboxes();
    let error = sandboxes
        .delete("sbx-nope", &opts())
        .await
        .expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let error = sandboxes
        .get("sbx-nope", &opts())
        .await
        .expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(harness.stats(GET).await.received, 1, "404 is not retried");
}

#[tokio::test]
async fn empty_and_dot_ids_are_refused_before_any_request() {
    let harness = start().await;
    let before = harness.all_stats().await;
    let (sandboxes, ssh) = (harness.client.sandboxes(), harness.client.ssh());

    for id in ["", ".", ".."] {
        let errors = [
            sandboxes.get(id, &opts()).await.expect_err("get"),
            sandboxes.delete(id, &opts()).await.expect_err("delete"),
            ssh.create_access(id, &opts())
                .await
                .expect_err("create access"),
            ssh.validate_access("sbx", id, "pw", &opts())
                .await
                .expect_err("validate"),
            ssh.regenerate_access(id, "acc", &opts())
                .await
                .expect_err("regen"),
            ssh.delete_access("sbx", id, &opts())
                .await
                .expect_err("delete access"),
        ];
        for error in errors {
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{id:?}: {error}");
            let field = &error.field_errors()[0].field;
            assert!(field == "sandbox" || field == "id", "{field}");
        }
    }
    assert_eq!(harness.all_stats().await, before, "nothing was sent");
}

#[tokio::test]
async fn a_path_in_an_id_stays_one_segment() {
    let harness = start().await;
    let id = harness.sandbox().await;
    let sandboxes = harness.client.sandboxes();

    // Sent as written, this would resolve to DELETE /v1/sandbox/{id}/.
    let sneaky = format!("../sandbox/{id}");
    let error = sandboxes
        .delete(&sneaky, &opts())
        .await
        .expect_err("one segment");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let error = sandboxes
        .get("../other", &opts())
        .await
        .expect_err("one segment");
    assert_eq!(error.kind(), ErrorKind::NotFound);

    assert_eq!(harness.state().await, (1, 0));
    assert_eq!(harness.stats(DELETE).await.applied, 0);
    assert_eq!(harness.stats(LIST).await.received, 0);
    sandboxes.get(&id, &opts()).await.expect("still there");
}
