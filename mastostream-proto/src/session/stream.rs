//! [`Session`]: one Mastodon stream that reconnects with backoff and catches up over REST.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::catchup::{Anchor, CatchUp, Key, Progress, Recent};
use super::rest::{Collector, Response};
use super::transport::{Phase, Transport};
use super::{
    Gap, GapReason, Instance, Item, Machine, Output, Rng, SessionConfig, Timeline, TransportError,
    TransportId,
};
use crate::Event;
use crate::decoder::{Decoder, Frame};
use crate::error::{Error, ErrorKind};
use crate::http::Request;

/// How many delivered ids are remembered for duplicate removal.
const RECENT_IDS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
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
enum Purpose {
    /// The newest id of a timeline, on the first connection.
    Anchor(Timeline),
    /// A catch-up page (the progress is in `CatchUp::current`).
    Page,
}

#[derive(Debug)]
struct Fetch {
    transport: Transport,
    collector: Collector,
    purpose: Purpose,
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
    cfg: SessionConfig,
    now: Instant,
    /// The wall clock at `t0`, for `Retry-After` dates.
    wall: (Instant, SystemTime),
    rng: Rng,
    out: VecDeque<Output>,
    next_id: u64,
    state: State,
    stream: Option<(Transport, Decoder)>,
    fetch: Option<Fetch>,
    /// Consecutive failed attempts.
    failures: u32,
    /// The server's `retry:` (a floor for reconnect delays).
    server_retry: Option<Duration>,
    redirects: u32,
    /// Where a permanent redirect sent the stream.
    moved: Option<(Instance, String)>,
    /// Where a temporary redirect sends the next attempt only.
    redirect_once: Option<(Instance, String)>,
    ever_live: bool,
    timelines: Vec<Timeline>,
    anchors: HashMap<Timeline, Anchor>,
    anchor_queue: VecDeque<Timeline>,
    catch_up: Option<CatchUp>,
    recent: Recent,
}

