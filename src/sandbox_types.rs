//! The plain objects of the sandbox calls: their params and their results, with the
//! conversions to and from the Rust client's types.

use std::collections::HashMap;

use leap0::models;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args::{ArgResult, Fields};

/// What to create a sandbox with. Unset fields take the service's defaults; the service
/// checks the ranges and answers a `Leap0ValidationError` naming the field by its wire name
/// (`memory` for `memoryMib`, `timeout`, in seconds, for `timeoutMin`).
#[napi(object, object_to_js = false)]
pub struct CreateSandboxParams {
    /// Template to create the sandbox from. Default: `system/debian:bookworm`.
    pub template_name: Option<String>,
    /// Virtual CPUs, 1 to 8. Default: 1.
    pub vcpu: Option<i64>,
    /// Memory in MiB, even, 512 to 8192. Default: 1024.
    pub memory_mib: Option<i64>,
    /// Timeout in minutes, 1 to 480; sent to the API in seconds. Default: 5.
    pub timeout_min: Option<i64>,
    /// Pause into a snapshot instead of stopping at the timeout. Default: false.
    pub auto_pause: Option<bool>,
    /// Environment variables set in the sandbox, and in its SSH sessions.
    pub env_vars: Option<HashMap<String, String>>,
    /// Network egress policy. Default: allow all.
    pub network_policy: Option<NetworkPolicy>,
}

impl CreateSandboxParams {
    pub(crate) fn read(value: Option<Unknown>) -> ArgResult<Self> {
        let fields = Fields::of("params", value)?;
        let policy = fields.object("networkPolicy")?;
        Ok(CreateSandboxParams {
            template_name: fields.string("templateName")?,
            vcpu: fields.integer("vcpu")?,
            memory_mib: fields.integer("memoryMib")?,
            timeout_min: fields.integer("timeoutMin")?,
            auto_pause: fields.boolean("autoPause")?,
            env_vars: fields
                .string_map("envVars")?
                .map(|m| m.into_iter().collect()),
            network_policy: policy
                .is_present()
                .then(|| NetworkPolicy::read(&policy))
                .transpose()?,
        })
    }
}

impl From<CreateSandboxParams> for leap0::CreateSandboxParams {
    fn from(params: CreateSandboxParams) -> Self {
        leap0::CreateSandboxParams {
            template_name: params.template_name,
            vcpu: params.vcpu,
            memory_mib: params.memory_mib,
            timeout_min: params.timeout_min,
            auto_pause: params.auto_pause,
            env_vars: params.env_vars.map(|m| m.into_iter().collect()),
            network_policy: params.network_policy.map(Into::into),
        }
    }
}

/// Network egress policy of a sandbox.
#[napi(object)]
pub struct NetworkPolicy {
    /// `allow-all`, `deny-all`, or `custom` (the allow lists apply).
    #[napi(ts_type = "'allow-all' | 'deny-all' | 'custom'")]
    pub mode: String,
    /// Domains allowed in `custom` mode.
    pub allowed_domains: Option<Vec<String>>,
    /// CIDR ranges allowed in `custom` mode.
    pub allowed_cidrs: Option<Vec<String>>,
    /// Per-domain request transforms, such as credential brokering.
    pub transforms: Option<Vec<TransformRule>>,
}

impl NetworkPolicy {
    fn read(fields: &Fields) -> ArgResult<Self> {
        Ok(NetworkPolicy {
            mode: fields.required_string("mode")?,
            allowed_domains: fields.string_list("allowedDomains")?,
            allowed_cidrs: fields.string_list("allowedCidrs")?,
            transforms: fields.object_list("transforms", |rule| {
                Ok(TransformRule {
                    domain: rule.required_string("domain")?,
                    inject_headers: rule
                        .string_map("injectHeaders")?
                        .map(|m| m.into_iter().collect()),
                    strip_headers: rule.string_list("stripHeaders")?,
                })
            })?,
        })
    }
}

/// A per-domain request transform of a network policy.
#[napi(object)]
pub struct TransformRule {
    /// Domain the rule applies to, such as `api.openai.com`.
    pub domain: String,
    /// Headers injected into matching requests.
    pub inject_headers: Option<HashMap<String, String>>,
    /// Header names stripped from matching requests.
    pub strip_headers: Option<Vec<String>>,
}

impl From<NetworkPolicy> for models::NetworkPolicy {
    fn from(policy: NetworkPolicy) -> Self {
        models::NetworkPolicy {
            mode: policy.mode,
            allow_domains: policy.allowed_domains,
            allow_cidrs: policy.allowed_cidrs,
            transforms: policy.transforms.map(|rules| {
                rules
                    .into_iter()
                    .map(|rule| models::TransformRule {
                        domain: rule.domain,
                        inject_headers: rule.inject_headers.map(|m| m.into_iter().collect()),
                        strip_headers: rule.strip_headers,
                    })
                    .collect()
            }),
        }
    }
}

impl From<models::NetworkPolicy> for NetworkPolicy {
    fn from(policy: models::NetworkPolicy) -> Self {
        NetworkPolicy {
            mode: policy.mode,
            allowed_domains: policy.allow_domains,
            allowed_cidrs: policy.allow_cidrs,
            transforms: policy.transforms.map(|rules| {
                rules
                    .into_iter()
                    .map(|rule| TransformRule {
                        domain: rule.domain,
                        inject_headers: rule.inject_headers.map(|m| m.into_iter().collect()),
                        strip_headers: rule.strip_headers,
                    })
                    .collect()
            }),
        }
    }
}

