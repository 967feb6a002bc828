//! Pleroma's and Akkoma's own streaming payloads: chats and follow-relationship counts.

use serde::{Deserialize, Serialize};

use super::Account;
use super::util::or_default;
use crate::Id;

/// A Pleroma chat: the payload of `pleroma:chat_update` (Pleroma's
/// `lib/pleroma/web/pleroma_api/views/chat_view.ex`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    /// The chat id.
    pub id: Id,
    /// The other party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Box<Account>>,
    /// Unread messages.
    #[serde(default, deserialize_with = "or_default")]
    pub unread: u64,
    /// The newest message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<ChatMessage>,
    /// When the chat last changed.
    #[serde(default, deserialize_with = "or_default")]
    pub updated_at: String,
}

/// A message in a Pleroma chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The message id.
    pub id: Id,
    /// The chat it belongs to.
    #[serde(default, deserialize_with = "or_default")]
    pub chat_id: Id,
    /// The sender's account id.
    #[serde(default, deserialize_with = "or_default")]
    pub account_id: Id,
    /// The text (HTML), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// When it was sent.
    #[serde(default, deserialize_with = "or_default")]
    pub created_at: String,
    /// Whether you have read it.
    #[serde(default, deserialize_with = "or_default")]
    pub unread: bool,
}

/// The payload of `pleroma:follow_relationships_update` (Pleroma's and Akkoma's
/// `lib/pleroma/web/views/streamer_view.ex`): a follow changed state, with both sides'
/// counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowRelationships {
    /// The follow's state (`follow_accept`, `follow_pending`, `follow_reject`, ...).
    #[serde(default, deserialize_with = "or_default")]
    pub state: String,
    /// The follower.
    pub follower: FollowCounts,
    /// The account followed.
    pub following: FollowCounts,
}

/// One side of a follow relationship, with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowCounts {
    /// The account id.
    pub id: Id,
    /// Its followers.
    #[serde(default, deserialize_with = "or_default")]
    pub follower_count: u64,
    /// The accounts it follows.
    #[serde(default, deserialize_with = "or_default")]
    pub following_count: u64,
}
