//! The sequence of events of a stream, with simulated time and heartbeats.

use std::collections::VecDeque;

use super::banks::REACTIONS;
use super::json::escape_ascii_json;
use super::mix::EventKind;
use super::rng::Rng;
use super::{CorpusConfig, Generator, START_MS, snowflake};

/// Simulated time between heartbeats, as Mastodon's streaming server sends them.
pub const HEARTBEAT_INTERVAL_MS: u64 = 15_000;
/// Mean simulated time between events.
pub const MEAN_EVENT_GAP_MS: f64 = 300.0;
const TAG_STREAM: u64 = 0x7374_7265_616d;
const DAY: f64 = 86_400.0;
const RECENT_CAP: usize = 5000;

/// One event of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEvent {
    /// The event type.
    pub kind: EventKind,
    /// The `data:` payload (one line: JSON, a bare id, `undefined` or `1`).
    pub payload: String,
    /// The id the event is about: the status (`update`, `status.update`, `delete`),
    /// notification, conversation or announcement (`announcement*`) id. `None` for
    /// `filters_changed` and `notifications_merged`.
    pub id: Option<u64>,
    /// Simulated time the server sent the event, in ms since the Unix epoch.
    pub at_ms: u64,
    /// Whether the JSON payload was written ASCII-only (see
    /// [`escape_ascii_json`](super::escape_ascii_json)).
    pub escaped: bool,
}

impl StreamEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The two server writes for this event: `event: NAME\n` and `data: PAYLOAD\n\n`
    /// (with `\r\n` when `crlf`).
    pub fn sse_writes(&self, crlf: bool) -> [String; 2] {
        let nl = if crlf { "\r\n" } else { "\n" };
        [
            format!("event: {}{nl}", self.kind.name()),
            format!("data: {}{nl}{nl}", self.payload),
        ]
    }
}

/// An item of [`Events`]: an event, or a heartbeat comment.
#[derive(Clone, Debug, PartialEq)]
pub enum GeneratedEvent {
    /// An event.
    Event(StreamEvent),
    /// The `:thump` heartbeat comment, due at this simulated time.
    Heartbeat {
        /// Simulated time, in ms since the Unix epoch.
        at_ms: u64,
    },
}

impl GeneratedEvent {
    /// The SSE text: `event: NAME\ndata: PAYLOAD\n\n` or `:thump\n` (`\r\n` when `crlf`).
    pub fn to_sse(&self, crlf: bool) -> String {
        match self {
            GeneratedEvent::Event(e) => e.sse_writes(crlf).concat(),
            GeneratedEvent::Heartbeat { .. } => heartbeat(crlf).to_owned(),
        }
    }

    /// The simulated time of this item, in ms since the Unix epoch.
    pub fn at_ms(&self) -> u64 {
        match self {
            GeneratedEvent::Event(e) => e.at_ms,
            GeneratedEvent::Heartbeat { at_ms } => *at_ms,
        }
    }
}

/// The first bytes of every stream body: the comment `:)`.
pub fn prologue(crlf: bool) -> &'static str {
    if crlf { ":)\r\n" } else { ":)\n" }
}

/// The heartbeat comment.
pub fn heartbeat(crlf: bool) -> &'static str {
    if crlf { ":thump\r\n" } else { ":thump\n" }
}

/// The events of a stream, heartbeats included: an iterator made by [`events`](super::events).
///
/// It yields `cfg.events` events (use `usize::MAX` for an endless stream), each preceded by
/// the heartbeats that fall due before it. Simulated time starts at [`START_MS`] and events
/// arrive about every 0.3 s. `update` status ids strictly increase; notification and
/// conversation ids increase too.
#[derive(Debug)]
pub struct Events {
    generator: Generator,
    rng: Rng,
    weights: Vec<(EventKind, f64)>,
    escape_ratio: f64,
    now: u64,
    next_beat: u64,
    remaining: usize,
    pending: Option<StreamEvent>,
    last_status_id: u64,
    notification_seq: u64,
    conversation_seq: u64,
    announcement_seq: u64,
    announcements: VecDeque<u64>,
    recent: Vec<u64>,
}

