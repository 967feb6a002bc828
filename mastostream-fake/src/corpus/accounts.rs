//! The account pool: 3,000 accounts with Zipf popularity, 22% local, on a variety of server
//! software. Each account's JSON is rendered once and spliced into every payload.

use std::collections::HashSet;

use super::banks::{
    ALNUM_LOWER, CUSTOM_EMOJI, FIELD_HOSTS, FIELD_NAMES, HASHTAGS, INSTANCES, LEMMY_COMMUNITIES,
    LOCATIONS, NAME_PARTS, PRONOUNS,
};
use super::html::{hashtag_html, html_escape, media_url, write_emoji};
use super::json::{JsonOut, date_only, iso_midnight};
use super::rng::{Rng, pow};
use super::text::{BIO_BITS, DISPLAY_NAMES, EMOJI};
use super::{LOCAL, START_MS, snowflake};

/// Number of accounts in the pool.
pub(crate) const POOL_SIZE: usize = 3000;
const DAY: f64 = 86_400.0;
/// Derivation tag for the pool.
const TAG_POOL: u64 = 0x706f_6f6c;

/// The server software an account lives on; it shapes URLs and HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Software {
    Mastodon,
    Misskey,
    Threads,
    Bridgy,
    Lemmy,
    Pixelfed,
}

/// One account, with its rendered JSON.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) id: u64,
    pub(crate) username: String,
    pub(crate) acct: String,
    pub(crate) url: String,
    pub(crate) uri: String,
    pub(crate) domain: &'static str,
    pub(crate) software: Software,
    /// The Account entity, compact JSON.
    pub(crate) json: String,
}

impl Account {
    pub(crate) fn is_local(&self) -> bool {
        self.domain == LOCAL
    }
}

/// The accounts, most popular first, and their cumulative Zipf weights.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) accounts: Vec<Account>,
    cumulative: Vec<f64>,
}

impl Pool {
    pub(crate) fn build(seed: u64) -> Pool {
        let mut rng = Rng::derive(seed, TAG_POOL, 0);
        let mut used = HashSet::new();
        let mut accounts = Vec::with_capacity(POOL_SIZE);
        let mut cumulative = Vec::with_capacity(POOL_SIZE);
        let mut c = 0.0;
        for i in 0..POOL_SIZE {
            let (domain, software) = if i == 0 || rng.chance(0.22) {
                (LOCAL, Software::Mastodon)
            } else {
                let k = rng.weighted_index(INSTANCES.len(), |k| INSTANCES[k].1);
                (INSTANCES[k].0, INSTANCES[k].2)
            };
            let username = loop {
                let u = username(&mut rng, software, i);
                if used.insert((u.clone(), domain)) {
                    break u;
                }
            };
            accounts.push(make_account(&mut rng, seed, username, domain, software));
            c += pow((i + 1) as f64, -0.8);
            cumulative.push(c);
        }
        Pool {
            accounts,
            cumulative,
        }
    }

    /// A Zipf-weighted random account index.
    pub(crate) fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.f64() * self.cumulative[self.cumulative.len() - 1];
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.accounts.len() - 1)
    }

    pub(crate) fn get(&self, i: usize) -> &Account {
        &self.accounts[i]
    }
}

