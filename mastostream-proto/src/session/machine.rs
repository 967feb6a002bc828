//! [`Session`]: one Mastodon stream (or one multiplexed WebSocket) that discovers where it
//! streams from, reconnects with backoff and catches up over REST. This file holds its
//! state and the input dispatch; the stream side is in `live.rs` and `websocket.rs`, the
//! retry policy in `reconnect.rs`, catch-up in `recover.rs`, discovery in `discover.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use super::catchup::Recovery;
use super::discover::Discovery;
use super::io::{Close, Command, Input, Output, TransportId, after};
use super::reconnect::Reconnect;
use super::recover::Fetcher;
use super::transport::{Phase, Transport};
use super::{Item, Machine, Server, SessionConfig, Status, StreamTransport};
use crate::Channel;
use crate::decoder::Decoder;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Asking the instance where it streams from.
    Discovering,
    /// Waiting to connect (backoff, or about to start).
    Waiting { until: Instant },
    /// A stream transport is connecting or awaiting its head.
    Connecting,
    /// The stream is live.
    Live { since: Instant },
    /// Done, but WebSocket close handshakes are still running; `Finished` follows them.
    Closing,
    /// Over.
    Finished,
}

/// How the live stream's transport is read.
#[derive(Debug)]
pub(super) enum Reader {
    /// SSE: bytes through the HTTP and SSE decoder.
    Sse(Box<Decoder>),
    /// WebSocket: text messages; subscriptions sent and not yet confirmed by an event.
    Ws {
        pending: VecDeque<(Channel, Instant)>,
        /// The stream chosen by the upgrade's query, not by a message.
        in_query: Option<Channel>,
        /// Streams unsubscribed on a server that cannot unsubscribe: their events are
        /// dropped until the next connection.
        muted: Vec<Channel>,
    },
}

/// The transport carrying the stream, and how it is read.
#[derive(Debug)]
pub(super) struct Live {
    pub(super) transport: Transport,
    pub(super) reader: Reader,
}

/// A reconnecting, catching-up Mastodon stream, as pure state. See the
/// [module docs](super) for the driving contract and an example.
///
/// - Optionally asks the instance where it streams from ([`SessionConfig::discover`]).
/// - Connects to the channel's SSE endpoint, or to the WebSocket and subscribes, with the
///   token in `Authorization: Bearer` (only ever to the instance's and the streaming
///   server's origins).
/// - Classifies every ending: `401`/`403`/`400`/`404`/`410` stop with the server's message;
///   `408`/`425`/`429`/`5xx` wait at least `Retry-After` (capped by
///   [`SessionConfig::max_server_delay`]); clean ends, idle timeouts, I/O and framing
///   errors reconnect with [`Backoff`](super::Backoff); redirects are followed (bounded,
///   never to a non-HTTP scheme, never from https to http, never twice to the same place).
///   An SSE `retry:` is a floor for the delay, never a way to spin.
/// - Tracks the newest status, notification and conversation delivered, and after every
///   reconnect fetches what was missed over REST (`min_id` paging up from there), delivers
///   it oldest first, marked recovered, then the live events held meanwhile, without
///   duplicates. What it cannot cover it reports as an [`Item::Gap`].
/// - Takes the application's [`Command`]s: subscribe, unsubscribe (WebSocket sessions),
///   close (with the WebSocket close handshake, bounded by
///   [`Timeouts::close_grace`](super::Timeouts)).
///
/// Deletions (`delete`), edits (`status.update`) and announcement changes made while
/// disconnected cannot be recovered: the REST API has no history of them.
#[derive(Debug)]
pub struct Session {
    pub(super) cfg: SessionConfig,
    pub(super) now: Instant,
    /// The wall clock at a known instant, for `Retry-After` dates.
    wall: (Instant, SystemTime),
    out: VecDeque<Output>,
    next_id: u64,
    pub(super) state: State,
    pub(super) stream: Option<Live>,
    pub(super) fetch: Fetcher,
    /// Transports in a WebSocket close handshake, with the time they are dropped anyway.
    closing: Vec<(TransportId, Instant)>,
    /// The result handed out once the closing handshakes are over.
    result: Option<Result<(), Error>>,
    pub(super) reconnect: Reconnect,
    pub(super) recovery: Recovery,
    pub(super) discovery: Discovery,
    /// Whether what [`Machine::take_status`] reports changed since it was last taken.
    status_changed: bool,
}

