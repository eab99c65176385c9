//! The `sftp` subsystem, which `sftp` and OpenSSH 9's `scp` use. Relative paths start at the
//! sandbox dir; absolute paths reach anything the emulator's user may touch, as the
//! session's shell could anyway. It is a development tool, not a boundary.

mod files;

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use russh::server::Msg;
use russh::{Channel, ChannelMsg};
use russh_sftp::protocol::{FileAttributes, Status, StatusCode};
use russh_sftp::server::StatusReply;
use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use files::Sftp;

/// The subsystem name clients ask for.
pub(super) const SUBSYSTEM: &str = "sftp";

/// Bytes in flight between the channel and the protocol task, each way.
const PIPE_BUFFER: usize = 512 * 1024;

/// Serves SFTP on `channel` until the client closes it or `ended` fires.
///
/// russh-sftp runs the protocol on a task of its own over an in-memory pipe; this side
/// copies bytes between that pipe and the channel, so that when the protocol ends it can
/// report exit status 0 as sshd's `sftp-server` does. `scp` counts a missing status as
/// a failure.
pub(super) async fn serve(channel: Channel<Msg>, dir: PathBuf, ended: &CancellationToken) {
    let handler = Sftp::new(dir);
    let (ours, theirs) = tokio::io::duplex(PIPE_BUFFER);
    russh_sftp::server::run(theirs, handler).await;
    let (mut from_sftp, mut to_sftp) = tokio::io::split(ours);
    let (mut reader, writer) = channel.split();
    let requests = async {
        while let Some(msg) = reader.wait().await {
            let data = match msg {
                ChannelMsg::Data { data } => data,
                ChannelMsg::Eof | ChannelMsg::Close => break,
                _ => continue,
            };
            if to_sftp.write_all(&data).await.is_err() {
                break;
            }
        }
        // The protocol task reads an end of input and stops, which ends the answers.
        let _ = to_sftp.shutdown().await;
        std::future::pending::<()>().await;
    };
    let answers = async {
        let mut to_client = writer.make_writer();
        let _ = tokio::io::copy(&mut from_sftp, &mut to_client).await;
    };
    tokio::select! {
        biased;
        () = ended.cancelled() => return,
        () = requests => {}
        () = answers => {}
    }
    let _ = writer.exit_status(0).await;
    let _ = writer.eof().await;
    let _ = writer.close().await;
}

pub(super) fn status(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".to_owned(),
        language_tag: "en-US".to_owned(),
    }
}

pub(super) fn io_error(err: io::Error) -> StatusReply {
    let code = match err.kind() {
        io::ErrorKind::NotFound => StatusCode::NoSuchFile,
        io::ErrorKind::PermissionDenied => StatusCode::PermissionDenied,
        _ => StatusCode::Failure,
    };
    code.with_message(err.to_string())
}

pub(super) fn bad_handle() -> StatusReply {
    StatusCode::Failure.with_message("invalid handle")
}

/// `path` with `.` and `..` worked out without asking the file system, for paths that do
/// not exist (yet).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What a `setstat` or `fsetstat` changes.
pub(super) enum Target<'a> {
    Path(&'a Path),
    File(&'a tokio::fs::File),
}

/// Applies the attributes a client may set: size, permissions, times. Owner changes are
/// ignored, since every file belongs to the emulator's user.
pub(super) async fn set_attrs(target: Target<'_>, attrs: &FileAttributes) -> io::Result<()> {
    if let Some(size) = attrs.size {
        match target {
            Target::File(file) => file.set_len(size).await?,
            Target::Path(path) => {
                let file = tokio::fs::OpenOptions::new().write(true).open(path).await?;
                file.set_len(size).await?;
            }
        }
    }
    if let Some(mode) = attrs.permissions {
        let permissions = std::fs::Permissions::from_mode(mode & 0o7777);
        match target {
            Target::File(file) => file.set_permissions(permissions).await?,
            Target::Path(path) => tokio::fs::set_permissions(path, permissions).await?,
        }
    }
    if let (Some(atime), Some(mtime)) = (attrs.atime, attrs.mtime) {
        let at = |secs: u32| Timespec {
            tv_sec: secs.into(),
            tv_nsec: 0,
        };
        let times = Timestamps {
            last_access: at(atime),
            last_modification: at(mtime),
        };
        match target {
            Target::File(file) => rustix::fs::futimens(file, &times)?,
            Target::Path(path) => {
                let path = path.to_path_buf();
                let set = move || utimensat(CWD, &path, &times, AtFlags::empty());
                tokio::task::spawn_blocking(set)
                    .await
                    .map_err(io::Error::other)??;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_works_out_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
    }
}
