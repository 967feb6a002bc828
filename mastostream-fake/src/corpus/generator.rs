//! [`Generator`]: builds single entities (Status, Notification, Conversation, Announcement)
//! deterministically from a seed and an id.

use super::accounts::{POOL_SIZE, Pool};
use super::banks::REACTIONS;
use super::html::{emoji, html_escape};
use super::json::JsonOut;
use super::rng::Rng;
use super::status::{Created, StatusSpec, recent_before, sentence};
use super::text::{LANGS, Lang};
use super::{LOCAL, snowflake, snowflake_time_ms};

const TAG_STATUS: u64 = 0x7374_6174_7573;
const TAG_NOTIFICATION: u64 = 0x006e_6f74_6966;
const TAG_CONVERSATION: u64 = 0x636f_6e76;
const TAG_ANNOUNCEMENT: u64 = 0x616e_6e6f;
const DAY: f64 = 86_400.0;

/// Builds Mastodon entities as compact JSON (raw UTF-8, Mastodon's key order).
///
/// A generator owns a pool of 3,000 accounts made from its seed. Every entity is a pure
/// function of the seed, the entity's id (and, for entities whose id carries no time, the time
/// given): the `update` event for status id `X` in a stream made with seed `S` carries exactly
/// `Generator::new(S).status_json(X)` (unless that payload was ASCII-escaped, see
/// [`escape_ascii_json`](super::escape_ascii_json)). A fake server can therefore serve REST
/// pages that agree with the stream it sent.
///
/// ```
/// use mastostream_fake::corpus::{Generator, snowflake_time_ms};
///
/// let g = Generator::new(1);
/// let id = 114_612_946_477_621_040;
/// let json = g.status_json(id);
/// assert!(json.starts_with("{\"id\":\"114612946477621040\",\"created_at\":"));
/// assert_eq!(json, Generator::new(1).status_json(id));
/// assert!(snowflake_time_ms(id) > 1_700_000_000_000);
/// ```
#[derive(Debug)]
pub struct Generator {
    pub(crate) seed: u64,
    pub(crate) pool: Pool,
    pub(crate) viewer_fields: bool,
}

impl Generator {
    /// A generator for `seed`, with viewer fields (as an authenticated user sees statuses: on
    /// the user stream and over REST with a token).
    pub fn new(seed: u64) -> Self {
        Generator {
            seed,
            pool: Pool::build(seed),
            viewer_fields: true,
        }
    }

    /// Whether statuses carry the per-viewer fields `favourited`, `reblogged`, `muted`,
    /// `bookmarked`, `pinned` (the viewer's own statuses), `filtered`, and polls carry
    /// `voted` / `own_votes`. Public-stream statuses have none of them.
    #[must_use]
    pub fn with_viewer_fields(mut self, on: bool) -> Self {
        self.viewer_fields = on;
        self
    }

    /// The seed this generator was made with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Whether statuses carry viewer fields (see [`with_viewer_fields`](Self::with_viewer_fields)).
    pub fn viewer_fields(&self) -> bool {
        self.viewer_fields
    }

    /// Number of accounts in the pool.
    pub fn account_count(&self) -> usize {
        POOL_SIZE
    }

    /// The Account JSON of pool entry `index` (`0` is the viewer, a local account; lower
    /// indexes post more). Panics if `index >= account_count()`.
    pub fn account_json(&self, index: usize) -> &str {
        &self.pool.get(index).json
    }

    /// The Status with this id, as delivered by an `update` event: the id's snowflake
    /// timestamp is the delivery time (`created_at` for local statuses, a little later than it
    /// for remote ones). 14% of them are reblogs (a wrapper around an older status), some quote
    /// another status.
    pub fn status_json(&self, id: u64) -> String {
        let t = snowflake_time_ms(id);
        let mut rng = Rng::derive(self.seed, TAG_STATUS, id);
        let mut j = JsonOut::with_capacity(8192);
        self.write_status(
            &mut j,
            &mut rng,
            &StatusSpec::new(id, Created::DeliveredAt(t), t),
        );
        j.into_string()
    }

