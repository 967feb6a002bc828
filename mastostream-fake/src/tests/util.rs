//! Clients for the tests: raw HTTP/1.1 over `TcpStream` (SSE and REST) and a sync
//! `tungstenite` WebSocket. Every read has a bound: a test that waits for something that
//! never comes fails, naming it, instead of hanging.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use crate::FakeServer;

/// How long any single wait may take.
pub(super) const WAIT: Duration = Duration::from_secs(10);

fn tcp(server: &FakeServer) -> TcpStream {
    let tcp = TcpStream::connect(server.addr()).expect("connect to the fake server");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp
}

/// One whole response (the server closes after it).
pub(super) fn get(server: &FakeServer, target: &str, headers: &str) -> String {
    let mut tcp = tcp(server);
    write!(tcp, "GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out)
        .unwrap_or_else(|e| panic!("the answer to {target}: {e}"));
    out
}

/// The body of a whole response.
pub(super) fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// Reads from `tcp` until `needle` appears.
pub(super) fn read_until(tcp: &mut TcpStream, seen: &mut Vec<u8>, needle: &[u8]) {
    let mut buf = [0u8; 4096];
    let wanted = || String::from_utf8_lossy(needle).into_owned();
    while !seen.windows(needle.len()).any(|w| w == needle) {
        let n = tcp
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("waiting for {:?}: {e}", wanted()));
        assert!(n > 0, "closed before {:?}", wanted());
        seen.extend_from_slice(&buf[..n]);
    }
}

/// An SSE stream read raw.
pub(super) struct Sse {
    pub(super) tcp: TcpStream,
    pub(super) seen: Vec<u8>,
}

impl Sse {
    /// Opens `target` and reads until the stream is live (its `:)`).
    pub(super) fn open(server: &FakeServer, target: &str, headers: &str) -> Sse {
        let mut tcp = tcp(server);
        write!(tcp, "GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
        let mut seen = Vec::new();
        read_until(&mut tcp, &mut seen, b":)\n");
        assert!(seen.starts_with(b"HTTP/1.1 200 OK\r\n"), "{target}");
        Sse { tcp, seen }
    }

    /// The `(event, data)` pairs received up to and including the first event named
    /// `last`.
    pub(super) fn events_until(&mut self, last: &str) -> Vec<(String, String)> {
        let mut buf = [0u8; 4096];
        loop {
            let events = sse_events(&self.seen);
            if let Some(i) = events.iter().position(|(name, _)| *name == last) {
                return events[..=i].to_vec();
            }
            let n = self
                .tcp
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("waiting for the event {last:?}: {e}"));
            assert!(n > 0, "the stream closed before the event {last:?}");
            self.seen.extend_from_slice(&buf[..n]);
        }
    }
}

/// The events of a chunked SSE response (head included), as far as they are complete.
pub(super) fn sse_events(raw: &[u8]) -> Vec<(String, String)> {
    let start = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| i + 4);
    let mut rest = &raw[start..];
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..eol])
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .expect("a chunk size");
        if size == 0 || rest.len() < eol + 2 + size + 2 {
            break;
        }
        body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[eol + 4 + size..];
    }
    let text = String::from_utf8_lossy(&body);
    let mut events = Vec::new();
    let mut name = None;
    for line in text.split('\n') {
        if let Some(n) = line.strip_prefix("event: ") {
            name = Some(n.to_owned());
        } else if let (Some(d), Some(n)) = (line.strip_prefix("data: "), name.take()) {
            events.push((n, d.to_owned()));
        }
    }
    events
}

/// The `id` a JSON payload starts with (`{"id":"123",...`).
pub(super) fn id_of(json: &str) -> u64 {
    json.strip_prefix("{\"id\":\"")
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no leading id in {json}"))
}

/// A WebSocket client.
pub(super) type Ws = WebSocket<TcpStream>;

/// Opens the WebSocket endpoint (`query` on its URL); the refusal as `"STATUS message"`.
pub(super) fn connect(server: &FakeServer, query: &str, token: Option<&str>) -> Result<Ws, String> {
    let url = format!("ws://{}/api/v1/streaming{query}", server.addr());
    let mut req = url.into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tungstenite::client::client(req, tcp(server)) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => Err(format!(
            "{} {}",
            r.status().as_u16(),
            r.headers()
                .get("x-error-message")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The next text message (pings are answered and counted).
pub(super) fn next_text(ws: &mut Ws, pings: &mut usize) -> String {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return t.as_str().to_owned(),
            Ok(Message::Ping(_)) => *pings += 1,
            other => panic!("waiting for a text message: {other:?}"),
        }
    }
}

/// Waits until the newest WebSocket connection has `n` subscriptions.
pub(super) fn subscriptions(server: &FakeServer, n: usize) -> bool {
    server.wait_ws(WAIT, |ws| {
        ws.last().is_some_and(|c| c.subscriptions.len() == n)
    })
}

/// Subscribes `ws` to these streams (one subscribe message each) and waits until the
/// server has them all.
pub(super) fn subscribe(server: &FakeServer, ws: &mut Ws, streams: &[&str]) {
    for s in streams {
        ws.send(Message::text(*s)).unwrap();
    }
    assert!(
        subscriptions(server, streams.len()),
        "the server never had the subscriptions {streams:?}"
    );
}
