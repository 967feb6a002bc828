//! The WebSocket scenarios every adapter runs against the fake server's WebSocket endpoint
//! (real loopback TCP and TLS): many streams on one connection, Mastodon's message shapes,
//! refused subscriptions, pings and silence, drops with resubscription and catch-up per
//! subscription, refused upgrades, and subscriptions changed at run time.
//!
//! The harness is the one of the [SSE scenarios](super), with two more client actions
//! ([`WsAction::Subscribe`], [`WsAction::Unsubscribe`]):
//!
//! ```text
//! for scenario in scenarios::ws::all() {
//!     for tls in [false, true] {
//!         let server = FakeServer::start(scenario.server_options(tls));
//!         let client = /* as for the SSE scenarios */;
//!         let mut run = WsRun::new(&scenario, &server);
//!         let mut stream = client.websocket(scenario.channels.clone());
//!         let mut action = run.start();
//!         loop {
//!             match action {
//!                 WsAction::Wait | Settle | Close => /* as for SSE */,
//!                 WsAction::Advance(d) => { /* let d pass */ action = run.resume(elapsed()) }
//!                 WsAction::Subscribe(c) => { stream.subscribe(c); action = run.resume(elapsed()) }
//!                 WsAction::Unsubscribe(c) => { stream.unsubscribe(c); action = run.resume(elapsed()) }
//!                 WsAction::Done => break,
//!             }
//!         }
//!         run.verify()?;
//!     }
//! }
//! ```

use std::time::Duration;

use mastostream_proto::session::Item;
use mastostream_proto::{Channel, Event};

use super::{Pub, Published, SETTLE, Seen, What, is_timeline};
use crate::fake::{Cut, FakeServer, Plan, RecordedRequest, ServerOptions, WsConnection};

pub use super::ws_list::all;

/// One WebSocket scenario.
#[derive(Debug, Clone)]
pub struct WsScenario {
    /// A short name (for test output).
    pub name: &'static str,
    /// The streams the client subscribes to first.
    pub channels: Vec<Channel>,
    /// The token the server requires (`None`: any).
    pub server_token: Option<&'static str>,
    /// The token the client sends.
    pub client_token: Option<&'static str>,
    /// The WebSocket on a separate port named by `/api/v2/instance`.
    pub separate_streaming: bool,
    /// Lists the server refuses to stream.
    pub forbidden_lists: Vec<&'static str>,
    /// Plans for the server's upgrade requests, in order.
    pub plans: Vec<Plan>,
    /// The script.
    pub steps: Vec<WsStep>,
    /// The verdict over everything observed.
    pub check: fn(&WsReport<'_>) -> Result<(), String>,
}

impl WsScenario {
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

/// A payload for [`WsStep::PublishTo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A new generated status (JSON, sent encoded twice); its id is recorded.
    NewStatus,
    /// This text, as it is.
    Text(&'static str),
}

/// One step of a WebSocket scenario's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsStep {
    /// Publish to every subscription whose stream carries the event (and to the store).
    Publish(Vec<Pub>),
    /// Publish one event to the subscriptions of exactly this stream (live only).
    PublishTo(&'static [&'static str], &'static str, Payload),
    /// Send this text as one message on every live WebSocket.
    Raw(&'static str),
    /// Wait until the client reported `Connected` this many times in all.
    Connected(usize),
    /// Wait until the client reported `Disconnected` this many times in all.
    Disconnected(usize),
    /// Wait until the client received this many entity events in all (live and recovered;
    /// heartbeats, malformed and unknown events not counted).
    Received(usize),
    /// Wait until the client received this many live events of any kind in all.
    Events(usize),
    /// Wait until the client reported this many `StreamError`s in all.
    StreamErrors(usize),
    /// Wait until the client reported this many `CaughtUp` items in all.
    CaughtUp(usize),
    /// Wait until the server's newest WebSocket is open with exactly this many
    /// subscriptions.
    Subscribed(usize),
    /// Wait for the server to have answered this many REST timeline requests in all.
    RestRequests(usize),
    /// Wait until the server's newest WebSocket has had this many pongs from the client:
    /// the client has read that many pings, so time may pass without racing them.
    Ponged(usize),
    /// The client subscribes to this stream.
    Subscribe(Channel),
    /// The client unsubscribes from this stream.
    Unsubscribe(Channel),
    /// Wait for the next `Reconnecting`, then let its delay pass.
    Reconnect,
    /// Let this much time pass.
    Advance(Duration),
    /// Cut every live WebSocket this way.
    Cut(Cut),
    /// Revoke the server's token (later upgrades get `401`).
    RevokeToken,
    /// Wait for the stream to end by itself (a fatal error).
    End,
}

/// What the harness must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsAction {
    /// Report the client's next observation ([`WsRun::observe`]).
    Wait,
    /// Keep the client running for about [`SETTLE`] of real time, reporting what it
    /// observes ([`WsRun::observe`]); then call [`WsRun::settled`].
    Settle,
    /// Let this much time pass on the client's clock, then call [`WsRun::resume`].
    Advance(Duration),
    /// Subscribe the client to this stream, then call [`WsRun::resume`].
    Subscribe(Channel),
    /// Unsubscribe the client from this stream, then call [`WsRun::resume`].
    Unsubscribe(Channel),
    /// Close the client's stream, then keep reporting until its end.
    Close,
    /// The scenario is over: call [`WsRun::verify`].
    Done,
}

/// Everything a check sees.
#[derive(Debug)]
pub struct WsReport<'a> {
    /// Every observation, in order.
    pub seen: &'a [Seen],
    /// Ids of the statuses published to every stream, in order.
    pub updates: &'a [u64],
    /// Ids of the notifications published, in order.
    pub notifications: &'a [u64],
    /// Ids of the statuses published to one stream ([`Payload::NewStatus`]), in order.
    pub targeted: &'a [u64],
    /// When each heartbeat (a ping) was sent, on the client's clock: at the latest
    /// observation or resumption before it (so never later than it was sent).
    pub pings: &'a [Duration],
    /// Every request the server received.
    pub requests: Vec<RecordedRequest>,
    /// Every WebSocket connection the server saw.
    pub connections: Vec<WsConnection>,
}

