//! Statuses and the entities only statuses carry: mentions, tags, polls, quotes, filters.

use serde::{Deserialize, Serialize};

use super::util::{int_or_default, nested, opt_int, or_default};
use super::{
    Account, CustomEmoji, FilterAction, FilterContext, MediaAttachment, PreviewCard, QuoteAudience,
    QuoteState, QuoteUserPolicy, Visibility,
};
use crate::Id;

/// A post: the payload of `update` and `status.update` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The status id.
    pub id: Id,
    /// When the status was created.
    pub created_at: String,
    /// The id of the status this replies to.
    #[serde(default)]
    pub in_reply_to_id: Option<Id>,
    /// The author of the status this replies to.
    #[serde(default)]
    pub in_reply_to_account_id: Option<Id>,
    /// Whether the content is marked sensitive.
    #[serde(default, deserialize_with = "or_default")]
    pub sensitive: bool,
    /// The content warning (empty when none).
    #[serde(default, deserialize_with = "or_default")]
    pub spoiler_text: String,
    /// Who can see the status.
    pub visibility: Visibility,
    /// The language (ISO 639-1), if known.
    #[serde(default)]
    pub language: Option<String>,
    /// The ActivityPub URI.
    pub uri: String,
    /// The HTML page of the status.
    #[serde(default)]
    pub url: Option<String>,
    /// Number of replies (2.5+).
    #[serde(default, deserialize_with = "int_or_default")]
    pub replies_count: i64,
    /// Number of boosts.
    #[serde(default, deserialize_with = "int_or_default")]
    pub reblogs_count: i64,
    /// Number of favourites.
    #[serde(default, deserialize_with = "int_or_default")]
    pub favourites_count: i64,
    /// Number of quotes (4.5+).
    #[serde(
        default,
        deserialize_with = "opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub quotes_count: Option<i64>,
    /// When the status was last edited (3.5+).
    #[serde(default)]
    pub edited_at: Option<String>,
    /// Viewer field: whether you favourited it (absent on public streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    /// Viewer field: whether you boosted it (absent on public streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    /// Viewer field: whether you muted its conversation (absent on public streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Viewer field: whether you bookmarked it (absent on public streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    /// Viewer field: whether you pinned it (only present when it is pinnable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// The content (HTML).
    #[serde(default, deserialize_with = "or_default")]
    pub content: String,
    /// The plain-text source; only present on deleted-and-redrafted statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Your filters that matched this status (4.0+; empty on public streams).
    #[serde(
        default,
        deserialize_with = "or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub filtered: Vec<FilterResult>,
    /// The boosted status, when this status is a boost.
    #[serde(default, deserialize_with = "nested")]
    pub reblog: Option<Box<Status>>,
    /// The application that posted it (local statuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    /// The author.
    pub account: Account,
    /// Attached media.
    #[serde(default, deserialize_with = "or_default")]
    pub media_attachments: Vec<MediaAttachment>,
    /// Mentioned accounts.
    #[serde(default, deserialize_with = "or_default")]
    pub mentions: Vec<Mention>,
    /// Hashtags used.
    #[serde(default, deserialize_with = "or_default")]
    pub tags: Vec<Tag>,
    /// Custom emoji used in the content.
    #[serde(default, deserialize_with = "or_default")]
    pub emojis: Vec<CustomEmoji>,
    /// The quoted status (4.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// A link preview.
    #[serde(default)]
    pub card: Option<PreviewCard>,
    /// A poll.
    #[serde(default)]
    pub poll: Option<Poll>,
    /// Who may quote this status, and whether you may (4.5+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_approval: Option<QuoteApproval>,
}

impl Status {
    /// The status to show: the boosted status for a boost, else this one.
    pub fn original(&self) -> &Status {
        self.reblog.as_deref().unwrap_or(self)
    }
}

/// A mentioned account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
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

/// A hashtag: in statuses only `name` and `url`; the tag endpoints add the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag id (4.3+, tag endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// The tag, without `#`.
    pub name: String,
    /// The tag's page on the server.
    #[serde(default, deserialize_with = "or_default")]
    pub url: String,
    /// Daily use counts, newest first (tag endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<TagHistory>>,
    /// Whether you follow the tag (tag endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Whether you feature the tag on your profile (4.4+, tag endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// One day of a hashtag's use. The numbers are strings on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagHistory {
    /// The day, as a UNIX timestamp.
    #[serde(deserialize_with = "super::util::text_or_number")]
    pub day: String,
    /// Statuses using the tag that day.
    #[serde(deserialize_with = "super::util::text_or_number")]
    pub uses: String,
    /// Accounts using the tag that day.
    #[serde(deserialize_with = "super::util::text_or_number")]
    pub accounts: String,
}

