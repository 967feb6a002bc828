//! Catch-up bookkeeping: the streams and their timelines, where each timeline stands, what
//! is held back, what was seen. The flow that uses it is in `recover.rs`.

use std::collections::{HashMap, HashSet, VecDeque};

use super::{SessionConfig, Timeline};
use crate::{Channel, Dialect, Event, Id};

/// How many delivered ids are remembered for duplicate removal.
const RECENT_IDS: usize = 4096;

/// Where an event came from, which decides how it is delivered and which timeline holds it.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// The SSE stream.
    Sse,
    /// A WebSocket message naming this stream (`None`: it named none).
    Ws(Option<Channel>),
    /// A catch-up page of this timeline.
    Recovered(Timeline),
}

/// The streams of a session, their timelines, and everything catch-up knows about them.
#[derive(Debug)]
pub(crate) struct Recovery {
    /// Each subscribed stream with its timelines (one entry for SSE).
    pub(crate) routes: Vec<(Channel, Vec<Timeline>)>,
    /// Every timeline behind the subscribed streams, once each.
    pub(crate) timelines: Vec<Timeline>,
    pub(crate) anchors: HashMap<Timeline, Anchor>,
    /// Timelines whose newest id is to be fetched (first connection, new subscriptions).
    pub(crate) anchor_queue: VecDeque<Timeline>,
    pub(crate) catch_up: Option<CatchUp>,
    pub(crate) recent: Recent,
    /// Whether the stream was ever live (the first connection anchors; later ones catch up).
    pub(crate) ever_live: bool,
}

impl Recovery {
    /// No streams yet; anchors from the configuration's resume points.
    pub(crate) fn new(cfg: &SessionConfig) -> Recovery {
        let anchors = cfg
            .resume
            .iter()
            .map(|(t, id)| (t.clone(), Anchor::At(id.clone())))
            .collect();
        Recovery {
            routes: Vec::new(),
            timelines: Vec::new(),
            anchors,
            anchor_queue: VecDeque::new(),
            catch_up: None,
            recent: Recent::new(RECENT_IDS),
            ever_live: false,
        }
    }

    /// Adds a stream and (when catching up) its timelines. Returns whether it was new.
    pub(crate) fn add_route(&mut self, channel: Channel, catch_up: bool) -> bool {
        if self.routes.iter().any(|(c, _)| *c == channel) {
            return false;
        }
        let timelines = if catch_up {
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
    pub(crate) fn remove_route(&mut self, channel: &Channel) -> bool {
        let before = self.routes.len();
        self.routes.retain(|(c, _)| c != channel);
        let routes = &self.routes;
        self.timelines
            .retain(|t| routes.iter().any(|(_, ts)| ts.contains(t)));
        before != self.routes.len()
    }

    /// The stream an event from `origin` is attributed to.
    pub(crate) fn channel_of(&self, origin: &Origin) -> Option<Channel> {
        match origin {
            Origin::Sse => self.routes.first().map(|(c, _)| c.clone()),
            Origin::Ws(c) => c.clone(),
            Origin::Recovered(t) => self
                .routes
                .iter()
                .find(|(_, ts)| ts.contains(t))
                .map(|(c, _)| c.clone()),
        }
    }

    /// Which timeline `event` from `origin` belongs to, with its ordering id.
    pub(crate) fn place(&self, event: &Event, origin: &Origin) -> Option<(Timeline, Id)> {
        let timelines: &[Timeline] = match origin {
            Origin::Recovered(t) => std::slice::from_ref(t),
            Origin::Sse => self.routes.first().map_or(&[], |(_, ts)| ts.as_slice()),
            Origin::Ws(channel) => channel
                .as_ref()
                .and_then(|c| self.routes.iter().find(|(rc, _)| rc == c))
                .map_or(&[], |(_, ts)| ts.as_slice()),
        };
        Timeline::place(timelines, event).map(|(t, id)| (t.clone(), id))
    }

    /// Records an event about to be delivered: `false` if it was delivered already (a
    /// duplicate); otherwise its timeline's anchor moves forward to it.
    pub(crate) fn admit(&mut self, event: &Event, origin: &Origin, dialect: &Dialect) -> bool {
        let Some((timeline, id)) = self.place(event, origin) else {
            return true;
        };
        if let Some(key) = Key::of(event)
            && !self.recent.insert((timeline.clone(), key))
        {
            return false;
        }
        let mut slot = self.anchors.remove(&timeline);
        Anchor::advance(&mut slot, &id, dialect);
        if let Some(a) = slot {
            self.anchors.insert(timeline, a);
        }
        true
    }

    /// Stops any catch-up and anchoring in progress (the session is over).
    pub(crate) fn stop(&mut self) {
        self.catch_up = None;
        self.anchor_queue.clear();
    }
}

/// What is known of a timeline's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The newest id delivered (or fetched as the anchor).
    At(Id),
    /// The timeline was empty when anchored: everything in it is new.
    Empty,
}

impl Anchor {
    /// The `min_id` to page up from.
    pub(crate) fn min_id(&self) -> Id {
        match self {
            Anchor::At(id) => id.clone(),
            Anchor::Empty => Id::from("0"),
        }
    }

