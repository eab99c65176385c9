//! Logging in to the SSH gateway with issued credentials and running commands.

mod common;
mod ssh_support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use ssh_support::{Credential, Output};

async fn sandbox_with_access(api: &common::Api) -> (String, Credential) {
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    (sandbox, access)
}

#[tokio::test]
async fn a_fresh_credential_logs_in_and_runs_commands_in_the_sandbox_dir() {
    let (emulator, api) = common::start().await;
    let (sandbox, access) = sandbox_with_access(&api).await;
    let connection = ssh_support::login(&emulator, &access).await;

    let hello = ssh_support::exec(&connection, "echo hello; echo oops >&2").await;
    assert_eq!(hello.stdout, "hello\n");
    assert_eq!(hello.stderr, "oops\n");
    assert_eq!(hello.status, Some(0));

    let pwd = ssh_support::exec(&connection, "pwd; echo $HOME").await;
    let dir = emulator.store().sandbox_dir(&sandbox);
    let dir = dir.to_str().unwrap();
    assert_eq!(pwd.stdout, format!("{dir}\n{dir}\n"));

    let failed = ssh_support::exec(&connection, "exit 3").await;
    assert_eq!(failed.status, Some(3));
    assert_eq!(failed.stdout, "");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_ids_are_refused_alike() {
    let (emulator, api) = common::start().await;
    let (_, access) = sandbox_with_access(&api).await;

    let wrong = Credential {
        id: access.id.clone(),
        password: "not-the-password".into(),
    };
    assert!(ssh_support::refused(&emulator, &wrong).await);
    let unknown = Credential {
        id: "nosuchaccess".into(),
        password: access.password.clone(),
    };
    assert!(ssh_support::refused(&emulator, &unknown).await);
    let mut connection = ssh_support::connect(&emulator).await;
    let none = connection.authenticate_none(&access.id).await.unwrap();
    assert!(!none.success());
}

#[tokio::test]
async fn a_wrong_password_then_the_right_one_on_one_connection_logs_in() {
    let (emulator, api) = common::start().await;
    let (_, access) = sandbox_with_access(&api).await;
    let mut connection = ssh_support::connect(&emulator).await;

    assert!(!ssh_support::password(&mut connection, &access.id, "nope").await);
    assert!(ssh_support::password(&mut connection, &access.id, &access.password).await);
    let output = ssh_support::exec(&connection, "echo in").await;
    assert_eq!(output.stdout, "in\n");
}

#[tokio::test]
async fn keyboard_interactive_takes_the_same_password() {
    let (emulator, api) = common::start().await;
    let (_, access) = sandbox_with_access(&api).await;
    let mut connection = ssh_support::connect(&emulator).await;

    let (id, password) = (&access.id, &access.password);
    assert!(!ssh_support::keyboard_interactive(&mut connection, id, "nope").await);
    assert!(ssh_support::keyboard_interactive(&mut connection, id, password).await);
    assert_eq!(
        ssh_support::exec(&connection, "exit 0").await.status,
        Some(0)
    );
}

#[tokio::test]
async fn repeated_failures_for_one_id_are_slowed_down() {
    let (emulator, api) = common::start().await;
    let (_, access) = sandbox_with_access(&api).await;
    let mut connection = ssh_support::connect(&emulator).await;

    for _ in 0..3 {
        assert!(!ssh_support::password(&mut connection, &access.id, "nope").await);
    }
    // After three failures the next check waits 300 ms before it even looks.
    let started = Instant::now();
    assert!(ssh_support::password(&mut connection, &access.id, &access.password).await);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn the_sandbox_env_vars_and_env_requests_reach_the_command() {
    let (emulator, api) = common::start().await;
    let body = json!({
        "template_name": "system/debian:bookworm",
        "env_vars": {"GREETING": "hi there", "SHARED": "from sandbox"},
    });
    let (status, created) = api.post("/v1/sandbox/", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let sandbox = created["id"].as_str().unwrap();
    let access = Credential::from_body(&api.access(sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;

    let env = [("SHARED", "from client"), ("LC_TEST", "x")];
    let Output { stdout, .. } = ssh_support::exec_with_env(
        &connection,
        &env,
        r#"printf '%s|%s|%s' "$GREETING" "$SHARED" "$LC_TEST""#,
    )
    .await;
    assert_eq!(stdout, "hi there|from client|x");
    let leaked = ssh_support::exec(&connection, "echo \"${LEAP0_EMULATOR_API_KEY:-none}\"").await;
    assert_eq!(leaked.stdout, "none\n");
}

#[tokio::test]
async fn a_command_that_reads_stdin_gets_the_client_input() {
    let (emulator, api) = common::start().await;
    let (_, access) = sandbox_with_access(&api).await;
    let connection = ssh_support::login(&emulator, &access).await;

    let mut channel = connection.channel_open_session().await.unwrap();
    channel.exec(true, "wc -c").await.unwrap();
    channel.data_bytes(vec![b'x'; 300_000]).await.unwrap();
    channel.eof().await.unwrap();
    let mut stdout = String::new();
    let mut status = None;
    while let Some(msg) = channel.wait().await {
        match msg {
            russh::ChannelMsg::Data { data } => stdout.push_str(&String::from_utf8_lossy(&data)),
            russh::ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    assert_eq!(stdout.trim(), "300000");
    assert_eq!(status, Some(0));
}
