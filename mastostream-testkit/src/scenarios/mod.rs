//! The fault scenarios every adapter runs against the [`FakeServer`],
//! on real loopback TCP and real TLS: one list, every runtime. The WebSocket transport's
//! scenarios are in [`ws`], with the same harness.
//!
//! A [`Scenario`] is the server's setup ([`Plan`]s for its stream requests), a script of
//! [`Step`]s (publish, wait for what the client sees, let time pass, restart) and a check of
//! everything the client observed. An adapter's test only builds its own client and runs
//! the loop:
//!
//! ```text
//! for scenario in scenarios::all() {
//!     for tls in [false, true] {
//!         let server = FakeServer::start(scenario.server_options(tls));
//!         let client = /* the adapter's client for server.url(), scenario.client_token,
//!                        trusting server.ca() with TLS */;
//!         let mut run = Run::new(&scenario, &server);
//!         // Op::Stream: open client.stream(scenario.channel), then
//!         let mut action = run.start();
//!         loop {
//!             match action {
//!                 Action::Wait => action = run.observe(elapsed(), next_item_or_end().await),
//!                 Action::Settle => race(next_item_or_end(), real_sleep(SETTLE)):
//!                     an item: action = run.observe(elapsed(), item),
//!                     the sleep: action = run.settled(),
//!                 Action::Advance(d) => { /* let d pass on the client's clock */
//!                                          action = run.resume() }
//!                 Action::Close => { stream.close(); action = Action::Wait }
//!                 Action::Done => break,
//!             }
//!         }
//!         run.verify()?;
//!     }
//! }
//! ```
//!
//! The client must keep running while the harness settles (scenario steps that wait on the
//! server never block). `elapsed()` is the client's clock since the start (a virtual clock where the runtime has
//! one: the scenarios let minutes pass). Where a runtime has no virtual clock, its harness
//! may shorten the session's timeouts and backoff by one factor and sleep the scaled
//! durations instead; `Retry-After` values come from the server in whole seconds and
//! cannot be scaled.

pub mod drive;
mod list;
pub mod ws;
mod ws_checks;
mod ws_list;

use std::time::Duration;

use mastostream_proto::session::Item;
use mastostream_proto::{Channel, Error, Event};

use crate::fake::{FakeServer, Plan, RecordedRequest, ServerOptions};

pub use list::all;

/// What the client under test does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Open the scenario's stream and report every item, then its end.
    Stream,
    /// Call `stream_healthy()` once and report [`What::Health`].
    Health,
    /// Ask `/api/v2/instance` for the streaming URL and report [`What::Discovered`].
    Discover,
}

/// One fault scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// A short name (for test output).
    pub name: &'static str,
    /// What the client does.
    pub op: Op,
    /// The stream to open.
    pub channel: Channel,
    /// The token the server requires (`None`: any).
    pub server_token: Option<&'static str>,
    /// The token the client sends.
    pub client_token: Option<&'static str>,
    /// Streams on a separate port named by `/api/v2/instance` (client discovery required).
    pub separate_streaming: bool,
    /// Plans for the server's stream requests, in order.
    pub plans: Vec<Plan>,
    /// The script.
    pub steps: Vec<Step>,
    /// The verdict over everything observed.
    pub check: fn(&Report<'_>) -> Result<(), String>,
}

impl Scenario {
    /// The server options for this scenario, over TLS or not.
    pub fn server_options(&self, tls: bool) -> ServerOptions {
        ServerOptions {
            tls,
            token: self.server_token.map(str::to_owned),
            separate_streaming: self.separate_streaming,
            ..ServerOptions::default()
        }
    }
}

/// Something for the server to publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pub {
    /// This many new statuses (`update`).
    Updates(usize),
    /// This many notifications.
    Notifications(usize),
    /// A `delete` of the newest status published.
    Delete,
    /// A `:thump`.
    Heartbeat,
}

/// One step of a scenario's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Publish (to live streams and the store).
    Publish(Vec<Pub>),
    /// Wait until the client reported `Connected` this many times in all.
    Connected(usize),
    /// Wait until the client reported `Disconnected` this many times in all.
    Disconnected(usize),
    /// Wait until the server received this many stream requests in all.
    StreamRequests(usize),
    /// Wait until the client received this many entity events in all (live and recovered;
    /// heartbeats, malformed and unknown events not counted).
    Received(usize),
    /// Wait until the client reported this many malformed events in all.
    Malformed(usize),
    /// Wait until the client reported this many `CaughtUp` items in all (one per timeline
    /// per catch-up), so that what is published next is live, not recovered.
    CaughtUp(usize),
    /// Wait for the server to have answered this many REST requests in all (anchors,
    /// catch-up pages), so that no request is in flight when time jumps.
    RestRequests(usize),
    /// Wait for the next `Reconnecting`, then let its delay pass.
    Reconnect,
    /// Let this much time pass.
    Advance(Duration),
    /// Close every connection on the server, as a restart does.
    Restart,
    /// Wait for the stream to end by itself (a fatal error).
    End,
}