/// A WebSocket scenario in progress.
#[derive(Debug)]
pub struct WsRun<'s> {
    scenario: &'s WsScenario,
    server: &'s FakeServer,
    next: usize,
    seen: Vec<Seen>,
    published: Published,
    targeted: Vec<u64>,
    pings: Vec<Duration>,
    /// The client's clock as last reported.
    clock: Duration,
    reconnects_used: usize,
    ended: bool,
    failure: Option<String>,
    pending_advance: Option<Duration>,
    settles: u32,
}

/// How many settles a step waits for the server before failing (10 s).
const MAX_SETTLES: u32 = (10_000 / SETTLE.as_millis()) as u32;

impl<'s> WsRun<'s> {
    /// Prepares the server (plans, forbidden lists).
    pub fn new(scenario: &'s WsScenario, server: &'s FakeServer) -> WsRun<'s> {
        server.plan(scenario.plans.iter().cloned());
        for list in &scenario.forbidden_lists {
            server.forbid_list(list);
        }
        WsRun {
            scenario,
            server,
            next: 0,
            seen: Vec::new(),
            published: Published::default(),
            targeted: Vec::new(),
            pings: Vec::new(),
            clock: Duration::ZERO,
            reconnects_used: 0,
            ended: false,
            failure: None,
            pending_advance: None,
            settles: 0,
        }
    }

    /// Runs the first steps.
    pub fn start(&mut self) -> WsAction {
        self.steps()
    }

    /// Goes on after [`WsAction::Advance`], [`WsAction::Subscribe`] or
    /// [`WsAction::Unsubscribe`]; `at` is the client's clock now (since the start).
    pub fn resume(&mut self, at: Duration) -> WsAction {
        self.clock = self.clock.max(at);
        self.steps()
    }

    /// Goes on after [`WsAction::Settle`].
    pub fn settled(&mut self) -> WsAction {
        if let Some(d) = self.pending_advance.take() {
            return WsAction::Advance(d);
        }
        self.steps()
    }

    /// Reports one observation; returns what to do next.
    pub fn observe(&mut self, at: Duration, what: What) -> WsAction {
        if matches!(what, What::End(_)) {
            self.ended = true;
        }
        self.clock = self.clock.max(at);
        self.seen.push(Seen { at, what });
        if self.pending_advance.is_some() {
            return WsAction::Settle;
        }
        self.steps()
    }

    fn count(&self, f: impl Fn(&Item) -> bool) -> usize {
        self.seen
            .iter()
            .filter(|s| matches!(&s.what, What::Item(i) if f(i)))
            .count()
    }

    /// Waits on the server without blocking the client.
    fn poll_server(&mut self, ok: bool, what: &str) -> Option<WsAction> {
        if ok {
            self.settles = 0;
            return None;
        }
        self.settles += 1;
        if self.settles > MAX_SETTLES {
            self.failure
                .get_or_insert(format!("the server never got {what}"));
            return Some(WsAction::Close);
        }
        Some(WsAction::Settle)
    }

    fn steps(&mut self) -> WsAction {
        while let Some(step) = self.scenario.steps.get(self.next) {
            let done = match step {
                WsStep::Publish(list) => {
                    for p in list {
                        self.publish(*p);
                    }
                    true
                }
                WsStep::PublishTo(stream, event, payload) => {
                    let data = match payload {
                        Payload::NewStatus => {
                            let id = self.server.publish_update_to(stream, event);
                            self.targeted.push(id);
                            None
                        }
                        Payload::Text(t) => Some(*t),
                    };
                    if let Some(data) = data {
                        self.server.publish_to(stream, event, data);
                    }
                    true
                }
                WsStep::Raw(text) => {
                    self.server.send_raw(text.as_bytes());
                    true
                }
                WsStep::Cut(cut) => {
                    self.server.cut_streams(*cut);
                    true
                }
                WsStep::RevokeToken => {
                    self.server.revoke_token();
                    true
                }
                WsStep::Subscribe(c) => {
                    self.next += 1;
                    return WsAction::Subscribe(c.clone());
                }
                WsStep::Unsubscribe(c) => {
                    self.next += 1;
                    return WsAction::Unsubscribe(c.clone());
                }
                WsStep::Advance(d) => {
                    self.next += 1;
                    self.pending_advance = Some(*d);
                    return WsAction::Settle;
                }
                WsStep::Connected(n) => self.count(|i| matches!(i, Item::Connected { .. })) >= *n,
                WsStep::Disconnected(n) => {
                    self.count(|i| matches!(i, Item::Disconnected { .. })) >= *n
                }
                WsStep::Received(n) => self.count(is_entity) >= *n,
                WsStep::Events(n) => {
                    self.count(|i| matches!(i, Item::Event(e) if !e.recovered)) >= *n
                }
                WsStep::StreamErrors(n) => {
                    self.count(|i| matches!(i, Item::StreamError { .. })) >= *n
                }
                WsStep::CaughtUp(n) => self.count(|i| matches!(i, Item::CaughtUp { .. })) >= *n,
                WsStep::Subscribed(n) => {
                    let ok = self
                        .server
                        .ws_connections()
                        .last()
                        .is_some_and(|c| c.open && c.subscriptions.len() == *n);
                    if let Some(a) = self.poll_server(ok, &format!("{n} subscriptions")) {
                        return a;
                    }
                    true
                }
                WsStep::Ponged(n) => {
                    let ok = self
                        .server
                        .ws_connections()
                        .last()
                        .is_some_and(|c| c.pongs >= *n);
                    if let Some(a) = self.poll_server(ok, &format!("{n} pongs")) {
                        return a;
                    }
                    true
                }
                WsStep::RestRequests(n) => {
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
                WsStep::Reconnect => {
                    let delay = self
                        .seen
                        .iter()
                        .filter_map(|s| match &s.what {
                            What::Item(Item::Reconnecting { delay, .. }) => Some(*delay),
                            _ => None,
                        })
                        .nth(self.reconnects_used);
                    if let Some(delay) = delay {
                        self.reconnects_used += 1;
                        self.next += 1;
                        self.pending_advance = Some(delay);
                        return WsAction::Settle;
                    }
                    false
                }
                WsStep::End => self.ended,
            };
            if !done {
                if self.ended {
                    self.failure
                        .get_or_insert(format!("the stream ended while waiting for {step:?}"));
                    return WsAction::Done;
                }
                return WsAction::Wait;
            }
            self.next += 1;
        }
        if self.ended {
            WsAction::Done
        } else {
            WsAction::Close
        }
    }

    fn publish(&mut self, p: Pub) {
        if p == Pub::Heartbeat {
            self.pings.push(self.clock);
        }
        self.published.publish(self.server, p);
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
        let report = WsReport {
            seen: &self.seen,
            updates: &self.published.updates,
            notifications: &self.published.notifications,
            targeted: &self.targeted,
            pings: &self.pings,
            requests: self.server.requests(),
            connections: self.server.ws_connections(),
        };
        (self.scenario.check)(&report).map_err(|e| {
            format!(
                "{name}: {e}\n{:#?}\nserver: {:#?}",
                self.seen, report.connections
            )
        })
    }
}

/// Whether an item is an entity event (live on a stream, or recovered): not a heartbeat,
/// malformed or unknown event.
pub fn is_entity(item: &Item) -> bool {
    match item {
        Item::Event(e) => !matches!(
            e.event,
            Event::Heartbeat(_) | Event::Malformed { .. } | Event::Unknown { .. }
        ),
        _ => false,
    }
}
