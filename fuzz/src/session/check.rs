//! The driver's view of a session under test, and the checks on everything it outputs:
//! transports and their lifecycle, the token's destinations, items, reconnect delays.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mastostream_proto::instance::Target;
use mastostream_proto::session::{
    Close, Item, Machine, Output, Session, SessionConfig, StreamTransport, TransportId,
};
use mastostream_proto::{Decoder, ErrorKind, Event, Frame};

use super::input::{Setup, TOKEN};
use crate::values::retry_after_asks;

/// What a transport carries, as the checker tells them apart: a stream transport is
/// opened whenever no stream transport is open (and discovery is over); every other plain
/// transport is a REST request. Their requests confirm it (`Accept`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Stream,
    Rest,
    WebSocket,
}

/// One transport the session asked for.
pub(super) struct Transport {
    pub(super) id: TransportId,
    pub(super) kind: Kind,
    target: Target,
    connected: bool,
    transmitted: bool,
    /// When the session asked for a close handshake.
    handshake: Option<Instant>,
    /// The session asked to close it now: input about it is ignored from here on.
    pub(super) closed: bool,
    /// For an SSE stream, a decoder fed the same bytes as the session's: what `retry:` the
    /// server sent. Dropped once it ends (as the session stops reading then).
    mirror: Option<Decoder>,
}

impl Transport {
    fn close_asked(&self) -> bool {
        self.closed || self.handshake.is_some()
    }
}

/// The longest wait a session keeps (about a century; `max_server_delay` documents it):
/// longer delays, configured or asked for, are cut to it.
const LONGEST_WAIT: Duration = Duration::from_secs(100 * 365 * 86_400);

/// An id the session never hands out (it counts up from 1).
pub(super) const NEVER_OPENED: TransportId = TransportId(u64::MAX / 2);

/// What a run saw (for tests of the harness itself).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Transports the session asked for.
    pub transports: usize,
    /// `Transmit` and `SendText` outputs.
    pub sent: usize,
    /// Items handed to the application.
    pub items: usize,
    /// Of those, events (live or recovered).
    pub events: usize,
    /// `Reconnecting` items, and of those, how many were capped.
    pub reconnects: (usize, usize),
    /// Whether the session finished.
    pub finished: bool,
}

