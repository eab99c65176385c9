//! Password logins, by the `password` and `keyboard-interactive` methods alike, and the
//! back-off that slows down guessing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::state::{AuthFailure, SessionGrant, Store};

/// Added to the wait before each further attempt after a failed one, per access id.
const BACKOFF_STEP: Duration = Duration::from_millis(100);
/// The longest wait before an attempt.
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Failures older than this are forgotten, so an id is not slowed down forever.
const FORGET_AFTER: Duration = Duration::from_secs(5 * 60);
/// Usernames tracked at once. Anyone can send made-up names, so the table is bounded.
const MAX_TRACKED: usize = 4096;
/// Longest username kept as a key or written to a log line; access ids are much shorter.
const MAX_NAME_LEN: usize = 64;

/// The one question keyboard-interactive asks; `sshpass` waits for "assword".
pub(super) const PASSWORD_PROMPT: &str = "Password: ";

#[derive(Clone, Copy, Debug)]
pub(super) enum Method {
    Password,
    KeyboardInteractive,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::KeyboardInteractive => "keyboard-interactive",
        }
    }
}

struct Failures {
    count: u32,
    last: Instant,
}

/// Failed attempts per username, shared by all connections, so reconnecting does not reset
/// the back-off. Locked only for map operations, never across an await.
#[derive(Default)]
pub(super) struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Failures>> {
        // The map holds counters only; a panic mid-update leaves nothing worth refusing on.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long to wait before checking the next attempt for `name`: 0, 100 ms, 200 ms, …
    /// up to [`BACKOFF_MAX`], by the number of recent failures.
    fn delay(&self, name: &str) -> Duration {
        let failures = self.lock();
        match failures.get(name) {
            Some(entry) if entry.last.elapsed() < FORGET_AFTER => {
                BACKOFF_STEP.saturating_mul(entry.count).min(BACKOFF_MAX)
            }
            _ => Duration::ZERO,
        }
    }

    fn failed(&self, name: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        if !failures.contains_key(name) && failures.len() >= MAX_TRACKED {
            failures.retain(|_, entry| now.duration_since(entry.last) < FORGET_AFTER);
            if failures.len() >= MAX_TRACKED {
                let oldest = failures
                    .iter()
                    .min_by_key(|(_, entry)| entry.last)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures.entry(name.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    fn succeeded(&self, name: &str) {
        self.lock().remove(name);
    }
}

/// A username as it may appear in a log line or a map key: at most [`MAX_NAME_LEN`]
/// characters, control characters replaced, since the client chose it.
fn clean_name(user: &str) -> String {
    user.chars()
        .take(MAX_NAME_LEN)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Who logged in, and where their session runs.
pub(super) struct Login {
    pub grant: SessionGrant,
    /// The sandbox dir made absolute, since it becomes `HOME` and the working directory.
    pub sandbox_dir: PathBuf,
}

/// Checks one password attempt after the back-off for `user`, and logs the outcome. The
/// client learns only yes or no; the log line says why.
pub(super) async fn check(
    store: &Store,
    throttle: &Throttle,
    user: &str,
    password: &str,
    method: Method,
) -> Option<Login> {
    let name = clean_name(user);
    let delay = throttle.delay(&name);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match store.authenticate(user, password).await {
        Ok(grant) => {
            throttle.succeeded(&name);
            let sandbox_dir = match std::path::absolute(&grant.sandbox_dir) {
                Ok(dir) => dir,
                Err(_) => grant.sandbox_dir.clone(),
            };
            tracing::info!(
                access_id = %grant.access.id,
                sandbox_id = %grant.access.sandbox_id,
                method = method.as_str(),
                "ssh login"
            );
            Some(Login { grant, sandbox_dir })
        }
        Err(failure) => {
            throttle.failed(&name);
            if let AuthFailure::Internal(err) = &failure {
                let source = std::error::Error::source(err).map(ToString::to_string);
                tracing::warn!(error = %err, source, "ssh password check failed");
            }
            tracing::info!(
                access_id = %name,
                method = method.as_str(),
                reason = %failure,
                "ssh login refused"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_grows_per_failure_and_is_capped() {
        let throttle = Throttle::default();
        assert_eq!(throttle.delay("a"), Duration::ZERO);
        throttle.failed("a");
        assert_eq!(throttle.delay("a"), BACKOFF_STEP);
        throttle.failed("a");
        assert_eq!(throttle.delay("a"), 2 * BACKOFF_STEP);
        for _ in 0..100 {
            throttle.failed("a");
        }
        assert_eq!(throttle.delay("a"), BACKOFF_MAX);
        assert_eq!(throttle.delay("b"), Duration::ZERO);
    }

    #[test]
    fn a_success_resets_the_back_off() {
        let throttle = Throttle::default();
        throttle.failed("a");
        throttle.succeeded("a");
        assert_eq!(throttle.delay("a"), Duration::ZERO);
    }

    #[test]
    fn the_table_stays_bounded() {
        let throttle = Throttle::default();
        for n in 0..MAX_TRACKED + 10 {
            throttle.failed(&format!("user{n}"));
        }
        assert_eq!(throttle.lock().len(), MAX_TRACKED);
    }

    #[test]
    fn names_are_cleaned_for_logs() {
        assert_eq!(clean_name("ab\ncd"), "ab?cd");
        assert_eq!(clean_name(&"x".repeat(500)).len(), MAX_NAME_LEN);
    }
}
