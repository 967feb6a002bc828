//! [`Cursor`]: how far a stream was published, per timeline, as the source reports it.
//!
//! The fleet stores it and hands it back; only the source ([`crate::source`]) reads the ids
//! in it. Its JSON form is an object from timeline kind (`statuses`, `notifications`,
//! `conversations`) to the newest id below which every item was published.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Per timeline kind, the newest id such that every item up to it was published.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub BTreeMap<String, String>);

impl Cursor {
    /// The position of one timeline kind.
    pub fn get(&self, kind: &str) -> Option<&str> {
        self.0.get(kind).map(String::as_str)
    }

    /// Sets the position of one timeline kind.
    pub fn set(&mut self, kind: &str, id: &str) {
        self.0.insert(kind.to_owned(), id.to_owned());
    }

    /// Whether no position is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves one kind's position to `id` if that is newer (Mastodon ids compare as
    /// numbers: longer is newer, then byte order); `true` when it moved.
    pub fn advance(&mut self, kind: &str, id: &str) -> bool {
        let newer = self
            .get(kind)
            .is_none_or(|ours| (id.len(), id.as_bytes()) > (ours.len(), ours.as_bytes()));
        if newer {
            self.set(kind, id);
        }
        newer
    }

    /// Per kind, the newer of the two positions (as [`Cursor::advance`] compares them).
    /// Both must be valid lower bounds; so is the result.
    pub fn merge(&self, other: &Cursor) -> Cursor {
        let mut out = self.clone();
        for (k, theirs) in &other.0 {
            out.advance(k, theirs);
        }
        out
    }

    /// The id `status` reports as `last_id`: statuses first, then notifications, then
    /// conversations.
    pub fn last_id(&self) -> Option<&str> {
        ["statuses", "notifications", "conversations"]
            .iter()
            .find_map(|k| self.get(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_a_plain_object() {
        let mut c = Cursor::default();
        assert!(c.is_empty());
        c.set("notifications", "7");
        assert_eq!(c.last_id(), Some("7"));
        c.set("statuses", "110988741790818968");
        assert_eq!(c.last_id(), Some("110988741790818968"));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"notifications":"7","statuses":"110988741790818968"}"#
        );
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
    }

    #[test]
    fn merge_keeps_the_newer_id_per_kind() {
        let mut a = Cursor::default();
        a.set("statuses", "99");
        a.set("notifications", "5");
        let mut b = Cursor::default();
        b.set("statuses", "100");
        b.set("notifications", "4");
        b.set("conversations", "1");
        let m = a.merge(&b);
        assert_eq!(m.get("statuses"), Some("100"));
        assert_eq!(m.get("notifications"), Some("5"));
        assert_eq!(m.get("conversations"), Some("1"));
    }

    #[test]
    fn advance_only_moves_forward() {
        let mut c = Cursor::default();
        assert!(c.advance("statuses", "99"));
        assert!(c.advance("statuses", "100"), "longer is newer");
        assert!(!c.advance("statuses", "99"));
        assert!(
            !c.advance("statuses", "100"),
            "the same id does not move it"
        );
        assert_eq!(c.get("statuses"), Some("100"));
    }
}
