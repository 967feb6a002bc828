//! Generators for statuses, notifications and the other events.

use mastostream_proto::Event;
use mastostream_proto::model::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::entities::*;

pub(crate) fn status(depth: u32) -> BoxedStrategy<Status> {
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

pub(crate) fn notification() -> impl Strategy<Value = Notification> {
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

pub(crate) fn others() -> impl Strategy<Value = Event> {
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