fn username(rng: &mut Rng, software: Software, i: usize) -> String {
    let mut u = rng.pick(NAME_PARTS).to_owned();
    let r = rng.f64();
    if r < 0.35 {
        u.push_str(rng.pick(&["_", "", "."]));
        u.push_str(rng.pick(NAME_PARTS));
    } else if r < 0.6 {
        u.push_str(&rng.range(1, 9999).to_string());
    }
    match software {
        Software::Threads => u = u.replace('_', "."),
        Software::Bridgy => {
            u = u.replace('_', ".");
            u.push('.');
            u.push_str(rng.pick(&["bsky.social", "bsky.social", "example.com"]));
        }
        Software::Lemmy => {
            u = rng.pick(LEMMY_COMMUNITIES).to_owned();
            if !rng.chance(0.7) {
                u.push_str(&i.to_string());
            }
        }
        _ => {}
    }
    u
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

fn make_account(
    rng: &mut Rng,
    seed: u64,
    username: String,
    domain: &'static str,
    software: Software,
) -> Account {
    let local = domain == LOCAL;
    let created = START_MS - rng.secs_ms(30.0 * DAY, 9.0 * 365.0 * DAY);
    let id = if created < START_MS - (8.2 * 365.0 * DAY * 1000.0) as u64 {
        rng.range(1, 400_000) // from before Mastodon had snowflake ids
    } else {
        snowflake(created, rng.bits(16))
    };
    let acct = if local {
        username.clone()
    } else {
        format!("{username}@{domain}")
    };
    let (uri, url) = match software {
        Software::Misskey => (
            format!(
                "https://{domain}/users/9{}",
                rng.ascii_string(ALNUM_LOWER, 9)
            ),
            format!("https://{domain}/@{username}"),
        ),
        Software::Threads => (
            format!(
                "https://threads.net/ap/users/{}/",
                rng.range(17_841_400_000_000_000, 17_841_499_999_999_999)
            ),
            format!("https://www.threads.net/@{username}"),
        ),
        Software::Bridgy => (
            format!(
                "https://bsky.brid.gy/ap/did:plc:{}",
                rng.ascii_string("abcdefghijklmnopqrstuvwxyz234567", 24)
            ),
            format!("https://bsky.app/profile/{username}"),
        ),
        Software::Lemmy => {
            let u = format!("https://{domain}/c/{username}");
            (u.clone(), u)
        }
        Software::Pixelfed => (
            format!("https://{domain}/users/{username}"),
            format!("https://{domain}/{username}"),
        ),
        Software::Mastodon => (
            format!("https://{domain}/users/{username}"),
            format!("https://{domain}/@{username}"),
        ),
    };
    let mut display_name = rng.pick(DISPLAY_NAMES).to_owned();
    if display_name.is_empty() && rng.chance(0.5) {
        display_name = capitalize(&username);
    }
    let mut emojis: Vec<&str> = CUSTOM_EMOJI
        .iter()
        .copied()
        .filter(|sc| display_name.contains(&format!(":{sc}:")))
        .collect();
    let note = note(rng, &username, domain, software, &mut emojis);
    let fields = fields(rng, &username);

    let mut j = JsonOut::with_capacity(2048);
    j.obj()
        .key("id")
        .id(id)
        .key("username")
        .str(&username)
        .key("acct")
        .str(&acct);
    j.key("display_name")
        .str(&display_name)
        .key("locked")
        .bool(rng.chance(0.05));
    j.key("bot").bool(rng.chance(0.03)).key("discoverable");
    match rng.weighted(&[(Some(true), 60.0), (Some(false), 30.0), (None, 10.0)]) {
        Some(b) => j.bool(b),
        None => j.null(),
    };
    j.key("indexable")
        .bool(rng.chance(0.5))
        .key("group")
        .bool(software == Software::Lemmy);
    j.key("created_at")
        .time(iso_midnight(created))
        .key("note")
        .str(&note);
    j.key("url").str(&url).key("uri").str(&uri);
    let (avatar, avatar_static) = if rng.chance(0.05) {
        let m = format!("https://{LOCAL}/avatars/original/missing.png");
        (m.clone(), m)
    } else {
        let ext = rng.pick(&["png", "jpg", "jpeg", "webp", "gif"]);
        let a = media_url(rng, "accounts/avatars", id, "original", ext, local);
        let s = if ext == "gif" {
            media_url(rng, "accounts/avatars", id, "static", "png", local)
        } else {
            a.clone()
        };
        (a, s)
    };
    let header = if rng.chance(0.25) {
        format!("https://{LOCAL}/headers/original/missing.png")
    } else {
        let ext = rng.pick(&["png", "jpg", "jpeg"]);
        media_url(rng, "accounts/headers", id, "original", ext, local)
    };
    j.key("avatar")
        .str(&avatar)
        .key("avatar_static")
        .str(&avatar_static);
    j.key("header")
        .str(&header)
        .key("header_static")
        .str(&header);
    let followers = if rng.chance(0.97) {
        (rng.pareto(0.9) * 20.0) as u64
    } else {
        rng.range(10_000, 450_000)
    };
    j.key("followers_count").int(followers);
    j.key("following_count")
        .int((rng.pareto(1.1) * 30.0) as u64);
    j.key("statuses_count").int((rng.pareto(0.7) * 50.0) as u64);
    j.key("last_status_at");
    if rng.chance(0.97) {
        j.str(&date_only(START_MS - rng.secs_ms(0.0, 3.0 * DAY)));
    } else {
        j.null();
    }
    j.key("hide_collections");
    match rng.weighted(&[(Some(false), 70.0), (Some(true), 15.0), (None, 15.0)]) {
        Some(b) => j.bool(b),
        None => j.null(),
    };
    if local {
        j.key("noindex").bool(rng.chance(0.2));
    }
    j.key("emojis").arr();
    for sc in &emojis {
        write_emoji(&mut j, seed, sc, domain);
    }
    j.end_arr();
    if local {
        j.key("roles").arr();
        if !rng.chance(0.98) {
            j.obj()
                .key("id")
                .str("3")
                .key("name")
                .str("Moderator")
                .key("color")
                .str("")
                .end_obj();
        }
        j.end_arr();
    }
    j.key("fields").raw(&fields).end_obj();
    Account {
        id,
        username,
        acct,
        url,
        uri,
        domain,
        software,
        json: j.into_string(),
    }
}

/// The bio HTML; appends the custom emoji it uses to `emojis`.
fn note(
    rng: &mut Rng,
    username: &str,
    domain: &str,
    software: Software,
    emojis: &mut Vec<&'static str>,
) -> String {
    let local = domain == LOCAL;
    let mut bits = vec![html_escape(rng.pick(BIO_BITS), local)];
    if rng.chance(0.35) {
        bits.push(html_escape(rng.pick(BIO_BITS), local));
    }
    if rng.chance(0.3) {
        let k = rng.range(1, 4) as usize;
        let mut s = String::new();
        for (n, t) in rng.sample(HASHTAGS, k).into_iter().enumerate() {
            if n > 0 {
                s.push(' ');
            }
            hashtag_html(&mut s, t, domain);
        }
        bits.push(s);
    }
    if rng.chance(0.15) {
        let sc = rng.pick(CUSTOM_EMOJI);
        bits.push(format!(":{sc}:"));
        if !emojis.contains(&sc) {
            emojis.push(sc);
        }
    }
    if rng.chance(0.3) {
        bits.push(rng.pick(EMOJI).to_owned());
    }
    if software == Software::Bridgy {
        bits.push(format!(
            "🌉 bridged from <a href=\"https://bsky.app/profile/{username}\" rel=\"nofollow noopener\" \
             target=\"_blank\">⁂ https://bsky.app/profile/{username}</a> by <a href=\"https://fed.brid.gy/\" \
             rel=\"nofollow noopener\" target=\"_blank\">https://fed.brid.gy/</a>"
        ));
    }
    if rng.chance(0.25) {
        format!("<p>{}</p>", bits.join("</p><p>"))
    } else if rng.chance(0.9) {
        format!("<p>{}</p>", bits.join("<br />"))
    } else {
        String::new()
    }
}

/// The profile fields array, as JSON.
fn fields(rng: &mut Rng, username: &str) -> String {
    let mut j = JsonOut::with_capacity(512);
    j.arr();
    let n = rng.weighted(&[(0, 45.0), (1, 15.0), (2, 18.0), (3, 12.0), (4, 10.0)]);
    for _ in 0..n {
        let name = rng.pick(FIELD_NAMES);
        let mut verified = None;
        let value = match name {
            "Pronouns" => rng.pick(PRONOUNS).to_owned(),
            "Location" => rng.pick(LOCATIONS).to_owned(),
            "Sprachen" => "Deutsch, English, 日本語".to_owned(),
            _ => {
                let host = rng.pick(FIELD_HOSTS);
                let path = match rng.below(4) {
                    0 => String::new(),
                    1 => format!("/{username}"),
                    2 => format!("/@{username}"),
                    _ => format!("/u/{username}"),
                };
                if rng.chance(0.35) {
                    verified = Some(START_MS - rng.secs_ms(DAY, 700.0 * DAY));
                }
                format!(
                    "<a href=\"https://{host}{path}\" target=\"_blank\" rel=\"nofollow noopener me\" \
                     translate=\"no\"><span class=\"invisible\">https://</span><span class=\"\">{host}{path}\
                     </span><span class=\"invisible\"></span></a>"
                )
            }
        };
        j.obj().key("name").str(name).key("value").str(&value);
        j.key("verified_at").opt_time(verified).end_obj();
    }
    j.end_arr();
    j.into_string()
}
