//! Sending one call: headers, the whole-call deadline, cancellation, retries, the body size
//! limit, and turning the answer into a model or an [`Error`].

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::answer::{decode, Answer};
use crate::attempt::attempt_until_done;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::Safety;
use crate::Client;

/// The largest answer Leap0 sends; anything bigger is refused before it is read whole.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// Per-call options: each overrides the client's setting for this one call.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// How long the call may take in all, retries included.
    pub timeout: Option<Duration>,
    /// How many times the call may be tried again.
    pub max_retries: Option<u32>,
    /// Extra headers sent with every attempt; not the ones that frame the request
    /// (`content-length`, `transfer-encoding`, `host`, `connection`, …).
    pub headers: Vec<(String, String)>,
    /// Cancelling this token abandons the call: it fails with [`ErrorKind::Aborted`] and its
    /// connection is dropped.
    pub cancellation: Option<CancellationToken>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("headers", &header_names)
            .field("cancellation", &self.cancellation.is_some())
            .finish()
    }
}

/// Characters left as they are in a path segment; everything else, `/` included, is
/// percent-encoded so an id is always exactly one segment.
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Longest id or query value sent, in bytes. Leap0's ids are a few dozen characters; far
/// past this the URL outgrows what the HTTP stack can send (64 KiB), which it would only
/// report at send time, as a dropped connection.
pub const MAX_ARGUMENT_BYTES: usize = 1024;

/// Refuses an id no call sends: empty, `.` or `..`, or over [`MAX_ARGUMENT_BYTES`]. Every
/// call checks its ids itself; a binding checks first only to name `field` as its caller
/// wrote it.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    check_length(field, id)?;
    // `.` and `..` cannot be one segment: URL parsers resolve them, encoded or not.
    if id == "." || id == ".." {
        return Err(Error::invalid_argument(
            field,
            format!("is not a valid id: {id:?}"),
        ));
    }
    Ok(())
}

/// An id as one percent-encoded path segment. `field` names the argument in errors.
pub(crate) fn segment(field: &str, id: &str) -> Result<String> {
    check_id(field, id)?;
    Ok(utf8_percent_encode(id, SEGMENT).to_string())
}

