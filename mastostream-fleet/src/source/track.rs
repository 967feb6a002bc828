//! One stream's position and progress, as pure state: the cursor (per timeline kind, the
//! newest id up to which everything was handed out, as the session's event cursors say),
//! which timelines the session has still to catch up since it connected, and the
//! catch-up deadline.
//!
//! The session reports each timeline it catches up after a connect, as `CaughtUp` or as a
//! `Gap`: on a session's first connection the timelines it was told to resume, on every
//! later one all of them (the others were anchored, or are reported as gaps). Once none is
//! left, the stream is live.
//!
//! The deadline bounds the owner's first catch-up (until the stream is first live), which
//! is what the duplicate window must cover (see the README). Past it the unfinished
//! timelines are given up as gaps from the cursor, and a new session starts them live.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mastostream_tokio::{Id, Timeline};

use super::convert::{kind_of, usable};
use super::{SourceEvent, SourceGap, SourceItem};
use crate::cursor::Cursor;

/// One stream's bookkeeping.
#[derive(Debug)]
pub(crate) struct Tracker {
    timelines: Vec<Timeline>,
    cursor: Cursor,
    /// The timelines the current session was told to resume.
    resumed: Vec<Timeline>,
    /// The current session connected before (its catch-ups cover every timeline).
    connected_before: bool,
    /// Timelines whose catch-up the session has not reported since it connected.
    pending: Vec<Timeline>,
    /// When the current catch-up must be over (only before the stream was first live).
    deadline: Option<Instant>,
    limit: Duration,
    live: bool,
    ever_live: bool,
    /// What to hand out, in order.
    pub(crate) out: VecDeque<SourceItem>,
}

impl Tracker {
    /// A stream of `timelines` that starts from `cursor`; its first catch-up may take
    /// `limit`.
    pub(crate) fn new(timelines: Vec<Timeline>, cursor: Cursor, limit: Duration) -> Tracker {
        Tracker {
            timelines,
            cursor,
            resumed: Vec::new(),
            connected_before: false,
            pending: Vec::new(),
            deadline: None,
            limit,
            live: false,
            ever_live: false,
            out: VecDeque::new(),
        }
    }

    /// The timelines without a stored position.
    pub(crate) fn unplaced(&self) -> Vec<Timeline> {
        self.timelines
            .iter()
            .filter(|t| self.cursor.get(kind_of(t)).is_none_or(|id| !usable(id)))
            .cloned()
            .collect()
    }

    /// The newest id of a timeline without a position, fetched before its first event: the
    /// cursor starts there (`None`: the timeline is empty, so it starts at `0`; `Err`: why
    /// it could not be fetched, published as a gap).
    pub(crate) fn anchored(&mut self, timeline: &Timeline, id: Result<Option<Id>, String>) {
        let id = id.map(|id| id.map_or_else(|| "0".to_owned(), |id| id.as_str().to_owned()));
        match id {
            Ok(id) if usable(&id) => {
                if self.cursor.advance(kind_of(timeline), &id) {
                    self.out
                        .push_back(SourceItem::Checkpoint(self.cursor.clone()));
                }
            }
            Ok(_) => {}
            Err(e) => self.out.push_back(SourceItem::Gap(SourceGap {
                timeline: timeline.to_string(),
                after: None,
                before: None,
                reason: format!("no starting point: {e}"),
            })),
        }
    }

    /// A new session starts: where it resumes (each timeline with a stored position,
    /// except `fresh` ones, which start live).
    pub(crate) fn session(&mut self, fresh: &[Timeline]) -> Vec<(Timeline, Id)> {
        let points: Vec<(Timeline, Id)> = self
            .timelines
            .iter()
            .filter(|t| !fresh.contains(t))
            .filter_map(|t| {
                let id = self.cursor.get(kind_of(t)).filter(|id| usable(id))?;
                Some((t.clone(), Id::from(id)))
            })
            .collect();
        self.resumed = points.iter().map(|(t, _)| t.clone()).collect();
        self.connected_before = false;
        self.pending.clear();
        self.deadline = None;
        self.live = false;
        points
    }

