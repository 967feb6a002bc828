//! The hostile WebSocket frames, byte for byte, and what the server records of the client's
//! answer.

use std::net::TcpStream;

use super::super::{
    Behaviour, CloseFrame, Ending, GOOD_ID, HostileOptions, HostileServer, Listener, MAX_FRAME_LEN,
    WsBehaviour, status_json,
};
use super::ws::message;
use super::{Client, WAIT, connect};

/// A server serving `w`; a client upgraded on `?stream=user`.
fn upgraded(w: WsBehaviour) -> (HostileServer, Client<TcpStream>) {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::Ws(w)]);
    let mut c = connect(&server, Listener::Main);
    c.upgrade("/api/v1/streaming?stream=user");
    (server, c)
}

/// The client answers with close `code`; the server echoes it (when `echo`) and closes.
fn client_fails_with(server: &HostileServer, mut c: Client<TcpStream>, code: u16, echo: bool) {
    c.send_close(code);
    if echo {
        // Skip what was in flight up to the echoed close.
        loop {
            let (first, payload) = c.frame();
            if first == 0x88 {
                assert_eq!(payload, code.to_be_bytes());
                break;
            }
        }
    }
    c.read_to_end();
    assert!(
        server.wait_ended(0, WAIT),
        "the connection to end after close {code}"
    );
    let conn = server.connection(0).unwrap();
    assert_eq!(conn.client_close(), Some(Some(code)));
    assert_eq!(conn.ending, Some(Ending::Finished));
}

#[test]
fn frame_lengths_claim_2_pow_63_minus_1_and_2_pow_63() {
    let cases = [
        (
            MAX_FRAME_LEN,
            [0x81, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            1009,
        ),
        (
            1 << 63,
            [0x81, 0x7F, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            1002,
        ),
    ];
    for (len, header, code) in cases {
        let (server, mut c) = upgraded(WsBehaviour::FrameLength(len));
        c.read_at_least(10 + 64 * 1024);
        assert_eq!(c.seen[..10], header);
        assert!(c.seen[10..].iter().all(|&b| b == b'x'));
        // Mid-frame the server cannot answer; it records the close and stops.
        client_fails_with(&server, c, code, false);
    }
}

#[test]
fn fragments_never_end() {
    let (server, mut c) = upgraded(WsBehaviour::EndlessFragments);
    let part = vec![b'x'; 4096];
    let (first, payload) = c.frame();
    assert_eq!((first, &payload), (0x01, &part), "text, no FIN");
    for _ in 0..16 {
        let (first, payload) = c.frame();
        assert_eq!((first, &payload), (0x00, &part), "continuation, no FIN");
    }
    assert!(c.seen.is_empty() || c.seen[0] == 0x00);
    client_fails_with(&server, c, 1009, true);
}

#[test]
fn ping_floods_then_the_good_update() {
    let (server, mut c) = upgraded(WsBehaviour::PingFlood {
        pings: 5000,
        payload: 200,
    });
    let payload = vec![b'p'; 125];
    for _ in 0..5000 {
        assert_eq!(c.frame(), (0x89, payload.clone()));
        c.send_frame(0x8A, &payload);
    }
    let (first, msg) = c.frame();
    assert_eq!((first, message(&msg).2), (0x81, status_json(GOOD_ID)));
    assert!(
        server.wait_until(WAIT, |cs| cs[0].pongs() == 5000),
        "5000 pongs recorded"
    );
    c.send_close(1000);
    assert_eq!(c.frame(), (0x88, vec![0x03, 0xE8]));
}

#[test]
fn invalid_utf8_text() {
    let (server, mut c) = upgraded(WsBehaviour::InvalidUtf8Text);
    assert_eq!(c.frame(), (0x81, vec![0xFF, 0xFE]));
    client_fails_with(&server, c, 1007, true);
}

#[test]
fn reserved_opcodes() {
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        let (server, mut c) = upgraded(WsBehaviour::ReservedOpcode(op));
        c.read_at_least(9);
        let mut want = vec![0x80 | op, 0x07];
        want.extend_from_slice(b"hostile");
        assert_eq!(c.seen[..9], want, "opcode {op:#x}");
        c.seen.drain(..9);
        client_fails_with(&server, c, 1002, true);
    }
}

#[test]
fn reserved_bits() {
    for rsv in 1..=7u8 {
        let (server, mut c) = upgraded(WsBehaviour::ReservedBits(rsv));
        let (first, payload) = c.frame();
        assert_eq!(first, 0x81 | (rsv << 4), "rsv {rsv}");
        assert_eq!(message(&payload).2, status_json(GOOD_ID));
        client_fails_with(&server, c, 1002, true);
    }
}

#[test]
fn masked_server_frame() {
    let (server, mut c) = upgraded(WsBehaviour::MaskedFrame);
    c.read_at_least(4);
    assert_eq!(c.seen[0], 0x81);
    assert_eq!(c.seen[1], 0x80 | 126, "the mask bit, a 16-bit length");
    let len = usize::from(u16::from_be_bytes([c.seen[2], c.seen[3]]));
    c.read_at_least(8 + len);
    let key = [0x12, 0x34, 0x56, 0x78];
    assert_eq!(c.seen[4..8], key);
    let payload: Vec<u8> = c.seen[8..8 + len]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    assert_eq!(message(&payload).2, status_json(GOOD_ID));
    c.seen.drain(..8 + len);
    client_fails_with(&server, c, 1002, true);
}

#[test]
fn close_frames_then_the_clients_answer() {
    let cases = [
        (CloseFrame::Code(1000, String::new()), vec![0x03, 0xE8]),
        (CloseFrame::Code(1001, String::new()), vec![0x03, 0xE9]),
        (
            CloseFrame::Code(1008, "policy".into()),
            [&[0x03, 0xF0][..], b"policy"].concat(),
        ),
        (CloseFrame::Code(1011, String::new()), vec![0x03, 0xF3]),
        (CloseFrame::Code(4000, "x".into()), vec![0x0F, 0xA0, b'x']),
        (CloseFrame::OneByte, vec![0x03]),
        (
            CloseFrame::InvalidUtf8Reason(1000),
            vec![0x03, 0xE8, 0xFF, 0xFE],
        ),
    ];
    for (close, payload) in cases {
        let (server, mut c) = upgraded(WsBehaviour::Close(close.clone()));
        assert_eq!(c.frame(), (0x88, payload), "{close:?}");
        // The server closed first: it does not echo, it records our answer and ends.
        client_fails_with(&server, c, 1000, false);
    }
    // A client that drops the socket instead of answering.
    let (server, mut c) = upgraded(WsBehaviour::Close(CloseFrame::Code(1000, String::new())));
    c.frame();
    drop(c);
    assert!(server.wait_ended(0, WAIT), "the dropped connection to end");
    let conn = server.connection(0).unwrap();
    assert_eq!(
        (conn.client_close(), conn.ending),
        (None, Some(Ending::ClientClosed))
    );
}
