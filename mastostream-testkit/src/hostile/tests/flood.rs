//! Floods: valid events up to a byte budget, and writes that block when the client stops
//! reading (TCP backpressure), plain and over TLS.

use std::io::{Read, Write};

use super::super::http::SSE_HEAD;
use super::super::{Behaviour, Ending, GOOD_ID, HostileOptions, HostileServer, Listener};
use super::ws::message;
use super::{Client, WAIT, connect, connect_tls, dechunk};

/// A flood budget no test reads to the end of: 1 GiB.
const GIB: u64 = 1 << 30;

#[test]
fn sse_flood_writes_numbered_events_up_to_its_budget() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::Flood { max_bytes: 1 << 20 }]);
    let mut c = connect(&server, Listener::Main);
    c.get("/api/v1/streaming/user", "");
    let all = c.read_to_end();
    assert!(all.starts_with(SSE_HEAD));
    let (chunks, last) = dechunk(&all[SSE_HEAD.len()..]);
    assert!(last, "the flood ends cleanly");
    assert_eq!(chunks[0], b":)\n");
    let events = &chunks[1..];
    assert_eq!(events.len() % 2, 0);
    for (n, pair) in events.chunks(2).enumerate() {
        assert_eq!(pair[0], b"event: update\n");
        let id = format!("data: {{\"id\":\"{}\"", GOOD_ID + n as u64 + 1);
        assert!(pair[1].starts_with(id.as_bytes()), "event {n}");
    }
    assert!(
        all.len() >= 1 << 20 && all.len() < (1 << 20) + (80 << 10),
        "{}",
        all.len()
    );
    assert!(server.wait_ended(0, WAIT), "the flood to end");
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.bytes_written, all.len() as u64);
    assert_eq!(conn.ending, Some(Ending::Finished));
}

#[test]
fn ws_flood_writes_update_messages_then_closes() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::Flood {
        max_bytes: 256 << 10,
    }]);
    let mut c = connect(&server, Listener::Main);
    c.upgrade("/api/v1/streaming?stream=public");
    let mut n = 0;
    loop {
        let (first, payload) = c.frame();
        if first == 0x88 {
            assert_eq!(payload, [0x03, 0xE8]);
            break;
        }
        n += 1;
        let (stream, event, inner) = message(&payload);
        assert_eq!(
            (first, stream, event.as_str()),
            (0x81, vec!["public".to_owned()], "update")
        );
        assert!(inner.starts_with(&format!("{{\"id\":\"{}\"", GOOD_ID + n)));
    }
    assert!(n > 10, "{n} messages");
    c.send_close(1000);
    assert!(server.wait_ended(0, WAIT), "the WebSocket flood to end");
    assert_eq!(
        server.connection(0).unwrap().client_close(),
        Some(Some(1000))
    );
}

/// Asks for a 1 GiB flood and reads nothing more than the head: the server's writes must
/// stall with only the socket buffers' worth written; reading again lets them go on.
fn stalls_until_read<S: Read + Write>(server: &HostileServer, mut c: Client<S>, target: &str) {
    c.get(target, "");
    c.head();
    assert!(
        server.wait_until(WAIT, |cs| cs[0].write_stalls > 0),
        "a write to stall while the client does not read"
    );
    let stalled_at = server.connection(0).unwrap().bytes_written;
    assert!(
        stalled_at < 64 << 20,
        "only buffers' worth written: {stalled_at} bytes"
    );
    c.read_at_least(stalled_at as usize);
    assert!(
        server.wait_written(0, stalled_at + (64 << 10), WAIT),
        "the writes to go on once the client reads"
    );
    drop(c);
    assert!(
        server.wait_ended(0, WAIT),
        "the flood to end when the client goes"
    );
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.ending, Some(Ending::ClientClosed));
    assert!(conn.bytes_written < GIB);
}

#[test]
fn a_client_that_stops_reading_stalls_the_flood() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::Flood { max_bytes: GIB }]);
    stalls_until_read(
        &server,
        connect(&server, Listener::Main),
        "/api/v1/streaming/user",
    );
}

#[test]
fn a_client_that_stops_reading_stalls_the_flood_over_tls() {
    let server = HostileServer::start(HostileOptions::tls());
    server.queue([Behaviour::Flood { max_bytes: GIB }]);
    stalls_until_read(
        &server,
        connect_tls(&server, Listener::Main),
        "/api/v1/streaming/user",
    );
}
