//! Catch-up bookkeeping: where each timeline stands, what is held back, what was seen.

use std::collections::{HashMap, HashSet, VecDeque};

use super::Timeline;
use crate::{Event, Id};

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
    pub(crate) fn advance(slot: &mut Option<Anchor>, id: &Id) {
        match slot {
            Some(Anchor::At(cur)) if *cur >= *id => {}
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
    pub(crate) held: VecDeque<(Event, super::stream::Origin)>,
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
        Anchor::advance(&mut a, &Id::from("100"));
        Anchor::advance(&mut a, &Id::from("99"));
        assert_eq!(a, Some(Anchor::At(Id::from("100"))));
        let mut e = Some(Anchor::Empty);
        Anchor::advance(&mut e, &Id::from("5"));
        assert_eq!(e, Some(Anchor::At(Id::from("5"))));
        assert_eq!(Anchor::Empty.min_id(), "0");
    }
}
