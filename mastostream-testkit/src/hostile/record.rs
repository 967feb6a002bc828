//! What a [`HostileServer`](super::HostileServer) saw and did, per connection.

use std::io;

/// One of the server's two listeners (two ports on `127.0.0.1`: two origins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listener {
    /// The listener [`HostileServer::url`](super::HostileServer::url) names.
    Main,
    /// The second listener: the same host on another port, so another origin. Cross-origin
    /// redirects point here, and it records its requests separately.
    Second,
}

impl Listener {
    pub(crate) fn index(self) -> usize {
        match self {
            Listener::Main => 0,
            Listener::Second => 1,
        }
    }
}

/// A request head as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The listener it arrived on.
    pub listener: Listener,
    /// The connection it arrived on (an index into
    /// [`connections`](super::HostileServer::connections)).
    pub conn: usize,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The method, as sent (`GET`).
    pub method: String,
    /// The request target, exactly as sent (path and query).
    pub target: String,
    /// The headers in order, names and values as sent (values trimmed).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request carried an `Authorization` header (a token crossing origins shows
    /// here).
    pub fn has_authorization(&self) -> bool {
        self.header("authorization").is_some()
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The first query parameter named `name`, as sent (not percent-decoded).
    pub fn param(&self, name: &str) -> Option<&str> {
        let (_, query) = self.target.split_once('?')?;
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// Whether this is a WebSocket upgrade (`Upgrade: websocket`).
    pub fn is_upgrade(&self) -> bool {
        self.header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
    }
}

/// Why the server stopped serving a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The behaviour ran to its end and the server closed the connection.
    Finished,
    /// The client closed (or reset) the connection first.
    ClientClosed,
    /// No complete request head arrived: the client closed first, sent over 64 KiB, or sent
    /// something that is not HTTP (see [`Connection::first_bytes`]).
    NoRequest,
    /// The TLS handshake failed (for example, the client refused the certificate).
    TlsFailed,
    /// The server was dropped while the connection was open.
    Stopped,
    /// Another I/O error.
    Error(io::ErrorKind),
}

/// A frame the client sent over a WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFrame {
    /// The FIN bit.
    pub fin: bool,
    /// The three RSV bits (`0` unless an extension was negotiated, which never happens here).
    pub rsv: u8,
    /// The opcode (`0x1` text, `0x8` close, `0xA` pong, ...).
    pub opcode: u8,
    /// Whether the frame was masked (a client must mask every frame).
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl ClientFrame {
    /// For a close frame: its status code (`None` when the payload is empty or 1 byte).
    pub fn close_code(&self) -> Option<u16> {
        match self.payload.as_slice() {
            [a, b, ..] if self.opcode == 0x8 => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }
}

/// Everything the server saw and did on one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Its number, in accept order over both listeners.
    pub index: usize,
    /// The listener that accepted it.
    pub listener: Listener,
    /// Whether the listener speaks TLS.
    pub tls: bool,
    /// The first bytes the client sent (at most 16, after TLS when TLS is on): a TLS
    /// `ClientHello` sent to a plain port starts with `0x16`.
    pub first_bytes: Vec<u8>,
    /// The request head, once it arrived.
    pub request: Option<Request>,
    /// The name of the behaviour served (its variant, e.g. `EndlessHeaders`), once chosen.
    pub behaviour: Option<&'static str>,
    /// Bytes the server handed to the socket so far (plaintext bytes under TLS), updated
    /// as it writes.
    pub bytes_written: u64,
    /// How many times a write made no progress for [`STALL`](super::STALL): the client was
    /// not reading and the socket buffers were full (TCP backpressure).
    pub write_stalls: u64,
    /// The frames the client sent after a WebSocket upgrade, in order (at most
    /// [`MAX_FRAMES`](super::MAX_FRAMES)).
    pub frames: Vec<ClientFrame>,
    /// How it ended (`None` while it is being served).
    pub ending: Option<Ending>,
}

impl Connection {
    pub(crate) fn new(index: usize, listener: Listener, tls: bool) -> Connection {
        Connection {
            index,
            listener,
            tls,
            first_bytes: Vec::new(),
            request: None,
            behaviour: None,
            bytes_written: 0,
            write_stalls: 0,
            frames: Vec::new(),
            ending: None,
        }
    }

    /// The client's close frame, if it sent one: `Some(code)` (`Some(None)` for a close
    /// frame without a code).
    pub fn client_close(&self) -> Option<Option<u16>> {
        self.frames
            .iter()
            .find(|f| f.opcode == 0x8)
            .map(ClientFrame::close_code)
    }

    /// How many pong frames the client sent.
    pub fn pongs(&self) -> usize {
        self.frames.iter().filter(|f| f.opcode == 0xA).count()
    }

    /// The client's text frames, lossily decoded (subscribe messages).
    pub fn texts(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| f.opcode == 0x1)
            .map(|f| String::from_utf8_lossy(&f.payload).into_owned())
            .collect()
    }
}
