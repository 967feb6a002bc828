//! Akkoma and Pleroma: the notes' examples (compared as JSON where Erlang's map order
//! decides the key order) and their transports.

use serde_json::json;

use super::{RawWs, json, masked, received, server, subscribed};
use crate::corpus::snowflake;
use crate::tests::util::get;
use crate::*;

/// 2020-04-07T19:48:51.198Z: the time of Akkoma's documented `9toJCsKN7SmSf3aj5c`.
const AKKOMA_EXAMPLE_MS: u64 = 1_586_288_931_198;
/// 2024-01-01T00:00:00Z: the notes' `AdNtws…` FlakeIds.
const NEW_YEAR_2024_MS: u64 = 1_704_067_200_000;

#[test]
fn akkoma_messages_carry_internal_topics() {
    let server = server(Dialect::Akkoma);
    let mut public = RawWs::open(&server, "/api/v1/streaming?stream=public", "").unwrap();
    subscribed(&server, 1);
    let mut user = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user&access_token=tok",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    // 1. A public update.
    server.publish_to(&["public"], "update", r#"{"id":"9toJCsKN7SmSf3aj5c"}"#);
    assert_eq!(
        json(&public.next_text()),
        json(
            r#"{"event":"update","payload":"{\"id\":\"9toJCsKN7SmSf3aj5c\"}","stream":["public"]}"#
        )
    );
    // 2. A home update: the topic names the user.
    server.publish_to(&["user"], "update", r#"{"id":"9toJCsKN7SmSf3aj5c"}"#);
    let uid = server.wire_id(Collection::Statuses, build::Account::new(VIEWER).id);
    assert_eq!(uid.len(), 18);
    assert_eq!(
        json(&user.next_text()),
        json(&format!(
            r#"{{"event":"update","payload":"{{\"id\":\"9toJCsKN7SmSf3aj5c\"}}","stream":["user:{uid}"]}}"#
        ))
    );
    // 3. A delete has no stream; its id is a FlakeId.
    let key = snowflake(AKKOMA_EXAMPLE_MS, 0);
    assert_eq!(
        server.wire_id(Collection::Statuses, key),
        "9toJCsKN7SmSf3aj5c"
    );
    server.publish_delete(key);
    for ws in [&mut public, &mut user] {
        assert_eq!(
            json(&ws.next_text()),
            json(r#"{"event":"delete","payload":"9toJCsKN7SmSf3aj5c"}"#)
        );
    }
    // 4. A notification on the user stream: the bare topic, an integer id.
    server.publish_to(
        &["user"],
        "notification",
        r#"{"id":"1234","type":"mention"}"#,
    );
    assert_eq!(
        json(&user.next_text()),
        json(
            r#"{"event":"notification","payload":"{\"id\":\"1234\",\"type\":\"mention\"}","stream":["user"]}"#
        )
    );
    let n = server.notify(&NotificationBuilder::new("mention"));
    let sent = json(&user.next_text());
    assert_eq!(json(sent["payload"].as_str().unwrap())["id"], n.to_string());
    assert_eq!(server.wire_id(Collection::Notifications, n), n.to_string());
    // The extra event reaches the user stream under its topic.
    server.publish_to(
        &["user"],
        "pleroma:follow_relationships_update",
        r#"{"state":"follow_accept"}"#,
    );
    assert_eq!(
        json(&user.next_text())["stream"],
        json!([format!("user:{uid}")])
    );
    // A text ping is answered.
    user.text("ping");
    assert_eq!(user.next_text(), "pong");
}

#[test]
fn akkoma_refusals_and_token_places() {
    let server = server(Dialect::Akkoma);
    // 5. A bad token: cowboy's empty 401; an unknown stream: its empty 404.
    let refusal = RawWs::open(
        &server,
        "/api/v1/streaming?stream=public&access_token=bad",
        "",
    )
    .err()
    .unwrap();
    assert_eq!(
        masked(&refusal),
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\ndate: <…>\r\nserver: Cowboy\r\n\r\n"
    );
    let unknown = RawWs::open(&server, "/api/v1/streaming?stream=nope", "")
        .err()
        .unwrap();
    assert_eq!(
        masked(&unknown),
        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\ndate: <…>\r\nserver: Cowboy\r\n\r\n"
    );
    // `Authorization` is not read: a bearer-only upgrade is anonymous, and refused a
    // private stream.
    let bearer = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user",
        "Authorization: Bearer tok\r\n",
    );
    assert!(
        bearer
            .err()
            .unwrap()
            .starts_with("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n")
    );
    let anonymous = RawWs::open(
        &server,
        "/api/v1/streaming?stream=public",
        "Authorization: Bearer tok\r\n",
    )
    .unwrap();
    drop(anonymous);
    // The protocol header is read, and echoed.
    let ws = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user",
        "Sec-WebSocket-Protocol: tok\r\n",
    )
    .unwrap();
    assert!(
        ws.head.contains("\r\nSec-WebSocket-Protocol: tok\r\n"),
        "{}",
        ws.head
    );
    let log = server.ws_connections();
    assert_eq!(log[0].token_place, None);
    assert_eq!(log[1].token_place, Some(TokenPlace::Protocol));
    assert_eq!(log[1].protocol.as_deref(), Some("tok"));
    // 6. No SSE, no v2 instance.
    for path in ["/api/v1/streaming/user", "/api/v2/instance"] {
        let answer = get(&server, path, "Authorization: Bearer tok\r\n");
        assert_eq!(
            masked(&answer),
            "HTTP/1.1 404 Not Found\r\ncache-control: max-age=0, private, must-revalidate\r\n\
             content-length: 27\r\ncontent-type: application/json; charset=utf-8\r\ndate: <…>\r\n\
             server: Cowboy\r\n\r\n{\"error\":\"Not implemented\"}"
        );
    }
}

#[test]
fn akkoma_subscribe_messages_take_no_parameters_and_never_unsubscribe() {
    let server = server(Dialect::Akkoma);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=tok", "").unwrap();
    for text in [
        r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
        r#"{"type":"subscribe","stream":"list","list":"12"}"#,
        r#"{"type":"subscribe","stream":"public:local"}"#,
        r#"{"type":"unsubscribe","stream":"public:local"}"#,
        r#"{"type":"subscribe","stream":"direct"}"#,
    ] {
        ws.text(text);
    }
    received(&server, 5);
    subscribed(&server, 2);
    assert_eq!(
        server.ws_connections()[0].subscriptions,
        [vec!["public:local".to_owned()], vec!["direct".to_owned()]]
    );
    // A list or hashtag named on the URL is subscribed, under its topic.
    server.set_list("12", &["carol"]);
    let mut list = RawWs::open(
        &server,
        "/api/v1/streaming?stream=list&list=12&access_token=tok",
        "",
    )
    .unwrap();
    subscribed(&server, 1);
    server.publish_status(&StatusBuilder::new().account("carol"));
    assert_eq!(json(&list.next_text())["stream"], json!(["list:12"]));
    let sent = json(&ws.next_text());
    assert_eq!(sent["stream"], json!(["public:local"]));
    server.publish_to(&["direct"], "conversation", r#"{"id":"5"}"#);
    let uid = server.wire_id(Collection::Statuses, build::Account::new(VIEWER).id);
    assert_eq!(
        json(&ws.next_text())["stream"],
        json!([format!("direct:{uid}")])
    );
}

#[test]
fn pleroma_messages_and_replies() {
    let server = server(Dialect::Pleroma);
    server.set_list("42", &["bob@example.org"]);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=tok", "").unwrap();
    // 3. / 4. Subscribing is acknowledged; an unknown stream is an error.
    ws.text(r#"{"type":"subscribe","stream":"list","list":"42"}"#);
    assert_eq!(
        json(&ws.next_text()),
        json(
            r#"{"event":"pleroma:respond","payload":"{\"result\":\"success\",\"type\":\"subscribe\"}"}"#
        )
    );
    ws.text(r#"{"type":"subscribe","stream":"nope"}"#);
    let error = json(&ws.next_text());
    assert_eq!(error["event"], "pleroma:respond");
    assert_eq!(
        json(error["payload"].as_str().unwrap()),
        json(r#"{"error":"bad_topic","result":"error","type":"subscribe"}"#)
    );
    ws.text(r#"{"type":"subscribe","stream":"list","list":"42"}"#);
    assert_eq!(
        json(json(&ws.next_text())["payload"].as_str().unwrap())["result"],
        "ignored"
    );
    // 1. A list update: Mastodon's stream name, FlakeIds.
    server.publish_to(&["list", "42"], "update", r#"{"id":"AdNtwsUlZJKpx6Gxeb"}"#);
    assert_eq!(
        json(&ws.next_text()),
        json(
            r#"{"event":"update","payload":"{\"id\":\"AdNtwsUlZJKpx6Gxeb\"}","stream":["list","42"]}"#
        )
    );
    // 2. A delete without stream.
    let key = snowflake(NEW_YEAR_2024_MS, 1);
    let id = server.wire_id(Collection::Statuses, key);
    assert!(id.starts_with("AdNtws") && id.len() == 18, "{id}");
    server.publish_delete(key);
    assert_eq!(
        json(&ws.next_text()),
        json!({"event": "delete", "payload": id})
    );
    // Chats reach `user:pleroma_chat`.
    ws.text(r#"{"type":"subscribe","stream":"user:pleroma_chat"}"#);
    assert_eq!(
        json(json(&ws.next_text())["payload"].as_str().unwrap())["result"],
        "success"
    );
    server.publish("pleroma:chat_update", r#"{"id":"1"}"#, None);
    assert_eq!(
        json(&ws.next_text()),
        json(
            r#"{"event":"pleroma:chat_update","payload":"{\"id\":\"1\"}","stream":["user:pleroma_chat"]}"#
        )
    );
    ws.text(r#"{"type":"unsubscribe","stream":"list","list":"42"}"#);
    assert_eq!(
        json(json(&ws.next_text())["payload"].as_str().unwrap())["result"],
        "success"
    );
    subscribed(&server, 1);
}

#[test]
fn pleroma_reads_the_token_from_the_query_only() {
    let server = server(Dialect::Pleroma);
    // 5. Refusals with their words as the body.
    let refusal = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user",
        "Authorization: Bearer tok\r\nSec-WebSocket-Protocol: tok\r\n",
    )
    .err()
    .unwrap();
    assert_eq!(
        masked(&refusal),
        "HTTP/1.1 401 Unauthorized\r\ncache-control: max-age=0, private, must-revalidate\r\n\
         content-length: 12\r\ndate: <…>\r\nserver: Cowboy\r\n\r\nUnauthorized"
    );
    let unknown = RawWs::open(
        &server,
        "/api/v1/streaming?stream=nope&access_token=tok",
        "",
    )
    .err()
    .unwrap();
    assert!(masked(&unknown).starts_with("HTTP/1.1 404 Not Found\r\ncache-control:"));
    assert!(unknown.ends_with("\r\n\r\nNot Found"), "{unknown}");
    // The query token works; an offered protocol is not echoed.
    let ws = RawWs::open(
        &server,
        "/api/v1/streaming?stream=user&access_token=tok",
        "Sec-WebSocket-Protocol: x\r\n",
    )
    .unwrap();
    assert!(!ws.head.contains("Sec-WebSocket-Protocol"), "{}", ws.head);
    assert_eq!(
        server.ws_connections()[0].token_place,
        Some(TokenPlace::AccessToken)
    );
    // An anonymous connection authenticates by message.
    let mut anon = RawWs::open(&server, "/api/v1/streaming", "").unwrap();
    anon.text(r#"{"type":"subscribe","stream":"user"}"#);
    let refused = json(&anon.next_text());
    assert_eq!(
        json(refused["payload"].as_str().unwrap())["error"],
        "unauthorized"
    );
    anon.text(r#"{"type":"pleroma:authenticate","token":"tok"}"#);
    assert_eq!(
        json(&anon.next_text()),
        json(
            r#"{"event":"pleroma:respond","payload":"{\"result\":\"success\",\"type\":\"pleroma:authenticate\"}"}"#
        )
    );
    anon.text(r#"{"type":"subscribe","stream":"user"}"#);
    assert_eq!(
        json(json(&anon.next_text())["payload"].as_str().unwrap())["result"],
        "success"
    );
    let info = get(&server, "/api/v2/instance", "");
    let v2 = json(super::super::util::body(&info));
    assert_eq!(v2["version"], "2.7.2 (compatible; Pleroma 2.7.0)");
    assert_eq!(
        v2["configuration"]["urls"]["streaming"],
        server.streaming_url()
    );
}
