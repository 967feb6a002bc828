//! HTML fragments as Mastodon renders them, media URLs, blurhashes and custom emoji.

use super::banks::B83;
use super::json::JsonOut;
use super::rng::{Rng, fnv1a};
use super::{FILES, LOCAL};

/// Derivation tag for custom emoji entities.
const TAG_EMOJI: u64 = 0x0065_6d6f_6a69;

/// Escapes text for HTML; `quotes` also escapes `"` and `'` (local posts are rendered by
/// Mastodon's own formatter, which does; remote HTML is only sanitised).
pub(crate) fn html_escape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A hashtag link; remote ones open in a new tab.
pub(crate) fn hashtag_html(out: &mut String, tag: &str, domain: &str) {
    out.push_str("<a href=\"https://");
    out.push_str(domain);
    out.push_str("/tags/");
    out.push_str(tag);
    if domain == LOCAL {
        out.push_str("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
    } else {
        out.push_str(
            "\" class=\"mention hashtag\" rel=\"nofollow noopener\" target=\"_blank\">#<span>",
        );
    }
    out.push_str(tag);
    out.push_str("</span></a>");
}

/// An h-card mention.
pub(crate) fn mention_html(out: &mut String, url: &str, username: &str) {
    out.push_str("<span class=\"h-card\" translate=\"no\"><a href=\"");
    out.push_str(url);
    out.push_str("\" class=\"u-url mention\">@<span>");
    out.push_str(username);
    out.push_str("</span></a></span>");
}

/// A link as Mastodon shortens it: the scheme (and `www.`) in an `invisible` span, the first
/// 30 characters visible, the rest invisible with an `ellipsis` class on the visible part.
pub(crate) fn link_html(out: &mut String, host: &str, path_html: &str) {
    let display = format!("{host}{path_html}");
    let (www, shown) = match display.strip_prefix("www.") {
        Some(rest) => ("www.", rest),
        None => ("", display.as_str()),
    };
    let cut = shown.char_indices().nth(30).map_or(shown.len(), |(i, _)| i);
    let (head, tail) = shown.split_at(cut);
    out.push_str("<a href=\"https://");
    out.push_str(host);
    out.push_str(path_html);
    out.push_str(
        "\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\">\
         <span class=\"invisible\">https://",
    );
    out.push_str(www);
    out.push_str("</span><span class=\"");
    out.push_str(if tail.is_empty() { "" } else { "ellipsis" });
    out.push_str("\">");
    out.push_str(head);
    out.push_str("</span><span class=\"invisible\">");
    out.push_str(tail);
    out.push_str("</span></a>");
}

/// Paperclip's id partition: `114612946477621040` -> `114/612/946/477/621/040`.
pub(crate) fn id_partition(id: u64) -> String {
    let digits = format!("{id:09}");
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = (0..padded.len() / 3)
        .map(|i| &padded[i * 3..i * 3 + 3])
        .collect();
    groups.join("/")
}

/// A file URL on the media host; remote files live under `cache/`.
pub(crate) fn media_url(
    rng: &mut Rng,
    kind: &str,
    id: u64,
    size: &str,
    ext: &str,
    local: bool,
) -> String {
    format!(
        "https://{FILES}/{}{kind}/{}/{size}/{}.{ext}",
        if local { "" } else { "cache/" },
        id_partition(id),
        rng.hex16()
    )
}

/// A blurhash-looking string of 28, 36 or 54 base-83 characters.
pub(crate) fn blurhash(rng: &mut Rng) -> String {
    let n = rng.pick(&[28, 28, 28, 36, 36, 54]);
    rng.ascii_string(B83, n)
}

/// A custom emoji as served by `domain`; the same (seed, shortcode, domain) always gives the
/// same entity, like a server's emoji cache.
#[derive(Debug)]
pub(crate) struct Emoji {
    pub(crate) url: String,
    pub(crate) static_url: String,
    pub(crate) visible_in_picker: bool,
}

pub(crate) fn emoji(seed: u64, shortcode: &str, domain: &str) -> Emoji {
    let mut rng = Rng::derive(seed, TAG_EMOJI, fnv1a(&[shortcode, domain]));
    let id = rng.range(1000, 999_999);
    let local = domain == LOCAL;
    let h = rng.hex16();
    let base = format!(
        "https://{FILES}/{}custom_emojis/images/{}/",
        if local { "" } else { "cache/" },
        id_partition(id)
    );
    let animated = ["bounce", "jam", "parrot"]
        .iter()
        .any(|p| shortcode.contains(p));
    Emoji {
        url: format!(
            "{base}original/{h}.{}",
            if animated { "gif" } else { "png" }
        ),
        static_url: format!("{base}static/{h}.png"),
        visible_in_picker: local || rng.chance(0.3),
    }
}

/// Writes a CustomEmoji entity.
pub(crate) fn write_emoji(j: &mut JsonOut, seed: u64, shortcode: &str, domain: &str) {
    let e = emoji(seed, shortcode, domain);
    j.obj()
        .key("shortcode")
        .str(shortcode)
        .key("url")
        .str(&e.url);
    j.key("static_url").str(&e.static_url);
    j.key("visible_in_picker")
        .bool(e.visible_in_picker)
        .end_obj();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_links() {
        assert_eq!(
            id_partition(114_612_946_477_621_040),
            "114/612/946/477/621/040"
        );
        assert_eq!(id_partition(41_131), "000/041/131");
        assert_eq!(
            id_partition(98_091_842_082_403_811),
            "098/091/842/082/403/811"
        );
        let mut s = String::new();
        link_html(
            &mut s,
            "www.theguardian.com",
            "/world/2025/jun/02/new-study",
        );
        assert_eq!(
            s,
            "<a href=\"https://www.theguardian.com/world/2025/jun/02/new-study\" target=\"_blank\" \
             rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">https://www.</span>\
             <span class=\"ellipsis\">theguardian.com/world/2025/jun</span><span class=\"invisible\">\
             /02/new-study</span></a>"
        );
        let mut s = String::new();
        link_html(&mut s, "lwn.net", "/Articles/");
        assert!(s.contains(
            "<span class=\"\">lwn.net/Articles/</span><span class=\"invisible\"></span>"
        ));
        assert_eq!(html_escape("a<b>&\"'", true), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(html_escape("a<b>&\"'", false), "a&lt;b&gt;&amp;\"'");
    }
}