/// The checker: the driver's view of the session, and the session's promises.
pub(super) struct Checker<'a> {
    setup: &'a Setup,
    cfg: SessionConfig,
    t0: Instant,
    wall0: SystemTime,
    /// The latest time handed in.
    pub(super) now: Instant,
    pub(super) transports: Vec<Transport>,
    /// The latest stream transport.
    stream: Option<TransportId>,
    discovering: bool,
    /// Where the token may go: the instance, and the streaming server it names.
    trusted: Vec<Target>,
    /// The latest `retry:` the server sent on a stream.
    server_retry: Option<Duration>,
    /// After a `Reconnecting`: no stream connect before this (`None`: never, the delay
    /// being beyond any representable instant).
    reconnect_at: Option<Option<Instant>>,
    /// When the application asked the session to close.
    close_asked: Option<Instant>,
    pub(super) finished: bool,
    pub(super) summary: Summary,
    /// Print every output (`SESSION_TRACE` set, for `session_seeds --show`).
    pub(super) trace: bool,
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        setup: &'a Setup,
        cfg: SessionConfig,
        t0: Instant,
        wall0: SystemTime,
    ) -> Self {
        let trusted = vec![cfg.instance.target()];
        Checker {
            setup,
            discovering: cfg.discover,
            cfg,
            t0,
            wall0,
            now: t0,
            transports: Vec::new(),
            stream: None,
            trusted,
            server_retry: None,
            reconnect_at: None,
            close_asked: None,
            finished: false,
            summary: Summary::default(),
            trace: std::env::var_os("SESSION_TRACE").is_some(),
        }
    }

    /// The wall clock now, as the session computes it.
    pub(super) fn wall(&self) -> SystemTime {
        self.wall0 + self.now.saturating_duration_since(self.t0)
    }

    pub(super) fn get(&self, t: TransportId) -> Option<&Transport> {
        self.transports.iter().find(|x| x.id == t)
    }

    fn get_mut(&mut self, t: TransportId) -> &mut Transport {
        let i = self.transports.iter().position(|x| x.id == t);
        &mut self.transports[i.unwrap_or_else(|| panic!("unknown transport {t}"))]
    }

    /// The `p`-th newest transport (`255`: one never opened).
    pub(super) fn pick(&self, p: u8) -> Option<TransportId> {
        if p == 255 {
            return Some(NEVER_OPENED);
        }
        let n = self.transports.len();
        (n > 0).then(|| self.transports[n - 1 - usize::from(p) % n].id)
    }

    /// Whether the session must ignore input about `t`.
    pub(super) fn ignores(&self, t: TransportId) -> bool {
        self.get(t).is_none_or(|x| x.closed)
    }

    /// The application asks the session to close: no reconnect is pending any more.
    pub(super) fn close_command(&mut self) {
        self.close_asked.get_or_insert(self.now);
        self.reconnect_at = None;
    }

    /// Whether `t` is in its close handshake.
    pub(super) fn in_handshake(&self, t: TransportId) -> bool {
        self.get(t)
            .is_some_and(|x| x.handshake.is_some() && !x.closed)
    }

    pub(super) fn connected(&mut self, t: TransportId) {
        if !self.ignores(t) {
            self.get_mut(t).connected = true;
        }
    }

    /// Feeds an SSE stream's mirror what the session's decoder gets (`None`: the end),
    /// and notes the `retry:` values it reads.
    pub(super) fn mirror(&mut self, t: TransportId, data: Option<&Bytes>) {
        if self.ignores(t) {
            return;
        }
        let x = self.get_mut(t);
        let Some(d) = &mut x.mirror else { return };
        match data {
            Some(data) => d.feed(data.clone()),
            None => d.feed_eof(),
        }
        let mut retry = None;
        let mut over = false;
        while let Some(frame) = d.poll() {
            match frame {
                Ok(Frame::Retry(ms)) => retry = Some(Duration::from_millis(ms)),
                Ok(Frame::End) | Err(_) => over = true,
                Ok(_) => {}
            }
        }
        if over {
            x.mirror = None;
        }
        if retry.is_some() {
            self.server_retry = retry;
        }
    }

    /// Drains the session's outputs to `Wait`, checking each. Returns how many outputs
    /// there were other than the closing of `about` and `Finished`, and the deadline.
    pub(super) fn drain(
        &mut self,
        s: &mut Session,
        about: Option<TransportId>,
    ) -> (usize, Option<Instant>) {
        let mut others = 0;
        loop {
            let out = s.poll_output();
            if self.trace {
                eprintln!("  {:>12?} {out:?}", self.now - self.t0);
            }
            if let Output::Wait { deadline } = out {
                return (others, deadline);
            }
            assert!(!self.finished, "output after Finished: {out:?}");
            match &out {
                Output::Close { transport, how } if Some(*transport) == about => {
                    assert_eq!(*how, Close::Now, "{out:?} about a closing transport");
                }
                Output::Finished(_) => {}
                _ => others += 1,
            }
            self.output(out);
        }
    }

    fn output(&mut self, out: Output) {
        match out {
            Output::Connect { transport, target } => {
                let stream_open = self
                    .stream
                    .and_then(|t| self.get(t))
                    .is_some_and(|x| !x.close_asked());
                let kind = if self.discovering || stream_open || self.setup.websocket {
                    Kind::Rest
                } else {
                    Kind::Stream
                };
                self.opened(transport, kind, target);
            }
            Output::ConnectWebSocket {
                transport,
                target,
                request,
            } => {
                assert!(self.setup.websocket, "a WebSocket from an SSE session");
                assert!(!request.url.contains(TOKEN), "token in {}", request.url);
                let auth = request.headers.iter().any(|(_, v)| v.contains(TOKEN));
                if auth {
                    self.token_may_go_to(&target);
                }
                self.opened(transport, Kind::WebSocket, target);
            }
            Output::Transmit { transport, data } => {
                let x = self.usable(transport, "Transmit");
                assert_ne!(x.kind, Kind::WebSocket, "Transmit to WebSocket {transport}");
                let accept: &[u8] = match x.kind {
                    Kind::Stream => b"\r\nAccept: text/event-stream\r\n",
                    _ => b"\r\nAccept: application/json\r\n",
                };
                assert!(
                    memchr::memmem::find(&data, accept).is_some(),
                    "{transport} is {:?}, but its request is {:?}",
                    x.kind,
                    String::from_utf8_lossy(&data)
                );
                let target = x.target.clone();
                if memchr::memmem::find(&data, TOKEN.as_bytes()).is_some() {
                    self.token_may_go_to(&target);
                }
                let x = self.get_mut(transport);
                assert!(!x.transmitted, "second Transmit to {transport}");
                x.transmitted = true;
                self.summary.sent += 1;
            }
            Output::SendText { transport, .. } => {
                let x = self.usable(transport, "SendText");
                assert_eq!(x.kind, Kind::WebSocket, "SendText to plain {transport}");
                self.summary.sent += 1;
            }
            Output::Close { transport, how } => {
                let now = self.now;
                let x = self.get_mut(transport);
                assert!(!x.closed, "{how:?} of {transport}, closed already");
                match how {
                    Close::Now => x.closed = true,
                    Close::Handshake { .. } => {
                        assert_eq!(x.kind, Kind::WebSocket, "handshake on plain {transport}");
                        assert!(x.connected, "handshake on unconnected {transport}");
                        assert!(x.handshake.is_none(), "second handshake on {transport}");
                        x.handshake = Some(now);
                    }
                    other => panic!("unknown close {other:?}"),
                }
            }
            Output::Item(item) => self.item(item),
            Output::Finished(_) => {
                let open: Vec<_> = self
                    .transports
                    .iter()
                    .filter(|x| !x.closed)
                    .map(|x| x.id)
                    .collect();
                assert!(open.is_empty(), "Finished with transports open: {open:?}");
                self.finished = true;
                self.reconnect_at = None;
                self.summary.finished = true;
            }
            Output::Wait { .. } => unreachable!("handled by drain"),
            other => panic!("unknown output {other:?}"),
        }
    }

    fn opened(&mut self, transport: TransportId, kind: Kind, target: Target) {
        assert!(
            transport != NEVER_OPENED && self.get(transport).is_none(),
            "transport id {transport} reused"
        );
        assert!(
            self.close_asked.is_none(),
            "{kind:?} {transport} opened after Close"
        );
        if kind != Kind::Rest {
            match self.reconnect_at.take() {
                Some(Some(at)) => assert!(
                    self.now >= at,
                    "reconnected {:?} before the announced delay",
                    at - self.now
                ),
                Some(None) => panic!("reconnected before an announced delay beyond any instant"),
                None => {}
            }
            self.stream = Some(transport);
        }
        let mirror = (kind == Kind::Stream).then(|| Decoder::http(self.cfg.limits));
        self.transports.push(Transport {
            id: transport,
            kind,
            target,
            connected: false,
            transmitted: false,
            handshake: None,
            closed: false,
            mirror,
        });
        self.summary.transports += 1;
    }

    fn usable(&self, transport: TransportId, what: &str) -> &Transport {
        let x = self
            .get(transport)
            .unwrap_or_else(|| panic!("{what} to unknown {transport}"));
        assert!(x.connected, "{what} to {transport}, not connected");
        assert!(!x.close_asked(), "{what} to {transport}, closing");
        x
    }

    /// The token goes only to the instance or the streaming server it named, over TLS
    /// (the instance is `https`).
    fn token_may_go_to(&self, target: &Target) {
        assert!(
            target.tls && self.trusted.contains(target),
            "token sent to {target} (trusted: {:?})",
            self.trusted
        );
    }

    fn item(&mut self, item: Item) {
        self.summary.items += 1;
        let setup = self.setup;
        match &item {
            Item::Event(e) => {
                self.summary.events += 1;
                assert!(
                    setup.heartbeats || !matches!(e.event, Event::Heartbeat(_)),
                    "heartbeat delivered with heartbeats off"
                );
                assert!(
                    !e.recovered || setup.catch_up,
                    "recovered event with catch-up off: {item:?}"
                );
                if !setup.websocket && !e.recovered {
                    assert_eq!(
                        e.channel.as_ref(),
                        self.cfg.channel(),
                        "SSE event's channel"
                    );
                }
            }
            Item::StreamError { .. } => {
                assert!(
                    setup.websocket,
                    "WebSocket item from an SSE session: {item:?}"
                );
            }
            Item::CaughtUp { .. } | Item::Gap(_) => {
                assert!(setup.catch_up, "catch-up item with catch-up off: {item:?}");
            }
            Item::Connected { transport, .. } => {
                let want = if setup.websocket {
                    StreamTransport::WebSocket
                } else {
                    StreamTransport::Sse
                };
                assert_eq!(*transport, want, "{item:?}");
            }
            Item::Discovered(server) => {
                assert!(self.discovering, "{item:?} without discovery");
                self.discovering = false;
                self.trusted.push(server.streaming.target());
            }
            Item::Reconnecting { .. } => self.reconnecting(&item),
            _ => {}
        }
    }

    /// A reconnect delay: within the backoff and the server cap (itself at most the
    /// longest wait), no shorter than what the server asked for (up to the cap), capped
    /// exactly when the server asked for more; the next stream connect waits for it.
    fn reconnecting(&mut self, item: &Item) {
        let Item::Reconnecting {
            delay,
            error,
            capped,
            ..
        } = item
        else {
            return;
        };
        let retried = |s: u16| matches!(s, 408 | 425 | 429 | 500..=599);
        let floor = match error.kind() {
            ErrorKind::Status { head, .. } | ErrorKind::UpgradeRefused { head, .. }
                if retried(head.status()) =>
            {
                let headers = head
                    .headers()
                    .iter()
                    .map(|h| (h.name.as_str(), &h.value[..]));
                retry_after_asks(headers, self.wall()).unwrap_or_default()
            }
            _ => Duration::ZERO,
        };
        let asked = floor.max(self.server_retry.unwrap_or_default());
        let b = self.cfg.backoff;
        let cap = self.cfg.max_server_delay.min(LONGEST_WAIT);
        assert_eq!(
            *capped,
            (asked > cap).then_some(asked),
            "capped, for {asked:?} asked and a {cap:?} cap ({item:?})"
        );
        assert!(
            *delay <= b.max.max(b.min).max(cap),
            "delay {delay:?} beyond the backoff {b:?} and the cap {cap:?}"
        );
        assert!(
            *delay <= LONGEST_WAIT,
            "delay {delay:?} beyond the longest wait"
        );
        assert!(
            *delay >= asked.min(cap),
            "delay {delay:?} < {asked:?} asked"
        );
        assert!(
            *delay >= b.min.min(b.max),
            "delay {delay:?} below the floor"
        );
        self.reconnect_at = Some(self.now.checked_add(*delay));
        self.summary.reconnects.0 += 1;
        self.summary.reconnects.1 += usize::from(capped.is_some());
    }

    /// After draining: the deadline is later than now; a pending reconnect and every close
    /// handshake are on the clock; after a timeout, no handshake outlived its grace, and a
    /// session told to close is finished once the grace is over.
    pub(super) fn after_input(&self, deadline: Option<Instant>, timed_out: bool) {
        if let Some(d) = deadline {
            assert!(
                d > self.now,
                "deadline {:?} not after now {:?}",
                d - self.t0,
                self.now - self.t0
            );
        }
        if self.finished {
            assert_eq!(deadline, None, "a deadline after Finished");
            return;
        }
        if let Some(Some(at)) = self.reconnect_at {
            assert!(
                deadline.is_some_and(|d| d <= at),
                "no wake-up for the reconnect at {:?}",
                at - self.t0
            );
        }
        let grace = self.cfg.timeouts.close_grace;
        if let Some(at) = self.close_asked {
            let end = at.checked_add(grace).unwrap_or(at);
            assert!(
                !timed_out || self.now < end,
                "not finished {grace:?} after Close"
            );
        }
        for x in self.transports.iter().filter(|x| !x.closed) {
            let Some(at) = x.handshake else { continue };
            let end = at.checked_add(grace).unwrap_or(at);
            assert!(
                deadline.is_some_and(|d| d <= end),
                "no wake-up to end the handshake of {}",
                x.id
            );
            assert!(
                !timed_out || self.now < end,
                "handshake of {} outlived its grace",
                x.id
            );
        }
    }
}
