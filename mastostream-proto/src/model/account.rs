//! Accounts, profile fields, roles and custom emoji.

use serde::{Deserialize, Serialize};

use super::util::{int_or_default, nested, or_default};
use crate::Id;

/// A user profile, as embedded in statuses, notifications and conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account id (local to the server that sent it).
    pub id: Id,
    /// The username, without the domain.
    pub username: String,
    /// `username` for local accounts, `username@domain` for remote ones.
    pub acct: String,
    /// The profile page (HTML).
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
    /// The ActivityPub actor URI (4.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The display name (may contain `:shortcode:` custom emoji).
    #[serde(default, deserialize_with = "or_default")]
    pub display_name: String,
    /// The profile bio (HTML).
    #[serde(default, deserialize_with = "or_default")]
    pub note: String,
    /// Avatar URL (may be animated).
    #[serde(default, deserialize_with = "or_default")]
    pub avatar: String,
    /// Static avatar URL.
    #[serde(default, deserialize_with = "or_default")]
    pub avatar_static: String,
    /// Alt text for the avatar (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_description: Option<String>,
    /// Header image URL (may be animated).
    #[serde(default, deserialize_with = "or_default")]
    pub header: String,
    /// Static header image URL.
    #[serde(default, deserialize_with = "or_default")]
    pub header_static: String,
    /// Alt text for the header (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_description: Option<String>,
    /// Whether follow requests need approval.
    #[serde(default, deserialize_with = "or_default")]
    pub locked: bool,
    /// Profile metadata fields.
    #[serde(default, deserialize_with = "or_default")]
    pub fields: Vec<Field>,
    /// Custom emoji used in the display name and bio.
    #[serde(default, deserialize_with = "or_default")]
    pub emojis: Vec<CustomEmoji>,
    /// Whether the account is automated.
    #[serde(default, deserialize_with = "or_default")]
    pub bot: bool,
    /// Whether the account is a group actor.
    #[serde(default, deserialize_with = "or_default")]
    pub group: bool,
    /// Whether the account opted into discovery features; `None` when it never chose.
    #[serde(default)]
    pub discoverable: Option<bool>,
    /// Whether public posts may be indexed for search (4.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
    /// Whether the account opted out of search engine indexing (local accounts, 4.0+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noindex: Option<bool>,
    /// The account this one moved to.
    #[serde(
        default,
        deserialize_with = "nested",
        skip_serializing_if = "Option::is_none"
    )]
    pub moved: Option<Box<Account>>,
    /// Whether the account is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// Whether the account is hidden by moderators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited: Option<bool>,
    /// Whether the account is a memorial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memorial: Option<bool>,
    /// When the account was created (the date, at midnight UTC).
    pub created_at: String,
    /// The date of the last status (`YYYY-MM-DD`), if any.
    #[serde(default)]
    pub last_status_at: Option<String>,
    /// Number of statuses.
    #[serde(default, deserialize_with = "int_or_default")]
    pub statuses_count: i64,
    /// Number of followers.
    #[serde(default, deserialize_with = "int_or_default")]
    pub followers_count: i64,
    /// Number of accounts followed.
    #[serde(default, deserialize_with = "int_or_default")]
    pub following_count: i64,
    /// Whether the account hides its social graph (4.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_collections: Option<bool>,
    /// Whether the profile shows a media tab (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_media: Option<bool>,
    /// Whether the media tab includes replies (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_media_replies: Option<bool>,
    /// Whether the profile shows a featured tab (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_featured: Option<bool>,
    /// Highlighted roles (local accounts, 4.1+).
    #[serde(
        default,
        deserialize_with = "or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<AccountRole>,
}

/// A profile metadata field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The label.
    #[serde(default, deserialize_with = "or_default")]
    pub name: String,
    /// The value (HTML).
    #[serde(default, deserialize_with = "or_default")]
    pub value: String,
    /// When a link in the value was verified (`rel="me"`), if it was.
    #[serde(default)]
    pub verified_at: Option<String>,
}

/// A role shown on a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRole {
    /// The role id.
    pub id: Id,
    /// The role name.
    #[serde(default, deserialize_with = "or_default")]
    pub name: String,
    /// Hex color (`#rrggbb`) or an empty string.
    #[serde(default, deserialize_with = "or_default")]
    pub color: String,
}

/// A custom emoji, used as `:shortcode:` in text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// The name, without colons.
    pub shortcode: String,
    /// Image URL (may be animated).
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
    /// Static image URL.
    #[serde(default, deserialize_with = "or_default")]
    pub static_url: String,
    /// Whether the emoji shows in the picker.
    #[serde(default, deserialize_with = "or_default")]
    pub visible_in_picker: bool,
    /// The picker category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}
