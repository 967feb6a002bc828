//! [`NotificationBuilder`]: a notification of any type, shaped as Mastodon sends that type.

use super::{Account, StatusBuilder, VIEWER};
use crate::corpus::json::JsonOut;
use crate::corpus::snowflake;

/// Every notification type Mastodon (4.5) sends, for a test that goes through them all;
/// [`NotificationBuilder`] takes any other string too.
pub const NOTIFICATION_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "severed_relationships",
    "moderation_warning",
    "annual_report",
    "quote",
    "quoted_update",
];

/// The types whose notifications carry the `status` concerned (Mastodon's
/// `NotificationSerializer#status_type?`).
const WITH_STATUS: &[&str] = &[
    "favourite",
    "reblog",
    "status",
    "mention",
    "poll",
    "update",
    "quoted_update",
    "quote",
];

/// The types about the viewer's own statuses (the `status` is the viewer's by default).
const ABOUT_OWN_STATUS: &[&str] = &["favourite", "reblog", "poll", "quoted_update"];

/// The types Mastodon sends from the viewer's own account (nobody else acted).
const FROM_SELF: &[&str] = &[
    "severed_relationships",
    "moderation_warning",
    "annual_report",
];

/// A notification of any type (`mention`, `follow`, `admin.report`, `annual_report`, or
/// any string), with the shape Mastodon gives that type: a `status` for `mention`,
/// `status`, `reblog`, `favourite`, `poll`, `update`, `quote` and `quoted_update`; a
/// `report` for `admin.report`; an `event` for `severed_relationships`; a
/// `moderation_warning` for `moderation_warning`; an `annual_report` for `annual_report`;
/// only the `account` for the rest (`follow`, `follow_request`, `admin.sign_up`, unknown
/// types). Publish it with [`FakeServer::notify`](crate::FakeServer::notify): it reaches
/// the `user` and `user:notification` streams and is listed by `/api/v1/notifications`
/// (which honours `types[]` and `exclude_types[]`).
///
/// ```
/// use mastostream_fake::{NotificationBuilder, StatusBuilder};
///
/// let n = NotificationBuilder::new("mention")
///     .account("bob@example.org")
///     .status(StatusBuilder::new().account("bob@example.org").mention("alice").text("hi"));
/// let json = n.json(7, 1_748_854_800_000);
/// assert!(json.starts_with(r#"{"id":"7","type":"mention","created_at":"2025-06-02T09:00:00.000Z","group_key":"ungrouped-7","account":{"#));
/// assert!(json.contains(r#""status":{"id":"#));
///
/// let follow = NotificationBuilder::new("follow").json(8, 1_748_854_800_000);
/// assert!(!follow.contains(r#""status""#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationBuilder {
    kind: String,
    account: Option<String>,
    status: Option<StatusBuilder>,
    target: Option<String>,
}

impl NotificationBuilder {
    /// A notification of type `kind`, from `bob@example.org` (from the viewer for
    /// `severed_relationships`, `moderation_warning` and `annual_report`, which nobody
    /// else causes).
    pub fn new(kind: &str) -> NotificationBuilder {
        NotificationBuilder {
            kind: kind.to_owned(),
            account: None,
            status: None,
            target: None,
        }
    }

    /// The account that caused it (`account`), by `acct`.
    #[must_use]
    pub fn account(mut self, acct: &str) -> Self {
        self.account = Some(acct.to_owned());
        self
    }

    /// The status concerned, for the types that carry one (ignored by the others). By
    /// default: the viewer's status for `favourite`, `reblog`, `poll` and
    /// `quoted_update`, a status by the notifying account mentioning the viewer for the
    /// other types.
    #[must_use]
    pub fn status(mut self, status: StatusBuilder) -> Self {
        self.status = Some(status);
        self
    }

    /// The account reported (`admin.report`) or warned (`moderation_warning`); by default
    /// `spammer@example.net` and the viewer.
    #[must_use]
    pub fn target(mut self, acct: &str) -> Self {
        self.target = Some(acct.to_owned());
        self
    }

