//! Handlers of the SSH access paths.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::errors::ApiError;
use super::extract::{Ids, JsonObject};
use super::stats::Applied;
use super::validation;
use super::wire::{SshAccessBody, SshValidation};
use super::AppState;
use crate::state::IssuedAccess;

fn access_body(state: &AppState, status: StatusCode, issued: &IssuedAccess) -> Response {
    let body = SshAccessBody::new(issued, &state.ssh_host, state.ssh_port);
    (status, Json(body)).into_response()
}

/// `POST /v1/sandbox/{sandboxID}/ssh/access`
pub async fn create(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids(sandbox_id): Ids<String>,
) -> Result<Response, ApiError> {
    let issued = state.store.create_access(&sandbox_id).await?;
    applied.mark();
    Ok(access_body(&state, StatusCode::CREATED, &issued))
}

/// `DELETE /v1/sandbox/{sandboxID}/ssh/{sshID}`
pub async fn delete(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids((sandbox_id, access_id)): Ids<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_access(&sandbox_id, &access_id)?;
    applied.mark();
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate`
pub async fn validate(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids((sandbox_id, access_id)): Ids<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let password = validation::password(&body)?;
    let valid = state
        .store
        .validate_access(&sandbox_id, &access_id, &password)
        .await?;
    applied.mark();
    let body = SshValidation {
        valid,
        sandbox_id: &sandbox_id,
    };
    Ok(Json(body).into_response())
}

/// `POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen`
pub async fn regenerate(
    State(state): State<Arc<AppState>>,
    applied: Applied,
    Ids((sandbox_id, access_id)): Ids<(String, String)>,
) -> Result<Response, ApiError> {
    let issued = state
        .store
        .regenerate_access(&sandbox_id, &access_id)
        .await?;
    applied.mark();
    Ok(access_body(&state, StatusCode::OK, &issued))
}
