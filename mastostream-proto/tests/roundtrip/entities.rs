//! Generators for entities: strings, ids, floats, enum values, accounts, media, cards,
//! polls, filters.

use mastostream_proto::model::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-zA-Z0-9 .:/@#_-]{0,24}", 1 => any::<String>(), 1 => "[\"\\\\\u{2028}\u{2029}\u{0}-\u{1f}é😀]{0,8}"]
}

pub(crate) fn id() -> impl Strategy<Value = mastostream_proto::Id> {
    prop_oneof!["[1-9][0-9]{0,18}", "[0-9A-HJKMNP-TV-Z]{26}", "[0-9]{20,40}"]
        .prop_map(mastostream_proto::Id::from)
}

pub(crate) fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1.0f64..1.0,
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL
    ]
}

/// A known wire value or a random one; `From<String>` makes known spellings variants, so
/// the generated value is always what decoding would produce.
pub(crate) fn wire<T: From<String> + std::fmt::Debug>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T> {
    prop_oneof![3 => proptest::sample::select(known).prop_map(String::from), 1 => "[a-z_.]{1,12}"]
        .prop_map(T::from)
}

pub(crate) fn emoji() -> impl Strategy<Value = CustomEmoji> {
    ("[a-z_]{1,12}", text(), text(), any::<bool>(), of(text())).prop_map(
        |(shortcode, url, static_url, visible_in_picker, category)| CustomEmoji {
            shortcode,
            url,
            static_url,
            visible_in_picker,
            category,
        },
    )
}

pub(crate) fn account(depth: u32) -> BoxedStrategy<Account> {
    let moved = if depth == 0 {
        Just(None).boxed()
    } else {
        of(account(depth - 1).prop_map(Box::new)).boxed()
    };
    let names = (
        id(),
        "[a-z0-9_]{1,12}",
        text(),
        text(),
        of(text()),
        text(),
        text(),
        text(),
        of(text()),
    );
    let images = (text(), text(), of(text()), text());
    let flags = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
    );
    let counts = (
        text(),
        of(text()),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
    );
    let lists = (
        vec(
            (text(), text(), of(text())).prop_map(|(name, value, verified_at)| Field {
                name,
                value,
                verified_at,
            }),
            0..3,
        ),
        vec(emoji(), 0..2),
        vec(
            (id(), text(), text()).prop_map(|(id, name, color)| AccountRole { id, name, color }),
            0..2,
        ),
    );
    (names, images, flags, counts, lists, moved)
        .prop_map(|(n, i, f, c, l, moved)| Account {
            id: n.0,
            username: n.1,
            acct: n.2,
            url: n.3,
            uri: n.4,
            display_name: n.5,
            note: n.6,
            avatar: n.7,
            avatar_description: n.8,
            avatar_static: i.0,
            header: i.1,
            header_description: i.2,
            header_static: i.3,
            locked: f.0,
            bot: f.1,
            group: f.2,
            discoverable: f.3,
            indexable: f.4,
            noindex: f.5,
            suspended: f.6,
            limited: f.7,
            memorial: f.8,
            created_at: c.0,
            last_status_at: c.1,
            statuses_count: c.2,
            followers_count: c.3,
            following_count: c.4,
            hide_collections: c.5,
            show_media: c.6,
            show_media_replies: c.7,
            show_featured: c.8,
            fields: l.0,
            emojis: l.1,
            roles: l.2,
            moved,
        })
        .boxed()
}

pub(crate) fn meta_info() -> impl Strategy<Value = MediaMetaInfo> {
    (
        of(any::<u32>()),
        of(any::<u32>()),
        of(text()),
        of(float()),
        of(text()),
        of(float()),
        of(any::<u64>()),
    )
        .prop_map(
            |(width, height, size, aspect, frame_rate, duration, bitrate)| MediaMetaInfo {
                width,
                height,
                size,
                aspect,
                frame_rate,
                duration,
                bitrate,
            },
        )
}

