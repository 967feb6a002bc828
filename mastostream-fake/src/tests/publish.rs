//! Publishing chosen events, statuses and notifications: which streams (SSE and WebSocket)
//! and which REST timelines get them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::util::{Sse, Ws, body, connect, get, id_of, next_text, subscribe};
use crate::*;

/// The ids a REST page lists, in order.
fn page(server: &FakeServer, target: &str) -> Vec<u64> {
    let response = get(server, target, "");
    assert!(
        response.starts_with("HTTP/1.1 200 "),
        "{target}: {response}"
    );
    let items: Vec<Value> = serde_json::from_str(body(&response)).expect(target);
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The ids of the `event` events an SSE stream got before `end`.
fn sse_ids(sse: &mut Sse, event: &str) -> Vec<u64> {
    sse.events_until("end")
        .iter()
        .filter(|(name, _)| name == event)
        .map(|(_, data)| id_of(data))
        .collect()
}

/// WebSocket messages until the first `end` event: payload ids by stream (joined with
/// `/`).
fn ws_ids(ws: &mut Ws) -> BTreeMap<String, Vec<u64>> {
    let mut by_stream: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut pings = 0;
    loop {
        let m: Value = serde_json::from_str(&next_text(ws, &mut pings)).unwrap();
        if m["event"] == "end" {
            return by_stream;
        }
        let stream: Vec<&str> = m["stream"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let payload = m["payload"].as_str().unwrap();
        by_stream
            .entry(stream.join("/"))
            .or_default()
            .push(id_of(payload));
    }
}

#[test]
fn publish_to_reaches_exactly_one_stream_over_sse_and_websocket() {
    let server = FakeServer::start(ServerOptions::default());
    let mut rust = Sse::open(&server, "/api/v1/streaming/hashtag?tag=rust", "");
    let mut public = Sse::open(&server, "/api/v1/streaming/public", "");
    let mut ws = connect(&server, "", None).unwrap();
    subscribe(
        &server,
        &mut ws,
        &[
            r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
            r#"{"type":"subscribe","stream":"public"}"#,
        ],
    );
    server.publish_to_stream("hashtag", Some("Rust"), "made.up", r#"{"x":1}"#);
    server.publish_to(&["public"], "end", "1");
    server.publish_to_stream("hashtag", Some("rust"), "end", "2");
    let pair = |n: &str, d: &str| (n.to_owned(), d.to_owned());
    assert_eq!(
        rust.events_until("end"),
        [pair("made.up", r#"{"x":1}"#), pair("end", "2")]
    );
    assert_eq!(public.events_until("end"), [pair("end", "1")]);
    let mut pings = 0;
    let got: Vec<String> = (0..3).map(|_| next_text(&mut ws, &mut pings)).collect();
    assert_eq!(
        got,
        [
            r#"{"stream":["hashtag","rust"],"event":"made.up","payload":"{\"x\":1}"}"#,
            r#"{"stream":["public"],"event":"end","payload":"1"}"#,
            r#"{"stream":["hashtag","rust"],"event":"end","payload":"2"}"#,
        ]
    );
}

#[test]
fn built_statuses_reach_only_the_streams_and_timelines_that_carry_them() {
    let server = FakeServer::start(ServerOptions::default());
    server.set_list("1", &["bob@example.org"]);
    let open = |path: &str| Sse::open(&server, &format!("/api/v1/streaming/{path}"), "");
    let mut sse: Vec<(&str, Sse)> = [
        "user",
        "public/local",
        "public/remote",
        "public?only_media=true",
        "hashtag?tag=Rust",
        "hashtag/local?tag=rust",
        "list?list=1",
    ]
    .into_iter()
    .map(|path| (path, open(path)))
    .collect();
    let mut ws = connect(&server, "", None).unwrap();
    subscribe(
        &server,
        &mut ws,
        &[
            r#"{"type":"subscribe","stream":"user"}"#,
            r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
            r#"{"type":"subscribe","stream":"hashtag:local","tag":"RUST"}"#,
            r#"{"type":"subscribe","stream":"list","list":"1"}"#,
            r#"{"type":"subscribe","stream":"public:local"}"#,
        ],
    );
    let bob = || StatusBuilder::new().account("bob@example.org");
    let a = server.publish_status(&StatusBuilder::new().tag("Rust"));
    let b = server.publish_status(&bob().media(1).tag("go"));
    let c = server.publish_status(
        &StatusBuilder::new()
            .tag("rust")
            .visibility(Visibility::Unlisted),
    );
    let d = server.publish_status(
        &StatusBuilder::new()
            .account("carol")
            .reblog_of(bob().tag("rust")),
    );
    let e = server.publish_status(
        &StatusBuilder::new()
            .tag("rust")
            .in_reply_to(1, "bob@example.org"),
    );
    // A generated status still goes everywhere.
    let f = server.publish_update();
    server.publish("end", "1", None);
    let want: [&[u64]; 7] = [
        &[a, b, c, d, e, f],
        &[a, f],
        &[b, f],
        &[b, f],
        &[a, e, f],
        &[a, e, f],
        &[b, f],
    ];
    for ((path, stream), want) in sse.iter_mut().zip(want) {
        assert_eq!(sse_ids(stream, "update"), want, "SSE {path}");
    }
    let by_stream = ws_ids(&mut ws);
    let ws_want: BTreeMap<String, Vec<u64>> = [
        ("user", vec![a, b, c, d, e, f]),
        ("hashtag/rust", vec![a, e, f]),
        ("hashtag:local/RUST", vec![a, e, f]),
        ("list/1", vec![b, f]),
        ("public:local", vec![a, f]),
    ]
    .into_iter()
    .map(|(s, ids)| (s.to_owned(), ids))
    .collect();
    assert_eq!(by_stream, ws_want);
    // The REST timelines list the same, newest first.
    for (target, want) in [
        ("/api/v1/timelines/home", vec![f, e, d, c, b, a]),
        ("/api/v1/timelines/public", vec![f, b, a]),
        ("/api/v1/timelines/public?local=true", vec![f, a]),
        ("/api/v1/timelines/public?remote=true", vec![f, b]),
        ("/api/v1/timelines/public?only_media=true", vec![f, b]),
        ("/api/v1/timelines/tag/rust", vec![f, e, a]),
        ("/api/v1/timelines/tag/RUST?local=true", vec![f, e, a]),
        ("/api/v1/timelines/tag/go?limit=1", vec![f]),
        (&format!("/api/v1/timelines/tag/go?max_id={f}"), vec![b]),
        ("/api/v1/timelines/list/1", vec![f, b]),
        ("/api/v1/timelines/list/2", vec![f]),
    ] {
        assert_eq!(page(&server, target), want, "{target}");
    }
}

#[test]
fn notifications_of_any_type_reach_the_notification_streams() {
    let mut kinds = NOTIFICATION_TYPES.to_vec();
    kinds.push("made.up");
    let server = FakeServer::start(ServerOptions::default());
    let mut notifications = Sse::open(&server, "/api/v1/streaming/user/notification", "");
    let mut public = Sse::open(&server, "/api/v1/streaming/public", "");
    let ids: Vec<u64> = kinds
        .iter()
        .map(|k| server.notify(&NotificationBuilder::new(k)))
        .collect();
    server.publish("end", "1", None);
    let got = notifications.events_until("end");
    let types: Vec<String> = got
        .iter()
        .filter(|(name, _)| name == "notification")
        .map(|(_, data)| {
            let v: Value = serde_json::from_str(data).unwrap();
            v["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(types, kinds);
    assert_eq!(sse_ids(&mut notifications, "notification"), ids);
    assert!(sse_ids(&mut public, "notification").is_empty());
    let of = |kind: &str| ids[kinds.iter().position(|k| *k == kind).unwrap()];
    assert_eq!(
        page(
            &server,
            "/api/v1/notifications?types[]=mention&types[]=follow"
        ),
        [of("follow"), of("mention")]
    );
    let all_but_mentions: Vec<u64> = ids
        .iter()
        .rev()
        .copied()
        .filter(|&id| id != of("mention"))
        .collect();
    assert_eq!(
        page(
            &server,
            "/api/v1/notifications?exclude_types%5B%5D=mention&limit=40"
        ),
        all_but_mentions
    );
}

#[test]
fn edits_replace_the_stored_status() {
    let server = FakeServer::start(ServerOptions::default());
    let mut rust = Sse::open(&server, "/api/v1/streaming/hashtag?tag=rust", "");
    let status = StatusBuilder::new().tag("rust").text("first");
    let id = server.publish_status(&status);
    server.publish_edit(id, &status.clone().text("second"));
    server.publish("end", "1", None);
    let got = rust.events_until("end");
    assert_eq!(got[0].0, "update");
    assert_eq!(got[1].0, "status.update");
    let edited: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(edited["id"], id.to_string());
    assert!(edited["edited_at"].is_string());
    assert!(
        edited["content"]
            .as_str()
            .unwrap()
            .starts_with("<p>second</p>")
    );
    assert_eq!(page(&server, "/api/v1/timelines/tag/rust"), [id]);
    let timeline = get(&server, "/api/v1/timelines/tag/rust", "");
    assert!(body(&timeline).contains("<p>second</p>") && !body(&timeline).contains("first"));
}
