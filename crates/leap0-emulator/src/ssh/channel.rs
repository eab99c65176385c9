//! One session channel: the requests that set it up (`env`, `pty-req`), the one that starts
//! it (`exec`, `shell` or the `sftp` subsystem), and the bytes between client and process.
//!
//! The connection's handler answers each request's want-reply in order; this task only
//! acts on them, reading the same requests from the channel.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::process::{self, Launch, PipeProcess, ProcessGroup, PtyProcess, Spawned, TermSize};
use super::sftp;

/// Client input chunks queued for the process while it is not reading.
const INPUT_QUEUE: usize = 64;
/// How long a terminal's last output may take to arrive after its shell exited; jobs left
/// in the background could hold it open forever.
const PTY_DRAIN: Duration = Duration::from_millis(200);
/// The SSH extended data type of stderr.
const STDERR: u32 = 1;

/// What every channel of one logged-in connection shares. No `Debug`: env var values often
/// hold tokens.
pub(super) struct SandboxSession {
    pub access_id: String,
    pub sandbox_id: String,
    /// Absolute: `HOME` and the working directory of the session's processes.
    pub dir: PathBuf,
    /// The sandbox's `env_vars` from its creation.
    pub env_vars: BTreeMap<String, String>,
}

/// What the requests before the start asked for.
#[derive(Default)]
struct Setup {
    env: Vec<(String, String)>,
    pty: Option<(String, TermSize)>,
}

/// Serves one session channel until it closes, the process ends, or `ended` fires (the
/// access was revoked, the client went away or the emulator stops); in every case the
/// processes it started are killed when it returns.
pub(super) async fn run(
    mut channel: Channel<Msg>,
    sandbox: Arc<SandboxSession>,
    ended: CancellationToken,
) {
    let mut setup = Setup::default();
    loop {
        let msg = tokio::select! {
            biased;
            () = ended.cancelled() => return,
            msg = channel.wait() => msg,
        };
        match msg {
            None | Some(ChannelMsg::Close) => return,
            Some(ChannelMsg::SetEnv {
                variable_name,
                variable_value,
                ..
            }) => setup.env.push((variable_name, variable_value)),
            Some(ChannelMsg::RequestPty {
                term,
                col_width,
                row_height,
                ..
            }) => {
                let size = TermSize {
                    cols: col_width,
                    rows: row_height,
                };
                setup.pty = Some((term, size));
            }
            Some(ChannelMsg::WindowChange {
                col_width,
                row_height,
                ..
            }) => {
                if let Some((_, size)) = &mut setup.pty {
                    *size = TermSize {
                        cols: col_width,
                        rows: row_height,
                    };
                }
            }
            Some(ChannelMsg::Exec { command, .. }) => {
                let command = String::from_utf8_lossy(&command).into_owned();
                return start(channel, Launch::Command(command), setup, &sandbox, &ended).await;
            }
            Some(ChannelMsg::RequestShell { .. }) => {
                return start(channel, Launch::Shell, setup, &sandbox, &ended).await;
            }
            Some(ChannelMsg::RequestSubsystem { name, .. }) if name == sftp::SUBSYSTEM => {
                sftp::serve(channel, sandbox.dir.clone(), &ended).await;
                return;
            }
            Some(_) => {}
        }
    }
}

/// The environment of a session's process: a clean one like sshd's, then the sandbox's
/// `env_vars`, then what the client sent with `env` requests.
fn environment(sandbox: &SandboxSession, setup: &Setup, shell: &Path) -> Vec<(String, String)> {
    let home = sandbox.dir.to_string_lossy().into_owned();
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    let mut env = BTreeMap::new();
    env.insert("HOME".to_owned(), home.clone());
    env.insert("PWD".to_owned(), home);
    env.insert("PATH".to_owned(), path);
    env.insert("SHELL".to_owned(), shell.to_string_lossy().into_owned());
    // The processes run as the emulator's user, so they carry its name.
    for name in ["USER", "LOGNAME"] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_owned(), value);
        }
    }
    if let Some((term, _)) = &setup.pty {
        env.insert("TERM".to_owned(), term.clone());
    }
    env.extend(sandbox.env_vars.clone());
    env.extend(setup.env.iter().cloned());
    env.into_iter().collect()
}

async fn start(
    channel: Channel<Msg>,
    launch: Launch,
    setup: Setup,
    sandbox: &SandboxSession,
    ended: &CancellationToken,
) {
    let shell = process::login_shell();
    let env = environment(sandbox, &setup, &shell);
    let size = setup.pty.as_ref().map(|(_, size)| *size);
    let (reader, writer) = channel.split();
    match process::spawn(&launch, &shell, &sandbox.dir, &env, size) {
        Ok(Spawned::Pipes(process)) => on_pipes(reader, &writer, process, ended).await,
        Ok(Spawned::Pty(process)) => on_pty(reader, &writer, process, ended).await,
        Err(err) => {
            let source = std::error::Error::source(&err).map(ToString::to_string);
            tracing::warn!(
                access_id = %sandbox.access_id,
                sandbox_id = %sandbox.sandbox_id,
                error = %err,
                source,
                "ssh session process did not start"
            );
            let message = format!("leap0-emulator: {err}\r\n");
            let _ = writer
                .extended_data_bytes(STDERR, Bytes::from(message))
                .await;
            // 127, as a shell answers for a command it cannot run.
            finish(&writer, 127).await;
        }
    }
}

