//! Every dialect on real loopback sockets, checked against the byte-exact examples read
//! from each server's source, with a hand-written WebSocket client: raw frames in and out,
//! so a test sees exactly what the server wrote (a trailing `\n`, a ping's payload, a
//! close code, a TCP drop without a close frame).

mod gotosocial;
mod iceshrimp;
mod mastodon;
mod pleroma;
mod rest;

use std::io::{Read, Write};
use std::net::TcpStream;

use super::util::WAIT;
use crate::{Dialect, FakeServer, ServerOptions};

/// A server of this dialect that accepts token `tok` (with every scope).
pub(super) fn server(dialect: Dialect) -> FakeServer {
    FakeServer::start(ServerOptions {
        token: Some("tok".into()),
        dialect,
        ..ServerOptions::default()
    })
}

/// One frame from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Frame {
    pub(super) opcode: u8,
    pub(super) payload: Vec<u8>,
}

impl Frame {
    /// The frame's text (a text frame's, or any payload's, lossily).
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

pub(super) const TEXT: u8 = 1;
pub(super) const BINARY: u8 = 2;
pub(super) const CLOSE: u8 = 8;
pub(super) const PING: u8 = 9;
pub(super) const PONG: u8 = 10;

/// A WebSocket client written out by hand.
pub(super) struct RawWs {
    tcp: TcpStream,
    buf: Vec<u8>,
    /// The `101` answer's head (through its blank line).
    pub(super) head: String,
}

impl RawWs {
    /// Upgrades `target` with extra `headers` (each ending in `\r\n`): the socket, or the
    /// whole refusal the server wrote (it closes after one).
    pub(super) fn open(server: &FakeServer, target: &str, headers: &str) -> Result<RawWs, String> {
        let mut tcp = TcpStream::connect(server.addr()).expect("connect to the fake server");
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            tcp,
            "GET {target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n{headers}\r\n"
        )
        .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = tcp.read(&mut chunk).unwrap_or_else(|e| {
                panic!("waiting for the answer to the upgrade of {target}: {e}")
            });
            if n == 0 {
                return Err(String::from_utf8_lossy(&buf).into_owned());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        if !head.starts_with("HTTP/1.1 101 ") {
            let _ = tcp.read_to_end(&mut buf);
            return Err(String::from_utf8_lossy(&buf).into_owned());
        }
        buf.drain(..end);
        Ok(RawWs { tcp, buf, head })
    }

    /// Sends one masked frame.
    pub(super) fn send(&mut self, opcode: u8, payload: &[u8]) {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).unwrap();
    }

    /// Sends a text message.
    pub(super) fn text(&mut self, text: &str) {
        self.send(TEXT, text.as_bytes());
    }

    /// Reads more bytes; `false` at the end of the connection.
    fn fill(&mut self, waiting_for: &str) -> bool {
        let mut chunk = [0u8; 4096];
        match self.tcp.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("waiting for {waiting_for}: {e}"),
        }
    }

    /// The next frame, or `None` when the connection ends first.
    pub(super) fn frame(&mut self) -> Option<Frame> {
        loop {
            if let Some((frame, used)) = parse_frame(&self.buf) {
                self.buf.drain(..used);
                return Some(frame);
            }
            if !self.fill("a frame") {
                assert!(
                    self.buf.is_empty(),
                    "a partial frame before the end: {:?}",
                    self.buf
                );
                return None;
            }
        }
    }

    /// The next frame, which must come.
    pub(super) fn next(&mut self) -> Frame {
        self.frame()
            .expect("the connection ended before the next frame")
    }

    /// The next text frame's text, which must come next.
    pub(super) fn next_text(&mut self) -> String {
        let frame = self.next();
        assert_eq!(frame.opcode, TEXT, "a text frame, not {frame:?}");
        frame.text()
    }

    /// Whether the connection ends with no frame at all (dropped without a close frame).
    pub(super) fn dropped(&mut self) -> bool {
        self.frame().is_none()
    }
}

/// One unmasked server frame at the start of `buf`, and its length.
fn parse_frame(buf: &[u8]) -> Option<(Frame, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    assert_eq!(b0 & 0x80, 0x80, "fragmented frames are not expected");
    assert_eq!(b1 & 0x80, 0, "server frames are not masked");
    let (len, at) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + len)?.to_vec();
    Some((
        Frame {
            opcode: b0 & 0x0f,
            payload,
        },
        at + len,
    ))
}

/// A response with its `date:` value (and the named id headers) blanked, to compare with
/// an example.
pub(super) fn masked(response: &str) -> String {
    response
        .split("\r\n")
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            for name in ["date: ", "request-id: ", "x-request-id: "] {
                if lower.starts_with(name) {
                    return format!("{}<…>", &line[..name.len()]);
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A JSON value from text.
pub(super) fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Waits until the newest WebSocket connection has `n` subscriptions.
pub(super) fn subscribed(server: &FakeServer, n: usize) {
    assert!(
        server.wait_ws(WAIT, |ws| ws
            .last()
            .is_some_and(|c| c.subscriptions.len() == n)),
        "the server never had {n} subscriptions: {:?}",
        server.ws_connections()
    );
}

/// Waits until the server has seen `n` client messages on its newest connection.
pub(super) fn received(server: &FakeServer, n: usize) {
    assert!(
        server.wait_ws(WAIT, |ws| ws.last().is_some_and(|c| c.messages.len() == n)),
        "the server never had {n} client messages: {:?}",
        server.ws_connections()
    );
}

#[test]
fn every_dialect_is_listed_once_and_mastodon_4_is_the_default() {
    assert_eq!(Dialect::default(), Dialect::Mastodon4);
    let names: std::collections::BTreeSet<_> = Dialect::ALL
        .iter()
        .map(|d| (d.software_name(), d.software_version()))
        .collect();
    assert_eq!(names.len(), Dialect::ALL.len());
    assert_eq!(ServerOptions::default().dialect, Dialect::Mastodon4);
    let sse: Vec<Dialect> = Dialect::ALL.into_iter().filter(|d| d.has_sse()).collect();
    assert_eq!(sse, [Dialect::Mastodon4, Dialect::Mastodon3]);
}

#[test]
fn unknown_software_and_refused_upgrades_on_request() {
    let server = FakeServer::start(ServerOptions {
        dialect: Dialect::GoToSocial,
        software_name: Some("bonfire".into()),
        refuse_upgrades: Some(crate::Reply::error(404, "Not Found", "Not Found")),
        ..ServerOptions::default()
    });
    let doc = super::util::get(&server, "/nodeinfo/2.0", "");
    let doc = json(super::util::body(&doc));
    assert_eq!(doc["software"]["name"], "bonfire");
    assert_eq!(doc["software"]["version"], "0.20.0+git-57cb4fe");
    // Streams as GoToSocial does (no SSE), but no upgrade gets through.
    assert!(super::util::get(&server, "/api/v1/streaming/user", "").starts_with("HTTP/1.1 404 "));
    let refused = RawWs::open(&server, "/api/v1/streaming?stream=user", "").err();
    let refused = refused.expect("the upgrade is refused");
    assert!(
        refused.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{refused}"
    );
    assert!(refused.ends_with("{\"error\":\"Not Found\"}"), "{refused}");
    assert!(server.ws_connections().is_empty());
}
