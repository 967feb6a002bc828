//! The only module that uses the Mastodon client (`mastostream-tokio`): it opens one
//! registered stream, starting from a stored [`Cursor`], and turns the client's items into
//! the fleet's own [`SourceItem`]s. Nothing outside this module sees a client type.
//!
//! # Starting from a stored cursor, today
//!
//! The client's session catches up over REST only after a *re*connect, from ids it saw
//! itself; it cannot yet start from stored anchors. Until it can, this module does the
//! catch-up itself (module `catchup`): the client's own catch-up is turned off, and after every
//! connect each timeline of the stream is paged up from the cursor with `min_id` (through
//! module `rest`, a small driver for proto's one-shot `GET` machine), within the instance's
//! politeness gate ([`crate::polite`]). A stream with no cursor yet fetches its timelines'
//! newest ids instead, so it starts live and has a cursor from its first second.
//!
//! What this module needs from the client to shrink to a thin conversion:
//! - `SessionConfig` starting from stored anchors (per timeline: resume after this id), so
//!   that the first connection catches up from the cursor;
//! - the safe cursor after each delivered event (the session's anchors: "everything up to
//!   this id per timeline was delivered"), so that the cursor is not recomputed here;
//! - the raw payload bytes of every event (live events are decoded, and re-encoding them
//!   drops fields the client does not model);
//! - REST requests that honour `X-RateLimit-Remaining` / `X-RateLimit-Reset` (and a
//!   per-instance budget shared by sessions) during catch-up.

mod catchup;
mod convert;
mod rest;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use mastostream_tokio::proto::session::{Instance, Timeline};
use mastostream_tokio::{Channel, Client, EventStream, Item};

use crate::cursor::Cursor;
use crate::polite::InstanceGate;
use catchup::{Limits, PageItems, Tracker, Want};

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
    /// Pages per timeline per catch-up; past it a gap is published and the newest page
    /// fetched.
    pub max_pages: u32,
    /// The longest a catch-up may take, rate-limit waits included; past it, as past the
    /// page cap.
    pub catch_up_deadline: Duration,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            page_size: 40,
            max_pages: 10,
            catch_up_deadline: Duration::from_secs(60),
        }
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

type Fetch = Pin<Box<dyn Future<Output = (Want, Result<PageItems, String>)> + Send>>;

/// A registered stream, open: live events and catch-up, as [`SourceItem`]s.
pub struct Source {
    live: EventStream,
    instance: Instance,
    token: Option<Arc<str>>,
    gate: Arc<InstanceGate>,
    timelines: Arc<[Timeline]>,
    tracker: Tracker,
    fetch: Option<Fetch>,
    opts: SourceOptions,
    connected: bool,
    ended: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("instance", &self.instance.to_string())
            .field("channel", self.live.channel())
            .finish_non_exhaustive()
    }
}

impl Source {
    /// Opens `spec`, resuming from `cursor`, within the instance's `gate`. Waits while the
    /// instance backs off after failures, and discovers its streaming URL once per gate.
    pub async fn open(
        spec: &SourceSpec,
        cursor: Cursor,
        opts: SourceOptions,
        gate: Arc<InstanceGate>,
    ) -> Result<Source, String> {
        let channel = channel_of(&spec.stream, spec.param.as_deref())?;
        let instance = Instance::parse(&spec.instance).map_err(|e| e.to_string())?;
        gate.start_permit().await;
        let mut client = Client::new(&spec.instance)
            .map_err(|e| e.to_string())?
            .token_opt(spec.token.clone())
            .discover(false)
            .configure(|c| c.catch_up.enabled = false);
        let streaming = gate
            .streaming_url
            .get_or_init(|| discover(client.clone(), &gate))
            .await;
        if let Some(url) = streaming {
            client = client.streaming_url(url).map_err(|e| e.to_string())?;
        }
        let timelines: Arc<[Timeline]> = Timeline::for_channel(&channel).into();
        let limits = Limits {
            max_pages: opts.max_pages,
            deadline: opts.catch_up_deadline,
        };
        Ok(Source {
            live: client.stream(channel),
            instance,
            token: spec.token.as_deref().map(Arc::from),
            gate,
            tracker: Tracker::new(timelines.to_vec(), cursor, limits),
            timelines,
            fetch: None,
            opts,
            connected: false,
            ended: false,
        })
    }

