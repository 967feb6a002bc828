//! Word banks for usernames, instances, links, hashtags, apps and the like.

use super::accounts::Software;

/// Custom emoji shortcodes.
pub(crate) const CUSTOM_EMOJI: &[&str] = &[
    "blobcat",
    "blobcatheart",
    "neocat_floof",
    "ablobcatbouncefast",
    "verified",
    "mastodon",
    "rustacean",
    "python",
    "nixos",
    "linux",
    "blobfoxcomfy",
    "catjam",
    "trans_flag",
    "bongoCat",
    "partyparrot",
    "kawaii_neko",
    "flan_hearts",
    "nkoWave",
    "blobhaj_happy",
    "misskey",
];

/// Hashtags, some non-ASCII.
pub(crate) const HASHTAGS: &[&str] = &[
    "rust",
    "python",
    "linux",
    "photography",
    "caturday",
    "fediverse",
    "mastodon",
    "opensource",
    "art",
    "MastoArt",
    "music",
    "science",
    "climate",
    "FOSS",
    "gamedev",
    "japan",
    "books",
    "DnD",
    "coffee",
    "SilentSunday",
    "birds",
    "BirdsOfMastodon",
    "foodporn",
    "selfhosted",
    "homelab",
    "accessibility",
    "a11y",
    "webdev",
    "cats",
    "dogsofmastodon",
    "photo",
    "nature",
    "新人さんいらっしゃい",
    "写真",
    "ねこ",
    "Frühling",
    "café",
    "NoAltTextNoBoost",
    "introduction",
    "politics",
    "news",
    "ukraine",
    "AI",
    "privacy",
    "security",
    "infosec",
    "retrocomputing",
    "gardening",
];

/// Link targets: (host, provider name, path prefix).
pub(crate) const LINK_SITES: &[(&str, &str, &str)] = &[
    ("www.theguardian.com", "The Guardian", "/world/2025/jun/02/"),
    ("arstechnica.com", "Ars Technica", "/science/2025/06/"),
    ("github.com", "GitHub", "/"),
    ("www.youtube.com", "YouTube", "/watch?v="),
    ("en.wikipedia.org", "Wikipedia", "/wiki/"),
    ("blog.rust-lang.org", "Rust Blog", "/2025/05/29/"),
    ("www.heise.de", "heise online", "/news/"),
    (
        "www.lemonde.fr",
        "Le Monde.fr",
        "/international/article/2025/06/02/",
    ),
    ("news.ycombinator.com", "Hacker News", "/item?id="),
    ("www3.nhk.or.jp", "NHK", "/news/html/20250602/"),
    ("lwn.net", "LWN.net", "/Articles/"),
    ("www.theverge.com", "The Verge", "/2025/6/2/"),
];

/// Words for URL slugs.
pub(crate) const SLUG_WORDS: &[&str] = &[
    "new",
    "study",
    "finds",
    "open",
    "source",
    "climate",
    "data",
    "city",
    "release",
    "rust",
    "memory",
    "safety",
    "parser",
    "streaming",
    "server",
    "events",
    "why",
    "how",
    "the",
    "future",
    "of",
    "social",
    "web",
    "federated",
    "protocol",
    "report",
    "2025",
    "update",
    "guide",
    "inside",
    "history",
    "small",
    "tools",
];

/// Client applications: (name, website, weight).
pub(crate) const APPS: &[(&str, Option<&str>, f64)] = &[
    ("Web", None, 40.0),
    ("Ivory for iOS", Some("https://tapbots.com/ivory/"), 10.0),
    ("Tusky", Some("https://tusky.app"), 8.0),
    ("Elk", Some("https://elk.zone"), 5.0),
    ("Phanpy", Some("https://phanpy.social"), 5.0),
    (
        "Ice Cubes",
        Some("https://github.com/Dimillian/IceCubesApp"),
        5.0,
    ),
    (
        "Mastodon for Android",
        Some("https://app.joinmastodon.org/android"),
        10.0,
    ),
    (
        "Mastodon for iOS",
        Some("https://app.joinmastodon.org/ios"),
        10.0,
    ),
    (
        "Moshidon",
        Some("https://github.com/LucasGGamerM/moshidon"),
        2.0,
    ),
    ("Fedilab", Some("https://fedilab.app"), 2.0),
    ("IFTTT", None, 2.0),
    (
        "feed2toot",
        Some("https://gitlab.com/chaica/feed2toot"),
        1.0,
    ),
];

/// Remote instances: (domain, weight, software).
pub(crate) const INSTANCES: &[(&str, f64, Software)] = &[
    ("fosstodon.org", 6.0, Software::Mastodon),
    ("hachyderm.io", 5.0, Software::Mastodon),
    ("mstdn.jp", 5.0, Software::Mastodon),
    ("infosec.exchange", 4.0, Software::Mastodon),
    ("mas.to", 3.0, Software::Mastodon),
    ("mastodon.online", 4.0, Software::Mastodon),
    ("chaos.social", 3.0, Software::Mastodon),
    ("social.vivaldi.net", 2.0, Software::Mastodon),
    ("mstdn.social", 3.0, Software::Mastodon),
    ("troet.cafe", 2.0, Software::Mastodon),
    ("det.social", 2.0, Software::Mastodon),
    ("mastodon.art", 2.0, Software::Mastodon),
    ("sigmoid.social", 1.0, Software::Mastodon),
    ("techhub.social", 2.0, Software::Mastodon),
    ("fedibird.com", 2.0, Software::Mastodon),
    ("piaille.fr", 2.0, Software::Mastodon),
    ("mastodon.uno", 1.0, Software::Mastodon),
    ("misskey.io", 5.0, Software::Misskey),
    ("threads.net", 2.0, Software::Threads),
    ("bsky.brid.gy", 2.0, Software::Bridgy),
    ("lemmy.world", 1.0, Software::Lemmy),
    ("pixelfed.social", 1.0, Software::Pixelfed),
    ("kolektiva.social", 1.0, Software::Mastodon),
    ("tech.lgbt", 1.0, Software::Mastodon),
    ("social.tchncs.de", 2.0, Software::Mastodon),
    ("mastodon.gamedev.place", 1.0, Software::Mastodon),
];

