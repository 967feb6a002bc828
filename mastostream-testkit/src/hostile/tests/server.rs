//! The server itself: queues and defaults, the two listeners' records, TLS, waits, drop.

use std::io::Write;
use std::net::Shutdown;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::super::http::SSE_HEAD;
use super::super::{
    Behaviour, Ending, GOOD_ID, Good, HostileOptions, HostileServer, Listener, status_json,
};
use super::{Client, WAIT, connect, connect_tls, dechunk};

/// The good stream's bytes after the head, as written out here: `:)`, then the update as
/// Mastodon's two writes.
fn good_body(id: u64) -> Vec<u8> {
    let data = format!("data: {}\n\n", status_json(id));
    let mut out = b"3\r\n:)\n\r\ne\r\nevent: update\n\r\n".to_vec();
    out.extend_from_slice(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes());
    out
}

/// Reads a good SSE stream's head and first event.
fn read_good<S: std::io::Read + Write>(c: &mut Client<S>) {
    let head = c.head();
    assert_eq!(head.as_bytes(), SSE_HEAD);
    let body = good_body(GOOD_ID);
    c.read_at_least(body.len());
    assert_eq!(c.seen, body);
}

#[test]
fn good_stream_is_mastodons_bytes_and_the_request_is_recorded() {
    let server = HostileServer::start(HostileOptions::default());
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "Authorization: Bearer secret\r\n");
    read_good(&mut c);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("GET", "/api/v1/streaming/user")
    );
    assert_eq!(r.header("AUTHORIZATION"), Some("Bearer secret"));
    assert_eq!((r.listener, r.conn, r.tls), (Listener::Main, 0, false));
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.behaviour, Some("Good"));
    assert_eq!(conn.ending, None, "held open");
    assert!(!conn.first_bytes.is_empty() && b"GET /api/v1/stre".starts_with(&conn.first_bytes));
    drop(c);
    assert!(server.wait_ended(0, WAIT), "the held stream to end");
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.ending, Some(Ending::ClientClosed));
    assert_eq!(
        conn.bytes_written,
        (SSE_HEAD.len() + good_body(GOOD_ID).len()) as u64
    );
}

#[test]
fn good_stream_with_several_events_can_end() {
    let server = HostileServer::start(HostileOptions::default());
    let ids = vec![GOOD_ID, GOOD_ID + 1, GOOD_ID + 2];
    server.queue([Behaviour::Good(Good {
        ids: ids.clone(),
        end: true,
    })]);
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/public", "");
    assert_eq!(c.head().as_bytes(), SSE_HEAD);
    let (chunks, last) = dechunk(&c.read_to_end());
    assert!(last, "the last chunk came");
    let mut want = vec![b":)\n".to_vec()];
    for id in ids {
        want.push(b"event: update\n".to_vec());
        want.push(format!("data: {}\n\n", status_json(id)).into_bytes());
    }
    assert_eq!(chunks, want);
    assert!(server.wait_ended(0, WAIT), "the ended stream's record");
    assert_eq!(server.connection(0).unwrap().ending, Some(Ending::Finished));
}

#[test]
fn queues_run_out_into_the_default_and_listeners_record_apart() {
    let server = HostileServer::start(HostileOptions {
        second_default: Behaviour::html_page(),
        ..HostileOptions::default()
    });
    server.queue([Behaviour::Hangup]);
    let mut first = connect(&server, Listener::Main);
    first.get("/a", "Authorization: Bearer t\r\n");
    assert!(first.read_to_end().is_empty(), "a hangup answers nothing");
    let mut second = connect(&server, Listener::Main);
    second.get("/b", "Authorization: Bearer t\r\n");
    read_good(&mut second);
    let mut other = connect(&server, Listener::Second);
    other.get("/c", "");
    assert!(
        other
            .head()
            .starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html")
    );

    assert!(
        server.wait_requests(2, WAIT),
        "two requests on the main listener"
    );
    assert!(
        server.wait_requests_on(Listener::Second, 1, WAIT),
        "one on the second"
    );
    let main: Vec<_> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(main, ["/a", "/b"]);
    let second_reqs = server.requests_on(Listener::Second);
    assert_eq!(second_reqs.len(), 1);
    assert_eq!(second_reqs[0].target, "/c");
    assert_eq!(second_reqs[0].listener, Listener::Second);
    assert!(!second_reqs[0].has_authorization());
    let names: Vec<_> = server.connections().iter().map(|c| c.behaviour).collect();
    assert_eq!(names, [Some("Hangup"), Some("Good"), Some("Reply")]);
    assert_ne!(
        server.url_of(Listener::Main),
        server.url_of(Listener::Second)
    );
    assert!(
        server
            .url_of(Listener::Second)
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(server.ws_url(), server.url().replacen("http", "ws", 1));
}

#[test]
fn tls_listeners_serve_and_record_tls() {
    let server = HostileServer::start(HostileOptions::tls());
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert!(server.ws_url().starts_with("wss://127.0.0.1:"));
    let mut c = connect_tls(&server, Listener::Second);
    c.get("/api/v1/streaming/user", "Authorization: Bearer t\r\n");
    read_good(&mut c);
    let r = &server.requests_on(Listener::Second)[0];
    assert!(r.tls && r.has_authorization());

    // Plain HTTP to a TLS port: the handshake fails, no request is recorded.
    let mut plain = connect(&server, Listener::Main);
    plain.get("/api/v1/streaming/user", "Authorization: Bearer t\r\n");
    plain.read_to_end();
    assert!(server.wait_until(WAIT, |cs| cs.len() == 2 && cs[1].ending.is_some()));
    let conn = server.connection(1).unwrap();
    assert_eq!((conn.ending, conn.request), (Some(Ending::TlsFailed), None));
    assert!(server.requests().is_empty());
}

#[test]
fn non_http_bytes_are_no_request_and_their_start_is_kept() {
    let server = HostileServer::start(HostileOptions::default());
    let mut c = connect(&server, Listener::Main);
    // The start of a TLS ClientHello, then the client gives up.
    c.send(&[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ]);
    c.s.shutdown(Shutdown::Write).unwrap();
    assert!(server.wait_ended(0, WAIT), "the non-HTTP connection to end");
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.ending, Some(Ending::NoRequest));
    assert_eq!(conn.first_bytes[..3], [0x16, 0x03, 0x01]);
    assert!(server.requests().is_empty());
}

#[test]
fn waits_say_when_nothing_happened() {
    let server = HostileServer::start(HostileOptions::default());
    let short = Duration::from_millis(20);
    assert!(!server.wait_requests(1, short));
    assert!(!server.wait_ended(0, short));
    assert!(!server.wait_written(0, 1, short));
    assert!(!server.wait_until(short, |cs| !cs.is_empty()));
}

#[test]
fn dropping_the_server_ends_held_connections() {
    let server = HostileServer::start(HostileOptions::default());
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "");
    read_good(&mut c);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        drop(server);
        let _ = tx.send(());
    });
    rx.recv_timeout(WAIT)
        .expect("the server to drop while a client holds a stream open");
    let before = c.seen.len();
    assert_eq!(c.read_to_end().len(), before, "nothing more, then the end");
}

#[test]
fn cut_ends_an_endless_behaviour() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::EndlessSseLine]);
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "");
    c.read_at_least(64 * 1024);
    assert!(server.cut(0), "connection 0 was open");
    c.read_to_end();
    assert!(server.wait_ended(0, WAIT), "the cut connection ended");
    assert!(!server.cut(0), "and is no longer open");
    assert!(!server.cut(7), "no such connection");
}
