//! The fake server's in-memory store: what it published, and Mastodon's REST pagination
//! over it (`min_id`, `since_id`, `max_id`, `limit`, newest first, `Link` headers).

use std::collections::BTreeMap;
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

/// Pagination parameters of a REST request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) min_id: Option<u64>,
    pub(crate) since_id: Option<u64>,
    pub(crate) max_id: Option<u64>,
    pub(crate) limit: Option<usize>,
}

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

    /// One page, newest first, as Mastodon answers it: `min_id` gives the items just above
    /// it, `since_id` the newest items above it, `max_id` bounds from above; only the items
    /// `keep` keeps count. Returns the page's `(key, json)` pairs.
    pub(crate) fn page(
        &mut self,
        c: Collection,
        p: Page,
        max_limit: usize,
        keep: impl Fn(&Facts) -> bool,
    ) -> Vec<(u64, Arc<str>)> {
        let limit = p.limit.unwrap_or(20).clamp(1, max_limit);
        let lower = p.min_id.or(p.since_id).map_or(0, |x| x.saturating_add(1));
        let upper = p.max_id.unwrap_or(u64::MAX);
        if lower >= upper {
            return Vec::new();
        }
        let range = self.map(c).range(lower..upper);
        let kept = |(k, v): (&u64, &Item)| keep(&v.facts).then(|| (*k, v.json.clone()));
        let mut page: Vec<(u64, Arc<str>)> = if p.min_id.is_some() {
            range.filter_map(kept).take(limit).collect()
        } else {
            range.rev().filter_map(kept).take(limit).collect()
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

/// The `Link` header for a page (none for an empty page), with Mastodon's `next` (older,
/// `max_id`) and `prev` (newer, `min_id`) relations. `base` is the absolute URL of the path,
/// `keep` the query parameters other than pagination (such as `local=true`).
pub(crate) fn link_header(
    page: &[(u64, Arc<str>)],
    base: &str,
    keep: &[(String, String)],
) -> Option<String> {
    let newest = page.first()?.0;
    let oldest = page.last()?.0;
    let url = |k: &str, v: u64| {
        let mut q: Vec<String> = keep.iter().map(|(a, b)| format!("{a}={b}")).collect();
        q.push(format!("{k}={v}"));
        format!("{base}?{}", q.join("&"))
    };
    Some(format!(
        "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
        url("max_id", oldest),
        url("min_id", newest)
    ))
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

    #[test]
    fn pagination_matches_mastodon() {
        let mut s = store(1..=10);
        let page = |s: &mut Store, p| keys(&s.page(Collection::Statuses, p, 40, |_| true));
        // Newest first by default.
        let p = Page {
            limit: Some(3),
            ..Page::default()
        };
        assert_eq!(page(&mut s, p), [10, 9, 8]);
        // min_id: the page just above, still newest first.
        let p = Page {
            min_id: Some(2),
            limit: Some(3),
            ..Page::default()
        };
        assert_eq!(page(&mut s, p), [5, 4, 3]);
        // since_id: the newest page above (skips 3..=7).
        let p = Page {
            since_id: Some(2),
            limit: Some(3),
            ..Page::default()
        };
        assert_eq!(page(&mut s, p), [10, 9, 8]);
        // max_id bounds from above.
        let p = Page {
            max_id: Some(5),
            limit: Some(2),
            ..Page::default()
        };
        assert_eq!(page(&mut s, p), [4, 3]);
        let p = Page {
            min_id: Some(10),
            ..Page::default()
        };
        assert!(page(&mut s, p).is_empty());
        // The limit is capped.
        let p = Page {
            limit: Some(1000),
            ..Page::default()
        };
        assert_eq!(keys(&s.page(Collection::Statuses, p, 4, |_| true)).len(), 4);
    }

    #[test]
    fn filtered_pages_count_only_kept_items() {
        let mut s = store(1..=10);
        let odd = |f: &Facts| matches!(f, Facts::Any);
        let p = Page {
            limit: Some(2),
            ..Page::default()
        };
        assert_eq!(keys(&s.page(Collection::Statuses, p, 40, odd)), [9, 7]);
        let p = Page {
            min_id: Some(2),
            limit: Some(2),
            ..Page::default()
        };
        assert_eq!(keys(&s.page(Collection::Statuses, p, 40, odd)), [5, 3]);
    }

    #[test]
    fn link_headers_name_both_ends() {
        let mut s = store([5, 7, 9]);
        let page = s.page(Collection::Statuses, Page::default(), 40, |_| true);
        let keep = [("local".to_owned(), "true".to_owned())];
        assert_eq!(
            link_header(&page, "http://h/api/v1/timelines/public", &keep).unwrap(),
            "<http://h/api/v1/timelines/public?local=true&max_id=5>; rel=\"next\", \
             <http://h/api/v1/timelines/public?local=true&min_id=9>; rel=\"prev\""
        );
        assert_eq!(link_header(&[], "x", &[]), None);
        assert_eq!(page_body(&page), r#"[{"id":"9"},{"id":"7"},{"id":"5"}]"#);
    }
}
