//! When a failed attempt is tried again, and after how long.
//!
//! | failure                                   | safe to repeat | creates or changes |
//! |-------------------------------------------|----------------|--------------------|
//! | connection failed before the request left | retried        | retried            |
//! | 429                                       | retried        | retried            |
//! | 503 with `Retry-After`                    | retried        | retried            |
//! | 408, 500, 502, 503, 504                   | retried        | not retried        |
//! | connection dropped after the request left | retried        | not retried        |
//!
//! A call that creates or changes something is only repeated when the server cannot have
//! acted on it, so nothing is ever created twice. A delete repeated after an attempt that may
//! have acted takes a 404 as that attempt's success: what was asked for is done.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Whether repeating a call can do anything twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, deletes and checks: repeating them changes nothing more.
    Repeatable,
    /// Creates or changes something: repeated only when the server cannot have acted.
    CreatesOrChanges,
}

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The connection failed before the request was sent.
    NotSent,
    /// The connection broke after the request was sent, before the answer was read.
    Dropped,
    /// The server answered with this status.
    Status { status: u16, has_retry_after: bool },
}

impl Failure {
    /// Whether this failure may be retried for a call of the given safety.
    pub(crate) fn is_retryable(self, safety: Safety) -> bool {
        match (self, safety) {
            (Failure::NotSent, _) => true,
            (Failure::Status { status: 429, .. }, _) => true,
            (
                Failure::Status {
                    status: 503,
                    has_retry_after: true,
                },
                _,
            ) => true,
            (_, Safety::CreatesOrChanges) => false,
            (Failure::Dropped, Safety::Repeatable) => true,
            (Failure::Status { status, .. }, Safety::Repeatable) => {
                matches!(status, 408 | 500 | 502 | 503 | 504)
            }
        }
    }

    /// Whether the server may have acted on the attempt although it failed: the request
    /// reached it and the answer was lost, or a gateway or server error came back.
    pub(crate) fn may_have_acted(self) -> bool {
        match self {
            Failure::NotSent => false,
            Failure::Dropped => true,
            Failure::Status { status, .. } => matches!(status, 500 | 502 | 504),
        }
    }

    /// A short reason for the retry log line.
    pub(crate) fn reason(self) -> String {
        match self {
            Failure::NotSent => "connection failed".to_owned(),
            Failure::Dropped => "connection dropped".to_owned(),
            Failure::Status { status, .. } => format!("status {status}"),
        }
    }
}

const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// Exponential backoff with full jitter: a random wait up to 0.5 s, 1 s, 2 s … capped at 8 s.
/// `retry` counts from 1 for the first retry.
pub(crate) fn backoff(retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(16);
    let ceiling = BACKOFF_START.saturating_mul(1 << exponent).min(BACKOFF_CAP);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn creating_calls_are_retried_only_when_the_server_cannot_have_acted() {
        let creates = Safety::CreatesOrChanges;
        assert!(Failure::NotSent.is_retryable(creates));
        assert!(!Failure::Dropped.is_retryable(creates));
        let status = |status, has_retry_after| Failure::Status {
            status,
            has_retry_after,
        };
        assert!(status(429, false).is_retryable(creates));
        assert!(status(503, true).is_retryable(creates));
        assert!(!status(503, false).is_retryable(creates));
        assert!(!status(500, false).is_retryable(creates));
        assert!(!status(504, false).is_retryable(creates));
    }

    #[test]
    fn repeatable_calls_are_retried_on_transient_statuses() {
        let safe = Safety::Repeatable;
        assert!(Failure::Dropped.is_retryable(safe));
        for status in [408, 429, 500, 502, 503, 504] {
            let failure = Failure::Status {
                status,
                has_retry_after: false,
            };
            assert!(failure.is_retryable(safe), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 501] {
            let failure = Failure::Status {
                status,
                has_retry_after: false,
            };
            assert!(!failure.is_retryable(safe), "{status}");
        }
    }

    #[test]
    fn only_attempts_that_reached_the_server_may_have_acted() {
        assert!(!Failure::NotSent.may_have_acted());
        assert!(Failure::Dropped.may_have_acted());
        let status = |status| Failure::Status {
            status,
            has_retry_after: false,
        };
        for acted in [500, 502, 504] {
            assert!(status(acted).may_have_acted(), "{acted}");
        }
        for refused in [408, 429, 503] {
            assert!(!status(refused).may_have_acted(), "{refused}");
        }
    }

    #[test]
    fn backoff_stays_under_its_growing_ceiling() {
        for _ in 0..200 {
            assert!(backoff(1) <= Duration::from_millis(500));
            assert!(backoff(2) <= Duration::from_secs(1));
            assert!(backoff(30) <= Duration::from_secs(8));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));

        let later = SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).expect("ascii"));
        let wait = retry_after(&headers).expect("a date");
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));

        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
