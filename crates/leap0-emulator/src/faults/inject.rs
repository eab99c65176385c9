//! Serving programmed faults in place of, or around, the real handlers.

use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use http_body_util::BodyExt;

use super::Fault;
use crate::api::{read_body, AppState};

const JSON: &str = "application/json";
const PREFIX: &[u8] = br#"{"data":""#;
const SUFFIX: &[u8] = br#""}"#;
/// The smallest `oversized_body` that is still a JSON object: `{"data":""}`.
pub const OVERSIZED_MIN_BYTES: u64 = (PREFIX.len() + SUFFIX.len()) as u64;
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

fn with_content_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A response whose body fails before its first byte. hyper then closes the connection
/// without writing anything, not even the status line (the `faults` tests check this on
/// the wire), which is what a crashed or cut-off server looks like to the client.
fn severed() -> Response {
    let error = stream::once(async { Err::<Bytes, _>(io::Error::other("injected disconnect")) });
    Response::new(Body::from_stream(error))
}

/// The real status and headers, a `content-length` for the whole body, then half of it and
/// a closed connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return severed();
    };
    let full = collected.to_bytes();
    if full.is_empty() {
        // Nothing to cut (a 204): all that is left to break is the connection.
        return severed();
    }
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(full.len()));
    let half = full.slice(..full.len() / 2);
    // The yield lets hyper flush the half before the error makes it drop the connection.
    let body = stream::iter([Ok(half)]).chain(stream::once(async {
        tokio::task::yield_now().await;
        Err(io::Error::other("injected truncation"))
    }));
    Response::from_parts(parts, Body::from_stream(body))
}

fn stalled(end_after: Option<std::time::Duration>) -> Response {
    let body = match end_after {
        Some(delay) => Body::from_stream(stream::once(async move {
            tokio::time::sleep(delay).await;
            Ok::<_, io::Error>(Bytes::new())
        })),
        None => Body::from_stream(stream::pending::<Result<Bytes, io::Error>>()),
    };
    with_content_type(StatusCode::OK, JSON, body)
}

/// A JSON object of exactly `bytes` bytes, produced 64 KiB at a time.
fn oversized(bytes: u64, chunked: bool) -> Response {
    let mut filler = bytes.saturating_sub(OVERSIZED_MIN_BYTES);
    let fill = std::iter::from_fn(move || {
        let len = filler.min(FILLER.len() as u64) as usize;
        filler -= len as u64;
        (len > 0).then(|| Bytes::from_static(&FILLER[..len]))
    });
    let chunks = std::iter::once(Bytes::from_static(PREFIX))
        .chain(fill)
        .chain(std::iter::once(Bytes::from_static(SUFFIX)))
        .map(Ok::<_, io::Error>);
    let mut response = with_content_type(
        StatusCode::OK,
        JSON,
        Body::from_stream(stream::iter(chunks)),
    );
    if !chunked {
        let headers = response.headers_mut();
        headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    response
}

/// The status the contract documents for a route's success. Deletes document 204, which
/// cannot carry the broken body, so those answer 200.
fn documented_status(method: &Method, template: &str) -> StatusCode {
    match (method, template) {
        (&Method::POST, "/v1/sandbox/" | "/v1/sandbox/{sandboxID}/ssh/access") => {
            StatusCode::CREATED
        }
        _ => StatusCode::OK,
    }
}

/// Route middleware (needs [`MatchedPath`]) that serves the next programmed fault matching
/// the request, if any.
pub async fn inject(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let fault = state
        .faults
        .as_ref()
        .and_then(|book| book.take(req.method(), template.unwrap_or_default(), req.uri().path()));
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    tracing::debug!(?fault, "serving an injected fault");
    let method = req.method().clone();
    let template = template.unwrap_or_default().to_owned();

    // Read the whole request first, as the real handler would: hyper only notices a client
    // hanging up once the request body is consumed, and a delay must be cancellable.
    let (parts, body) = req.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(err) => return err.into_response(),
    };
    let req = Request::from_parts(parts, Body::from(body));

    match fault {
        Fault::Status {
            status,
            headers,
            body,
        } => (status, headers, body).into_response(),
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(req).await
        }
        Fault::StallAfterHeaders(end_after) => stalled(end_after),
        Fault::DropBeforeApply => severed(),
        Fault::DropAfterApply => {
            next.run(req).await;
            severed()
        }
        Fault::TruncatedBody => truncated(next.run(req).await).await,
        Fault::OversizedBody { bytes, chunked } => oversized(bytes, chunked),
        Fault::MalformedJson { apply } => {
            if apply {
                next.run(req).await;
            }
            let status = documented_status(&method, &template);
            with_content_type(status, JSON, Body::from(r#"{"id": "sbx-"#))
        }
        Fault::Html => with_content_type(
            StatusCode::BAD_GATEWAY,
            "text/html",
            Body::from(BAD_GATEWAY_HTML),
        ),
    }
}
