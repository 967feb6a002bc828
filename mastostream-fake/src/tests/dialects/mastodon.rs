//! Mastodon 4 (the default) and 3: the notes' byte-exact examples.

use super::{RawWs, masked, server, subscribed};
use crate::tests::util::{Sse, get};
use crate::*;

#[test]
fn mastodon_4_messages_and_refusals_are_byte_exact() {
    let server = server(Dialect::Mastodon4);
    let mut ws = RawWs::open(
        &server,
        "/api/v1/streaming?stream=hashtag&tag=rust",
        "Authorization: Bearer tok\r\n",
    )
    .unwrap();
    subscribed(&server, 1);
    ws.text(r#"{"type":"subscribe","stream":"public:local"}"#);
    ws.text(r#"{"type":"subscribe","stream":"user:notification"}"#);
    subscribed(&server, 3);
    // 1.–3.
    server.publish_to(
        &["hashtag", "rust"],
        "update",
        r#"{"id":"108835003356700379"}"#,
    );
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["hashtag","rust"],"event":"update","payload":"{\"id\":\"108835003356700379\"}"}"#
    );
    server.publish_to(&["public:local"], "delete", "108835003356700379");
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["public:local"],"event":"delete","payload":"108835003356700379"}"#
    );
    server.publish_to(&["user:notification"], "notifications_merged", "1");
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["user:notification"],"event":"notifications_merged","payload":"1"}"#
    );
    // 4. A subscription error.
    ws.text(r#"{"type":"subscribe","stream":"nope"}"#);
    assert_eq!(
        ws.next_text(),
        r#"{"error":"Unknown stream type","status":400}"#
    );
    // A list forbidden once subscribed can still be left.
    ws.text(r#"{"type":"subscribe","stream":"list","list":"7"}"#);
    subscribed(&server, 4);
    server.forbid_list("7");
    ws.text(r#"{"type":"unsubscribe","stream":"list","list":"7"}"#);
    subscribed(&server, 3);
    // Mastodon 4 never forwards `filters_changed`.
    server.publish_filters_changed();
    server.send_raw(b"barrier");
    assert_eq!(ws.next_text(), "barrier");
    // 5. An upgrade refused.
    let refusal = RawWs::open(
        &server,
        "/api/v1/streaming",
        "Authorization: Bearer bad\r\n",
    )
    .err()
    .unwrap();
    assert_eq!(
        masked(&refusal),
        "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\n\
         Content-Length: 0\r\nX-Request-Id: <…>\r\nX-Error-Message: Invalid access token\r\n\r\n"
    );
    assert_eq!(
        server.ws_connections()[0].token_place,
        Some(TokenPlace::Authorization)
    );
}

#[test]
fn mastodon_3_errors_carry_no_status() {
    let server = server(Dialect::Mastodon3);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=tok", "").unwrap();
    ws.text(r#"{"type":"subscribe","stream":"nope"}"#);
    assert_eq!(ws.next_text(), r#"{"error":"Unknown stream type"}"#);
    ws.text(r#"{"type":"subscribe","stream":"hashtag"}"#);
    assert_eq!(ws.next_text(), r#"{"error":"No tag for stream provided"}"#);
    ws.text("not json");
    ws.text(r#"{"type":"subscribe","stream":"user"}"#);
    subscribed(&server, 1);
    // `filters_changed` without payload; `status.update` (3.5.0 added edits); no
    // `notifications_merged` (4.3).
    server.publish_filters_changed();
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["user"],"event":"filters_changed"}"#
    );
    let id = server.publish_status(&StatusBuilder::new());
    assert!(ws.next_text().starts_with(&format!(
        r#"{{"stream":["user"],"event":"update","payload":"{{\"id\":\"{id}\""#
    )));
    server.publish_edit(id, &StatusBuilder::new().text("edited"));
    assert!(ws.next_text().starts_with(&format!(
        r#"{{"stream":["user"],"event":"status.update","payload":"{{\"id\":\"{id}\""#
    )));
    server.publish_to(&["user"], "notifications_merged", "1");
    server.send_raw(b"barrier");
    assert_eq!(ws.next_text(), "barrier");
    // Public streams need no token; private ones need one.
    let mut anon = RawWs::open(&server, "/api/v1/streaming?stream=public", "").unwrap();
    subscribed(&server, 1);
    anon.text(r#"{"type":"subscribe","stream":"direct"}"#);
    assert_eq!(
        anon.next_text(),
        r#"{"error":"Error: Access token does not cover required scopes"}"#
    );
    assert_eq!(server.ws_connections()[1].token_place, None);
    // A bad token: ws's own refusal page.
    assert_eq!(
        RawWs::open(
            &server,
            "/api/v1/streaming",
            "Sec-WebSocket-Protocol: bad\r\n"
        )
        .err()
        .unwrap(),
        "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/html\r\n\
         Content-Length: 12\r\n\r\nUnauthorized"
    );
}

#[test]
fn mastodon_3_sse_says_undefined_and_refuses_as_3_did() {
    let server = server(Dialect::Mastodon3);
    let mut sse = Sse::open(
        &server,
        "/api/v1/streaming/user",
        "Authorization: Bearer tok\r\n",
    );
    assert!(server.wait_until(super::WAIT, |_, live, _| live == 1));
    server.publish_filters_changed();
    server.publish_to(&["user"], "end", "1");
    let events = sse.events_until("end");
    assert_eq!(
        events[0],
        ("filters_changed".to_owned(), "undefined".to_owned())
    );
    let body = |r: String| {
        r.split_once("\r\n\r\n")
            .map(|(h, b)| (h[9..12].to_owned(), b.to_owned()))
            .unwrap()
    };
    for (target, headers, status, error) in [
        (
            "/api/v1/streaming/user",
            "Authorization: Bearer bad\r\n",
            "401",
            "Error: Invalid access token",
        ),
        (
            "/api/v1/streaming/user",
            "",
            "401",
            "Error: Access token does not cover required scopes",
        ),
        (
            "/api/v1/streaming/nope",
            "",
            "401",
            "Error: Access token does not cover required scopes",
        ),
        (
            "/api/v1/streaming/nope",
            "Authorization: Bearer tok\r\n",
            "404",
            "Not found",
        ),
        ("/api/v1/streaming/hashtag", "", "404", "Not found"),
    ] {
        let want = (status.to_owned(), format!("{{\"error\":\"{error}\"}}"));
        assert_eq!(
            body(get(&server, target, headers)),
            want,
            "{target} {headers}"
        );
    }
    // Anonymous public streams.
    drop(Sse::open(&server, "/api/v1/streaming/public/local", ""));
}
