//! The `leap0-emulator` binary: its startup line, its signals, its logs.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_leap0-emulator");

fn spawn(extra: &[&str], log: &str) -> Child {
    let data_dir = common::data_dir();
    let mut command = Command::new(BINARY);
    command
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .args(extra)
        .env("LEAP0_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    with_default_stop_signals(&mut command).spawn().unwrap()
}

/// The emulator keeps a stop signal its starter ignored (as under nohup, or in a background
/// job of a script, as a test runner may be); these tests send them, so the child starts
/// with the defaults.
fn with_default_stop_signals(command: &mut Command) -> &mut Command {
    // SAFETY: only async-signal-safe `signal` calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
                libc::signal(signal, libc::SIG_DFL);
            }
            Ok(())
        })
    }
}

fn read_startup_line(child: &mut Child) -> (String, BufReader<ChildStdout>) {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    (line, stdout)
}

fn startup_line(child: &mut Child) -> (Value, BufReader<ChildStdout>) {
    let (line, stdout) = read_startup_line(child);
    (serde_json::from_str(&line).unwrap(), stdout)
}

/// Sends `name` (`TERM`, `HUP`, …) to the child.
fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_with_deadline(child: &mut Child, deadline: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > deadline {
            child.kill().unwrap();
            panic!("the emulator did not exit in {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn prints_where_it_listens_serves_and_exits_0_on_sigterm() {
    let mut child = spawn(
        &["--api-key", "cli-test-key", "--max-sandboxes", "3"],
        "warn",
    );
    let (line, mut stdout) = read_startup_line(&mut child);

    assert!(
        line.starts_with(r#"{"baseUrl":"http://127.0.0.1:"#),
        "{line}"
    );
    assert!(line.ends_with("}\n"));
    let info: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(info.as_object().unwrap().len(), 5);
    assert_eq!(info["apiKey"], "cli-test-key");
    assert_eq!(info["sshHost"], "127.0.0.1");
    assert!(info["sshPort"].as_u64().unwrap() > 0);
    let fingerprint = info["sshHostKeyFingerprint"].as_str().unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let base = info["baseUrl"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    let ssh_port = info["sshPort"].as_u64().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", ssh_port as u16)).is_ok());

    let response = client()
        .post(format!("{base}/v1/sandbox/"))
        .header("leap0-authorization", "cli-test-key")
        .json(&json!({"template_name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);

    signal(&child, "TERM");
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "stdout holds only the startup line");
}

#[tokio::test]
async fn sigterm_does_not_wait_on_a_stalled_response() {
    let mut child = spawn(&["--faults"], "warn");
    let (info, _stdout) = startup_line(&mut child);
    let (base, key) = (
        info["baseUrl"].as_str().unwrap(),
        info["apiKey"].as_str().unwrap(),
    );
    let http = client();
    let rule = json!({"method": "GET", "path": "/v1/sandboxes",
        "fault": {"kind": "stall_after_headers"}});
    let programmed = http
        .post(format!("{base}/_emulator/faults"))
        .bearer_auth(key)
        .json(&rule);
    assert!(programmed.send().await.unwrap().status().is_success());
    let stalled = http
        .get(format!("{base}/v1/sandboxes"))
        .bearer_auth(key)
        .send()
        .await;
    let _stalled_body = stalled.unwrap();

    signal(&child, "TERM");

    assert_eq!(
        wait_with_deadline(&mut child, Duration::from_secs(5)).code(),
        Some(0)
    );
}

#[test]
fn bad_flags_fail_with_usage() {
    for args in [
        &["--port", "http"][..],
        &["--ssh-ttl", "soon"],
        &["--host", "nowhere"],
        &["--no-such-flag"],
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty());
        assert!(!output.stderr.is_empty());
    }
}

#[tokio::test]
async fn trace_logs_never_show_the_api_key_or_a_password() {
    let key = "log-test-key-d41d8cd98f00b204";
    let mut child = spawn(&["--api-key", key, "--faults"], "trace");
    let (info, _stdout) = startup_line(&mut child);
    let base = info["baseUrl"].as_str().unwrap().to_owned();
    let http = client();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };

    let sandbox: Value = post("/v1/sandbox/", json!({"template_name": "t"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sandbox = sandbox["id"].as_str().unwrap().to_owned();
    let access: Value = post(&format!("/v1/sandbox/{sandbox}/ssh/access"), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = access["id"].as_str().unwrap().to_owned();
    let mut passwords = vec![access["password"].as_str().unwrap().to_owned()];
    let validate = format!("/v1/sandbox/{sandbox}/ssh/{id}/validate");
    post(&validate, json!({"password": passwords[0]}))
        .await
        .unwrap();
    post(&validate, json!({"password": "{broken"}))
        .await
        .unwrap();
    let regen: Value = post(&format!("/v1/sandbox/{sandbox}/ssh/{id}/regen"), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    passwords.push(regen["password"].as_str().unwrap().to_owned());
    let wrong_key = http
        .get(format!("{base}/v1/sandboxes"))
        .bearer_auth(format!("{key}x"));
    wrong_key.send().await.unwrap();
    let rule = json!({"method": "POST", "path": "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen",
        "fault": {"kind": "drop_after_apply"}});
    post("/_emulator/faults", rule).await.unwrap();
    let dropped = post(&format!("/v1/sandbox/{sandbox}/ssh/{id}/regen"), json!({})).await;
    assert!(dropped.is_err());

    signal(&child, "TERM");
    assert_eq!(
        wait_with_deadline(&mut child, Duration::from_secs(10)).code(),
        Some(0)
    );
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();

    assert!(
        logs.contains("request"),
        "expected debug request lines:\n{logs}"
    );
    for line in logs.lines() {
        assert!(!line.contains(key), "API key logged: {line}");
        for password in &passwords {
            assert!(!line.contains(password.as_str()), "password logged: {line}");
        }
    }
}

#[test]
fn sighup_stops_it_cleanly_as_sigterm_does() {
    let mut child = spawn(&[], "warn");
    let _ = read_startup_line(&mut child);

    signal(&child, "HUP");

    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(
        status.code(),
        Some(0),
        "stopped cleanly, not killed by the signal"
    );
}

#[test]
fn a_sigterm_at_any_moment_of_startup_stops_it() {
    for delay_ms in 0..12 {
        let mut child = spawn(&[], "warn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, "TERM");
        // Before the handler: killed by the signal; after it: exit 0. Never running on.
        let status = wait_with_deadline(&mut child, Duration::from_secs(10));
        assert!(
            status.code().is_none_or(|code| code == 0),
            "{delay_ms} ms: {status}"
        );
    }
}

#[test]
fn a_data_dir_it_cannot_use_is_reported_with_the_reason() {
    let file = common::data_dir();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "not a directory").unwrap();
    let output = Command::new(BINARY)
        .args(["--data-dir", file.to_str().unwrap()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("emulator did not start"), "{stderr}");
    assert!(
        stderr.contains("Not a directory") || stderr.contains("File exists"),
        "{stderr}"
    );
}

#[test]
fn under_nohup_a_hangup_leaves_it_running() {
    let data_dir = common::data_dir();
    // nohup execs the emulator with SIGHUP ignored, as closing a terminal would send it.
    let mut child = with_default_stop_signals(&mut Command::new("nohup"))
        .arg(BINARY)
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _ = read_startup_line(&mut child);

    signal(&child, "HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running after the hangup"
    );

    signal(&child, "TERM");
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
}
