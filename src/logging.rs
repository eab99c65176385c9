//! Logging through `tracing`, quiet unless `LEAP0_LOG` says otherwise.
//!
//! `LEAP0_LOG` takes a level (`debug`, `trace`, …), which applies to the SDK's own crates, or
//! full `tracing` directives such as `leap0=debug,hyper=trace` for anything else. Nothing the
//! SDK logs carries the API key, a password or a header value.

use std::io::IsTerminal;
use std::sync::Once;

use tracing_subscriber::EnvFilter;

/// The variable that sets what is logged.
pub(crate) const LOG_ENV: &str = "LEAP0_LOG";

const OWN_CRATES: [&str; 2] = ["leap0", "leap0_node"];

/// Installs the subscriber the first time a client is built, filtered by `setting` (the
/// value of `LEAP0_LOG` where that client was built); later calls do nothing. A host that
/// already installed its own global subscriber keeps it.
pub(crate) fn init(setting: Option<String>) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let filter = filter(setting.as_deref());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            // Colour codes only where a person reads them, not in a CI log or a file.
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(true)
            .try_init();
    });
}

fn filter(setting: Option<&str>) -> EnvFilter {
    let setting = setting.map(str::trim).filter(|s| !s.is_empty());
    let directives = match setting {
        Some(directives) if directives.contains('=') => directives.to_owned(),
        Some(level) => own_crates_at(level),
        None => own_crates_at("warn"),
    };
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(own_crates_at("warn")))
}

fn own_crates_at(level: &str) -> String {
    OWN_CRATES
        .iter()
        .map(|krate| format!("{krate}={level}"))
        .collect::<Vec<_>>()
        .join(",")
}
