//! GoToSocial: the notes' byte-exact examples and its quirks.

use super::{PING, RawWs, TEXT, received, server, subscribed};
use crate::tests::util::get;
use crate::*;

const STATUS: &str = "01FC3TZ5CFG6H65GCKCJRKA669";
const LIST: &str = "01H3YF48G8B7KTPQFS8D2QBVG8";

#[test]
fn messages_are_byte_exact() {
    let server = server(Dialect::GoToSocial);
    let mut ws = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user&access_token=tok",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    // 1. An update: Go escapes `<`, `>` in the payload (`json.Marshal`), and the
    //    backslashes again in the message (`WriteJSON`), which ends with `\n`.
    let payload = format!(r#"{{"id":"{STATUS}","content":"\u003cp\u003ea\u003c/p\u003e"}}"#);
    server.publish_to(&["user"], "update", &payload);
    assert_eq!(
        ws.next_text(),
        format!(
            "{{\"stream\":[\"user\"],\"event\":\"update\",\"payload\":\"{{\\\"id\\\":\\\"{STATUS}\\\",\\\"content\\\":\\\"\\\\u003cp\\\\u003ea\\\\u003c/p\\\\u003e\\\"}}\"}}\n"
        )
    );
    // 2. A delete, its id a ULID.
    let key = server.publish_status(&StatusBuilder::new().content_html("<p>a</p>"));
    let id = server.wire_id(Collection::Statuses, key);
    assert_eq!(id.len(), 26);
    let update = ws.next_text();
    assert!(
        update.contains(&format!("{{\\\"id\\\":\\\"{id}\\\"")),
        "{update}"
    );
    assert!(
        update.contains("\\\\u003cp\\\\u003ea\\\\u003c/p\\\\u003e"),
        "{update}"
    );
    server.publish_delete(key);
    assert_eq!(
        ws.next_text(),
        format!("{{\"stream\":[\"user\"],\"event\":\"delete\",\"payload\":\"{id}\"}}\n")
    );
    // 3. `filters_changed` with an empty payload.
    server.publish_filters_changed();
    assert_eq!(
        ws.next_text(),
        "{\"stream\":[\"user\"],\"event\":\"filters_changed\",\"payload\":\"\"}\n"
    );
    // 7. Keepalive: a ping whose payload is `ping!`.
    server.heartbeat();
    let ping = ws.next();
    assert_eq!(
        (ping.opcode, ping.payload.as_slice()),
        (PING, &b"ping!"[..])
    );
}

#[test]
fn lists_are_named_list_colon_id() {
    let server = server(Dialect::GoToSocial);
    let target = format!("/api/v1/streaming?access_token=tok&stream=list&list={LIST}");
    let mut ws = RawWs::open(&server, &target, "").unwrap();
    subscribed(&server, 1);
    assert_eq!(
        server.ws_connections()[0].subscriptions,
        [vec!["list", LIST]]
    );
    // 4. A list update.
    server.publish_to(
        &["list", LIST],
        "update",
        &format!(r#"{{"id":"{STATUS}"}}"#),
    );
    assert_eq!(
        ws.next_text(),
        format!(
            "{{\"stream\":[\"list:{LIST}\"],\"event\":\"update\",\"payload\":\"{{\\\"id\\\":\\\"{STATUS}\\\"}}\"}}\n"
        )
    );
    // Deletions never reach `list:<id>` subscriptions.
    let key = server.publish_status(&StatusBuilder::new());
    server.publish_delete(key);
    server.send_raw(b"barrier");
    assert_eq!(ws.next_text(), "barrier");
}

#[test]
fn refusals_are_byte_exact() {
    let server = server(Dialect::GoToSocial);
    server.accept_token_with_scopes("granular", &["read:statuses"]);
    // 5. A bad `access_token`, none at all, one without `read`.
    let refusal = |query: &str| {
        RawWs::open(&server, &format!("/api/v1/streaming{query}"), "")
            .err()
            .unwrap()
    };
    assert_eq!(
        refusal("?access_token=bad"),
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{\"error\":\"Unauthorized\"}"
    );
    assert_eq!(
        refusal(""),
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{\"error\":\"Unauthorized: token not supplied\"}"
    );
    assert_eq!(
        refusal("?access_token=granular"),
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n{\"error\":\"Forbidden: token has insufficient scope permission\"}"
    );
    // 6. No SSE.
    assert_eq!(
        get(
            &server,
            "/api/v1/streaming/user",
            "Accept: text/event-stream\r\nAuthorization: Bearer tok\r\n"
        ),
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{\"error\":\"Not Found\"}"
    );
    // Without the upgrade: authentication first, then gorilla's 400.
    let plain = get(&server, "/api/v1/streaming?access_token=tok", "");
    assert!(
        plain.starts_with("HTTP/1.1 400 Bad Request\r\n")
            && plain.contains("Sec-Websocket-Version: 13\r\n")
    );
    assert!(plain.ends_with("\r\n\r\nBad Request\n"), "{plain}");
}

#[test]
fn the_token_comes_from_the_query_then_the_protocol_then_authorization() {
    let server = server(Dialect::GoToSocial);
    server.accept_token("other");
    // The query wins; an offered protocol is echoed all the same.
    let ws = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok",
        "Sec-WebSocket-Protocol: other\r\n",
    )
    .unwrap();
    assert!(
        ws.head.contains("\r\nSec-WebSocket-Protocol: other\r\n"),
        "{}",
        ws.head
    );
    // The protocol, echoed.
    let ws = RawWs::open(
        &server,
        "/api/v1/streaming",
        "Sec-WebSocket-Protocol: tok\r\n",
    )
    .unwrap();
    assert!(ws.head.contains("\r\nSec-WebSocket-Protocol: tok\r\n"));
    // `Authorization`, when neither is there.
    let ws = RawWs::open(
        &server,
        "/api/v1/streaming",
        "Authorization: Bearer tok\r\n",
    )
    .unwrap();
    assert!(!ws.head.contains("Sec-WebSocket-Protocol"));
    let places: Vec<Option<TokenPlace>> = server
        .ws_connections()
        .iter()
        .map(|c| c.token_place)
        .collect();
    assert_eq!(
        places,
        [
            Some(TokenPlace::AccessToken),
            Some(TokenPlace::Protocol),
            Some(TokenPlace::Authorization)
        ]
    );
    assert_eq!(
        server.requests()[0].token_places(),
        [TokenPlace::AccessToken, TokenPlace::Protocol]
    );
    // Any protocol is taken for a token: a real protocol name plus a good bearer token is
    // refused.
    let refused = RawWs::open(
        &server,
        "/api/v1/streaming",
        "Sec-WebSocket-Protocol: graphql-ws\r\nAuthorization: Bearer tok\r\n",
    )
    .err()
    .unwrap();
    assert!(
        refused.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{refused}"
    );
}

#[test]
fn subscribe_messages_only_for_the_status_timelines_and_no_tags() {
    let server = server(Dialect::GoToSocial);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=tok", "").unwrap();
    for text in [
        r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
        r#"{"type":"subscribe","stream":"user:notification"}"#,
        r#"{"type":"subscribe","stream":"public:media"}"#,
        r#"{"type":"subscribe","stream":"public","tag":"rust"}"#,
        r#"{"type":"subscribe","stream":"list","list":"01H"}"#,
        r#"{"type":"follow","stream":"user"}"#,
        "null",
    ] {
        ws.text(text);
    }
    received(&server, 7);
    subscribed(&server, 2);
    assert_eq!(
        server.ws_connections()[0].subscriptions,
        [
            vec!["public".to_owned()],
            vec!["list".to_owned(), "01H".to_owned()]
        ]
    );
    ws.text(r#"{"type":"unsubscribe","stream":"list","list":"01H"}"#);
    subscribed(&server, 1);
    // Nothing was answered; a hashtag stream named on the URL is accepted and dead.
    let mut tagged = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok&stream=hashtag&tag=rust",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    assert_eq!(
        server.ws_connections()[1].subscriptions,
        [vec!["hashtag:rust"]]
    );
    server.publish_status(&StatusBuilder::new().tag("rust"));
    server.send_raw(b"barrier");
    assert_eq!(tagged.next_text(), "barrier");
    let first = ws.next();
    assert_eq!(first.opcode, TEXT);
    assert!(
        first
            .text()
            .starts_with("{\"stream\":[\"public\"],\"event\":\"update\""),
        "{}",
        first.text()
    );
}

#[test]
fn a_notification_or_delete_is_one_message_a_connection() {
    let server = server(Dialect::GoToSocial);
    let mut ws = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok&stream=user",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    let mut both = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok&stream=user:notification",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    both.text(r#"{"type":"subscribe","stream":"public"}"#);
    both.text(r#"{"type":"subscribe","stream":"user"}"#);
    subscribed(&server, 3);
    let n = server.notify(&NotificationBuilder::new("follow"));
    let nid = server.wire_id(Collection::Notifications, n);
    assert_eq!(nid.len(), 26);
    let on_user = super::json(&ws.next_text());
    assert_eq!(on_user["stream"], serde_json::json!(["user"]));
    assert_eq!(
        super::json(on_user["payload"].as_str().unwrap())["id"],
        nid.as_str()
    );
    assert_eq!(
        super::json(&both.next_text())["stream"],
        serde_json::json!(["user:notification"])
    );
    server.publish_delete(1 << 40);
    assert_eq!(
        super::json(&both.next_text())["stream"],
        serde_json::json!(["public"])
    );
    server.send_raw(b"barrier");
    assert_eq!(both.next_text(), "barrier");
}

#[test]
fn a_message_that_is_not_json_drops_the_connection_without_a_close_frame() {
    let server = server(Dialect::GoToSocial);
    for bad in ["ping", "[1]", r#"{"type":1}"#] {
        let mut ws = RawWs::open(
            &server,
            "/api/v1/streaming?access_token=tok&stream=user",
            "",
        )
        .unwrap();
        ws.text(bad);
        assert!(ws.dropped(), "{bad}");
    }
    assert!(server.wait_ws(super::WAIT, |ws| ws.iter().all(|c| !c.open)));
}
