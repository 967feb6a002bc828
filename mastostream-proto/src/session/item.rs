//! What a session hands the application: [`Item`]s.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use super::{Server, StreamTransport, Timeline};
use crate::{Channel, Error, Event, Id};

/// An event from a stream, whether it arrived live or was recovered over REST after a
/// reconnect, with the stream it belongs to: one shape, so a program matches once.
///
/// ```
/// use mastostream_proto::session::{Item, StreamEvent};
/// use mastostream_proto::{Channel, Event};
///
/// # let item = Item::Event(StreamEvent::live(Event::Delete("7".into()), Some(Channel::User)));
/// if let Item::Event(StreamEvent { event: Event::Delete(id), recovered, .. }) = &item {
///     assert_eq!((id.as_str(), *recovered), ("7", false));
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamEvent {
    /// The event.
    pub event: Event,
    /// The stream it came from: the SSE stream's channel; the stream a WebSocket message
    /// named ([`Channel::Other`] for a name this version does not know; `None` when the
    /// message named none); for a recovered event, the subscribed stream whose timeline
    /// held it.
    pub channel: Option<Channel>,
    /// Fetched over REST after a reconnect: it happened while the stream was down.
    /// Recovered events arrive oldest first, before the live events that followed.
    pub recovered: bool,
    /// The payload exactly as the server sent it: the SSE `data`, the WebSocket payload
    /// (unwrapped from its JSON string), or the item of a REST page. A slice of what was
    /// read, not a copy; for relaying events with every field the server wrote.
    pub data: Bytes,
    /// Where this event moves its timeline's position: the timeline and the event's id in
    /// it (statuses, notifications, conversations). Everything in that timeline up to this
    /// id has been delivered: store it, and resume from it after a restart with
    /// [`SessionConfig::resume_from`](super::SessionConfig::resume_from).
    pub cursor: Option<(Timeline, Id)>,
}

impl StreamEvent {
    /// A live event from `channel`.
    pub fn live(event: Event, channel: Option<Channel>) -> StreamEvent {
        StreamEvent {
            event,
            channel,
            recovered: false,
            data: Bytes::new(),
            cursor: None,
        }
    }

    /// An event recovered over REST for `channel`.
    pub fn recovered(event: Event, channel: Option<Channel>) -> StreamEvent {
        StreamEvent {
            event,
            channel,
            recovered: true,
            data: Bytes::new(),
            cursor: None,
        }
    }
}

/// What a session hands to the application.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Item {
    /// An event, live or recovered (heartbeats included when enabled).
    Event(StreamEvent),
    /// The WebSocket server reported an error, typically a refused subscription.
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
        /// The server's message (bounded, control characters escaped).
        error: String,
        /// Whether the session dropped that subscription (a refusal with a 4xx status is
        /// not sent again after reconnects).
        dropped: bool,
    },
    /// Where the stream is served from, learnt before the first connection (see
    /// [`SessionConfig::discover`](super::SessionConfig::discover)).
    Discovered(Server),
    /// The session chose a transport, or moved to the other one: which, and why (the
    /// server has no SSE, refused one transport, or several streams now share one
    /// WebSocket). See [`SessionConfig::choose_transport`](super::SessionConfig::choose_transport).
    TransportChosen {
        /// The transport from now on.
        transport: StreamTransport,
        /// Why, in words fit for a log line.
        reason: String,
    },
    /// The stream is live (the server answered `200 text/event-stream`, or the WebSocket
    /// upgrade succeeded).
    Connected {
        /// The stream's URL (`https://…/api/v1/streaming/…` for SSE, `wss://…` for a
        /// WebSocket; it never contains the token).
        url: String,
        /// Which transport.
        transport: StreamTransport,
    },
    /// A live stream was lost; the session will reconnect (see [`Item::Reconnecting`])
    /// unless the error is fatal.
    Disconnected {
        /// Why.
        error: Error,
    },
    /// Waiting before the next connection attempt. Its `error` says why, in words fit for
    /// a log line (`503 Service Unavailable (Retry-After 30 s)`, `no response head after
    /// 15 s`, `not an event stream (Content-Type text/html)`, ...).
    Reconnecting {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// How long the session waits.
        delay: Duration,
        /// The failure that led here.
        error: Error,
        /// The server asked for a longer wait than
        /// [`SessionConfig::max_server_delay`](super::SessionConfig::max_server_delay)
        /// (`Retry-After`, or an SSE `retry:` field), or than about a century (the longest
        /// wait a session keeps): what it asked for. `delay` is the cap.
        capped: Option<Duration>,
    },
    /// Catch-up for one timeline finished; every missed item it holds was delivered
    /// (recovered).
    CaughtUp {
        /// The timeline.
        timeline: Timeline,
        /// How many items were recovered.
        recovered: usize,
    },
    /// Items may be missing: catch-up could not cover this range.
    Gap(Gap),
}

impl Item {
    /// The event, if this item is one (live or recovered).
    pub fn event(&self) -> Option<&Event> {
        match self {
            Item::Event(e) => Some(&e.event),
            _ => None,
        }
    }

    /// The event, if this item is one.
    pub fn into_event(self) -> Option<Event> {
        match self {
            Item::Event(e) => Some(e.event),
            _ => None,
        }
    }

    /// Whether this is a recovered event.
    pub fn is_recovered(&self) -> bool {
        matches!(self, Item::Event(e) if e.recovered)
    }
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
    /// More pages were missed than [`CatchUpConfig::max_pages`](super::CatchUpConfig)
    /// allows fetching.
    PageCap,
    /// A catch-up request failed (the error's text).
    FetchFailed(String),
    /// The live stream outran catch-up: more events were held than
    /// [`CatchUpConfig::max_held`](super::CatchUpConfig).
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
