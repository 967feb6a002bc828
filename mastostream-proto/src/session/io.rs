//! What flows between a machine and its driver: [`Input`]s in, [`Output`]s out.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Item;
use crate::http::ResponseHead;
use crate::instance::Target;
use crate::{Channel, Error};

/// Identifies one transport (one connection carrying one request) of a machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransportId(pub u64);

impl fmt::Display for TransportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A transport failure as the driver saw it: the I/O error's kind and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// The `std::io::ErrorKind` of the failure.
    pub kind: std::io::ErrorKind,
    /// A description (DNS, TLS and socket errors' text). Never contains the token: proto
    /// never gives it to the driver except inside request bytes and upgrade headers.
    pub message: String,
}

impl TransportError {
    /// A transport error of `kind` with `message`.
    pub fn new(kind: std::io::ErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

/// What the application asks of a running machine.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Add a stream (WebSocket sessions; see [`Session`](super::Session)).
    Subscribe(Channel),
    /// Remove a stream.
    Unsubscribe(Channel),
    /// Stop: close everything (WebSockets with a close handshake) and finish with `Ok`.
    Close,
}

impl Command {
    /// The subscriptions as they will be once this command is applied to `channels`: what
    /// a handle shows while the command waits for the machine. (The machine decides for
    /// real: a refused subscription disappears later.)
    pub fn apply_to(&self, channels: &mut Vec<Channel>) {
        match self {
            Command::Subscribe(c) if !channels.contains(c) => channels.push(c.clone()),
            Command::Unsubscribe(c) => channels.retain(|s| s != c),
            Command::Subscribe(_) | Command::Close => {}
        }
    }
}

/// One input to a machine, with [`Machine::handle_input`](super::Machine::handle_input).
///
/// Every input comes with the time it happened: for bytes, when the driver *read* them,
/// not when it got round to handing them over, so a slow application never makes a
/// connection that was talking look silent.
#[derive(Debug)]
#[non_exhaustive]
pub enum Input {
    /// The transport is connected (TCP, and TLS when asked; for a WebSocket, the upgrade
    /// succeeded).
    Connected(TransportId),
    /// Connecting failed (DNS, refused, TLS, or the WebSocket handshake's I/O).
    ConnectFailed(TransportId, TransportError),
    /// Bytes were read from a plain transport.
    Data(TransportId, Bytes),
    /// The peer closed the transport.
    Eof(TransportId),
    /// Reading or writing failed.
    Failed(TransportId, TransportError),
    /// A WebSocket text message.
    WsMessage(TransportId, Bytes),
    /// A WebSocket frame other than text and close (ping, pong, binary): the peer is alive.
    WsFrame(TransportId),
    /// The server's WebSocket close frame: its status code and reason, when it gave them.
    WsClose(TransportId, Option<(u16, String)>),
    /// The server answered the WebSocket upgrade with an HTTP response other than `101`
    /// (its head, and as much of its body as the driver read).
    WsRejected(TransportId, ResponseHead, Bytes),
    /// The driver had stopped reading this transport because the application was slow to
    /// take items (backpressure), and has now read everything that waited meanwhile: the
    /// connection was not silent while it was held up.
    Drained(TransportId),
    /// A command from the application.
    Command(Command),
    /// Time passed: a deadline from [`Output::Wait`] may be due. Early calls are harmless.
    Timeout,
}

/// How to close a transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Close {
    /// Drop the connection now. Input about it is ignored from here on.
    Now,
    /// A WebSocket's close handshake: send a close frame with this status code (or, when
    /// the server sent one, complete its handshake), keep reading, and report
    /// [`Input::Eof`] once the server closes too. The machine follows with [`Close::Now`]
    /// when the handshake is over or its grace period ran out.
    Handshake {
        /// The close frame's status code (1000: normal closure).
        code: u16,
    },
}

/// What a machine asks of its driver, or hands to the application. After any input,
/// drain [`Machine::poll_output`](super::Machine::poll_output) until it returns
/// [`Output::Wait`].
///
/// Its `Debug` output shows a transmit's length, never its bytes (they hold the token).
#[non_exhaustive]
pub enum Output {
    /// Open a connection (TCP, then TLS when `target.tls`), then report
    /// [`Input::Connected`] or [`Input::ConnectFailed`]; then write what
    /// [`Output::Transmit`] says and report what is read.
    Connect {
        /// The transport's id, for every later input and output about it.
        transport: TransportId,
        /// Where to connect.
        target: Target,
    },
    /// Open a WebSocket (TCP, TLS when `target.tls`, then the HTTP upgrade described by
    /// `request`), then report [`Input::Connected`] once upgraded, [`Input::WsRejected`]
    /// when the server answered with another status, or [`Input::ConnectFailed`].
    ConnectWebSocket {
        /// The transport's id.
        transport: TransportId,
        /// Where to connect.
        target: Target,
        /// The upgrade request.
        request: WsRequest,
    },
    /// Write these bytes to the transport.
    Transmit {
        /// The transport.
        transport: TransportId,
        /// The bytes (a request head). Contains the access token: never log them.
        data: Bytes,
    },
    /// Send this text message on the WebSocket transport.
    SendText {
        /// The transport.
        transport: TransportId,
        /// The message (a subscribe or unsubscribe request).
        text: String,
    },
    /// Close the transport.
    Close {
        /// The transport.
        transport: TransportId,
        /// How.
        how: Close,
    },
    /// Something for the application.
    Item(Item),
    /// The machine is done: closed on request (`Ok`), or stopped by an error that retrying
    /// cannot fix. Every transport was closed before it. It is handed out once; after it,
    /// `poll_output` says [`Output::Wait`] with no deadline forever.
    Finished(Result<(), Error>),
    /// Nothing more to do until an input arrives, or until `deadline` (then hand in
    /// [`Input::Timeout`]). `None`: only an input can move the machine on.
    Wait {
        /// When the machine next needs [`Input::Timeout`].
        deadline: Option<Instant>,
    },
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Connect { transport, target } => f
                .debug_struct("Connect")
                .field("transport", transport)
                .field("target", target)
                .finish(),
            Output::ConnectWebSocket {
                transport,
                target,
                request,
            } => f
                .debug_struct("ConnectWebSocket")
                .field("transport", transport)
                .field("target", target)
                .field("request", request)
                .finish(),
            Output::Transmit { transport, data } => f
                .debug_struct("Transmit")
                .field("transport", transport)
                .field("len", &data.len())
                .finish_non_exhaustive(),
            Output::SendText { transport, text } => f
                .debug_struct("SendText")
                .field("transport", transport)
                .field("text", text)
                .finish(),
            Output::Close { transport, how } => f
                .debug_struct("Close")
                .field("transport", transport)
                .field("how", how)
                .finish(),
            Output::Item(item) => f.debug_tuple("Item").field(item).finish(),
            Output::Finished(result) => f.debug_tuple("Finished").field(result).finish(),
            Output::Wait { deadline } => {
                f.debug_struct("Wait").field("deadline", deadline).finish()
            }
        }
    }
}

