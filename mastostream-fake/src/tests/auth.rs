//! Refusals a test chooses: tokens and their scopes, rate limits, stream requests answered
//! with `Retry-After`.

use std::time::Duration;

use tungstenite::Message;

use super::util::{Sse, connect, get, next_text, subscriptions};
use crate::*;

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

/// The status code and the body of the answer to `target` with `token`.
fn answer(server: &FakeServer, target: &str, token: &str) -> (u16, String) {
    let r = get(server, target, &bearer(token));
    let status = r[9..12].parse().unwrap();
    (status, r.split_once("\r\n\r\n").unwrap().1.to_owned())
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response
        .split("\r\n")
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

#[test]
fn several_tokens_each_with_its_scopes() {
    let server = FakeServer::start(ServerOptions {
        token: Some("main".into()),
        ..ServerOptions::default()
    });
    server.accept_token("second");
    server.accept_token_with_scopes("statuses", &["read:statuses"]);
    server.accept_token_with_scopes("notes", &["read:notifications", "write"]);
    let scopes = r#"{"error":"Access token does not have the required scopes"}"#;
    let outside = r#"{"error":"This action is outside the authorized scopes"}"#;
    for (target, token, status, body) in [
        (
            "/api/v1/streaming/user/notification",
            "statuses",
            401,
            scopes,
        ),
        ("/api/v1/streaming/public", "notes", 401, scopes),
        ("/api/v1/timelines/home", "notes", 403, outside),
        ("/api/v1/notifications", "statuses", 403, outside),
        ("/api/v1/notifications", "notes", 200, "[]"),
        ("/api/v1/conversations", "statuses", 200, "[]"),
        ("/api/v1/timelines/home", "second", 200, "[]"),
        (
            "/api/v1/timelines/home",
            "third",
            401,
            r#"{"error":"Invalid access token"}"#,
        ),
    ] {
        assert_eq!(
            answer(&server, target, token),
            (status, body.to_owned()),
            "{target} with {token}"
        );
    }
    drop(Sse::open(
        &server,
        "/api/v1/streaming/user",
        &bearer("statuses"),
    ));
    drop(Sse::open(
        &server,
        "/api/v1/streaming/user/notification",
        &bearer("notes"),
    ));
    // Over a WebSocket, the subscription is refused and the connection goes on.
    let mut ws = connect(&server, "", Some("statuses")).unwrap();
    ws.send(Message::text(
        r#"{"type":"subscribe","stream":"user:notification"}"#,
    ))
    .unwrap();
    ws.send(Message::text(r#"{"type":"subscribe","stream":"user"}"#))
        .unwrap();
    let mut pings = 0;
    assert_eq!(
        next_text(&mut ws, &mut pings),
        r#"{"error":"Access token does not have the required scopes","status":401}"#
    );
    assert!(subscriptions(&server, 1));
    // Revoking one token leaves the others.
    server.revoke_one("second");
    let invalid = (401, r#"{"error":"Invalid access token"}"#.to_owned());
    assert_eq!(answer(&server, "/api/v1/timelines/home", "second"), invalid);
    assert_eq!(answer(&server, "/api/v1/timelines/home", "main").0, 200);
    server.revoke_token();
    assert_eq!(answer(&server, "/api/v1/timelines/home", "main"), invalid);
    assert_eq!(
        connect(&server, "", Some("statuses")).unwrap_err(),
        "401 Invalid access token"
    );
}

#[test]
fn a_server_without_tokens_requires_one_once_it_accepts_one() {
    let server = FakeServer::start(ServerOptions::default());
    assert_eq!(answer(&server, "/api/v1/timelines/home", "any").0, 200);
    server.accept_token("t");
    let missing = get(&server, "/api/v1/timelines/home", "");
    assert!(missing.starts_with("HTTP/1.1 401 "), "{missing}");
    assert!(missing.ends_with(r#"{"error":"Missing access token"}"#));
    assert_eq!(
        answer(&server, "/api/v1/timelines/home?access_token=t", "x").0,
        401
    );
    let by_query = get(&server, "/api/v1/timelines/home?access_token=t", "");
    assert!(by_query.starts_with("HTTP/1.1 200 "), "{by_query}");
}

#[test]
fn rest_rate_limits_announce_then_refuse() {
    let server = FakeServer::start(ServerOptions {
        rate_limit: Some(RateLimit {
            limit: 2,
            window: Duration::from_secs(3600),
        }),
        ..ServerOptions::default()
    });
    let home = |server: &FakeServer| get(server, "/api/v1/timelines/home", "");
    for remaining in ["1", "0"] {
        let r = home(&server);
        assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
        assert_eq!(header(&r, "X-RateLimit-Limit"), Some("2"));
        assert_eq!(header(&r, "X-RateLimit-Remaining"), Some(remaining));
        let reset = header(&r, "X-RateLimit-Reset").unwrap();
        assert!(reset.len() == 24 && reset.ends_with('Z'), "{reset}");
    }
    let refused = home(&server);
    assert!(refused.starts_with("HTTP/1.1 429 "), "{refused}");
    assert!(refused.ends_with(r#"{"error":"Too many requests"}"#));
    assert_eq!(header(&refused, "X-RateLimit-Remaining"), Some("0"));
    let retry: u64 = header(&refused, "Retry-After").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Streams and the instance are not counted.
    drop(Sse::open(&server, "/api/v1/streaming/public", ""));
    assert!(get(&server, "/api/v2/instance", "").starts_with("HTTP/1.1 200 "));
    server.reset_rate_limit();
    assert_eq!(header(&home(&server), "X-RateLimit-Remaining"), Some("1"));
    server.set_rate_limit(None);
    let free = home(&server);
    assert!(free.starts_with("HTTP/1.1 200 ") && header(&free, "X-RateLimit-Limit").is_none());
}

#[test]
fn refused_streams_carry_retry_after_then_stream_again() {
    let server = FakeServer::start(ServerOptions::default());
    server.refuse_streams(2, 429, 7);
    let first = get(&server, "/api/v1/streaming/user", "");
    assert!(
        first.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{first}"
    );
    assert_eq!(header(&first, "Retry-After"), Some("7"));
    assert!(first.ends_with(r#"{"error":"Too many requests"}"#));
    assert_eq!(connect(&server, "?stream=user", None).unwrap_err(), "429 ");
    drop(Sse::open(&server, "/api/v1/streaming/user", ""));
    assert_eq!(server.streams_opened(), 1);
    let gateway = Reply::retry_later(502, 3);
    assert_eq!(
        (gateway.status, gateway.reason.as_str()),
        (502, "Bad Gateway")
    );
}
