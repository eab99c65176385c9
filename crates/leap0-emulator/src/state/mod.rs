//! The emulator's in-memory store of sandboxes and SSH access credentials.
//!
//! One [`Store`] serves the HTTP API and the SSH gateway. Its lock is a plain mutex held only
//! for map operations; password hashing and file system work happen outside it.
//!
//! # Interface for the SSH gateway
//!
//! - [`Store::authenticate`]`(access_id, password)` is the whole login check: the access
//!   exists, has not expired, and the password matches its current generation. It runs the
//!   Argon2 verification on the blocking pool and re-checks the generation afterwards, so a
//!   login racing a regeneration is refused. On success it returns a [`SessionGrant`]: the
//!   [`Access`], the sandbox's working directory (`<data_dir>/sandboxes/<sandbox id>`, made
//!   when the sandbox is created and removed when it is deleted), the sandbox's `env_vars`,
//!   and an [`AccessWatch`].
//! - [`AccessWatch::ended`] resolves, with an [`EndReason`], as soon as the access expires,
//!   is regenerated or deleted, its sandbox is deleted, or the emulator stops. A session
//!   should `select!` on it and close when it fires. [`Store::watch_access`] gives a watch
//!   without a password check.
//! - Lookups without side effects: [`Store::access`] (never exposes the hash),
//!   [`Store::sandbox`] (includes `env_vars`), [`Store::sandbox_dir`].
//!
//! Access ids are unique across sandboxes, so the SSH username alone names the access.

mod access;
mod credentials;
mod sandbox;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

pub use access::{Access, AccessWatch, AuthFailure, EndReason, IssuedAccess, SessionGrant};
pub use sandbox::{
    ListQuery, Mount, MountSpec, Order, Sandbox, SandboxPage, SandboxSpec, SandboxState, SortKey,
    DISK_MIB,
};

use crate::secrets::{self, SecretError};
use access::AccessEntry;

/// Failures of store operations; the API maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sandbox not found")]
    SandboxNotFound,
    #[error("ssh access not found")]
    AccessNotFound,
    #[error("sandbox limit of {max} reached")]
    SandboxLimit { max: usize },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("sandbox directory {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("background task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// How many records the store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub sandboxes: usize,
    /// Accesses not deleted, expired ones included (they still answer `valid: false`).
    pub accesses: usize,
}

#[derive(Default)]
struct Inner {
    sandboxes: HashMap<String, Sandbox>,
    accesses: HashMap<String, AccessEntry>,
    next_seq: u64,
}

/// See the [module documentation](self).
pub struct Store {
    inner: Mutex<Inner>,
    sandboxes_root: PathBuf,
    max_sandboxes: usize,
    ssh_ttl: Duration,
    /// `<sandboxes root>/.lock`, locked shared for the store's life by every emulator on
    /// this data dir, so one starting alone knows the sandbox dirs it finds are leftovers.
    _in_use: std::fs::File,
}

/// A deleted sandbox's directory, still to be removed from disk.
#[must_use = "the directory stays on disk until `remove` is awaited"]
pub struct SandboxDir(PathBuf);

impl SandboxDir {
    /// Removes the directory tree on the blocking pool. The removal finishes even if the
    /// caller stops waiting; failures are logged, since the sandbox is gone either way.
    pub async fn remove(self) {
        let path = self.0;
        let removal = tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err((path, err)),
        });
        match removal.await {
            Ok(Ok(())) => {}
            Ok(Err((path, err))) => {
                tracing::warn!(path = %path.display(), error = %err, "sandbox dir not removed");
            }
            Err(err) => tracing::warn!(error = %err, "sandbox dir removal task failed"),
        }
    }
}

