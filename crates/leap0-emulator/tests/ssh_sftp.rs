//! The `sftp` subsystem: files in and out of the sandbox dir.

mod common;
mod ssh_support;

use std::path::PathBuf;

use leap0_emulator::Emulator;
use russh_sftp::client::SftpSession;
use ssh_support::{Connection, Credential};
use tokio::io::AsyncWriteExt;

/// A new sandbox's SFTP session and dir, with the emulator and connection that keep it open.
async fn sftp_in_a_new_sandbox() -> ((Emulator, Connection), SftpSession, PathBuf) {
    let (emulator, api) = common::start().await;
    let sandbox = api.sandbox().await;
    let access = Credential::from_body(&api.access(&sandbox).await);
    let connection = ssh_support::login(&emulator, &access).await;
    let channel = connection.channel_open_session().await.unwrap();
    channel.request_subsystem(true, "sftp").await.unwrap();
    let sftp = SftpSession::new(channel.into_stream()).await.unwrap();
    let dir = emulator.store().sandbox_dir(&sandbox);
    ((emulator, connection), sftp, dir)
}

#[tokio::test]
async fn files_go_in_and_out_of_the_sandbox_dir_intact() {
    let (_open, sftp, dir) = sftp_in_a_new_sandbox().await;

    assert_eq!(sftp.canonicalize(".").await.unwrap(), dir.to_str().unwrap());
    let content: Vec<u8> = (0..1_048_576u32).map(|n| (n * 7 % 251) as u8).collect();
    sftp.create_dir("in").await.unwrap();
    let mut file = sftp.create("in/data.bin").await.unwrap();
    file.write_all(&content).await.unwrap();
    file.shutdown().await.unwrap();
    assert_eq!(std::fs::read(dir.join("in/data.bin")).unwrap(), content);
    assert_eq!(sftp.read("in/data.bin").await.unwrap(), content);

    let names: Vec<String> = sftp
        .read_dir(".")
        .await
        .unwrap()
        .map(|entry| entry.file_name())
        .collect();
    assert!(names.contains(&"in".to_owned()), "{names:?}");
    sftp.rename("in/data.bin", "in/moved.bin").await.unwrap();
    sftp.remove_file("in/moved.bin").await.unwrap();
    assert!(!dir.join("in/moved.bin").exists());
    let missing = sftp.read("in/nothing").await;
    assert!(missing.is_err());
    sftp.close().await.unwrap();
}

#[tokio::test]
async fn symlinks_and_sockets_keep_their_file_type() {
    let (_open, sftp, dir) = sftp_in_a_new_sandbox().await;
    std::fs::write(dir.join("target.txt"), "hello").unwrap();
    std::os::unix::fs::symlink("target.txt", dir.join("link")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("sock")).unwrap();

    let link = sftp.symlink_metadata("link").await.unwrap();
    assert!(link.is_symlink(), "{:o}", link.permissions.unwrap_or(0));
    let socket = sftp.symlink_metadata("sock").await.unwrap();
    let mode = socket.permissions.unwrap_or(0);
    assert_eq!(mode & 0o170000, 0o140000, "a socket, not a file: {mode:o}");
    let entries: Vec<_> = sftp.read_dir(".").await.unwrap().collect();
    let listed = entries.iter().find(|e| e.file_name() == "link").unwrap();
    assert!(listed.metadata().is_symlink());
    sftp.close().await.unwrap();
}
