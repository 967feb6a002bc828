//! [`StatusBuilder`]: a status with the fields a test chooses.

use std::sync::Arc;

use super::{Account, VIEWER, Visibility};
use crate::corpus::html::{hashtag_html, html_escape, mention_html};
use crate::corpus::json::JsonOut;
use crate::corpus::status::{write_mention, write_tags};
use crate::corpus::{LOCAL, snowflake, snowflake_time_ms};
use crate::route::Audience;

/// A status with the fields a test chooses; everything else is fixed and valid (counts at
/// zero, no card, no poll). Publish it with
/// [`FakeServer::publish_status`](crate::FakeServer::publish_status): it lands in the REST
/// timelines that would list it and reaches only the live streams that would carry it (see
/// the [crate docs](crate#which-streams-and-timelines-carry-a-status)).
///
/// ```
/// use mastostream_fake::{StatusBuilder, Visibility};
///
/// let status = StatusBuilder::new()
///     .account("bob@example.org")
///     .text("Tea time <3")
///     .tag("Tea")
///     .language("en")
///     .spoiler("food")
///     .media(2);
/// let json = status.json(114_612_946_477_621_040);
/// assert!(json.starts_with(r#"{"id":"114612946477621040","created_at":"2025-"#));
/// assert!(json.contains(r#""content":"<p>Tea time &lt;3</p><p><a href=\"https://example.org/tags/tea\""#));
/// assert!(json.contains(r#""sensitive":true,"spoiler_text":"food","visibility":"public""#));
/// assert!(json.contains(r#""tags":[{"name":"tea","url":"https://mastodon.social/tags/tea"}]"#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusBuilder {
    account: String,
    text: String,
    html: Option<String>,
    tags: Vec<String>,
    mentions: Vec<String>,
    visibility: Visibility,
    language: Option<String>,
    sensitive: bool,
    spoiler: String,
    reblog: Option<Box<StatusBuilder>>,
    in_reply_to: Option<(u64, String)>,
    media: usize,
}

impl Default for StatusBuilder {
    fn default() -> Self {
        StatusBuilder::new()
    }
}

impl StatusBuilder {
    /// A public English status by the viewer ([`VIEWER`](crate::VIEWER), a local account)
    /// saying "Hello from the fake server", with no tags, mentions or media.
    pub fn new() -> StatusBuilder {
        StatusBuilder {
            account: VIEWER.to_owned(),
            text: "Hello from the fake server".to_owned(),
            html: None,
            tags: Vec::new(),
            mentions: Vec::new(),
            visibility: Visibility::Public,
            language: Some("en".to_owned()),
            sensitive: false,
            spoiler: String::new(),
            reblog: None,
            in_reply_to: None,
            media: 0,
        }
    }

    /// The author, by `acct`: `carol` (or `carol@mastodon.social`) is local, on this server;
    /// `bob@example.org` is remote. Decides `public:local` versus `public:remote` and list
    /// membership.
    #[must_use]
    pub fn account(mut self, acct: &str) -> Self {
        self.account = acct.to_owned();
        self
    }

    /// The text, as the author typed it: HTML-escaped into one paragraph (`\n` becomes
    /// `<br />`), as Mastodon renders a local post.
    #[must_use]
    pub fn text(mut self, text: &str) -> Self {
        self.text = text.to_owned();
        self.html = None;
        self
    }

    /// The `content` HTML exactly as given (instead of [`text`](Self::text)); mention and
    /// hashtag links are still added.
    #[must_use]
    pub fn content_html(mut self, html: &str) -> Self {
        self.html = Some(html.to_owned());
        self
    }

