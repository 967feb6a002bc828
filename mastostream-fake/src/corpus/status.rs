//! Statuses: content HTML, the Status entity in Mastodon's key order, reblogs and quotes.

use super::accounts::{Account, Software};
use super::attach::{Link, card, link, media, poll};
use super::banks::{ALNUM_LOWER, APPS, B83, CUSTOM_EMOJI, FILTERS, HASHTAGS, SPOILERS};
use super::html::{hashtag_html, html_escape, link_html, mention_html, write_emoji};
use super::json::JsonOut;
use super::rng::Rng;
use super::text::{EMOJI, LANGS, Lang};
use super::{Generator, LOCAL, snowflake};

const DAY: f64 = 86_400.0;

/// How a status's `created_at` relates to the time it is delivered.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Created {
    /// Created at exactly this time.
    At(u64),
    /// Delivered at this time: local statuses were created then, remote ones a little (or,
    /// sometimes, a lot) earlier.
    DeliveredAt(u64),
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatusSpec {
    pub(crate) id: u64,
    pub(crate) created: Created,
    /// "Now" for this status: cards' `published_at`, polls' `expires_at`.
    pub(crate) now: u64,
    pub(crate) author: Option<usize>,
    pub(crate) depth: u8,
    pub(crate) visibility: Option<&'static str>,
    pub(crate) edited_at: Option<u64>,
    pub(crate) allow_reblog: bool,
    pub(crate) in_reply_to_me: bool,
    pub(crate) counts_scale: f64,
    /// Attach a poll that expired just before this time.
    pub(crate) expired_poll_at: Option<u64>,
}

impl StatusSpec {
    pub(crate) fn new(id: u64, created: Created, now: u64) -> Self {
        StatusSpec {
            id,
            created,
            now,
            author: None,
            depth: 0,
            visibility: None,
            edited_at: None,
            allow_reblog: true,
            in_reply_to_me: false,
            counts_scale: 1.0,
            expired_poll_at: None,
        }
    }
}

/// A sentence in `lang`, sometimes followed by an emoji.
pub(crate) fn sentence(rng: &mut Rng, lang: &Lang) -> String {
    let mut s = rng.pick(lang.sentences).to_owned();
    if rng.chance(0.25) {
        s.push(' ');
        s.push_str(rng.pick(EMOJI));
    }
    s
}

/// Id and creation time of a status written shortly (or sometimes long) before `t`.
pub(crate) fn recent_before(rng: &mut Rng, t: u64) -> (u64, u64) {
    let created = t - delivery_delay(rng);
    (snowflake(created, rng.bits(16)), created)
}

fn delivery_delay(rng: &mut Rng) -> u64 {
    if rng.chance(0.9) {
        rng.secs_ms(0.2, 30.0)
    } else {
        rng.secs_ms(30.0, 2.0 * DAY)
    }
}

/// One of a status's `mentions`.
pub(crate) fn write_mention(j: &mut JsonOut, id: u64, username: &str, url: &str, acct: &str) {
    j.obj().key("id").id(id).key("username").str(username);
    j.key("url").str(url).key("acct").str(acct).end_obj();
}

/// A status's `tags`: each lowercased, with its URL on this server.
pub(crate) fn write_tags(j: &mut JsonOut, tags: &[impl AsRef<str>]) {
    j.key("tags").arr();
    for t in tags {
        let name = t.as_ref().to_lowercase();
        j.obj().key("name").str(&name);
        j.key("url")
            .str(&format!("https://{LOCAL}/tags/{name}"))
            .end_obj();
    }
    j.end_arr();
}

/// Parts of the content that are chosen before it is written.
struct ContentParts<'a> {
    lang: &'a Lang,
    mentions: &'a [usize],
    tags: &'a [&'static str],
    emojis: &'a [&'static str],
    long_post: bool,
    link: Option<&'a Link>,
    quote_url: Option<&'a str>,
}

