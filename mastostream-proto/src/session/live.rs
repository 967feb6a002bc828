//! The [`Session`]'s stream: connecting (SSE here, WebSocket in `websocket.rs`), reading,
//! delivering events, and what happens when the stream ends.

use std::time::Duration;

use bytes::Bytes;

use super::catchup::Origin;
use super::io::{TransportError, TransportId, after};
use super::machine::{Live, Reader, Session, State};
use super::reconnect::{Next, classify};
use super::transport::{Kind, Transport};
use super::{GapReason, Item, StreamEvent, StreamTransport};
use crate::Event;
use crate::decoder::{Decoder, Frame};
use crate::error::{Error, ErrorKind};
use crate::http::{Request, Token};
use crate::instance::Instance;

impl Session {
    /// Opens the stream's transport.
    pub(super) fn connect(&mut self) {
        self.set_state(State::Connecting);
        match self.cfg.transport {
            StreamTransport::WebSocket => self.connect_ws(),
            StreamTransport::Sse => self.connect_sse(),
        }
    }

    fn connect_sse(&mut self) {
        let Some(path) = self.recovery.routes.first().map(|(c, _)| c.sse_target()) else {
            return;
        };
        let (instance, target) = self.stream_location(&path);
        let request = Request::get(instance.host_header(), target)
            .token_opt(self.token_for(&instance))
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let (transport, output) = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            Kind::Sse,
            self.now,
        );
        self.push(output);
        self.stream = Some(Live {
            transport,
            reader: Reader::Sse(Box::new(Decoder::http(self.cfg.limits))),
        });
    }

    /// The stream's base and request target for the next attempt: where a redirect sent
    /// it, else `path` on the streaming base.
    pub(super) fn stream_location(&mut self, path: &str) -> (Instance, String) {
        if let Some(redirected) = self.reconnect.location() {
            return redirected;
        }
        let base = self
            .cfg
            .streaming
            .as_ref()
            .unwrap_or(&self.cfg.instance)
            .clone();
        let target = base.request_target(path);
        (base, target)
    }

    /// The token, for a request to `instance`: only to the instance's own origin and the
    /// streaming server's, never to a host a redirect points at (as curl, browsers and
    /// reqwest drop `Authorization` when the scheme, host or port changes).
    pub(super) fn token_for(&self, instance: &Instance) -> Option<Token> {
        let trusted = instance.same_origin(&self.cfg.instance)
            || self
                .cfg
                .streaming
                .as_ref()
                .is_some_and(|s| instance.same_origin(s));
        self.cfg.token.clone().filter(|_| trusted)
    }

    pub(super) fn on_connected(&mut self, id: TransportId) {
        if self.stream_is(id) {
            let Some(live) = &mut self.stream else { return };
            let first = live.transport.phase() == super::transport::Phase::Connecting;
            let request = live.transport.connected(self.now);
            let ws = first && matches!(live.reader, Reader::Ws { .. });
            if let Some(out) = request {
                self.push(out);
            }
            if ws {
                // A WebSocket is live once upgraded.
                self.went_live();
            }
        } else if self.fetch_is(id) {
            self.fetch_connected();
        }
    }

    pub(super) fn on_data(&mut self, id: TransportId, data: Bytes) {
        if self.stream_is(id) {
            if let Some(Live {
                transport,
                reader: Reader::Sse(decoder),
            }) = &mut self.stream
            {
                transport.received(self.now);
                decoder.feed(data);
            }
            self.drain_stream();
        } else if self.fetch_is(id) {
            self.fetch_data(data);
        }
    }

    pub(super) fn on_eof(&mut self, id: TransportId) {
        if self.stream_is(id) {
            match &mut self.stream {
                Some(Live {
                    reader: Reader::Sse(decoder),
                    ..
                }) => decoder.feed_eof(),
                _ => self.stream_failed(ErrorKind::Closed.into()),
            }
            self.drain_stream();
        } else if self.fetch_is(id) {
            self.fetch_eof();
        }
    }

    pub(super) fn on_io_error(&mut self, id: TransportId, error: TransportError) {
        if let Some(live) = &self.stream
            && live.transport.id == id
        {
            let e = live.transport.transport_error(error);
            self.stream_failed(e);
        } else if self.fetch_is(id) {
            self.fetch_failed(error);
        }
    }

    /// The peer is alive (a WebSocket frame), or the driver caught up after holding the
    /// transport back: the idle timer restarts.
    pub(super) fn on_alive(&mut self, id: TransportId) {
        if let Some(live) = &mut self.stream
            && live.transport.id == id
        {
            live.transport.drained(self.now);
        } else if self.fetch_is(id) {
            self.fetch_drained();
        }
    }

    /// Runs the SSE decoder dry.
    fn drain_stream(&mut self) {
        loop {
            let Some(Live {
                reader: Reader::Sse(decoder),
                ..
            }) = &mut self.stream
            else {
                return;
            };
            let Some(frame) = decoder.poll() else { return };
            match frame {
                Ok(Frame::Head(_)) => self.went_live(),
                Ok(Frame::Retry(ms)) => {
                    self.reconnect.server_retry = Some(Duration::from_millis(ms));
                }
                Ok(Frame::Comment(_)) if !self.cfg.heartbeats => {}
                Ok(Frame::End) => self.stream_failed(ErrorKind::Closed.into()),
                Ok(frame) => {
                    let data = match &frame {
                        Frame::Event(e) => e.data().clone(),
                        Frame::Comment(text) => text.clone(),
                        _ => Bytes::new(),
                    };
                    if let Some(event) = frame.into_event(self.cfg.json) {
                        self.live_event(event, data, Origin::Sse);
                    }
                }
                Err(e) => self.stream_failed(e),
            }
        }
    }

    /// The stream is live: say so, subscribe (WebSocket), start catching up.
    pub(super) fn went_live(&mut self) {
        let Some(live) = &mut self.stream else { return };
        live.transport.head_received(self.now);
        let url = live.transport.instance.absolute(&live.transport.target);
        let (url, transport) = match live.reader {
            // A WebSocket's URL has its own scheme: `wss://` (or `ws://`).
            Reader::Ws { .. } => (url.replacen("http", "ws", 1), StreamTransport::WebSocket),
            Reader::Sse(_) => (url, StreamTransport::Sse),
        };
        self.set_state(State::Live { since: self.now });
        self.reconnect.chain_over();
        self.emit(Item::Connected { url, transport });
        self.subscribe_all();
        if !self.recovery.timelines.is_empty() {
            self.start_recovery();
        }
    }

    /// A live event: held back during catch-up, delivered otherwise.
    pub(super) fn live_event(&mut self, event: Event, data: Bytes, origin: Origin) {
        if self.recovery.catch_up.is_none() {
            return self.deliver(event, data, origin);
        }
        let placed = self.recovery.place(&event, &origin);
        let Some(c) = &mut self.recovery.catch_up else {
            return;
        };
        if let Some((timeline, id)) = placed {
            c.first_live.entry(timeline).or_insert(id);
        }
        c.held.push_back((event, data, origin));
        if c.held.len() > self.cfg.catch_up.max_held {
            self.abandon_catch_up(GapReason::HeldOverflow);
        }
    }

    /// Hands an event to the application, unless it was delivered already; tracks the
    /// newest id per timeline.
    pub(super) fn deliver(&mut self, event: Event, data: Bytes, origin: Origin) {
        let dialect = self.discovery.dialect.clone();
        if !self.recovery.admit(&event, &origin, &dialect) {
            return;
        }
        let channel = self.recovery.channel_of(&origin);
        let recovered = matches!(origin, Origin::Recovered(_));
        let cursor = self.recovery.place(&event, &origin).or_else(|| {
            let timelines = channel.as_ref().map(super::Timeline::for_channel)?;
            super::Timeline::place(&timelines, &event).map(|(t, id)| (t.clone(), id))
        });
        self.emit(Item::Event(StreamEvent {
            event,
            channel,
            recovered,
            data,
            cursor,
        }));
    }

    /// Leaves the current connection (without a disconnect: the session moves on, for
    /// instance to another transport) and connects again at once; catch-up covers the
    /// switch.
    pub(super) fn reconnect_now(&mut self) {
        if let Some(live) = self.stream.take() {
            self.close_transport(&live.transport, true);
        }
        if self.recovery.catch_up.is_some() {
            self.interrupt_catch_up();
        }
        self.cancel_fetch();
        self.recovery.anchor_queue.clear();
        self.connect();
    }

    /// A transport the session may fall back to after `error`, with the reason: the
    /// WebSocket when SSE is refused by software that may not have it; SSE when a
    /// WebSocket upgrade is refused by a server that has it. Once: a server that refuses
    /// both is answered by the usual classification of the second refusal.
    fn fallback(&self, error: &Error) -> Option<(StreamTransport, String)> {
        if !self.cfg.choose_transport {
            return None;
        }
        if !self.discovery.fell_back.is_empty() {
            return None;
        }
        let dialect = self.dialect();
        match (self.cfg.transport, error.kind()) {
            (StreamTransport::Sse, ErrorKind::Status { head, .. })
                if matches!(head.status(), 400 | 404 | 405 | 501)
                    && matches!(dialect.software, crate::Software::Other(_)) =>
            {
                Some((
                    StreamTransport::WebSocket,
                    format!("the server refused SSE: {error}"),
                ))
            }
            (StreamTransport::Sse, ErrorKind::NotEventStream { .. })
                if matches!(dialect.software, crate::Software::Other(_)) =>
            {
                Some((
                    StreamTransport::WebSocket,
                    format!("the server refused SSE: {error}"),
                ))
            }
            (StreamTransport::WebSocket, ErrorKind::UpgradeRefused { head, .. })
                if matches!(head.status(), 100..=399 | 400 | 404 | 405 | 426 | 501)
                    && dialect.has_sse()
                    && self.recovery.routes.len() <= 1 =>
            {
                Some((
                    StreamTransport::Sse,
                    format!("the server refused the WebSocket: {error}"),
                ))
            }
            _ => None,
        }
    }

    /// The stream ended, one way or another: decide what comes next.
    pub(super) fn stream_failed(&mut self, error: Error) {
        let Some(live) = self.stream.take() else {
            return;
        };
        let server_closed = matches!(error.kind(), ErrorKind::WebSocketClosed { .. });
        // A WebSocket the server closed gets its handshake completed; a dead or broken one
        // is dropped.
        self.close_transport(&live.transport, server_closed);
        let was_live = match self.state {
            State::Live { since } => Some(since),
            _ => None,
        };
        self.set_state(State::Connecting);
        if self.recovery.catch_up.is_some() {
            self.interrupt_catch_up();
        }
        self.cancel_fetch();
        self.recovery.anchor_queue.clear();
        if was_live.is_some() {
            self.emit(Item::Disconnected {
                error: error.clone(),
            });
        }
        if let Some((transport, reason)) = self.fallback(&error) {
            self.discovery.fell_back.push(self.cfg.transport);
            self.switch_transport(transport, reason);
            return self.connect();
        }
        match classify(&error, live.transport.phase(), self.wall_now()) {
            Next::Stop => self.finish(Err(error)),
            Next::Redirect {
                location,
                permanent,
            } => {
                let t = &live.transport;
                let followed = self.reconnect.redirect(
                    &t.instance,
                    &t.target,
                    &location,
                    permanent,
                    self.cfg.max_redirects,
                );
                match followed {
                    Ok(()) => self.connect(),
                    Err(e) => self.finish(Err(e)),
                }
            }
            Next::Retry { floor } => {
                self.reconnect.chain_over();
                if let Some(since) = was_live
                    && self.now.saturating_duration_since(since) >= self.cfg.healthy_after
                {
                    self.reconnect.failures = 0;
                }
                self.retry(floor, error);
            }
        }
    }

    fn retry(&mut self, floor: Duration, error: Error) {
        if let Some(max) = self.cfg.backoff.max_attempts
            && self.reconnect.failures.saturating_add(1) >= max
        {
            let e = ErrorKind::GaveUp {
                attempts: self.reconnect.failures.saturating_add(1),
                last: Box::new(error),
            };
            return self.finish(Err(e.into()));
        }
        let d = self
            .reconnect
            .next_delay(&self.cfg.backoff, floor, self.cfg.max_server_delay);
        self.set_state(State::Waiting {
            until: after(self.now, d.delay),
        });
        self.emit(Item::Reconnecting {
            attempt: self.reconnect.failures,
            delay: d.delay,
            error,
            capped: d.capped,
        });
    }
}
