//! The gateway's host key: the one clients see, announced in the startup line, and kept in
//! the data dir so `known_hosts` stays valid across restarts.

mod common;
mod ssh_support;

use std::os::unix::fs::PermissionsExt;

use ssh_support::Client;

async fn fingerprint_seen_by_a_client(emulator: &leap0_emulator::Emulator) -> String {
    let client = Client::default();
    let _connection = ssh_support::connect_with(emulator, client.clone()).await;
    let seen = client.host_key_fingerprint.lock().unwrap().clone();
    seen.expect("no host key seen")
}

#[tokio::test]
async fn the_host_key_is_announced_and_survives_a_restart_with_the_same_data_dir() {
    let config = common::config();
    let (first, _) = common::start_with(config.clone()).await;
    let announced = first.startup_info().ssh_host_key_fingerprint.clone();
    assert!(announced.starts_with("SHA256:"), "{announced}");
    assert_eq!(fingerprint_seen_by_a_client(&first).await, announced);
    first.shutdown().await;

    let key_file = config.data_dir.join("ssh_host_ed25519_key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let (second, _) = common::start_with(config).await;
    assert_eq!(second.startup_info().ssh_host_key_fingerprint, announced);
    assert_eq!(fingerprint_seen_by_a_client(&second).await, announced);
}

#[tokio::test]
async fn emulators_with_their_own_data_dirs_have_their_own_host_keys() {
    let (first, _) = common::start().await;
    let (second, _) = common::start().await;
    assert_ne!(
        first.startup_info().ssh_host_key_fingerprint,
        second.startup_info().ssh_host_key_fingerprint
    );
}
