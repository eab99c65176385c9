//! The one error type of the client.
//!
//! Every failure is an [`Error`] with an [`ErrorKind`] that says what went wrong in Leap0's
//! terms. Messages are short and lowercase, carry the call (method and path) where there was
//! one, and never contain the API key or a password: server bodies are kept only for error
//! statuses, and values quoted by the JSON decoder are cut out.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::redact::Secrets;

/// The result of a Leap0 call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument of the call was refused before anything was sent.
    InvalidArgument,
    /// No API key was given and `LEAP0_API_KEY` is not set.
    MissingApiKey,
    /// The server answered 400: the request failed validation.
    Validation,
    /// The server answered 401: the API key was refused.
    Authentication,
    /// The server answered 403.
    Permission,
    /// The server answered 404: no such sandbox or credential.
    NotFound,
    /// The server answered 409: a conflict, such as the sandbox limit.
    Conflict,
    /// The server answered 429: too many requests.
    RateLimit,
    /// The server answered with a 5xx status.
    Server,
    /// The server answered with a status the call does not expect.
    UnexpectedStatus,
    /// The answer was not the documented JSON.
    InvalidResponse,
    /// The answer was larger than the 10 MiB Leap0 allows.
    ResponseTooLarge,
    /// The call did not finish within its timeout.
    Timeout,
    /// The connection failed or was dropped.
    Connection,
    /// The call was cancelled by its caller.
    Aborted,
    /// The client was closed.
    Closed,
}

/// One field the server (or the client) refused, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The field's name, as the wire or the caller names it.
    pub field: String,
    /// Why it was refused.
    pub error: String,
}

/// A failed Leap0 call. Pointer-sized: the details live behind one box.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}{}", self.context_suffix())]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    body: Option<serde_json::Value>,
    field_errors: Vec<FieldError>,
    retry_after: Option<Duration>,
    /// Set where the kind alone would mislead: a refused certificate, or a creating call
    /// that may already have acted.
    retryable: Option<bool>,
    call: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let inner = Inner {
            kind,
            message: message.into(),
            status: None,
            body: None,
            field_errors: Vec::new(),
            retry_after: None,
            retryable: None,
            call: None,
            source: None,
        };
        Error {
            inner: Box::new(inner),
        }
    }

    /// An argument refused before any request; `field` names the argument as the caller wrote
    /// it, such as `options.timeout`.
    pub fn invalid_argument(field: &str, reason: impl fmt::Display) -> Self {
        let reason = reason.to_string();
        let mut error = Error::new(ErrorKind::InvalidArgument, format!("{field} {reason}"));
        error.inner.field_errors.push(FieldError {
            field: field.to_owned(),
            error: reason,
        });
        error
    }

    /// The error of a call its caller cancelled.
    pub fn aborted() -> Self {
        Error::new(ErrorKind::Aborted, "the call was aborted")
    }

    /// The error of a call on a closed client.
    pub fn closed() -> Self {
        Error::new(ErrorKind::Closed, "client is closed")
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = Some(retryable);
        self
    }

    pub(crate) fn with_call(mut self, call: &str) -> Self {
        if self.inner.call.is_none() {
            self.inner.call = Some(call.to_owned());
        }
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_retry_after(mut self, delay: Option<Duration>) -> Self {
        self.inner.retry_after = delay;
        self
    }

    /// The error with `secrets` cut out of the text the server sent (message, body, field
    /// list): a server or proxy that echoes the request back must not show the key or a
    /// password to whoever reads the error.
    pub(crate) fn without_secrets(mut self, secrets: &Secrets) -> Self {
        let inner = &mut self.inner;
        secrets.redact(&mut inner.message);
        if let Some(body) = &mut inner.body {
            secrets.redact_json(body);
        }
        for field_error in &mut inner.field_errors {
            secrets.redact(&mut field_error.field);
            secrets.redact(&mut field_error.error);
        }
        self
    }

    /// An error answer from the server: the status picks the kind, the body gives the message
    /// and, for a 400, the field list.
    pub(crate) fn from_status(status: u16, body: Option<serde_json::Value>, raw: &str) -> Self {
        let kind = match status {
            400 => ErrorKind::Validation,
            401 => ErrorKind::Authentication,
            403 => ErrorKind::Permission,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimit,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::UnexpectedStatus,
        };
        let server_message = body
            .as_ref()
            .and_then(|b| b.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_owned);
        let field_errors = body
            .as_ref()
            .and_then(|b| b.get("errors"))
            .and_then(|e| serde_json::from_value::<Vec<FieldError>>(e.clone()).ok())
            .unwrap_or_default();
        let message = match server_message {
            Some(message) => message,
            None if body.is_some() => format!("server answered {status} without a message"),
            None if raw.trim().is_empty() => format!("server answered {status} with no body"),
            None => format!(
                "server answered {status} with a body that is not JSON: {}",
                snippet(raw)
            ),
        };
        let mut error = Error::new(kind, message).with_status(status);
        error.inner.body = body.or_else(|| (!raw.is_empty()).then(|| raw.into()));
        error.inner.field_errors = field_errors;
        error
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message without the call it happened in.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's error body: parsed JSON, or the raw text when it was not JSON.
    pub fn body(&self) -> Option<&serde_json::Value> {
        self.inner.body.as_ref()
    }

    /// The refused fields of a validation error, from the server or the client.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.inner.field_errors
    }

    /// How long the server asked to wait before trying again (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The call this happened in, such as `POST /v1/sandbox/`.
    pub fn call(&self) -> Option<&str> {
        self.inner.call.as_deref()
    }

    /// Whether trying the same call again later may succeed without doing anything twice.
    pub fn is_retryable(&self) -> bool {
        if let Some(retryable) = self.inner.retryable {
            return retryable;
        }
        match self.inner.kind {
            ErrorKind::RateLimit | ErrorKind::Timeout | ErrorKind::Connection => true,
            ErrorKind::Server => matches!(self.inner.status, Some(500 | 502 | 503 | 504)),
            ErrorKind::UnexpectedStatus => self.inner.status == Some(408),
            _ => false,
        }
    }

    /// Whether the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the call was cancelled by its caller.
    pub fn is_aborted(&self) -> bool {
        self.inner.kind == ErrorKind::Aborted
    }
}

