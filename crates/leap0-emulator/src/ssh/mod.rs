//! The SSH gateway: `ssh -p <ssh port> <access id>@<host>` with the access's password opens
//! a shell, runs a command or serves SFTP in that sandbox's directory, as the emulator's
//! own user. It is a development convenience on loopback, not an isolation boundary.
//!
//! Each connection is a task here watching three things: the russh session, the emulator's
//! shutdown, and, once logged in, the access's [`AccessWatch`](crate::state::AccessWatch).
//! When the access ends (expired, regenerated, deleted, sandbox deleted) or the emulator
//! stops, the connection is closed and the processes its channels started are killed.

mod auth;
mod channel;
mod connection;
pub mod host_key;
mod process;
mod sftp;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::server::{run_stream, RunningSession};
use russh::{Disconnect, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::state::{EndReason, Store};
use auth::Throttle;
use connection::{Connection, LoggedIn};

/// How long a client may take from connecting to logging in, as OpenSSH's `LoginGraceTime`.
const LOGIN_GRACE: Duration = Duration::from_secs(60);
/// How long a closing connection may take to say goodbye before its task lets go.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// A dead client is noticed after this many seconds of silence times `KEEPALIVE_MAX`.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_MAX: usize = 3;
/// Least time a refused login takes, whichever part was wrong, so timing tells nothing.
const REJECTION_TIME: Duration = Duration::from_millis(50);
/// Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Errors that end one SSH connection.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Ssh(#[from] russh::Error),
}

fn config(host_key: PrivateKey) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed("SSH-2.0-leap0_emulator")),
        methods: connection::methods(),
        auth_rejection_time: REJECTION_TIME,
        // OpenSSH opens with a `none` attempt just to learn the methods; no need to wait.
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        // An idle interactive shell is fine; keepalives find clients that are gone.
        inactivity_timeout: None,
        keepalive_interval: Some(KEEPALIVE_INTERVAL),
        keepalive_max: KEEPALIVE_MAX,
        nodelay: true,
        ..Default::default()
    }
}

/// Serves SSH on `listener` until `shutdown` fires, then closes every connection, killing
/// the processes they started, and returns within about a second.
pub async fn serve(
    listener: TcpListener,
    store: Arc<Store>,
    host_key: PrivateKey,
    shutdown: CancellationToken,
) {
    let config = Arc::new(config(host_key));
    let throttle = Arc::new(Throttle::default());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(
                        stream,
                        config.clone(),
                        store.clone(),
                        throttle.clone(),
                        shutdown.clone(),
                    ));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "ssh accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    crate::server::drain(connections).await;
}

/// Why a logged-in connection ended, for its log line.
fn describe(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Expired => "ssh access expired",
        EndReason::Regenerated => "ssh access regenerated",
        EndReason::Deleted => "ssh access deleted",
        EndReason::SandboxDeleted => "sandbox deleted",
        EndReason::EmulatorStopped => "emulator stopped",
    }
}

async fn serve_connection(
    stream: TcpStream,
    config: Arc<russh::server::Config>,
    store: Arc<Store>,
    throttle: Arc<Throttle>,
    shutdown: CancellationToken,
) {
    // Cancelled however this task ends, aborted included, so channel tasks never outlive it.
    let ended = CancellationToken::new();
    let _ended_on_exit = ended.clone().drop_guard();
    let (logged_in_tx, logged_in) = oneshot::channel();
    let handler = Connection::new(store, throttle, logged_in_tx, ended.clone());
    let grace = tokio::time::sleep(LOGIN_GRACE);
    tokio::pin!(grace);

    let started = tokio::select! {
        started = run_stream(config, stream, handler) => started,
        () = shutdown.cancelled() => return,
        () = &mut grace => return,
    };
    let session = match started {
        Ok(session) => session,
        Err(err) => {
            tracing::debug!(error = %err, "ssh handshake failed");
            return;
        }
    };
    let handle = session.handle();
    tokio::pin!(session);

    let login = tokio::select! {
        result = &mut session => {
            if let Err(err) = result {
                tracing::debug!(error = %err, "ssh connection ended before a login");
            }
            return;
        }
        () = shutdown.cancelled() => {
            close(&handle, session, "emulator stopped").await;
            return;
        }
        () = &mut grace => {
            close(&handle, session, "login timed out").await;
            return;
        }
        login = logged_in => match login {
            Ok(login) => login,
            // The handler is gone, so the session is over.
            Err(_) => return,
        },
    };

    let LoggedIn {
        access_id,
        sandbox_id,
        mut watch,
    } = login;
    let reason = tokio::select! {
        result = &mut session => {
            ended.cancel();
            let reason = match result {
                Ok(()) => "client disconnected".to_owned(),
                Err(err) => format!("connection failed: {err}"),
            };
            tracing::info!(%access_id, %sandbox_id, %reason, "ssh session ended");
            return;
        }
        () = shutdown.cancelled() => "emulator stopped",
        reason = watch.ended() => describe(reason),
    };
    // Processes die first, then the client hears why.
    ended.cancel();
    close(&handle, session, reason).await;
    tracing::info!(%access_id, %sandbox_id, reason, "ssh session ended");
}

/// Tells the client why the connection closes and waits a moment for the session to end.
async fn close(
    handle: &russh::server::Handle,
    session: std::pin::Pin<&mut RunningSession<Connection>>,
    reason: &str,
) {
    let goodbye = async {
        let sent = handle
            .disconnect(Disconnect::ByApplication, reason.to_owned(), String::new())
            .await;
        if sent.is_ok() {
            let _ = session.await;
        }
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, goodbye).await;
}
