//! Regenerated, deleted and expired credentials, and deleted sandboxes: refused at login,
//! and their open sessions closed with the processes they started.

mod common;
mod ssh_support;

use std::time::{Duration, Instant};

use leap0_emulator::Config;
use reqwest::StatusCode;
use russh::ChannelMsg;
use serde_json::Value;
use ssh_support::{Connection, Credential};

/// Starts `sleep 30` in the background of a session and returns its pid; the channel stays
/// open while the shell waits for it.
async fn start_sleep(connection: &Connection) -> (russh::Channel<russh::client::Msg>, u32) {
    let mut channel = connection.channel_open_session().await.unwrap();
    channel
        .exec(true, "sleep 30 & echo $!; wait")
        .await
        .unwrap();
    let mut line = String::new();
    while !line.ends_with('\n') {
        match channel.wait().await {
            Some(ChannelMsg::Data { data }) => line.push_str(&String::from_utf8_lossy(&data)),
            Some(_) => {}
            None => panic!("the channel closed before the pid arrived"),
        }
    }
    (channel, line.trim().parse().unwrap())
}

/// Waits for `connection` to be closed by the server and returns how long that took.
async fn closed_within(connection: &Connection, limit: Duration) -> Duration {
    let started = Instant::now();
    let closed = ssh_support::eventually(limit, || connection.is_closed()).await;
    assert!(closed, "the session is still open after {limit:?}");
    started.elapsed()
}

#[tokio::test]
async fn a_regenerated_credential_refuses_the_old_password_and_takes_the_new() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let old = Credential::from_body(&api.access(&sandbox).await);
    let open = ssh_support::login(&emulator, &old).await;

    let path = format!("/v1/sandbox/{sandbox}/ssh/{}/regen", old.id);
    let (status, body) = api.post(&path, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = Credential::from_body(&body);

    assert!(ssh_support::refused(&emulator, &old).await);
    let connection = ssh_support::login(&emulator, &new).await;
    assert_eq!(
        ssh_support::exec(&connection, "echo ok").await.stdout,
        "ok\n"
    );
    closed_within(&open, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_deleted_credential_is_refused_and_its_open_session_closed_within_a_second() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let (_channel, pid) = start_sleep(&connection).await;

    let (status, _) = api
        .delete(&format!("/v1/sandbox/{sandbox}/ssh/{}", access.id))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    closed_within(&connection, Duration::from_secs(1)).await;
    assert!(ssh_support::eventually(Duration::from_secs(1), || ssh_support::is_dead(pid)).await);
    assert!(ssh_support::refused(&emulator, &access).await);
}

#[tokio::test]
async fn an_expired_credential_is_refused_and_its_session_closed() {
    let config = Config {
        ssh_ttl: Duration::from_secs(1),
        ..common::config()
    };
    let (emulator, api) = common::start_with(config).await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;

    closed_within(&connection, Duration::from_secs(2)).await;
    assert!(ssh_support::refused(&emulator, &access).await);
}

#[tokio::test]
async fn deleting_the_sandbox_kills_what_its_sessions_started() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let (_channel, pid) = start_sleep(&connection).await;
    assert!(!ssh_support::is_dead(pid));

    let (status, _) = api.delete(&format!("/v1/sandbox/{sandbox}/")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert!(ssh_support::eventually(Duration::from_secs(1), || ssh_support::is_dead(pid)).await);
    closed_within(&connection, Duration::from_secs(1)).await;
    assert!(ssh_support::refused(&emulator, &access).await);
}

#[tokio::test]
async fn closing_the_channel_kills_its_processes() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let (channel, pid) = start_sleep(&connection).await;

    channel.close().await.unwrap();

    assert!(ssh_support::eventually(Duration::from_secs(1), || ssh_support::is_dead(pid)).await);
}

#[tokio::test]
async fn stopping_the_emulator_ends_sessions_and_kills_their_processes() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let (_channel, pid) = start_sleep(&connection).await;

    let started = Instant::now();
    emulator.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));

    assert!(ssh_support::eventually(Duration::from_secs(1), || ssh_support::is_dead(pid)).await);
    closed_within(&connection, Duration::from_secs(1)).await;
}