/// Client input on its way to the process.
enum Input {
    Data(Bytes),
    Resize(TermSize),
}

/// Where client input goes: the process's stdin pipe, or the terminal.
enum Sink {
    Pipe(tokio::process::ChildStdin),
    Pty(pty_process::OwnedWritePty),
}

/// Writes queued input to the process. A separate future from the one reading the channel,
/// so a process that stops reading its input never stalls the channel (and its output).
async fn pump(mut input: mpsc::Receiver<Input>, mut sink: Sink) {
    while let Some(item) = input.recv().await {
        let written = match (&mut sink, item) {
            (Sink::Pipe(stdin), Input::Data(data)) => stdin.write_all(&data).await,
            (Sink::Pty(pty), Input::Data(data)) => pty.write_all(&data).await,
            (Sink::Pty(pty), Input::Resize(size)) => {
                pty.resize(size.to_pty()).map_err(|err| match err {
                    pty_process::Error::Io(err) => err,
                    other => io::Error::other(other.to_string()),
                })
            }
            (Sink::Pipe(_), Input::Resize(_)) => Ok(()),
        };
        if written.is_err() {
            // The process closed its input; later input has nowhere to go.
            return;
        }
    }
}

/// Reads the channel until the client closes it, passing input, size changes and signals
/// on. An EOF from the client closes a pipe's stdin; a terminal stays open, as with sshd.
async fn forward(
    reader: &mut ChannelReadHalf,
    input: mpsc::Sender<Input>,
    group: &ProcessGroup,
    close_on_eof: bool,
) {
    let mut input = Some(input);
    while let Some(msg) = reader.wait().await {
        match msg {
            ChannelMsg::Data { data } => {
                if let Some(sender) = &input {
                    if sender.send(Input::Data(data)).await.is_err() {
                        input = None;
                    }
                }
            }
            ChannelMsg::Eof if close_on_eof => input = None,
            ChannelMsg::WindowChange {
                col_width,
                row_height,
                ..
            } => {
                if let Some(sender) = &input {
                    let size = TermSize {
                        cols: col_width,
                        rows: row_height,
                    };
                    let _ = sender.send(Input::Resize(size)).await;
                }
            }
            ChannelMsg::Signal { signal } => {
                if let Some(signal) = process::signal_for(&signal) {
                    group.signal(signal);
                }
            }
            ChannelMsg::Close => return,
            _ => {}
        }
    }
}

async fn copy_out(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin) {
    // An error means the client or the process went away; either way the copy is over.
    let _ = tokio::io::copy(&mut from, &mut to).await;
}

async fn on_pipes(
    mut reader: ChannelReadHalf,
    writer: &ChannelWriteHalf<Msg>,
    process: PipeProcess,
    ended: &CancellationToken,
) {
    let PipeProcess {
        mut child,
        group,
        stdin,
        stdout,
        stderr,
    } = process;
    let (sender, receiver) = mpsc::channel(INPUT_QUEUE);
    let input = async {
        tokio::join!(
            forward(&mut reader, sender, &group, true),
            pump(receiver, Sink::Pipe(stdin)),
        )
    };
    // Like sshd, the channel stays open until the process exited and its output ended.
    let exit = async {
        let (_, _, status) = tokio::join!(
            copy_out(stdout, writer.make_writer()),
            copy_out(stderr, writer.make_writer_ext(Some(STDERR))),
            child.wait(),
        );
        status
    };
    let status = tokio::select! {
        biased;
        () = ended.cancelled() => return,
        _ = input => return,
        status = exit => status,
    };
    finish(writer, exit_code(status)).await;
    drop(group);
}

async fn on_pty(
    mut reader: ChannelReadHalf,
    writer: &ChannelWriteHalf<Msg>,
    process: PtyProcess,
    ended: &CancellationToken,
) {
    let PtyProcess {
        mut child,
        group,
        pty,
    } = process;
    let (pty_out, pty_in) = pty.into_split();
    let (sender, receiver) = mpsc::channel(INPUT_QUEUE);
    let input = async {
        tokio::join!(
            forward(&mut reader, sender, &group, false),
            pump(receiver, Sink::Pty(pty_in)),
        )
    };
    let exit = async {
        // Reading the terminal fails (EIO) once no process has it open any more.
        let output = copy_out(pty_out, writer.make_writer());
        tokio::pin!(output);
        let mut output_done = false;
        let status = tokio::select! {
            status = child.wait() => status,
            () = &mut output => {
                output_done = true;
                child.wait().await
            }
        };
        if !output_done {
            let _ = tokio::time::timeout(PTY_DRAIN, &mut output).await;
        }
        status
    };
    let status = tokio::select! {
        biased;
        () = ended.cancelled() => return,
        _ = input => return,
        status = exit => status,
    };
    finish(writer, exit_code(status)).await;
    drop(group);
}

/// The exit status reported to the client: the process's own, or 128 plus the signal that
/// killed it, as shells report it.
fn exit_code(status: io::Result<ExitStatus>) -> u32 {
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => code as u32,
            (None, Some(signal)) => 128 + signal as u32,
            (None, None) => 255,
        },
        Err(_) => 255,
    }
}

/// `exit-status`, then EOF and close, the order OpenSSH's server uses.
async fn finish(writer: &ChannelWriteHalf<Msg>, code: u32) {
    let _ = writer.exit_status(code).await;
    let _ = writer.eof().await;
    let _ = writer.close().await;
}
