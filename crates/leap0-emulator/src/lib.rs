//! A local emulator of the Leap0 control plane: an in-memory HTTP server answering the
//! sandbox and SSH access paths of the Leap0 API like the service does, plus an SSH gateway
//! where the credentials it issues log in.
//!
//! ```no_run
//! # async fn demo() -> Result<(), leap0_emulator::StartError> {
//! let emulator = leap0_emulator::Emulator::start(leap0_emulator::Config::default()).await?;
//! println!("{} {}", emulator.base_url(), emulator.api_key());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod config;
mod faults;
mod secrets;
mod server;
mod ssh;
pub mod state;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use state::Store;

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the API key must be non-empty, visible ASCII without spaces")]
    InvalidApiKey,
    #[error(
        "the SSH credential lifetime must be at most {} years",
        config::MAX_SSH_TTL_YEARS
    )]
    InvalidSshTtl,
    #[error("could not generate an API key")]
    ApiKey(#[source] secrets::SecretError),
    #[error("could not prepare the data directory")]
    DataDir(#[source] state::StoreError),
    #[error("could not load or create the ssh host key")]
    HostKey(#[source] ssh::host_key::HostKeyError),
    #[error("could not listen for {service} on {addr}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// Where a started emulator listens: the first stdout line of the binary, as JSON
/// (`{"baseUrl":…,"apiKey":…,"sshHost":…,"sshPort":…,"sshHostKeyFingerprint":…}`).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartupInfo {
    /// `http://<host>:<port>`, without a trailing slash.
    pub base_url: String,
    pub api_key: String,
    pub ssh_host: String,
    pub ssh_port: u16,
    /// The SSH host key's fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`). The key
    /// is kept in the data dir, so it stays the same across restarts.
    pub ssh_host_key_fingerprint: String,
}

impl StartupInfo {
    /// The one-line JSON object.
    pub fn to_json(&self) -> String {
        // Plain strings and numbers always serialize; the fallback only satisfies the type.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl fmt::Debug for StartupInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartupInfo")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("ssh_host", &self.ssh_host)
            .field("ssh_port", &self.ssh_port)
            .field("ssh_host_key_fingerprint", &self.ssh_host_key_fingerprint)
            .finish()
    }
}

/// A running emulator. Dropping it stops the servers too, without waiting for them.
pub struct Emulator {
    info: StartupInfo,
    http_addr: SocketAddr,
    ssh_addr: SocketAddr,
    store: Arc<Store>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The address clients should dial: a wildcard bind is reached through loopback.
fn dialable(host: IpAddr) -> IpAddr {
    match host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

async fn bind(service: &'static str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    let bind_error = |source| StartError::Bind {
        service,
        addr,
        source,
    };
    TcpListener::bind(addr).await.map_err(bind_error)
}

impl Emulator {
    /// Binds both ports, then serves on the current tokio runtime until [`shutdown`] or drop.
    ///
    /// [`shutdown`]: Emulator::shutdown
    pub async fn start(config: Config) -> Result<Emulator, StartError> {
        let api_key = match config.api_key {
            Some(key) if config::is_usable_api_key(&key) => key,
            Some(_) => return Err(StartError::InvalidApiKey),
            None => secrets::api_key().map_err(StartError::ApiKey)?,
        };
        if config.ssh_ttl > config::max_ssh_ttl() {
            // Expiry times are `now + ttl`: past what the clock can hold, every issue panics.
            return Err(StartError::InvalidSshTtl);
        }
        // Clearing a killed emulator's leftovers, or waiting while another does, is file
        // system work that must not stall the runtime.
        let (data_dir, max, ttl) = (
            config.data_dir.clone(),
            config.max_sandboxes,
            config.ssh_ttl,
        );
        let store = tokio::task::spawn_blocking(move || Store::open(&data_dir, max, ttl))
            .await
            .map_err(|err| StartError::DataDir(err.into()))?
            .map_err(StartError::DataDir)?;
        let store = Arc::new(store);
        let host_key =
            ssh::host_key::load_or_create(&config.data_dir).map_err(StartError::HostKey)?;
        let http = bind("http", SocketAddr::new(config.host, config.port)).await?;
        let ssh = bind("ssh", SocketAddr::new(config.host, config.ssh_port)).await?;
        let local_addr = |listener: &TcpListener, service| {
            listener.local_addr().map_err(|source| StartError::Bind {
                service,
                addr: SocketAddr::new(config.host, 0),
                source,
            })
        };
        let http_addr = local_addr(&http, "http")?;
        let ssh_addr = local_addr(&ssh, "ssh")?;

        let host = dialable(config.host);
        let info = StartupInfo {
            base_url: format!("http://{}", SocketAddr::new(host, http_addr.port())),
            api_key: api_key.clone(),
            ssh_host: host.to_string(),
            ssh_port: ssh_addr.port(),
            ssh_host_key_fingerprint: ssh::host_key::fingerprint(&host_key),
        };
        let app_state = Arc::new(api::AppState {
            store: store.clone(),
            api_key,
            stats: api::Stats::new(),
            faults: config.faults.then(faults::FaultBook::default),
            ssh_host: info.ssh_host.clone(),
            ssh_port: info.ssh_port,
        });

        let shutdown = CancellationToken::new();
        let task = tokio::spawn({
            let app = api::router(app_state);
            let store = store.clone();
            let shutdown = shutdown.clone();
            async move {
                tokio::join!(
                    server::serve(http, app, shutdown.clone()),
                    ssh::serve(ssh, store.clone(), host_key, shutdown),
                );
                store.close().await;
            }
        });
        tracing::info!(base_url = %info.base_url, ssh = %ssh_addr, "emulator listening");
        Ok(Emulator {
            info,
            http_addr,
            ssh_addr,
            store,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://<host>:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.info.base_url
    }

    pub fn api_key(&self) -> &str {
        &self.info.api_key
    }

    /// Where the HTTP listener is bound.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Where the SSH listener is bound (a wildcard address if the host was one).
    pub fn ssh_addr(&self) -> SocketAddr {
        self.ssh_addr
    }

    pub fn startup_info(&self) -> &StartupInfo {
        &self.info
    }

    /// The live state, for in-process tests and the SSH gateway.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Stops accepting, lets in-flight requests finish for up to a second, closes every SSH
    /// connection (killing the processes it started), ends every SSH access and removes the
    /// sandbox directories.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            if let Err(err) = task.await {
                tracing::warn!(error = %err, "emulator task failed");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