    pub(crate) fn id(&self) -> Option<&Id> {
        match self {
            Anchor::At(id) => Some(id),
            Anchor::Empty => None,
        }
    }

    /// Moves the anchor forward to `id` (never back).
    pub(crate) fn advance(slot: &mut Option<Anchor>, id: &Id, dialect: &Dialect) {
        match slot {
            Some(Anchor::At(cur)) if dialect.cmp_ids(cur, id).is_ge() => {}
            _ => *slot = Some(Anchor::At(id.clone())),
        }
    }
}

/// One timeline being caught up.
#[derive(Debug)]
pub(crate) struct Progress {
    pub(crate) timeline: Timeline,
    /// Page up from here (`min_id`).
    pub(crate) cursor: Id,
    pub(crate) pages: u32,
    pub(crate) recovered: usize,
}

/// A catch-up in progress: timelines left, live events held back until it is done.
#[derive(Debug, Default)]
pub(crate) struct CatchUp {
    pub(crate) pending: VecDeque<Timeline>,
    pub(crate) current: Option<Progress>,
    pub(crate) held: VecDeque<(Event, bytes::Bytes, Origin)>,
    /// The first live id held per timeline: catch-up stops there.
    pub(crate) first_live: HashMap<Timeline, Id>,
}

/// Identifies a delivered item for duplicate removal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Status(Id),
    Notification(Id),
    /// A conversation changes with each message: its id and its last status id.
    Conversation(Id, Option<Id>),
}

impl Key {
    pub(crate) fn of(event: &Event) -> Option<Key> {
        Some(match event {
            Event::Update(s) => Key::Status(s.id.clone()),
            Event::Notification(n) => Key::Notification(n.id.clone()),
            Event::Conversation(c) => {
                Key::Conversation(c.id.clone(), c.last_status.as_ref().map(|s| s.id.clone()))
            }
            _ => return None,
        })
    }
}

/// A bounded set of recently delivered keys, per timeline (one status may rightly arrive
/// on two multiplexed streams).
#[derive(Debug)]
pub(crate) struct Recent {
    set: HashSet<(Timeline, Key)>,
    order: VecDeque<(Timeline, Key)>,
    cap: usize,
}

impl Recent {
    /// An empty set holding at most `cap` keys. It allocates as keys arrive: an idle
    /// session costs no dedup table.
    pub(crate) fn new(cap: usize) -> Self {
        Recent {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// Records `key`; `false` if it was already there (a duplicate).
    pub(crate) fn insert(&mut self, key: (Timeline, Key)) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(key.clone());
        self.order.push_back(key);
        true
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_set_is_bounded_and_forgets_oldest() {
        let key = |n: &str| (Timeline::Home, Key::Status(Id::from(n)));
        let mut r = Recent::new(3);
        for i in 0..3 {
            assert!(r.insert(key(&i.to_string())));
        }
        assert!(!r.insert(key("1")));
        // The same id in another timeline is not a duplicate.
        assert!(r.insert((Timeline::Notifications, Key::Status(Id::from("1")))));
        assert_eq!(r.len(), 3);
        assert!(r.insert(key("0")), "the oldest key was forgotten");
    }

    #[test]
    fn recent_set_allocates_only_as_keys_arrive() {
        // Regression: it used to reserve 4,096 slots per session up front, which made
        // every idle stream cost ~20 KiB more.
        let mut r = Recent::new(4096);
        assert_eq!((r.set.capacity(), r.order.capacity()), (0, 0));
        r.insert((Timeline::Home, Key::Status(Id::from("1"))));
        assert!(r.set.capacity() < 64 && r.order.capacity() < 64);
    }

    #[test]
    fn anchors_only_move_forward() {
        let mut a = None;
        let d = Dialect::default();
        Anchor::advance(&mut a, &Id::from("100"), &d);
        Anchor::advance(&mut a, &Id::from("99"), &d);
        assert_eq!(a, Some(Anchor::At(Id::from("100"))));
        let mut e = Some(Anchor::Empty);
        Anchor::advance(&mut e, &Id::from("5"), &d);
        assert_eq!(e, Some(Anchor::At(Id::from("5"))));
        assert_eq!(Anchor::Empty.min_id(), "0");
    }
}
