//! The hostile servers, proven with raw std clients (and a rustls client for TLS): every
//! behaviour's exact bytes, and what the server records.

mod flood;
mod http;
mod redirect;
mod server;
mod ws;
mod ws_frames;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::{HostileServer, Listener};

/// The bound of every wait and read.
const WAIT: Duration = Duration::from_secs(10);

/// The RFC 6455 §1.3 example key and its accept value, written out (not computed).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A raw client: what it has read so far, and the stream.
struct Client<S> {
    s: S,
    seen: Vec<u8>,
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn tcp(server: &HostileServer, listener: Listener) -> TcpStream {
    let tcp = TcpStream::connect(server.addr(listener)).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp
}

/// A plain client of a listener.
fn connect(server: &HostileServer, listener: Listener) -> Client<TcpStream> {
    Client {
        s: tcp(server, listener),
        seen: Vec::new(),
    }
}

/// A TLS client of a listener, trusting the server's CA, for `127.0.0.1`.
fn connect_tls(server: &HostileServer, listener: Listener) -> Client<Tls> {
    let ca = server.ca().expect("a TLS server");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    Client {
        s: rustls::StreamOwned::new(conn, tcp(server, listener)),
        seen: Vec::new(),
    }
}

impl<S: Read + Write> Client<S> {
    fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("client write");
        self.s.flush().expect("client flush");
    }

    /// Sends `GET target` with `Host` and the `extra` header lines (each ending in CRLF).
    fn get(&mut self, target: &str, extra: &str) {
        let req = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n");
        self.send(req.as_bytes());
    }

    /// Reads once more; `false` at the end of the stream. Panics on a timeout, naming
    /// `what` it waited for.
    fn read_more(&mut self, what: &str) -> bool {
        let mut buf = [0u8; 64 * 1024];
        match self.s.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.seen.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("timed out after {WAIT:?} waiting for {what}")
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => false,
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => false,
            Err(e) => panic!("read failed waiting for {what}: {e}"),
        }
    }

    /// Reads until `seen` holds `needle`; returns where it ends.
    fn read_until(&mut self, needle: &[u8]) -> usize {
        loop {
            if let Some(i) = find(&self.seen, needle) {
                return i + needle.len();
            }
            let what = format!("{:?}", String::from_utf8_lossy(needle));
            assert!(self.read_more(&what), "closed before {what}");
        }
    }

    /// Reads until `seen` holds at least `n` bytes.
    fn read_at_least(&mut self, n: usize) {
        while self.seen.len() < n {
            let what = format!("{n} bytes (have {})", self.seen.len());
            assert!(self.read_more(&what), "closed before {what}");
        }
    }

    /// Reads to the end of the stream; returns everything read.
    fn read_to_end(&mut self) -> Vec<u8> {
        while self.read_more("the end of the stream") {}
        self.seen.clone()
    }

    /// Reads the response head; returns it (blank line included) and keeps what follows
    /// in `seen`.
    fn head(&mut self) -> String {
        let end = self.read_until(b"\r\n\r\n");
        let head = self.seen.drain(..end).collect::<Vec<_>>();
        String::from_utf8(head).expect("an ASCII head")
    }

    /// Asks `target` for a WebSocket upgrade (with `KEY`) and checks the `101`.
    fn upgrade(&mut self, target: &str) {
        self.get(
            target,
            &format!(
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n"
            ),
        );
        let head = self.head();
        assert_eq!(
            head,
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
            )
        );
    }

    /// Reads one server frame: `(first byte, payload)`; checks it is not masked.
    fn frame(&mut self) -> (u8, Vec<u8>) {
        self.read_at_least(2);
        assert_eq!(self.seen[1] & 0x80, 0, "a server frame is not masked");
        let (len, at) = match self.seen[1] {
            126 => {
                self.read_at_least(4);
                (
                    usize::from(u16::from_be_bytes([self.seen[2], self.seen[3]])),
                    4,
                )
            }
            127 => {
                self.read_at_least(10);
                let l = u64::from_be_bytes(self.seen[2..10].try_into().unwrap());
                (usize::try_from(l).unwrap(), 10)
            }
            n => (usize::from(n), 2),
        };
        self.read_at_least(at + len);
        let first = self.seen[0];
        let payload = self.seen[at..at + len].to_vec();
        self.seen.drain(..at + len);
        (first, payload)
    }

    /// Sends a client frame, masked with the RFC 6455 §5.7 example key.
    fn send_frame(&mut self, first: u8, payload: &[u8]) {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        assert!(payload.len() < 126, "short frames only");
        let mut out = vec![first, 0x80 | payload.len() as u8];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        self.send(&out);
    }

    /// Sends a close frame with `code`.
    fn send_close(&mut self, code: u16) {
        self.send_frame(0x88, &code.to_be_bytes());
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body (from just after the head) by hand; returns the chunks' data and
/// whether the last chunk came. Stops at the first malformed size line.
fn dechunk(mut body: &[u8]) -> (Vec<Vec<u8>>, bool) {
    let mut chunks = Vec::new();
    loop {
        let Some(eol) = find(body, b"\r\n") else {
            return (chunks, false);
        };
        let Some(size) = std::str::from_utf8(&body[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
        else {
            return (chunks, false);
        };
        if size == 0 {
            return (chunks, &body[eol..] == b"\r\n\r\n");
        }
        let data = &body[eol + 2..];
        if data.len() < size + 2 {
            return (chunks, false);
        }
        assert_eq!(&data[size..size + 2], b"\r\n", "CRLF after a chunk");
        chunks.push(data[..size].to_vec());
        body = &data[size + 2..];
    }
}