    /// The notification's type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The Notification JSON with this id, created at `at_ms` (ms since the Unix epoch).
    pub fn json(&self, id: u64, at_ms: u64) -> String {
        let kind = self.kind.as_str();
        let from_self = FROM_SELF.contains(&kind);
        let default_from = if from_self { VIEWER } else { "bob@example.org" };
        let from = self.account.as_deref().unwrap_or(default_from);
        let mut j = JsonOut::with_capacity(2048);
        j.obj().key("id").id(id).key("type").str(kind);
        j.key("created_at").time(at_ms);
        j.key("group_key").str(&format!("ungrouped-{id}"));
        j.key("account");
        Account::new(from).write(&mut j);
        let target = |default: &str| Account::new(self.target.as_deref().unwrap_or(default));
        match kind {
            k if WITH_STATUS.contains(&k) => {
                let status = self.status.clone().unwrap_or_else(|| {
                    if ABOUT_OWN_STATUS.contains(&k) {
                        StatusBuilder::new()
                    } else {
                        StatusBuilder::new().account(from).mention(VIEWER)
                    }
                });
                // A status from a minute before, with the notification's id as low bits.
                j.key("status");
                status.write(&mut j, snowflake(at_ms.saturating_sub(60_000), id), None);
            }
            "admin.report" => {
                j.key("report").obj().key("id").id(id);
                j.key("action_taken").bool(false);
                j.key("action_taken_at").null();
                j.key("category").str("spam").key("comment").str("");
                j.key("forwarded").bool(false).key("created_at").time(at_ms);
                j.key("status_ids").empty_arr().key("rule_ids").empty_arr();
                j.key("target_account");
                target("spammer@example.net").write(&mut j);
                j.end_obj();
            }
            "severed_relationships" => {
                j.key("event").obj().key("id").id(id);
                j.key("type").str("domain_block").key("purged").bool(false);
                j.key("target_name").str("example.net");
                j.key("followers_count")
                    .int(1)
                    .key("following_count")
                    .int(1);
                j.key("created_at").time(at_ms).end_obj();
            }
            "moderation_warning" => {
                j.key("moderation_warning").obj().key("id").id(id);
                j.key("action").str("none").key("text").str("");
                j.key("status_ids").empty_arr().key("target_account");
                target(VIEWER).write(&mut j);
                j.key("appeal").null().key("created_at").time(at_ms);
                j.end_obj();
            }
            "annual_report" => {
                // The year the notification was made in.
                let year = crate::corpus::json::date_only(at_ms)[..4]
                    .parse::<u64>()
                    .unwrap_or(2025);
                j.key("annual_report").obj().key("year").int(year).end_obj();
            }
            _ => {}
        }
        j.end_obj();
        j.into_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(kind: &str) -> serde_json::Value {
        let json = NotificationBuilder::new(kind).json(318_000_001, 1_748_854_800_000);
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn each_type_has_mastodons_shape() {
        let extra = [
            "status",
            "report",
            "event",
            "moderation_warning",
            "annual_report",
        ];
        let has = |v: &serde_json::Value| -> Vec<&str> {
            extra
                .iter()
                .copied()
                .filter(|k| v.get(*k).is_some())
                .collect()
        };
        for kind in WITH_STATUS {
            let v = parse(kind);
            assert_eq!(has(&v), ["status"], "{kind}");
            assert_eq!(v["type"], *kind);
        }
        for (kind, key) in [
            ("admin.report", "report"),
            ("severed_relationships", "event"),
            ("moderation_warning", "moderation_warning"),
            ("annual_report", "annual_report"),
        ] {
            assert_eq!(has(&parse(kind)), [key], "{kind}");
        }
        for kind in ["follow", "follow_request", "admin.sign_up", "made.up"] {
            assert!(has(&parse(kind)).is_empty(), "{kind}");
        }
        assert!(WITH_STATUS.iter().all(|k| NOTIFICATION_TYPES.contains(k)));
        assert_eq!(parse("favourite")["status"]["account"]["acct"], VIEWER);
        let mention = parse("mention");
        assert_eq!(mention["status"]["account"]["acct"], "bob@example.org");
        assert_eq!(mention["status"]["mentions"][0]["acct"], VIEWER);
        assert_eq!(parse("annual_report")["account"]["acct"], VIEWER);
        assert_eq!(parse("annual_report")["annual_report"]["year"], 2025);
        assert_eq!(
            parse("admin.report")["report"]["target_account"]["acct"],
            "spammer@example.net"
        );
    }
}
