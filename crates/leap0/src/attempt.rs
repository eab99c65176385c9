//! Attempts of one call: send, read the answer within the size limit, and decide whether to
//! try again. The whole-call deadline, cancellation and closing are enforced by the caller,
//! which races this against them.

use bytes::BytesMut;
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use crate::answer::{check_status, error_answer, Answer};
use crate::error::{Error, ErrorKind, Result};
use crate::retry::{self, Failure};
use crate::transport::{deadline_after, Call, MAX_RESPONSE_BYTES};

/// Attempts the request, waiting between attempts, until it succeeds or fails for good.
pub(crate) async fn attempt_until_done(
    http: &reqwest::Client,
    request: reqwest::Request,
    call: &Call,
    secrets: &[&str],
    max_retries: u32,
    deadline: Instant,
) -> Result<Answer> {
    let mut retry: u32 = 0;
    // Whether an earlier attempt may have reached the handler: then a delete that now finds
    // nothing is the earlier attempt's success, not a missing resource.
    let mut may_have_acted = false;
    loop {
        let Some(this_attempt) = request.try_clone() else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "request cannot be repeated",
            ));
        };
        let (failure, error, asked_wait) = match attempt(http, this_attempt).await {
            Ok(answer) if answer.status.is_success() => {
                return check_status(answer, call.expected);
            }
            Ok(answer) if may_have_acted && is_gone(call, &answer) => {
                tracing::debug!(call = %call.describe(), "earlier attempt deleted it");
                return Ok(Answer {
                    status: call.expected,
                    headers: answer.headers,
                    body: bytes::Bytes::new(),
                });
            }
            Ok(answer) => {
                let asked = retry::retry_after(&answer.headers);
                let failure = Failure::Status {
                    status: answer.status.as_u16(),
                    has_retry_after: asked.is_some(),
                };
                (
                    failure,
                    error_answer(&answer, secrets).with_retry_after(asked),
                    asked,
                )
            }
            Err((None, error)) => return Err(error),
            Err((Some(failure), error)) => (failure, error, None),
        };
        if !failure.is_retryable(call.safety) {
            // Trying again could do the work twice, or cannot help: say so to the caller.
            return Err(error.with_retryable(false));
        }
        if retry >= max_retries {
            return Err(error);
        }
        may_have_acted |= failure.may_have_acted();
        retry += 1;
        let wait = asked_wait.unwrap_or_else(|| retry::backoff(retry));
        if deadline_after(wait) >= deadline {
            // Waiting would outlast the call; fail now with what the server said.
            return Err(error);
        }
        tracing::debug!(
            call = %call.describe(),
            attempt = retry + 1,
            reason = %failure.reason(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying leap0 call"
        );
        tokio::time::sleep(wait).await;
    }
}

fn is_gone(call: &Call, answer: &Answer) -> bool {
    call.method == Method::DELETE && answer.status == StatusCode::NOT_FOUND
}

/// How one attempt failed: with the failure to weigh for a retry, or `None` when trying again
/// cannot help.
type AttemptError = (Option<Failure>, Error);

/// One attempt: send, then read the whole body within the size limit.
async fn attempt(
    http: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Answer, AttemptError> {
    let response = http.execute(request).await.map_err(|e| {
        if e.is_redirect() {
            // A redirect loop within the API's origin: the next attempt would loop too.
            let error = Error::new(ErrorKind::UnexpectedStatus, "server redirected too often");
            return (None, error);
        }
        if e.is_connect() && is_tls_failure(&e) {
            // The same certificate is refused on every attempt.
            let error = Error::new(
                ErrorKind::Connection,
                "TLS handshake with the Leap0 API failed",
            );
            return (
                None,
                error.with_source(e.without_url()).with_retryable(false),
            );
        }
        let failure = if e.is_connect() {
            Failure::NotSent
        } else {
            Failure::Dropped
        };
        (Some(failure), connection_error(e))
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_limited(response).await?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Whether a connect error is rustls refusing the handshake (a certificate, most often).
/// rustls errors reach us wrapped in `io::Error`s, sometimes two deep, whose `source()` skips
/// the wrapped error, so each link is also unwrapped by hand.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = link {
        let mut peeled = current;
        loop {
            if peeled.downcast_ref::<rustls::Error>().is_some() {
                return true;
            }
            match peeled
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => peeled = inner,
                None => break,
            }
        }
        link = current.source();
    }
    false
}

fn connection_error(error: reqwest::Error) -> Error {
    let message = if error.is_connect() {
        "could not connect to the Leap0 API"
    } else if error.is_body() || error.is_decode() {
        "the connection to the Leap0 API was dropped while the answer was read"
    } else {
        "the connection to the Leap0 API was dropped"
    };
    Error::new(ErrorKind::Connection, message).with_source(error.without_url())
}

async fn read_limited(mut response: reqwest::Response) -> Result<bytes::Bytes, AttemptError> {
    let status = response.status().as_u16();
    // Not retried: the same request would get the same oversized answer.
    let too_large = || {
        let error = Error::new(
            ErrorKind::ResponseTooLarge,
            format!("answer is larger than the {MAX_RESPONSE_BYTES} bytes Leap0 allows"),
        );
        (None, error.with_status(status))
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            // The status line came, so the status is kept: a cut-off 201 may have created.
            Err(e) => {
                let error = connection_error(e).with_status(status);
                return Err((Some(Failure::Dropped), error));
            }
        }
    }
}