/// Locks `root` as used by this emulator, through `lock_path`. The first emulator on a data
/// dir, with no other running, removes the sandbox dirs an emulator that was killed left
/// there: the store is in memory, so nothing will ever delete them otherwise.
fn claim_sandboxes_root(root: &Path, lock_path: &Path) -> io::Result<std::fs::File> {
    use rustix::fs::{flock, FlockOperation};
    use std::os::unix::fs::OpenOptionsExt;
    // Read-only is enough to lock, so a lock file another user made still serves; never
    // through a symlink, which could point anywhere.
    let open = |create: bool| {
        std::fs::File::options()
            .read(true)
            .write(create)
            .create(create)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW)
            .open(lock_path)
    };
    let lock = match open(false) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => open(true)?,
        opened => opened?,
    };
    if flock(&lock, FlockOperation::NonBlockingLockExclusive).is_ok() {
        remove_leftover_sandbox_dirs(root);
    }
    if flock(&lock, FlockOperation::NonBlockingLockShared).is_err() {
        tracing::info!("waiting for another emulator on this data dir to clear its leftovers");
        flock(&lock, FlockOperation::LockShared)?;
    }
    Ok(lock)
}

/// Removes the `sbx-…` directories in `root`, and nothing else: a `--data-dir` may point
/// where other files live.
fn remove_leftover_sandbox_dirs(root: &Path) {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) => {
            tracing::warn!(path = %root.display(), error = %err, "sandbox dirs not listed");
            return;
        }
    };
    for entry in entries.flatten() {
        let is_sandbox = entry.file_name().to_str().is_some_and(is_sandbox_id)
            && entry.file_type().is_ok_and(|kind| kind.is_dir());
        if !is_sandbox {
            continue;
        }
        let path = entry.path();
        match std::fs::remove_dir_all(&path) {
            Ok(()) => tracing::info!(path = %path.display(), "removed a leftover sandbox dir"),
            Err(err) => tracing::warn!(
                path = %path.display(), error = %err, "leftover sandbox dir not removed"
            ),
        }
    }
}

/// Whether `name` has the shape of the ids [`Store::create_sandbox`] gives.
fn is_sandbox_id(name: &str) -> bool {
    name.strip_prefix(SANDBOX_ID_PREFIX)
        .is_some_and(|rest| secrets::is_random_id_part(rest, SANDBOX_ID_CHARS))
}

const SANDBOX_ID_PREFIX: &str = "sbx-";

/// Random characters after `sbx-` in a sandbox id.
const SANDBOX_ID_CHARS: usize = 16;

impl Store {
    /// A store keeping sandbox directories under `<data_dir>/sandboxes`, which it creates.
    pub fn open(
        data_dir: &Path,
        max_sandboxes: usize,
        ssh_ttl: Duration,
    ) -> Result<Self, StoreError> {
        let sandboxes_root = data_dir.join("sandboxes");
        std::fs::create_dir_all(&sandboxes_root).map_err(|source| StoreError::Io {
            path: sandboxes_root.clone(),
            source,
        })?;
        let lock_path = sandboxes_root.join(".lock");
        let in_use =
            claim_sandboxes_root(&sandboxes_root, &lock_path).map_err(|source| StoreError::Io {
                path: lock_path,
                source,
            })?;
        Ok(Self {
            inner: Mutex::new(Inner::default()),
            sandboxes_root,
            max_sandboxes,
            ssh_ttl,
            _in_use: in_use,
        })
    }