impl Generator {
    /// Writes a Status and returns its `url`.
    pub(crate) fn write_status(&self, j: &mut JsonOut, rng: &mut Rng, spec: &StatusSpec) -> String {
        let reblog_roll = rng.f64();
        if spec.allow_reblog && spec.depth == 0 && reblog_roll < 0.14 {
            return self.write_reblog(j, rng, spec);
        }
        let author_ix = spec.author.unwrap_or_else(|| self.pool.pick(rng));
        let author = self.pool.get(author_ix);
        let local = author.is_local();
        let delay = delivery_delay(rng);
        let created = match spec.created {
            Created::At(t) => t,
            Created::DeliveredAt(t) if local => t,
            Created::DeliveredAt(t) => t - delay,
        };
        let lang = &LANGS[rng.weighted_index(LANGS.len(), |i| LANGS[i].weight)];
        let is_reply = rng.chance(0.3) || spec.in_reply_to_me;
        let mut mentions = Vec::new();
        if is_reply || rng.chance(0.08) {
            let k = rng.weighted(&[(1, 70.0), (2, 18.0), (3, 7.0), (5, 3.0), (9, 2.0)]);
            mentions = (0..k).map(|_| self.pool.pick(rng)).collect();
            if spec.in_reply_to_me {
                mentions[0] = 0;
            }
        }
        let mut tags = Vec::new();
        if rng.chance(0.28) {
            let k = rng.weighted(&[(1, 40.0), (2, 25.0), (3, 15.0), (5, 12.0), (10, 8.0)]);
            tags = rng.sample(HASHTAGS, k);
        }
        let mut emojis = Vec::new();
        if rng.chance(0.1) || author.software == Software::Misskey && rng.chance(0.4) {
            let k = rng.weighted(&[(1, 60.0), (2, 20.0), (4, 12.0), (10, 8.0)]);
            emojis = rng.sample(CUSTOM_EMOJI, k);
        }
        let nmedia = rng.weighted(&[(0, 74.0), (1, 16.0), (2, 4.0), (3, 2.0), (4, 4.0)]);
        let link = if (nmedia == 0 && rng.chance(0.25)) || rng.chance(0.05) {
            Some(link(rng))
        } else {
            None
        };
        let long_post = rng.chance(0.02);

        let mut quote: Option<JsonOut> = None;
        let mut quote_url = None;
        if spec.depth == 0 && rng.chance(0.03) {
            let qt = spec.now - rng.secs_ms(60.0, DAY);
            let mut q = StatusSpec::new(snowflake(qt, rng.bits(16)), Created::At(qt), qt);
            q.depth = 1;
            q.allow_reblog = false;
            q.counts_scale = 20.0;
            let mut qj = JsonOut::with_capacity(4096);
            qj.obj().key("state").str("accepted").key("quoted_status");
            quote_url = Some(self.write_status(&mut qj, rng, &q));
            qj.end_obj();
            quote = Some(qj);
        } else if spec.depth == 1 && rng.chance(0.1) {
            let mut qj = JsonOut::with_capacity(64);
            let old = snowflake(spec.now - 3 * 86_400_000, rng.bits(16));
            qj.obj()
                .key("state")
                .str("accepted")
                .key("quoted_status_id")
                .id(old)
                .end_obj();
            quote = Some(qj);
        }
        let parts = ContentParts {
            lang,
            mentions: &mentions,
            tags: &tags,
            emojis: &emojis,
            long_post,
            link: link.as_ref(),
            quote_url: quote_url.as_deref(),
        };
        let content = self.content(rng, author, &parts);
        let mut sensitive = rng.chance(0.08);
        let mut spoiler = "";
        if rng.chance(0.1) {
            spoiler = rng.pick(SPOILERS);
            sensitive = true;
        }
        let visibility = spec.visibility.unwrap_or_else(|| {
            rng.weighted(&[("public", 72.0), ("unlisted", 18.0), ("private", 10.0)])
        });
        let (uri, url) = status_uri(rng, author, spec.id);

        j.obj()
            .key("id")
            .id(spec.id)
            .key("created_at")
            .time(created)
            .key("in_reply_to_id");
        let parent_ago = rng.secs_ms(10.0, DAY);
        j.opt_id(is_reply.then(|| snowflake(created - parent_ago, rng.bits(16))));
        j.key("in_reply_to_account_id");
        j.opt_id(if is_reply {
            mentions.first().map(|&m| self.pool.get(m).id)
        } else {
            None
        });
        j.key("sensitive")
            .bool(sensitive)
            .key("spoiler_text")
            .str(spoiler);
        j.key("visibility").str(visibility).key("language");
        j.opt_str(rng.chance(0.93).then_some(lang.code));
        j.key("uri").str(&uri).key("url").str(&url);
        let scale = spec.counts_scale;
        let mut count = |alpha: f64| -> u64 {
            if rng.chance(0.5) {
                ((rng.pareto(alpha) * scale) as u64).saturating_sub(1)
            } else {
                0
            }
        };
        let (replies, reblogs, favourites) = (count(2.5), count(1.6), count(1.2));
        j.key("replies_count")
            .int(replies)
            .key("reblogs_count")
            .int(reblogs);
        j.key("favourites_count")
            .int(favourites)
            .key("quotes_count")
            .int(0);
        let late_edit = rng.chance(0.03);
        let late_edit_at = created + rng.secs_ms(30.0, 600.0);
        j.key("edited_at")
            .opt_time(spec.edited_at.or(late_edit.then_some(late_edit_at)));
        let bookmarked = rng.chance(0.01);
        if self.viewer_fields {
            j.key("favourited")
                .bool(false)
                .key("reblogged")
                .bool(false)
                .key("muted")
                .bool(false);
            j.key("bookmarked").bool(bookmarked);
            if author_ix == 0 {
                j.key("pinned").bool(false);
            }
        }
        j.key("content").str(&content);
        let filter = rng.chance(0.03).then(|| rng.pick(FILTERS));
        if self.viewer_fields {
            j.key("filtered").arr();
            if let Some(f) = filter {
                j.obj()
                    .key("filter")
                    .obj()
                    .key("id")
                    .str(f.id)
                    .key("title")
                    .str(f.title);
                j.key("context").arr();
                for c in f.context {
                    j.str(c);
                }
                j.end_arr().key("expires_at").opt_str(f.expires_at);
                j.key("filter_action").str(f.action).end_obj();
                j.key("keyword_matches").arr().str(f.keyword).end_arr();
                j.key("status_matches").null().end_obj();
            }
            j.end_arr();
        }
        j.key("reblog").null();
        let app_local = rng.chance(0.8);
        let app_any = rng.chance(0.1);
        if (local && app_local) || app_any {
            let i = rng.weighted_index(APPS.len(), |i| APPS[i].2);
            j.key("application").obj().key("name").str(APPS[i].0);
            j.key("website").opt_str(APPS[i].1).end_obj();
        }
        j.key("account")
            .raw(&author.json)
            .key("media_attachments")
            .arr();
        for _ in 0..nmedia {
            media(self, j, rng, author, created);
        }
        j.end_arr().key("mentions").arr();
        for &m in &mentions {
            let a = self.pool.get(m);
            write_mention(j, a.id, &a.username, &a.url, &a.acct);
        }
        j.end_arr();
        write_tags(j, &tags);
        j.key("emojis").arr();
        for sc in &emojis {
            write_emoji(j, self.seed, sc, author.domain);
        }
        j.end_arr().key("quote");
        match &quote {
            Some(q) => j.raw(&q.buf),
            None => j.null(),
        };
        j.key("card");
        match &link {
            Some(l) if nmedia == 0 && rng.chance(0.85) => card(self, j, rng, l, spec.now),
            _ => {
                j.null();
            }
        }
        j.key("poll");
        let random_poll = rng.chance(0.025);
        match spec.expired_poll_at {
            Some(t) => poll(self, j, rng, t, lang, true),
            None if nmedia == 0 && random_poll => poll(self, j, rng, spec.now, lang, false),
            None => {
                j.null();
            }
        }
        j.key("quote_approval").obj().key("automatic").arr();
        if rng.chance(0.8) {
            j.str("public");
        }
        j.end_arr().key("manual").empty_arr().key("current_user");
        j.str(rng.pick(&["automatic", "automatic", "manual", "denied", "unknown"]));
        j.end_obj().end_obj();
        url
    }