impl Inner {
    fn context_suffix(&self) -> String {
        match &self.call {
            Some(call) => format!(" ({call})"),
            None => String::new(),
        }
    }
}

/// At most 120 characters of a body, on one line, for a message.
pub(crate) fn snippet(raw: &str) -> String {
    let flat: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// serde_json quotes string values it refused (`invalid type: string "…"`); a refused value
/// in a credential answer may be a password, so the quoted text is cut out.
pub(crate) fn describe_decode_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("string \"") {
        out.push_str(&rest[..start + "string".len()]);
        let after = &rest[start + "string \"".len()..];
        rest = match find_closing_quote(after) {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn find_closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn validation_answer_keeps_the_field_list() {
        let body = serde_json::json!({
            "message": "Invalid request",
            "errors": [{"field": "vcpu", "error": "must be between 1 and 8"}]
        });
        let error = Error::from_status(400, Some(body), "");
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(error.message(), "Invalid request");
        assert_eq!(error.field_errors()[0].field, "vcpu");
        assert!(!error.is_retryable());
    }

    #[test]
    fn html_answer_says_it_was_not_json() {
        let error = Error::from_status(502, None, "<html><body>Bad gateway</body></html>");
        assert_eq!(error.kind(), ErrorKind::Server);
        assert!(error.message().contains("not JSON"), "{}", error.message());
        assert!(error.is_retryable());
    }

    #[test]
    fn decode_errors_do_not_quote_string_values() {
        let parsed = serde_json::from_str::<u32>("\"hunter2-secret\"");
        let error = parsed.expect_err("a string is not a number");
        let described = describe_decode_error(&error);
        assert!(!described.contains("hunter2"), "{described}");
        assert!(described.contains("invalid type: string"), "{described}");
    }

    #[test]
    fn echoed_secrets_are_cut_from_message_body_and_fields() {
        let key = "sk-echoed-key-123";
        let body = serde_json::json!({
            "message": format!("bad key Bearer {key}"),
            "echo": {"headers": [format!("authorization: Bearer {key}")], key: 1},
            "errors": [{"field": "password", "error": "hunter2-hunter2 is wrong"}]
        });
        let raw = body.to_string();
        let secrets = Secrets::new(&[key, "hunter2-hunter2", "short"]);
        let error = Error::from_status(400, Some(body), &raw).without_secrets(&secrets);
        let shown = format!("{} {:?} {:?}", error, error.body(), error.field_errors());
        assert!(
            !shown.contains(key) && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(error.message(), "bad key Bearer [redacted]");
        assert_eq!(error.field_errors()[0].error, "[redacted] is wrong");

        let text = Error::from_status(401, None, &format!("denied for {key}"));
        let text = text.without_secrets(&Secrets::new(&[key]));
        assert!(!format!("{text} {:?}", text.body()).contains(key), "{text}");
    }

    #[test]
    fn display_appends_the_call() {
        let error =
            Error::new(ErrorKind::Closed, "client is closed").with_call("GET /v1/sandboxes");
        assert_eq!(error.to_string(), "client is closed (GET /v1/sandboxes)");
    }
}