/// What the client observed.
#[derive(Debug)]
pub enum What {
    /// An item of the stream.
    Item(Item),
    /// The stream ended: `Ok` once closed, `Err` with a fatal error.
    End(Result<(), Error>),
    /// The result of a health check.
    Health(Result<bool, Error>),
    /// The result of streaming URL discovery (the URL as text).
    Discovered(Result<Option<String>, Error>),
}

/// An observation with the client's clock.
#[derive(Debug)]
pub struct Seen {
    /// Time since the scenario started (virtual where the runtime has a virtual clock).
    pub at: Duration,
    /// What.
    pub what: What,
}

/// What the harness must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Report the client's next observation ([`Run::observe`]).
    Wait,
    /// Keep the client running for a moment of real time (about [`SETTLE`]), reporting
    /// whatever it observes meanwhile ([`Run::observe`]); then call [`Run::settled`].
    Settle,
    /// Let this much time pass on the client's clock (at once, where the clock is virtual),
    /// then call [`Run::resume`].
    Advance(Duration),
    /// Close the client's stream, then keep reporting until its end.
    Close,
    /// The scenario is over: call [`Run::verify`].
    Done,
}

/// Everything a check sees.
#[derive(Debug)]
pub struct Report<'a> {
    /// Every observation, in order.
    pub seen: &'a [Seen],
    /// Ids of the statuses published, in order.
    pub updates: &'a [u64],
    /// Ids of the notifications published, in order.
    pub notifications: &'a [u64],
    /// Every request the server received.
    pub requests: Vec<RecordedRequest>,
    /// The server's streaming URL (as `/api/v2/instance` names it).
    pub streaming_url: String,
}

/// What a scenario run has had the server publish, shared by the SSE and WebSocket runs.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// Ids of the statuses published, in order.
    pub(crate) updates: Vec<u64>,
    /// Ids of the notifications published, in order.
    pub(crate) notifications: Vec<u64>,
}

impl Published {
    /// Has `server` publish `p`, keeping the ids of what it published.
    pub(crate) fn publish(&mut self, server: &FakeServer, p: Pub) {
        match p {
            Pub::Updates(n) => {
                for _ in 0..n {
                    self.updates.push(server.publish_update());
                }
            }
            Pub::Notifications(n) => {
                for _ in 0..n {
                    self.notifications.push(server.publish_notification());
                }
            }
            Pub::Delete => {
                if let Some(id) = self.updates.last() {
                    server.publish_delete(*id);
                }
            }
            Pub::Heartbeat => server.heartbeat(),
        }
    }
}

/// A scenario in progress.
#[derive(Debug)]
pub struct Run<'s> {
    scenario: &'s Scenario,
    server: &'s FakeServer,
    next: usize,
    seen: Vec<Seen>,
    published: Published,
    reconnects_seen: usize,
    reconnects_used: usize,
    ended: bool,
    failure: Option<String>,
    /// Time to let pass once real I/O has settled.
    pending_advance: Option<Duration>,
    settles: u32,
}

/// How long one [`Action::Settle`] lasts in real time.
pub const SETTLE: Duration = Duration::from_millis(25);
/// How many settles a step waits for the server before failing (10 s).
const MAX_SETTLES: u32 = 400;

