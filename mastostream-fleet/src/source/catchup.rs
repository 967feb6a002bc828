//! The catch-up emulation as pure state: after each connect, page each timeline up from the
//! stored cursor (or fetch its newest id when there is no cursor yet), and say when the
//! cursor may move.
//!
//! Live events are handed on at once, not held: JetStream's de-duplication removes the
//! overlap between what a page recovers and what the live stream delivered, so holding
//! them buys nothing. What the cursor must never do is pass an id below which something
//! was not yet published; so while a timeline is being caught up its cursor follows the
//! pages only, and once caught up it jumps to the newest live id seen since the connect.
//!
//! Live ids above the cursor are remembered (up to [`MAX_SEEN`] per timeline) until the
//! cursor passes them, so that a catch-up after a later reconnect does not hand them out
//! again, however long the reconnect took (JetStream only de-duplicates within its
//! window).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use mastostream_tokio::Id;
use mastostream_tokio::proto::session::Timeline;

use super::convert::kind_of;
use super::{SourceEvent, SourceGap, SourceItem};
use crate::cursor::Cursor;

/// Live ids remembered per timeline while the cursor cannot pass them.
pub(crate) const MAX_SEEN: usize = 4096;

/// A REST request the tracker wants, for timeline number `.0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// The newest item (`limit=1`): where a stream without a cursor starts.
    Anchor(usize),
    /// The page just above this id (`min_id`).
    Page(usize, Id),
    /// The newest page: catch-up went past its page cap or deadline.
    Newest(usize),
}

impl Want {
    pub(crate) fn index(&self) -> usize {
        match self {
            Want::Anchor(i) | Want::Page(i, _) | Want::Newest(i) => *i,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Pending,
    Anchor,
    Paging { progress: Id, pages: u32 },
    Newest { progress: Id },
    Done,
}

/// Catch-up limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_pages: u32,
    pub(crate) deadline: Duration,
}

/// A page's items, newest first, with their position ids.
pub(crate) type PageItems = Vec<(SourceEvent, Option<Id>)>;

/// One stream's catch-up and cursor bookkeeping.
#[derive(Debug)]
pub(crate) struct Tracker {
    timelines: Vec<Timeline>,
    phases: Vec<Phase>,
    cursor: Cursor,
    first_live: HashMap<&'static str, Id>,
    max_live: HashMap<&'static str, Id>,
    seen: HashMap<&'static str, BTreeSet<Id>>,
    connected_at: Option<Instant>,
    limits: Limits,
    caught_up: bool,
    /// What to hand out, in order.
    pub(crate) out: VecDeque<SourceItem>,
}

fn max_id(a: Id, b: Option<&Id>) -> Id {
    match b {
        Some(b) if *b > a => b.clone(),
        _ => a,
    }
}

impl Tracker {
    pub(crate) fn new(timelines: Vec<Timeline>, cursor: Cursor, limits: Limits) -> Tracker {
        let phases = vec![Phase::Pending; timelines.len()];
        Tracker {
            timelines,
            phases,
            cursor,
            first_live: HashMap::new(),
            max_live: HashMap::new(),
            seen: HashMap::new(),
            connected_at: None,
            limits,
            caught_up: false,
            out: VecDeque::new(),
        }
    }

    fn stored(&self, kind: &str) -> Option<Id> {
        self.cursor.get(kind).map(Id::from)
    }

    fn checkpoint(&mut self, kind: &'static str, id: &Id) {
        if let Some(seen) = self.seen.get_mut(kind) {
            *seen = seen.split_off(id);
            seen.remove(id);
        }
        if self.stored(kind).is_none_or(|c| *id > c) {
            self.cursor.set(kind, id.as_str());
            self.out
                .push_back(SourceItem::Checkpoint(self.cursor.clone()));
        }
    }

    /// The stream is connected: catch every timeline up.
    pub(crate) fn connected(&mut self, now: Instant) {
        self.first_live.clear();
        self.max_live.clear();
        self.connected_at = Some(now);
        self.caught_up = false;
        self.phases.iter_mut().for_each(|p| *p = Phase::Pending);
        self.out.push_back(SourceItem::Connected);
        self.check_done();
    }

    /// The stream dropped: catch-up starts again after the next connect.
    pub(crate) fn disconnected(&mut self) {
        self.connected_at = None;
        self.phases.iter_mut().for_each(|p| *p = Phase::Pending);
    }

    /// The next request to make (when none is in flight).
    pub(crate) fn next_want(&mut self, now: Instant) -> Option<Want> {
        let since = now.saturating_duration_since(self.connected_at?);
        for i in 0..self.timelines.len() {
            let kind = kind_of(&self.timelines[i]);
            let stored = self.stored(kind);
            let phase = &mut self.phases[i];
            match phase {
                Phase::Pending => {
                    *phase = match stored {
                        None => Phase::Anchor,
                        Some(progress) => Phase::Paging { progress, pages: 0 },
                    };
                    return Some(self.want(i));
                }
                Phase::Paging { progress, pages } => {
                    if *pages >= self.limits.max_pages || since >= self.limits.deadline {
                        *phase = Phase::Newest {
                            progress: progress.clone(),
                        };
                    }
                    return Some(self.want(i));
                }
                Phase::Anchor | Phase::Newest { .. } => return Some(self.want(i)),
                Phase::Done => {}
            }
        }
        None
    }

