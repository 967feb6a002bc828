//! Announcements, their reactions, and conversations.

use serde::{Deserialize, Serialize};

use super::util::{int_or_default, or_default};
use super::{Account, CustomEmoji, Status, Tag};
use crate::Id;

/// A server announcement from the administrators: the payload of `announcement` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The announcement id.
    pub id: Id,
    /// The text (HTML).
    #[serde(default, deserialize_with = "or_default")]
    pub content: String,
    /// When the announced event starts.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// When the announced event ends.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Whether it is currently published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
    /// Whether `starts_at` and `ends_at` are dates only.
    #[serde(default, deserialize_with = "or_default")]
    pub all_day: bool,
    /// When it was published.
    #[serde(default, deserialize_with = "or_default")]
    pub published_at: String,
    /// When it was last updated.
    #[serde(default, deserialize_with = "or_default")]
    pub updated_at: String,
    /// Viewer field: whether you dismissed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    /// Mentioned accounts.
    #[serde(default, deserialize_with = "or_default")]
    pub mentions: Vec<AnnouncementAccount>,
    /// Linked statuses.
    #[serde(default, deserialize_with = "or_default")]
    pub statuses: Vec<AnnouncementStatus>,
    /// Hashtags used.
    #[serde(default, deserialize_with = "or_default")]
    pub tags: Vec<Tag>,
    /// Custom emoji used.
    #[serde(default, deserialize_with = "or_default")]
    pub emojis: Vec<CustomEmoji>,
    /// Emoji reactions.
    #[serde(default, deserialize_with = "or_default")]
    pub reactions: Vec<Reaction>,
}

/// An account mentioned in an announcement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementAccount {
    /// The account id.
    pub id: Id,
    /// The username.
    #[serde(default, deserialize_with = "or_default")]
    pub username: String,
    /// The profile URL.
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
    /// `username` or `username@domain`.
    #[serde(default, deserialize_with = "or_default")]
    pub acct: String,
}

/// A status linked from an announcement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementStatus {
    /// The status id.
    pub id: Id,
    /// The status URL.
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
}

/// An emoji reaction to an announcement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji: a Unicode emoji, or a custom emoji's shortcode.
    pub name: String,
    /// How many accounts reacted with it.
    #[serde(default, deserialize_with = "int_or_default")]
    pub count: i64,
    /// Viewer field: whether you reacted with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<bool>,
    /// Image URL (custom emoji).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Static image URL (custom emoji).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_url: Option<String>,
}

/// A reaction count changed: the payload of `announcement.reaction` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementReaction {
    /// The emoji: a Unicode emoji, or a custom emoji's shortcode.
    pub name: String,
    /// The new count.
    #[serde(default, deserialize_with = "int_or_default")]
    pub count: i64,
    /// The announcement reacted to.
    pub announcement_id: Id,
    /// Image URL (custom emoji).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Static image URL (custom emoji).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_url: Option<String>,
}

/// A direct-message conversation: the payload of `conversation` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation id.
    pub id: Id,
    /// Whether it has unread messages.
    #[serde(default, deserialize_with = "or_default")]
    pub unread: bool,
    /// The other participants.
    #[serde(default, deserialize_with = "or_default")]
    pub accounts: Vec<Account>,
    /// The newest status.
    #[serde(default)]
    pub last_status: Option<Box<Status>>,
}