    /// The Status with this id after an edit at `edited_at_ms`, as delivered by a
    /// `status.update` event: the same post as [`status_json`](Self::status_json) (never a
    /// reblog, which cannot be edited) with `edited_at` set.
    pub fn edited_status_json(&self, id: u64, edited_at_ms: u64) -> String {
        let t = snowflake_time_ms(id);
        let mut rng = Rng::derive(self.seed, TAG_STATUS, id);
        let mut spec = StatusSpec::new(id, Created::DeliveredAt(t), t);
        spec.allow_reblog = false;
        spec.edited_at = Some(edited_at_ms.max(t));
        let mut j = JsonOut::with_capacity(8192);
        self.write_status(&mut j, &mut rng, &spec);
        j.into_string()
    }

    /// The Notification with this id, created at `at_ms`: `mention`, `favourite`, `reblog`,
    /// `follow`, `poll`, `update`, `status` or `follow_request`, with a `group_key`.
    pub fn notification_json(&self, id: u64, at_ms: u64) -> String {
        let mut rng = Rng::derive(self.seed, TAG_NOTIFICATION, id);
        let t = at_ms;
        let kind = rng.weighted(&[
            ("mention", 35.0),
            ("favourite", 25.0),
            ("reblog", 15.0),
            ("follow", 12.0),
            ("poll", 3.0),
            ("update", 4.0),
            ("status", 4.0),
            ("follow_request", 2.0),
        ]);
        let account = self.pool.pick(&mut rng);
        let status = match kind {
            "mention" => {
                let (sid, created) = recent_before(&mut rng, t);
                let mut s = StatusSpec::new(sid, Created::At(created), t);
                s.author = Some(account);
                s.allow_reblog = false;
                s.in_reply_to_me = true;
                s.visibility = Some(rng.weighted(&[
                    ("public", 50.0),
                    ("unlisted", 25.0),
                    ("private", 15.0),
                    ("direct", 10.0),
                ]));
                Some(s)
            }
            "favourite" | "reblog" => {
                let at = t - rng.secs_ms(60.0, DAY);
                let (sid, created) = recent_before(&mut rng, at);
                let mut s = StatusSpec::new(sid, Created::At(created), at);
                s.author = Some(0);
                s.allow_reblog = false;
                s.counts_scale = 3.0;
                Some(s)
            }
            "poll" => {
                let at = t - rng.secs_ms(DAY, 3.0 * DAY);
                let (sid, created) = recent_before(&mut rng, at);
                let mut s = StatusSpec::new(sid, Created::At(created), at);
                s.author = Some(if rng.chance(0.5) { 0 } else { account });
                s.allow_reblog = false;
                s.expired_poll_at = Some(t);
                Some(s)
            }
            "update" => {
                let created = t - rng.secs_ms(60.0, 2.0 * DAY);
                let mut s =
                    StatusSpec::new(snowflake(created, rng.bits(16)), Created::At(created), t);
                s.author = Some(account);
                s.allow_reblog = false;
                s.edited_at = Some(t - rng.secs_ms(1.0, 50.0).min(t - created));
                Some(s)
            }
            "status" => {
                let (sid, created) = recent_before(&mut rng, t);
                let mut s = StatusSpec::new(sid, Created::At(created), t);
                s.author = Some(account);
                s.allow_reblog = false;
                Some(s)
            }
            _ => None,
        };
        let bucket = t / 3_600_000;
        let group_key = match (kind, &status) {
            ("favourite" | "reblog", Some(s)) => format!("{kind}-{}-{bucket}", s.id),
            ("follow", _) => format!("follow-{bucket}"),
            _ => format!("ungrouped-{id}"),
        };
        let mut j = JsonOut::with_capacity(8192);
        j.obj()
            .key("id")
            .id(id)
            .key("type")
            .str(kind)
            .key("created_at")
            .time(t);
        j.key("group_key").str(&group_key);
        j.key("account").raw(&self.pool.get(account).json);
        if let Some(s) = status {
            j.key("status");
            self.write_status(&mut j, &mut rng, &s);
        }
        j.end_obj();
        j.into_string()
    }

