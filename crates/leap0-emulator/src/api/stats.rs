//! Per-route request counters for `/_emulator/stats`: how many requests arrived, how many
//! did their work, and how many were dropped half-way (the client went away).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::AppState;

/// The contract's routes, as `METHOD template`; the keys of the stats object.
pub const ROUTES: [&str; 8] = [
    "POST /v1/sandbox/",
    "GET /v1/sandbox/{sandboxID}/",
    "DELETE /v1/sandbox/{sandboxID}/",
    "GET /v1/sandboxes",
    "POST /v1/sandbox/{sandboxID}/ssh/access",
    "DELETE /v1/sandbox/{sandboxID}/ssh/{sshID}",
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate",
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
];

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    applied: AtomicU64,
    cancelled: AtomicU64,
}

pub struct Stats {
    routes: [Counters; ROUTES.len()],
}

impl Stats {
    pub fn new() -> Self {
        Self {
            routes: Default::default(),
        }
    }

    fn index(method: &str, template: &str) -> Option<usize> {
        ROUTES
            .iter()
            .position(|route| route.split_once(' ') == Some((method, template)))
    }

    pub fn snapshot(&self) -> Value {
        let routes: Map<String, Value> = ROUTES
            .iter()
            .zip(&self.routes)
            .map(|(route, counters)| {
                let counts = json!({
                    "received": counters.received.load(Ordering::Relaxed),
                    "applied": counters.applied.load(Ordering::Relaxed),
                    "cancelled": counters.cancelled.load(Ordering::Relaxed),
                });
                ((*route).to_owned(), counts)
            })
            .collect();
        Value::Object(routes)
    }

    pub fn reset(&self) {
        for counters in &self.routes {
            counters.received.store(0, Ordering::Relaxed);
            counters.applied.store(0, Ordering::Relaxed);
            counters.cancelled.store(0, Ordering::Relaxed);
        }
    }
}

/// Handed to a handler so it can say when its work is done (the state change happened, or
/// the answer is computed); counted once per request.
#[derive(Clone)]
pub struct Applied(Option<(Arc<AppState>, usize, Arc<AtomicBool>)>);

impl Applied {
    pub fn mark(&self) {
        if let Some((state, index, done)) = &self.0 {
            if !done.swap(true, Ordering::Relaxed) {
                state.stats.routes[*index]
                    .applied
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Applied {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Applied>()
            .cloned()
            .unwrap_or(Applied(None)))
    }
}

/// Counts the request as cancelled unless disarmed, i.e. if the handler future is dropped.
struct CancelGuard {
    state: Arc<AppState>,
    index: usize,
    armed: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if self.armed {
            let counters = &self.state.stats.routes[self.index];
            counters.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Route middleware (needs [`MatchedPath`]) that keeps the counters.
pub async fn track(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let Some(index) = template.and_then(|t| Stats::index(req.method().as_str(), t)) else {
        return next.run(req).await;
    };
    state.stats.routes[index]
        .received
        .fetch_add(1, Ordering::Relaxed);
    let applied = Applied(Some((state.clone(), index, Arc::default())));
    req.extensions_mut().insert(applied);
    let mut guard = CancelGuard {
        state,
        index,
        armed: true,
    };
    let response = next.run(req).await;
    guard.armed = false;
    response
}