/// The application that posted a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// The application's name.
    pub name: String,
    /// Its website.
    #[serde(default)]
    pub website: Option<String>,
}

/// A poll attached to a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poll {
    /// The poll id.
    pub id: Id,
    /// When the poll ends, if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Whether the poll has ended.
    #[serde(default, deserialize_with = "or_default")]
    pub expired: bool,
    /// Whether several choices are allowed.
    #[serde(default, deserialize_with = "or_default")]
    pub multiple: bool,
    /// Number of votes.
    #[serde(default, deserialize_with = "int_or_default")]
    pub votes_count: i64,
    /// Number of voters (`None` for single-choice polls on old servers).
    #[serde(default, deserialize_with = "opt_int")]
    pub voters_count: Option<i64>,
    /// The choices.
    #[serde(default, deserialize_with = "or_default")]
    pub options: Vec<PollOption>,
    /// Custom emoji used in the choices.
    #[serde(default, deserialize_with = "or_default")]
    pub emojis: Vec<CustomEmoji>,
    /// Viewer field: whether you voted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    /// Viewer field: the indexes of your choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<u32>>,
}

/// One choice of a poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollOption {
    /// The choice's text.
    #[serde(default, deserialize_with = "or_default")]
    pub title: String,
    /// Votes for it (`None` while results are hidden).
    #[serde(default, deserialize_with = "opt_int")]
    pub votes_count: Option<i64>,
}

/// A quote of another status (4.4+): the full `Quote` (`quoted_status`) at the top level, a
/// shallow quote (`quoted_status_id`) inside an already-quoted status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Whether the quote may be shown.
    pub state: QuoteState,
    /// The quoted status (full quotes; `None` unless the state allows showing it).
    #[serde(
        default,
        deserialize_with = "nested",
        skip_serializing_if = "Option::is_none"
    )]
    pub quoted_status: Option<Box<Status>>,
    /// The quoted status' id (shallow quotes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_status_id: Option<Id>,
}

impl Quote {
    /// The id of the quoted status, from either form.
    pub fn quoted_id(&self) -> Option<&Id> {
        match &self.quoted_status {
            Some(status) => Some(&status.id),
            None => self.quoted_status_id.as_ref(),
        }
    }
}

/// Who may quote a status, and how that applies to you (4.5+).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteApproval {
    /// Who can quote with automatic approval.
    #[serde(default, deserialize_with = "or_default")]
    pub automatic: Vec<QuoteAudience>,
    /// Who can quote with manual approval.
    #[serde(default, deserialize_with = "or_default")]
    pub manual: Vec<QuoteAudience>,
    /// What applies to you.
    pub current_user: QuoteUserPolicy,
}

/// A filter of yours that matched a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterResult {
    /// The filter.
    pub filter: Filter,
    /// The keywords that matched.
    #[serde(default)]
    pub keyword_matches: Option<Vec<String>>,
    /// The status ids that matched.
    #[serde(default)]
    pub status_matches: Option<Vec<Id>>,
}

/// A user-defined filter (v2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// The filter id.
    pub id: Id,
    /// The filter's name (shown in warnings).
    #[serde(default, deserialize_with = "or_default")]
    pub title: String,
    /// Where the filter applies.
    #[serde(default, deserialize_with = "or_default")]
    pub context: Vec<FilterContext>,
    /// When the filter expires, if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// What the filter does.
    pub filter_action: FilterAction,
    /// The keywords (filter endpoints only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    /// The filtered statuses (filter endpoints only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

/// A keyword of a filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterKeyword {
    /// The keyword id.
    pub id: Id,
    /// The phrase.
    pub keyword: String,
    /// Whether only whole words match.
    #[serde(default, deserialize_with = "or_default")]
    pub whole_word: bool,
}

/// A status a filter hides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterStatus {
    /// The filter-status id.
    pub id: Id,
    /// The hidden status' id.
    pub status_id: Id,
}
