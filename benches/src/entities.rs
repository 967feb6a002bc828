//! Payloads and a zero-copy mirror of [`Status`](mastostream_proto::model::Status) for the owned-vs-borrowed measurement.
//!
//! [`BorrowedStatus`] has the fields of [`mastostream_proto::model::Status`], with every
//! string a `Cow<'a, str>` that borrows from the payload when the JSON string has no escapes
//! (enums, media meta and filter results, which hold few and short strings, are shared with
//! the owned model). Decoding both from the same bytes isolates the cost of owning strings.

use std::borrow::Cow;

use mastostream_proto::model::{
    CardType, FilterResult, MediaMeta, MediaType, QuoteApproval, QuoteState, Visibility,
};
use serde::Deserialize;

/// Realistic `update` payloads (compact JSON as Mastodon writes it): a user-stream status
/// with media, card, poll and filters; a boost; a public-stream status; a quote of a quote;
/// an ASCII-escaped status.
pub const STATUSES: &[(&str, &str)] = &[
    ("full", include_str!("payloads/status_full.json")),
    ("reblog", include_str!("payloads/status_reblog.json")),
    ("public", include_str!("payloads/status_public.json")),
    ("quote", include_str!("payloads/status_quote.json")),
    ("escaped", include_str!("payloads/status_escaped.json")),
];

/// A status whose strings borrow from the payload where they can.
#[derive(Debug, Deserialize)]
pub struct BorrowedStatus<'a> {
    /// Status id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Creation time.
    #[serde(borrow)]
    pub created_at: Cow<'a, str>,
    /// Replied-to status.
    #[serde(borrow, default)]
    pub in_reply_to_id: Option<Cow<'a, str>>,
    /// Replied-to account.
    #[serde(borrow, default)]
    pub in_reply_to_account_id: Option<Cow<'a, str>>,
    /// Sensitive flag.
    #[serde(default)]
    pub sensitive: bool,
    /// Content warning.
    #[serde(borrow, default)]
    pub spoiler_text: Cow<'a, str>,
    /// Visibility.
    pub visibility: Visibility,
    /// Language.
    #[serde(borrow, default)]
    pub language: Option<Cow<'a, str>>,
    /// ActivityPub URI.
    #[serde(borrow)]
    pub uri: Cow<'a, str>,
    /// HTML URL.
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
    /// Replies.
    #[serde(default)]
    pub replies_count: i64,
    /// Boosts.
    #[serde(default)]
    pub reblogs_count: i64,
    /// Favourites.
    #[serde(default)]
    pub favourites_count: i64,
    /// Quotes.
    #[serde(default)]
    pub quotes_count: Option<i64>,
    /// Edit time.
    #[serde(borrow, default)]
    pub edited_at: Option<Cow<'a, str>>,
    /// Viewer field.
    #[serde(default)]
    pub favourited: Option<bool>,
    /// Viewer field.
    #[serde(default)]
    pub reblogged: Option<bool>,
    /// Viewer field.
    #[serde(default)]
    pub muted: Option<bool>,
    /// Viewer field.
    #[serde(default)]
    pub bookmarked: Option<bool>,
    /// Viewer field.
    #[serde(default)]
    pub pinned: Option<bool>,
    /// HTML content.
    #[serde(borrow, default)]
    pub content: Cow<'a, str>,
    /// Source text.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
    /// Matched filters.
    #[serde(default)]
    pub filtered: Vec<FilterResult>,
    /// Boosted status.
    #[serde(borrow, default)]
    pub reblog: Option<Box<BorrowedStatus<'a>>>,
    /// Posting application.
    #[serde(borrow, default)]
    pub application: Option<BorrowedApplication<'a>>,
    /// Author.
    #[serde(borrow)]
    pub account: BorrowedAccount<'a>,
    /// Media.
    #[serde(borrow, default)]
    pub media_attachments: Vec<BorrowedMedia<'a>>,
    /// Mentions.
    #[serde(borrow, default)]
    pub mentions: Vec<BorrowedMention<'a>>,
    /// Hashtags.
    #[serde(borrow, default)]
    pub tags: Vec<BorrowedTag<'a>>,
    /// Custom emoji.
    #[serde(borrow, default)]
    pub emojis: Vec<BorrowedEmoji<'a>>,
    /// Quote.
    #[serde(borrow, default)]
    pub quote: Option<BorrowedQuote<'a>>,
    /// Preview card.
    #[serde(borrow, default)]
    pub card: Option<BorrowedCard<'a>>,
    /// Poll.
    #[serde(borrow, default)]
    pub poll: Option<BorrowedPoll<'a>>,
    /// Quote policy.
    #[serde(default)]
    pub quote_approval: Option<QuoteApproval>,
}

