//! proptest: encoding a generated event and decoding it again gives the same event, with
//! every backend. The generators cover every entity field, `None` and `Some`, unknown enum
//! values, arbitrary Unicode (quotes, backslashes, control characters, U+2028), nested
//! boosts, quotes and moved accounts.

mod common;

use common::backends;
use mastostream_proto::Event;
use mastostream_proto::model::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-zA-Z0-9 .:/@#_-]{0,24}", 1 => any::<String>(), 1 => "[\"\\\\\u{2028}\u{2029}\u{0}-\u{1f}é😀]{0,8}"]
}

fn id() -> impl Strategy<Value = mastostream_proto::Id> {
    prop_oneof!["[1-9][0-9]{0,18}", "[0-9A-HJKMNP-TV-Z]{26}", "[0-9]{20,40}"]
        .prop_map(mastostream_proto::Id::from)
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1.0f64..1.0,
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL
    ]
}

/// A known wire value or a random one; `From<String>` makes known spellings variants, so
/// the generated value is always what decoding would produce.
fn wire<T: From<String> + std::fmt::Debug>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T> {
    prop_oneof![3 => proptest::sample::select(known).prop_map(String::from), 1 => "[a-z_.]{1,12}"]
        .prop_map(T::from)
}

fn emoji() -> impl Strategy<Value = CustomEmoji> {
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

fn account(depth: u32) -> BoxedStrategy<Account> {
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

fn meta_info() -> impl Strategy<Value = MediaMetaInfo> {
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

fn media() -> impl Strategy<Value = MediaAttachment> {
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

fn card() -> impl Strategy<Value = PreviewCard> {
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

fn poll() -> impl Strategy<Value = Poll> {
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

fn filter_result() -> impl Strategy<Value = FilterResult> {
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

const AUDIENCE: &[&str] = &["public", "followers", "following", "unsupported_policy"];

fn status(depth: u32) -> BoxedStrategy<Status> {
    let nested = |depth: u32| {
        if depth == 0 {
            Just(None).boxed()
        } else {
            of(status(depth - 1).prop_map(Box::new)).boxed()
        }
    };
    let quote = of((
        wire(&[
            "pending",
            "accepted",
            "rejected",
            "revoked",
            "deleted",
            "unauthorized",
            "blocked_account",
            "blocked_domain",
            "muted_account",
        ]),
        nested(depth),
        of(id()),
    )
        .prop_map(|(state, quoted_status, quoted_status_id)| Quote {
            state,
            quoted_status,
            quoted_status_id,
        }));
    let head = (
        id(),
        text(),
        of(id()),
        of(id()),
        any::<bool>(),
        text(),
        wire(&["public", "unlisted", "private", "direct"]),
        of(text()),
        text(),
        of(text()),
    );
    let counts = (
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        of(any::<i64>()),
        of(text()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
    );
    let body = (
        text(),
        of(text()),
        vec(filter_result(), 0..2),
        of((text(), of(text())).prop_map(|(name, website)| Application { name, website })),
        account(1),
    );
    let lists = (
        vec(media(), 0..3),
        vec(
            (id(), text(), text(), text()).prop_map(|(id, username, url, acct)| Mention {
                id,
                username,
                url,
                acct,
            }),
            0..2,
        ),
        vec(
            (
                of(id()),
                text(),
                text(),
                of(vec(
                    (text(), text(), text()).prop_map(|(day, uses, accounts)| TagHistory {
                        day,
                        uses,
                        accounts,
                    }),
                    0..2,
                )),
                of(any::<bool>()),
                of(any::<bool>()),
            )
                .prop_map(|(id, name, url, history, following, featuring)| Tag {
                    id,
                    name,
                    url,
                    history,
                    following,
                    featuring,
                }),
            0..2,
        ),
        vec(emoji(), 0..2),
    );
    let tail = (
        nested(depth),
        quote,
        of(card()),
        of(poll()),
        of((
            vec(wire(AUDIENCE), 0..3),
            vec(wire(AUDIENCE), 0..2),
            wire(&["automatic", "manual", "denied", "unknown"]),
        )
            .prop_map(|(automatic, manual, current_user)| QuoteApproval {
                automatic,
                manual,
                current_user,
            })),
    );
    (head, counts, body, lists, tail)
        .prop_map(|(h, c, b, l, t)| Status {
            id: h.0,
            created_at: h.1,
            in_reply_to_id: h.2,
            in_reply_to_account_id: h.3,
            sensitive: h.4,
            spoiler_text: h.5,
            visibility: h.6,
            language: h.7,
            uri: h.8,
            url: h.9,
            replies_count: c.0,
            reblogs_count: c.1,
            favourites_count: c.2,
            quotes_count: c.3,
            edited_at: c.4,
            favourited: c.5,
            reblogged: c.6,
            muted: c.7,
            bookmarked: c.8,
            pinned: c.9,
            content: b.0,
            text: b.1,
            filtered: b.2,
            application: b.3,
            account: b.4,
            media_attachments: l.0,
            mentions: l.1,
            tags: l.2,
            emojis: l.3,
            reblog: t.0,
            quote: t.1,
            card: t.2,
            poll: t.3,
            quote_approval: t.4,
        })
        .boxed()
}

fn notification() -> impl Strategy<Value = Notification> {
    let kinds: &'static [&'static str] = &[
        "mention",
        "status",
        "reblog",
        "follow",
        "follow_request",
        "favourite",
        "poll",
        "update",
        "admin.sign_up",
        "admin.report",
        "severed_relationships",
        "moderation_warning",
        "annual_report",
        "quote",
        "quoted_update",
    ];
    let report = (
        id(),
        any::<bool>(),
        of(text()),
        wire(&["spam", "violation", "legal", "other"]),
        text(),
        any::<bool>(),
        text(),
        of(vec(id(), 0..2)),
        of(vec(id(), 0..2)),
        account(0),
    )
        .prop_map(|r| Report {
            id: r.0,
            action_taken: r.1,
            action_taken_at: r.2,
            category: r.3,
            comment: r.4,
            forwarded: r.5,
            created_at: r.6,
            status_ids: r.7,
            rule_ids: r.8,
            target_account: Box::new(r.9),
        });
    let event = (
        id(),
        wire(&["domain_block", "user_domain_block", "account_suspension"]),
        any::<bool>(),
        text(),
        any::<i64>(),
        any::<i64>(),
        text(),
    )
        .prop_map(|e| RelationshipSeveranceEvent {
            id: e.0,
            kind: e.1,
            purged: e.2,
            target_name: e.3,
            followers_count: e.4,
            following_count: e.5,
            created_at: e.6,
        });
    let warning = (
        id(),
        wire(&[
            "none",
            "disable",
            "mark_statuses_as_sensitive",
            "delete_statuses",
            "sensitive",
            "silence",
            "suspend",
        ]),
        text(),
        of(vec(id(), 0..2)),
        account(0),
        of((text(), wire(&["approved", "rejected", "pending"]))
            .prop_map(|(text, state)| Appeal { text, state })),
        text(),
    )
        .prop_map(|w| AccountWarning {
            id: w.0,
            action: w.1,
            text: w.2,
            status_ids: w.3,
            target_account: Box::new(w.4),
            appeal: w.5,
            created_at: w.6,
        });
    let head = (
        id(),
        wire(kinds),
        text(),
        of(text()),
        of(any::<bool>()),
        account(1),
    );
    let payloads = (
        of(status(1).prop_map(Box::new)),
        of(report),
        of(event),
        of(warning),
        of("[0-9]{4}".prop_map(|year| AnnualReportEvent { year })),
    );
    (head, payloads).prop_map(|(h, p)| Notification {
        id: h.0,
        kind: h.1,
        created_at: h.2,
        group_key: h.3,
        filtered: h.4,
        account: h.5,
        status: p.0,
        report: p.1,
        event: p.2,
        moderation_warning: p.3,
        annual_report: p.4,
    })
}

fn others() -> impl Strategy<Value = Event> {
    let reaction = (
        text(),
        any::<i64>(),
        of(any::<bool>()),
        of(text()),
        of(text()),
    )
        .prop_map(|(name, count, me, url, static_url)| Reaction {
            name,
            count,
            me,
            url,
            static_url,
        });
    let announcement = (
        (
            id(),
            text(),
            of(text()),
            of(text()),
            of(any::<bool>()),
            any::<bool>(),
            text(),
            text(),
            of(any::<bool>()),
        ),
        vec(
            (id(), text(), text(), text()).prop_map(|(id, username, url, acct)| {
                AnnouncementAccount {
                    id,
                    username,
                    url,
                    acct,
                }
            }),
            0..2,
        ),
        vec(
            (id(), text()).prop_map(|(id, url)| AnnouncementStatus { id, url }),
            0..2,
        ),
        vec(
            (text(), text()).prop_map(|(name, url)| Tag {
                id: None,
                name,
                url,
                history: None,
                following: None,
                featuring: None,
            }),
            0..2,
        ),
        vec(emoji(), 0..2),
        vec(reaction, 0..3),
    )
        .prop_map(|(a, mentions, statuses, tags, emojis, reactions)| {
            Event::Announcement(Box::new(Announcement {
                id: a.0,
                content: a.1,
                starts_at: a.2,
                ends_at: a.3,
                published: a.4,
                all_day: a.5,
                published_at: a.6,
                updated_at: a.7,
                read: a.8,
                mentions,
                statuses,
                tags,
                emojis,
                reactions,
            }))
        });
    let conversation = (
        id(),
        any::<bool>(),
        vec(account(0), 0..3),
        of(status(0).prop_map(Box::new)),
    )
        .prop_map(|(id, unread, accounts, last_status)| {
            Event::Conversation(Box::new(Conversation {
                id,
                unread,
                accounts,
                last_status,
            }))
        });
    let reaction_event = (text(), any::<i64>(), id(), of(text()), of(text())).prop_map(
        |(name, count, announcement_id, url, static_url)| {
            Event::AnnouncementReaction(AnnouncementReaction {
                name,
                count,
                announcement_id,
                url,
                static_url,
            })
        },
    );
    prop_oneof![
        announcement,
        conversation,
        reaction_event,
        id().prop_map(Event::Delete),
        id().prop_map(Event::AnnouncementDelete),
        Just(Event::NotificationsMerged),
        Just(Event::FiltersChanged),
        vec(any::<u8>(), 0..64).prop_map(|b| Event::EncryptedMessage(b.into())),
        ("[a-z]{1,8}(\\.[a-z]{1,8})?", vec(any::<u8>(), 0..32)).prop_filter_map(
            "known name",
            |(name, data)| {
                (mastostream_proto::EventKind::from_name(name.as_bytes())
                    == mastostream_proto::EventKind::Unknown)
                    .then(|| Event::Unknown {
                        name,
                        data: data.into(),
                    })
            }
        ),
    ]
}

fn assert_round_trip(event: &Event) {
    let raw = event.encode().expect("encodable");
    assert_eq!(
        raw.name(),
        event.kind().as_str().replace("unknown", &raw.name())
    );
    for backend in backends() {
        assert_eq!(&raw.decode_with(backend), event, "{backend:?}");
    }
}

/// Runs a property on a thread with a large stack: the generators' value trees for a whole
/// status are big, and debug builds keep them on the stack.
fn check<S, F>(make: fn() -> S, test: F)
where
    S: Strategy + 'static,
    F: Fn(S::Value) + Send + 'static,
{
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let config = ProptestConfig {
                cases: 96,
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            let result = runner.run(&make(), |value| {
                test(value);
                Ok(())
            });
            if let Err(e) = result {
                panic!("{e}");
            }
        })
        .expect("spawn")
        .join()
        .expect("property holds");
}

#[test]
fn statuses_round_trip() {
    check(
        || (status(2), any::<bool>()),
        |(status, edited)| {
            let status = Box::new(status);
            assert_round_trip(&if edited {
                Event::StatusUpdate(status)
            } else {
                Event::Update(status)
            });
        },
    );
}

#[test]
fn notifications_round_trip() {
    check(notification, |n| {
        assert_round_trip(&Event::Notification(Box::new(n)))
    });
}

#[test]
fn other_events_round_trip() {
    check(others, |event| assert_round_trip(&event));
}
