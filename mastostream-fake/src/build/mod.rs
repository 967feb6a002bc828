//! Entities a test chooses: statuses ([`StatusBuilder`]) and notifications
//! ([`NotificationBuilder`]), written as compact Mastodon JSON in Mastodon's key order, with
//! accounts made from their `acct`.

mod notification;
mod status;

pub use notification::{NOTIFICATION_TYPES, NotificationBuilder};
pub use status::StatusBuilder;

use crate::corpus::LOCAL;
use crate::corpus::json::JsonOut;
use crate::corpus::rng::fnv1a;

/// The viewer: the account the server's tokens belong to, a local account. Statuses are
/// by it unless a builder names another author.
pub const VIEWER: &str = "alice";

/// Who can see a status (Mastodon's `visibility`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everyone, on public timelines and hashtag streams too.
    #[default]
    Public,
    /// Everyone, but not on public timelines or hashtag streams.
    Unlisted,
    /// Followers only.
    Private,
    /// The mentioned accounts only.
    Direct,
}

impl Visibility {
    /// The name Mastodon uses (`public`, `unlisted`, `private`, `direct`).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// An account named by its `acct`: `alice` (or `alice@mastodon.social`) is local,
/// `bob@example.org` remote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    /// A stable id derived from the `acct`.
    pub(crate) id: u64,
    pub(crate) username: String,
    /// `alice` or `bob@example.org`, as Mastodon writes it (lowercased here, as the
    /// fake server compares accounts).
    pub(crate) acct: String,
    pub(crate) domain: String,
}

impl Account {
    pub(crate) fn new(acct: &str) -> Account {
        let acct = acct.trim_start_matches('@').to_lowercase();
        let (username, domain) = match acct.split_once('@') {
            Some((u, d)) if d != LOCAL => (u.to_owned(), d.to_owned()),
            Some((u, _)) => (u.to_owned(), LOCAL.to_owned()),
            None => (acct.clone(), LOCAL.to_owned()),
        };
        let acct = if domain == LOCAL {
            username.clone()
        } else {
            format!("{username}@{domain}")
        };
        Account {
            id: 100_000_000_000_000_000 + fnv1a(&["account", &acct]) % 10_000_000_000_000_000,
            username,
            acct,
            domain,
        }
    }

    pub(crate) fn is_local(&self) -> bool {
        self.domain == LOCAL
    }

    pub(crate) fn url(&self) -> String {
        format!("https://{}/@{}", self.domain, self.username)
    }

    /// The Account entity (every field Mastodon 4.3 sends, counts at zero).
    pub(crate) fn write(&self, j: &mut JsonOut) {
        let missing = |what: &str| format!("https://{LOCAL}/{what}/original/missing.png");
        j.obj().key("id").id(self.id);
        j.key("username").str(&self.username);
        j.key("acct").str(&self.acct);
        j.key("display_name").str(&self.username);
        j.key("locked").bool(false).key("bot").bool(false);
        j.key("discoverable").bool(true).key("indexable").bool(true);
        j.key("group").bool(false);
        j.key("created_at").str("2025-01-01T00:00:00.000Z");
        j.key("note").str("");
        j.key("url").str(&self.url());
        j.key("uri")
            .str(&format!("https://{}/users/{}", self.domain, self.username));
        for key in ["avatar", "avatar_static"] {
            j.key(key).str(&missing("avatars"));
        }
        for key in ["header", "header_static"] {
            j.key(key).str(&missing("headers"));
        }
        for key in ["followers_count", "following_count", "statuses_count"] {
            j.key(key).int(0);
        }
        j.key("last_status_at").null();
        j.key("hide_collections")
            .bool(false)
            .key("noindex")
            .bool(false);
        j.key("emojis").empty_arr().key("roles").empty_arr();
        j.key("fields").empty_arr().end_obj();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_local_or_remote_by_acct() {
        let alice = Account::new("Alice");
        assert_eq!(alice, Account::new("@alice@mastodon.social"));
        assert!(alice.is_local() && alice.acct == "alice");
        let bob = Account::new("bob@Example.org");
        assert_eq!(bob.acct, "bob@example.org");
        assert!(!bob.is_local());
        assert_ne!(alice.id, bob.id);
        let mut j = JsonOut::default();
        bob.write(&mut j);
        let v: serde_json::Value = serde_json::from_str(&j.into_string()).unwrap();
        assert_eq!(v["acct"], "bob@example.org");
        assert_eq!(v["url"], "https://example.org/@bob");
        assert_eq!(v["id"], bob.id.to_string());
    }
}