/// Borrowed account.
#[derive(Debug, Deserialize)]
pub struct BorrowedAccount<'a> {
    /// Id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Username.
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    /// Acct.
    #[serde(borrow)]
    pub acct: Cow<'a, str>,
    /// Profile URL.
    #[serde(borrow, default)]
    pub url: Cow<'a, str>,
    /// Actor URI.
    #[serde(borrow, default)]
    pub uri: Option<Cow<'a, str>>,
    /// Display name.
    #[serde(borrow, default)]
    pub display_name: Cow<'a, str>,
    /// Bio.
    #[serde(borrow, default)]
    pub note: Cow<'a, str>,
    /// Avatar.
    #[serde(borrow, default)]
    pub avatar: Cow<'a, str>,
    /// Static avatar.
    #[serde(borrow, default)]
    pub avatar_static: Cow<'a, str>,
    /// Avatar alt text.
    #[serde(borrow, default)]
    pub avatar_description: Option<Cow<'a, str>>,
    /// Header.
    #[serde(borrow, default)]
    pub header: Cow<'a, str>,
    /// Static header.
    #[serde(borrow, default)]
    pub header_static: Cow<'a, str>,
    /// Header alt text.
    #[serde(borrow, default)]
    pub header_description: Option<Cow<'a, str>>,
    /// Locked.
    #[serde(default)]
    pub locked: bool,
    /// Profile fields.
    #[serde(borrow, default)]
    pub fields: Vec<BorrowedField<'a>>,
    /// Custom emoji.
    #[serde(borrow, default)]
    pub emojis: Vec<BorrowedEmoji<'a>>,
    /// Bot.
    #[serde(default)]
    pub bot: bool,
    /// Group.
    #[serde(default)]
    pub group: bool,
    /// Discoverable.
    #[serde(default)]
    pub discoverable: Option<bool>,
    /// Indexable.
    #[serde(default)]
    pub indexable: Option<bool>,
    /// Noindex.
    #[serde(default)]
    pub noindex: Option<bool>,
    /// Moved to.
    #[serde(borrow, default)]
    pub moved: Option<Box<BorrowedAccount<'a>>>,
    /// Created.
    #[serde(borrow)]
    pub created_at: Cow<'a, str>,
    /// Last status date.
    #[serde(borrow, default)]
    pub last_status_at: Option<Cow<'a, str>>,
    /// Statuses.
    #[serde(default)]
    pub statuses_count: i64,
    /// Followers.
    #[serde(default)]
    pub followers_count: i64,
    /// Following.
    #[serde(default)]
    pub following_count: i64,
    /// Hides collections.
    #[serde(default)]
    pub hide_collections: Option<bool>,
    /// Roles.
    #[serde(borrow, default)]
    pub roles: Vec<BorrowedRole<'a>>,
}

/// Borrowed profile field.
#[derive(Debug, Deserialize)]
pub struct BorrowedField<'a> {
    /// Label.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Value (HTML).
    #[serde(borrow)]
    pub value: Cow<'a, str>,
    /// Verification time.
    #[serde(borrow, default)]
    pub verified_at: Option<Cow<'a, str>>,
}

/// Borrowed role.
#[derive(Debug, Deserialize)]
pub struct BorrowedRole<'a> {
    /// Id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Color.
    #[serde(borrow)]
    pub color: Cow<'a, str>,
}

/// Borrowed custom emoji.
#[derive(Debug, Deserialize)]
pub struct BorrowedEmoji<'a> {
    /// Shortcode.
    #[serde(borrow)]
    pub shortcode: Cow<'a, str>,
    /// Image.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Static image.
    #[serde(borrow)]
    pub static_url: Cow<'a, str>,
    /// Shown in picker.
    #[serde(default)]
    pub visible_in_picker: bool,
}

/// Borrowed media attachment.
#[derive(Debug, Deserialize)]
pub struct BorrowedMedia<'a> {
    /// Id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Type.
    #[serde(rename = "type")]
    pub kind: MediaType,
    /// File.
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
    /// Preview.
    #[serde(borrow, default)]
    pub preview_url: Option<Cow<'a, str>>,
    /// Remote file.
    #[serde(borrow, default)]
    pub remote_url: Option<Cow<'a, str>>,
    /// Remote preview.
    #[serde(borrow, default)]
    pub preview_remote_url: Option<Cow<'a, str>>,
    /// Short URL.
    #[serde(borrow, default)]
    pub text_url: Option<Cow<'a, str>>,
    /// Metadata.
    #[serde(default)]
    pub meta: Option<MediaMeta>,
    /// Alt text.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// BlurHash.
    #[serde(borrow, default)]
    pub blurhash: Option<Cow<'a, str>>,
}

/// Borrowed mention.
#[derive(Debug, Deserialize)]
pub struct BorrowedMention<'a> {
    /// Account id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Username.
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    /// Profile URL.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Acct.
    #[serde(borrow)]
    pub acct: Cow<'a, str>,
}

/// Borrowed hashtag.
#[derive(Debug, Deserialize)]
pub struct BorrowedTag<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// URL.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
}

/// Borrowed application.
#[derive(Debug, Deserialize)]
pub struct BorrowedApplication<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Website.
    #[serde(borrow, default)]
    pub website: Option<Cow<'a, str>>,
}

