//! Async Rust client for the Leap0 sandbox API.
//!
//! One [`Client`] holds one HTTP connection pool that every call shares. Calls take
//! [`RequestOptions`] for a per-call timeout, retry budget, headers and cancellation, and
//! fail with one [`Error`] type whose [`ErrorKind`] says what went wrong.
//!
//! ```no_run
//! # async fn demo() -> leap0::Result<()> {
//! let client = leap0::Client::from_env()?;
//! let options = leap0::RequestOptions::default();
//! let sandbox = client.sandboxes().create(&Default::default(), &options).await?;
//! let access = client.ssh().create_access(&sandbox.id, &options).await?;
//! println!("{}", access.ssh_command);
//! client.sandboxes().delete(&sandbox.id, &options).await?;
//! # Ok(())
//! # }
//! ```

mod answer;
mod attempt;
mod client;
mod config;
mod error;
pub mod models;
mod proxy;
mod redact;
mod retry;
mod sandboxes;
mod ssh;
mod transport;

pub use client::Client;
pub use config::{
    ClientBuilder, API_KEY_ENV, BASE_URL_ENV, DEFAULT_AUTH_HEADER, DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
};
pub use error::{Error, ErrorKind, FieldError, Result};
pub use sandboxes::{CreateSandboxParams, ListSandboxesParams, Sandboxes, DEFAULT_TEMPLATE};
pub use ssh::Ssh;
pub use transport::{check_id, RequestOptions, MAX_ARGUMENT_BYTES, MAX_RESPONSE_BYTES};