    fn want(&self, i: usize) -> Want {
        match &self.phases[i] {
            Phase::Anchor | Phase::Pending | Phase::Done => Want::Anchor(i),
            Phase::Paging { progress, .. } => Want::Page(i, progress.clone()),
            Phase::Newest { .. } => Want::Newest(i),
        }
    }

    /// A live event, with its position when it has one.
    pub(crate) fn live(&mut self, event: SourceEvent, pos: Option<(&'static str, Id)>) {
        self.out.push_back(SourceItem::Event(Box::new(event)));
        let Some((kind, id)) = pos else { return };
        self.first_live.entry(kind).or_insert_with(|| id.clone());
        let newest = max_id(id.clone(), self.max_live.get(kind));
        self.max_live.insert(kind, newest.clone());
        let done = self
            .timelines
            .iter()
            .zip(&self.phases)
            .any(|(t, p)| kind_of(t) == kind && *p == Phase::Done);
        if done {
            self.checkpoint(kind, &newest);
        } else if self.stored(kind).is_some_and(|c| id > c) {
            // Published, but the cursor cannot pass it yet: remember it.
            let seen = self.seen.entry(kind).or_default();
            seen.insert(id);
            if seen.len() > MAX_SEEN {
                seen.pop_first();
            }
        }
    }

    fn gap(&mut self, i: usize, after: Option<Id>, before: Option<Id>, reason: String) {
        self.out.push_back(SourceItem::Gap(SourceGap {
            timeline: self.timelines[i].to_string(),
            after: after.map(String::from),
            before: before.map(String::from),
            reason,
        }));
    }

    /// Timeline `i` is caught up to `base`: its cursor moves to the newest of that and the
    /// live ids seen since the connect.
    fn finish(&mut self, i: usize, base: Option<Id>) {
        let kind = kind_of(&self.timelines[i]);
        self.phases[i] = Phase::Done;
        let live = self.max_live.get(kind).cloned();
        let target = match base {
            Some(b) => Some(max_id(b, live.as_ref())),
            None => live,
        };
        if let Some(t) = target {
            self.checkpoint(kind, &t);
        }
        self.check_done();
    }

    fn check_done(&mut self) {
        if self.connected_at.is_some()
            && !self.caught_up
            && self.phases.iter().all(|p| *p == Phase::Done)
        {
            self.caught_up = true;
            self.out.push_back(SourceItem::Live);
        }
    }

    /// The answer to `want` (`Err`: the request failed for good).
    pub(crate) fn fetched(&mut self, want: &Want, result: Result<PageItems, String>) {
        let i = want.index();
        if self.connected_at.is_none() || i >= self.phases.len() {
            return;
        }
        let kind = kind_of(&self.timelines[i]);
        let first_live = self.first_live.get(kind).cloned();
        let before_live = |id: &Id| first_live.as_ref().is_none_or(|l| id < l);
        match (self.phases[i].clone(), result) {
            (Phase::Anchor, Ok(items)) => {
                let newest = items.iter().filter_map(|(_, p)| p.clone()).max();
                self.finish(i, Some(newest.unwrap_or_else(|| Id::from("0"))));
            }
            (Phase::Anchor, Err(e)) => {
                self.gap(i, None, first_live, format!("no starting point: {e}"));
                self.finish(i, None);
            }
            (Phase::Paging { progress, pages }, Ok(items)) => {
                let mut reached_live = false;
                let mut newest = progress.clone();
                let empty = items.is_empty();
                for (event, pos) in items.into_iter().rev() {
                    if let Some(id) = &pos {
                        if !before_live(id) {
                            reached_live = true;
                            continue;
                        }
                        if *id <= progress {
                            continue;
                        }
                        newest = max_id(newest, Some(id));
                        if self.seen.get(kind).is_some_and(|s| s.contains(id)) {
                            continue;
                        }
                    }
                    self.out.push_back(SourceItem::Event(Box::new(event)));
                }
                let stuck = newest == progress;
                self.checkpoint(kind, &newest);
                if empty || reached_live || stuck {
                    self.finish(i, Some(newest));
                } else {
                    self.phases[i] = Phase::Paging {
                        progress: newest,
                        pages: pages + 1,
                    };
                }
            }
            (Phase::Newest { progress }, Ok(items)) => {
                let fresh: Vec<_> = items
                    .into_iter()
                    .rev()
                    .filter(|(_, p)| {
                        p.as_ref()
                            .is_some_and(|id| *id > progress && before_live(id))
                    })
                    .collect();
                let oldest = fresh.first().and_then(|(_, p)| p.clone());
                let before = match (oldest, first_live) {
                    (Some(o), Some(l)) => Some(o.min(l)),
                    (o, l) => o.or(l),
                };
                self.gap(i, Some(progress.clone()), before, "page cap reached".into());
                let newest = fresh.last().and_then(|(_, p)| p.clone());
                for (event, _) in fresh {
                    self.out.push_back(SourceItem::Event(Box::new(event)));
                }
                self.finish(i, Some(max_id(progress, newest.as_ref())));
            }
            (Phase::Paging { progress, .. } | Phase::Newest { progress }, Err(e)) => {
                self.gap(
                    i,
                    Some(progress.clone()),
                    first_live,
                    format!("catch-up request failed: {e}"),
                );
                self.finish(i, Some(progress));
            }
            (Phase::Pending | Phase::Done, _) => {}
        }
    }
}

#[cfg(test)]
#[path = "catchup_tests.rs"]
mod tests;
