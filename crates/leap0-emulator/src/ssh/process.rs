//! Starting a session's process, on pipes or on a pseudo-terminal, and killing everything
//! it started once the session is over.
//!
//! Every process starts as the leader of a new session (and so of a new process group),
//! detached from the emulator's terminal. Ending a session kills that process group and,
//! on Linux, every other process still in the session (an interactive shell puts its jobs
//! in process groups of their own). Processes that make a session of their own escape.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rustix::process::{kill_process, kill_process_group, Pid, Signal};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// What a session runs.
#[derive(Debug)]
pub(super) enum Launch {
    /// An `exec` request: the command line, run by `sh -c`.
    Command(String),
    /// A `shell` request: the login shell.
    Shell,
}

/// Terminal size in characters, from `pty-req` and `window-change`.
#[derive(Clone, Copy, Debug)]
pub(super) struct TermSize {
    pub cols: u32,
    pub rows: u32,
}

impl TermSize {
    pub(super) fn to_pty(self) -> pty_process::Size {
        // Clients send 0 when they do not know; a terminal of 0 columns confuses programs.
        let clamp = |value: u32, fallback: u16| match u16::try_from(value) {
            Ok(0) => fallback,
            Ok(value) => value,
            Err(_) => u16::MAX,
        };
        pty_process::Size::new(clamp(self.rows, 24), clamp(self.cols, 80))
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum SpawnError {
    #[error("could not open a pseudo-terminal")]
    Pty(#[source] pty_process::Error),
    #[error("could not start {program}")]
    Start {
        program: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the started process has no pid")]
    NoPid,
}

/// A process on pipes: no `pty-req` came first.
pub(super) struct PipeProcess {
    pub child: Child,
    pub group: ProcessGroup,
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

/// A process on a pseudo-terminal; `pty` is the controlling side.
pub(super) struct PtyProcess {
    pub child: Child,
    pub group: ProcessGroup,
    pub pty: pty_process::Pty,
}

pub(super) enum Spawned {
    Pipes(PipeProcess),
    Pty(PtyProcess),
}

/// The user's login shell, as `$SHELL` of the emulator names it, else `/bin/sh`.
pub(super) fn login_shell() -> PathBuf {
    std::env::var_os("SHELL")
        .map(PathBuf::from)
        .filter(|shell| shell.is_absolute() && shell.is_file())
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// Program, `argv[0]` and arguments for `launch`. Shells get a `-` in front of their name,
/// which makes them login shells, as sshd starts them.
fn command_line(launch: &Launch, shell: &Path) -> (PathBuf, String, Vec<String>) {
    match launch {
        Launch::Command(command) => (
            PathBuf::from("/bin/sh"),
            "sh".to_owned(),
            vec!["-c".to_owned(), command.clone()],
        ),
        Launch::Shell => {
            let name = shell
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sh".to_owned());
            (shell.to_path_buf(), format!("-{name}"), Vec::new())
        }
    }
}

/// Starts `launch` in `dir` with exactly the environment `env`, on a pseudo-terminal of
/// `pty` size if one was requested, else on pipes.
pub(super) fn spawn(
    launch: &Launch,
    shell: &Path,
    dir: &Path,
    env: &[(String, String)],
    pty: Option<TermSize>,
) -> Result<Spawned, SpawnError> {
    let (program, arg0, args) = command_line(launch, shell);
    let start_error = |source| SpawnError::Start {
        program: program.clone(),
        source,
    };
    match pty {
        None => {
            let mut command = Command::new(&program);
            command
                .arg0(&arg0)
                .args(&args)
                .current_dir(dir)
                .env_clear()
                .envs(env.iter().map(|(key, value)| (key, value)))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            // SAFETY: the hook runs in the forked child before exec, where only
            // async-signal-safe calls are allowed; setsid is one, and nothing is allocated.
            unsafe {
                command.pre_exec(|| {
                    rustix::process::setsid()?;
                    Ok(())
                });
            }
            let mut child = command.spawn().map_err(start_error)?;
            let group = ProcessGroup::of(&child)?;
            let (Some(stdin), Some(stdout), Some(stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(start_error(io::Error::other("missing stdio pipe")));
            };
            Ok(Spawned::Pipes(PipeProcess {
                child,
                group,
                stdin,
                stdout,
                stderr,
            }))
        }
        Some(size) => {
            let (pty, pts) = pty_process::open().map_err(SpawnError::Pty)?;
            pty.resize(size.to_pty()).map_err(SpawnError::Pty)?;
            // pty-process makes the child a session leader with the terminal as its
            // controlling one.
            let child = pty_process::Command::new(&program)
                .arg0(&arg0)
                .args(&args)
                .current_dir(dir)
                .env_clear()
                .envs(env.iter().map(|(key, value)| (key, value)))
                .kill_on_drop(true)
                .spawn(pts)
                .map_err(|err| match err {
                    pty_process::Error::Io(source) => start_error(source),
                    other => SpawnError::Pty(other),
                })?;
            let group = ProcessGroup::of(&child)?;
            Ok(Spawned::Pty(PtyProcess { child, group, pty }))
        }
    }
}

/// The session a started process leads. Dropping it kills every process left in it.
pub(super) struct ProcessGroup {
    leader: Pid,
}

impl ProcessGroup {
    fn of(child: &Child) -> Result<Self, SpawnError> {
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw)
            .map(|leader| Self { leader })
            .ok_or(SpawnError::NoPid)
    }

    /// Sends `signal` to the process group, as a client's `signal` request asks.
    pub(super) fn signal(&self, signal: Signal) {
        // ESRCH only means everyone is gone already.
        let _ = kill_process_group(self.leader, signal);
    }

    fn kill_all(&self) {
        self.signal(Signal::KILL);
        for pid in session_members(self.leader) {
            let _ = kill_process(pid, Signal::KILL);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// The processes whose session or process group `leader` leads, read from `/proc`.
#[cfg(target_os = "linux")]
fn session_members(leader: Pid) -> Vec<Pid> {
    let leader = leader.as_raw_nonzero().get();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid pgrp session …"; comm may hold spaces and parentheses.
            let Some((_, after_comm)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut fields = after_comm.split_whitespace().skip(2);
            let pgrp = fields.next().and_then(|f| f.parse::<i32>().ok());
            let session = fields.next().and_then(|f| f.parse::<i32>().ok());
            pgrp == Some(leader) || session == Some(leader)
        })
        .filter_map(Pid::from_raw)
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn session_members(_leader: Pid) -> Vec<Pid> {
    Vec::new()
}

/// The signal a client's `signal` request names, if it is one a session may send.
pub(super) fn signal_for(sig: &russh::Sig) -> Option<Signal> {
    use russh::Sig;
    Some(match sig {
        Sig::ABRT => Signal::ABORT,
        Sig::ALRM => Signal::ALARM,
        Sig::FPE => Signal::FPE,
        Sig::HUP => Signal::HUP,
        Sig::ILL => Signal::ILL,
        Sig::INT => Signal::INT,
        Sig::KILL => Signal::KILL,
        Sig::PIPE => Signal::PIPE,
        Sig::QUIT => Signal::QUIT,
        Sig::SEGV => Signal::SEGV,
        Sig::TERM => Signal::TERM,
        Sig::USR1 => Signal::USR1,
        Sig::Custom(_) => return None,
    })
}
