//! The only module that uses the Mastodon client (`mastostream-tokio`): it opens one
//! registered stream as a client session starting from a stored [`Cursor`], and turns the
//! session's items into the fleet's own [`SourceItem`]s. Nothing outside this module sees
//! a client type.
//!
//! The session does the work: its first connection catches up from the cursor over REST
//! exactly as after a reconnect (`SessionConfig::resume_from`; past the page cap a gap),
//! within the server's rate limits; every event carries the bytes the server wrote and
//! the timeline position it completes, which becomes the stored cursor once the event is
//! published. This module adds the fleet's rules around it: the catch-up deadline (module
//! `track`), the newest id of a timeline that has no position yet, fetched before the
//! first connection (`Client::newest_id`) so that the stream has a cursor from its first
//! second and the session catches up from it, and the instance's politeness gate
//! ([`crate::polite`]).
//!
//! One session per registered stream: each stream resumes from a cursor of its own, and a
//! WebSocket session carrying several streams can only add a subscription live (without a
//! resume point), so streams claimed later would lose what they missed. Streams of one
//! instance share a [`Clients`] entry (the server is discovered once) and the instance's
//! start permits (their first catch-ups spend its rate-limit budget a few at a time).

mod convert;
mod track;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use mastostream_tokio::{
    Channel, Client, EventStream, Gap, Instance, Item, StreamTransport, Timeline,
};
use tokio::sync::OwnedSemaphorePermit;

use crate::cursor::Cursor;
use crate::polite::InstanceGate;
use track::Tracker;

/// The payload of an event, as the message body carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Valid JSON text (an entity, or the literal `1`).
    Json(Bytes),
    /// Text that is not JSON (a bare id, `undefined`): carried as a JSON string.
    Text(String),
}

/// One event of a registered stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceEvent {
    /// The event name as Mastodon sends it (`update`, `status.update`, `delete`, ...).
    pub event: String,
    /// What identifies the entity (and its version, for edits), for `Nats-Msg-Id`: the
    /// status or notification id; `id@edited_at` for `status.update`; `id@last_status_id`
    /// for conversations. `None` for events without one (`notifications_merged`).
    pub entity: Option<String>,
    /// The payload.
    pub payload: Payload,
    /// Whether it was fetched over REST (it happened while the stream was not live).
    pub recovered: bool,
    /// The status's `uri`, for `update` events.
    pub uri: Option<String>,
}

/// Items may be missing from a timeline: catch-up could not cover this range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceGap {
    /// The timeline (`home`, `notifications`, `public:local`, `hashtag #rust`, ...).
    pub timeline: String,
    /// Items newer than this id may be missing (`None`: no known start).
    pub after: Option<String>,
    /// Items older than this id may be missing (`None`: up to the live stream).
    pub before: Option<String>,
    /// Why.
    pub reason: String,
}

/// What a source hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceItem {
    /// An event to publish.
    Event(Box<SourceEvent>),
    /// A gap to publish.
    Gap(SourceGap),
    /// Once everything handed out before this is published, the stored cursor may become
    /// this.
    Checkpoint(Cursor),
    /// The stream is connected (catch-up follows).
    Connected,
    /// Connected and caught up.
    Live,
    /// The stream dropped; the client reconnects with backoff.
    Disconnected(String),
    /// The stream stopped for good (refused token, unknown stream, ...); nothing follows.
    Stopped(String),
}

/// One registered stream as the client sees it.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// The instance URL.
    pub instance: String,
    /// The stream name (`public:local`, `hashtag`, ...).
    pub stream: String,
    /// The tag or list id.
    pub param: Option<String>,
    /// The access token.
    pub token: Option<String>,
}

/// Catch-up settings.
#[derive(Clone, Copy, Debug)]
pub struct SourceOptions {
    /// Items per REST page (Mastodon's maximum for timelines is 40).
    pub page_size: u32,
    /// Pages per timeline per catch-up; past it a gap is published and the stream goes
    /// on live.
    pub max_pages: u32,
    /// The longest a new owner's first catch-up may take, rate-limit waits included; past
    /// it the unfinished timelines are published as gaps and start live.
    pub catch_up_deadline: Duration,
    /// The longest wait a server may impose (`Retry-After`, `X-RateLimit-Reset`).
    pub max_server_delay: Duration,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            page_size: 40,
            max_pages: 10,
            catch_up_deadline: Duration::from_secs(60),
            max_server_delay: Duration::from_secs(300),
        }
    }
}

impl SourceOptions {
    /// What every session of the fleet is told: heartbeats are not handed out, catch-up
    /// pages and waits within these options.
    fn apply(self, cfg: &mut mastostream_tokio::SessionConfig) {
        cfg.heartbeats = false;
        cfg.catch_up.page_size = self.page_size.clamp(1, 80);
        cfg.catch_up.max_pages = self.max_pages.max(1);
        cfg.max_server_delay = self.max_server_delay;
    }
}

fn channel_of(stream: &str, param: Option<&str>) -> Result<Channel, String> {
    Channel::parse(stream, param, param).map_err(|e| e.to_string())
}

/// Checks a stream name and its parameter as Mastodon's (`hashtag` needs a tag, `list` a
/// list id); `Err` says why not.
pub fn check_stream(stream: &str, param: Option<&str>) -> Result<(), String> {
    channel_of(stream, param).map(drop)
}

/// Checks an instance URL as the client reads it; `Err` says why not.
pub fn check_instance(url: &str) -> Result<(), String> {
    Instance::parse(url).map(drop).map_err(|e| e.to_string())
}

/// One instance's clients, one per token: each learns where the instance streams from
/// (and what it runs) with its first session, and its later sessions skip discovery.
#[derive(Default)]
pub struct Clients(Mutex<HashMap<Option<String>, Client>>);

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |m| m.len());
        f.debug_struct("Clients").field("tokens", &n).finish()
    }
}

