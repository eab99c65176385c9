//! Sessions on a pseudo-terminal: `pty-req`, `window-change`, and an interactive shell.

mod common;
mod ssh_support;

use std::time::Duration;

use russh::client::Msg;
use russh::{Channel, ChannelMsg};
use ssh_support::Credential;

/// Reads terminal output until it contains `text` or the channel closes; returns all of it.
async fn read_until(channel: &mut Channel<Msg>, text: &str, seen: &mut String) -> bool {
    let read = async {
        while !seen.contains(text) {
            match channel.wait().await {
                Some(ChannelMsg::Data { data }) => seen.push_str(&String::from_utf8_lossy(&data)),
                Some(_) => {}
                None => return false,
            }
        }
        true
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .unwrap_or(false)
}

#[tokio::test]
async fn a_terminal_has_the_requested_size_and_follows_window_changes() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let mut channel = connection.channel_open_session().await.unwrap();

    channel
        .request_pty(true, "xterm", 100, 30, 0, 0, &[])
        .await
        .unwrap();
    channel
        .exec(true, "tty; stty size; read line; stty size")
        .await
        .unwrap();
    let mut seen = String::new();
    assert!(
        read_until(&mut channel, "30 100", &mut seen).await,
        "{seen}"
    );
    assert!(seen.contains("/dev/pts/"), "{seen}");

    channel.window_change(120, 40, 0, 0).await.unwrap();
    channel.data_bytes(&b"\n"[..]).await.unwrap();
    assert!(
        read_until(&mut channel, "40 120", &mut seen).await,
        "{seen}"
    );
}

#[tokio::test]
async fn an_interactive_shell_runs_what_is_typed_and_reports_its_exit() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let mut channel = connection.channel_open_session().await.unwrap();

    channel
        .request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await
        .unwrap();
    channel.request_shell(true).await.unwrap();
    channel
        .data_bytes(&b"echo sum=$((40 + 2)); echo term=$TERM; exit 7\n"[..])
        .await
        .unwrap();

    let mut seen = String::new();
    let mut status = None;
    let read = async {
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => seen.push_str(&String::from_utf8_lossy(&data)),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the shell did not exit");
    assert!(seen.contains("sum=42"), "{seen}");
    assert!(seen.contains("term=xterm"), "{seen}");
    assert_eq!(status, Some(7));
}

#[tokio::test]
async fn a_shell_without_a_terminal_reads_commands_from_stdin() {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let mut channel = connection.channel_open_session().await.unwrap();

    channel.request_shell(true).await.unwrap();
    channel
        .data_bytes(&b"echo piped; exit 4\n"[..])
        .await
        .unwrap();
    channel.eof().await.unwrap();

    let mut stdout = String::new();
    let mut status = None;
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => stdout.push_str(&String::from_utf8_lossy(&data)),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    assert_eq!(stdout, "piped\n");
    assert_eq!(status, Some(4));
}