    /// A reblog: an empty wrapper status around an older, more popular one.
    fn write_reblog(&self, j: &mut JsonOut, rng: &mut Rng, spec: &StatusSpec) -> String {
        let booster = self.pool.get(self.pool.pick(rng));
        let created = match spec.created {
            Created::At(t) | Created::DeliveredAt(t) => t,
        };
        let uri = if booster.is_local() {
            format!(
                "https://{LOCAL}/users/{}/statuses/{}/activity",
                booster.username, spec.id
            )
        } else {
            format!(
                "{}/statuses/{}/activity",
                booster.uri.trim_end_matches('/'),
                rng.bits(56)
            )
        };
        j.obj()
            .key("id")
            .id(spec.id)
            .key("created_at")
            .time(created);
        j.key("in_reply_to_id")
            .null()
            .key("in_reply_to_account_id")
            .null();
        j.key("sensitive")
            .bool(false)
            .key("spoiler_text")
            .str("")
            .key("visibility")
            .str("public");
        j.key("language")
            .null()
            .key("uri")
            .str(&uri)
            .key("url")
            .str(&uri);
        j.key("replies_count")
            .int(0)
            .key("reblogs_count")
            .int(0)
            .key("favourites_count")
            .int(0);
        j.key("quotes_count").int(0).key("edited_at").null();
        if self.viewer_fields {
            j.key("favourited").bool(false).key("reblogged").bool(false);
            j.key("muted").bool(false).key("bookmarked").bool(false);
        }
        j.key("content").str("");
        if self.viewer_fields {
            j.key("filtered").empty_arr();
        }
        let inner_t = spec.now - rng.secs_ms(60.0, 3.0 * DAY);
        let (id, inner_created) = recent_before(rng, inner_t);
        let mut inner = StatusSpec::new(id, Created::At(inner_created), inner_t);
        inner.depth = 1;
        inner.allow_reblog = false;
        inner.counts_scale = 15.0;
        j.key("reblog");
        self.write_status(j, rng, &inner);
        j.key("account").raw(&booster.json);
        j.key("media_attachments")
            .empty_arr()
            .key("mentions")
            .empty_arr();
        j.key("tags").empty_arr().key("emojis").empty_arr();
        j.key("quote").null().key("card").null().key("poll").null();
        j.key("quote_approval")
            .obj()
            .key("automatic")
            .empty_arr()
            .key("manual")
            .empty_arr();
        j.key("current_user").str("denied").end_obj().end_obj();
        uri
    }