impl Clients {
    fn get(&self, spec: &SourceSpec, opts: SourceOptions) -> Result<Client, String> {
        let mut clients = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&spec.token) {
            return Ok(c.clone());
        }
        let client = Client::new(&spec.instance)
            .map_err(|e| e.to_string())?
            .token_opt(spec.token.clone())
            .configure(move |c| opts.apply(c));
        clients.insert(spec.token.clone(), client.clone());
        Ok(client)
    }
}

/// A registered stream, open: its session's events (live and recovered), gaps, cursor
/// checkpoints and connection changes, as [`SourceItem`]s.
pub struct Source {
    client: Client,
    channel: Channel,
    stream: EventStream,
    track: Tracker,
    /// Timelines given up past the deadline: later sessions start them live.
    fresh: Vec<Timeline>,
    gate: Arc<InstanceGate>,
    /// The instance's start permit, held until the stream is first caught up.
    permit: Option<OwnedSemaphorePermit>,
    ended: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("instance", &self.client.instance().to_string())
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl Source {
    /// Opens `spec`, resuming from `cursor`, within the instance's `gate`: waits while the
    /// instance backs off after failures, and for one of its start permits (at most the
    /// catch-up deadline).
    pub async fn open(
        spec: &SourceSpec,
        cursor: Cursor,
        opts: SourceOptions,
        gate: Arc<InstanceGate>,
    ) -> Result<Source, String> {
        let channel = channel_of(&spec.stream, spec.param.as_deref())?;
        let client = gate.clients.get(spec, opts)?;
        let permit = gate.start_permit(opts.catch_up_deadline).await;
        if permit.is_none() {
            tracing::debug!(
                ?channel,
                "no start permit came free in time; starting without"
            );
        }
        let timelines = Timeline::for_channel(&channel);
        let mut track = Tracker::new(timelines, cursor, opts.catch_up_deadline);
        for timeline in track.unplaced() {
            let id = client.newest_id(&timeline).await;
            track.anchored(&timeline, id.map_err(|e| e.to_string()));
        }
        let stream = session(&client, &channel, &mut track, &[]);
        Ok(Source {
            client,
            channel,
            stream,
            track,
            fresh: Vec::new(),
            gate,
            permit,
            ended: false,
        })
    }

    /// The next item; `None` after [`SourceItem::Stopped`]. Cancel-safe.
    pub async fn next(&mut self) -> Option<SourceItem> {
        loop {
            if let Some(item) = self.track.out.pop_front() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            let deadline = self.track.deadline();
            tokio::select! {
                item = self.stream.next() => self.on_item(item),
                () = async { tokio::time::sleep_until(deadline.expect("guarded").into()).await }, if deadline.is_some() => {
                    self.expire();
                }
            }
            if self.track.is_live() {
                self.permit = None;
            }
        }
    }

    fn on_item(&mut self, item: Option<Result<Item, mastostream_tokio::Error>>) {
        match item {
            Some(Ok(Item::Connected { .. })) => {
                self.gate.succeeded();
                self.track.connected(std::time::Instant::now());
            }
            Some(Ok(Item::Event(e))) => {
                let cursor = e.cursor.clone();
                if let Some(event) = convert::event(e) {
                    self.track.event(event, cursor);
                }
            }
            Some(Ok(Item::CaughtUp {
                timeline,
                recovered,
            })) => {
                tracing::debug!(channel = ?self.channel, %timeline, recovered, "caught up");
                self.track.caught_up(&timeline);
            }
            Some(Ok(Item::Gap(g))) => self.track.gap(&g.timeline, gap(&g)),
            Some(Ok(Item::Disconnected { error })) => self.track.disconnected(error.to_string()),
            Some(Ok(Item::Reconnecting { delay, error, .. })) => {
                tracing::debug!(channel = ?self.channel, %error, ?delay, "reconnecting");
                self.gate.failed();
            }
            Some(Ok(Item::StreamError {
                error,
                dropped: true,
                ..
            })) => {
                self.gate.failed();
                self.end(format!("the server refused the stream: {error}"));
            }
            Some(Ok(other)) => tracing::debug!(channel = ?self.channel, item = ?other, "session"),
            Some(Err(e)) => {
                self.gate.failed();
                self.end(e.to_string());
            }
            None => self.end("the stream closed".to_owned()),
        }
    }

    /// The first catch-up outran its deadline: give the unfinished timelines up (as gaps)
    /// and start them live in a new session.
    fn expire(&mut self) {
        let gone = self.track.expire();
        tracing::warn!(channel = ?self.channel, timelines = ?gone, "catch-up deadline passed; starting live");
        self.fresh.extend(gone);
        self.stream = session(&self.client, &self.channel, &mut self.track, &self.fresh);
    }

    fn end(&mut self, why: String) {
        self.ended = true;
        self.permit = None;
        self.track.out.push_back(SourceItem::Stopped(why));
    }
}

/// A session for `channel`, resuming where `track` stands (except `fresh` timelines).
fn session(
    client: &Client,
    channel: &Channel,
    track: &mut Tracker,
    fresh: &[Timeline],
) -> EventStream {
    let mut cfg = client.session_config(StreamTransport::Sse, [channel.clone()]);
    for (timeline, id) in track.session(fresh) {
        cfg = cfg.resume_from(timeline, id);
    }
    client.open(cfg)
}

fn gap(g: &Gap) -> SourceGap {
    SourceGap {
        timeline: g.timeline.to_string(),
        after: g.after.as_ref().map(|i| i.to_string()),
        before: g.before.as_ref().map(|i| i.to_string()),
        reason: g.reason.to_string(),
    }
}

#[cfg(test)]
mod tests;