impl Session {
    /// A session that starts at once (asking where to stream from first, when it
    /// discovers). `now` is the current monotonic time and `wall` the current wall-clock
    /// time (read once, for `Retry-After` dates).
    pub fn new(mut cfg: SessionConfig, now: Instant, wall: SystemTime) -> Session {
        let several =
            cfg.transport == StreamTransport::Sse && cfg.choose_transport && cfg.channels.len() > 1;
        if several {
            cfg.transport = StreamTransport::WebSocket;
        }
        let channels: Vec<Channel> = match cfg.transport {
            StreamTransport::Sse => cfg.channels.iter().take(1).cloned().collect(),
            StreamTransport::WebSocket => cfg.channels.clone(),
        };
        let mut s = Session {
            reconnect: Reconnect::new(cfg.seed),
            recovery: Recovery::new(&cfg),
            discovery: Discovery::default(),
            cfg,
            now,
            wall: (now, wall),
            out: VecDeque::new(),
            next_id: 1,
            state: State::Waiting { until: now },
            stream: None,
            fetch: Fetcher::default(),
            closing: Vec::new(),
            result: None,
            status_changed: true,
        };
        for channel in channels {
            s.recovery.add_route(channel, s.cfg.catch_up.enabled);
        }
        if several {
            s.emit(Item::TransportChosen {
                transport: StreamTransport::WebSocket,
                reason: "several streams share one WebSocket".to_owned(),
            });
        }
        if s.cfg.transport == StreamTransport::Sse && s.recovery.routes.is_empty() {
            let e = crate::error::ErrorKind::Config("an SSE session needs one channel".into());
            s.finish(Err(e.into()));
        } else if s.cfg.discover && (s.cfg.streaming.is_none() || s.cfg.dialect.is_none()) {
            s.start_discovery();
        } else {
            s.discovery.dialect = s.cfg.dialect.clone().unwrap_or_default();
            s.begin();
        }
        s
    }

    /// The configuration (with the streaming URL once discovered).
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Whether the stream is live now.
    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// Whether a catch-up is in progress (live events are being held back).
    pub fn is_catching_up(&self) -> bool {
        self.recovery.catch_up.is_some()
    }

    /// Where the stream is served from, once discovery is over.
    pub fn server(&self) -> Option<&Server> {
        self.discovery.server.as_ref()
    }

    /// The server's dialect: what discovery learnt, else what the configuration says, else
    /// Mastodon.
    pub fn dialect(&self) -> &crate::Dialect {
        &self.discovery.dialect
    }

    /// The streams subscribed (for SSE: its one stream).
    pub fn subscriptions(&self) -> impl Iterator<Item = &Channel> {
        self.recovery.routes.iter().map(|(c, _)| c)
    }

    /// Bytes and events buffered inside the session (parser buffers, held events), for
    /// checking that memory stays bounded.
    pub fn buffered(&self) -> (usize, usize) {
        let bytes = match &self.stream {
            Some(Live {
                reader: Reader::Sse(d),
                ..
            }) => d.buffered(),
            _ => 0,
        };
        let held = self.recovery.catch_up.as_ref().map_or(0, |c| c.held.len());
        (bytes, held)
    }

