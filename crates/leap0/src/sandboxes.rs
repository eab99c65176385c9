//! Sandbox calls: create, get, list, delete.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::models::{NetworkPolicy, Sandbox, SandboxPage};
use crate::retry::Safety;
use crate::transport::{check_length, segment, Call, RequestOptions};
use crate::Client;

/// The template a sandbox is created from when none is named.
pub const DEFAULT_TEMPLATE: &str = "system/debian:bookworm";

/// What to create a sandbox with. Unset fields take the service's defaults; ranges are
/// checked by the service, which answers 400 naming the field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateSandboxParams {
    /// Template name. Default: [`DEFAULT_TEMPLATE`].
    pub template_name: Option<String>,
    /// Virtual CPUs (the service allows 1 to 8).
    pub vcpu: Option<i64>,
    /// Memory in MiB (even, 512 to 8192).
    pub memory_mib: Option<i64>,
    /// Timeout in minutes; sent as seconds.
    pub timeout_min: Option<i64>,
    /// Pause instead of stopping at the timeout.
    pub auto_pause: Option<bool>,
    /// Environment variables set in the sandbox.
    pub env_vars: Option<BTreeMap<String, String>>,
    /// Network egress policy.
    pub network_policy: Option<NetworkPolicy>,
}

impl CreateSandboxParams {
    fn to_wire(&self) -> Result<Value> {
        let template = self.template_name.as_deref().unwrap_or(DEFAULT_TEMPLATE);
        if template.trim().is_empty() {
            return Err(Error::invalid_argument(
                "params.templateName",
                "must not be empty",
            ));
        }
        let mut body = Map::new();
        body.insert("template_name".into(), json!(template));
        if let Some(vcpu) = self.vcpu {
            body.insert("vcpu".into(), json!(vcpu));
        }
        if let Some(memory) = self.memory_mib {
            body.insert("memory".into(), json!(memory));
        }
        if let Some(minutes) = self.timeout_min {
            let seconds = minutes
                .checked_mul(60)
                .ok_or_else(|| Error::invalid_argument("params.timeoutMin", "is too large"))?;
            body.insert("timeout".into(), json!(seconds));
        }
        if let Some(auto_pause) = self.auto_pause {
            body.insert("auto_pause".into(), json!(auto_pause));
        }
        if let Some(env_vars) = &self.env_vars {
            body.insert("env_vars".into(), json!(env_vars));
        }
        if let Some(policy) = &self.network_policy {
            let policy = serde_json::to_value(policy).map_err(|_| {
                Error::invalid_argument("params.networkPolicy", "cannot be sent as JSON")
            })?;
            body.insert("network_policy".into(), policy);
        }
        Ok(Value::Object(body))
    }
}

/// Filters and paging of `list`. Unset fields take the service's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSandboxesParams {
    /// Only sandboxes in this state.
    pub state: Option<String>,
    /// Sort by `created_at` (default) or `state`.
    pub sort: Option<String>,
    /// `asc` or `desc` (default).
    pub order_by: Option<String>,
    /// 1-based page number.
    pub page: Option<u32>,
    /// Items per page (the service allows 1 to 100, default 20).
    pub page_size: Option<u32>,
}

impl ListSandboxesParams {
    fn to_query(&self) -> Result<Vec<(&'static str, String)>> {
        let mut query = Vec::new();
        let texts = [
            ("state", "params.state", &self.state),
            ("sort", "params.sort", &self.sort),
            ("order-by", "params.orderBy", &self.order_by),
        ];
        for (name, field, value) in texts {
            if let Some(value) = value {
                check_length(field, value)?;
                query.push((name, value.clone()));
            }
        }
        let numbers = [("page", self.page), ("page-size", self.page_size)];
        for (name, value) in numbers {
            if let Some(value) = value {
                query.push((name, value.to_string()));
            }
        }
        Ok(query)
    }
}

/// Sandbox calls of a [`Client`].
pub struct Sandboxes<'a> {
    pub(crate) client: &'a Client,
}

impl Sandboxes<'_> {
    /// Creates a sandbox (`POST /v1/sandbox/`, 201).
    pub async fn create(
        &self,
        params: &CreateSandboxParams,
        options: &RequestOptions,
    ) -> Result<Sandbox> {
        let call = Call {
            method: Method::POST,
            path: "/v1/sandbox/".to_owned(),
            query: Vec::new(),
            body: Some(params.to_wire()?),
            expected: StatusCode::CREATED,
            safety: Safety::CreatesOrChanges,
            secret: None,
        };
        self.client.call_json(call, options).await
    }

    /// Fetches a sandbox's status (`GET /v1/sandbox/{id}/`, 200).
    pub async fn get(&self, sandbox_id: &str, options: &RequestOptions) -> Result<Sandbox> {
        let call = Call {
            method: Method::GET,
            path: format!("/v1/sandbox/{}/", segment("sandbox", sandbox_id)?),
            query: Vec::new(),
            body: None,
            expected: StatusCode::OK,
            safety: Safety::Repeatable,
            secret: None,
        };
        self.client.call_json(call, options).await
    }

    /// Lists sandboxes, one page at a time (`GET /v1/sandboxes`, 200).
    pub async fn list(
        &self,
        params: &ListSandboxesParams,
        options: &RequestOptions,
    ) -> Result<SandboxPage> {
        let call = Call {
            method: Method::GET,
            path: "/v1/sandboxes".to_owned(),
            query: params.to_query()?,
            body: None,
            expected: StatusCode::OK,
            safety: Safety::Repeatable,
            secret: None,
        };
        self.client.call_json(call, options).await
    }

    /// Deletes a sandbox and its credentials (`DELETE /v1/sandbox/{id}/`, 204).
    pub async fn delete(&self, sandbox_id: &str, options: &RequestOptions) -> Result<()> {
        let call = Call {
            method: Method::DELETE,
            path: format!("/v1/sandbox/{}/", segment("sandbox", sandbox_id)?),
            query: Vec::new(),
            body: None,
            expected: StatusCode::NO_CONTENT,
            safety: Safety::Repeatable,
            secret: None,
        };
        self.client.call_empty(call, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_params_use_wire_names_and_units() {
        let params = CreateSandboxParams {
            memory_mib: Some(2048),
            timeout_min: Some(10),
            auto_pause: Some(true),
            ..Default::default()
        };
        let body = params.to_wire().expect("valid");
        assert_eq!(
            body,
            json!({
                "template_name": DEFAULT_TEMPLATE,
                "memory": 2048,
                "timeout": 600,
                "auto_pause": true
            })
        );
    }

    #[test]
    fn list_params_use_the_documented_query_names() {
        let params = ListSandboxesParams {
            order_by: Some("asc".into()),
            page_size: Some(5),
            ..Default::default()
        };
        assert_eq!(
            params.to_query().ok(),
            Some(vec![
                ("order-by", "asc".to_owned()),
                ("page-size", "5".to_owned())
            ])
        );
    }

    #[test]
    fn a_query_value_too_long_for_a_url_is_refused_naming_the_param() {
        let params = ListSandboxesParams {
            state: Some("x".repeat(70_000)),
            ..Default::default()
        };
        let error = params.to_query().expect_err("too long");
        assert_eq!(error.field_errors()[0].field, "params.state");
    }
}
