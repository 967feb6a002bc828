//! Exit codes and the lines that explain them: 1 for a refused token, 130 for Ctrl-C
//! (a WebSocket closed with its close frame), 0 for a closed stdout; every reconnect and
//! refused subscription says why.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Lines, command, json_lines, read_all, run, run_command, signal, summary, text, wait};
use mastostream_fake::{FakeServer, ServerOptions};

fn token_server() -> FakeServer {
    FakeServer::start(ServerOptions {
        token: Some("right-token".into()),
        ..ServerOptions::default()
    })
}

/// A refused token exits 1 with the server's message; the token is sent, never printed,
/// and a 401 is not retried.
fn refused_token(ws: bool, json: bool) {
    let server = token_server();
    let url = server.url();
    let mut args = vec![
        "tail",
        "--instance",
        &url,
        "--stream",
        "user",
        "--token",
        "wrong-token-7b",
    ];
    if ws {
        args.extend(["--ws", "--stream", "direct"]);
    }
    if json {
        args.push("--json");
    }
    let out = run(&args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        !format!("{stdout}{stderr}").contains("wrong-token-7b"),
        "token printed: {stderr}"
    );
    if json {
        let lines = json_lines(&stderr);
        let error = &lines[lines.len() - 2];
        assert_eq!(error["kind"], "error");
        assert_eq!(error["status"], 401);
        assert_eq!(error["error"], "Invalid access token");
        assert_eq!(summary(&stderr)["exit"], 1);
    } else {
        let error: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(error.len(), 1, "{stderr}");
        assert!(
            error[0].contains("401") && error[0].contains("Invalid access token"),
            "{stderr}"
        );
        assert!(
            stderr
                .lines()
                .last()
                .unwrap()
                .starts_with("-- summary: 0 events"),
            "{stderr}"
        );
    }
    let streams: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    assert_eq!(streams.len(), 1, "a 401 is not retried");
    assert!(
        !streams[0].target.contains("wrong-token-7b"),
        "never in the URL"
    );
    assert_eq!(
        streams[0].header("authorization"),
        Some("Bearer wrong-token-7b")
    );
}

#[test]
fn a_401_exits_1_over_sse() {
    refused_token(false, false);
    refused_token(false, true);
}

#[test]
fn a_401_exits_1_over_the_websocket() {
    refused_token(true, false);
    refused_token(true, true);
}