    /// The session connected at `now`: its catch-up starts.
    pub(crate) fn connected(&mut self, now: Instant) {
        self.pending = if self.connected_before {
            self.timelines.clone()
        } else {
            self.resumed.clone()
        };
        self.connected_before = true;
        self.live = false;
        self.deadline = (!self.ever_live && !self.pending.is_empty()).then(|| now + self.limit);
        self.out.push_back(SourceItem::Connected);
        self.check_live();
    }

    fn check_live(&mut self) {
        if self.pending.is_empty() && !self.live {
            self.live = true;
            self.ever_live = true;
            self.deadline = None;
            self.out.push_back(SourceItem::Live);
        }
    }

    /// Whether the stream is connected and caught up.
    pub(crate) fn is_live(&self) -> bool {
        self.live
    }

    /// An event, with the session's cursor for it: once it is published, everything in
    /// that timeline up to that id is.
    pub(crate) fn event(&mut self, event: SourceEvent, cursor: Option<(Timeline, Id)>) {
        self.out.push_back(SourceItem::Event(Box::new(event)));
        if let Some((timeline, id)) = cursor
            && usable(id.as_str())
            && self.cursor.advance(kind_of(&timeline), id.as_str())
        {
            self.out
                .push_back(SourceItem::Checkpoint(self.cursor.clone()));
        }
    }

    /// The session caught `timeline` up.
    pub(crate) fn caught_up(&mut self, timeline: &Timeline) {
        self.pending.retain(|t| t != timeline);
        self.check_live();
    }

    /// The session could not catch all of `timeline` up: `gap` says what may be missing.
    pub(crate) fn gap(&mut self, timeline: &Timeline, gap: SourceGap) {
        self.out.push_back(SourceItem::Gap(gap));
        self.caught_up(timeline);
    }

    /// The connection dropped; the session reconnects.
    pub(crate) fn disconnected(&mut self, why: String) {
        self.live = false;
        self.deadline = None;
        self.pending.clear();
        self.out.push_back(SourceItem::Disconnected(why));
    }

