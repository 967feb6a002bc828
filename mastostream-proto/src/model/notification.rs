//! Notifications and their type-specific payloads.

use serde::{Deserialize, Serialize};

use super::util::{int_or_default, or_default};
use super::{
    Account, AccountWarningAction, AppealState, NotificationType, ReportCategory, SeveranceType,
    Status,
};
use crate::Id;

/// Something that happened to you: the payload of `notification` events.
///
/// The payload fields that apply depend on [`Notification::kind`]: `status` for mentions,
/// boosts, favourites, polls, edits, quotes; `report` for `admin.report`; `event` for
/// `severed_relationships`; `moderation_warning` and `annual_report` for their types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The notification id.
    pub id: Id,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// When it happened.
    pub created_at: String,
    /// Key shared by notifications that group together (4.3+); `ungrouped-{id}` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
    /// Whether the notification was filtered by your notification policy (4.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filtered: Option<bool>,
    /// The account that caused the notification.
    pub account: Account,
    /// The status concerned (mention, status, reblog, favourite, poll, update, quote: the
    /// quoting status; quoted_update: your quote of the edited status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Box<Status>>,
    /// The report filed (`admin.report`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// What severed your relationships (`severed_relationships`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<RelationshipSeveranceEvent>,
    /// The moderation decision (`moderation_warning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation_warning: Option<AccountWarning>,
    /// The year of your annual report (`annual_report`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_report: Option<AnnualReportEvent>,
}

/// A report about an account (the payload of `admin.report` notifications).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The report id.
    pub id: Id,
    /// Whether a moderator acted on it.
    #[serde(default, deserialize_with = "or_default")]
    pub action_taken: bool,
    /// When a moderator acted.
    #[serde(default)]
    pub action_taken_at: Option<String>,
    /// Why it was filed.
    pub category: ReportCategory,
    /// The reporter's comment.
    #[serde(default, deserialize_with = "or_default")]
    pub comment: String,
    /// Whether it was forwarded to the reported account's server.
    #[serde(default, deserialize_with = "or_default")]
    pub forwarded: bool,
    /// When it was filed.
    pub created_at: String,
    /// The reported statuses.
    #[serde(default)]
    pub status_ids: Option<Vec<Id>>,
    /// The broken rules.
    #[serde(default)]
    pub rule_ids: Option<Vec<Id>>,
    /// The reported account.
    pub target_account: Box<Account>,
}

/// Why follow relationships were severed (`severed_relationships`, 4.3+).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationshipSeveranceEvent {
    /// The event id.
    pub id: Id,
    /// What caused it.
    #[serde(rename = "type")]
    pub kind: SeveranceType,
    /// Whether the list of severed relationships is gone (no longer downloadable).
    #[serde(default, deserialize_with = "or_default")]
    pub purged: bool,
    /// The blocked domain or suspended account.
    #[serde(default, deserialize_with = "or_default")]
    pub target_name: String,
    /// Followers you lost.
    #[serde(default, deserialize_with = "int_or_default")]
    pub followers_count: i64,
    /// Follows you lost.
    #[serde(default, deserialize_with = "int_or_default")]
    pub following_count: i64,
    /// When it happened.
    pub created_at: String,
}

/// A moderation decision about your account (`moderation_warning`, 4.3+).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountWarning {
    /// The warning id.
    pub id: Id,
    /// What was done.
    pub action: AccountWarningAction,
    /// The moderator's message.
    #[serde(default, deserialize_with = "or_default")]
    pub text: String,
    /// The statuses concerned.
    #[serde(default)]
    pub status_ids: Option<Vec<Id>>,
    /// The account acted upon.
    pub target_account: Box<Account>,
    /// Your appeal, if you made one.
    #[serde(default)]
    pub appeal: Option<Appeal>,
    /// When the decision was made.
    pub created_at: String,
}

/// An appeal against a moderation decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appeal {
    /// The appeal's text.
    #[serde(default, deserialize_with = "or_default")]
    pub text: String,
    /// Its state.
    pub state: AppealState,
}

/// Your annual report is ready (`annual_report`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnualReportEvent {
    /// The year the report covers.
    #[serde(deserialize_with = "super::util::text_or_number")]
    pub year: String,
}
