//! `leap0-emulator`: runs the emulator until SIGINT, SIGTERM or SIGHUP. Its first stdout line is
//! the JSON object telling where it listens; logs go to stderr, filtered by `LEAP0_LOG`.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use leap0_emulator::{Config, Emulator};
use tracing_subscriber::EnvFilter;

/// Local emulator of the Leap0 control plane (HTTP) and SSH gateway.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// HTTP port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// SSH gateway port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    ssh_port: u16,
    /// API key clients must send; random when omitted.
    #[arg(long, env = "LEAP0_EMULATOR_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Live sandboxes allowed at once.
    #[arg(long, default_value_t = 100)]
    max_sandboxes: usize,
    /// Lifetime of SSH credentials, e.g. `60m`, `2s`.
    #[arg(long, default_value = "60m", value_parser = humantime::parse_duration)]
    ssh_ttl: Duration,
    /// Where sandbox working directories and the SSH host key live
    /// [default: $XDG_STATE_HOME/leap0-emulator or ~/.local/state/leap0-emulator].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve /_emulator/faults so tests can program failures.
    #[arg(long)]
    faults: bool,
}

/// The per-user state directory, or the temp dir when there is no home to speak of.
fn default_data_dir() -> PathBuf {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("leap0-emulator")
}

/// `LEAP0_LOG`, default `warn`. The SSH libraries log every packet at debug level, so they
/// stay at `warn` unless the filter names them itself.
fn log_filter() -> EnvFilter {
    let spec = std::env::var("LEAP0_LOG").unwrap_or_default();
    let filter = EnvFilter::try_new(&spec)
        .ok()
        .filter(|_| !spec.is_empty())
        .unwrap_or_else(|| EnvFilter::new("warn"));
    if spec.contains("russh") {
        return filter;
    }
    ["russh=warn", "russh_sftp=warn"]
        .into_iter()
        .filter_map(|directive| directive.parse().ok())
        .fold(filter, EnvFilter::add_directive)
}

/// Registers for SIGINT, SIGTERM and SIGHUP before anything starts, so a signal sent at
/// any point after this, even before the startup line, stops the emulator cleanly; resolves
/// on the first. SIGHUP too: the sandboxes' processes run in sessions of their own, so
/// closing the terminal the emulator runs in reaches only the emulator, and dying of it
/// would leave them running.
/// A signal ignored at start (`nohup`, a shell's background job) stays ignored: that was the
/// choice of whoever started the emulator.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use futures_util::StreamExt;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let wanted = [SIGINT, SIGTERM, SIGHUP].into_iter();
    let mut signals = signal_hook_tokio::Signals::new(wanted.filter(|s| !ignored_at_start(*s)))?;
    Ok(async move {
        let signal = signals.next().await;
        tracing::debug!(?signal, "stopping on a signal");
    })
}

#[cfg(unix)]
fn ignored_at_start(signal: libc::c_int) -> bool {
    let mut current = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: with a null new action, sigaction only writes the current one into `current`.
    let status = unsafe { libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) };
    // SAFETY: all zeroes is a valid `sigaction`, and on success the call filled it in.
    let current = unsafe { current.assume_init() };
    status == 0 && current.sa_sigaction == libc::SIG_IGN
}

#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter = log_filter();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let config = Config {
        host: args.host,
        port: args.port,
        ssh_port: args.ssh_port,
        api_key: args.api_key,
        max_sandboxes: args.max_sandboxes,
        ssh_ttl: args.ssh_ttl,
        data_dir: args.data_dir.unwrap_or_else(default_data_dir),
        faults: args.faults,
    };
    let mut stop = match stop_signals() {
        Ok(stop) => Box::pin(stop),
        Err(err) => {
            tracing::error!(error = %err, "cannot handle stop signals");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            // The whole chain: the last link says why (not a directory, permission denied).
            // Some errors repeat their source in their own text; that is said once.
            let mut causes: Vec<String> = Vec::new();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !causes.last().is_some_and(|last| last.contains(&text)) {
                    causes.push(text);
                }
                source = cause.source();
            }
            let causes = causes.join(": ");
            tracing::error!(error = %err, causes, "emulator did not start");
            return ExitCode::FAILURE;
        }
    };

    if futures_util::FutureExt::now_or_never(&mut stop).is_some() {
        // Told to stop while starting: no address to announce that is about to go away.
        emulator.shutdown().await;
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    let announced =
        writeln!(stdout, "{}", emulator.startup_info().to_json()).and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(err) = announced {
        tracing::error!(error = %err, "could not write the startup line");
        emulator.shutdown().await;
        return ExitCode::FAILURE;
    }

    stop.await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
