//! The HTTP and SSE behaviours, byte for byte.

use super::super::http::{SSE_HEAD, random_bytes};
use super::super::{
    BAD_ID, BadPayload, Behaviour, ChunkSize, Ending, GOOD_ID, Garbage, HostileOptions,
    HostileServer, Listener, LyingLength, Pace, RETRY_AFTER_VALUES, status_json,
};
use super::{Client, WAIT, connect, dechunk, find};
use std::net::TcpStream;

/// A server whose main listener serves `b` first; a client that asked for a stream.
fn serve(b: Behaviour) -> (HostileServer, Client<TcpStream>) {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([b]);
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "Authorization: Bearer t\r\n");
    (server, c)
}

/// Closes the client and checks the server saw it close.
fn client_closes(server: &HostileServer, c: Client<TcpStream>) {
    drop(c);
    assert!(
        server.wait_ended(0, WAIT),
        "the server to notice the client closed"
    );
    assert_eq!(
        server.connection(0).unwrap().ending,
        Some(Ending::ClientClosed)
    );
}

/// Reads 256 KiB of an endless behaviour; checks the start, then that the rest is
/// `fill` only.
fn endless(b: Behaviour, start: &[u8], fill: u8) {
    let (server, mut c) = serve(b);
    c.read_at_least(start.len() + 256 * 1024);
    assert_eq!(&c.seen[..start.len()], start);
    assert!(c.seen[start.len()..].iter().all(|&x| x == fill));
    assert!(
        server.wait_written(0, c.seen.len() as u64, WAIT),
        "the written count"
    );
    client_closes(&server, c);
}

#[test]
fn endless_status_and_header_lines_never_end() {
    endless(Behaviour::EndlessStatusLine, b"HTTP/1.1 200 OK", b'K');
    endless(
        Behaviour::EndlessHeaderLine,
        b"HTTP/1.1 200 OK\r\nX-Endless: ",
        b'a',
    );
}

#[test]
fn endless_headers_count_up_forever() {
    let (server, mut c) = serve(Behaviour::EndlessHeaders);
    c.read_at_least(256 * 1024);
    let text = String::from_utf8(c.seen.clone()).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let whole: Vec<_> = lines.collect();
    let whole = &whole[..whole.len() - 1]; // the last may be cut
    assert!(whole.len() > 20_000, "{} headers", whole.len());
    for (i, line) in whole.iter().enumerate() {
        assert_eq!(*line, format!("X-{}: v", i + 1));
    }
    client_closes(&server, c);
}

#[test]
fn endless_sse_line_is_one_data_line_in_valid_chunks() {
    let (server, mut c) = serve(Behaviour::EndlessSseLine);
    assert_eq!(c.head().as_bytes(), SSE_HEAD);
    c.read_at_least(1 << 20);
    let (chunks, last) = dechunk(&c.seen);
    assert!(!last);
    assert_eq!(chunks[..3], [&b":)\n"[..], b"event: update\n", b"data: "]);
    assert!(chunks.len() > 50);
    for data in &chunks[3..] {
        assert_eq!(data.len(), 16 * 1024);
        assert!(data.iter().all(|&b| b == b'x'));
    }
    client_closes(&server, c);
}

#[test]
fn chunk_size_lines_overflow_or_never_end() {
    let after = |size: ChunkSize, line: &[u8], fill: u8| {
        let mut start = SSE_HEAD.to_vec();
        start.extend_from_slice(b"3\r\n:)\n\r\n");
        start.extend_from_slice(line);
        endless(Behaviour::ChunkSize(size), &start, fill);
    };
    after(ChunkSize::Overflow, b"ffffffffffffffffffff\r\n", b'x');
    after(ChunkSize::Max64, b"ffffffffffffffff\r\n", b'x');
    after(ChunkSize::Endless, b"", b'f');
}

#[test]
fn content_lengths_lie() {
    let body = format!(":)\nevent: update\ndata: {}\n\n", status_json(GOOD_ID));
    let cases = [
        (
            LyingLength::Short,
            vec![format!("Content-Length: {}", body.len() + 1_000_000)],
        ),
        (LyingLength::Negative, vec!["Content-Length: -1".to_owned()]),
        (
            LyingLength::Absurd,
            vec!["Content-Length: 99999999999999999999999".to_owned()],
        ),
        (
            LyingLength::Conflicting,
            vec![
                "Content-Length: 5".to_owned(),
                "Content-Length: 7".to_owned(),
            ],
        ),
    ];
    for (lie, lengths) in cases {
        let (server, mut c) = serve(Behaviour::ContentLength(lie));
        let head = c.head();
        let got: Vec<_> = head
            .split("\r\n")
            .filter(|l| l.starts_with("Content-Length"))
            .collect();
        assert_eq!(got, lengths, "{lie:?}");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
        assert_eq!(
            c.read_to_end(),
            body.as_bytes(),
            "{lie:?}: the body, then close"
        );
        assert!(server.wait_ended(0, WAIT), "{lie:?} to end");
        assert_eq!(server.connection(0).unwrap().ending, Some(Ending::Finished));
    }
}

#[test]
fn garbage_is_not_http() {
    let random = |seed| {
        let (_server, mut c) = serve(Behaviour::Garbage(Garbage::Random { len: 4096, seed }));
        c.read_to_end()
    };
    let a = random(7);
    assert_eq!(a.len(), 4096);
    assert!(!a.starts_with(b"HTTP/"));
    assert_eq!(a, random(7), "the same seed, the same bytes");
    assert_ne!(a, random(8));
    assert_eq!(a, random_bytes(4096, 7));

    let (server, mut c) = serve(Behaviour::Garbage(Garbage::SshBanner));
    c.read_until(b"\r\n");
    assert_eq!(c.seen, b"SSH-2.0-OpenSSH_9.6\r\n");
    assert_eq!(server.connection(0).unwrap().ending, None, "held open");
    client_closes(&server, c);

    let (_server, mut c) = serve(Behaviour::Garbage(Garbage::TlsAlert));
    assert_eq!(c.read_to_end(), [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a]);
}