    /// When the current catch-up must be over, if one is bounded.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The deadline passed: the unfinished timelines are given up, each as a gap from
    /// where the cursor stands up to the live stream. Returns them (the next session
    /// starts them live).
    pub(crate) fn expire(&mut self) -> Vec<Timeline> {
        let gone = std::mem::take(&mut self.pending);
        for t in &gone {
            self.out.push_back(SourceItem::Gap(SourceGap {
                timeline: t.to_string(),
                after: self.cursor.get(kind_of(t)).map(str::to_owned),
                before: None,
                reason: format!("catch-up took longer than {:?}", self.limit),
            }));
        }
        self.deadline = None;
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Payload;

    const LIMIT: Duration = Duration::from_secs(60);

    fn ev(id: &str, recovered: bool) -> SourceEvent {
        SourceEvent {
            event: "update".into(),
            entity: Some(id.into()),
            payload: Payload::Text(id.into()),
            recovered,
            uri: None,
        }
    }

    fn tracker(timelines: Vec<Timeline>, statuses: Option<&str>) -> Tracker {
        let mut c = Cursor::default();
        if let Some(id) = statuses {
            c.set("statuses", id);
        }
        Tracker::new(timelines, c, LIMIT)
    }

    /// The output as short strings: `E5`/`R5` (event, live/recovered), `C5` (checkpoint
    /// of statuses), `G(after,before)`, `+` connected, `L` live, `-` disconnected.
    fn drain(t: &mut Tracker) -> Vec<String> {
        t.out
            .drain(..)
            .map(|item| match item {
                SourceItem::Event(e) => {
                    let r = if e.recovered { "R" } else { "E" };
                    format!("{r}{}", e.entity.unwrap_or_default())
                }
                SourceItem::Checkpoint(c) => format!("C{}", c.get("statuses").unwrap_or("-")),
                SourceItem::Gap(g) => format!(
                    "G({},{})",
                    g.after.unwrap_or_default(),
                    g.before.unwrap_or_default()
                ),
                SourceItem::Connected => "+".into(),
                SourceItem::Live => "L".into(),
                SourceItem::Disconnected(_) => "-".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn home(id: &str) -> Option<(Timeline, Id)> {
        Some((Timeline::Home, Id::from(id)))
    }

    #[test]
    fn a_stream_without_a_cursor_starts_live_and_takes_its_cursor_from_events() {
        let now = Instant::now();
        let mut t = tracker(vec![Timeline::Home], None);
        assert!(t.session(&[]).is_empty());
        t.connected(now);
        assert_eq!(t.deadline(), None);
        t.event(ev("6", false), home("6"));
        t.event(ev("5", false), home("5"));
        assert_eq!(drain(&mut t), ["+", "L", "E6", "C6", "E5"]);
    }

    #[test]
    fn a_stored_cursor_is_resumed_and_live_comes_after_catch_up() {
        let now = Instant::now();
        let mut t = tracker(vec![Timeline::Home, Timeline::Notifications], Some("5"));
        assert_eq!(t.session(&[]), [(Timeline::Home, Id::from("5"))]);
        t.connected(now);
        assert_eq!(t.deadline(), Some(now + LIMIT));
        t.event(ev("6", true), home("6"));
        t.caught_up(&Timeline::Home);
        assert_eq!(t.deadline(), None);
        t.event(ev("9", false), home("9"));
        assert_eq!(drain(&mut t), ["+", "R6", "C6", "L", "E9", "C9"]);
    }

    #[test]
    fn after_a_reconnect_every_timeline_is_reported() {
        let now = Instant::now();
        let mut t = tracker(vec![Timeline::Home, Timeline::Notifications], None);
        t.session(&[]);
        t.connected(now);
        t.disconnected("eof".into());
        t.connected(now);
        t.caught_up(&Timeline::Home);
        assert!(!t.is_live());
        let gap = SourceGap {
            timeline: "notifications".into(),
            after: None,
            before: None,
            reason: "no known position".into(),
        };
        t.gap(&Timeline::Notifications, gap);
        assert!(t.is_live());
        assert_eq!(t.deadline(), None, "no deadline once the stream was live");
        assert_eq!(drain(&mut t), ["+", "L", "-", "+", "G(,)", "L"]);
    }

    #[test]
    fn past_the_deadline_unfinished_timelines_become_gaps_and_start_live() {
        let now = Instant::now();
        let mut t = tracker(vec![Timeline::Home], Some("5"));
        t.session(&[]);
        t.connected(now);
        t.event(ev("6", true), home("6"));
        let gone = t.expire();
        assert_eq!(gone, [Timeline::Home]);
        assert_eq!(drain(&mut t), ["+", "R6", "C6", "G(6,)"]);
        assert!(
            t.session(&gone).is_empty(),
            "the given-up timeline starts live"
        );
        t.connected(now);
        assert_eq!(drain(&mut t), ["+", "L"]);
    }

    #[test]
    fn anchors_give_positionless_timelines_a_cursor() {
        let mut t = tracker(vec![Timeline::Home, Timeline::Notifications], Some("5"));
        assert_eq!(t.unplaced(), [Timeline::Notifications]);
        t.anchored(&Timeline::Notifications, Ok(Some(Id::from("77"))));
        assert!(t.unplaced().is_empty());
        assert_eq!(t.cursor.get("notifications"), Some("77"));
        let points = t.session(&[]);
        assert_eq!(points.len(), 2, "both timelines resume: {points:?}");
        let mut fresh = tracker(vec![Timeline::Home], None);
        fresh.anchored(&Timeline::Home, Err("HTTP 503".into()));
        fresh.anchored(&Timeline::Home, Ok(Some(Id::from("a b"))));
        assert_eq!(drain(&mut t), ["C5"]);
        let mut empty = tracker(vec![Timeline::Home], None);
        empty.anchored(&Timeline::Home, Ok(None));
        assert_eq!(
            empty.cursor.get("statuses"),
            Some("0"),
            "an empty timeline starts at 0"
        );
        assert_eq!(drain(&mut fresh), ["G(,)"]);
        assert!(fresh.session(&[]).is_empty());
    }

    #[test]
    fn unusable_or_older_cursors_do_not_move_it() {
        let mut t = tracker(vec![Timeline::Home], Some("10"));
        t.event(ev("9", false), home("9"));
        t.event(ev("x", false), home("a b"));
        t.event(ev("n", false), None);
        assert_eq!(drain(&mut t), ["E9", "Ex", "En"]);
    }
}