/// A sandbox's data. A {@link Sandbox} is this plus the calls bound to it.
#[napi(object, object_from_js = false)]
pub struct SandboxInfo {
    /// Unique sandbox id, such as `sbx-abc123`.
    pub id: String,
    /// The template the sandbox was created from.
    pub template_id: String,
    /// Current state: `starting`, `running`, `paused`, `stopped`, `deleting`, … .
    pub state: String,
    /// Virtual CPUs.
    pub vcpu: i64,
    /// Memory in MiB.
    pub memory_mib: i64,
    /// Writable disk in MiB.
    pub disk_mib: i64,
    /// Timeout in seconds.
    pub timeout_sec: i64,
    /// Whether the sandbox pauses instead of stopping at its timeout.
    pub auto_pause: bool,
    /// The network egress policy, when one was set.
    pub network_policy: Option<NetworkPolicy>,
    /// Object storage mounts attached to the sandbox (credentials are never returned).
    pub mounts: Vec<Mount>,
    /// When the sandbox was created, ISO 8601.
    pub created_at: String,
}

/// A read-only object storage mount of a sandbox.
#[napi(object, object_from_js = false)]
pub struct Mount {
    /// Mount id.
    pub id: String,
    /// Mount type: `object-storage`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Bucket name.
    pub bucket: String,
    /// Where the bucket appears inside the sandbox.
    pub mount_path: String,
    /// Key prefix within the bucket.
    pub prefix: Option<String>,
    /// Whether the mount is read-only.
    pub read_only: Option<bool>,
}

impl From<models::Sandbox> for SandboxInfo {
    fn from(sandbox: models::Sandbox) -> Self {
        SandboxInfo {
            id: sandbox.id,
            template_id: sandbox.template_id,
            state: sandbox.state,
            vcpu: sandbox.vcpu,
            memory_mib: sandbox.memory,
            disk_mib: sandbox.disk,
            timeout_sec: sandbox.timeout,
            auto_pause: sandbox.auto_pause,
            network_policy: sandbox.network_policy.map(Into::into),
            mounts: sandbox
                .mounts
                .into_iter()
                .map(|m| Mount {
                    id: m.id,
                    kind: m.kind,
                    bucket: m.bucket,
                    mount_path: m.mount_path,
                    prefix: m.prefix,
                    read_only: m.read_only,
                })
                .collect(),
            created_at: sandbox.created_at,
        }
    }
}

/// One sandbox in a list page.
#[napi(object, object_from_js = false)]
pub struct SandboxSummary {
    /// Unique sandbox id.
    pub id: String,
    /// The template the sandbox was created from.
    pub template_id: String,
    /// Runner pod handling the sandbox; empty when not yet assigned.
    pub pod_id: String,
    /// Current state.
    pub state: String,
    /// When the sandbox VM launched, ISO 8601.
    pub launch_time: Option<String>,
    /// When the state last changed, ISO 8601.
    pub state_change_time: Option<String>,
    /// Unix time, in seconds, when the sandbox times out.
    pub timeout_at: Option<i64>,
    /// When the sandbox was created, ISO 8601.
    pub created_at: String,
}

/// One page of sandboxes.
#[napi(object, object_from_js = false)]
pub struct SandboxPage {
    /// The sandboxes on this page.
    pub items: Vec<SandboxSummary>,
    /// How many sandboxes match, over all pages.
    pub total_items: i64,
}

impl From<models::SandboxPage> for SandboxPage {
    fn from(page: models::SandboxPage) -> Self {
        SandboxPage {
            items: page
                .items
                .into_iter()
                .map(|s| SandboxSummary {
                    id: s.id,
                    template_id: s.template_id,
                    pod_id: s.pod_id,
                    state: s.state,
                    launch_time: s.launch_time,
                    state_change_time: s.state_change_time,
                    timeout_at: s.timeout_at,
                    created_at: s.created_at,
                })
                .collect(),
            total_items: i64::try_from(page.total_items).unwrap_or(i64::MAX),
        }
    }
}

/// Filters and paging of `list`. Unset fields take the service's defaults.
#[napi(object, object_to_js = false)]
pub struct ListSandboxesParams {
    /// Only sandboxes in this state, such as `running`.
    pub state: Option<String>,
    /// Sort by `created_at` (default) or `state`.
    #[napi(ts_type = "'created_at' | 'state'")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[napi(ts_type = "'asc' | 'desc'")]
    pub order_by: Option<String>,
    /// 1-based page number. Default: 1.
    pub page: Option<u32>,
    /// Sandboxes per page, 1 to 100. Default: 20.
    pub page_size: Option<u32>,
}

impl ListSandboxesParams {
    pub(crate) fn read(value: Option<Unknown>) -> ArgResult<Self> {
        let fields = Fields::of("params", value)?;
        Ok(ListSandboxesParams {
            state: fields.string("state")?,
            sort: fields.string("sort")?,
            order_by: fields.string("orderBy")?,
            page: fields.count("page")?,
            page_size: fields.count("pageSize")?,
        })
    }
}

impl From<ListSandboxesParams> for leap0::ListSandboxesParams {
    fn from(params: ListSandboxesParams) -> Self {
        leap0::ListSandboxesParams {
            state: params.state,
            sort: params.sort,
            order_by: params.order_by,
            page: params.page,
            page_size: params.page_size,
        }
    }
}
