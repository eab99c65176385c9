//! Error responses, shaped as the contract's `ErrorResponse` and `ValidationErrorResponse`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::state::StoreError;

/// One entry of a validation error's `errors` list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub error: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            error: error.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Invalid request")]
    Invalid(Vec<FieldError>),
    #[error("Invalid or missing API key")]
    Unauthorized,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("Sandbox limit reached: at most {0} sandboxes may exist at once")]
    SandboxLimit(usize),
    #[error("Request body larger than {} bytes", super::extract::MAX_BODY_BYTES)]
    PayloadTooLarge,
    #[error("Request body could not be read")]
    BodyUnreadable,
    #[error("Internal error")]
    Internal(#[source] StoreError),
}

impl ApiError {
    pub fn invalid(field: &str, error: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, error)])
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::SandboxLimit(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::SandboxNotFound => Self::NotFound("Sandbox not found"),
            StoreError::AccessNotFound => Self::NotFound("SSH access not found"),
            StoreError::SandboxLimit { max } => Self::SandboxLimit(max),
            other => Self::Internal(other),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            let source = std::error::Error::source(err).map(ToString::to_string);
            tracing::error!(error = %err, source, "internal error");
        }
        let body = ErrorBody {
            message: self.to_string(),
            errors: match &self {
                Self::Invalid(errors) => Some(errors),
                _ => None,
            },
        };
        (self.status(), Json(body)).into_response()
    }
}