impl<'s> Run<'s> {
    /// Prepares the server (queues the plans).
    pub fn new(scenario: &'s Scenario, server: &'s FakeServer) -> Run<'s> {
        server.plan(scenario.plans.iter().cloned());
        Run {
            scenario,
            server,
            next: 0,
            seen: Vec::new(),
            published: Published::default(),
            reconnects_seen: 0,
            reconnects_used: 0,
            ended: false,
            failure: None,
            pending_advance: None,
            settles: 0,
        }
    }

    /// Runs the first steps (before the client observed anything).
    pub fn start(&mut self) -> Action {
        self.steps()
    }

    /// Goes on after an [`Action::Advance`].
    pub fn resume(&mut self) -> Action {
        self.steps()
    }

    /// Goes on after an [`Action::Settle`].
    pub fn settled(&mut self) -> Action {
        if let Some(d) = self.pending_advance.take() {
            return Action::Advance(d);
        }
        self.steps()
    }

    /// Reports one observation; returns what to do next.
    pub fn observe(&mut self, at: Duration, what: What) -> Action {
        match &what {
            What::Item(Item::Reconnecting { .. }) => self.reconnects_seen += 1,
            What::End(_) | What::Health(_) | What::Discovered(_) => self.ended = true,
            _ => {}
        }
        self.seen.push(Seen { at, what });
        if self.pending_advance.is_some() {
            return Action::Settle;
        }
        self.steps()
    }

    /// Waits on the server without blocking the client: settle and check again.
    fn poll_server(&mut self, ok: bool, what: &str) -> Option<Action> {
        if ok {
            self.settles = 0;
            return None;
        }
        self.settles += 1;
        if self.settles > MAX_SETTLES {
            self.fail(format!("the server never got {what}"));
            return Some(Action::Close);
        }
        Some(Action::Settle)
    }

    fn count(&self, f: impl Fn(&What) -> bool) -> usize {
        self.seen.iter().filter(|s| f(&s.what)).count()
    }

    fn steps(&mut self) -> Action {
        while let Some(step) = self.scenario.steps.get(self.next) {
            let done = match step {
                Step::Publish(list) => {
                    for p in list {
                        self.publish(*p);
                    }
                    true
                }
                Step::Restart => {
                    self.server.restart();
                    true
                }
                Step::Advance(d) => {
                    self.next += 1;
                    self.pending_advance = Some(*d);
                    return Action::Settle;
                }
                Step::Connected(n) => {
                    self.count(|w| matches!(w, What::Item(Item::Connected { .. }))) >= *n
                }
                Step::Received(n) => self.count(is_entity) >= *n,
                Step::Disconnected(n) => {
                    self.count(|w| matches!(w, What::Item(Item::Disconnected { .. }))) >= *n
                }
                Step::StreamRequests(n) => {
                    let got = self
                        .server
                        .requests()
                        .iter()
                        .filter(|r| r.is_stream())
                        .count();
                    if let Some(a) = self.poll_server(got >= *n, &format!("{n} stream requests")) {
                        return a;
                    }
                    true
                }
                Step::CaughtUp(n) => {
                    self.count(|w| matches!(w, What::Item(Item::CaughtUp { .. }))) >= *n
                }
                Step::Malformed(n) => self.count(
                    |w| matches!(w, What::Item(i) if i.event().is_some_and(Event::is_malformed)),
                ) >= *n,
                Step::RestRequests(n) => {
                    let got = self
                        .server
                        .requests()
                        .iter()
                        .filter(|r| is_timeline(&r.path))
                        .count();
                    if let Some(a) = self.poll_server(got >= *n, &format!("{n} REST requests")) {
                        return a;
                    }
                    true
                }
                Step::Reconnect => {
                    if self.reconnects_seen > self.reconnects_used {
                        let delay = self
                            .seen
                            .iter()
                            .filter_map(|s| match &s.what {
                                What::Item(Item::Reconnecting { delay, .. }) => Some(*delay),
                                _ => None,
                            })
                            .nth(self.reconnects_used)
                            .unwrap_or_default();
                        self.reconnects_used += 1;
                        self.next += 1;
                        self.pending_advance = Some(delay);
                        return Action::Settle;
                    }
                    false
                }
                Step::End => self.ended,
            };
            if !done {
                if self.ended {
                    self.fail(format!("the stream ended while waiting for {step:?}"));
                    return Action::Done;
                }
                return Action::Wait;
            }
            self.next += 1;
        }
        if self.ended {
            Action::Done
        } else {
            Action::Close
        }
    }

    fn publish(&mut self, p: Pub) {
        self.published.publish(self.server, p);
    }

    fn fail(&mut self, why: String) {
        self.failure.get_or_insert(why);
    }

    /// The verdict: every step done and the scenario's check passed.
    pub fn verify(&self) -> Result<(), String> {
        let name = self.scenario.name;
        if let Some(f) = &self.failure {
            return Err(format!("{name}: {f}\n{:#?}", self.seen));
        }
        if self.next < self.scenario.steps.len() {
            return Err(format!(
                "{name}: stopped at step {:?}\n{:#?}",
                self.scenario.steps[self.next], self.seen
            ));
        }
        let report = Report {
            seen: &self.seen,
            updates: &self.published.updates,
            notifications: &self.published.notifications,
            requests: self.server.requests(),
            streaming_url: self.server.streaming_url(),
        };
        (self.scenario.check)(&report).map_err(|e| format!("{name}: {e}\n{:#?}", self.seen))
    }
}

/// Whether an observation is an entity event (live or recovered), not a heartbeat,
/// malformed or unknown event.
pub fn is_entity(what: &What) -> bool {
    match what {
        What::Item(Item::Event(e)) => !matches!(
            e.event,
            Event::Heartbeat(_) | Event::Malformed { .. } | Event::Unknown { .. }
        ),
        _ => false,
    }
}

/// Whether a path is one of the REST timelines used for catch-up.
pub fn is_timeline(path: &str) -> bool {
    path.starts_with("/api/v1/timelines/")
        || path == "/api/v1/notifications"
        || path == "/api/v1/conversations"
}