/// Ctrl-C mid-stream (the demo): the stream closes, exit 130, `-- interrupted` and the
/// summary on stderr, no error. Three times: a race between the signal and the stream's
/// end must not matter.
#[cfg(unix)]
#[test]
fn ctrl_c_closes_the_stream_and_exits_130() {
    for _ in 0..3 {
        let mut child = command(&["tail"]).spawn().expect("mastostream runs");
        let mut lines = Lines::new(child.stdout.take().unwrap());
        lines.wait_for("three updates", 3, |l| l.starts_with("update "));
        signal(child.id(), "-INT");
        let out = wait(child, &["tail"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{stderr}");
        assert!(
            stderr.contains("\n-- interrupted: closing the stream\n"),
            "{stderr}"
        );
        assert!(!stderr.contains("error:"), "{stderr}");
        assert!(
            !stderr.contains("demo's stream has ended"),
            "interrupted before the end"
        );
        assert!(
            stderr.lines().last().unwrap().starts_with("-- summary: "),
            "{stderr}"
        );
    }
}

/// Ctrl-C on a live WebSocket: the server gets a close frame (1000) before the socket
/// goes; exit 130.
#[cfg(unix)]
#[test]
fn ctrl_c_sends_a_websocket_close_frame_and_exits_130() {
    let server = FakeServer::start(ServerOptions::default());
    let url = server.url();
    let args = [
        "tail",
        "--instance",
        &url,
        "--ws",
        "--stream",
        "public",
        "--json",
    ];
    let child = command(&args).spawn().expect("mastostream runs");
    let subscribed = server.wait_ws(Duration::from_secs(30), |ws| {
        ws.last()
            .is_some_and(|c| c.open && c.subscriptions.len() == 1)
    });
    if !subscribed {
        signal(child.id(), "-KILL");
        panic!("never subscribed: {:?}", child.wait_with_output());
    }
    signal(child.id(), "-INT");
    let out = wait(child, &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let kinds: Vec<String> = json_lines(&stderr)
        .iter()
        .map(|d| d["kind"].to_string())
        .collect();
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["\"interrupted\"", "\"summary\""],
        "{stderr}"
    );
    assert_eq!(summary(&stderr)["exit"], 130);
    assert!(
        server.wait_ws(Duration::from_secs(10), |ws| ws.iter().all(|c| !c.open)),
        "the connection is closed"
    );
    let connections = server.ws_connections();
    assert_eq!(connections.len(), 1, "{connections:?}");
    assert_eq!(
        connections[0].client_close,
        Some(Some(1000)),
        "{connections:?}"
    );
}

/// `mastostream tail | head -n 3`: `tail` sees its stdout close and exits 0 without an
/// error (the pipeline's status is 0 even with `pipefail`).
#[cfg(unix)]
#[test]
fn a_closed_stdout_exits_0_quietly() {
    let exe = env!("CARGO_BIN_EXE_mastostream");
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-c", "set -o pipefail; \"$0\" tail --json | head -n 3", exe])
        .env_remove("MASTODON_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = run_command(cmd, &["tail --json | head -n 3"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 3);
    let diagnostics = json_lines(&stderr);
    assert!(diagnostics.iter().all(|d| d["kind"] != "error"), "{stderr}");
    let s = summary(&stderr);
    assert_eq!(s["exit"], 0);
    assert!(
        !stderr.contains("demo_ended"),
        "stopped before the demo's end: {stderr}"
    );
}

/// A `503` with `Retry-After`: the reconnect line names the status, the server's wait and
/// the attempt, and the stream goes on.
#[test]
fn a_reconnect_says_why() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    server.refuse_streams(1, 503, 1);
    let url = server.url();
    let args = [
        "tail",
        "--instance",
        &url,
        "--stream",
        "public",
        "--limit",
        "1",
    ];
    let mut child = command(&args).spawn().expect("mastostream runs");
    let stderr = read_all(child.stderr.take().unwrap());
    // The refused request is not a live stream: live once reconnected.
    let live = server.wait_until(Duration::from_secs(30), |_, live, _| live >= 1);
    assert!(live, "tail never reconnected");
    server.publish_update();
    let out = wait(child, &args);
    let stderr = stderr.recv().unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("reconnecting in"))
        .expect(&stderr);
    assert!(
        line.starts_with(
            "-- 503 Service Unavailable (Retry-After 1 s): Service unavailable: reconnecting in 1.0 s (attempt 1)"
        ),
        "{line}"
    );
    assert!(text(&out.stdout).starts_with("update         @"));
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("-- summary: 1 events, 0 recovered, 0 gaps, 1 reconnects, "),
        "{stderr}"
    );
}

/// A subscription the server refuses is a diagnostic; the other streams go on.
#[test]
fn a_refused_subscription_is_a_line_and_the_rest_goes_on() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    server.forbid_list("42");
    let url = server.url();
    let args = [
        "tail",
        "--instance",
        &url,
        "--ws",
        "--stream",
        "public",
        "--stream",
        "list",
        "--list",
        "42",
        "--limit",
        "2",
    ];
    let mut child = command(&args).spawn().expect("mastostream runs");
    let stderr = read_all(child.stderr.take().unwrap());
    let settled = server.wait_ws(Duration::from_secs(30), |ws| {
        ws.last()
            .is_some_and(|c| c.messages.len() == 2 && c.subscriptions.len() == 1)
    });
    assert!(settled, "both subscriptions sent, one refused");
    server.publish_update();
    server.publish_update();
    let out = wait(child, &args);
    let (stdout, stderr) = (text(&out.stdout), stderr.recv().unwrap());
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("\n-- stream error (list 42): 401 Not authorized to stream this list\n"),
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("[public] update         @")),
        "{stdout}"
    );
}
