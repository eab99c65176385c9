//! `/_emulator/state` and `/_emulator/stats`: what tests read to check the emulator's side.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

/// `GET /_emulator/state`: `{"sandboxes": <live>, "accesses": <not deleted>}`.
pub async fn state(State(state): State<Arc<AppState>>) -> Json<Value> {
    let counts = state.store.counts();
    Json(json!({ "sandboxes": counts.sandboxes, "accesses": counts.accesses }))
}

/// `GET /_emulator/stats`: `{"<METHOD> <route>": {"received", "applied", "cancelled"}}`.
pub async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.stats.snapshot())
}

/// `POST /_emulator/stats/reset`
pub async fn reset_stats(State(state): State<Arc<AppState>>) -> StatusCode {
    state.stats.reset();
    StatusCode::NO_CONTENT
}
