//! The reconnecting, catching-up streaming client as pure state: [`Session`].
//!
//! A session is driven by an adapter (or a test) through the [`Machine`] interface. It asks
//! the adapter to open transports ([`Output::Connect`]), write bytes
//! ([`Output::Transmit`]) and close them ([`Output::Close`]); it hands the application
//! [`Item`]s; and it says when it next needs [`Machine::handle_timeout`]
//! ([`Machine::poll_timeout`]). It never reads a clock: every input carries `now`.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use bytes::Bytes;
//! use mastostream_proto::session::{Instance, Machine, Output, Session, SessionConfig};
//! use mastostream_proto::{Channel, Event};
//! use mastostream_proto::session::Item;
//!
//! # #[allow(clippy::disallowed_methods)] let t0 = Instant::now();
//! let mut config = SessionConfig::new(Instance::parse("http://127.0.0.1:4000").unwrap(), Channel::User);
//! config.catch_up.enabled = false; // no REST requests in this example
//! let mut session = Session::new(config, t0, SystemTime::UNIX_EPOCH);
//! let Some(Output::Connect { transport, target }) = session.poll() else { panic!() };
//! assert_eq!((target.host.as_str(), target.port, target.tls), ("127.0.0.1", 4000, false));
//!
//! session.handle_connected(transport, t0);
//! let Some(Output::Transmit { data, .. }) = session.poll() else { panic!() };
//! assert!(data.starts_with(b"GET /api/v1/streaming/user HTTP/1.1\r\n"));
//!
//! session.handle_data(transport, Bytes::from_static(
//!     b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
//!       :)\nevent: delete\ndata: 110988741790818968\n\n"), t0);
//! let mut items = Vec::new();
//! while let Some(out) = session.poll() {
//!     if let Output::Item(item) = out { items.push(item) }
//! }
//! assert!(matches!(items[0], Item::Connected { .. }));
//! assert!(matches!(&items[1], Item::Event(Event::Heartbeat(_))));
//! assert!(matches!(&items[2], Item::Event(Event::Delete(id)) if id == "110988741790818968"));
//! // With no heartbeat for 45 s, the session gives up on the connection and reconnects.
//! assert_eq!(session.poll_timeout(), Some(t0 + Duration::from_secs(45)));
//! ```

mod backoff;
mod catchup;
mod fetch;
mod instance;
mod recover;
mod rest;
mod stream;
mod timeline;
mod transport;
mod websocket;

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use backoff::{Backoff, Rng};
pub use fetch::{OneShot, parse_health, parse_streaming_url};
pub use instance::{Instance, Target, UrlError};
pub use rest::Response;
pub use stream::Session;
pub use timeline::Timeline;

use crate::{Channel, Error, Event, Id, JsonBackend, Limits, http::Token};

/// Identifies one transport (one connection carrying one request) of a machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransportId(pub u64);

impl fmt::Display for TransportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A transport failure as the adapter saw it: the I/O error's kind and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// The `std::io::ErrorKind` of the failure.
    pub kind: std::io::ErrorKind,
    /// A description (DNS, TLS and socket errors' text). Never contains the token: proto
    /// never gives it to the adapter except inside request bytes.
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