/// Borrowed quote.
#[derive(Debug, Deserialize)]
pub struct BorrowedQuote<'a> {
    /// State.
    pub state: QuoteState,
    /// Quoted status.
    #[serde(borrow, default)]
    pub quoted_status: Option<Box<BorrowedStatus<'a>>>,
    /// Quoted status id (shallow).
    #[serde(borrow, default)]
    pub quoted_status_id: Option<Cow<'a, str>>,
}

/// Borrowed preview card.
#[derive(Debug, Deserialize)]
pub struct BorrowedCard<'a> {
    /// URL.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Title.
    #[serde(borrow, default)]
    pub title: Cow<'a, str>,
    /// Description.
    #[serde(borrow, default)]
    pub description: Cow<'a, str>,
    /// Type.
    #[serde(rename = "type")]
    pub kind: CardType,
    /// Author.
    #[serde(borrow, default)]
    pub author_name: Cow<'a, str>,
    /// Author URL.
    #[serde(borrow, default)]
    pub author_url: Cow<'a, str>,
    /// Provider.
    #[serde(borrow, default)]
    pub provider_name: Cow<'a, str>,
    /// Provider URL.
    #[serde(borrow, default)]
    pub provider_url: Cow<'a, str>,
    /// Embed HTML.
    #[serde(borrow, default)]
    pub html: Cow<'a, str>,
    /// Width.
    #[serde(default)]
    pub width: u32,
    /// Height.
    #[serde(default)]
    pub height: u32,
    /// Image.
    #[serde(borrow, default)]
    pub image: Option<Cow<'a, str>>,
    /// Image alt text.
    #[serde(borrow, default)]
    pub image_description: Option<Cow<'a, str>>,
    /// Embed URL.
    #[serde(borrow, default)]
    pub embed_url: Cow<'a, str>,
    /// BlurHash.
    #[serde(borrow, default)]
    pub blurhash: Option<Cow<'a, str>>,
    /// Language.
    #[serde(borrow, default)]
    pub language: Option<Cow<'a, str>>,
    /// Published.
    #[serde(borrow, default)]
    pub published_at: Option<Cow<'a, str>>,
    /// Authors.
    #[serde(borrow, default)]
    pub authors: Vec<BorrowedCardAuthor<'a>>,
}

/// Borrowed card author.
#[derive(Debug, Deserialize)]
pub struct BorrowedCardAuthor<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// URL.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Account.
    #[serde(borrow, default)]
    pub account: Option<Box<BorrowedAccount<'a>>>,
}

/// Borrowed poll.
#[derive(Debug, Deserialize)]
pub struct BorrowedPoll<'a> {
    /// Id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Expiry.
    #[serde(borrow, default)]
    pub expires_at: Option<Cow<'a, str>>,
    /// Expired.
    #[serde(default)]
    pub expired: bool,
    /// Multiple choice.
    #[serde(default)]
    pub multiple: bool,
    /// Votes.
    #[serde(default)]
    pub votes_count: i64,
    /// Voters.
    #[serde(default)]
    pub voters_count: Option<i64>,
    /// Options.
    #[serde(borrow, default)]
    pub options: Vec<BorrowedPollOption<'a>>,
    /// Custom emoji.
    #[serde(borrow, default)]
    pub emojis: Vec<BorrowedEmoji<'a>>,
    /// Voted.
    #[serde(default)]
    pub voted: Option<bool>,
    /// Own votes.
    #[serde(default)]
    pub own_votes: Option<Vec<u32>>,
}

/// Borrowed poll option.
#[derive(Debug, Deserialize)]
pub struct BorrowedPollOption<'a> {
    /// Title.
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    /// Votes.
    #[serde(default)]
    pub votes_count: Option<i64>,
}

/// String bytes in a decoded borrowed status (main fields, recursing into boosts): how many
/// are borrowed from the payload, and how many there are in all.
pub fn borrowed_share(status: &BorrowedStatus<'_>) -> (usize, usize) {
    #[allow(clippy::ptr_arg, reason = "the point is to look at the Cow variant")]
    fn add(c: &Cow<'_, str>, t: &mut (usize, usize)) {
        t.1 += c.len();
        if matches!(c, Cow::Borrowed(_)) {
            t.0 += c.len();
        }
    }
    let mut t = (0, 0);
    let s = status;
    for c in [&s.id, &s.created_at, &s.uri, &s.content, &s.spoiler_text] {
        add(c, &mut t);
    }
    let a = &s.account;
    for c in [
        &a.id,
        &a.username,
        &a.acct,
        &a.url,
        &a.display_name,
        &a.note,
        &a.avatar,
        &a.header,
    ] {
        add(c, &mut t);
    }
    for m in &s.media_attachments {
        for c in [&m.url, &m.preview_url, &m.description, &m.blurhash]
            .into_iter()
            .flatten()
        {
            add(c, &mut t);
        }
    }
    if let Some(r) = &s.reblog {
        let inner = borrowed_share(r);
        t.0 += inner.0;
        t.1 += inner.1;
    }
    t
}
