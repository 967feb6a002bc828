//! One transport's lifetime: connect, send the request, read the response, with a timer for
//! each phase.

use std::time::Instant;

use bytes::Bytes;

use super::io::after;
use super::{Output, Timeouts, TransportError, TransportId};
use crate::error::{Error, ErrorKind, Timeout};
use crate::http::Request;
use crate::instance::Instance;

/// Where a transport is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the adapter to connect (TCP and TLS).
    Connecting,
    /// The request is written; waiting for the response head.
    AwaitingHead,
    /// The response head arrived; reading the body.
    Open,
}

/// A transport: one connection carrying one request. It owns the connection's timers; the
/// owner of the transport owns the response parser.
pub(crate) struct Transport {
    pub(crate) id: TransportId,
    /// Where the request went (for resolving redirects and links).
    pub(crate) instance: Instance,
    /// The request target.
    pub(crate) target: String,
    /// The request to write once connected (none for a WebSocket: the adapter upgrades).
    request: Option<Bytes>,
    phase: Phase,
    deadline: Instant,
    timeouts: Timeouts,
    kind: Kind,
}

/// What a transport carries, which decides its timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An SSE stream: head timeout, then idle timeout.
    Sse,
    /// A WebSocket stream: live once upgraded, then the WebSocket idle timeout.
    Ws,
    /// A REST request: must complete within the request timeout.
    Rest,
}

impl std::fmt::Debug for Transport {
    // The request holds the token: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("id", &self.id)
            .field("instance", &self.instance)
            .field("target", &self.target)
            .field("phase", &self.phase)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport carrying `request`, and the output asking the driver to connect it;
    /// the connect timer starts.
    pub(crate) fn open(
        id: TransportId,
        instance: Instance,
        request: &Request,
        timeouts: Timeouts,
        kind: Kind,
        now: Instant,
    ) -> (Transport, Output) {
        let output = Output::Connect {
            transport: id,
            target: instance.target(),
        };
        let t = Transport {
            id,
            instance,
            target: request.target().to_owned(),
            request: Some(request.encode()),
            phase: Phase::Connecting,
            deadline: after(now, timeouts.connect),
            timeouts,
            kind,
        };
        (t, output)
    }

    /// A WebSocket transport to `target` on `instance` (the output asking the driver to
    /// open it is the caller's); the connect timer starts.
    pub(crate) fn open_ws(
        id: TransportId,
        instance: Instance,
        target: String,
        timeouts: Timeouts,
        now: Instant,
    ) -> Transport {
        Transport {
            id,
            instance,
            target,
            request: None,
            phase: Phase::Connecting,
            deadline: after(now, timeouts.connect),
            timeouts,
            kind: Kind::Ws,
        }
    }

    /// Whether this transport is a WebSocket.
    pub(crate) fn is_websocket(&self) -> bool {
        self.kind == Kind::Ws
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Connected: the request to write (none for a WebSocket, live once upgraded); the
    /// head (or request) timer starts. `None` too when already connected.
    pub(crate) fn connected(&mut self, now: Instant) -> Option<Output> {
        if self.phase != Phase::Connecting {
            return None;
        }
        match self.request.take() {
            Some(data) => {
                self.phase = Phase::AwaitingHead;
                let limit = match self.kind {
                    Kind::Rest => self.timeouts.request,
                    _ => self.timeouts.head,
                };
                self.deadline = after(now, limit);
                Some(Output::Transmit {
                    transport: self.id,
                    data,
                })
            }
            None => {
                self.head_received(now);
                None
            }
        }
    }

    /// The driver had held this transport's input back (the application was slow) and
    /// has caught up: the peer was not silent meanwhile. A live stream's idle timer
    /// restarts; a REST request gets its full time again from here.
    pub(crate) fn drained(&mut self, now: Instant) {
        match (self.kind, self.phase) {
            (Kind::Rest, Phase::AwaitingHead | Phase::Open) => {
                self.deadline = self.deadline.max(after(now, self.timeouts.request));
            }
            _ => self.received(now),
        }
    }

    /// Bytes arrived: a live stream's idle timer restarts (heartbeats count).
    pub(crate) fn received(&mut self, now: Instant) {
        if self.phase == Phase::Open {
            self.restart_idle(now);
        }
    }

    /// The response head arrived (or the WebSocket upgrade succeeded).
    pub(crate) fn head_received(&mut self, now: Instant) {
        self.phase = Phase::Open;
        self.restart_idle(now);
    }

    fn restart_idle(&mut self, now: Instant) {
        match self.kind {
            Kind::Sse => self.deadline = after(now, self.timeouts.idle),
            Kind::Ws => self.deadline = after(now, self.timeouts.ws_idle),
            Kind::Rest => {}
        }
    }

    /// The error for the timer that ran out.
    pub(crate) fn timeout_error(&self) -> Error {
        let t = &self.timeouts;
        ErrorKind::Timeout(match (self.phase, self.kind) {
            (Phase::Connecting, _) => Timeout::Connect(t.connect),
            (_, Kind::Rest) => Timeout::Request(t.request),
            (Phase::AwaitingHead, _) => Timeout::Head(t.head),
            (Phase::Open, Kind::Ws) => Timeout::Idle(t.ws_idle),
            (Phase::Open, _) => Timeout::Idle(t.idle),
        })
        .into()
    }

    /// The error for a failure the adapter reported.
    pub(crate) fn transport_error(&self, error: TransportError) -> Error {
        ErrorKind::Transport {
            connecting: self.phase == Phase::Connecting,
            kind: error.kind,
            message: error.message,
        }
        .into()
    }
}