/// Refuses an argument too long to send in a URL.
pub(crate) fn check_length(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_ARGUMENT_BYTES {
        return Err(Error::invalid_argument(
            field,
            format!("is longer than {MAX_ARGUMENT_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Headers that frame the message or steer the connection. Set by hand they would
/// disagree with the body actually sent (a `content-length` of 10 on a bodiless GET leaves
/// the server reading the next request on the connection as this one's body), or send the
/// key to another virtual host.
pub(crate) const FRAMING_HEADERS: [&str; 10] = [
    "content-length",
    "expect",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Headers that carry a credential whatever the client's `authHeader`.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "leap0-authorization",
    "proxy-authorization",
    "x-api-key",
];

/// One call of the API.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// Path below the base URL, ids already encoded, starting with `/`.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<serde_json::Value>,
    /// The one status the contract documents for success.
    pub(crate) expected: StatusCode,
    pub(crate) safety: Safety,
    /// A value the request carries (a password) that no error may show, even if the server
    /// echoes it; the API key is always treated so.
    pub(crate) secret: Option<String>,
}

/// Longest path segment a call's description shows whole; longer ones (a runaway id) are
/// cut, so an error message or log line stays readable whatever the id.
const SHOWN_SEGMENT: usize = 64;

impl Call {
    /// `METHOD /path`, for messages and logs.
    pub(crate) fn describe(&self) -> String {
        let path: Vec<String> = self
            .path
            .split('/')
            .map(|segment| match segment.get(..SHOWN_SEGMENT) {
                // Encoded segments are ASCII, so the cut falls between characters.
                Some(start) if segment.len() > SHOWN_SEGMENT => {
                    format!("{start}…({} bytes)", segment.len())
                }
                _ => segment.to_owned(),
            })
            .collect();
        format!("{} {}", self.method, path.join("/"))
    }
}

impl Client {
    /// Runs a call whose success answer is a JSON model.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        call: Call,
        options: &RequestOptions,
    ) -> Result<T> {
        let description = call.describe();
        let answer = self.run(&call, options).await?;
        decode(&answer).map_err(|e| e.with_call(&description))
    }

    /// Runs a call whose success answer has no body.
    pub(crate) async fn call_empty(&self, call: Call, options: &RequestOptions) -> Result<()> {
        self.run(&call, options).await.map(drop)
    }

    /// Sends the call until it succeeds, fails for good, runs out of time or is cancelled.
    async fn run(&self, call: &Call, options: &RequestOptions) -> Result<Answer> {
        let description = call.describe();
        let result = self.run_inner(call, options).await;
        result.map_err(|e| e.with_call(&description))
    }

    async fn run_inner(&self, call: &Call, options: &RequestOptions) -> Result<Answer> {
        let http = self.http()?;
        let settings = &self.inner.settings;
        let timeout = options.timeout.unwrap_or(settings.timeout);
        if timeout.is_zero() {
            // As the builder says: a call that may take no time at all can only time out.
            return Err(Error::invalid_argument(
                "options.timeout",
                "must be more than 0 seconds",
            ));
        }
        let deadline = deadline_after(timeout);
        let request = self.build_request(&http, call, options)?;
        let max_retries = options.max_retries.unwrap_or(settings.max_retries);
        let secrets = self.secrets_of(call, options);
        let attempts = attempt_until_done(&http, request, call, &secrets, max_retries, deadline);
        let cancellation = options.cancellation.clone();
        let aborted = async move {
            match cancellation {
                Some(token) => token.cancelled_owned().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = self.inner.closed.cancelled() => {
                Err(Error::closed())
            }
            () = aborted => Err(Error::aborted()),
            () = tokio::time::sleep_until(deadline) => {
                // A creating call cut off mid-flight may have acted; repeating it is not safe.
                let safe = call.safety == Safety::Repeatable;
                Err(timed_out(timeout).with_retryable(safe))
            }
            result = attempts => result,
        }
    }

    /// What an error answer to this call must not show: the API key, the password the call
    /// sends, and the value of a per-call header that carries a credential instead.
    fn secrets_of<'a>(&'a self, call: &'a Call, options: &'a RequestOptions) -> Vec<&'a str> {
        let settings = &self.inner.settings;
        let mut secrets = vec![settings.api_key.as_str()];
        secrets.extend(call.secret.as_deref());
        for (name, value) in &options.headers {
            let name = name.trim();
            let carries_key = name.eq_ignore_ascii_case(settings.auth.0.as_str())
                || CREDENTIAL_HEADERS
                    .iter()
                    .any(|h| name.eq_ignore_ascii_case(h));
            if carries_key {
                secrets.push(crate::config::without_bearer(value.trim()).trim());
            }
        }
        secrets
    }

    fn build_request(
        &self,
        http: &reqwest::Client,
        call: &Call,
        options: &RequestOptions,
    ) -> Result<reqwest::Request> {
        let settings = &self.inner.settings;
        let mut url = settings.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{}", call.path));
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter());
        }
        let body = match &call.body {
            Some(body) => Some(serde_json::to_vec(body).map_err(|e| {
                Error::new(ErrorKind::InvalidArgument, "request body is not JSON").with_source(e)
            })?),
            None => None,
        };
        // The call's own headers replace these, rather than being sent beside them.
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        headers.insert(settings.auth.0.clone(), settings.auth.1.clone());
        let mut given = HashSet::new();
        for (name, value) in &options.headers {
            let field = format!("options.headers.{name}");
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::invalid_argument(&field, "is not a valid header name"))?;
            if !given.insert(name.clone()) {
                // `X-Id` and `x-id` are one header: which value to send would be a guess.
                return Err(Error::invalid_argument(
                    &field,
                    "is given twice (header names ignore case)",
                ));
            }
            if FRAMING_HEADERS.contains(&name.as_str()) {
                return Err(Error::invalid_argument(
                    &field,
                    "is set by the HTTP client and cannot be overridden",
                ));
            }
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid_argument(&field, "has a value not allowed"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut builder = http.request(call.method.clone(), url).headers(headers);
        if let Some(bytes) = body {
            builder = builder.body(bytes);
        }
        builder.build().map_err(|e| {
            Error::new(ErrorKind::InvalidArgument, "could not build the request").with_source(e)
        })
    }
}

/// `now + duration`, saturating: a timeout of centuries must not overflow the clock.
pub(crate) fn deadline_after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

fn timed_out(timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("timed out after {}", format_seconds(timeout)),
    )
}

fn format_seconds(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}s")
    } else {
        format!("{seconds:.3}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_encoded_segment() {
        assert_eq!(segment("sandbox", "sbx-1").ok().as_deref(), Some("sbx-1"));
        assert_eq!(
            segment("sandbox", "../other").ok().as_deref(),
            Some("..%2Fother")
        );
        assert_eq!(
            segment("sandbox", "a b?c#d").ok().as_deref(),
            Some("a%20b%3Fc%23d")
        );
    }

    #[test]
    fn a_runaway_id_is_cut_in_the_description() {
        let id = utf8_percent_encode(&"é".repeat(1_000_000), SEGMENT).to_string();
        let call = Call {
            method: Method::POST,
            path: format!("/v1/sandbox/{id}/ssh/access"),
            query: Vec::new(),
            body: None,
            expected: StatusCode::CREATED,
            safety: crate::retry::Safety::CreatesOrChanges,
            secret: None,
        };
        let shown = call.describe();
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.starts_with("POST /v1/sandbox/%C3%A9"), "{shown}");
        assert!(shown.ends_with("…(6000000 bytes)/ssh/access"), "{shown}");
    }

    #[test]
    fn an_id_too_long_for_a_url_is_refused() {
        let error = segment("sandbox", &"x".repeat(70_000)).expect_err("too long");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(error.field_errors()[0].field, "sandbox");
        assert!(segment("sandbox", &"x".repeat(MAX_ARGUMENT_BYTES)).is_ok());
    }

    #[test]
    fn empty_and_dot_ids_are_refused() {
        for id in ["", ".", ".."] {
            let error = segment("sandbox", id).expect_err("refused");
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
            assert_eq!(error.field_errors()[0].field, "sandbox");
        }
    }
}