    pub(super) fn id(&mut self) -> TransportId {
        let id = TransportId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(super) fn push(&mut self, output: Output) {
        self.out.push_back(output);
    }

    pub(super) fn emit(&mut self, item: Item) {
        self.out.push_back(Output::Item(item));
    }

    /// Marks what [`Machine::take_status`] reports as changed.
    pub(super) fn status_changed(&mut self) {
        self.status_changed = true;
    }

    pub(super) fn wall_now(&self) -> SystemTime {
        self.wall.1 + self.now.saturating_duration_since(self.wall.0)
    }

    pub(super) fn set_state(&mut self, state: State) {
        let was_live = self.is_live();
        self.state = state;
        if was_live != self.is_live() {
            self.status_changed();
        }
    }

    pub(super) fn stream_is(&self, id: TransportId) -> bool {
        self.stream.as_ref().is_some_and(|l| l.transport.id == id)
    }

    /// Closes a transport: an upgraded WebSocket with its close handshake (bounded by the
    /// grace period), anything else at once.
    pub(super) fn close_transport(&mut self, transport: &Transport, handshake: bool) {
        if handshake && transport.is_websocket() && transport.phase() == Phase::Open {
            let deadline = after(self.now, self.cfg.timeouts.close_grace);
            self.closing.push((transport.id, deadline));
            self.push(Output::Close {
                transport: transport.id,
                how: Close::Handshake { code: 1000 },
            });
        } else {
            self.push(Output::Close {
                transport: transport.id,
                how: Close::Now,
            });
        }
    }

    /// Ends the session with `result`: every transport closed (a live WebSocket with its
    /// handshake), then [`Output::Finished`].
    pub(super) fn finish(&mut self, result: Result<(), Error>) {
        if matches!(self.state, State::Closing | State::Finished) {
            return;
        }
        if let Some(live) = self.stream.take() {
            self.close_transport(&live.transport, true);
        }
        self.cancel_fetch();
        self.recovery.stop();
        self.result = Some(result);
        self.set_state(State::Closing);
        self.finish_if_closed();
    }

    fn finish_if_closed(&mut self) {
        if self.state == State::Closing && self.closing.is_empty() {
            self.state = State::Finished;
            let result = self.result.take().unwrap_or(Ok(()));
            self.push(Output::Finished(result));
        }
    }

    /// Input about a transport in its close handshake: its end ends the handshake.
    fn closing_input(&mut self, transport: TransportId, ended: bool) -> bool {
        let Some(i) = self.closing.iter().position(|(t, _)| *t == transport) else {
            return false;
        };
        if ended {
            self.closing.swap_remove(i);
            self.push(Output::Close {
                transport,
                how: Close::Now,
            });
            self.finish_if_closed();
        }
        true
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Subscribe(c) => self.subscribe(c),
            Command::Unsubscribe(c) => self.unsubscribe(&c),
            Command::Close => self.finish(Ok(())),
        }
    }

    fn on_timeout(&mut self) {
        let now = self.now;
        let due: Vec<TransportId> = self
            .closing
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(t, _)| *t)
            .collect();
        for t in due {
            self.closing_input(t, true);
        }
        if let Some(live) = &self.stream
            && live.transport.deadline() <= now
        {
            let e = live.transport.timeout_error();
            self.stream_failed(e);
        }
        self.fetch_timeout();
        if let State::Waiting { until } = self.state
            && until <= now
            && self.stream.is_none()
        {
            self.connect();
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let waiting = match self.state {
            State::Waiting { until } if self.stream.is_none() => Some(until),
            _ => None,
        };
        [
            self.stream.as_ref().map(|l| l.transport.deadline()),
            self.fetch.deadline(),
            waiting,
        ]
        .into_iter()
        .flatten()
        .chain(self.closing.iter().map(|(_, at)| *at))
        .min()
    }
}

impl Machine for Session {
    fn handle_input(&mut self, input: Input, now: Instant) {
        self.now = self.now.max(now);
        if self.state == State::Finished {
            return;
        }
        match input {
            Input::Connected(t) => self.on_connected(t),
            Input::ConnectFailed(t, e) | Input::Failed(t, e) => {
                if !self.closing_input(t, true) {
                    self.on_io_error(t, e);
                }
            }
            Input::Data(t, data) => self.on_data(t, data),
            Input::Eof(t) => {
                if !self.closing_input(t, true) {
                    self.on_eof(t);
                }
            }
            Input::WsMessage(t, text) => self.on_ws_message(t, text),
            Input::WsFrame(t) | Input::Drained(t) => self.on_alive(t),
            Input::WsClose(t, frame) => {
                if !self.closing_input(t, false) {
                    self.on_ws_close(t, frame);
                }
            }
            Input::WsRejected(t, head, body) => self.on_ws_rejected(t, head, body),
            Input::Command(c) => self.on_command(c),
            Input::Timeout => self.on_timeout(),
        }
    }

    fn poll_output(&mut self) -> Output {
        if let Some(out) = self.out.pop_front() {
            return out;
        }
        let deadline = match self.state {
            State::Finished => None,
            _ => self.deadline(),
        };
        Output::Wait { deadline }
    }

    fn is_finished(&self) -> bool {
        self.state == State::Finished && self.out.is_empty()
    }

    fn take_status(&mut self) -> Option<Status> {
        if !std::mem::take(&mut self.status_changed) {
            return None;
        }
        Some(Status {
            live: self.is_live(),
            subscriptions: self.subscriptions().cloned().collect(),
        })
    }
}

/// The longest of the delays a server asked for, capped at `max`: `(delay, Some(asked))`
/// when the cap applied.
pub(super) fn capped(asked: Duration, max: Duration) -> (Duration, Option<Duration>) {
    if asked > max {
        (max, Some(asked))
    } else {
        (asked, None)
    }
}