/// What a machine asks of its adapter, or hands to the application.
///
/// Its `Debug` output shows a transmit's length, never its bytes (they hold the token).
pub enum Output {
    /// Open a connection (TCP, then TLS when `target.tls`), then call
    /// [`Machine::handle_connected`] or [`Machine::handle_connect_failed`].
    Connect {
        /// The transport's id, for every later call about it.
        transport: TransportId,
        /// Where to connect.
        target: Target,
    },
    /// Open a WebSocket (TCP, TLS when `target.tls`, then the HTTP upgrade described by
    /// `request`), then call [`Machine::handle_connected`] once the upgrade succeeded,
    /// [`Session::handle_ws_rejected`] when the server answered the upgrade with an HTTP
    /// error, or [`Machine::handle_connect_failed`].
    ConnectWebSocket {
        /// The transport's id.
        transport: TransportId,
        /// Where to connect.
        target: Target,
        /// The upgrade request.
        request: WsRequest,
    },
    /// Send this text message on the WebSocket transport.
    SendText {
        /// The transport.
        transport: TransportId,
        /// The message (a subscribe or unsubscribe request).
        text: String,
    },
    /// Write these bytes to the transport.
    Transmit {
        /// The transport.
        transport: TransportId,
        /// The bytes (a request head). Contains the access token: never log it.
        data: Bytes,
    },
    /// Close the transport and forget it; later input about it is ignored.
    Close {
        /// The transport.
        transport: TransportId,
    },
    /// Something for the application.
    Item(Item),
    /// The machine is done: closed on request (`Ok`), or stopped by an error that retrying
    /// cannot fix. Nothing follows.
    Finished(Result<(), Error>),
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
            Output::SendText { transport, text } => f
                .debug_struct("SendText")
                .field("transport", transport)
                .field("text", text)
                .finish(),
            Output::Transmit { transport, data } => f
                .debug_struct("Transmit")
                .field("transport", transport)
                .field("len", &data.len())
                .finish_non_exhaustive(),
            Output::Close { transport } => f
                .debug_struct("Close")
                .field("transport", transport)
                .finish(),
            Output::Item(item) => f.debug_tuple("Item").field(item).finish(),
            Output::Finished(result) => f.debug_tuple("Finished").field(result).finish(),
        }
    }
}

/// What a session hands to the application.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Item {
    /// An event from the live stream (heartbeats included when enabled).
    Event(Event),
    /// An event fetched over REST after a reconnect: it happened while the stream was
    /// down. Recovered events arrive oldest first, before the live events that followed.
    Recovered(Event),
    /// A live event from a WebSocket subscription, with the stream it came from.
    StreamEvent {
        /// The stream as the server named it (`["hashtag", "rust"]`).
        stream: Vec<String>,
        /// The same stream as a [`Channel`] (`None` for a name this version does not know).
        channel: Option<Channel>,
        /// The event.
        event: Event,
    },
    /// The WebSocket server reported an error, typically a refused subscription (a
    /// refused subscription is dropped, not retried).
    StreamError {
        /// The subscription the error most likely answers. Mastodon's error messages name
        /// no stream, so this is a subscription sent within the last 10 s and not yet
        /// confirmed by an event: for a message about a list (`Not authorized to stream
        /// this list`) or a tag (`Missing tag name parameter`) the oldest such list or
        /// hashtag subscription, otherwise the oldest such subscription; `None` if none
        /// fits.
        channel: Option<Channel>,
        /// The HTTP-like status the server gave.
        status: Option<u16>,
        /// The server's message.
        error: String,
    },
    /// The stream is live (the server answered `200 text/event-stream`, or the WebSocket
    /// upgrade succeeded).
    Connected {
        /// The stream's URL (`https://…/api/v1/streaming/…` for SSE, `wss://…` for a
        /// WebSocket; it never contains the token).
        url: String,
    },
    /// A live stream was lost; the session will reconnect (see [`Item::Reconnecting`])
    /// unless the error is fatal.
    Disconnected {
        /// Why.
        error: Error,
    },
    /// Waiting before the next connection attempt.
    Reconnecting {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// How long the session waits.
        delay: Duration,
        /// The failure that led here.
        error: Error,
    },
    /// Catch-up for one timeline finished; every missed item it holds was delivered as
    /// [`Item::Recovered`].
    CaughtUp {
        /// The timeline.
        timeline: Timeline,
        /// How many items were recovered.
        recovered: usize,
    },
    /// Items may be missing: catch-up could not cover this range.
    Gap(Gap),
}

/// The HTTP upgrade request for a WebSocket transport. Its `Debug` output redacts the
/// token.
#[derive(Clone, PartialEq, Eq)]
pub struct WsRequest {
    /// The URL to open (`wss://host/api/v1/streaming`); it never contains the token.
    pub url: String,
    /// Headers to send with the upgrade (`Authorization: Bearer …` when there is a token,
    /// `User-Agent`).
    pub headers: Vec<(String, String)>,
    /// The largest message (and frame) to accept, in bytes: twice
    /// [`Limits::max_event`](crate::Limits::max_event), room for the envelope and the
    /// escaping of a payload encoded twice. A larger message is a transport error.
    pub max_message: usize,
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
            .finish()
    }
}

