//! `--since-id`: statuses published before `tail` started and newer than the id arrive
//! first, oldest first and marked recovered; then the live ones; nothing twice.

mod common;

use common::{Lines, command, json_lines, summary, text, wait};
use mastostream_fake::{FakeServer, ServerOptions, StatusBuilder};

/// Publishes five statuses (tagged `rust`) before `tail` starts with `--since-id` the
/// second, and two once it is live; checks the order, the marks and the catch-up line.
fn since_id(extra: &[&str], stream: serde_json::Value, timeline: &str) {
    let server = FakeServer::start(ServerOptions::default());
    let status = StatusBuilder::new().account("bob@example.org").tag("rust");
    let before: Vec<String> = (0..5)
        .map(|_| server.publish_status(&status).to_string())
        .collect();
    let url = server.url();
    let mut args = vec![
        "tail",
        "--instance",
        &url,
        "--json",
        "--limit",
        "5",
        "--since-id",
        &before[1],
    ];
    args.extend_from_slice(extra);
    let mut child = command(&args).spawn().expect("mastostream runs");
    let mut diagnostics = Lines::new(child.stderr.take().unwrap());
    // Statuses published while the catch-up runs may come over REST as well as live (then
    // they are delivered once, recovered): publish the live ones once it is over.
    let caught_up = format!(r#"{{"kind":"caught_up","timeline":"{timeline}","#);
    diagnostics.wait_for("the catch-up", 1, |l| l.starts_with(&caught_up));
    let after: Vec<String> = (0..2)
        .map(|_| server.publish_status(&status).to_string())
        .collect();
    let out = wait(child, &args);
    let rest = diagnostics.rest();
    let stderr = [diagnostics.seen, rest].concat().join("\n");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let got: Vec<(String, bool)> = json_lines(&text(&out.stdout))
        .into_iter()
        .filter(|e| e["kind"] == "update")
        .map(|e| {
            assert_eq!(e["stream"], stream, "{e}");
            (e["id"].as_str().unwrap().to_owned(), e["recovered"] == true)
        })
        .collect();
    let want: Vec<(String, bool)> = before[2..]
        .iter()
        .map(|id| (id.clone(), true))
        .chain(after.iter().map(|id| (id.clone(), false)))
        .collect();
    assert_eq!(
        got, want,
        "the three newer than --since-id recovered, then the live two"
    );
    let caught_up = json_lines(&stderr)
        .into_iter()
        .find(|d| d["kind"] == "caught_up" && d["timeline"] == timeline)
        .unwrap_or_else(|| panic!("caught up on {timeline}: {stderr}"));
    assert_eq!(caught_up["recovered"], 3);
    assert_eq!(summary(&stderr)["recovered"], 3);
    let fetched = server
        .requests()
        .into_iter()
        .any(|r| r.param("min_id") == Some(&before[1]));
    assert!(fetched, "the catch-up starts at the given id");
}

#[test]
fn since_id_catches_up_the_public_timeline_then_follows_live() {
    since_id(
        &["--stream", "public"],
        serde_json::json!(["public"]),
        "public",
    );
}

#[test]
fn since_id_catches_up_a_hashtag_over_the_websocket() {
    since_id(
        &["--ws", "--stream", "hashtag", "--tag", "rust"],
        serde_json::json!(["hashtag", "rust"]),
        "hashtag #rust",
    );
}
