//! Everything a [`Session`](super::Session) is told before it starts.

use std::time::Duration;

use super::{Backoff, Timeline};
use crate::http::Token;
use crate::instance::Instance;
use crate::{Channel, Id, JsonBackend, Limits};

/// How a session reaches the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamTransport {
    /// Server-Sent Events over HTTP/1.1: one stream per connection.
    #[default]
    Sse,
    /// Mastodon's multiplexed WebSocket (`/api/v1/streaming`): every subscription on one
    /// connection, resubscribed after each reconnect.
    WebSocket,
}

impl std::fmt::Display for StreamTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamTransport::Sse => "SSE",
            StreamTransport::WebSocket => "WebSocket",
        })
    }
}

/// Timer lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting (TCP and TLS; for a WebSocket, the upgrade too). Default 10 s.
    pub connect: Duration,
    /// From request sent to response head, for a stream. Default 15 s.
    pub head: Duration,
    /// Silence on a live SSE stream (no byte, not even a heartbeat). Default 45 s: three
    /// of Mastodon's 15 s heartbeats.
    pub idle: Duration,
    /// A whole REST request, from connected to the end of the body. Default 30 s.
    pub request: Duration,
    /// Silence on a live WebSocket (no frame, not even a ping). Default 90 s: three of
    /// Mastodon's 30 s pings.
    pub ws_idle: Duration,
    /// How long a WebSocket close handshake may take before the connection is dropped.
    /// Default 1 s.
    pub close_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            head: Duration::from_secs(15),
            idle: Duration::from_secs(45),
            request: Duration::from_secs(30),
            ws_idle: Duration::from_secs(90),
            close_grace: Duration::from_secs(1),
        }
    }
}

/// Gap-free resume: what to fetch over REST after a reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatchUpConfig {
    /// Fetch what was missed after each reconnect. Default `true`.
    pub enabled: bool,
    /// On the first connection, fetch each timeline's newest id, so that a disconnect
    /// before any event arrives can still be caught up. Default `true`.
    pub anchor: bool,
    /// Items per page (`limit`). Default 40, Mastodon's maximum for timelines.
    pub page_size: u32,
    /// Pages per timeline per catch-up; past it, a [`Gap`](super::Gap) is reported.
    /// Default 10.
    pub max_pages: u32,
    /// Live events held back while catching up; past it, catch-up stops with a gap.
    /// Default 10,000.
    pub max_held: usize,
    /// The largest REST response body accepted. Default 8 MiB.
    pub max_body: usize,
    /// How many times one page is asked again after a `429` or `503` (waiting its
    /// `Retry-After`, capped) before the range is reported as a gap. Default 3.
    pub page_retries: u32,
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
            page_retries: 3,
        }
    }
}

