//! The `--ws` half of the contract: many streams on one WebSocket, their pairing with
//! `--tag` and `--list`, the `[stream]` prefix and the `"stream"` member, refused
//! subscriptions, a refused upgrade, and a clean close (with a close frame) on Ctrl-C.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{run, text};
use crate::corpus::{self, EventKind, GeneratedEvent};
use crate::fake::demo::{self, DemoOptions};
use crate::fake::{FakeServer, ServerOptions};

/// The demo over the WebSocket with `--json` and two streams: exit 0; every line is
/// `summary_json()` with `"stream"` last (`["user"]`, `["public"]`, or `null` for an event
/// recovered over REST); every status of the demo's corpus reached both streams and every
/// notification the user stream, each exactly once (the drop is caught up per
/// subscription); stderr carries the `--` lines and ends with the demo's end.
pub fn ws_demo_json(exe: &Path) {
    let out = run(
        exe,
        &["--ws", "--json", "--stream", "user", "--stream", "public"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "exit code; stderr:\n{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("-- ")), "{stderr}");
    assert!(stderr.contains("-- caught up on public"), "{stderr}");
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut events = 0;
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
        let stream = v["stream"].to_string();
        // `"stream"` is the last member; the rest is `summary_json()` as it is.
        assert!(line.ends_with(&format!(",\"stream\":{stream}}}")), "{line}");
        assert!(line.starts_with("{\"kind\":\""), "{line}");
        assert!(
            matches!(stream.as_str(), r#"["user"]"# | r#"["public"]"# | "null"),
            "{line}"
        );
        if v["kind"] != "heartbeat" {
            events += 1;
        }
        if let Some(id) = v["id"].as_str() {
            let key = format!("{} {id}", v["kind"].as_str().unwrap_or_default());
            seen.entry(key).or_default().push(stream);
        }
    }
    let (mut statuses, mut notifications) = (0, 0);
    for item in corpus::events(&demo::corpus_config(&DemoOptions::default())) {
        let GeneratedEvent::Event(e) = item else {
            continue;
        };
        let (key, want) = match (e.kind, e.id) {
            (EventKind::Update, Some(id)) => (format!("update {id}"), 2),
            (EventKind::Notification, Some(id)) => (format!("notification {id}"), 1),
            _ => continue,
        };
        let got = seen.get(&key).map_or(0, Vec::len);
        assert_eq!(got, want, "{key}: {:?}", seen.get(&key));
        if want == 2 {
            statuses += 1;
        } else {
            notifications += 1;
        }
    }
    assert!(statuses > 100 && notifications > 10);
    assert!(
        seen.values().flatten().any(|s| s == "null"),
        "the demo's drop is caught up over REST"
    );
    assert_eq!(
        stderr.lines().last(),
        Some(format!("-- demo stream ended after {events} events").as_str())
    );
}

/// `--ws` arguments: several `--stream`s only with `--ws`; each `hashtag` stream takes the
/// next `--tag` and each `list` stream the next `--list`, and anything missing or left over
/// exits 2 with one line on stderr before any connection. Paired right, human lines start
/// with the stream the server named, in brackets.
pub fn ws_arguments(exe: &Path) {
    for (args, message) in [
        (
            &["--stream", "public", "--stream", "user"][..],
            "tail: several --stream, --tag or --list need --ws",
        ),
        (
            &["--ws", "--stream", "hashtag"][..],
            "tail: --stream hashtag: ",
        ),
        (
            &["--ws", "--stream", "public", "--tag", "rust"][..],
            "tail: --tag rust: no hashtag stream left to take it",
        ),
        (
            &["--ws", "--stream", "list", "--list", "1", "--list", "2"][..],
            "tail: --list 2: no list stream left to take it",
        ),
    ] {
        let out = run(exe, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    let out = run(
        exe,
        &[
            "--ws",
            "--stream",
            "hashtag",
            "--tag",
            "rust",
            "--stream",
            "hashtag:local",
            "--tag",
            "café",
            "--limit",
            "4",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("-- ")).collect();
    assert_eq!(events.len(), 4, "{stdout}");
    assert!(
        events
            .iter()
            .all(|l| l.starts_with("[hashtag rust] ") || l.starts_with("[hashtag:local café] ")),
        "{stdout}"
    );
    assert!(
        events.iter().any(|l| l.starts_with("[hashtag rust] "))
            && events
                .iter()
                .any(|l| l.starts_with("[hashtag:local café] ")),
        "{stdout}"
    );
}

/// A subscription the server refuses is a `-- stream error` line; the other streams go on
/// (human lines `[public] update …`), and `--limit` ends it with 0.
pub fn ws_refused_subscription(exe: &Path) {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    server.forbid_list("42");
    let publisher = {
        let server = server.clone();
        std::thread::spawn(move || {
            // Both subscriptions sent, one refused: then publish to the other.
            let settled = server.wait_ws(Duration::from_secs(30), |ws| {
                ws.last()
                    .is_some_and(|c| c.messages.len() == 2 && c.subscriptions.len() == 1)
            });
            if settled {
                server.publish_update();
                server.publish_update();
            }
            settled
        })
    };
    let out = run(
        exe,
        &[
            "--instance",
            &server.url(),
            "--ws",
            "--stream",
            "public",
            "--stream",
            "list",
            "--list",
            "42",
            "--limit",
            "2",
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(publisher.join().unwrap(), "subscriptions: {stdout}{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("-- connected to ") && lines[0].ends_with("/api/v1/streaming"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"-- stream error (list 42): 401 Not authorized to stream this list"),
        "{stdout}"
    );
    let events: Vec<&&str> = lines.iter().filter(|l| !l.starts_with("-- ")).collect();
    assert_eq!(events.len(), 2, "{stdout}");
    assert!(
        events
            .iter()
            .all(|l| l.starts_with("[public] update         @")),
        "{stdout}"
    );
}

/// A refused upgrade (the server's `401` with `X-Error-Message`) exits 1 with the message in
/// one line on stderr; the token went in the upgrade's `Authorization` header, never in the
/// URL or the output; a `401` is not retried.
pub fn ws_fatal_error(exe: &Path) {
    let server = FakeServer::start(ServerOptions {
        token: Some("right-token".into()),
        ..ServerOptions::default()
    });
    let out = run(
        exe,
        &[
            "--instance",
            &server.url(),
            "--ws",
            "--stream",
            "user",
            "--stream",
            "direct",
            "--token",
            "wrong-token-7b",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("tail: ") && stderr.contains("Invalid access token"));
    let all = format!("{stderr}{}", text(&out.stdout));
    assert!(!all.contains("wrong-token-7b"), "token printed: {all}");
    let upgrades: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    assert_eq!(upgrades.len(), 1, "a 401 is not retried");
    assert!(!upgrades[0].target.contains("wrong-token-7b"));
    assert_eq!(
        upgrades[0].header("authorization"),
        Some("Bearer wrong-token-7b")
    );
}

/// Ctrl-C (`SIGINT`) on a live WebSocket closes it cleanly: the server gets a close frame
/// (status 1000) before the socket goes, and the example exits 0 with nothing on stderr.
#[cfg(unix)]
pub fn ws_interrupt(exe: &Path) {
    use std::process::{Command, Stdio};
    let server = FakeServer::start(ServerOptions::default());
    let child = Command::new(exe)
        .args(["--instance", &server.url(), "--ws", "--stream", "public"])
        .env_remove("MASTODON_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let subscribed = server.wait_ws(Duration::from_secs(30), |ws| {
        ws.last()
            .is_some_and(|c| c.open && c.subscriptions.len() == 1)
    });
    if !subscribed {
        super::kill(child.id(), "-KILL");
        panic!("never subscribed: {:?}", child.wait_with_output());
    }
    super::kill(child.id(), "-INT");
    let out = child.wait_with_output().expect("the example's output");
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "Ctrl-C must close cleanly: {stderr}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        server.wait_ws(Duration::from_secs(5), |ws| ws.iter().all(|c| !c.open)),
        "the connection is closed"
    );
    let connections = server.ws_connections();
    assert_eq!(connections.len(), 1, "{connections:?}");
    assert_eq!(
        connections[0].client_close,
        Some(Some(1000)),
        "a close frame before the socket went: {connections:?}"
    );
}