    /// Adds a hashtag (without `#`): listed in `tags` (lowercased, as Mastodon names them)
    /// and linked in a last paragraph of the content. Decides `hashtag` streams and
    /// `tag/:tag` timelines.
    #[must_use]
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.trim_start_matches('#').to_owned());
        self
    }

    /// Adds a mention of `acct`: listed in `mentions` and linked at the start of the
    /// content.
    #[must_use]
    pub fn mention(mut self, acct: &str) -> Self {
        self.mentions.push(acct.to_owned());
        self
    }

    /// The visibility (public by default). Only public statuses reach public and hashtag
    /// streams and timelines.
    #[must_use]
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// The language (ISO 639), or `None` for `null`.
    #[must_use]
    pub fn language<'a>(mut self, language: impl Into<Option<&'a str>>) -> Self {
        self.language = language.into().map(str::to_owned);
        self
    }

    /// Marks the media sensitive (without a content warning).
    #[must_use]
    pub fn sensitive(mut self, sensitive: bool) -> Self {
        self.sensitive = sensitive;
        self
    }

    /// A content warning (`spoiler_text`); like Mastodon, a non-empty one makes the status
    /// `sensitive`.
    #[must_use]
    pub fn spoiler(mut self, text: &str) -> Self {
        self.spoiler = text.to_owned();
        self.sensitive |= !text.is_empty();
        self
    }

    /// Makes this a reblog of `original`: an empty wrapper by this builder's account
    /// around it (the original keeps its own account and fields). Reblogs reach the
    /// `user` and `list` streams but, as on Mastodon, no public or hashtag stream.
    #[must_use]
    pub fn reblog_of(mut self, original: StatusBuilder) -> Self {
        self.reblog = Some(Box::new(original));
        self
    }

    /// A reply to status `id` by `acct`. A reply to someone else stays off the public
    /// streams and timeline, as on Mastodon; a reply to oneself (a thread) does not.
    #[must_use]
    pub fn in_reply_to(mut self, id: u64, acct: &str) -> Self {
        self.in_reply_to = Some((id, acct.to_owned()));
        self
    }

    /// Attaches this many images. Decides the `:media` public streams and `only_media`.
    #[must_use]
    pub fn media(mut self, count: usize) -> Self {
        self.media = count;
        self
    }

    /// The Status JSON with this id (its snowflake time is `created_at`), as an `update`
    /// event or a timeline carries it.
    pub fn json(&self, id: u64) -> String {
        self.render(id, None)
    }

    /// The JSON, with `edited_at` when given.
    pub(crate) fn render(&self, id: u64, edited_at: Option<u64>) -> String {
        let mut j = JsonOut::with_capacity(2048);
        self.write(&mut j, id, edited_at);
        j.into_string()
    }

    /// Where the status goes.
    pub(crate) fn audience(&self) -> Arc<Audience> {
        let author = Account::new(&self.account);
        let original = self.reblog.as_deref().unwrap_or(self);
        Arc::new(Audience {
            local: author.is_local(),
            public: self.visibility == Visibility::Public,
            reblog: self.reblog.is_some(),
            reply_to_other: self
                .in_reply_to
                .as_ref()
                .is_some_and(|(_, to)| Account::new(to).acct != author.acct),
            media: original.media > 0,
            tags: original.tags.iter().map(|t| t.to_lowercase()).collect(),
            acct: author.acct,
        })
    }

    /// Writes the Status in Mastodon's key order.
    pub(crate) fn write(&self, j: &mut JsonOut, id: u64, edited_at: Option<u64>) {
        let author = Account::new(&self.account);
        let created = snowflake_time_ms(id);
        let reblog = self.reblog.is_some();
        j.obj().key("id").id(id).key("created_at").time(created);
        let reply = self.in_reply_to.as_ref();
        j.key("in_reply_to_id").opt_id(reply.map(|r| r.0));
        j.key("in_reply_to_account_id")
            .opt_id(reply.map(|r| Account::new(&r.1).id));
        j.key("sensitive").bool(self.sensitive && !reblog);
        j.key("spoiler_text")
            .str(if reblog { "" } else { &self.spoiler });
        j.key("visibility").str(self.visibility.as_str());
        j.key("language")
            .opt_str(self.language.as_deref().filter(|_| !reblog));
        let uri = format!(
            "https://{}/users/{}/statuses/{id}",
            author.domain, author.username
        );
        let url = format!("{}/{id}", author.url());
        let uri = if reblog {
            format!("{uri}/activity")
        } else {
            uri
        };
        j.key("uri").str(&uri).key("url").str(&url);
        for key in [
            "replies_count",
            "reblogs_count",
            "favourites_count",
            "quotes_count",
        ] {
            j.key(key).int(0);
        }
        j.key("edited_at").opt_time(edited_at);
        for key in ["favourited", "reblogged", "muted", "bookmarked"] {
            j.key(key).bool(false);
        }
        j.key("content");
        if reblog {
            j.str("");
        } else {
            j.str(&self.content(&author));
        }
        j.key("filtered").empty_arr().key("reblog");
        match &self.reblog {
            Some(original) => {
                // An older status: a minute before the reblog, the same low bits.
                let inner = snowflake(created.saturating_sub(60_000), id);
                original.write(j, inner, None);
            }
            None => {
                j.null();
            }
        }
        j.key("account");
        author.write(j);
        j.key("media_attachments").arr();
        for i in 0..if reblog { 0 } else { self.media } {
            write_image(j, snowflake(created, id.wrapping_add(i as u64 + 1)));
        }
        j.end_arr().key("mentions").arr();
        for acct in self.mentions.iter().filter(|_| !reblog) {
            let a = Account::new(acct);
            write_mention(j, a.id, &a.username, &a.url(), &a.acct);
        }
        j.end_arr();
        write_tags(j, if reblog { &[] } else { &self.tags[..] });
        j.key("emojis").empty_arr();
        j.key("quote").null().key("card").null().key("poll").null();
        j.end_obj();
    }

    /// The content HTML: mentions, then the text (or the given HTML), then the hashtags.
    fn content(&self, author: &Account) -> String {
        let mut mentions = String::new();
        for acct in &self.mentions {
            let a = Account::new(acct);
            mention_html(&mut mentions, &a.url(), &a.username);
            mentions.push(' ');
        }
        let mut html = match &self.html {
            Some(html) if mentions.is_empty() => html.clone(),
            Some(html) => format!("<p>{mentions}</p>{html}"),
            None => {
                let text = html_escape(&self.text, true).replace('\n', "<br />");
                format!("<p>{mentions}{text}</p>")
            }
        };
        if !self.tags.is_empty() {
            html.push_str("<p>");
            for (i, tag) in self.tags.iter().enumerate() {
                if i > 0 {
                    html.push(' ');
                }
                hashtag_html(&mut html, &tag.to_lowercase(), &author.domain);
            }
            html.push_str("</p>");
        }
        html
    }
}