    // Every critical section leaves the maps consistent, so a panic elsewhere while the lock
    // was held leaves nothing half-done worth refusing service over.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn counts(&self) -> Counts {
        let inner = self.lock();
        Counts {
            sandboxes: inner.sandboxes.len(),
            accesses: inner.accesses.len(),
        }
    }

    /// The working directory of sandbox `sandbox_id` (which may not exist).
    pub fn sandbox_dir(&self, sandbox_id: &str) -> PathBuf {
        self.sandboxes_root.join(sandbox_id)
    }

    pub fn sandbox(&self, sandbox_id: &str) -> Option<Sandbox> {
        self.lock().sandboxes.get(sandbox_id).cloned()
    }

    /// Creates a running sandbox and its working directory, or fails with
    /// [`StoreError::SandboxLimit`] when `max_sandboxes` are live.
    ///
    /// Synchronous on purpose: with no await between making the directory and recording the
    /// sandbox, a cancelled request cannot leave one without the other.
    pub fn create_sandbox(&self, spec: SandboxSpec) -> Result<Sandbox, StoreError> {
        let limit = StoreError::SandboxLimit {
            max: self.max_sandboxes,
        };
        if self.lock().sandboxes.len() >= self.max_sandboxes {
            return Err(limit);
        }
        let mounts = spec
            .mounts
            .into_iter()
            .map(|mount| {
                Ok(Mount {
                    id: secrets::prefixed_id("mnt-", 12)?,
                    bucket: mount.bucket,
                    mount_path: mount.mount_path,
                    prefix: mount.prefix,
                    read_only: mount.read_only,
                })
            })
            .collect::<Result<Vec<_>, SecretError>>()?;
        let (id, dir) = self.make_sandbox_dir()?;
        let mut inner = self.lock();
        // Checked again: another request may have taken the last slot meanwhile.
        if inner.sandboxes.len() >= self.max_sandboxes {
            drop(inner);
            let _ = std::fs::remove_dir(&dir);
            return Err(limit);
        }
        inner.next_seq += 1;
        let sandbox = Sandbox {
            id: id.clone(),
            template_id: spec.template_id,
            vcpu: spec.vcpu,
            memory: spec.memory,
            disk: DISK_MIB,
            timeout: spec.timeout,
            state: SandboxState::Running,
            auto_pause: spec.auto_pause,
            env_vars: spec.env_vars,
            network_policy: spec.network_policy,
            mounts,
            created_at: SystemTime::now(),
            seq: inner.next_seq,
        };
        inner.sandboxes.insert(id, sandbox.clone());
        Ok(sandbox)
    }

    // A fresh id is one whose directory did not exist yet: `create_dir` refuses existing
    // ones, which also keeps apart emulators sharing a data dir.
    fn make_sandbox_dir(&self) -> Result<(String, PathBuf), StoreError> {
        let io_error = |path: &Path, source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        loop {
            let id = secrets::prefixed_id(SANDBOX_ID_PREFIX, SANDBOX_ID_CHARS)?;
            let dir = self.sandbox_dir(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((id, dir)),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                // Someone removed the root under us; recreate it and try again.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir_all(&self.sandboxes_root)
                        .map_err(|source| io_error(&self.sandboxes_root, source))?;
                    std::fs::create_dir(&dir).map_err(|source| io_error(&dir, source))?;
                    return Ok((id, dir));
                }
                Err(source) => return Err(io_error(&dir, source)),
            }
        }
    }

    /// Deletes a sandbox and all its accesses, ending their sessions at once. The returned
    /// directory is still on disk.
    pub fn delete_sandbox(&self, sandbox_id: &str) -> Result<SandboxDir, StoreError> {
        let mut inner = self.lock();
        inner
            .sandboxes
            .remove(sandbox_id)
            .ok_or(StoreError::SandboxNotFound)?;
        inner.accesses.retain(|_, entry| {
            let keep = entry.access.sandbox_id != sandbox_id;
            if !keep {
                entry.end(EndReason::SandboxDeleted);
            }
            keep
        });
        Ok(SandboxDir(self.sandbox_dir(sandbox_id)))
    }

    pub fn list_sandboxes(&self, query: &ListQuery) -> SandboxPage {
        let inner = self.lock();
        query.apply(inner.sandboxes.values().cloned())
    }

    /// Ends every access and deletes every sandbox with its directory.
    pub async fn close(&self) {
        let dirs: Vec<SandboxDir> = {
            let mut inner = self.lock();
            for entry in inner.accesses.values() {
                entry.end(EndReason::EmulatorStopped);
            }
            inner.accesses.clear();
            inner
                .sandboxes
                .drain()
                .map(|(id, _)| SandboxDir(self.sandbox_dir(&id)))
                .collect()
        };
        for dir in dirs {
            dir.remove().await;
        }
    }
}