pub(crate) fn media() -> impl Strategy<Value = MediaAttachment> {
    let meta =
        (
            of(meta_info()),
            of(meta_info()),
            of((float(), float()).prop_map(|(x, y)| Focus { x, y })),
            of((of(text()), of(text()), of(text())).prop_map(
                |(background, foreground, accent)| MediaColors {
                    background,
                    foreground,
                    accent,
                },
            )),
            (
                of(text()),
                of(float()),
                of(any::<u32>()),
                of(text()),
                of(any::<u32>()),
                of(any::<u32>()),
                of(float()),
            ),
            (of(text()), of(text()), of(text())),
        )
            .prop_map(|(original, small, focus, colors, a, b)| MediaMeta {
                original,
                small,
                focus,
                colors,
                length: a.0,
                duration: a.1,
                fps: a.2,
                size: a.3,
                width: a.4,
                height: a.5,
                aspect: a.6,
                audio_encode: b.0,
                audio_bitrate: b.1,
                audio_channels: b.2,
            });
    (
        id(),
        wire(&["image", "gifv", "video", "audio", "unknown"]),
        of(text()),
        of(text()),
        of(text()),
        of(text()),
        of(text()),
        of(meta),
        of(text()),
        of(text()),
    )
        .prop_map(
            |(
                id,
                kind,
                url,
                preview_url,
                remote_url,
                preview_remote_url,
                text_url,
                meta,
                description,
                blurhash,
            )| MediaAttachment {
                id,
                kind,
                url,
                preview_url,
                remote_url,
                preview_remote_url,
                text_url,
                meta,
                description,
                blurhash,
            },
        )
}

pub(crate) fn card() -> impl Strategy<Value = PreviewCard> {
    let a = (
        text(),
        text(),
        text(),
        wire(&["link", "photo", "video", "rich"]),
        text(),
        text(),
        text(),
        text(),
        text(),
    );
    let b = (
        any::<u32>(),
        any::<u32>(),
        of(text()),
        of(text()),
        text(),
        of(text()),
        of(text()),
        of(text()),
    );
    let authors = vec(
        (text(), text(), of(account(0).prop_map(Box::new)))
            .prop_map(|(name, url, account)| PreviewCardAuthor { name, url, account }),
        0..2,
    );
    (a, b, authors).prop_map(|(a, b, authors)| PreviewCard {
        url: a.0,
        title: a.1,
        description: a.2,
        kind: a.3,
        author_name: a.4,
        author_url: a.5,
        provider_name: a.6,
        provider_url: a.7,
        html: a.8,
        width: b.0,
        height: b.1,
        image: b.2,
        image_description: b.3,
        embed_url: b.4,
        blurhash: b.5,
        language: b.6,
        published_at: b.7,
        authors,
    })
}

pub(crate) fn poll() -> impl Strategy<Value = Poll> {
    let options = vec(
        (text(), of(any::<i64>()))
            .prop_map(|(title, votes_count)| PollOption { title, votes_count }),
        0..4,
    );
    (
        id(),
        of(text()),
        any::<bool>(),
        any::<bool>(),
        any::<i64>(),
        of(any::<i64>()),
        options,
        vec(emoji(), 0..2),
        of(any::<bool>()),
        of(vec(any::<u32>(), 0..3)),
    )
        .prop_map(
            |(
                id,
                expires_at,
                expired,
                multiple,
                votes_count,
                voters_count,
                options,
                emojis,
                voted,
                own_votes,
            )| Poll {
                id,
                expires_at,
                expired,
                multiple,
                votes_count,
                voters_count,
                options,
                emojis,
                voted,
                own_votes,
            },
        )
}

pub(crate) fn filter_result() -> impl Strategy<Value = FilterResult> {
    let filter = (
        id(),
        text(),
        vec(
            wire(&["home", "notifications", "public", "thread", "account"]),
            0..3,
        ),
        of(text()),
        wire(&["warn", "hide", "blur"]),
        of(vec(
            (id(), text(), any::<bool>()).prop_map(|(id, keyword, whole_word)| FilterKeyword {
                id,
                keyword,
                whole_word,
            }),
            0..2,
        )),
        of(vec(
            (id(), id()).prop_map(|(id, status_id)| FilterStatus { id, status_id }),
            0..2,
        )),
    )
        .prop_map(
            |(id, title, context, expires_at, filter_action, keywords, statuses)| Filter {
                id,
                title,
                context,
                expires_at,
                filter_action,
                keywords,
                statuses,
            },
        );
    (filter, of(vec(text(), 0..2)), of(vec(id(), 0..2))).prop_map(
        |(filter, keyword_matches, status_matches)| FilterResult {
            filter,
            keyword_matches,
            status_matches,
        },
    )
}

pub(crate) const AUDIENCE: &[&str] = &["public", "followers", "following", "unsupported_policy"];
