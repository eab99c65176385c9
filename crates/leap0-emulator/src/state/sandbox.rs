//! Sandbox records and the shapes used to create and list them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

/// Writable disk every emulated sandbox reports, in MiB.
pub const DISK_MIB: u32 = 4096;

/// Lifecycle states of the contract. The emulator only ever reports `Running`, but lists may
/// be filtered by any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SandboxState {
    Starting,
    Stopping,
    Snapshotting,
    Running,
    Paused,
    Unpausing,
    Stopped,
    Deleting,
}

impl SandboxState {
    pub const ALL: [SandboxState; 8] = [
        Self::Starting,
        Self::Stopping,
        Self::Snapshotting,
        Self::Running,
        Self::Paused,
        Self::Unpausing,
        Self::Stopped,
        Self::Deleting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Stopping => "stopping",
            Self::Snapshotting => "snapshotting",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Unpausing => "unpausing",
            Self::Stopped => "stopped",
            Self::Deleting => "deleting",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

/// An object storage mount as the API reports it; credentials are never kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub id: String,
    pub bucket: String,
    pub mount_path: String,
    pub prefix: Option<String>,
    pub read_only: bool,
}

/// A mount asked for at creation, before the store gives it an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    pub bucket: String,
    pub mount_path: String,
    pub prefix: Option<String>,
    pub read_only: bool,
}

/// A validated create request, with the contract's defaults filled in.
#[derive(Clone, PartialEq)]
pub struct SandboxSpec {
    pub template_id: String,
    pub vcpu: u32,
    pub memory: u32,
    pub timeout: u32,
    pub auto_pause: bool,
    pub env_vars: BTreeMap<String, String>,
    pub network_policy: Option<serde_json::Value>,
    pub mounts: Vec<MountSpec>,
}

impl Default for SandboxSpec {
    fn default() -> Self {
        Self {
            template_id: String::new(),
            vcpu: 1,
            memory: 1024,
            timeout: 300,
            auto_pause: false,
            env_vars: BTreeMap::new(),
            network_policy: None,
            mounts: Vec::new(),
        }
    }
}

/// A live sandbox.
#[derive(Clone)]
pub struct Sandbox {
    pub id: String,
    pub template_id: String,
    pub vcpu: u32,
    /// MiB.
    pub memory: u32,
    /// MiB.
    pub disk: u32,
    /// Seconds.
    pub timeout: u32,
    pub state: SandboxState,
    pub auto_pause: bool,
    /// Set in every SSH session of the sandbox; never returned by the API.
    pub env_vars: BTreeMap<String, String>,
    pub network_policy: Option<serde_json::Value>,
    pub mounts: Vec<Mount>,
    pub created_at: SystemTime,
    /// Creation order, to break ties between sandboxes created in the same instant.
    pub(crate) seq: u64,
}

// Env var values often hold tokens, so only their names are shown.
impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("template_id", &self.template_id)
            .field("state", &self.state)
            .field("env_vars", &self.env_vars.keys().collect::<Vec<_>>())
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

// Same reason as for `Sandbox`.
impl fmt::Debug for SandboxSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxSpec")
            .field("template_id", &self.template_id)
            .field("env_vars", &self.env_vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    CreatedAt,
    State,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

/// One page of the sandbox list, as `GET /v1/sandboxes` asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub state: Option<SandboxState>,
    pub sort: SortKey,
    pub order: Order,
    /// 1-based.
    pub page: usize,
    pub page_size: usize,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            state: None,
            sort: SortKey::default(),
            order: Order::default(),
            page: 1,
            page_size: 20,
        }
    }
}

/// The sandboxes matching a [`ListQuery`]: the requested page and the count before paging.
#[derive(Clone, Debug)]
pub struct SandboxPage {
    pub items: Vec<Sandbox>,
    pub total_items: usize,
}

impl ListQuery {
    pub(crate) fn apply(&self, sandboxes: impl Iterator<Item = Sandbox>) -> SandboxPage {
        let mut matching: Vec<Sandbox> = sandboxes
            .filter(|sandbox| self.state.is_none_or(|state| sandbox.state == state))
            .collect();
        matching.sort_by(|a, b| match self.sort {
            SortKey::CreatedAt => a.seq.cmp(&b.seq),
            SortKey::State => (a.state.as_str(), a.seq).cmp(&(b.state.as_str(), b.seq)),
        });
        if self.order == Order::Desc {
            matching.reverse();
        }
        let total_items = matching.len();
        let skip = self.page.saturating_sub(1).saturating_mul(self.page_size);
        let items = matching
            .into_iter()
            .skip(skip)
            .take(self.page_size)
            .collect();
        SandboxPage { items, total_items }
    }
}
