//! The client handle: one connection pool, shared by every call, until it is closed.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::redirect;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{ClientBuilder, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::sandboxes::Sandboxes;
use crate::ssh::Ssh;

/// A Leap0 API client. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// `None` once closed, so the pool (and its idle connections) goes away as soon as the
    /// calls still holding a clone of it have settled.
    pub(crate) http: RwLock<Option<reqwest::Client>>,
    pub(crate) settings: Settings,
    /// Cancelled by `close()`: every call in flight races against it.
    pub(crate) closed: CancellationToken,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.settings.base_url.as_str())
            .field("auth_header", &self.inner.settings.auth.0.as_str())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Redirects are followed only within the base URL's origin, so the key, whatever header
/// carries it, never reaches another host or port.
const MAX_REDIRECTS: usize = 5;

impl Client {
    /// A builder for a client; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `LEAP0_API_KEY`, `LEAP0_BASE_URL` and the defaults.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::new().build()
    }

    pub(crate) fn from_settings(settings: Settings) -> Result<Client> {
        let policy = redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin {
                attempt.stop()
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let http = reqwest::Client::builder();
        let http = settings
            .proxies
            .apply(http, settings.proxy_loopback)
            .user_agent(settings.user_agent.clone())
            .redirect(policy)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    "could not set up the HTTP client",
                )
                .with_source(e)
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http: RwLock::new(Some(http)),
                settings,
                closed: CancellationToken::new(),
            }),
        })
    }

    /// Sandbox calls: create, get, list, delete.
    pub fn sandboxes(&self) -> Sandboxes<'_> {
        Sandboxes { client: self }
    }

    /// SSH access calls: create, validate, regenerate and delete credentials.
    pub fn ssh(&self) -> Ssh<'_> {
        Ssh { client: self }
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.settings.base_url
    }

    /// Closes the client: calls in flight fail at once with a "client is closed" error, later
    /// calls fail without sending anything, and the connection pool is released. Closing
    /// again does nothing.
    pub fn close(&self) {
        self.inner.closed.cancel();
        if let Ok(mut http) = self.inner.http.write() {
            http.take();
        }
    }

    /// Whether [`Client::close`] has been called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    pub(crate) fn http(&self) -> Result<reqwest::Client> {
        if self.is_closed() {
            return Err(Error::closed());
        }
        let guard = self.inner.http.read().map_err(|_| Error::closed())?;
        guard.clone().ok_or_else(Error::closed)
    }
}
