//! Things hanging off a status: links, media attachments, preview cards and polls.

use super::Generator;
use super::accounts::Account;
use super::banks::{CARD_AUTHORS, FRAME_RATES, LINK_SITES, MEDIA_SIZES, SLUG_WORDS};
use super::html::{blurhash, id_partition, media_url};
use super::json::JsonOut;
use super::rng::Rng;
use super::text::Lang;
use super::{snowflake, status::sentence};

/// A link in a status: where it points and what it is called.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) host: &'static str,
    pub(crate) provider: &'static str,
    /// The path as it appears in HTML (`&` escaped).
    pub(crate) path_html: String,
    /// The full URL, unescaped.
    pub(crate) url: String,
    /// For YouTube links, the video id.
    pub(crate) video_id: Option<String>,
}

const YT_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

pub(crate) fn link(rng: &mut Rng) -> Link {
    let (host, provider, prefix) = rng.pick(LINK_SITES);
    let mut video_id = None;
    let mut path = prefix.to_owned();
    if prefix.ends_with("v=") {
        let v = rng.ascii_string(YT_ALPHABET, 11);
        path.push_str(&v);
        video_id = Some(v);
    } else if prefix.ends_with("id=") {
        path.push_str(&rng.range(40_000_000, 44_999_999).to_string());
    } else {
        let n = rng.range(2, 9) as usize;
        let words: Vec<&str> = (0..n).map(|_| rng.pick(SLUG_WORDS)).collect();
        path.push_str(&words.join("-"));
        if rng.chance(0.2) {
            path.push_str("?utm_source=mastodon&utm_medium=social");
        }
    }
    Link {
        host,
        provider,
        path_html: path.replace('&', "&amp;"),
        url: format!("https://{host}{path}"),
        video_id,
    }
}

/// Multi-line alt text and short descriptions are both common.
fn alt_text(g: &Generator, rng: &mut Rng) -> Option<String> {
    let r = rng.f64();
    if r < 0.55 {
        let n = rng.range(1, 3);
        let parts: Vec<String> = (0..n)
            .map(|_| {
                let code = rng.pick(&["en", "en", "de", "ja", "fr"]);
                sentence(rng, g.lang(code))
            })
            .collect();
        Some(parts.join(" "))
    } else if r < 0.62 {
        let n = rng.range(4, 16);
        let parts: Vec<String> = (0..n).map(|_| sentence(rng, g.lang("en"))).collect();
        Some(parts.join("\n"))
    } else {
        None
    }
}

