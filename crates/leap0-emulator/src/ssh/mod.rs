//! The SSH gateway. For now a placeholder that holds the SSH port, so `ssh_command` names a
//! real listening address, and closes every connection it accepts; the gateway proper will
//! use the interface described in [`crate::state`].

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::state::Store;

/// Serves SSH on `listener` until `shutdown` fires.
pub async fn serve(listener: TcpListener, _store: Arc<Store>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => drop(stream),
                Err(err) => {
                    tracing::warn!(error = %err, "ssh accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}