    /// The Conversation with this id whose last status (a direct message to the viewer) was
    /// sent at `at_ms`.
    pub fn conversation_json(&self, id: u64, at_ms: u64) -> String {
        let mut rng = Rng::derive(self.seed, TAG_CONVERSATION, id);
        let n = rng.weighted(&[(1, 80.0), (2, 15.0), (3, 5.0)]);
        let others: Vec<usize> = (0..n).map(|_| self.pool.pick(&mut rng)).collect();
        let (sid, created) = recent_before(&mut rng, at_ms);
        let mut s = StatusSpec::new(sid, Created::At(created), at_ms);
        s.author = Some(others[0]);
        s.allow_reblog = false;
        s.visibility = Some("direct");
        s.in_reply_to_me = true;
        let mut j = JsonOut::with_capacity(12_288);
        j.obj()
            .key("id")
            .id(id)
            .key("unread")
            .bool(true)
            .key("accounts")
            .arr();
        for &a in &others {
            j.raw(&self.pool.get(a).json);
        }
        j.end_arr().key("last_status");
        self.write_status(&mut j, &mut rng, &s);
        j.end_obj();
        j.into_string()
    }

    /// The Announcement with this id, published at `at_ms`, with reactions.
    pub fn announcement_json(&self, id: u64, at_ms: u64) -> String {
        let mut rng = Rng::derive(self.seed, TAG_ANNOUNCEMENT, id);
        let n = rng.range(1, 4);
        let text: Vec<String> = (0..n)
            .map(|_| html_escape(&sentence(&mut rng, self.lang("en")), true))
            .collect();
        let mut j = JsonOut::with_capacity(1024);
        j.obj()
            .key("id")
            .id(id)
            .key("content")
            .str(&format!("<p>{}</p>", text.join(" ")));
        j.key("starts_at")
            .null()
            .key("ends_at")
            .null()
            .key("all_day")
            .bool(false);
        j.key("published_at")
            .time(at_ms)
            .key("updated_at")
            .time(at_ms + 20);
        j.key("read")
            .bool(false)
            .key("mentions")
            .empty_arr()
            .key("statuses")
            .empty_arr();
        j.key("tags")
            .empty_arr()
            .key("emojis")
            .empty_arr()
            .key("reactions")
            .arr();
        let k = rng.range(0, 4) as usize;
        for name in rng.sample(REACTIONS, k) {
            j.obj()
                .key("name")
                .str(name)
                .key("count")
                .int(rng.range(1, 300));
            j.key("me").bool(false);
            self.reaction_urls(&mut j, name);
            j.end_obj();
        }
        j.end_arr().end_obj();
        j.into_string()
    }

    /// The `announcement.reaction` payload: `{"name","count","announcement_id"}`, plus `url`
    /// and `static_url` when `name` is a custom emoji shortcode.
    pub fn announcement_reaction_json(
        &self,
        announcement_id: u64,
        name: &str,
        count: u64,
    ) -> String {
        let mut j = JsonOut::with_capacity(200);
        j.obj().key("name").str(name).key("count").int(count);
        j.key("announcement_id").id(announcement_id);
        self.reaction_urls(&mut j, name);
        j.end_obj();
        j.into_string()
    }

    fn reaction_urls(&self, j: &mut JsonOut, name: &str) {
        if name.is_ascii() {
            let e = emoji(self.seed, name, LOCAL);
            j.key("url")
                .str(&e.url)
                .key("static_url")
                .str(&e.static_url);
        }
    }

    pub(crate) fn lang(&self, code: &str) -> &'static Lang {
        LANGS.iter().find(|l| l.code == code).unwrap_or(&LANGS[0])
    }
}
