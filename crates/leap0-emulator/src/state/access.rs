//! SSH access credentials: their records, and how their end is announced.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

/// Why an SSH access stopped admitting its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Its `expires_at` passed.
    Expired,
    /// A new password was issued; the old one no longer works.
    Regenerated,
    /// The access was deleted.
    Deleted,
    /// Its sandbox was deleted.
    SandboxDeleted,
    /// The emulator is shutting down.
    EmulatorStopped,
}

/// What a client may know about an access: everything but the password and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// Also the SSH username.
    pub id: String,
    pub sandbox_id: String,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub expires_at: SystemTime,
    /// Bumped by each regeneration, so a check that raced one can tell.
    pub generation: u64,
}

impl Access {
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }
}

/// An access together with its plaintext password, which exists only in this value, on its
/// way to the client that asked for it.
#[derive(Clone)]
pub struct IssuedAccess {
    pub access: Access,
    pub password: String,
}

impl fmt::Debug for IssuedAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedAccess")
            .field("access", &self.access)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The store's record: the public part, the password hash and the end signal.
pub(crate) struct AccessEntry {
    pub(crate) access: Access,
    /// Argon2 PHC string.
    pub(crate) password_hash: String,
    /// `None` while the current generation is usable.
    pub(crate) status: watch::Sender<Option<EndReason>>,
}

impl AccessEntry {
    pub(crate) fn new(access: Access, password_hash: String) -> Self {
        Self {
            access,
            password_hash,
            status: watch::Sender::new(None),
        }
    }

    /// Tells the watchers of the current generation that it is over.
    pub(crate) fn end(&self, reason: EndReason) {
        self.status.send_replace(Some(reason));
    }

    /// Starts a new generation with a new password, ending the old one.
    pub(crate) fn regenerate(&mut self, password_hash: String, now: SystemTime, ttl: Duration) {
        self.end(EndReason::Regenerated);
        self.status = watch::Sender::new(None);
        self.password_hash = password_hash;
        self.access.generation += 1;
        self.access.updated_at = now;
        self.access.expires_at = now + ttl;
    }

    pub(crate) fn watch(&self) -> AccessWatch {
        AccessWatch {
            status: self.status.subscribe(),
            expires_at: self.access.expires_at,
        }
    }
}

/// Resolves when one generation of an access ends, for whatever reason.
#[derive(Debug, Clone)]
pub struct AccessWatch {
    status: watch::Receiver<Option<EndReason>>,
    expires_at: SystemTime,
}

impl AccessWatch {
    /// Waits until the access expires, is regenerated or deleted, its sandbox is deleted,
    /// or the emulator stops. Returns at once if that already happened.
    pub async fn ended(&mut self) -> EndReason {
        let left = self
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        tokio::select! {
            biased;
            ended = self.status.wait_for(Option::is_some) => match ended {
                Ok(reason) => reason.unwrap_or(EndReason::EmulatorStopped),
                // The record is gone without a word only when the whole store was dropped.
                Err(_) => EndReason::EmulatorStopped,
            },
            () = tokio::time::sleep(left) => EndReason::Expired,
        }
    }
}

/// What the SSH gateway needs to run a session once a password checked out.
pub struct SessionGrant {
    pub access: Access,
    /// The sandbox's working directory: `<data_dir>/sandboxes/<sandbox id>`.
    pub sandbox_dir: PathBuf,
    /// Environment of the session, from the sandbox's `env_vars`.
    pub env_vars: BTreeMap<String, String>,
    /// Ends the session when the access stops being valid.
    pub watch: AccessWatch,
}

// Env var values often hold tokens, so only their names are shown.
impl fmt::Debug for SessionGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionGrant")
            .field("access", &self.access)
            .field("sandbox_dir", &self.sandbox_dir)
            .field("env_vars", &self.env_vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Why [`Store::authenticate`](super::Store::authenticate) refused a login.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("unknown ssh access")]
    UnknownAccess,
    #[error("ssh access expired")]
    Expired,
    #[error("wrong password")]
    WrongPassword,
    #[error("password check failed")]
    Internal(#[source] super::StoreError),
}
