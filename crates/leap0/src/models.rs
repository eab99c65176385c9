//! The wire models of the contract (`leap0-openapi.yaml`), snake_case as the API sends them.
//!
//! States and other enumerations are kept as strings, so a state the service adds later does
//! not break an older client.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A sandbox, as `POST /v1/sandbox/` and `GET /v1/sandbox/{id}/` return it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Sandbox {
    /// Unique sandbox id, such as `sbx-abc123`.
    pub id: String,
    /// The template the sandbox was created from.
    pub template_id: String,
    /// Object storage mounts attached to the sandbox.
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// Virtual CPUs.
    pub vcpu: i64,
    /// Memory in MiB.
    pub memory: i64,
    /// Writable disk in MiB.
    pub disk: i64,
    /// Timeout in seconds.
    pub timeout: i64,
    /// Current state, such as `running`.
    pub state: String,
    /// Whether the sandbox pauses instead of stopping at its timeout.
    pub auto_pause: bool,
    /// The network egress policy, when one was set.
    #[serde(default)]
    pub network_policy: Option<NetworkPolicy>,
    /// When the sandbox was created (RFC 3339).
    pub created_at: String,
}

/// A non-secret description of an object storage mount.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Mount {
    /// Mount id.
    pub id: String,
    /// Mount type, `object-storage`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bucket name.
    pub bucket: String,
    /// Where the bucket appears inside the sandbox.
    pub mount_path: String,
    /// Key prefix within the bucket.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Whether the mount is read-only.
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// Network egress policy of a sandbox.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct NetworkPolicy {
    /// `allow-all`, `deny-all` or `custom`.
    pub mode: String,
    /// Domains allowed in `custom` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_domains: Option<Vec<String>>,
    /// CIDR ranges allowed in `custom` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_cidrs: Option<Vec<String>>,
    /// Per-domain request transforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transforms: Option<Vec<TransformRule>>,
}

/// A per-domain request transform of a network policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TransformRule {
    /// Domain pattern the rule applies to.
    pub domain: String,
    /// Headers injected into matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inject_headers: Option<BTreeMap<String, String>>,
    /// Header names stripped from matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_headers: Option<Vec<String>>,
}

/// One sandbox in a list page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SandboxSummary {
    /// Unique sandbox id.
    pub id: String,
    /// The template the sandbox was created from.
    pub template_id: String,
    /// Runner pod handling the sandbox; empty when not yet assigned.
    pub pod_id: String,
    /// Current state.
    pub state: String,
    /// When the sandbox VM launched (RFC 3339).
    #[serde(default)]
    pub launch_time: Option<String>,
    /// When the state last changed (RFC 3339).
    #[serde(default)]
    pub state_change_time: Option<String>,
    /// Unix time, in seconds, when the sandbox times out.
    #[serde(default)]
    pub timeout_at: Option<i64>,
    /// When the sandbox was created (RFC 3339).
    pub created_at: String,
}

/// A page of `GET /v1/sandboxes`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SandboxPage {
    /// The sandboxes on this page.
    pub items: Vec<SandboxSummary>,
    /// How many sandboxes match, over all pages.
    pub total_items: u64,
}

/// An SSH credential for a sandbox. `Debug` does not show the password.
#[derive(Clone, PartialEq, Deserialize, Serialize)]
pub struct SshAccess {
    /// The credential's id, which is also the SSH username.
    pub id: String,
    /// The sandbox the credential opens.
    pub sandbox_id: String,
    /// The SSH password.
    pub password: String,
    /// When the credential expires (RFC 3339).
    pub expires_at: String,
    /// When the credential was created (RFC 3339).
    pub created_at: String,
    /// When the credential was last regenerated (RFC 3339).
    pub updated_at: String,
    /// The command that opens a shell in the sandbox, such as `ssh -p 2222 id@host`.
    pub ssh_command: String,
}

impl fmt::Debug for SshAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshAccess")
            .field("id", &self.id)
            .field("sandbox_id", &self.sandbox_id)
            .field("password", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("ssh_command", &self.ssh_command)
            .finish()
    }
}

/// The answer of `POST /v1/sandbox/{id}/ssh/{access}/validate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SshValidation {
    /// Whether the password is right and the credential unexpired.
    pub valid: bool,
    /// The sandbox the credential opens.
    pub sandbox_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_access_debug_hides_the_password() {
        let access = SshAccess {
            id: "acc".into(),
            sandbox_id: "sbx".into(),
            password: "correct-horse-battery".into(),
            expires_at: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            ssh_command: String::new(),
        };
        assert!(!format!("{access:?}").contains("correct-horse"));
    }
}
