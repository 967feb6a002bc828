//! The reconnecting, catching-up streaming client as pure state: [`Session`].
//!
//! A session is driven through the [`Machine`] interface, in the style of str0m: one
//! input method, [`Machine::handle_input`], taking an [`Input`] and the time it happened;
//! one output method, [`Machine::poll_output`], drained after every input until it says
//! [`Output::Wait`] (with the deadline at which to hand in [`Input::Timeout`]). The
//! outputs ask the driver to open transports ([`Output::Connect`],
//! [`Output::ConnectWebSocket`]), write ([`Output::Transmit`], [`Output::SendText`]) and
//! close them ([`Output::Close`]); they hand the application [`Item`]s; and they end with
//! [`Output::Finished`]. A session never reads a clock: every input carries `now`.
//!
//! One input surface and one output queue ending in a wait make the driver's loop as
//! short as it can be: *take an output; act on it; when it says wait, wait for the first
//! of an input or the deadline and hand that in.* Everything else — which URL, which
//! headers, when a connection is dead, what an error means, how long to back off, what to
//! subscribe, when a close handshake has taken long enough — is decided here.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use bytes::Bytes;
//! use mastostream_proto::session::{Input, Instance, Item, Machine, Output, Session, SessionConfig};
//! use mastostream_proto::{Channel, Event};
//!
//! # #[allow(clippy::disallowed_methods)] let t0 = Instant::now();
//! let mut config = SessionConfig::new(Instance::parse("http://127.0.0.1:4000").unwrap(), Channel::User);
//! config.catch_up.enabled = false; // no REST requests in this example
//! let mut session = Session::new(config, t0, SystemTime::UNIX_EPOCH);
//! let Output::Connect { transport, target } = session.poll_output() else { panic!() };
//! assert_eq!((target.host.as_str(), target.port, target.tls), ("127.0.0.1", 4000, false));
//!
//! session.handle_input(Input::Connected(transport), t0);
//! let Output::Transmit { data, .. } = session.poll_output() else { panic!() };
//! assert!(data.starts_with(b"GET /api/v1/streaming/user HTTP/1.1\r\n"));
//!
//! let wire = Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
//!       :)\nevent: delete\ndata: 110988741790818968\n\n");
//! session.handle_input(Input::Data(transport, wire), t0);
//! let mut items = Vec::new();
//! let deadline = loop {
//!     match session.poll_output() {
//!         Output::Item(item) => items.push(item),
//!         Output::Wait { deadline } => break deadline,
//!         _ => {}
//!     }
//! };
//! assert!(matches!(items[0], Item::Connected { .. }));
//! assert!(matches!(items[1].event(), Some(Event::Heartbeat(_))));
//! assert!(matches!(items[2].event(), Some(Event::Delete(id)) if id == "110988741790818968"));
//! // With no heartbeat for 45 s, the session gives up on the connection and reconnects.
//! assert_eq!(deadline, Some(t0 + Duration::from_secs(45)));
//! ```

mod attribute;
mod backoff;
mod catchup;
mod config;
mod discover;
mod fetch;
mod health;
mod io;
mod item;
mod live;
mod machine;
mod reconnect;
mod recover;
mod rest;
mod timeline;
mod transport;
mod websocket;

use std::time::Instant;

pub use backoff::{Backoff, Rng};
pub use config::{CatchUpConfig, SessionConfig, StreamTransport, Timeouts};
pub use discover::{Server, ServerSource, parse_streaming_url};
pub use fetch::{OneShot, parse_health};
pub use health::{HealthCheck, HealthReport};
pub use io::{Close, Command, Input, Output, TransportError, TransportId, WsRequest};
pub use item::{Gap, GapReason, Item, StreamEvent};
pub use machine::Session;
pub use rest::Response;
pub use timeline::Timeline;

use crate::Channel;
pub use crate::instance::{Instance, Target, UrlError};

/// What a handle shows of a running machine: whether it is live, and what it is
/// subscribed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Connected, and hearing from the server within its idle timeout.
    pub live: bool,
    /// The subscribed streams (for SSE, the one stream).
    pub subscriptions: Vec<Channel>,
}

impl Status {
    /// A status: live or not, with these subscriptions.
    pub fn new(live: bool, subscriptions: Vec<Channel>) -> Status {
        Status {
            live,
            subscriptions,
        }
    }
}

/// The sans-IO interface every machine offers its driver.
///
/// After any [`handle_input`](Machine::handle_input), drain
/// [`poll_output`](Machine::poll_output) until it returns [`Output::Wait`]; then wait for
/// the next input or the deadline, whichever comes first (at the deadline, the input is
/// [`Input::Timeout`]). Input about a transport the machine closed is ignored. Time never
/// goes backwards: an earlier `now` than seen before counts as the latest seen.
pub trait Machine {
    /// Something happened at `now` (for bytes: when they were read).
    fn handle_input(&mut self, input: Input, now: Instant);
    /// The next thing to do; [`Output::Wait`] when there is nothing until the next input.
    #[must_use]
    fn poll_output(&mut self) -> Output;
    /// Whether the machine finished (it handed out [`Output::Finished`]).
    fn is_finished(&self) -> bool;
    /// What a handle shows, when it changed since the last call (`None`: unchanged, or
    /// nothing to show).
    fn take_status(&mut self) -> Option<Status> {
        None
    }
}
