//! [`Session`]: one Mastodon stream that reconnects with backoff and catches up over REST.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::catchup::{Anchor, CatchUp, Key, Recent};
use super::rest::Collector;
use super::transport::{Kind, Phase, Transport};
use super::{
    Channel, GapReason, Instance, Item, Machine, Output, Rng, SessionConfig, StreamTransport,
    Timeline, TransportError, TransportId,
};
use crate::decoder::{Decoder, Frame};
use crate::error::{Error, ErrorKind};
use crate::http::Request;
use crate::{Event, Id};

/// How many delivered ids are remembered for duplicate removal.
const RECENT_IDS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Waiting to connect (backoff, or about to start).
    Waiting { until: Instant },
    /// A stream transport is connecting or awaiting its head.
    Connecting,
    /// The stream is live.
    Live { since: Instant },
    /// Over.
    Finished,
}

/// What a REST request is for.
#[derive(Debug)]
pub(super) enum Purpose {
    /// The newest id of a timeline, on the first connection.
    Anchor(Timeline),
    /// A catch-up page (the progress is in `CatchUp::current`).
    Page,
}

#[derive(Debug)]
pub(super) struct Fetch {
    pub(super) transport: Transport,
    pub(super) collector: Collector,
    pub(super) purpose: Purpose,
}

/// How the live stream's transport is read.
#[derive(Debug)]
pub(super) enum Reader {
    /// SSE: bytes through the HTTP and SSE decoder.
    Sse(Box<Decoder>),
    /// WebSocket: text messages; subscriptions sent and not yet confirmed by an event.
    Ws {
        pending: VecDeque<(Channel, Instant)>,
    },
}

/// Where an event came from, which decides how it is delivered.
#[derive(Debug, Clone)]
pub(super) enum Origin {
    /// The SSE stream.
    Live,
    /// A WebSocket subscription.
    Ws {
        stream: Vec<String>,
        channel: Option<Channel>,
    },
    /// A catch-up page of this timeline.
    Recovered(Timeline),
}

/// What to do after a stream failed.
enum Next {
    Retry { floor: Duration },
    Redirect { location: String, permanent: bool },
    Stop,
}

/// A reconnecting, catching-up Mastodon stream, as pure state. See the
/// [module docs](super) for the driving contract and an example.
///
/// - Connects to the channel's SSE endpoint with the token in `Authorization: Bearer`.
/// - Classifies every ending: `401`/`403`/`400`/`404`/`410` stop with the server's message;
///   `429`/`503` wait at least `Retry-After`; other `5xx`, clean ends, idle timeouts, I/O
///   and framing errors reconnect with [`Backoff`](super::Backoff); redirects are followed
///   (bounded). An SSE `retry:` is a floor for the delay, never a way to spin.
/// - Tracks the newest status, notification and conversation delivered, and after every
///   reconnect fetches what was missed over REST (`min_id` paging up from there), delivers
///   it oldest first as [`Item::Recovered`], then the live events held meanwhile, without
///   duplicates. What it cannot cover it reports as an [`Item::Gap`].
///
/// Deletions (`delete`), edits (`status.update`) and announcement changes made while
/// disconnected cannot be recovered: the REST API has no history of them.
#[derive(Debug)]
pub struct Session {
    pub(super) cfg: SessionConfig,
    pub(super) now: Instant,
    /// The wall clock at `t0`, for `Retry-After` dates.
    pub(super) wall: (Instant, SystemTime),
    pub(super) rng: Rng,
    pub(super) out: VecDeque<Output>,
    pub(super) next_id: u64,
    pub(super) state: State,
    pub(super) stream: Option<(Transport, Reader)>,
    pub(super) fetch: Option<Fetch>,
    /// Consecutive failed attempts.
    pub(super) failures: u32,
    /// The server's `retry:` (a floor for reconnect delays).
    pub(super) server_retry: Option<Duration>,
    pub(super) redirects: u32,
    /// Where a permanent redirect sent the stream.
    pub(super) moved: Option<(Instance, String)>,
    /// Where a temporary redirect sends the next attempt only.
    pub(super) redirect_once: Option<(Instance, String)>,
    pub(super) ever_live: bool,
    /// Every timeline behind the subscribed streams, once each.
    pub(super) timelines: Vec<Timeline>,
    /// Each subscribed stream with its timelines (one entry for SSE).
    pub(super) routes: Vec<(Channel, Vec<Timeline>)>,
    pub(super) anchors: HashMap<Timeline, Anchor>,
    pub(super) anchor_queue: VecDeque<Timeline>,
    pub(super) catch_up: Option<CatchUp>,
    pub(super) recent: Recent,
}