fn size_obj(j: &mut JsonOut, w: u32, h: u32) {
    j.obj()
        .key("width")
        .int(w.into())
        .key("height")
        .int(h.into());
    j.key("size")
        .str(&format!("{w}x{h}"))
        .key("aspect")
        .float(f64::from(w) / f64::from(h));
    j.end_obj();
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A MediaAttachment uploaded shortly before `created`.
pub(crate) fn media(g: &Generator, j: &mut JsonOut, rng: &mut Rng, author: &Account, created: u64) {
    let local = author.is_local();
    let id = snowflake(created - rng.secs_ms(5.0, 600.0), rng.bits(16));
    let kind = rng.weighted(&[
        ("image", 85.0),
        ("gifv", 6.0),
        ("video", 7.0),
        ("audio", 2.0),
    ]);
    let (w, h) = rng.pick(MEDIA_SIZES);
    let mut meta = JsonOut::with_capacity(400);
    meta.obj();
    let ext = match kind {
        "image" => {
            let ext = rng.pick(&["jpeg", "jpg", "png", "webp"]);
            let sw = if w >= h { 640 } else { 640 * w / h };
            let sh = sw * h / w;
            meta.key("original");
            size_obj(&mut meta, w, h);
            meta.key("small");
            size_obj(&mut meta, sw, sh);
            if rng.chance(0.3) {
                let (x, y) = (
                    round2(rng.uniform(-1.0, 1.0)),
                    round2(rng.uniform(-1.0, 1.0)),
                );
                meta.key("focus")
                    .obj()
                    .key("x")
                    .float(x)
                    .key("y")
                    .float(y)
                    .end_obj();
            }
            ext
        }
        "gifv" | "video" => {
            let dur = round2(rng.uniform(2.0, 180.0));
            let (fr, fps) = rng.pick(FRAME_RATES);
            let secs = dur - f64::from((dur as u32) / 60 * 60);
            meta.key("length")
                .str(&format!("0:{:02}:{:05.2}", dur as u32 / 60, secs));
            meta.key("duration").float(dur).key("fps").int(fps.into());
            meta.key("size")
                .str(&format!("{w}x{h}"))
                .key("width")
                .int(w.into());
            meta.key("height")
                .int(h.into())
                .key("aspect")
                .float(f64::from(w) / f64::from(h));
            if kind == "video" {
                meta.key("audio_encode").str("aac (LC) (mp4a / 0x6134706D)");
                meta.key("audio_bitrate")
                    .str("44100 Hz")
                    .key("audio_channels")
                    .str("stereo");
            }
            meta.key("original")
                .obj()
                .key("width")
                .int(w.into())
                .key("height")
                .int(h.into());
            meta.key("frame_rate").str(fr).key("duration").float(dur);
            meta.key("bitrate")
                .int(rng.range(300_000, 8_000_000))
                .end_obj();
            meta.key("small");
            size_obj(&mut meta, 400, 400 * h / w);
            "mp4"
        }
        _ => {
            let dur = round2(rng.uniform(20.0, 3600.0));
            let whole = dur as u32;
            let secs = dur - f64::from(whole / 60 * 60);
            meta.key("length").str(&format!(
                "{}:{:02}:{:05.2}",
                whole / 3600,
                whole % 3600 / 60,
                secs
            ));
            meta.key("duration")
                .float(dur)
                .key("audio_encode")
                .str("mp3");
            meta.key("audio_bitrate")
                .str("44100 Hz")
                .key("audio_channels")
                .str("stereo");
            meta.key("original")
                .obj()
                .key("duration")
                .float(dur)
                .key("bitrate")
                .int(128_000)
                .end_obj();
            "mp3"
        }
    };
    meta.end_obj();
    let url = media_url(rng, "media_attachments/files", id, "original", ext, local);
    j.obj()
        .key("id")
        .id(id)
        .key("type")
        .str(kind)
        .key("url")
        .str(&url)
        .key("preview_url");
    if kind == "audio" {
        j.null();
    } else {
        let pext = if ext == "png" { "png" } else { "jpg" };
        j.str(&media_url(
            rng,
            "media_attachments/files",
            id,
            "small",
            pext,
            local,
        ));
    }
    j.key("remote_url");
    if local {
        j.null();
    } else {
        j.str(&format!(
            "https://{}/system/media_attachments/files/{}/original/{}.{ext}",
            author.domain,
            id_partition(id),
            rng.hex16()
        ));
    }
    j.key("preview_remote_url").null().key("text_url").null();
    j.key("meta").raw(&meta.buf);
    j.key("description").opt_str(alt_text(g, rng).as_deref());
    j.key("blurhash");
    if kind == "audio" {
        j.null();
    } else {
        j.str(&blurhash(rng));
    }
    j.end_obj();
}

fn truncate_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// A PreviewCard for `link` (a YouTube link gets a video card with an iframe).
pub(crate) fn card(g: &Generator, j: &mut JsonOut, rng: &mut Rng, link: &Link, now: u64) {
    let code = rng.pick(&["en", "en", "de", "fr", "ja"]);
    let title = truncate_chars(&sentence(rng, g.lang(code)), 90).to_owned();
    let n = rng.range(0, 3);
    let sentences: Vec<String> = (0..n).map(|_| sentence(rng, g.lang("en"))).collect();
    let mut desc = sentences.join(" ");
    if rng.chance(0.1) {
        desc.push_str("\n\n");
        desc.push_str(&sentence(rng, g.lang("en")));
    }
    let html = match &link.video_id {
        Some(v) => format!(
            "<iframe width=\"200\" height=\"113\" src=\"https://www.youtube.com/embed/{v}?feature=oembed\" \
             frameborder=\"0\" allow=\"accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; \
             picture-in-picture; web-share\" referrerpolicy=\"strict-origin-when-cross-origin\" allowfullscreen \
             title=\"{}\"></iframe>",
            title.replace('"', "&quot;")
        ),
        None => String::new(),
    };
    let video = link.video_id.is_some();
    let card_id = rng.range(100_000_000, 200_000_000);
    let has_img = rng.chance(0.85);
    let author_name = rng.pick(CARD_AUTHORS);
    j.obj().key("url").str(&link.url).key("title").str(&title);
    j.key("description").str(&desc).key("language");
    j.opt_str(rng.pick(&[Some("en"), Some("de"), Some("fr"), Some("ja"), None]));
    j.key("type").str(if video { "video" } else { "link" });
    j.key("author_name")
        .str(author_name)
        .key("author_url")
        .str("");
    j.key("provider_name")
        .str(link.provider)
        .key("provider_url")
        .str("")
        .key("html")
        .str(&html);
    let (w, h) = match (has_img, video) {
        (false, _) => (0, 0),
        (true, true) => (200, 113),
        (true, false) => (1200, 630),
    };
    j.key("width").int(w).key("height").int(h).key("image");
    if has_img {
        j.str(&media_url(
            rng,
            "preview_cards/images",
            card_id,
            "original",
            "jpg",
            false,
        ));
    } else {
        j.null();
    }
    j.key("image_description")
        .str("")
        .key("embed_url")
        .str("")
        .key("blurhash");
    if has_img {
        j.str(&blurhash(rng));
    } else {
        j.null();
    }
    j.key("published_at");
    if rng.chance(0.6) {
        j.time(now - rng.secs_ms(600.0, 3.0 * 86_400.0));
    } else {
        j.null();
    }
    j.key("authors").arr();
    if !author_name.is_empty() {
        j.obj()
            .key("name")
            .str(author_name)
            .key("url")
            .str("")
            .key("account")
            .null()
            .end_obj();
    }
    j.end_arr().end_obj();
}

/// A Poll: open (expiring within a week of `now`) or just expired at `now`.
pub(crate) fn poll(
    g: &Generator,
    j: &mut JsonOut,
    rng: &mut Rng,
    now: u64,
    lang: &Lang,
    expired: bool,
) {
    let id = rng.range(900_000, 1_400_000);
    let n = rng.range(2, 4);
    let votes: Vec<u64> = (0..n).map(|_| (rng.pareto(1.2) * 3.0) as u64).collect();
    let total: u64 = votes.iter().sum();
    let multiple = rng.chance(0.2);
    let expires_at = if expired {
        now - rng.secs_ms(1.0, 600.0)
    } else {
        now + rng.secs_ms(3600.0, 7.0 * 86_400.0)
    };
    let voters = if multiple {
        total - rng.range(0, total / 3)
    } else {
        total
    };
    j.obj()
        .key("id")
        .id(id)
        .key("expires_at")
        .time(expires_at)
        .key("expired")
        .bool(expired);
    j.key("multiple")
        .bool(multiple)
        .key("votes_count")
        .int(total);
    j.key("voters_count").int(voters).key("options").arr();
    for v in votes {
        let title = sentence(rng, lang);
        j.obj()
            .key("title")
            .str(truncate_chars(&title, 50))
            .key("votes_count")
            .int(v)
            .end_obj();
    }
    j.end_arr().key("emojis").empty_arr();
    if g.viewer_fields {
        j.key("voted").bool(false).key("own_votes").empty_arr();
    }
    j.end_obj();
}