#[test]
fn step_drip_writes_one_released_byte_at_a_time() {
    let server = HostileServer::start(HostileOptions::default());
    // The reference: the good stream, all at once.
    let mut good = connect(&server, Listener::Main);
    good.get("/api/v1/streaming/user", "");
    let body_end = good.read_until(format!("{GOOD_ID}").as_bytes());
    good.read_until(b"\n\n\r\n");
    let whole = good.seen.clone();
    assert!(body_end < whole.len());
    drop(good);

    server.queue([Behaviour::SlowDrip(Pace::Step)]);
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "");
    assert!(server.wait_requests(2, WAIT), "the drip's request");
    assert_eq!(
        server.connection(1).unwrap().bytes_written,
        0,
        "nothing released yet"
    );
    server.release(5);
    c.read_at_least(5);
    assert_eq!(c.seen, b"HTTP/");
    assert!(server.wait_written(1, 5, WAIT), "5 bytes written");
    assert_eq!(
        server.connection(1).unwrap().bytes_written,
        5,
        "no more than released"
    );
    server.release(whole.len() as u64 - 5);
    c.read_at_least(whole.len());
    assert_eq!(c.seen, whole, "the same bytes as the good stream");
    assert_eq!(server.connection(1).unwrap().ending, None, "held open");
    drop(c);
    assert!(server.wait_ended(1, WAIT), "the drip to end");
}

#[test]
fn timed_drip_writes_the_good_stream() {
    let (server, mut c) = serve(Behaviour::SlowDrip(Pace::Every(
        std::time::Duration::from_millis(1),
    )));
    c.read_at_least(17);
    assert_eq!(&c.seen[..17], b"HTTP/1.1 200 OK\r\n");
    client_closes(&server, c);
}

#[test]
fn html_page_and_retry_after_replies() {
    let (_server, mut c) = serve(Behaviour::html_page());
    let page = String::from_utf8(c.read_to_end()).unwrap();
    assert!(
        page.starts_with(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
        ),
        "{page}"
    );
    assert!(page.contains("\r\n\r\n<!DOCTYPE html>"));

    let server = HostileServer::start(HostileOptions::default());
    let mut asked = Vec::new();
    for (status, reason) in [(503, "Service Unavailable"), (429, "Too Many Requests")] {
        for value in RETRY_AFTER_VALUES {
            server.queue([Behaviour::retry_after(status, value)]);
            let mut c = connect(&server, Listener::Main);
            c.get("/api/v1/streaming/user", "");
            let head = c.head();
            assert!(
                head.starts_with(&format!("HTTP/1.1 {status} {reason}\r\n")),
                "{head}"
            );
            assert!(
                head.contains(&format!("\r\nRetry-After: {value}\r\n")),
                "{head}"
            );
            asked.push(value);
        }
    }
    assert!(asked.contains(&&"9999999999999999999") && asked.contains(&&"1e10"));
    assert!(asked.contains(&&"Fri, 31 Dec 9999 23:59:59 GMT"));
}

/// The events of an SSE body, read up to the second one (the good update): `(name, data)` pairs.
fn events_until_good(c: &mut Client<TcpStream>) -> Vec<(Vec<u8>, Vec<u8>)> {
    assert_eq!(c.head().as_bytes(), SSE_HEAD);
    // `:)`, then two events of two chunks each.
    while dechunk(&c.seen).0.len() < 5 {
        assert!(c.read_more("two events"), "closed before two events");
    }
    let (chunks, _) = dechunk(&c.seen);
    assert_eq!(chunks.len(), 5, "nothing after the good event");
    assert_eq!(chunks[0], b":)\n");
    chunks[1..]
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

#[test]
fn bad_payloads_come_before_the_good_update() {
    for bad in [
        BadPayload::InvalidUtf8,
        BadPayload::NestedArrays(100_000),
        BadPayload::NestedObjects(10_000),
    ] {
        let (_server, mut c) = serve(Behaviour::BadPayload(bad));
        let events = events_until_good(&mut c);
        assert_eq!(events.len(), 2, "{bad:?}");
        assert_eq!(events[0].0, b"event: update\n");
        assert_eq!(events[1].0, b"event: update\n");
        let good = format!("data: {}\n\n", status_json(GOOD_ID));
        assert_eq!(events[1].1, good.as_bytes());
        let data = &events[0].1;
        assert!(find(data, format!("\"id\":\"{BAD_ID}\"").as_bytes()).is_some());
        match bad {
            BadPayload::InvalidUtf8 => {
                assert!(std::str::from_utf8(data).is_err());
                assert!(find(data, b"\"content\":\"\xff\xfe\xc3(").is_some());
            }
            BadPayload::NestedArrays(d) => {
                let open = format!("data: {{\"hostile\":{}]", "[".repeat(d));
                assert!(data.starts_with(open.as_bytes()));
                assert!(find(data, format!("{}],\"id\"", "]".repeat(d - 1)).as_bytes()).is_some());
            }
            BadPayload::NestedObjects(d) => {
                let open = format!("data: {{\"hostile\":{}1}}", "{\"a\":".repeat(d));
                assert!(data.starts_with(open.as_bytes()));
            }
        }
    }
}

#[test]
fn websocket_behaviours_refuse_plain_requests() {
    let (_server, mut c) = serve(Behaviour::Ws(super::super::WsBehaviour::InvalidUtf8Text));
    let answer = String::from_utf8(c.read_to_end()).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
}
