//! The fake server's in-memory store: what it published, and pages of it between key
//! bounds (the dialects turn `min_id`, `since_id`, `max_id` and `limit` into those).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::route::Facts;

/// Which REST collection an item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    /// Statuses: served by the status timelines (`home`, `public`, `tag/:tag`, `list/:id`).
    /// Statuses built with [`StatusBuilder`](crate::StatusBuilder) are listed only by the
    /// timelines whose stream would carry them; every other status by all of them.
    Statuses,
    /// `/api/v1/notifications` (`types[]` and `exclude_types[]` filter the notifications
    /// built with [`NotificationBuilder`](crate::NotificationBuilder)).
    Notifications,
    /// `/api/v1/conversations`, ordered by each conversation's last status id.
    Conversations,
}

/// One stored item: its JSON, and what the timelines that filter need to know about it.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) json: Arc<str>,
    pub(crate) facts: Facts,
}

/// Published items, by collection, keyed by the id that orders them.
#[derive(Debug, Default)]
pub(crate) struct Store {
    statuses: BTreeMap<u64, Item>,
    notifications: BTreeMap<u64, Item>,
    conversations: BTreeMap<u64, Item>,
}

/// What a REST request asks of a collection, as key bounds (the dialect turns the
/// request's ids into keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// The lowest key listed (from `min_id` / `since_id`; `0`: from the start).
    pub(crate) lower: u128,
    /// Keys listed are below this one (from `max_id`; past `u64::MAX`: no bound).
    pub(crate) upper: u128,
    /// Take the `limit` items just above `lower` (`min_id`), not the newest ones.
    pub(crate) from_lower: bool,
    pub(crate) limit: usize,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            lower: 0,
            upper: NO_BOUND,
            from_lower: false,
            limit: 20,
        }
    }
}

/// An upper bound above every key.
pub(crate) const NO_BOUND: u128 = u64::MAX as u128 + 1;

impl Store {
    fn map(&mut self, c: Collection) -> &mut BTreeMap<u64, Item> {
        match c {
            Collection::Statuses => &mut self.statuses,
            Collection::Notifications => &mut self.notifications,
            Collection::Conversations => &mut self.conversations,
        }
    }

    pub(crate) fn insert(&mut self, c: Collection, key: u64, item: Item) {
        self.map(c).insert(key, item);
    }

    pub(crate) fn len(&mut self, c: Collection) -> usize {
        self.map(c).len()
    }

    /// Every key of a collection, ascending.
    pub(crate) fn keys(&mut self, c: Collection) -> Vec<u64> {
        self.map(c).keys().copied().collect()
    }

    /// One page, newest first: with `from_lower` the items just above `lower`, else the
    /// newest items from `lower` on; only the items `keep` keeps count. Returns the page's
    /// `(key, json)` pairs.
    pub(crate) fn page(
        &mut self,
        c: Collection,
        p: Page,
        keep: impl Fn(&Facts) -> bool,
    ) -> Vec<(u64, Arc<str>)> {
        if p.lower >= p.upper.min(NO_BOUND) || p.limit == 0 {
            return Vec::new();
        }
        let end = if p.upper >= NO_BOUND {
            Bound::Unbounded
        } else {
            Bound::Excluded(p.upper as u64)
        };
        let range = self.map(c).range((Bound::Included(p.lower as u64), end));
        let kept = |(k, v): (&u64, &Item)| keep(&v.facts).then(|| (*k, v.json.clone()));
        let mut page: Vec<(u64, Arc<str>)> = if p.from_lower {
            range.filter_map(kept).take(p.limit).collect()
        } else {
            range.rev().filter_map(kept).take(p.limit).collect()
        };
        page.sort_by_key(|item| std::cmp::Reverse(item.0));
        page
    }
}

/// The JSON array body of a page.
pub(crate) fn page_body(page: &[(u64, Arc<str>)]) -> String {
    let mut body = String::from("[");
    for (i, (_, json)) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push(']');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(keys: impl IntoIterator<Item = u64>) -> Store {
        let mut s = Store::default();
        for k in keys {
            let json = Arc::from(format!("{{\"id\":\"{k}\"}}"));
            let facts = if k % 2 == 0 {
                Facts::Notification("even".into())
            } else {
                Facts::Any
            };
            s.insert(Collection::Statuses, k, Item { json, facts });
        }
        s
    }

    fn keys(page: &[(u64, Arc<str>)]) -> Vec<u64> {
        page.iter().map(|(k, _)| *k).collect()
    }

    fn page(s: &mut Store, p: Page) -> Vec<u64> {
        keys(&s.page(Collection::Statuses, p, |_| true))
    }

    #[test]
    fn pages_between_bounds_newest_first() {
        let mut s = store(1..=10);
        let limit = |n| Page {
            limit: n,
            ..Page::default()
        };
        // Newest first by default.
        assert_eq!(page(&mut s, limit(3)), [10, 9, 8]);
        // From the lower bound up (min_id=2): the page just above, still newest first.
        let p = Page {
            lower: 3,
            from_lower: true,
            ..limit(3)
        };
        assert_eq!(page(&mut s, p), [5, 4, 3]);
        // The newest page above it (since_id=2).
        let p = Page {
            lower: 3,
            ..limit(3)
        };
        assert_eq!(page(&mut s, p), [10, 9, 8]);
        // Below an upper bound (max_id=5).
        let p = Page {
            upper: 5,
            ..limit(2)
        };
        assert_eq!(page(&mut s, p), [4, 3]);
        let p = Page {
            lower: 11,
            from_lower: true,
            ..Page::default()
        };
        assert!(page(&mut s, p).is_empty());
        let p = Page {
            lower: NO_BOUND,
            ..Page::default()
        };
        assert!(page(&mut s, p).is_empty());
        assert!(page(&mut s, limit(0)).is_empty());
        assert_eq!(s.keys(Collection::Statuses), (1..=10).collect::<Vec<_>>());
        assert_eq!(
            page_body(&s.page(Collection::Statuses, limit(2), |_| true)),
            r#"[{"id":"10"},{"id":"9"}]"#
        );
    }

    #[test]
    fn filtered_pages_count_only_kept_items() {
        let mut s = store(1..=10);
        let odd = |f: &Facts| matches!(f, Facts::Any);
        let p = Page {
            limit: 2,
            ..Page::default()
        };
        assert_eq!(keys(&s.page(Collection::Statuses, p, odd)), [9, 7]);
        let p = Page {
            lower: 3,
            from_lower: true,
            limit: 2,
            ..Page::default()
        };
        assert_eq!(keys(&s.page(Collection::Statuses, p, odd)), [5, 3]);
    }
}
