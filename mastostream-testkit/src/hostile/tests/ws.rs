//! The WebSocket peer: the handshake, the well-behaved Mastodon peer, non-101 answers, bad
//! payloads and the drip, on raw bytes.

use std::net::TcpStream;

use super::super::{
    BAD_ID, BadPayload, Behaviour, Canned, Ending, GOOD_ID, Good, HostileOptions, HostileServer,
    Listener, Location, Pace, status_json,
};
use super::{ACCEPT, Client, KEY, WAIT, connect, connect_tls};

/// A server serving `b` first; a client whose upgrade was accepted.
fn upgraded(b: Behaviour, target: &str) -> (HostileServer, Client<TcpStream>) {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([b]);
    let mut c = connect(&server, Listener::Main);
    c.upgrade(target);
    (server, c)
}

/// Decodes an event message: its stream, event name, and payload text.
pub(super) fn message(payload: &[u8]) -> (Vec<String>, String, String) {
    let v: serde_json::Value = serde_json::from_slice(payload).expect("a JSON message");
    let stream = v["stream"]
        .as_array()
        .expect("a stream")
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let event = v["event"].as_str().unwrap().to_owned();
    (stream, event, v["payload"].as_str().unwrap().to_owned())
}

#[test]
fn good_peer_streams_pings_and_closes_like_mastodon() {
    let (server, mut c) = upgraded(
        Behaviour::good(),
        "/api/v1/streaming?stream=hashtag&tag=rust",
    );
    let (first, payload) = c.frame();
    assert_eq!(first, 0x81);
    let (stream, event, inner) = message(&payload);
    assert_eq!(
        (stream, event.as_str()),
        (vec!["hashtag".into(), "rust".into()], "update")
    );
    assert_eq!(
        inner,
        status_json(GOOD_ID),
        "the payload is the status JSON as a string"
    );
    assert!(payload.starts_with(
        b"{\"stream\":[\"hashtag\",\"rust\"],\"event\":\"update\",\"payload\":\"{\\\"id\\\":"
    ));
    assert_eq!(c.frame(), (0x89, b"hostile".to_vec()), "then a ping");
    c.send_frame(0x8A, b"hostile");
    c.send_frame(0x89, b"abc");
    assert_eq!(c.frame(), (0x8A, b"abc".to_vec()), "a pong for our ping");
    c.send_close(1000);
    assert_eq!(c.frame(), (0x88, vec![0x03, 0xE8]), "our close, echoed");
    assert!(c.read_to_end().is_empty(), "then the end");
    assert!(
        server.wait_ended(0, WAIT),
        "the WebSocket connection to end"
    );
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.ending, Some(Ending::Finished));
    assert_eq!((conn.pongs(), conn.client_close()), (1, Some(Some(1000))));
    assert!(conn.frames.iter().all(|f| f.masked && f.fin && f.rsv == 0));
    assert_eq!(
        conn.frames.iter().map(|f| f.opcode).collect::<Vec<_>>(),
        [0xA, 0x9, 0x8]
    );
}

#[test]
fn good_peer_waits_for_a_subscription_and_can_close_first() {
    let server = HostileServer::start(HostileOptions::tls());
    server.queue([Behaviour::Good(Good {
        ids: vec![GOOD_ID, GOOD_ID + 1],
        end: true,
    })]);
    let mut c = connect_tls(&server, Listener::Main);
    c.get(
        "/api/v1/streaming",
        &format!(
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Protocol: secret-token\r\n"
        ),
    );
    let head = c.head();
    assert!(
        head.contains(&format!("\r\nSec-WebSocket-Accept: {ACCEPT}\r\n")),
        "{head}"
    );
    assert!(
        head.ends_with("\r\nSec-WebSocket-Protocol: secret-token\r\n\r\n"),
        "{head}"
    );
    c.send_frame(0x81, br#"{"type":"subscribe","stream":"public"}"#);
    for id in [GOOD_ID, GOOD_ID + 1] {
        let (first, payload) = c.frame();
        let (stream, _, inner) = message(&payload);
        assert_eq!(
            (first, stream, inner),
            (0x81, vec!["public".to_owned()], status_json(id))
        );
    }
    assert_eq!(c.frame().0, 0x89);
    assert_eq!(
        c.frame(),
        (0x88, vec![0x03, 0xE8]),
        "the server closes with 1000"
    );
    c.send_close(1000);
    assert!(server.wait_ended(0, WAIT), "the closed connection to end");
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.texts(), [r#"{"type":"subscribe","stream":"public"}"#]);
    assert_eq!((conn.client_close(), conn.tls), (Some(Some(1000)), true));
    assert_eq!(conn.ending, Some(Ending::Finished));
}

#[test]
fn upgrades_can_be_refused_with_any_status() {
    let refusals = [
        (
            Behaviour::html_page(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html",
        ),
        (
            Behaviour::redirect(302, Location::Verbatim("/elsewhere".into())),
            "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n",
        ),
        (
            Behaviour::Reply(Canned::ws_unauthorized("Invalid access token")),
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nX-Error-Message: Invalid access token\r\nContent-Length: 0\r\n",
        ),
    ];
    for (b, start) in refusals {
        let server = HostileServer::start(HostileOptions::default());
        server.queue([b]);
        let mut c = connect(&server, Listener::Main);
        c.get(
            "/api/v1/streaming?stream=user",
            &format!("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"),
        );
        let answer = String::from_utf8(c.read_to_end()).unwrap();
        assert!(answer.starts_with(start), "{answer}");
        assert!(server.requests()[0].is_upgrade());
    }
}

#[test]
fn bad_payloads_come_before_the_good_update() {
    for bad in [BadPayload::InvalidUtf8, BadPayload::NestedArrays(100_000)] {
        let (_server, mut c) =
            upgraded(Behaviour::BadPayload(bad), "/api/v1/streaming?stream=user");
        let (first, payload) = c.frame();
        assert_eq!(first, 0x81);
        let (_, event, inner) = message(&payload);
        assert_eq!(event, "update");
        assert!(inner.contains(&format!("\"id\":\"{BAD_ID}\"")));
        assert!(
            serde_json::from_str::<serde_json::Value>(&inner).is_err(),
            "{bad:?}"
        );
        match bad {
            BadPayload::InvalidUtf8 => assert!(inner.contains("\"content\":\"\\ud800")),
            _ => assert!(inner.starts_with(&format!("{{\"hostile\":{}]", "[".repeat(100_000)))),
        }
        let (first, payload) = c.frame();
        assert_eq!((first, message(&payload).2), (0x81, status_json(GOOD_ID)));
    }
}

#[test]
fn step_drip_releases_the_upgrade_and_frames_byte_by_byte() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::SlowDrip(Pace::Step)]);
    let mut c = connect(&server, Listener::Main);
    c.get(
        "/api/v1/streaming?stream=user",
        &format!("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"),
    );
    assert!(server.wait_requests(1, WAIT), "the upgrade request");
    server.release(12);
    c.read_at_least(12);
    assert_eq!(c.seen, b"HTTP/1.1 101");
    assert!(server.wait_written(0, 12, WAIT), "12 bytes written");
    assert_eq!(server.connection(0).unwrap().bytes_written, 12);
    server.release(u64::MAX);
    assert!(
        c.head()
            .ends_with(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"))
    );
    let (first, payload) = c.frame();
    assert_eq!((first, message(&payload).2), (0x81, status_json(GOOD_ID)));
    assert_eq!(c.frame(), (0x89, b"hostile".to_vec()));
}
