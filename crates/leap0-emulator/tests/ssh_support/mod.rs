//! A russh client for the SSH gateway tests: log in, run a command, collect what it says.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leap0_emulator::Emulator;
use russh::client::{self, AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::HashAlg;
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, Disconnect};
use serde_json::Value;

/// Accepts any host key (the tests compare fingerprints themselves) and remembers it.
#[derive(Clone, Default)]
pub struct Client {
    pub host_key_fingerprint: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = server_public_key {
            let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
            *self.host_key_fingerprint.lock().unwrap() = Some(fingerprint);
        }
        Ok(true)
    }
}

pub type Connection = Handle<Client>;

/// A credential from the API's answer: the SSH username and its password.
pub struct Credential {
    pub id: String,
    pub password: String,
}

impl Credential {
    pub fn from_body(body: &Value) -> Self {
        Self {
            id: body["id"].as_str().unwrap().to_owned(),
            password: body["password"].as_str().unwrap().to_owned(),
        }
    }
}

pub async fn connect_with(emulator: &Emulator, client: Client) -> Connection {
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(Duration::from_secs(30)),
        ..Default::default()
    });
    client::connect(config, emulator.ssh_addr(), client)
        .await
        .unwrap()
}

pub async fn connect(emulator: &Emulator) -> Connection {
    connect_with(emulator, Client::default()).await
}

/// Tries the `password` method and says whether the gateway let the client in.
pub async fn password(connection: &mut Connection, user: &str, password: &str) -> bool {
    let result = connection
        .authenticate_password(user, password)
        .await
        .unwrap();
    matches!(result, AuthResult::Success)
}

/// Tries `keyboard-interactive`, answering every prompt with `password`.
pub async fn keyboard_interactive(conn: &mut Connection, user: &str, password: &str) -> bool {
    let mut response = conn
        .authenticate_keyboard_interactive_start(user, None)
        .await
        .unwrap();
    loop {
        match response {
            KeyboardInteractiveAuthResponse::Success => return true,
            KeyboardInteractiveAuthResponse::Failure { .. } => return false,
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                assert!(prompts
                    .iter()
                    .all(|prompt| prompt.prompt.contains("assword")));
                let answers = prompts.iter().map(|_| password.to_owned()).collect();
                response = conn
                    .authenticate_keyboard_interactive_respond(answers)
                    .await
                    .unwrap();
            }
        }
    }
}

/// A connection logged in as `credential`.
pub async fn login(emulator: &Emulator, credential: &Credential) -> Connection {
    let mut connection = connect(emulator).await;
    assert!(password(&mut connection, &credential.id, &credential.password).await);
    connection
}

pub async fn refused(emulator: &Emulator, credential: &Credential) -> bool {
    let mut connection = connect(emulator).await;
    let refused = !password(&mut connection, &credential.id, &credential.password).await;
    let _ = connection
        .disconnect(Disconnect::ByApplication, "", "en")
        .await;
    refused
}

/// What a command said and how it ended.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: Option<u32>,
}

/// Runs `command` on a new channel of `connection`, with `env` requests first, and reads
/// until the channel closes.
pub async fn exec_with_env(conn: &Connection, env: &[(&str, &str)], command: &str) -> Output {
    let mut channel = conn.channel_open_session().await.unwrap();
    for (name, value) in env {
        channel.set_env(true, *name, *value).await.unwrap();
    }
    channel.exec(true, command).await.unwrap();
    let mut output = Output::default();
    let read = async {
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => {
                    output.stdout.push_str(&String::from_utf8_lossy(&data))
                }
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    output.stderr.push_str(&String::from_utf8_lossy(&data));
                }
                ChannelMsg::ExitStatus { exit_status } => output.status = Some(exit_status),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the channel stayed open");
    output
}

pub async fn exec(connection: &Connection, command: &str) -> Output {
    exec_with_env(connection, &[], command).await
}

/// Whether process `pid` is gone (or a zombie waiting for a parent that will reap it).
pub fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// Waits up to `limit` for `condition`, checking every 20 ms.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
