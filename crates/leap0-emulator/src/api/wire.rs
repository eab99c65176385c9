//! Response bodies, field for field as the contract's schemas.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::state::{IssuedAccess, Mount, Sandbox};

/// Runner pod reported for every sandbox; the emulator has just the one.
const POD_ID: &str = "emulator-0";

/// RFC 3339 in UTC with milliseconds, e.g. `2025-01-31T12:00:00.123Z`.
pub fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

#[derive(Serialize)]
pub struct MountBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    bucket: &'a str,
    mount_path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    read_only: bool,
}

impl<'a> From<&'a Mount> for MountBody<'a> {
    fn from(mount: &'a Mount) -> Self {
        Self {
            id: &mount.id,
            kind: "object-storage",
            bucket: &mount.bucket,
            mount_path: &mount.mount_path,
            prefix: mount.prefix.as_deref(),
            read_only: mount.read_only,
        }
    }
}

/// `SandboxStatusResponse`.
#[derive(Serialize)]
pub struct SandboxStatus<'a> {
    id: &'a str,
    template_id: &'a str,
    mounts: Vec<MountBody<'a>>,
    vcpu: u32,
    memory: u32,
    disk: u32,
    timeout: u32,
    state: &'static str,
    auto_pause: bool,
    created_at: String,
}

impl<'a> From<&'a Sandbox> for SandboxStatus<'a> {
    fn from(sandbox: &'a Sandbox) -> Self {
        Self {
            id: &sandbox.id,
            template_id: &sandbox.template_id,
            mounts: sandbox.mounts.iter().map(MountBody::from).collect(),
            vcpu: sandbox.vcpu,
            memory: sandbox.memory,
            disk: sandbox.disk,
            timeout: sandbox.timeout,
            state: sandbox.state.as_str(),
            auto_pause: sandbox.auto_pause,
            created_at: timestamp(sandbox.created_at),
        }
    }
}

/// `SandboxCreateResponse`: the status fields plus the network policy.
#[derive(Serialize)]
pub struct SandboxCreated<'a> {
    #[serde(flatten)]
    status: SandboxStatus<'a>,
    network_policy: Option<&'a serde_json::Value>,
}

impl<'a> From<&'a Sandbox> for SandboxCreated<'a> {
    fn from(sandbox: &'a Sandbox) -> Self {
        Self {
            status: SandboxStatus::from(sandbox),
            network_policy: sandbox.network_policy.as_ref(),
        }
    }
}

/// `SandboxListItem`.
#[derive(Serialize)]
pub struct SandboxListItem<'a> {
    id: &'a str,
    template_id: &'a str,
    pod_id: &'static str,
    state: &'static str,
    launch_time: String,
    state_change_time: String,
    timeout_at: u64,
    created_at: String,
}

impl<'a> From<&'a Sandbox> for SandboxListItem<'a> {
    fn from(sandbox: &'a Sandbox) -> Self {
        let created_at = timestamp(sandbox.created_at);
        let created_secs = sandbox
            .created_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Self {
            id: &sandbox.id,
            template_id: &sandbox.template_id,
            pod_id: POD_ID,
            state: sandbox.state.as_str(),
            // The emulator boots nothing: launch and last state change are the creation.
            launch_time: created_at.clone(),
            state_change_time: created_at.clone(),
            timeout_at: created_secs + u64::from(sandbox.timeout),
            created_at,
        }
    }
}

/// `ListSandboxesResponse`.
#[derive(Serialize)]
pub struct SandboxList<'a> {
    pub items: Vec<SandboxListItem<'a>>,
    pub total_items: usize,
}

/// `SshAccessDto` and `SshCreateAccessDto`, which are the same.
#[derive(Serialize)]
pub struct SshAccessBody<'a> {
    id: &'a str,
    sandbox_id: &'a str,
    password: &'a str,
    expires_at: String,
    created_at: String,
    updated_at: String,
    ssh_command: String,
}

impl<'a> SshAccessBody<'a> {
    /// `ssh_host` and `ssh_port` are where the gateway listens, for `ssh_command`.
    pub fn new(issued: &'a IssuedAccess, ssh_host: &str, ssh_port: u16) -> Self {
        let access = &issued.access;
        Self {
            id: &access.id,
            sandbox_id: &access.sandbox_id,
            password: &issued.password,
            expires_at: timestamp(access.expires_at),
            created_at: timestamp(access.created_at),
            updated_at: timestamp(access.updated_at),
            ssh_command: format!("ssh -p {ssh_port} {}@{ssh_host}", access.id),
        }
    }
}

/// `SshAccessValidationDto`.
#[derive(Serialize)]
pub struct SshValidation<'a> {
    pub valid: bool,
    pub sandbox_id: &'a str,
}
