//! Redirects: followed within the API's origin only, so the key never reaches another host.

mod support;

use leap0::{Client, ErrorKind};
use support::no_env;
use support::wire::{empty_answer, json_answer, Recorder, EMPTY_PAGE};

fn client_for(base: &str, auth_header: &str) -> Client {
    Client::builder()
        .api_key("secret-key")
        .base_url(base)
        .auth_header(auth_header)
        .build_with_env(no_env)
        .expect("client")
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_never_carries_the_key() {
    let elsewhere = Recorder::start(|_| json_answer("200 OK", EMPTY_PAGE)).await;
    let target = format!("{}/v1/sandboxes", elsewhere.url());
    let api = Recorder::start(move |_| {
        empty_answer("307 Temporary Redirect", &format!("location: {target}\r\n"))
    })
    .await;

    for header in ["authorization", "leap0-authorization"] {
        let client = client_for(&api.url(), header);
        let error = client
            .sandboxes()
            .list(&Default::default(), &Default::default())
            .await;
        let error = error.expect_err("not followed");
        assert_eq!(error.kind(), ErrorKind::UnexpectedStatus, "{error}");
        assert_eq!(error.status(), Some(307));
        assert!(!error.is_retryable());
    }
    assert_eq!(
        api.requests().len(),
        2,
        "asked once per client, not retried"
    );
    assert_eq!(
        elsewhere.connections(),
        0,
        "the other origin was never contacted"
    );
}

#[tokio::test]
async fn the_same_host_on_another_port_is_another_origin() {
    let elsewhere = Recorder::start(|_| json_answer("200 OK", EMPTY_PAGE)).await;
    let target = format!("http://localhost:{}/v1/sandboxes", elsewhere.addr.port());
    let api = Recorder::start(move |_| {
        empty_answer("308 Permanent Redirect", &format!("location: {target}\r\n"))
    })
    .await;
    let client = client_for(&api.url(), "authorization");
    let error = client
        .sandboxes()
        .list(&Default::default(), &Default::default())
        .await;
    assert_eq!(error.expect_err("not followed").status(), Some(308));
    assert_eq!(elsewhere.connections(), 0);
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_key() {
    let api = Recorder::start(|request| {
        if request.line.starts_with("GET /v1/sandboxes ") {
            empty_answer("307 Temporary Redirect", "location: /v2/sandboxes\r\n")
        } else {
            json_answer("200 OK", EMPTY_PAGE)
        }
    })
    .await;
    let client = client_for(&api.url(), "leap0-authorization");
    let page = client
        .sandboxes()
        .list(&Default::default(), &Default::default())
        .await;
    assert_eq!(page.expect("followed").total_items, 0);

    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].line, "GET /v2/sandboxes HTTP/1.1");
    assert_eq!(
        requests[1].header("leap0-authorization"),
        Some("Bearer secret-key")
    );
}

#[tokio::test]
async fn a_redirect_loop_fails_without_retrying() {
    let api =
        Recorder::start(|_| empty_answer("307 Temporary Redirect", "location: /loop\r\n")).await;
    let client = client_for(&api.url(), "authorization");
    let error = client
        .sandboxes()
        .list(&Default::default(), &Default::default())
        .await;
    let error = error.expect_err("a loop");
    assert_eq!(error.kind(), ErrorKind::UnexpectedStatus, "{error}");
    assert!(
        api.requests().len() <= 7,
        "one attempt: {}",
        api.requests().len()
    );
}