impl Session {
    /// A session that starts connecting at once. `now` is the current monotonic time and
    /// `wall` the current wall-clock time (read once, for `Retry-After` dates).
    pub fn new(cfg: SessionConfig, now: Instant, wall: SystemTime) -> Session {
        let timelines = if cfg.catch_up.enabled {
            Timeline::for_channel(&cfg.channel)
        } else {
            Vec::new()
        };
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
            timelines,
            anchors: HashMap::new(),
            anchor_queue: VecDeque::new(),
            catch_up: None,
            recent: Recent::new(RECENT_IDS),
        };
        s.connect();
        s
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
        let bytes = self.stream.as_ref().map_or(0, |(_, d)| d.buffered());
        let held = self.catch_up.as_ref().map_or(0, |c| c.held.len());
        (bytes, held)
    }

    fn id(&mut self) -> TransportId {
        let id = TransportId(self.next_id);
        self.next_id += 1;
        id
    }

    fn emit(&mut self, item: Item) {
        self.out.push_back(Output::Item(item));
    }

    fn wall_now(&self) -> SystemTime {
        self.wall.1 + self.now.saturating_duration_since(self.wall.0)
    }

    /// The stream's base and request target for the next attempt.
    fn stream_location(&mut self) -> (Instance, String) {
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
        let target = base.request_target(&self.cfg.channel.sse_target());
        (base, target)
    }

    // ---- the stream ------------------------------------------------------------------

    fn connect(&mut self) {
        let (instance, target) = self.stream_location();
        let request = Request::get(instance.host_header(), target)
            .token_opt(self.cfg.token.clone())
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let t = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            true,
            self.now,
            &mut self.out,
        );
        self.stream = Some((t, Decoder::http(self.cfg.limits)));
        self.state = State::Connecting;
    }

    fn stream_is(&self, id: TransportId) -> bool {
        self.stream.as_ref().is_some_and(|(t, _)| t.id == id)
    }

    /// Runs the stream's decoder dry.
    fn drain_stream(&mut self) {
        loop {
            let Some((_, decoder)) = &mut self.stream else {
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
                        self.live_event(event);
                    }
                }
                Err(e) => self.stream_failed(e),
            }
        }
    }

    fn went_live(&mut self) {
        let Some((t, _)) = &mut self.stream else {
            return;
        };
        t.head_received(self.now);
        let url = t.instance.absolute(&t.target);
        self.state = State::Live { since: self.now };
        self.redirects = 0;
        self.emit(Item::Connected { url });
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
    fn live_event(&mut self, event: Event) {
        let Some(c) = &mut self.catch_up else {
            self.deliver(event, false);
            return;
        };
        if let Some((timeline, id)) = Timeline::place(&self.timelines, &event) {
            c.first_live.entry(timeline.clone()).or_insert(id);
        }
        c.held.push_back(event);
        if c.held.len() > self.cfg.catch_up.max_held {
            self.abandon_catch_up(GapReason::HeldOverflow);
        }
    }

    /// Hands an event to the application, unless it was delivered already; tracks the
    /// newest id per timeline.
    fn deliver(&mut self, event: Event, recovered: bool) {
        if let Some(key) = Key::of(&event)
            && !self.recent.insert(key)
        {
            return;
        }
        if let Some((timeline, id)) = Timeline::place(&self.timelines, &event) {
            let slot = self.anchors.remove(timeline);
            let mut slot = slot;
            Anchor::advance(&mut slot, &id);
            if let Some(a) = slot {
                self.anchors.insert(timeline.clone(), a);
            }
        }
        self.emit(if recovered {
            Item::Recovered(event)
        } else {
            Item::Event(event)
        });
    }

    /// The stream ended, one way or another: decide what comes next.
    fn stream_failed(&mut self, error: Error) {
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

    fn finish(&mut self, result: Result<(), Error>) {
        if let Some((t, _)) = self.stream.take() {
            self.out.push_back(Output::Close { transport: t.id });
        }
        self.cancel_fetch();
        self.catch_up = None;
        self.anchor_queue.clear();
        self.state = State::Finished;
        self.out.push_back(Output::Finished(result));
    }

    // ---- catch-up --------------------------------------------------------------------

    fn start_catch_up(&mut self) {
        let mut c = CatchUp::default();
        for timeline in self.timelines.clone() {
            if self.anchors.contains_key(&timeline) {
                c.pending.push_back(timeline);
            } else {
                self.emit(Item::Gap(Gap {
                    timeline,
                    after: None,
                    before: None,
                    reason: GapReason::NoAnchor,
                }));
            }
        }
        if c.pending.is_empty() {
            return;
        }
        self.catch_up = Some(c);
        self.next_timeline();
    }

    /// Starts the next pending timeline, or ends the catch-up when none is left.
    fn next_timeline(&mut self) {
        let Some(c) = &mut self.catch_up else { return };
        match c.pending.pop_front() {
            Some(timeline) => {
                let cursor = self
                    .anchors
                    .get(&timeline)
                    .map_or_else(|| Anchor::Empty.min_id(), Anchor::min_id);
                c.current = Some(Progress {
                    timeline,
                    cursor,
                    pages: 0,
                    recovered: 0,
                });
                self.next_fetch();
            }
            None => self.end_catch_up(),
        }
    }

    /// Delivers what was held back, and resumes live delivery.
    fn end_catch_up(&mut self) {
        if let Some(c) = self.catch_up.take() {
            for event in c.held {
                self.deliver(event, false);
            }
        }
        self.next_fetch();
    }

    /// Catch-up cannot finish (the live stream outran it): report gaps, release the held
    /// events.
    fn abandon_catch_up(&mut self, reason: GapReason) {
        self.cancel_fetch();
        let Some(mut c) = self.catch_up.take() else {
            return;
        };
        let unfinished = c.current.take().map(|p| (p.timeline, Some(p.cursor)));
        let rest = c.pending.drain(..).map(|t| {
            let after = self.anchors.get(&t).and_then(|a| a.id().cloned());
            (t, after)
        });
        let gaps: Vec<_> = unfinished.into_iter().chain(rest).collect();
        for (timeline, after) in gaps {
            let before = c.first_live.get(&timeline).cloned();
            self.emit(Item::Gap(Gap {
                timeline,
                after,
                before,
                reason: reason.clone(),
            }));
        }
        for event in c.held {
            self.deliver(event, false);
        }
    }

    /// The stream dropped mid-catch-up. Held events that a timeline holds are dropped: the
    /// next catch-up fetches them again, in order. The others (deletes, edits, ...) cannot
    /// be fetched again, so they are delivered now.
    fn interrupt_catch_up(&mut self) {
        self.cancel_fetch();
        let Some(c) = self.catch_up.take() else {
            return;
        };
        for event in c.held {
            if Timeline::place(&self.timelines, &event).is_none() {
                self.deliver(event, false);
            }
        }
    }

    /// Opens the next REST request: an anchor, or a catch-up page.
    fn next_fetch(&mut self) {
        if self.fetch.is_some() || self.state == State::Finished {
            return;
        }
        let (purpose, target) =
            if let Some(p) = self.catch_up.as_ref().and_then(|c| c.current.as_ref()) {
                (
                    Purpose::Page,
                    p.timeline
                        .page_target(Some(&p.cursor), self.cfg.catch_up.page_size),
                )
            } else if let Some(timeline) = self.anchor_queue.pop_front() {
                let target = timeline.page_target(None, 1);
                (Purpose::Anchor(timeline), target)
            } else {
                return;
            };
        let instance = self.cfg.instance.clone();
        let target = instance.request_target(&target);
        let request = Request::get(instance.host_header(), target)
            .accept("application/json")
            .token_opt(self.cfg.token.clone())
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let transport = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            false,
            self.now,
            &mut self.out,
        );
        self.fetch = Some(Fetch {
            transport,
            collector: Collector::new(self.cfg.limits.max_head, self.cfg.catch_up.max_body),
            purpose,
        });
    }

    fn cancel_fetch(&mut self) {
        if let Some(f) = self.fetch.take() {
            self.out.push_back(Output::Close {
                transport: f.transport.id,
            });
        }
    }

    fn fetch_is(&self, id: TransportId) -> bool {
        self.fetch.as_ref().is_some_and(|f| f.transport.id == id)
    }

    /// A REST request finished (or failed).
    fn fetched(&mut self, result: Result<Response, Error>) {
        let Some(f) = self.fetch.take() else { return };
        self.out.push_back(Output::Close {
            transport: f.transport.id,
        });
        let result = result.and_then(|r| {
            if r.head.status() == 200 {
                Ok(r)
            } else {
                let message = crate::decoder::server_message(&r.head, &r.body);
                Err(ErrorKind::Status {
                    head: r.head,
                    message,
                }
                .into())
            }
        });
        match f.purpose {
            Purpose::Anchor(timeline) => {
                if let Ok(r) = result {
                    self.anchored(timeline, &r);
                }
                self.next_fetch();
            }
            Purpose::Page => match result {
                Ok(r) => self.page(&r),
                Err(e) => self.page_failed(e.to_string()),
            },
        }
    }

    fn anchored(&mut self, timeline: Timeline, r: &Response) {
        let Ok(events) = timeline.decode_page(&r.body, self.cfg.json) else {
            return;
        };
        let newest = events
            .iter()
            .filter_map(|e| Timeline::place(std::slice::from_ref(&timeline), e).map(|(_, id)| id))
            .max();
        let slot = self.anchors.entry(timeline).or_insert(Anchor::Empty);
        if let Some(id) = newest {
            let mut s = Some(slot.clone());
            Anchor::advance(&mut s, &id);
            if let Some(a) = s {
                *slot = a;
            }
        }
    }

    fn page_failed(&mut self, error: String) {
        let Some(c) = &mut self.catch_up else { return };
        let Some(p) = c.current.take() else { return };
        let before = c.first_live.get(&p.timeline).cloned();
        self.emit(Item::Gap(Gap {
            timeline: p.timeline,
            after: Some(p.cursor),
            before,
            reason: GapReason::FetchFailed(error),
        }));
        self.next_timeline();
    }

    /// A catch-up page arrived: deliver it oldest first, then decide whether to go on.
    fn page(&mut self, r: &Response) {
        let Some(c) = &mut self.catch_up else { return };
        let Some(p) = &mut c.current else { return };
        let events = match p.timeline.decode_page(&r.body, self.cfg.json) {
            Ok(events) => events,
            Err(e) => return self.page_failed(e),
        };
        let timeline = p.timeline.clone();
        let first_live = c.first_live.get(&timeline).cloned();
        p.pages += 1;
        let pages = p.pages;
        let mut reached_live = false;
        let mut newest = p.cursor.clone();
        let mut fresh = Vec::with_capacity(events.len());
        // Pages are newest first; deliver oldest first.
        for event in events.into_iter().rev() {
            let id = Timeline::place(std::slice::from_ref(&timeline), &event).map(|(_, id)| id);
            if let Some(id) = &id {
                if first_live.as_ref().is_some_and(|l| id >= l) {
                    reached_live = true;
                    continue;
                }
                if *id > newest {
                    newest = id.clone();
                }
            }
            fresh.push(event);
        }
        // Prefer the server's own cursor for the next page when it names one.
        let cursor = r
            .link("prev")
            .and_then(|url| min_id_of(&url))
            .filter(|c| *c >= newest)
            .unwrap_or(newest);
        let empty = fresh.is_empty() && !reached_live;
        let count = fresh.len();
        for event in fresh {
            self.deliver(event, true);
        }
        let Some(c) = &mut self.catch_up else { return };
        let Some(p) = &mut c.current else { return };
        p.recovered += count;
        p.cursor = cursor.clone();
        if empty || reached_live {
            let (timeline, recovered) = (p.timeline.clone(), p.recovered);
            c.current = None;
            self.emit(Item::CaughtUp {
                timeline,
                recovered,
            });
            self.next_timeline();
        } else if pages >= self.cfg.catch_up.max_pages {
            let p = c.current.take();
            if let Some(p) = p {
                self.emit(Item::Gap(Gap {
                    timeline: p.timeline,
                    after: Some(cursor),
                    before: first_live,
                    reason: GapReason::PageCap,
                }));
            }
            self.next_timeline();
        } else {
            self.next_fetch();
        }
    }
}

/// The `min_id` query parameter of a `Link` URL.
fn min_id_of(url: &str) -> Option<crate::Id> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("min_id="))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(crate::Id::from)
}

impl Machine for Session {
    fn handle_connected(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if self.stream_is(transport) {
            if let Some((t, _)) = &mut self.stream {
                t.connected(self.now, &mut self.out);
            }
        } else if self.fetch_is(transport)
            && let Some(f) = &mut self.fetch
        {
            f.transport.connected(self.now, &mut self.out);
        }
    }

    fn handle_connect_failed(
        &mut self,
        transport: TransportId,
        error: TransportError,
        now: Instant,
    ) {
        self.handle_io_error(transport, error, now);
    }

    fn handle_data(&mut self, transport: TransportId, data: Bytes, now: Instant) {
        self.now = self.now.max(now);
        if self.stream_is(transport) {
            if let Some((t, decoder)) = &mut self.stream {
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
            if let Some((_, decoder)) = &mut self.stream {
                decoder.feed_eof();
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
