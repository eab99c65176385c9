//! What came back from the server, and how it becomes a model or an [`Error`].

use bytes::Bytes;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{describe_decode_error, Error, ErrorKind, Result};
use crate::redact::Secrets;

/// What came back from one attempt, body read whole.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
    }
}

/// An answer with a non-success status as an error, without any of `secrets` (the key, a
/// password the request carried) that the server may have echoed.
pub(crate) fn error_answer(answer: &Answer, secrets: &[&str]) -> Error {
    let status = answer.status.as_u16();
    if answer.status.is_redirection() {
        // Same-origin redirects were followed already; what is left went elsewhere, or had
        // nowhere to go.
        let error = Error::new(
            ErrorKind::UnexpectedStatus,
            format!("server redirected ({status}) to another origin or nowhere; not followed"),
        );
        return error.with_status(status);
    }
    // Worked out here, on an error answer only, not for every call.
    let secrets = Secrets::new(secrets);
    // Cut from the text before a message quotes part of it, where half a key would show.
    let mut raw = String::from_utf8_lossy(&answer.body).into_owned();
    secrets.redact(&mut raw);
    let parsed = serde_json::from_slice::<serde_json::Value>(&answer.body).ok();
    Error::from_status(status, parsed, &raw).without_secrets(&secrets)
}

/// A success answer must carry the one status the contract documents: another 2xx means the
/// call did not do what this client expects, and its body cannot be trusted to be the model.
pub(crate) fn check_status(answer: Answer, expected: StatusCode) -> Result<Answer> {
    if answer.status == expected {
        return Ok(answer);
    }
    let mut message = format!("expected status {expected}, got {}", answer.status);
    if !answer.body.is_empty() {
        // What came, in short, to tell a proxy's page from a newer API's answer. Only the
        // shape: success bodies may hold a password.
        message.push_str(&format!(
            " with {} bytes of {}",
            answer.body.len(),
            answer.content_type()
        ));
    }
    let error = Error::new(ErrorKind::InvalidResponse, message);
    Err(error.with_status(answer.status.as_u16()))
}

/// The documented JSON model out of a success answer. Messages say what was expected and what
/// came, naming the field at fault, without quoting the body, which may hold a password.
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T> {
    let status = answer.status.as_u16();
    let model = short_type_name::<T>();
    let invalid = |what: String| Error::new(ErrorKind::InvalidResponse, what).with_status(status);
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(format!(
            "expected a JSON {model}, got an empty body"
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| {
        invalid(format!(
            "expected a JSON {model}, got {} bytes of {} that is not JSON ({})",
            answer.body.len(),
            answer.content_type(),
            describe_decode_error(&e)
        ))
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        invalid(format!(
            "expected a {model}, got JSON that does not match it{at}: {}",
            describe_decode_error(e.inner())
        ))
    })
}

/// `Sandbox` out of `leap0::models::Sandbox`.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{SandboxPage, SshAccess};
    use reqwest::header::HeaderValue;

    fn answer(status: u16, content_type: &'static str, body: &'static str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            headers,
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn a_wrong_field_is_named_and_its_value_not_quoted() {
        let body = r#"{"id":"a","sandbox_id":"s","password":7,"expires_at":"",
            "created_at":"","updated_at":"","ssh_command":""}"#;
        let error = decode::<SshAccess>(&answer(201, "application/json", body))
            .expect_err("a number is not a password");
        assert_eq!(error.kind(), ErrorKind::InvalidResponse);
        assert_eq!(error.status(), Some(201));
        let message = error.message();
        assert!(message.contains("expected a SshAccess"), "{message}");
        assert!(message.contains("at password"), "{message}");
        assert!(message.contains("invalid type: integer"), "{message}");
    }

    #[test]
    fn nested_paths_are_named() {
        let body = r#"{"items":[{"id":1}],"total_items":1}"#;
        let error = decode::<SandboxPage>(&answer(200, "application/json", body))
            .expect_err("an id is a string");
        assert!(
            error.message().contains("at items[0].id"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn another_success_status_says_what_came() {
        let error = check_status(answer(200, "text/html", "<p>hi</p>"), StatusCode::CREATED)
            .err()
            .expect("200 is not 201");
        assert_eq!(error.kind(), ErrorKind::InvalidResponse);
        assert_eq!(
            error.message(),
            "expected status 201 Created, got 200 OK with 9 bytes of text/html"
        );
    }
}
