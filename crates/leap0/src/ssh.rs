//! SSH access calls: issue, check, rotate and revoke the credentials a person uses to `ssh`
//! into a sandbox.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::error::Result;
use crate::models::{SshAccess, SshValidation};
use crate::retry::Safety;
use crate::transport::{segment, Call, RequestOptions};
use crate::Client;

/// SSH access calls of a [`Client`].
pub struct Ssh<'a> {
    pub(crate) client: &'a Client,
}

fn access_path(sandbox_id: &str, access_id: &str, action: &str) -> Result<String> {
    Ok(format!(
        "/v1/sandbox/{}/ssh/{}{action}",
        segment("sandbox", sandbox_id)?,
        segment("id", access_id)?
    ))
}

impl Ssh<'_> {
    /// Issues a new credential for a sandbox (`POST .../ssh/access`, 201).
    pub async fn create_access(
        &self,
        sandbox_id: &str,
        options: &RequestOptions,
    ) -> Result<SshAccess> {
        let call = Call {
            method: Method::POST,
            path: format!("/v1/sandbox/{}/ssh/access", segment("sandbox", sandbox_id)?),
            query: Vec::new(),
            body: None,
            expected: StatusCode::CREATED,
            safety: Safety::CreatesOrChanges,
            secret: None,
        };
        self.client.call_json(call, options).await
    }

    /// Checks a credential's password and expiry (`POST .../ssh/{id}/validate`, 200). A wrong
    /// password or an expired credential is `valid: false`, not an error.
    pub async fn validate_access(
        &self,
        sandbox_id: &str,
        access_id: &str,
        password: &str,
        options: &RequestOptions,
    ) -> Result<SshValidation> {
        let call = Call {
            method: Method::POST,
            path: access_path(sandbox_id, access_id, "/validate")?,
            query: Vec::new(),
            body: Some(json!({ "password": password })),
            expected: StatusCode::OK,
            safety: Safety::Repeatable,
            secret: Some(password.to_owned()),
        };
        self.client.call_json(call, options).await
    }

    /// Issues a new password for a credential, invalidating the old one and resetting its
    /// expiry (`POST .../ssh/{id}/regen`, 200).
    pub async fn regenerate_access(
        &self,
        sandbox_id: &str,
        access_id: &str,
        options: &RequestOptions,
    ) -> Result<SshAccess> {
        let call = Call {
            method: Method::POST,
            path: access_path(sandbox_id, access_id, "/regen")?,
            query: Vec::new(),
            body: None,
            expected: StatusCode::OK,
            safety: Safety::CreatesOrChanges,
            secret: None,
        };
        self.client.call_json(call, options).await
    }

    /// Revokes a credential (`DELETE .../ssh/{id}`, 204).
    pub async fn delete_access(
        &self,
        sandbox_id: &str,
        access_id: &str,
        options: &RequestOptions,
    ) -> Result<()> {
        let call = Call {
            method: Method::DELETE,
            path: access_path(sandbox_id, access_id, "")?,
            query: Vec::new(),
            body: None,
            expected: StatusCode::NO_CONTENT,
            safety: Safety::Repeatable,
            secret: None,
        };
        self.client.call_empty(call, options).await
    }
}
