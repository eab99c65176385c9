//! Starting and stopping in-process emulators.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::{config, start, start_with};
use leap0_emulator::{Config, Emulator, StartError};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn port_zero_gives_real_ports_for_http_and_ssh() {
    let (emulator, api) = start().await;
    let info = emulator.startup_info();

    assert_ne!(emulator.http_addr().port(), 0);
    assert_ne!(emulator.ssh_addr().port(), 0);
    assert_eq!(info.base_url, format!("http://{}", emulator.http_addr()));
    assert_eq!(info.ssh_port, emulator.ssh_addr().port());
    assert_eq!(info.api_key, emulator.api_key());
    assert!(emulator.api_key().len() >= 32);
    assert!(!format!("{emulator:?}").contains(emulator.api_key()));
    assert!(TcpStream::connect(emulator.ssh_addr()).await.is_ok());
    assert_eq!(api.get("/v1/sandboxes").await.0, reqwest::StatusCode::OK);
}

#[tokio::test]
async fn a_wildcard_host_is_announced_as_loopback() {
    let (emulator, api) = start_with(Config {
        host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        api_key: Some("fixed-key".into()),
        ..config()
    })
    .await;

    assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.startup_info().ssh_host, "127.0.0.1");
    assert_eq!(emulator.api_key(), "fixed-key");
    let sandbox = api.sandbox().await;
    let command = api.access(&sandbox).await["ssh_command"].clone();
    assert!(command.as_str().unwrap().ends_with("@127.0.0.1"));
}

#[tokio::test]
async fn unusable_api_keys_are_refused() {
    for key in ["", "two words", "tab\tkey"] {
        let config = Config {
            api_key: Some(key.into()),
            ..config()
        };
        let refused = Emulator::start(config).await.unwrap_err();
        assert!(matches!(refused, StartError::InvalidApiKey));
    }
}

#[tokio::test]
async fn an_ssh_ttl_past_what_the_clock_holds_is_refused() {
    // `now + ttl` overflowed and panicked in every create and regenerate.
    let endless = Config {
        ssh_ttl: Duration::from_secs(u64::MAX / 2),
        ..config()
    };
    let refused = Emulator::start(endless).await.unwrap_err();
    assert!(matches!(refused, StartError::InvalidSshTtl));

    let century = Duration::from_secs(100 * 365 * 24 * 3600);
    let (_emulator, api) = start_with(Config {
        ssh_ttl: century,
        ..config()
    })
    .await;
    let sandbox = api.sandbox().await;
    let access = api.access(&sandbox).await;
    assert!(access["expires_at"].as_str().is_some_and(|at| at > "2100"));
}

#[tokio::test]
async fn a_taken_port_is_a_bind_error() {
    let (first, _api) = start().await;
    let config = Config {
        port: first.http_addr().port(),
        ..config()
    };
    let refused = Emulator::start(config).await.unwrap_err();
    assert!(matches!(
        refused,
        StartError::Bind {
            service: "http",
            ..
        }
    ));
}

#[tokio::test]
async fn shutdown_is_prompt_with_a_stalled_response_and_cleans_up() {
    let (emulator, api) = start_with(Config {
        faults: true,
        ..config()
    })
    .await;
    let sandbox = api.sandbox().await;
    let dir = emulator.store().sandbox_dir(&sandbox);
    let rule = json!({"method": "GET", "path": "/v1/sandboxes",
        "fault": {"kind": "stall_after_headers"}});
    api.post("/_emulator/faults", rule).await;
    let _stalled = api
        .request(reqwest::Method::GET, "/v1/sandboxes")
        .send()
        .await
        .unwrap();
    let mut idle = TcpStream::connect(emulator.http_addr()).await.unwrap();
    idle.write_all(b"GET /v1/sand").await.unwrap();
    let addr = emulator.http_addr();

    let started = Instant::now();
    emulator.shutdown().await;

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!dir.exists());
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let (emulator, _api) = start().await;
    let (http, ssh) = (emulator.http_addr(), emulator.ssh_addr());

    drop(emulator);

    let deadline = Instant::now() + Duration::from_secs(3);
    while TcpStream::connect(http).await.is_ok() || TcpStream::connect(ssh).await.is_ok() {
        assert!(Instant::now() < deadline, "still listening");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sandbox_dirs_a_killed_emulator_left_are_removed_by_the_next_alone() {
    let config = config();
    let root = config.data_dir.join("sandboxes");
    let leftover = root.join("sbx-0123456789abcdef");
    let unrelated = root.join("not-a-sandbox");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::create_dir_all(&unrelated).unwrap();

    let (first, api) = start_with(config.clone()).await;
    assert!(!leftover.exists(), "the leftover is removed");
    assert!(unrelated.exists(), "anything else is left alone");

    // While one runs, another on the same data dir removes nothing of it.
    let sandbox = api.sandbox().await;
    let live = first.store().sandbox_dir(&sandbox);
    assert!(live.exists());
    let (second, _) = start_with(config).await;
    assert!(live.exists(), "a running emulator's sandbox stays");
    second.shutdown().await;
    first.shutdown().await;
}
