//! Issuing, checking, rotating and revoking SSH access credentials.

use std::time::SystemTime;

use super::access::{AccessEntry, AuthFailure, EndReason, SessionGrant};
use super::{Access, AccessWatch, IssuedAccess, Store, StoreError};
use crate::secrets;

/// What a password check needs, copied out so the hashing runs without the lock.
struct Snapshot {
    access: Access,
    password_hash: String,
}

async fn new_password() -> Result<(String, String), StoreError> {
    let password = secrets::password()?;
    let (password, hash) = tokio::task::spawn_blocking(move || {
        let hash = secrets::hash_password(&password);
        (password, hash)
    })
    .await?;
    Ok((password, hash?))
}

async fn verify(password: &str, password_hash: String) -> Result<bool, StoreError> {
    let password = password.to_owned();
    let matches =
        tokio::task::spawn_blocking(move || secrets::verify_password(&password, &password_hash))
            .await??;
    Ok(matches)
}

impl Store {
    fn snapshot(&self, sandbox_id: &str, access_id: &str) -> Result<Snapshot, StoreError> {
        let inner = self.lock();
        if !inner.sandboxes.contains_key(sandbox_id) {
            return Err(StoreError::SandboxNotFound);
        }
        match inner.accesses.get(access_id) {
            // Another sandbox's credential is as unknown here as a made-up one.
            Some(entry) if entry.access.sandbox_id == sandbox_id => Ok(Snapshot {
                access: entry.access.clone(),
                password_hash: entry.password_hash.clone(),
            }),
            _ => Err(StoreError::AccessNotFound),
        }
    }

    /// The current generation of `access_id` is still `generation`.
    fn is_current(&self, access_id: &str, generation: u64) -> Result<bool, StoreError> {
        match self.lock().accesses.get(access_id) {
            Some(entry) => Ok(entry.access.generation == generation),
            None => Err(StoreError::AccessNotFound),
        }
    }

    /// Issues a credential for the sandbox, valid for the configured TTL.
    pub async fn create_access(&self, sandbox_id: &str) -> Result<IssuedAccess, StoreError> {
        // Fail fast before spending a hash on a sandbox that is not there.
        if self.sandbox(sandbox_id).is_none() {
            return Err(StoreError::SandboxNotFound);
        }
        let (password, password_hash) = new_password().await?;
        let mut inner = self.lock();
        if !inner.sandboxes.contains_key(sandbox_id) {
            return Err(StoreError::SandboxNotFound);
        }
        let id = loop {
            let id = secrets::access_id()?;
            if !inner.accesses.contains_key(&id) {
                break id;
            }
        };
        let now = SystemTime::now();
        let access = Access {
            id: id.clone(),
            sandbox_id: sandbox_id.to_owned(),
            created_at: now,
            updated_at: now,
            expires_at: now + self.ssh_ttl,
            generation: 0,
        };
        inner
            .accesses
            .insert(id, AccessEntry::new(access.clone(), password_hash));
        Ok(IssuedAccess { access, password })
    }

    /// Whether `password` is the current password of an unexpired access of the sandbox.
    pub async fn validate_access(
        &self,
        sandbox_id: &str,
        access_id: &str,
        password: &str,
    ) -> Result<bool, StoreError> {
        let snapshot = self.snapshot(sandbox_id, access_id)?;
        if snapshot.access.is_expired_at(SystemTime::now()) {
            return Ok(false);
        }
        let matches = verify(password, snapshot.password_hash).await?;
        // A regeneration during the check makes the password it checked a stale one.
        Ok(matches && self.is_current(access_id, snapshot.access.generation)?)
    }

    /// Issues a new password for an existing access, invalidating the old one and ending
    /// its sessions; `expires_at` and `updated_at` restart from now.
    pub async fn regenerate_access(
        &self,
        sandbox_id: &str,
        access_id: &str,
    ) -> Result<IssuedAccess, StoreError> {
        self.snapshot(sandbox_id, access_id)?;
        let (password, password_hash) = new_password().await?;
        let mut inner = self.lock();
        let entry = match inner.accesses.get_mut(access_id) {
            Some(entry) if entry.access.sandbox_id == sandbox_id => entry,
            _ => return Err(StoreError::AccessNotFound),
        };
        entry.regenerate(password_hash, SystemTime::now(), self.ssh_ttl);
        Ok(IssuedAccess {
            access: entry.access.clone(),
            password,
        })
    }

    /// Deletes an access, ending its sessions at once.
    pub fn delete_access(&self, sandbox_id: &str, access_id: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if !inner.sandboxes.contains_key(sandbox_id) {
            return Err(StoreError::SandboxNotFound);
        }
        match inner.accesses.get(access_id) {
            Some(entry) if entry.access.sandbox_id == sandbox_id => entry.end(EndReason::Deleted),
            _ => return Err(StoreError::AccessNotFound),
        }
        inner.accesses.remove(access_id);
        Ok(())
    }

    /// The access named by an SSH username, whatever its sandbox.
    pub fn access(&self, access_id: &str) -> Option<Access> {
        let inner = self.lock();
        inner
            .accesses
            .get(access_id)
            .map(|entry| entry.access.clone())
    }

    /// A watch on the current generation of an access.
    pub fn watch_access(&self, access_id: &str) -> Option<AccessWatch> {
        self.lock().accesses.get(access_id).map(AccessEntry::watch)
    }

    /// The SSH gateway's login check; see the [module documentation](super).
    pub async fn authenticate(
        &self,
        access_id: &str,
        password: &str,
    ) -> Result<SessionGrant, AuthFailure> {
        let snapshot = {
            let inner = self.lock();
            let entry = inner
                .accesses
                .get(access_id)
                .ok_or(AuthFailure::UnknownAccess)?;
            Snapshot {
                access: entry.access.clone(),
                password_hash: entry.password_hash.clone(),
            }
        };
        if snapshot.access.is_expired_at(SystemTime::now()) {
            return Err(AuthFailure::Expired);
        }
        if !verify(password, snapshot.password_hash)
            .await
            .map_err(AuthFailure::Internal)?
        {
            return Err(AuthFailure::WrongPassword);
        }
        let inner = self.lock();
        let entry = inner
            .accesses
            .get(access_id)
            .ok_or(AuthFailure::UnknownAccess)?;
        if entry.access.generation != snapshot.access.generation {
            return Err(AuthFailure::WrongPassword);
        }
        let sandbox_id = &entry.access.sandbox_id;
        let env_vars = inner
            .sandboxes
            .get(sandbox_id)
            .map(|sandbox| sandbox.env_vars.clone())
            .ok_or(AuthFailure::UnknownAccess)?;
        Ok(SessionGrant {
            access: entry.access.clone(),
            sandbox_dir: self.sandbox_dir(sandbox_id),
            env_vars,
            watch: entry.watch(),
        })
    }
}
