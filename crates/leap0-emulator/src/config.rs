//! How an emulator instance is set up.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Settings of one emulator instance.
///
/// `Config::default()` suits tests: loopback, free ports picked by the OS, a random API key,
/// and a data directory under the system temp dir.
#[derive(Clone)]
pub struct Config {
    /// Address both listeners bind to. Default `127.0.0.1`.
    pub host: IpAddr,
    /// HTTP port; 0 lets the OS pick a free one. Default 0.
    pub port: u16,
    /// SSH gateway port; 0 lets the OS pick a free one. Default 0.
    pub ssh_port: u16,
    /// API key clients must present. Default `None`: a random key per instance.
    pub api_key: Option<String>,
    /// Live sandboxes allowed at once; creating one more answers 409. Default 100.
    pub max_sandboxes: usize,
    /// Lifetime of an SSH credential from its creation or last regeneration, at most 100
    /// years. Default 60 min.
    pub ssh_ttl: Duration,
    /// Where sandbox working directories live (`<data_dir>/sandboxes/<sandbox id>`), and the
    /// SSH gateway's host key (`<data_dir>/ssh_host_ed25519_key`, made on first start).
    /// Default `<temp dir>/leap0-emulator`.
    pub data_dir: PathBuf,
    /// Serve `/_emulator/faults`, so tests can program failures. Default false.
    pub faults: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            ssh_port: 0,
            api_key: None,
            max_sandboxes: 100,
            ssh_ttl: Duration::from_secs(60 * 60),
            data_dir: std::env::temp_dir().join("leap0-emulator"),
            faults: false,
        }
    }
}

// Hand-written so the API key never reaches a log line or a panic message.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("ssh_port", &self.ssh_port)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("max_sandboxes", &self.max_sandboxes)
            .field("ssh_ttl", &self.ssh_ttl)
            .field("data_dir", &self.data_dir)
            .field("faults", &self.faults)
            .finish()
    }
}

/// The longest `ssh_ttl` accepted, in years; expiry times must stay within the clock.
pub(crate) const MAX_SSH_TTL_YEARS: u64 = 100;

pub(crate) fn max_ssh_ttl() -> Duration {
    Duration::from_secs(MAX_SSH_TTL_YEARS * 366 * 24 * 60 * 60)
}

/// Whether `key` can travel in an HTTP header and be typed on a command line.
pub(crate) fn is_usable_api_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_api_key() {
        let config = Config {
            api_key: Some("sekrit-key".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sekrit-key"));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn api_keys_must_be_visible_ascii() {
        assert!(is_usable_api_key("abc_123-XYZ"));
        assert!(!is_usable_api_key(""));
        assert!(!is_usable_api_key("has space"));
        assert!(!is_usable_api_key("naïve"));
    }
}
