//! The offline demo end to end, over SSE and the WebSocket: nothing lost or duplicated,
//! the drop caught up, exit 0; human lines and their colour; `--limit`.

mod common;

use std::collections::HashMap;

use common::{command, json_lines, run, run_command, summary, text};
use mastostream_cli::demo::{self, DemoOptions};
use mastostream_fake::corpus::{self, EventKind, GeneratedEvent};

/// The demo's corpus: (kind, id) of every status and notification, in order.
fn corpus_ids() -> (Vec<String>, Vec<String>) {
    let (mut statuses, mut notifications) = (Vec::new(), Vec::new());
    for item in corpus::events(&demo::corpus_config(&DemoOptions::default())) {
        if let GeneratedEvent::Event(e) = item {
            match (e.kind, e.id) {
                (EventKind::Update, Some(id)) => statuses.push(id.to_string()),
                (EventKind::Notification, Some(id)) => notifications.push(id.to_string()),
                _ => {}
            }
        }
    }
    (statuses, notifications)
}

#[test]
fn sse_demo_delivers_every_status_once_in_order_and_exits_0() {
    let out = run(&["tail", "--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let events = json_lines(&stdout);
    let ids = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    let (statuses, notifications) = corpus_ids();
    assert_eq!(
        ids("update"),
        statuses,
        "every status exactly once, in order"
    );
    assert_eq!(
        ids("notification"),
        notifications,
        "every notification once, in order"
    );
    assert!(
        events
            .iter()
            .all(|e| e["stream"] == serde_json::json!(["user"]))
    );
    let recovered = events.iter().filter(|e| e["recovered"] == true).count();
    assert!(recovered > 0, "the demo's drop is caught up over REST");

    let diagnostics = json_lines(&stderr);
    let kinds: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "demo");
    assert!(
        kinds.contains(&"reconnecting") && kinds.contains(&"caught_up"),
        "{kinds:?}"
    );
    let reconnect = diagnostics
        .iter()
        .find(|d| d["kind"] == "reconnecting")
        .unwrap();
    assert!(
        !reconnect["reason"].as_str().unwrap().is_empty(),
        "{reconnect}"
    );
    assert_eq!(kinds[kinds.len() - 2..], ["demo_ended", "summary"]);
    let heartbeats = events.iter().filter(|e| e["kind"] == "heartbeat").count();
    let s = summary(&stderr);
    assert_eq!(s["events"], events.len() - heartbeats);
    assert_eq!(s["recovered"], recovered);
    assert_eq!(s["gaps"], 0);
    assert_eq!(s["exit"], 0);
    assert!(s["reconnects"].as_u64().unwrap() >= 1);
}

#[test]
fn ws_demo_delivers_every_event_once_per_stream_and_exits_0() {
    let out = run(&[
        "tail", "--ws", "--json", "--stream", "user", "--stream", "public",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    for e in json_lines(&stdout) {
        let stream = e["stream"].to_string();
        assert!(
            matches!(stream.as_str(), r#"["user"]"# | r#"["public"]"# | "null"),
            "{e}"
        );
        if let Some(id) = e["id"].as_str() {
            let key = format!("{} {id}", e["kind"].as_str().unwrap());
            seen.entry(key)
                .or_default()
                .push(format!("{stream} {}", e["recovered"]));
        }
    }
    let (statuses, notifications) = corpus_ids();
    for id in &statuses {
        let got = &seen[&format!("update {id}")];
        let mut streams: Vec<&str> = got.iter().map(|s| s.split(' ').next().unwrap()).collect();
        streams.sort_unstable();
        assert_eq!(
            streams,
            [r#"["public"]"#, r#"["user"]"#],
            "status {id}: {got:?}"
        );
    }
    for id in &notifications {
        let got = &seen[&format!("notification {id}")];
        assert_eq!(got.len(), 1, "notification {id}: {got:?}");
    }
    assert!(
        seen.values().flatten().any(|s| s.ends_with(" true")),
        "the drop is caught up over REST, per subscription"
    );
    let diagnostics = json_lines(&stderr);
    let connected = diagnostics
        .iter()
        .find(|d| d["kind"] == "connected")
        .unwrap();
    assert_eq!(connected["transport"], "WebSocket");
    assert!(
        diagnostics
            .iter()
            .any(|d| d["kind"] == "caught_up" && d["timeline"] == "public")
    );
    assert_eq!(summary(&stderr)["exit"], 0);
}

#[test]
fn human_lines_without_colour_when_piped() {
    let out = run(&["tail", "--limit", "40"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "no colour in a pipe"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        40,
        "--limit 40: 40 event lines (no heartbeat lines)\n{stdout}"
    );
    // `{kind:<14} {about}`: an update's kind is padded to 14 columns, then the account.
    let updates: Vec<&&str> = lines.iter().filter(|l| l.starts_with("update ")).collect();
    assert!(!updates.is_empty());
    assert!(
        updates.iter().all(|l| l.starts_with("update         @")),
        "{updates:?}"
    );
    for markup in [
        "<p>", "</p>", "<br", "<span", "<a ", "&amp;", "&#39;", "&quot;",
    ] {
        assert!(
            lines.iter().all(|l| !l.contains(markup)),
            "{markup} left in:\n{stdout}"
        );
    }
    let notes: Vec<&str> = stderr.lines().collect();
    assert!(
        notes[0].starts_with("-- demo server on http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        notes
            .iter()
            .any(|l| l.starts_with("-- connected to http://127.0.0.1:"))
    );
    assert!(notes.iter().all(|l| l.starts_with("-- ")), "{stderr}");
    let last = notes.last().unwrap();
    assert!(
        last.starts_with("-- summary: 40 events, 0 recovered, 0 gaps, 0 reconnects, "),
        "{last}"
    );
}

#[test]
fn colour_is_forced_on_and_no_color_wins() {
    let mut cmd = command(&["tail", "--limit", "3"]);
    cmd.env("CLICOLOR_FORCE", "1");
    let out = run_command(cmd, &["CLICOLOR_FORCE=1"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\u{1b}[32mupdate"),
        "coloured kind: {stdout:?}"
    );
    let mut cmd = command(&["tail", "--limit", "3"]);
    cmd.env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1");
    let out = run_command(cmd, &["CLICOLOR_FORCE=1 NO_COLOR=1"]);
    assert!(!text(&out.stdout).contains('\u{1b}'), "NO_COLOR wins");
    let out = run(&["--color", "always", "tail", "--limit", "3"]);
    assert!(text(&out.stdout).contains("\u{1b}["), "--color always");
    assert!(
        text(&out.stderr).contains("\u{1b}["),
        "--color always, diagnostics too"
    );
}

#[test]
fn no_subcommand_is_the_demo() {
    let out = run(&["--color", "never"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("-- the demo's stream has ended"),
        "{stderr}"
    );
    let (statuses, _) = corpus_ids();
    let updates = text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("update "))
        .count();
    assert_eq!(updates, statuses.len());
}

/// On a real terminal (a pseudo-terminal from `script`), lines are coloured unless
/// NO_COLOR is set.
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_gets_colour_unless_no_color_is_set() {
    let exe = env!("CARGO_BIN_EXE_mastostream");
    let on_a_terminal = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &format!("'{exe}' tail --limit 2"), "/dev/null"])
            .env("TERM", "xterm-256color")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR")
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = run_command(cmd, &["script", "tail --limit 2"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let coloured = on_a_terminal(false);
    assert!(coloured.contains("\u{1b}[32mupdate"), "{coloured:?}");
    assert!(
        coloured.contains("\u{1b}[2m-- demo server on "),
        "{coloured:?}"
    );
    let plain = on_a_terminal(true);
    assert!(plain.contains("update         @"), "{plain:?}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}