/// How a session reaches the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamTransport {
    /// Server-Sent Events over HTTP/1.1: one stream per connection.
    #[default]
    Sse,
    /// Mastodon's multiplexed WebSocket (`/api/v1/streaming`): every subscription on one
    /// connection, resubscribed after each reconnect.
    WebSocket,
}

/// A range of a timeline that may hold items the application never received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// Which timeline.
    pub timeline: Timeline,
    /// Items newer than this id may be missing (`None`: since before the session began).
    pub after: Option<Id>,
    /// Items older than this id may be missing (`None`: up to the live stream).
    pub before: Option<Id>,
    /// Why catch-up could not close the gap.
    pub reason: GapReason,
}

/// Why a [`Gap`] remains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapReason {
    /// More pages were missed than [`CatchUpConfig::max_pages`] allows fetching.
    PageCap,
    /// A catch-up request failed (the error's text).
    FetchFailed(String),
    /// The live stream outran catch-up: more events were held than
    /// [`CatchUpConfig::max_held`].
    HeldOverflow,
    /// Nothing was known about the timeline before the disconnect (no item seen, and no
    /// anchor fetched), so what was missed cannot be told.
    NoAnchor,
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GapReason::PageCap => f.write_str("page cap reached"),
            GapReason::FetchFailed(e) => write!(f, "catch-up request failed: {e}"),
            GapReason::HeldOverflow => f.write_str("too many live events held during catch-up"),
            GapReason::NoAnchor => f.write_str("no known position in the timeline"),
        }
    }
}

/// Timer lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (TCP and TLS). Default 10 s.
    pub connect: Duration,
    /// From request sent to response head, for a stream. Default 15 s.
    pub head: Duration,
    /// Silence on a live stream (no byte, not even a heartbeat). Default 45 s: three of
    /// Mastodon's 15 s heartbeats.
    pub idle: Duration,
    /// A whole REST request, from connected to the end of the body. Default 30 s.
    pub request: Duration,
    /// Silence on a live WebSocket (no frame, not even a ping). Default 90 s: three of
    /// Mastodon's 30 s pings.
    pub ws_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            head: Duration::from_secs(15),
            idle: Duration::from_secs(45),
            request: Duration::from_secs(30),
            ws_idle: Duration::from_secs(90),
        }
    }
}

/// Gap-free resume: what to fetch over REST after a reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatchUpConfig {
    /// Fetch what was missed after each reconnect. Default `true`.
    pub enabled: bool,
    /// On the first connection, fetch each timeline's newest id, so that a disconnect
    /// before any event arrives can still be caught up. Default `true`.
    pub anchor: bool,
    /// Items per page (`limit`). Default 40, Mastodon's maximum for timelines.
    pub page_size: u32,
    /// Pages per timeline per catch-up; past it, a [`Gap`] is reported. Default 10.
    pub max_pages: u32,
    /// Live events held back while catching up; past it, catch-up stops with a [`Gap`].
    /// Default 10,000.
    pub max_held: usize,
    /// The largest REST response body accepted. Default 8 MiB.
    pub max_body: usize,
}

impl Default for CatchUpConfig {
    fn default() -> Self {
        CatchUpConfig {
            enabled: true,
            anchor: true,
            page_size: 40,
            max_pages: 10,
            max_held: 10_000,
            max_body: 8 << 20,
        }
    }
}

