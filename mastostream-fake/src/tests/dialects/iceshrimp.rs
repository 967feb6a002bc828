//! Iceshrimp JS and Iceshrimp.NET: the notes' byte-exact examples and their quirks.

use super::{BINARY, CLOSE, PONG, RawWs, masked, received, server, subscribed};
use crate::corpus::snowflake;
use crate::tests::util::get;
use crate::*;

/// 2024-01-01T00:00:00Z: `9nxpxc00` in the Misskey family's base36 time.
const NEW_YEAR_2024_MS: u64 = 1_704_067_200_000;

#[test]
fn iceshrimp_messages_name_streams_without_parameters() {
    let server = server(Dialect::Iceshrimp);
    server.set_list("9nxpxbzzqrstvwxy", &["carol"]);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?i=tok&stream=public:local", "").unwrap();
    ws.text(r#"{"type":"subscribe","stream":"list","list":"9nxpxbzzqrstvwxy"}"#);
    ws.text(r#"{"type":"subscribe","stream":"user"}"#);
    ws.text(r#"{"type":"subscribe","stream":"made:up"}"#);
    received(&server, 3);
    subscribed(&server, 3);
    // 1. / 2. Updates; the list's id is not in `stream`.
    let payload = r#"{"id":"9nxpxc00a1b2c3d4"}"#;
    server.publish_to(&["public:local"], "update", payload);
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["public:local"],"event":"update","payload":"{\"id\":\"9nxpxc00a1b2c3d4\"}"}"#
    );
    server.publish_to(&["list", "9nxpxbzzqrstvwxy"], "update", payload);
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["list"],"event":"update","payload":"{\"id\":\"9nxpxc00a1b2c3d4\"}"}"#
    );
    // 3. A delete, in Iceshrimp's id format.
    let key = snowflake(NEW_YEAR_2024_MS, 7);
    let id = server.wire_id(Collection::Statuses, key);
    assert!(
        id.starts_with("9nxpxc00") && (16..=24).contains(&id.len()),
        "{id}"
    );
    server.publish_to(&["user"], "delete", &id);
    assert_eq!(
        ws.next_text(),
        format!(r#"{{"stream":["user"],"event":"delete","payload":"{id}"}}"#)
    );
    // A text ping; unsubscribing by name drops every list.
    ws.text("ping");
    assert_eq!(ws.next_text(), "pong");
    ws.text(r#"{"type":"unsubscribe","stream":"list","list":"other"}"#);
    subscribed(&server, 2);
}

#[test]
fn iceshrimp_refusals_and_token_places() {
    let server = server(Dialect::Iceshrimp);
    // 4. No valid token (`Authorization` is not read): WebSocket-Node's bare 400.
    for headers in ["", "Authorization: Bearer tok\r\n"] {
        assert_eq!(
            RawWs::open(&server, "/api/v1/streaming?stream=public", headers)
                .err()
                .unwrap(),
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
        );
    }
    // 5. No SSE: Koa's 404.
    assert_eq!(
        get(
            &server,
            "/api/v1/streaming/user",
            "Authorization: Bearer tok\r\n"
        ),
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found"
    );
    assert!(get(&server, "/api/v1/streaming/health", "").ends_with("\r\n\r\nOK"));
    // `i`, then `access_token`, then the protocol header, whose first protocol is echoed;
    // any path under /api/v1/streaming.
    for (target, headers, place) in [
        (
            "/api/v1/streaming?i=tok&access_token=bad",
            "",
            TokenPlace::I,
        ),
        (
            "/api/v1/streaming/user?access_token=tok",
            "",
            TokenPlace::AccessToken,
        ),
        (
            "/api/v1/streaming",
            "Sec-WebSocket-Protocol: tok\r\n",
            TokenPlace::Protocol,
        ),
    ] {
        let ws = RawWs::open(&server, target, headers).unwrap();
        assert_eq!(
            server.ws_connections().last().unwrap().token_place,
            Some(place)
        );
        assert_eq!(
            ws.head.contains("Sec-WebSocket-Protocol: tok\r\n"),
            place == TokenPlace::Protocol
        );
    }
    // 6. A stream the token's scopes do not cover: a close frame, code 1000.
    server.accept_token_with_scopes("statuses", &["read:statuses"]);
    let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=statuses", "").unwrap();
    ws.text(r#"{"type":"subscribe","stream":"user"}"#);
    let close = ws.next();
    assert_eq!(
        (close.opcode, close.payload.as_slice()),
        (CLOSE, &1000u16.to_be_bytes()[..])
    );
}

#[test]
fn iceshrimp_net_escapes_quotes_and_closes_on_bad_messages() {
    let server = server(Dialect::IceshrimpNet);
    server.set_list("9nxpxbzzqrstvwxy", &["carol"]);
    let mut ws = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok&stream=user",
        "Sec-WebSocket-Protocol: tok\r\n",
    )
    .unwrap();
    // The offered protocol is not echoed.
    assert!(!ws.head.contains("Sec-WebSocket-Protocol"), "{}", ws.head);
    ws.text(r#"{"type":"subscribe","stream":"list","list":"9nxpxbzzqrstvwxy"}"#);
    subscribed(&server, 2);
    // 1. `"` inside strings as `\u0022`.
    server.publish_to(&["user"], "update", r#"{"id":"9nxpxc00abcdefgh"}"#);
    assert_eq!(
        ws.next_text(),
        r#"{"stream":["user"],"event":"update","payload":"{\u0022id\u0022:\u00229nxpxc00abcdefgh\u0022}"}"#
    );
    // 2. / 3. A delete; on the list, a `status.update` with the bare id.
    let key = snowflake(NEW_YEAR_2024_MS, 3);
    let id = server.wire_id(Collection::Statuses, key);
    assert!(id.starts_with("9nxpxc00") && id.len() == 16, "{id}");
    server.publish_delete(key);
    assert_eq!(
        ws.next_text(),
        format!(r#"{{"stream":["user"],"event":"delete","payload":"{id}"}}"#)
    );
    assert_eq!(
        ws.next_text(),
        format!(
            r#"{{"stream":["list","9nxpxbzzqrstvwxy"],"event":"status.update","payload":"{id}"}}"#
        )
    );
    // Keepalive: unsolicited pongs. A text ping is answered.
    server.heartbeat();
    assert_eq!(ws.next().opcode, PONG);
    ws.text("ping");
    assert_eq!(ws.next_text(), "pong");
    // 6. A message missing `stream`: close 1007, no reason.
    ws.text(r#"{"type":"subscribe"}"#);
    let close = ws.next();
    assert_eq!(
        (close.opcode, close.payload.as_slice()),
        (CLOSE, &1007u16.to_be_bytes()[..])
    );
    // Scopes: 1008; a binary message: 1003.
    server.accept_token_with_scopes("notes", &["read:notifications"]);
    for (send, code) in [
        (
            r#"{"type":"subscribe","stream":"public"}"#.as_bytes(),
            1008u16,
        ),
        (b"{}", 1003),
    ] {
        let mut ws = RawWs::open(&server, "/api/v1/streaming?access_token=notes", "").unwrap();
        ws.send(if code == 1003 { BINARY } else { super::TEXT }, send);
        let close = ws.next();
        assert_eq!(
            (close.opcode, close.payload.as_slice()),
            (CLOSE, &code.to_be_bytes()[..])
        );
    }
}

#[test]
fn iceshrimp_net_refusals() {
    let server = server(Dialect::IceshrimpNet);
    // 4. An unknown token; none at all.
    let refusal = RawWs::open(&server, "/api/v1/streaming?access_token=bad", "")
        .err()
        .unwrap();
    assert_eq!(
        masked(&refusal),
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json; charset=utf-8\r\nRequest-Id: <…>\r\n\r\n\
         {\"error\":\"This method requires an authenticated user\"}"
    );
    let missing = RawWs::open(
        &server,
        "/api/v1/streaming",
        "Authorization: Bearer tok\r\n",
    )
    .err()
    .unwrap();
    assert!(missing.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    assert!(
        missing.ends_with("\r\n\r\n{\"error\":\"Missing WebSocket protocol header\"}"),
        "{missing}"
    );
    // 5. SSE: 501 with the request id in the body too.
    let sse = get(
        &server,
        "/api/v1/streaming/user",
        "Authorization: Bearer tok\r\n",
    );
    let request_id = sse
        .split("Request-Id: ")
        .nth(1)
        .and_then(|r| r.split("\r\n").next())
        .unwrap();
    assert_eq!(
        masked(&sse),
        format!(
            "HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json; charset=utf-8\r\nRequest-Id: <…>\r\n\r\n\
             {{\"statusCode\":501,\"error\":\"NotImplemented\",\"message\":\"This API method has not been implemented\",\"requestId\":\"{request_id}\"}}"
        )
    );
    let plain = get(&server, "/api/v1/streaming?access_token=tok", "");
    assert!(
        plain.ends_with("\r\n\r\n{\"error\":\"Not a WebSocket request\"}"),
        "{plain}"
    );
}
