//! One transport's lifetime: connect, send the request, read the response, with a timer for
//! each phase.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::{Output, Timeouts, TransportError, TransportId};
use crate::error::{Error, ErrorKind, Timeout};
use crate::http::Request;
use crate::session::Instance;

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
    request: Bytes,
    phase: Phase,
    deadline: Instant,
    timeouts: Timeouts,
    /// REST requests must complete within `timeouts.request`; streams only need to keep
    /// talking (`timeouts.idle`).
    streaming: bool,
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
    /// Asks the adapter to connect, and starts the connect timer.
    pub(crate) fn open(
        id: TransportId,
        instance: Instance,
        request: &Request,
        timeouts: Timeouts,
        streaming: bool,
        now: Instant,
        out: &mut VecDeque<Output>,
    ) -> Transport {
        out.push_back(Output::Connect {
            transport: id,
            target: instance.target(),
        });
        Transport {
            id,
            instance,
            target: request.target().to_owned(),
            request: request.encode(),
            phase: Phase::Connecting,
            deadline: now + timeouts.connect,
            timeouts,
            streaming,
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Connected: write the request, start the head (or request) timer.
    pub(crate) fn connected(&mut self, now: Instant, out: &mut VecDeque<Output>) {
        if self.phase != Phase::Connecting {
            return;
        }
        out.push_back(Output::Transmit {
            transport: self.id,
            data: self.request.clone(),
        });
        self.phase = Phase::AwaitingHead;
        self.deadline = now
            + if self.streaming {
                self.timeouts.head
            } else {
                self.timeouts.request
            };
    }

    /// Bytes arrived: a live stream's idle timer restarts (heartbeats count).
    pub(crate) fn received(&mut self, now: Instant) {
        if self.streaming && self.phase == Phase::Open {
            self.deadline = now + self.timeouts.idle;
        }
    }

    /// The response head arrived.
    pub(crate) fn head_received(&mut self, now: Instant) {
        self.phase = Phase::Open;
        if self.streaming {
            self.deadline = now + self.timeouts.idle;
        }
    }

    /// The error for the timer that ran out.
    pub(crate) fn timeout_error(&self) -> Error {
        ErrorKind::Timeout(match (self.phase, self.streaming) {
            (Phase::Connecting, _) => Timeout::Connect,
            (_, false) => Timeout::Request,
            (Phase::AwaitingHead, true) => Timeout::Head,
            (Phase::Open, true) => Timeout::Idle,
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