    /// The content HTML, as Mastodon renders local posts and sanitises remote ones.
    fn content(&self, rng: &mut Rng, author: &Account, p: &ContentParts<'_>) -> String {
        let local = author.is_local();
        let npara = if p.long_post {
            rng.range(8, 36) as usize
        } else {
            rng.weighted(&[(1, 66.0), (2, 22.0), (3, 8.0), (4, 4.0)])
        };
        let mut paras: Vec<Vec<String>> = (0..npara)
            .map(|_| {
                let nlines = rng.weighted(&[(1, 78.0), (2, 15.0), (3, 7.0)]);
                (0..nlines)
                    .map(|_| {
                        let n = rng.weighted(&[(1, 60.0), (2, 30.0), (3, 10.0)]);
                        let s: Vec<String> = (0..n).map(|_| sentence(rng, p.lang)).collect();
                        html_escape(&s.join(" "), local)
                    })
                    .collect()
            })
            .collect();
        if !p.mentions.is_empty() {
            let mut m = String::new();
            for &ix in p.mentions {
                let a = self.pool.get(ix);
                mention_html(&mut m, &a.url, &a.username);
                m.push(' ');
            }
            paras[0][0].insert_str(0, &m);
        }
        for sc in p.emojis {
            let pi = rng.below(paras.len());
            let line = paras[pi].last_mut().expect("paragraphs have lines");
            line.push_str(" :");
            line.push_str(sc);
            line.push(':');
        }
        if let Some(l) = p.link {
            let pi = rng.below(paras.len());
            let line = paras[pi].last_mut().expect("paragraphs have lines");
            line.push(' ');
            link_html(line, l.host, &l.path_html);
        }
        if !p.tags.is_empty() {
            let mut tag_html = String::new();
            for (i, t) in p.tags.iter().enumerate() {
                if i > 0 {
                    tag_html.push(' ');
                }
                hashtag_html(&mut tag_html, t, author.domain);
            }
            if rng.chance(0.5) {
                paras.push(vec![tag_html]);
            } else {
                let line = paras
                    .last_mut()
                    .and_then(|l| l.last_mut())
                    .expect("non-empty");
                line.push(' ');
                line.push_str(&tag_html);
            }
        }
        let mut body = String::with_capacity(1024);
        if let Some(u) = p.quote_url {
            body.push_str(&format!(
                "<p class=\"quote-inline\">RE: <a href=\"{u}\" target=\"_blank\" rel=\"nofollow noopener\" \
                 translate=\"no\">{u}</a></p>"
            ));
        }
        if author.software == Software::Misskey {
            // Misskey sends one paragraph, with <br> line breaks and blank lines between
            // paragraphs, wrapped in a span.
            let joined: Vec<String> = paras.iter().map(|l| l.join("<br>")).collect();
            body.push_str("<p><span>");
            body.push_str(&joined.join("<br><br>"));
            body.push_str("</span></p>");
        } else {
            for lines in &paras {
                body.push_str("<p>");
                body.push_str(&lines.join("<br />"));
                body.push_str("</p>");
            }
        }
        body
    }
}

/// `uri` and `url` of a status by `author`, in the shape of the author's software.
fn status_uri(rng: &mut Rng, author: &Account, id: u64) -> (String, String) {
    if author.is_local() {
        return (
            format!("https://{LOCAL}/users/{}/statuses/{id}", author.username),
            format!("https://{LOCAL}/@{}/{id}", author.username),
        );
    }
    match author.software {
        Software::Misskey => {
            let u = format!(
                "https://{}/notes/{}",
                author.domain,
                rng.ascii_string(ALNUM_LOWER, 10)
            );
            (u.clone(), u)
        }
        Software::Threads => {
            let user_id = author
                .uri
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default();
            (
                format!(
                    "https://threads.net/ap/users/{user_id}/post/{}/",
                    rng.bits(60)
                ),
                format!(
                    "https://www.threads.net/@{}/post/{}",
                    author.username,
                    rng.ascii_string(&B83[..62], 11)
                ),
            )
        }
        _ => {
            let n = rng.bits(56);
            (
                format!("{}/statuses/{n}", author.uri),
                format!("{}/{n}", author.url),
            )
        }
    }
}