impl Events {
    /// Panics if `cfg.mix` is invalid (see [`Mix::validate`](super::Mix::validate)).
    pub(crate) fn new(cfg: &CorpusConfig) -> Self {
        if let Err(e) = cfg.mix.validate() {
            panic!("invalid corpus mix: {e}");
        }
        let viewer = cfg.mix.is_user_stream();
        Events {
            generator: Generator::new(cfg.seed).with_viewer_fields(viewer),
            rng: Rng::derive(cfg.seed, TAG_STREAM, 0),
            weights: cfg.mix.weights(),
            escape_ratio: cfg.escape_ratio,
            now: START_MS,
            next_beat: START_MS + HEARTBEAT_INTERVAL_MS,
            remaining: cfg.events,
            pending: None,
            last_status_id: 0,
            notification_seq: 318_000_000,
            conversation_seq: 41_800_000,
            announcement_seq: 41,
            announcements: VecDeque::new(),
            recent: Vec::new(),
        }
    }

    /// The generator behind the payloads (to build matching REST responses).
    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    fn next_event(&mut self) -> StreamEvent {
        let rng = &mut self.rng;
        self.now += rng.expo(MEAN_EVENT_GAP_MS).round() as u64;
        let t = self.now;
        let i = rng.weighted_index(self.weights.len(), |i| self.weights[i].1.max(0.0));
        let kind = self.weights[i].0;
        let escape = rng.chance(self.escape_ratio);
        let g = &self.generator;
        let (id, payload) = match kind {
            EventKind::Update => {
                let id = snowflake(t, rng.bits(16)).max(self.last_status_id + 1);
                self.last_status_id = id;
                if self.recent.len() >= RECENT_CAP {
                    self.recent.drain(..RECENT_CAP / 5);
                }
                self.recent.push(id);
                (Some(id), g.status_json(id))
            }
            EventKind::StatusUpdate => {
                let id = snowflake(t - rng.secs_ms(60.0, 2.0 * DAY), rng.bits(16));
                let edited_at = t - rng.secs_ms(1.0, 50.0);
                (Some(id), g.edited_status_json(id, edited_at))
            }
            EventKind::Delete => {
                let id = if !self.recent.is_empty() && rng.chance(0.7) {
                    let k = rng.below(self.recent.len());
                    self.recent.remove(k)
                } else {
                    snowflake(t - rng.secs_ms(3600.0, 400.0 * DAY), rng.bits(16))
                };
                (Some(id), id.to_string())
            }
            EventKind::Notification => {
                self.notification_seq += rng.range(1, 400);
                let id = self.notification_seq;
                (Some(id), g.notification_json(id, t))
            }
            EventKind::Conversation => {
                self.conversation_seq += rng.range(1, 50);
                let id = self.conversation_seq;
                (Some(id), g.conversation_json(id, t))
            }
            EventKind::Announcement => {
                self.announcement_seq += 1;
                let id = self.announcement_seq;
                self.announcements.push_back(id);
                (Some(id), g.announcement_json(id, t))
            }
            EventKind::AnnouncementReaction => {
                let id = if self.announcements.is_empty() {
                    self.announcement_seq
                } else {
                    self.announcements[rng.below(self.announcements.len())]
                };
                let name = REACTIONS[rng.below(REACTIONS.len() - 1)];
                let count = rng.range(1, 300);
                (Some(id), g.announcement_reaction_json(id, name, count))
            }
            EventKind::AnnouncementDelete => {
                let id = match self.announcements.front() {
                    Some(_) if rng.chance(0.8) => self.announcements.pop_front(),
                    _ => None,
                }
                .unwrap_or(self.announcement_seq);
                (Some(id), id.to_string())
            }
            EventKind::FiltersChanged => (None, "undefined".to_owned()),
            EventKind::NotificationsMerged => (None, "1".to_owned()),
        };
        let escaped = escape && kind.has_json_payload();
        let payload = if escaped {
            escape_ascii_json(&payload)
        } else {
            payload
        };
        StreamEvent {
            kind,
            payload,
            id,
            at_ms: t,
            escaped,
        }
    }
}

impl Iterator for Events {
    type Item = GeneratedEvent;

    fn next(&mut self) -> Option<GeneratedEvent> {
        if self.pending.is_none() {
            if self.remaining == 0 {
                return None;
            }
            self.remaining -= 1;
            self.pending = Some(self.next_event());
        }
        let due = self.pending.as_ref().map_or(0, |e| e.at_ms);
        if due >= self.next_beat {
            let at_ms = self.next_beat;
            self.next_beat += HEARTBEAT_INTERVAL_MS;
            return Some(GeneratedEvent::Heartbeat { at_ms });
        }
        self.pending.take().map(GeneratedEvent::Event)
    }
}