/// A 640×480 PNG attachment with this id.
fn write_image(j: &mut JsonOut, id: u64) {
    let url = |size: &str| format!("https://files.{LOCAL}/media_attachments/files/{id}/{size}.png");
    j.obj().key("id").id(id).key("type").str("image");
    j.key("url").str(&url("original"));
    j.key("preview_url").str(&url("small"));
    j.key("remote_url").null().key("preview_remote_url").null();
    j.key("text_url")
        .null()
        .key("meta")
        .obj()
        .key("original")
        .obj();
    j.key("width").int(640).key("height").int(480);
    j.key("size")
        .str("640x480")
        .key("aspect")
        .float(640.0 / 480.0);
    j.end_obj().end_obj();
    j.key("description").null().key("blurhash").null().end_obj();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn chosen_fields_land_in_the_json() {
        let id = snowflake(1_748_854_800_000, 7);
        let s = StatusBuilder::new()
            .account("carol")
            .text("a\nb")
            .tag("Rust")
            .mention("bob@example.org")
            .visibility(Visibility::Unlisted)
            .language(None)
            .in_reply_to(42, "bob@example.org")
            .media(2);
        let v = parse(&s.json(id));
        assert_eq!(v["id"], id.to_string());
        assert_eq!(v["created_at"], "2025-06-02T09:00:00.000Z");
        assert_eq!(v["visibility"], "unlisted");
        assert_eq!(v["language"], serde_json::Value::Null);
        assert_eq!(v["in_reply_to_id"], "42");
        assert_eq!(
            v["in_reply_to_account_id"],
            Account::new("bob@example.org").id.to_string()
        );
        assert_eq!(v["account"]["acct"], "carol");
        assert_eq!(v["media_attachments"].as_array().unwrap().len(), 2);
        assert_eq!(v["mentions"][0]["acct"], "bob@example.org");
        assert_eq!(v["tags"][0]["name"], "rust");
        let content = v["content"].as_str().unwrap();
        assert!(
            content.starts_with("<p><span class=\"h-card\""),
            "{content}"
        );
        assert!(content.contains("a<br />b</p><p><a href=\"https://mastodon.social/tags/rust\""));
        let a = s.audience();
        assert!(a.local && !a.public && a.media && a.reply_to_other && !a.reblog);
        assert_eq!(a.tags, ["rust"]);
    }

    #[test]
    fn reblogs_wrap_the_original() {
        let original = StatusBuilder::new()
            .account("bob@example.org")
            .tag("rust")
            .media(1);
        let s = StatusBuilder::new().account("carol").reblog_of(original);
        let id = snowflake(1_748_854_800_000, 9);
        let v = parse(&s.json(id));
        assert_eq!(v["content"], "");
        assert_eq!(v["tags"], serde_json::json!([]));
        assert_eq!(v["account"]["acct"], "carol");
        assert_eq!(v["reblog"]["account"]["acct"], "bob@example.org");
        assert_eq!(v["reblog"]["tags"][0]["name"], "rust");
        assert_ne!(v["reblog"]["id"], v["id"]);
        let a = s.audience();
        assert!(a.reblog && a.local && a.media && a.acct == "carol");
        let edited = parse(&StatusBuilder::new().render(id, Some(1_748_854_900_000)));
        assert_eq!(edited["edited_at"], "2025-06-02T09:01:40.000Z");
    }
}
