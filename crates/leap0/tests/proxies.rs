//! Proxies from the (injected) environment: honoured for other hosts, kept off loopback
//! unless `proxy_loopback(true)`, and `NO_PROXY` respected either way.

mod support;

use leap0::{Client, ClientBuilder, ErrorKind, RequestOptions};
use support::wire::{empty_answer, json_answer, Recorder, EMPTY_PAGE};
use support::{builder_for, retries, start, Harness, LIST};

async fn proxy() -> Recorder {
    Recorder::start(|request| {
        if request.line.starts_with("CONNECT ") {
            empty_answer("403 Forbidden", "")
        } else {
            json_answer("200 OK", EMPTY_PAGE)
        }
    })
    .await
}

fn build(builder: ClientBuilder, vars: &[(&'static str, String)]) -> Client {
    let vars = vars.to_vec();
    let env = move |name: &str| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    builder.build_with_env(env).expect("client")
}

async fn list(client: &Client, options: &RequestOptions) -> leap0::Result<()> {
    client
        .sandboxes()
        .list(&Default::default(), options)
        .await
        .map(drop)
}

fn remote(base: &str) -> ClientBuilder {
    Client::builder().api_key("k").base_url(base)
}

async fn direct_lists(harness: &Harness) -> u64 {
    harness.stats(LIST).await.received
}

#[tokio::test]
async fn loopback_goes_direct_whatever_proxy_is_set() {
    let (harness, proxy) = (start().await, proxy().await);
    let vars = [
        ("HTTP_PROXY", proxy.url()),
        ("HTTPS_PROXY", proxy.url()),
        ("ALL_PROXY", proxy.url()),
    ];
    let client = build(builder_for(&harness.emulator), &vars);
    list(&client, &retries(0)).await.expect("direct");

    let port = harness.emulator.http_addr().port();
    let localhost = builder_for(&harness.emulator).base_url(format!("http://localhost:{port}"));
    list(&build(localhost, &vars), &retries(0))
        .await
        .expect("direct");
    assert_eq!(direct_lists(&harness).await, 2);
    assert_eq!(proxy.connections(), 0);
}

#[tokio::test]
async fn proxy_loopback_sends_loopback_through_each_kind_of_variable() {
    let (harness, proxy) = (start().await, proxy().await);
    let target = format!("GET {}/v1/sandboxes HTTP/1.1", harness.emulator.base_url());
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let builder = builder_for(&harness.emulator).proxy_loopback(true);
        let client = build(builder, &[(variable, proxy.url())]);
        list(&client, &retries(0)).await.expect("through the proxy");
    }
    let lines: Vec<String> = proxy.requests().into_iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![target; 4]);
    assert_eq!(direct_lists(&harness).await, 0);
}

#[tokio::test]
async fn no_proxy_is_honoured_when_loopback_may_be_proxied() {
    let (harness, proxy) = (start().await, proxy().await);
    let port = harness.emulator.http_addr().port();
    let cases = [
        (
            "NO_PROXY",
            "127.0.0.1",
            harness.emulator.base_url().to_owned(),
        ),
        (
            "no_proxy",
            "example.com, 127.0.0.0/8",
            harness.emulator.base_url().to_owned(),
        ),
        ("NO_PROXY", "localhost", format!("http://localhost:{port}")),
        ("NO_PROXY", "*", harness.emulator.base_url().to_owned()),
    ];
    for (variable, value, base) in cases {
        let builder = builder_for(&harness.emulator)
            .base_url(base)
            .proxy_loopback(true);
        let client = build(
            builder,
            &[("HTTP_PROXY", proxy.url()), (variable, value.into())],
        );
        list(&client, &retries(0)).await.expect(value);
    }
    assert_eq!(direct_lists(&harness).await, 4);
    assert_eq!(proxy.connections(), 0);
}

#[tokio::test]
async fn other_hosts_go_through_the_proxy_with_its_credentials() {
    let proxy = proxy().await;
    let with_credentials = format!("http://user:pa%20ss@{}", proxy.addr);
    let client = build(
        remote("http://api.leap0.test"),
        &[("http_proxy", with_credentials)],
    );
    list(&client, &retries(0)).await.expect("through the proxy");

    let request = &proxy.requests()[0];
    assert_eq!(
        request.line,
        "GET http://api.leap0.test/v1/sandboxes HTTP/1.1"
    );
    // base64("user:pa ss")
    assert_eq!(
        request.header("proxy-authorization"),
        Some("Basic dXNlcjpwYSBzcw==")
    );
    assert_eq!(request.header("authorization"), Some("Bearer k"));

    // Without a scheme, http is meant.
    let bare = proxy.addr.to_string();
    let client = build(remote("http://api.leap0.test"), &[("HTTP_PROXY", bare)]);
    list(&client, &retries(0)).await.expect("through the proxy");
    assert_eq!(proxy.requests().len(), 2);
}

#[tokio::test]
async fn a_proxy_variable_that_is_not_a_url_is_ignored() {
    let harness = start().await;
    let builder = builder_for(&harness.emulator).proxy_loopback(true);
    let client = build(builder, &[("HTTP_PROXY", "http://[not a host".to_owned())]);
    list(&client, &retries(0)).await.expect("direct");
    assert_eq!(direct_lists(&harness).await, 1);
}

#[tokio::test]
async fn https_hosts_tunnel_through_https_proxy_only() {
    let (proxy, http_proxy) = (proxy().await, proxy().await);
    let vars = [
        ("HTTPS_PROXY", proxy.url()),
        ("HTTP_PROXY", http_proxy.url()),
    ];
    let client = build(remote("https://api.leap0.test"), &vars);
    let error = list(&client, &retries(0))
        .await
        .expect_err("the proxy refuses");
    assert_eq!(error.kind(), ErrorKind::Connection);

    let lines: Vec<String> = proxy.requests().into_iter().map(|r| r.line).collect();
    assert_eq!(lines, ["CONNECT api.leap0.test:443 HTTP/1.1"]);
    assert_eq!(http_proxy.connections(), 0);
}

#[tokio::test]
async fn an_https_proxy_is_not_used_for_http_urls() {
    let (harness, proxy) = (start().await, proxy().await);
    let builder = builder_for(&harness.emulator).proxy_loopback(true);
    let client = build(builder, &[("HTTPS_PROXY", proxy.url())]);
    list(&client, &retries(0)).await.expect("direct");
    assert_eq!(proxy.connections(), 0);
    assert_eq!(direct_lists(&harness).await, 1);
}

#[tokio::test]
async fn an_unreachable_proxy_fails_without_showing_its_password() {
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let dead = format!("http://user:pw-s3cret@127.0.0.1:{port}");
    let client = build(remote("http://api.leap0.test"), &[("HTTP_PROXY", dead)]);
    let error = list(&client, &retries(0))
        .await
        .expect_err("no proxy there");
    assert_eq!(error.kind(), ErrorKind::Connection);
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains("pw-s3cret"), "{shown}");
}
