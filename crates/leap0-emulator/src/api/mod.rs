//! The HTTP API: the contract's routes, the `/_emulator` introspection and fault routes,
//! and the layers around them.
//!
//! Layers, outermost first: the per-request debug log line, the API key check (before
//! routing, so unknown paths need a key too), routing, then on the contract's routes the
//! stats counters and the fault injection.

mod auth;
mod errors;
mod extract;
mod introspection;
mod policy;
mod sandboxes;
mod ssh_access;
mod stats;
mod validation;
mod wire;

use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;

use crate::faults::{self, FaultBook};
use crate::state::Store;
pub use errors::ApiError;
pub use extract::{read_body, JsonObject};
pub use stats::Stats;

/// What every handler can reach.
pub struct AppState {
    pub store: Arc<Store>,
    pub api_key: String,
    pub stats: Stats,
    /// `Some` only when faults are enabled.
    pub faults: Option<FaultBook>,
    /// Host and port `ssh_command` names.
    pub ssh_host: String,
    pub ssh_port: u16,
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn log_request(req: Request, next: Next) -> Response {
    // The path only: ids are not secrets, and headers and bodies never get logged.
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}

fn contract_routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sandbox/", post(sandboxes::create))
        .route(
            "/v1/sandbox/{sandboxID}/",
            get(sandboxes::get).delete(sandboxes::delete),
        )
        .route("/v1/sandboxes", get(sandboxes::list))
        .route(
            "/v1/sandbox/{sandboxID}/ssh/access",
            post(ssh_access::create),
        )
        .route(
            "/v1/sandbox/{sandboxID}/ssh/{sshID}",
            delete(ssh_access::delete),
        )
        .route(
            "/v1/sandbox/{sandboxID}/ssh/{sshID}/validate",
            post(ssh_access::validate),
        )
        .route(
            "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
            post(ssh_access::regenerate),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), stats::track))
}

fn emulator_routes(faults_enabled: bool) -> Router<Arc<AppState>> {
    let routes = Router::new()
        .route("/_emulator/state", get(introspection::state))
        .route("/_emulator/stats", get(introspection::stats))
        .route("/_emulator/stats/reset", post(introspection::reset_stats));
    if faults_enabled {
        routes.route(
            "/_emulator/faults",
            post(faults::program).delete(faults::clear),
        )
    } else {
        routes
    }
}

/// The whole HTTP application.
pub fn router(state: Arc<AppState>) -> Router {
    contract_routes(&state)
        .merge(emulator_routes(state.faults.is_some()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_api_key,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}