    /// The next item; `None` after [`SourceItem::Stopped`]. Cancel-safe.
    pub async fn next(&mut self) -> Option<SourceItem> {
        loop {
            if let Some(item) = self.tracker.out.pop_front() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            if self.fetch.is_none()
                && self.connected
                && let Some(want) = self.tracker.next_want(Instant::now())
            {
                self.fetch = Some(self.fetch_future(want));
            }
            let Source { live, fetch, .. } = self;
            tokio::select! {
                done = async { fetch.as_mut().expect("guarded").await }, if fetch.is_some() => {
                    self.fetch = None;
                    self.tracker.fetched(&done.0, done.1);
                }
                item = live.next() => self.on_item(item),
            }
        }
    }

    fn on_item(&mut self, item: Option<Result<Item, mastostream_tokio::Error>>) {
        match item {
            Some(Ok(Item::Connected { .. })) => {
                self.gate.succeeded();
                self.connected = true;
                self.fetch = None;
                self.tracker.connected(Instant::now());
            }
            Some(Ok(Item::Event(event) | Item::StreamEvent { event, .. })) => {
                if let Some((e, pos)) = convert::live(event) {
                    self.tracker.live(e, pos);
                }
            }
            Some(Ok(Item::Recovered(event))) => {
                if let Some((mut e, _)) = convert::live(event) {
                    e.recovered = true;
                    self.tracker.out.push_back(SourceItem::Event(Box::new(e)));
                }
            }
            Some(Ok(Item::Disconnected { error })) => {
                self.connected = false;
                self.fetch = None;
                self.tracker.disconnected();
                self.tracker
                    .out
                    .push_back(SourceItem::Disconnected(error.to_string()));
            }
            Some(Ok(Item::Reconnecting { .. })) => self.gate.failed(),
            Some(Ok(Item::Gap(g))) => self.tracker.out.push_back(SourceItem::Gap(SourceGap {
                timeline: g.timeline.to_string(),
                after: g.after.map(String::from),
                before: g.before.map(String::from),
                reason: g.reason.to_string(),
            })),
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                self.gate.failed();
                self.end(e.to_string());
            }
            None => self.end("the stream closed".to_owned()),
        }
    }

    fn end(&mut self, why: String) {
        self.ended = true;
        self.fetch = None;
        self.tracker.out.push_back(SourceItem::Stopped(why));
    }

    fn fetch_future(&self, want: Want) -> Fetch {
        let instance = self.instance.clone();
        let token = self.token.clone();
        let gate = self.gate.clone();
        let timeline = self.timelines[want.index()].clone();
        let page_size = self.opts.page_size.clamp(1, 80);
        Box::pin(async move {
            let target = match &want {
                Want::Anchor(_) => timeline.page_target(None, 1),
                Want::Page(_, min_id) => timeline.page_target(Some(min_id), page_size),
                Want::Newest(_) => timeline.page_target(None, page_size),
            };
            let mut delay = Duration::from_secs(1);
            let mut attempt = 0;
            let result = loop {
                attempt += 1;
                let result = rest::get(&instance, token.as_deref(), &target, &gate)
                    .await
                    .and_then(|r| match r.head.status() {
                        200 => convert::page(&timeline, &r.body, 2 * page_size as usize),
                        s => Err(format!("HTTP {s}")),
                    });
                match result {
                    Err(e) if attempt < 4 => {
                        tracing::debug!(%instance, %timeline, error = %e, "catch-up request failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    other => break other,
                }
            };
            (want, result)
        })
    }
}

/// Asks the instance for its streaming URL, once per gate; `None` when it names none or
/// does not answer (streams then use the instance URL).
async fn discover(client: Client, gate: &InstanceGate) -> Option<String> {
    let _permit = gate.rest_permit().await;
    match client.discover_streaming_url().await {
        Ok(url) => url.map(|u| u.to_string()),
        Err(e) => {
            tracing::debug!(error = %e, "no streaming URL discovered; using the instance URL");
            None
        }
    }
}