/// Everything a [`Session`] needs to know.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The instance (REST API base; also the streaming base unless `streaming` is set).
    pub instance: Instance,
    /// The streaming API base, when it differs (see [`parse_streaming_url`]).
    pub streaming: Option<Instance>,
    /// Which stream (over a WebSocket: the first subscription).
    pub channel: Channel,
    /// SSE or WebSocket. Default SSE.
    pub transport: StreamTransport,
    /// Over a WebSocket: more subscriptions besides `channel` (more can be added while the
    /// session runs, with [`Session::subscribe`]).
    pub subscriptions: Vec<Channel>,
    /// The access token, sent as `Authorization: Bearer`. Redacted from `Debug`.
    pub token: Option<Token>,
    /// Parser limits.
    pub limits: Limits,
    /// Timers.
    pub timeouts: Timeouts,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// A stream that stayed up this long resets the backoff. Default 60 s.
    pub healthy_after: Duration,
    /// Redirects followed in a row before giving up. Default 5.
    pub max_redirects: u32,
    /// Catch-up after reconnects.
    pub catch_up: CatchUpConfig,
    /// Deliver heartbeat comments as [`Event::Heartbeat`]. Default `true`.
    pub heartbeats: bool,
    /// The JSON parser for payloads.
    pub json: JsonBackend,
    /// Seed for backoff jitter (adapters seed it randomly; tests fix it).
    pub seed: u64,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl SessionConfig {
    /// A configuration with defaults for `channel` on `instance`, without a token.
    pub fn new(instance: Instance, channel: Channel) -> Self {
        SessionConfig {
            instance,
            streaming: None,
            channel,
            transport: StreamTransport::Sse,
            subscriptions: Vec::new(),
            token: None,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            backoff: Backoff::default(),
            healthy_after: Duration::from_secs(60),
            max_redirects: 5,
            catch_up: CatchUpConfig::default(),
            heartbeats: true,
            json: JsonBackend::default(),
            seed: 0x6d61_7374_6f64_6f6e,
            user_agent: crate::http::USER_AGENT.to_owned(),
        }
    }

    /// A configuration for Mastodon's multiplexed WebSocket, subscribed to `channels` (at
    /// least one).
    pub fn websocket(instance: Instance, channel: Channel, more: Vec<Channel>) -> Self {
        let mut cfg = SessionConfig::new(instance, channel);
        cfg.transport = StreamTransport::WebSocket;
        cfg.subscriptions = more;
        cfg
    }

    /// Sets the access token.
    pub fn token(mut self, token: impl Into<Option<Token>>) -> Self {
        self.token = token.into();
        self
    }

    /// Sets the streaming base URL.
    pub fn streaming(mut self, streaming: Option<Instance>) -> Self {
        self.streaming = streaming;
        self
    }

    /// Sets the backoff jitter seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// The sans-IO interface every machine offers its adapter.
///
/// After any `handle_*` call, drain [`poll`](Machine::poll) until it returns `None`, then
/// sleep until [`poll_timeout`](Machine::poll_timeout) (or the next I/O) and call
/// [`handle_timeout`](Machine::handle_timeout). Input about a transport the machine closed
/// is ignored. Time never goes backwards: an earlier `now` than seen before counts as the
/// latest seen.
pub trait Machine {
    /// The transport is connected (TCP, and TLS when asked).
    fn handle_connected(&mut self, transport: TransportId, now: Instant);
    /// Connecting failed. By default the same as
    /// [`handle_io_error`](Machine::handle_io_error): the machine knows the transport was
    /// still connecting.
    fn handle_connect_failed(
        &mut self,
        transport: TransportId,
        error: TransportError,
        now: Instant,
    ) {
        self.handle_io_error(transport, error, now);
    }
    /// Bytes were read from the transport.
    fn handle_data(&mut self, transport: TransportId, data: Bytes, now: Instant);
    /// The peer closed the transport.
    fn handle_eof(&mut self, transport: TransportId, now: Instant);
    /// Reading or writing failed.
    fn handle_io_error(&mut self, transport: TransportId, error: TransportError, now: Instant);
    /// Time passed; call at (or after) [`poll_timeout`](Machine::poll_timeout). Early calls
    /// are harmless.
    fn handle_timeout(&mut self, now: Instant);
    /// The application wants to stop: close everything and finish.
    fn close(&mut self, now: Instant);
    /// The next thing to do.
    #[must_use]
    fn poll(&mut self) -> Option<Output>;
    /// When [`handle_timeout`](Machine::handle_timeout) is next needed.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether the machine finished (its last output was [`Output::Finished`]).
    fn is_finished(&self) -> bool;
}