/// The HTTP upgrade request for a WebSocket transport. Its `Debug` output redacts the
/// token.
#[derive(Clone, PartialEq, Eq)]
pub struct WsRequest {
    /// The URL to open (`wss://host/api/v1/streaming`); it never contains the token.
    pub url: String,
    /// Headers to send with the upgrade (`Authorization: Bearer …` when there is a token
    /// and the URL is the token's origin, `User-Agent`).
    pub headers: Vec<(String, String)>,
    /// The largest message to accept, in bytes: twice
    /// [`Limits::max_event`](crate::Limits::max_event), room for the envelope and the
    /// escaping of a payload encoded twice. A larger message is a transport error.
    pub max_message: usize,
    /// The largest single frame to accept, in bytes (a message may span frames).
    pub max_frame: usize,
    /// How many bytes of a refused upgrade's body to read (for the server's message).
    pub max_error_body: usize,
    /// For servers that read the token only from the URL (Akkoma, Pleroma, Iceshrimp; see
    /// [`crate::dialect`]): the token, to go in the `access_token` query parameter of the
    /// URL actually requested ([`WsRequest::url_with_token`]). `url` never carries it.
    pub token_query: Option<crate::http::Token>,
}

impl WsRequest {
    /// The URL to request: `url`, plus the `access_token` query parameter when the server
    /// reads the token there. It holds the token: use it for the request, never log it.
    pub fn url_with_token(&self) -> String {
        let Some(token) = &self.token_query else {
            return self.url.clone();
        };
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let value =
            percent_encoding::utf8_percent_encode(token.expose(), crate::channel::QUERY_VALUE);
        format!("{}{sep}access_token={value}", self.url)
    }
}

impl fmt::Debug for WsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let v = if n.eq_ignore_ascii_case("authorization") {
                    "<redacted>"
                } else {
                    v
                };
                (n.as_str(), v)
            })
            .collect();
        f.debug_struct("WsRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("max_message", &self.max_message)
            .field("max_frame", &self.max_frame)
            .field(
                "token_query",
                &self.token_query.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// The longest wait a machine keeps: about a century. A longer delay (configured, or asked
/// for by a server) is cut to it, so that a delay a machine announces is the one it waits
/// and nothing a server sends can overflow time arithmetic.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(100 * 365 * 86_400);

/// A deadline `d` after `now`, `d` cut to [`MAX_WAIT`].
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d.min(MAX_WAIT)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate() {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        assert_eq!(
            after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        let far = after(now, Duration::MAX);
        assert_eq!(far, now + MAX_WAIT);
    }

    #[test]
    fn commands_apply_to_a_view_of_the_subscriptions() {
        let mut v = vec![Channel::User];
        Command::Subscribe(Channel::Direct).apply_to(&mut v);
        Command::Subscribe(Channel::User).apply_to(&mut v);
        assert_eq!(v, [Channel::User, Channel::Direct]);
        Command::Unsubscribe(Channel::User).apply_to(&mut v);
        Command::Close.apply_to(&mut v);
        assert_eq!(v, [Channel::Direct]);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let r = WsRequest {
            url: "wss://x/api/v1/streaming".into(),
            headers: vec![("Authorization".into(), "Bearer s3cr3t".into())],
            max_message: 1,
            max_frame: 1,
            max_error_body: 1,
            token_query: Some(crate::http::Token::new("s3cr3t+/=")),
        };
        assert!(!format!("{r:?}").contains("s3cr3t"));
        assert_eq!(
            r.url_with_token(),
            "wss://x/api/v1/streaming?access_token=s3cr3t%2B%2F%3D"
        );
        let t = Output::Transmit {
            transport: TransportId(1),
            data: Bytes::from_static(b"Authorization: Bearer s3cr3t"),
        };
        assert!(!format!("{t:?}").contains("s3cr3t"));
    }
}
