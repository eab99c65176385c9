//! API key check, run before routing so that even unknown paths answer 401 without a key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::errors::ApiError;
use super::AppState;

const LEAP0_AUTHORIZATION: &str = "leap0-authorization";

fn strip_bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

/// Keys offered by a request: `authorization: Bearer <key>`, and `leap0-authorization`
/// with or without the `Bearer` scheme.
fn offered_keys(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get_all(axum::http::header::AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(strip_bearer);
    let leap0 = headers
        .get_all(LEAP0_AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(|value| strip_bearer(value).unwrap_or(value.trim()));
    bearer.chain(leap0)
}

/// Compares in time independent of where the first difference is, so response timing does
/// not reveal a prefix of the key.
fn is_key(offered: &str, expected: &str) -> bool {
    offered.as_bytes().ct_eq(expected.as_bytes()).into()
}

pub async fn require_api_key(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let allowed =
        offered_keys(req.headers()).fold(false, |found, key| is_key(key, &state.api_key) | found);
    if allowed {
        next.run(req).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn keys(pairs: &[(&'static str, &'static str)]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        offered_keys(&headers).map(str::to_owned).collect()
    }

    #[test]
    fn both_headers_and_both_forms_are_read() {
        assert_eq!(keys(&[("authorization", "Bearer k1")]), ["k1"]);
        assert_eq!(keys(&[("authorization", "bearer  k1")]), ["k1"]);
        assert_eq!(keys(&[("authorization", "k1")]), Vec::<String>::new());
        assert_eq!(keys(&[("leap0-authorization", "k2")]), ["k2"]);
        assert_eq!(keys(&[("leap0-authorization", "Bearer k2")]), ["k2"]);
    }

    #[test]
    fn keys_compare_exactly() {
        assert!(is_key("abc", "abc"));
        assert!(!is_key("abd", "abc"));
        assert!(!is_key("ab", "abc"));
    }
}