impl Session {
    /// A session that starts connecting at once. `now` is the current monotonic time and
    /// `wall` the current wall-clock time (read once, for `Retry-After` dates).
    pub fn new(cfg: SessionConfig, now: Instant, wall: SystemTime) -> Session {
        let mut s = Session {
            rng: Rng::new(cfg.seed),
            cfg,
            now,
            wall: (now, wall),
            out: VecDeque::new(),
            next_id: 1,
            state: State::Waiting { until: now },
            stream: None,
            fetch: None,
            failures: 0,
            server_retry: None,
            redirects: 0,
            moved: None,
            redirect_once: None,
            ever_live: false,
            timelines: Vec::new(),
            routes: Vec::new(),
            anchors: HashMap::new(),
            anchor_queue: VecDeque::new(),
            catch_up: None,
            recent: Recent::new(RECENT_IDS),
        };
        let channels = std::iter::once(s.cfg.channel.clone())
            .chain(match s.cfg.transport {
                StreamTransport::WebSocket => s.cfg.subscriptions.clone(),
                _ => Vec::new(),
            })
            .collect::<Vec<_>>();
        for channel in channels {
            s.add_route(channel);
        }
        s.connect();
        s
    }

    /// Adds a stream and its timelines (catch-up permitting). Returns whether it was new.
    pub(super) fn add_route(&mut self, channel: Channel) -> bool {
        if self.routes.iter().any(|(c, _)| *c == channel) {
            return false;
        }
        let timelines = if self.cfg.catch_up.enabled {
            Timeline::for_channel(&channel)
        } else {
            Vec::new()
        };
        for t in &timelines {
            if !self.timelines.contains(t) {
                self.timelines.push(t.clone());
            }
        }
        self.routes.push((channel, timelines));
        true
    }

    /// Removes a stream; its timelines stay tracked only while another stream uses them.
    pub(super) fn remove_route(&mut self, channel: &Channel) -> bool {
        let before = self.routes.len();
        self.routes.retain(|(c, _)| c != channel);
        let routes = &self.routes;
        self.timelines
            .retain(|t| routes.iter().any(|(_, ts)| ts.contains(t)));
        before != self.routes.len()
    }

    /// The timelines an event from `origin` may belong to.
    fn timelines_of<'a>(&'a self, origin: &'a Origin) -> &'a [Timeline] {
        let channel = match origin {
            Origin::Live => Some(&self.cfg.channel),
            Origin::Ws { channel, .. } => channel.as_ref(),
            Origin::Recovered(t) => return std::slice::from_ref(t),
        };
        channel
            .and_then(|c| self.routes.iter().find(|(rc, _)| rc == c))
            .map_or(&[], |(_, ts)| ts.as_slice())
    }