/// Parts of usernames.
pub(crate) const NAME_PARTS: &[&str] = &[
    "alex", "sam", "kim", "jo", "mika", "yuki", "hana", "lena", "max", "noah", "emma", "lucas",
    "mia", "leo", "sofia", "ivan", "olga", "taro", "sakura", "wei", "min", "omar", "layla", "amir",
    "nora", "finn", "ines", "pablo", "chloe", "ren", "aiko", "dev", "code", "cat", "fox", "owl",
    "bird", "moon", "sun", "pixel", "byte", "rust", "null", "tea", "book", "retro", "synth",
    "photo", "green", "kuro", "neko", "tanuki", "wolf", "bear", "otter", "hedge", "maple", "river",
    "stone",
];

/// Profile field names.
pub(crate) const FIELD_NAMES: &[&str] = &[
    "Website",
    "Blog",
    "GitHub",
    "Pronouns",
    "Location",
    "Keyoxide",
    "Matrix",
    "Ko-fi",
    "Patreon",
    "ホームページ",
    "Sprachen",
    "Bluesky",
    "Portfolio",
];

/// Values of the `Pronouns` profile field.
pub(crate) const PRONOUNS: &[&str] = &["she/her", "he/him", "they/them", "any"];

/// Values of the `Location` profile field.
pub(crate) const LOCATIONS: &[&str] = &[
    "Berlin",
    "東京",
    "Montréal, QC",
    "São Paulo",
    "Kyiv 🇺🇦",
    "Somewhere on the internet",
];

/// Hosts of link-valued profile fields.
pub(crate) const FIELD_HOSTS: &[&str] = &[
    "example.com",
    "github.com",
    "keyoxide.org",
    "ko-fi.com",
    "blog.example.org",
    "matrix.to",
];

/// Lemmy communities (group actors).
pub(crate) const LEMMY_COMMUNITIES: &[&str] = &[
    "technology",
    "worldnews",
    "linux",
    "programming",
    "memes",
    "fediverse",
];

/// Content warnings.
pub(crate) const SPOILERS: &[&str] = &[
    "politics",
    "food",
    "mental health",
    "uspol",
    "long post",
    "eye contact",
    "Spoiler: Dune Part Two",
    "ネタバレ注意",
    "Nachrichten, Krieg",
    "lewd 🔞",
    "meta",
];

/// Author names on preview cards (often empty).
pub(crate) const CARD_AUTHORS: &[&str] = &["", "", "Jane Doe", "Kenji Watanabe", "Redaktion"];

/// One of the viewer's filters (a v2 Filter with the keyword that matches).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Filter {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) context: &'static [&'static str],
    pub(crate) expires_at: Option<&'static str>,
    pub(crate) action: &'static str,
    pub(crate) keyword: &'static str,
}

/// The viewer's filters.
pub(crate) const FILTERS: &[Filter] = &[
    Filter {
        id: "1204",
        title: "Spoilers",
        context: &["home", "public"],
        expires_at: None,
        action: "warn",
        keyword: "spoiler",
    },
    Filter {
        id: "1388",
        title: "Politics",
        context: &["home", "notifications", "public", "thread"],
        expires_at: None,
        action: "warn",
        keyword: "politics",
    },
    Filter {
        id: "1507",
        title: "Crypto",
        context: &["home", "public"],
        expires_at: Some("2025-12-31T23:00:00.000Z"),
        action: "hide",
        keyword: "crypto",
    },
    Filter {
        id: "1629",
        title: "Sports results",
        context: &["home"],
        expires_at: None,
        action: "blur",
        keyword: "score",
    },
];

/// Announcement reaction names: Unicode emoji and local custom emoji.
pub(crate) const REACTIONS: &[&str] = &[
    "🎉",
    "❤\u{fe0f}",
    "👍",
    "🐘",
    "bongoCat",
    "blobcatheart",
    "🙏",
];

/// Original media dimensions.
pub(crate) const MEDIA_SIZES: &[(u32, u32)] = &[
    (1920, 1080),
    (1080, 1350),
    (4032, 3024),
    (1200, 1600),
    (1280, 720),
    (2048, 1536),
    (800, 800),
    (3000, 2000),
];

/// Video frame rates.
pub(crate) const FRAME_RATES: &[(&str, u32)] =
    &[("30/1", 30), ("60/1", 60), ("30000/1001", 29), ("25/1", 25)];

/// blurhash's base-83 alphabet.
pub(crate) const B83: &str =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/// Lowercase letters and digits.
pub(crate) const ALNUM_LOWER: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