/// Everything a [`Session`](super::Session) needs to know.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The instance (REST API base; also the streaming base unless `streaming` is set or
    /// discovered).
    pub instance: Instance,
    /// The streaming API base, when it differs (see [`parse_streaming_url`](super::parse_streaming_url)).
    pub streaming: Option<Instance>,
    /// Before the first connection, ask the instance what it runs (NodeInfo:
    /// `/.well-known/nodeinfo`, then its 2.1 or 2.0 document) unless `dialect` is set, and
    /// where it streams from (`/api/v2/instance`, then `/api/v1/instance`) unless
    /// `streaming` is set. When the instance names no streaming URL, or cannot be asked,
    /// the instance URL itself is used. Default `false` here; the clients turn it on.
    pub discover: bool,
    /// The streams. Over SSE, exactly one (the first; the others are ignored). Over a
    /// WebSocket, every subscription (none is fine: add them while the session runs).
    pub channels: Vec<Channel>,
    /// SSE or WebSocket to start with. Default SSE.
    pub transport: StreamTransport,
    /// Let the session change transport: to the WebSocket when the server has no SSE
    /// (GoToSocial, Akkoma, ... — see [`crate::dialect`]), refuses it (`404`, `400`, `501`,
    /// a page that is not an event stream, from software this version does not know), or
    /// when a second stream is subscribed; to SSE when a WebSocket upgrade is refused by a
    /// server that has SSE. Each change is an
    /// [`Item::TransportChosen`](super::Item::TransportChosen) saying why. Default `false`
    /// here (the transport is forced); the clients turn it on.
    pub choose_transport: bool,
    /// The server's dialect, when known (skips NodeInfo during discovery). Default `None`:
    /// learnt by discovery, else taken as Mastodon.
    pub dialect: Option<crate::Dialect>,
    /// The access token, sent as `Authorization: Bearer` to the instance's origin and the
    /// streaming origin only (never to a host a redirect points at). Redacted from `Debug`.
    pub token: Option<Token>,
    /// Parser limits.
    pub limits: Limits,
    /// Timers.
    pub timeouts: Timeouts,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// The longest wait a server may ask for (`Retry-After`, SSE `retry:`): a longer one is
    /// capped, and the [`Item::Reconnecting`](super::Item::Reconnecting) item says so.
    /// Default 15 minutes. Whatever it is set to, no wait is longer than about a century
    /// (the longest a session keeps): a server asking for more is capped at that.
    pub max_server_delay: Duration,
    /// A stream that stayed up this long resets the backoff. Default 60 s.
    pub healthy_after: Duration,
    /// Redirects followed in a row before giving up. Default 5.
    pub max_redirects: u32,
    /// Catch-up after reconnects.
    pub catch_up: CatchUpConfig,
    /// Where the application already is in each timeline (the newest id it has): the first
    /// connection then catches up from there over REST, as after a reconnect, instead of
    /// starting live. Used to resume after a restart (a stored cursor), or to start from a
    /// known id. Timelines not listed start live.
    pub resume: Vec<(Timeline, Id)>,
    /// Deliver heartbeat comments as [`Event::Heartbeat`](crate::Event::Heartbeat).
    /// Default `true`.
    pub heartbeats: bool,
    /// The JSON parser for payloads.
    pub json: JsonBackend,
    /// Seed for backoff jitter (clients seed it randomly; tests fix it).
    pub seed: u64,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl SessionConfig {
    /// A configuration with defaults for one SSE stream, `channel`, on `instance`, without
    /// a token.
    pub fn new(instance: Instance, channel: Channel) -> Self {
        SessionConfig {
            instance,
            streaming: None,
            discover: false,
            channels: vec![channel],
            transport: StreamTransport::Sse,
            choose_transport: false,
            dialect: None,
            token: None,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            backoff: Backoff::default(),
            max_server_delay: Duration::from_secs(15 * 60),
            healthy_after: Duration::from_secs(60),
            max_redirects: 5,
            catch_up: CatchUpConfig::default(),
            resume: Vec::new(),
            heartbeats: true,
            json: JsonBackend::default(),
            seed: 0x6d61_7374_6f64_6f6e,
            user_agent: crate::http::USER_AGENT.to_owned(),
        }
    }

    /// A configuration for Mastodon's multiplexed WebSocket, subscribed to `channels`
    /// (possibly none).
    pub fn websocket(instance: Instance, channels: impl IntoIterator<Item = Channel>) -> Self {
        let mut cfg = SessionConfig::new(instance, Channel::User);
        cfg.transport = StreamTransport::WebSocket;
        cfg.channels.clear();
        for c in channels {
            if !cfg.channels.contains(&c) {
                cfg.channels.push(c);
            }
        }
        cfg
    }

    /// The SSE stream (the first channel), if there is one.
    pub fn channel(&self) -> Option<&Channel> {
        self.channels.first()
    }

    /// Sets the access token.
    #[must_use]
    pub fn token(mut self, token: impl Into<Option<Token>>) -> Self {
        self.token = token.into();
        self
    }

    /// Sets the streaming base URL.
    #[must_use]
    pub fn streaming(mut self, streaming: Option<Instance>) -> Self {
        self.streaming = streaming;
        self
    }

    /// Sets the backoff jitter seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Starts `timeline` from `id` (see [`resume`](SessionConfig::resume)).
    #[must_use]
    pub fn resume_from(mut self, timeline: Timeline, id: impl Into<Id>) -> Self {
        let id = id.into();
        match self.resume.iter_mut().find(|(t, _)| *t == timeline) {
            Some(slot) => slot.1 = id,
            None => self.resume.push((timeline, id)),
        }
        self
    }
}