    /// Which timeline `event` from `origin` belongs to, with its ordering id.
    pub(super) fn place(&self, event: &Event, origin: &Origin) -> Option<(Timeline, Id)> {
        Timeline::place(self.timelines_of(origin), event).map(|(t, id)| (t.clone(), id))
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Whether the stream is live now.
    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// Whether a catch-up is in progress (live events are being held back).
    pub fn is_catching_up(&self) -> bool {
        self.catch_up.is_some()
    }

    /// Bytes and events buffered inside the session (parser buffers, held events), for
    /// checking that memory stays bounded.
    pub fn buffered(&self) -> (usize, usize) {
        let bytes = match &self.stream {
            Some((_, Reader::Sse(d))) => d.buffered(),
            _ => 0,
        };
        let held = self.catch_up.as_ref().map_or(0, |c| c.held.len());
        (bytes, held)
    }

    pub(super) fn id(&mut self) -> TransportId {
        let id = TransportId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(super) fn emit(&mut self, item: Item) {
        self.out.push_back(Output::Item(item));
    }

    pub(super) fn wall_now(&self) -> SystemTime {
        self.wall.1 + self.now.saturating_duration_since(self.wall.0)
    }

    /// The stream's base and request target for the next attempt: where a redirect sent
    /// it, else `path` on the streaming base.
    pub(super) fn stream_location(&mut self, path: &str) -> (Instance, String) {
        if let Some(once) = self.redirect_once.take() {
            return once;
        }
        if let Some(moved) = &self.moved {
            return moved.clone();
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

    // ---- the stream ------------------------------------------------------------------

    fn connect(&mut self) {
        self.state = State::Connecting;
        if self.cfg.transport == StreamTransport::WebSocket {
            return self.connect_ws();
        }
        let (instance, target) = self.stream_location(&self.cfg.channel.sse_target());
        let request = Request::get(instance.host_header(), target)
            .token_opt(self.cfg.token.clone())
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let t = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            Kind::Sse,
            self.now,
            &mut self.out,
        );
        self.stream = Some((t, Reader::Sse(Box::new(Decoder::http(self.cfg.limits)))));
    }

    pub(super) fn stream_is(&self, id: TransportId) -> bool {
        self.stream.as_ref().is_some_and(|(t, _)| t.id == id)
    }

    /// Runs the stream's decoder dry.
    fn drain_stream(&mut self) {
        loop {
            let Some((_, Reader::Sse(decoder))) = &mut self.stream else {
                return;
            };
            let Some(frame) = decoder.poll() else { return };
            match frame {
                Ok(Frame::Head(_)) => self.went_live(),
                Ok(Frame::Retry(ms)) => self.server_retry = Some(Duration::from_millis(ms)),
                Ok(Frame::Comment(text)) if !self.cfg.heartbeats => drop(text),
                Ok(Frame::Comment(text)) => self.emit(Item::Event(Event::Heartbeat(text))),
                Ok(Frame::End) => self.stream_failed(ErrorKind::Closed.into()),
                Ok(frame) => {
                    if let Some(event) = frame.into_event(self.cfg.json) {
                        self.live_event(event, Origin::Live);
                    }
                }
                Err(e) => self.stream_failed(e),
            }
        }
    }

    pub(super) fn went_live(&mut self) {
        let Some((t, reader)) = &mut self.stream else {
            return;
        };
        t.head_received(self.now);
        let url = t.instance.absolute(&t.target);
        // A WebSocket's URL has its own scheme: `wss://` (or `ws://`).
        let url = match reader {
            Reader::Ws { .. } => url.replacen("http", "ws", 1),
            Reader::Sse(_) => url,
        };
        self.state = State::Live { since: self.now };
        self.redirects = 0;
        self.emit(Item::Connected { url });
        self.subscribe_all();
        if self.timelines.is_empty() {
            return;
        }
        if self.ever_live {
            self.start_catch_up();
        } else if self.cfg.catch_up.anchor {
            self.anchor_queue = self.timelines.iter().cloned().collect();
            self.next_fetch();
        }
        self.ever_live = true;
    }

    /// A live event: held back during catch-up, delivered otherwise.
    pub(super) fn live_event(&mut self, event: Event, origin: Origin) {
        if self.catch_up.is_none() {
            return self.deliver(event, origin);
        }
        let placed = self.place(&event, &origin);
        let Some(c) = &mut self.catch_up else { return };
        if let Some((timeline, id)) = placed {
            c.first_live.entry(timeline).or_insert(id);
        }
        c.held.push_back((event, origin));
        if c.held.len() > self.cfg.catch_up.max_held {
            self.abandon_catch_up(GapReason::HeldOverflow);
        }
    }

    /// Hands an event to the application, unless it was delivered already; tracks the
    /// newest id per timeline.
    pub(super) fn deliver(&mut self, event: Event, origin: Origin) {
        if let Some((timeline, id)) = self.place(&event, &origin) {
            if let Some(key) = Key::of(&event)
                && !self.recent.insert((timeline.clone(), key))
            {
                return;
            }
            let mut slot = self.anchors.remove(&timeline);
            Anchor::advance(&mut slot, &id);
            if let Some(a) = slot {
                self.anchors.insert(timeline, a);
            }
        }
        self.emit(match origin {
            Origin::Live => Item::Event(event),
            Origin::Ws { stream, channel } => Item::StreamEvent {
                stream,
                channel,
                event,
            },
            Origin::Recovered(_) => Item::Recovered(event),
        });
    }

    /// The stream ended, one way or another: decide what comes next.
    pub(super) fn stream_failed(&mut self, error: Error) {
        let Some((t, _)) = self.stream.take() else {
            return;
        };
        self.out.push_back(Output::Close { transport: t.id });
        let was_live = match self.state {
            State::Live { since } => Some(since),
            _ => None,
        };
        if self.catch_up.is_some() {
            self.interrupt_catch_up();
        }
        self.cancel_fetch();
        self.anchor_queue.clear();
        if was_live.is_some() {
            self.emit(Item::Disconnected {
                error: error.clone(),
            });
        }
        match self.next_step(&t, &error) {
            Next::Stop => self.finish(Err(error)),
            Next::Redirect {
                location,
                permanent,
            } => self.redirect(&t, &location, permanent),
            Next::Retry { floor } => {
                if let Some(since) = was_live
                    && self.now.saturating_duration_since(since) >= self.cfg.healthy_after
                {
                    self.failures = 0;
                }
                self.retry(floor, error);
            }
        }
    }

    fn next_step(&self, t: &Transport, error: &Error) -> Next {
        match error.kind() {
            ErrorKind::Status { head, .. } => {
                let status = head.status();
                let retry_after = head
                    .retry_after()
                    .map_or(Duration::ZERO, |r| r.delay_from(self.wall_now()));
                match status {
                    301 | 302 | 303 | 307 | 308 => match head.location() {
                        Some(location) if t.phase() != Phase::Connecting => Next::Redirect {
                            location: location.to_owned(),
                            permanent: matches!(status, 301 | 308),
                        },
                        _ => Next::Stop,
                    },
                    408 | 425 | 429 | 500..=599 => Next::Retry { floor: retry_after },
                    _ => Next::Stop,
                }
            }
            ErrorKind::NotEventStream { .. }
            | ErrorKind::Url(_)
            | ErrorKind::TooManyRedirects { .. }
            | ErrorKind::GaveUp { .. } => Next::Stop,
            _ => Next::Retry {
                floor: Duration::ZERO,
            },
        }
    }

    fn redirect(&mut self, t: &Transport, location: &str, permanent: bool) {
        self.redirects += 1;
        if self.redirects > self.cfg.max_redirects {
            let e = ErrorKind::TooManyRedirects {
                limit: self.cfg.max_redirects,
            };
            return self.finish(Err(e.into()));
        }
        match t.instance.resolve(&t.target, location) {
            Ok(next) => {
                if permanent {
                    self.moved = Some(next);
                } else {
                    self.redirect_once = Some(next);
                }
                self.connect();
            }
            Err(e) => self.finish(Err(e.into())),
        }
    }

    fn retry(&mut self, floor: Duration, error: Error) {
        self.failures = self.failures.saturating_add(1);
        if let Some(max) = self.cfg.backoff.max_attempts
            && self.failures >= max
        {
            let e = ErrorKind::GaveUp {
                attempts: self.failures,
                last: Box::new(error),
            };
            return self.finish(Err(e.into()));
        }
        let delay = self
            .cfg
            .backoff
            .delay(self.failures - 1, &mut self.rng)
            .max(floor)
            .max(self.server_retry.unwrap_or(Duration::ZERO));
        self.state = State::Waiting {
            until: self.now + delay,
        };
        self.emit(Item::Reconnecting {
            attempt: self.failures,
            delay,
            error,
        });
    }

    pub(super) fn finish(&mut self, result: Result<(), Error>) {
        if let Some((t, _)) = self.stream.take() {
            self.out.push_back(Output::Close { transport: t.id });
        }
        self.cancel_fetch();
        self.catch_up = None;
        self.anchor_queue.clear();
        self.state = State::Finished;
        self.out.push_back(Output::Finished(result));
    }
}

impl Machine for Session {
    fn handle_connected(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if self.stream_is(transport) {
            // A WebSocket is live once upgraded (a repeated `connected` changes nothing).
            let ws = if let Some((t, r)) = &mut self.stream {
                let first = t.phase() == Phase::Connecting;
                t.connected(self.now, &mut self.out);
                first && matches!(r, Reader::Ws { .. })
            } else {
                false
            };
            if ws {
                self.went_live();
            }
        } else if self.fetch_is(transport)
            && let Some(f) = &mut self.fetch
        {
            f.transport.connected(self.now, &mut self.out);
        }
    }

    fn handle_data(&mut self, transport: TransportId, data: Bytes, now: Instant) {
        self.now = self.now.max(now);
        if self.stream_is(transport) {
            if let Some((t, Reader::Sse(decoder))) = &mut self.stream {
                t.received(self.now);
                decoder.feed(data);
            }
            self.drain_stream();
        } else if self.fetch_is(transport)
            && let Some(f) = &mut self.fetch
        {
            match f.collector.feed(data) {
                Ok(Some(response)) => self.fetched(Ok(response)),
                Ok(None) => {}
                Err(e) => self.fetched(Err(e)),
            }
        }
    }

    fn handle_eof(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if self.stream_is(transport) {
            match &mut self.stream {
                Some((_, Reader::Sse(decoder))) => decoder.feed_eof(),
                _ => self.stream_failed(ErrorKind::Closed.into()),
            }
            self.drain_stream();
        } else if self.fetch_is(transport)
            && let Some(f) = &mut self.fetch
        {
            let result = f.collector.eof();
            self.fetched(result);
        }
    }

    fn handle_io_error(&mut self, transport: TransportId, error: TransportError, now: Instant) {
        self.now = self.now.max(now);
        if let Some((t, _)) = &self.stream
            && t.id == transport
        {
            let e = t.transport_error(error);
            self.stream_failed(e);
        } else if let Some(f) = &self.fetch
            && f.transport.id == transport
        {
            let e = f.transport.transport_error(error);
            self.fetched(Err(e));
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some((t, _)) = &self.stream
            && t.deadline() <= self.now
        {
            let e = t.timeout_error();
            self.stream_failed(e);
        }
        if let Some(f) = &self.fetch
            && f.transport.deadline() <= self.now
        {
            let e = f.transport.timeout_error();
            self.fetched(Err(e));
        }
        if let State::Waiting { until } = self.state
            && until <= self.now
            && self.stream.is_none()
        {
            self.connect();
        }
    }

    fn close(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state != State::Finished {
            self.finish(Ok(()));
        }
    }

    fn poll(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Finished {
            return None;
        }
        let waiting = match self.state {
            State::Waiting { until } if self.stream.is_none() => Some(until),
            _ => None,
        };
        [
            self.stream.as_ref().map(|(t, _)| t.deadline()),
            self.fetch.as_ref().map(|f| f.transport.deadline()),
            waiting,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn is_finished(&self) -> bool {
        self.state == State::Finished && self.out.is_empty()
    }
}
