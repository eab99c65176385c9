//! What the built client sends: the key in the configured header exactly once, a
//! User-Agent, the base URL's path, and options read from an injected environment.

mod support;

use leap0::{Client, ErrorKind};
use support::wire::{json_answer, Recorder, EMPTY_PAGE};
use support::{client_at, header, no_env, opts, start, start_with, LIST};

async fn page_server() -> Recorder {
    Recorder::start(|_| json_answer("200 OK", EMPTY_PAGE)).await
}

#[tokio::test]
async fn the_key_goes_once_as_a_bearer_token_with_a_user_agent() {
    let server = page_server().await;
    let client = Client::builder()
        .api_key("k-123")
        .base_url(server.url())
        .user_agent_suffix("leap0-node/9.9.9")
        .build_with_env(no_env)
        .expect("client");
    let options = header("x-trace", "t1");
    client
        .sandboxes()
        .list(&Default::default(), &options)
        .await
        .expect("page");

    let request = &server.requests()[0];
    assert_eq!(request.line, "GET /v1/sandboxes HTTP/1.1");
    assert_eq!(request.header_count("authorization"), 1);
    assert_eq!(request.header("authorization"), Some("Bearer k-123"));
    assert_eq!(request.header("leap0-authorization"), None);
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("x-trace"), Some("t1"));
    let agent = request.header("user-agent").expect("a user agent");
    assert!(agent.starts_with("leap0-node/9.9.9 leap0-rust/"), "{agent}");
}

#[tokio::test]
async fn a_leap0_authorization_header_can_carry_the_bare_key() {
    let server = page_server().await;
    let client = Client::builder()
        .api_key("k-123")
        .base_url(server.url())
        .auth_header("leap0-authorization")
        .bearer(false)
        .build_with_env(no_env)
        .expect("client");
    client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await
        .expect("page");

    let request = &server.requests()[0];
    assert_eq!(request.header("leap0-authorization"), Some("k-123"));
    assert_eq!(request.header_count("leap0-authorization"), 1);
    assert_eq!(request.header("authorization"), None);

    // The emulator takes it that way too.
    let harness = start_with(support::config(), |builder| {
        builder.auth_header("leap0-authorization").bearer(false)
    })
    .await;
    harness.sandbox().await;
}

#[tokio::test]
async fn a_wrong_key_is_an_authentication_error_that_does_not_show_the_key() {
    let harness = start_with(support::config(), |b| b.api_key("wrong-key-xyz")).await;
    let error = harness
        .client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await;
    let error = error.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.status(), Some(401));
    assert!(!format!("{error} {error:?}").contains("wrong-key-xyz"));
    assert_eq!(
        harness.stats(LIST).await.received,
        0,
        "refused before routing"
    );
}

#[tokio::test]
async fn key_and_base_url_come_from_the_given_environment() {
    let harness = start().await;
    let (url, key) = (harness.emulator.base_url(), harness.emulator.api_key());
    let env = |name: &str| match name {
        "LEAP0_API_KEY" => Some(key.to_owned()),
        "LEAP0_BASE_URL" => Some(url.to_owned()),
        _ => None,
    };
    let client = Client::builder().build_with_env(env).expect("from env");
    assert_eq!(client.base_url().as_str(), format!("{url}/"));
    client
        .sandboxes()
        .list(&Default::default(), &opts())
        .await
        .expect("page");

    let error = Client::builder()
        .build_with_env(no_env)
        .expect_err("no key");
    assert_eq!(error.kind(), ErrorKind::MissingApiKey);
}

#[tokio::test]
async fn a_base_url_path_prefixes_every_call() {
    let server = page_server().await;
    for base in [
        format!("{}/api", server.url()),
        format!("{}/api/", server.url()),
    ] {
        let client = client_at("k", base);
        client
            .sandboxes()
            .list(&Default::default(), &opts())
            .await
            .expect("page");
    }
    let lines: Vec<String> = server.requests().into_iter().map(|r| r.line).collect();
    assert_eq!(lines, ["GET /api/v1/sandboxes HTTP/1.1"; 2]);
}

#[tokio::test]
async fn headers_that_frame_the_request_cannot_be_overridden() {
    let server = page_server().await;
    let client = client_at("k", server.url());
    for (name, value) in [
        ("Content-Length", "10"),
        ("transfer-encoding", "chunked"),
        ("host", "other.example"),
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
    ] {
        let options = header(name, value);
        let error = client
            .sandboxes()
            .list(&Default::default(), &options)
            .await
            .expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{name}");
        assert_eq!(
            error.field_errors()[0].field,
            format!("options.headers.{name}")
        );
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_key_sent_in_a_per_call_header_is_cut_from_an_answer_that_echoes_it() {
    // The server echoes the authorization header it got, as a debugging proxy might.
    let server = Recorder::start(|request| {
        let echoed = request.header("authorization").unwrap_or_default();
        json_answer(
            "401 Unauthorized",
            &format!(r#"{{"message":"got {echoed}"}}"#),
        )
    })
    .await;
    let client = client_at("client-key-1234", server.url());
    let options = header("Authorization", "Bearer per-call-key-5678");

    let error = client
        .sandboxes()
        .list(&Default::default(), &options)
        .await
        .expect_err("refused");

    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.message(), "got Bearer [redacted]");
    assert_eq!(server.requests()[0].header_count("authorization"), 1);
}
