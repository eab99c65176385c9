//! Handlers of the sandbox lifecycle paths.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::errors::ApiError;
use super::extract::{Ids, JsonObject};
use super::stats::Applied;
use super::validation;
use super::wire::{SandboxCreated, SandboxList, SandboxListItem, SandboxStatus};
use super::AppState;

/// `POST /v1/sandbox/`
pub async fn create(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let spec = validation::sandbox_spec(&body)?;
    let sandbox = state.store.create_sandbox(spec)?;
    applied.mark();
    Ok((StatusCode::CREATED, Json(SandboxCreated::from(&sandbox))).into_response())
}

/// `GET /v1/sandbox/{sandboxID}/`
pub async fn get(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids(sandbox_id): Ids<String>,
) -> Result<Response, ApiError> {
    let sandbox = state
        .store
        .sandbox(&sandbox_id)
        .ok_or(ApiError::NotFound("Sandbox not found"))?;
    applied.mark();
    Ok(Json(SandboxStatus::from(&sandbox)).into_response())
}

/// `DELETE /v1/sandbox/{sandboxID}/`
pub async fn delete(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids(sandbox_id): Ids<String>,
) -> Result<StatusCode, ApiError> {
    let dir = state.store.delete_sandbox(&sandbox_id)?;
    applied.mark();
    dir.remove().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/sandboxes`
pub async fn list(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = validation::list_query(query.as_deref())?;
    let page = state.store.list_sandboxes(&query);
    applied.mark();
    let body = SandboxList {
        items: page.items.iter().map(SandboxListItem::from).collect(),
        total_items: page.total_items,
    };
    Ok(Json(body).into_response())
}
