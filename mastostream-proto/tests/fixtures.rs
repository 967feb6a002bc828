//! Every fixture under `tests/fixtures/events/<event name>/` decodes to its kind, yields the
//! same id through the fast path, and survives encode-then-decode; then field-level checks.

mod common;

use bytes::Bytes;
use common::{backends, fixture, fixtures};
use mastostream_proto::model::*;
use mastostream_proto::{Event, EventKind, Id, RawEvent};

fn decode(event: &str, path: &str) -> Event {
    let raw = RawEvent::new(Bytes::copy_from_slice(event.as_bytes()), fixture(path));
    let mut decoded = backends().into_iter().map(|b| raw.decode_with(b));
    let first = decoded.next().expect("a backend");
    for other in decoded {
        assert_eq!(other, first, "backends differ on {path}");
    }
    first
}

fn status(path: &str) -> Status {
    match decode("update", path) {
        Event::Update(status) => *status,
        other => panic!("{path}: {other:?}"),
    }
}

fn notification(file: &str) -> Notification {
    match decode("notification", &format!("events/notification/{file}")) {
        Event::Notification(n) => *n,
        other => panic!("{file}: {other:?}"),
    }
}

/// The id an event is about, from the decoded event.
fn decoded_id(event: &Event) -> Option<Id> {
    match event {
        Event::Update(s) | Event::StatusUpdate(s) => Some(s.id.clone()),
        Event::Notification(n) => Some(n.id.clone()),
        Event::Conversation(c) => Some(c.id.clone()),
        Event::Announcement(a) => Some(a.id.clone()),
        Event::AnnouncementReaction(r) => Some(r.announcement_id.clone()),
        Event::Delete(id) | Event::AnnouncementDelete(id) => Some(id.clone()),
        _ => None,
    }
}

#[test]
fn every_fixture_decodes_to_its_kind_with_consistent_id_and_round_trips() {
    let all = fixtures("events");
    assert!(all.len() >= 50, "only {} fixtures", all.len());
    for f in &all {
        let raw = RawEvent::new(Bytes::copy_from_slice(f.event.as_bytes()), f.data.clone());
        for backend in backends() {
            let event = raw.decode_with(backend);
            assert!(
                !event.is_malformed(),
                "{} ({backend:?}): {event:?}",
                f.label()
            );
            assert_eq!(
                event.kind(),
                EventKind::from_name(f.event.as_bytes()),
                "{}",
                f.label()
            );
            assert_eq!(raw.id(), decoded_id(&event), "fast id of {}", f.label());
            let encoded = event.encode().expect("decoded events encode");
            assert_eq!(encoded.name(), f.event, "{}", f.label());
            assert_eq!(
                encoded.decode_with(backend),
                event,
                "round trip of {}",
                f.label()
            );
        }
    }
}

#[test]
fn full_user_stream_status() {
    let s = status("events/update/user_stream_full.json");
    assert_eq!(s.id, "114612947961670441");
    assert_eq!(s.in_reply_to_id.as_ref().unwrap(), "114612947961670400");
    assert_eq!(
        s.in_reply_to_account_id.as_ref().unwrap(),
        "108123456789012345"
    );
    assert!(s.sensitive);
    assert_eq!(s.spoiler_text, "food");
    assert_eq!(s.visibility, Visibility::Public);
    assert_eq!(
        (s.favourited, s.reblogged, s.muted, s.bookmarked, s.pinned),
        (
            Some(false),
            Some(false),
            Some(false),
            Some(true),
            Some(false)
        )
    );
    assert_eq!(s.quotes_count, Some(1));
    assert!(s.content.contains("日本語もOK") && s.content.contains("👩🏽‍💻"));
    assert_eq!(s.application.as_ref().unwrap().name, "Tusky");
    assert_eq!(
        s.account.fields[0].verified_at.as_deref(),
        Some("2024-02-01T10:11:12.000+00:00")
    );
    assert_eq!(s.account.fields[1].verified_at, None);
    assert_eq!(s.account.emojis[0].shortcode, "blobcat");
    assert_eq!(s.account.noindex, Some(false));

    let kinds: Vec<MediaType> = s.media_attachments.iter().map(|m| m.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            MediaType::Image,
            MediaType::Video,
            MediaType::Gifv,
            MediaType::Audio
        ]
    );
    let image = s.media_attachments[0].meta.as_ref().unwrap();
    assert_eq!(image.focus, Some(Focus { x: -0.21, y: 0.18 }));
    assert_eq!(image.original.as_ref().unwrap().width, Some(1280));
    assert!(
        s.media_attachments[0]
            .description
            .as_ref()
            .unwrap()
            .contains('\n')
    );
    let video = s.media_attachments[1].meta.as_ref().unwrap();
    assert_eq!(video.fps, Some(60));
    assert_eq!(
        video.original.as_ref().unwrap().frame_rate.as_deref(),
        Some("60/1")
    );
    assert_eq!(video.original.as_ref().unwrap().bitrate, Some(6448139));
    assert_eq!(
        video.small.as_ref().unwrap().aspect,
        Some(1.5037593984962405)
    );
    assert_eq!(video.audio_channels.as_deref(), Some("stereo"));
    let audio = s.media_attachments[3].meta.as_ref().unwrap();
    assert_eq!(
        audio.colors.as_ref().unwrap().accent.as_deref(),
        Some("#b88659")
    );
    assert_eq!(audio.original.as_ref().unwrap().duration, Some(217.730612));

    assert_eq!(s.mentions[0].acct, "bob@remote.example");
    assert_eq!(
        s.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["rust", "sourdough"]
    );
    let card = s.card.as_ref().unwrap();
    assert_eq!(card.kind, CardType::Video);
    assert_eq!((card.width, card.height), (200, 113));
    assert_eq!(card.authors.len(), 2);
    assert_eq!(card.authors[1].account.as_ref().unwrap().acct, "ada");
    let poll = s.poll.as_ref().unwrap();
    assert_eq!(
        (poll.multiple, poll.votes_count, poll.voters_count),
        (true, 64, Some(47))
    );
    assert_eq!(poll.own_votes.as_deref(), Some(&[1, 3][..]));
    assert_eq!(poll.options[3].title, ":blobcat:");
    assert_eq!(s.filtered.len(), 2);
    assert_eq!(s.filtered[0].filter.filter_action, FilterAction::Warn);
    assert_eq!(
        s.filtered[0].keyword_matches.as_deref(),
        Some(&["finale".to_owned()][..])
    );
    assert_eq!(s.filtered[1].filter.filter_action, FilterAction::Blur);
    assert_eq!(s.filtered[1].filter.context.len(), 5);
    assert_eq!(s.filtered[1].keyword_matches, None);
    assert_eq!(
        s.filtered[1].status_matches.as_ref().unwrap()[0],
        "114612947961670441"
    );
    let approval = s.quote_approval.as_ref().unwrap();
    assert_eq!(approval.automatic, [QuoteAudience::Public]);
    assert_eq!(approval.current_user, QuoteUserPolicy::Automatic);
}

#[test]
fn public_stream_status_has_no_viewer_fields() {
    let s = status("events/update/public_stream.json");
    assert_eq!(
        (s.favourited, s.reblogged, s.muted, s.bookmarked, s.pinned),
        (None, None, None, None, None)
    );
    assert!(s.filtered.is_empty());
    assert_eq!(s.quote_approval, None);
    assert_eq!(s.account.noindex, None);
    assert!(s.account.roles.is_empty());
    // Encoding leaves the absent viewer fields absent, as the server does.
    let json =
        String::from_utf8(Event::Update(Box::new(s)).encode().unwrap().data().to_vec()).unwrap();
    assert!(
        !json.contains("favourited") && !json.contains("\"filtered\""),
        "{json}"
    );
}

#[test]
fn boosts_nest_the_original() {
    let s = status("events/update/reblog.json");
    let inner = s.reblog.as_deref().unwrap();
    assert_eq!(inner.id, "114612900000000001");
    assert_eq!(inner.account.acct, "bob@remote.example");
    assert_eq!(s.original().id, inner.id);
    assert_eq!(inner.original().id, inner.id);
    assert_eq!(inner.media_attachments.len(), 1);
}

#[test]
fn quotes_full_and_shallow() {
    let s = status("events/update/quote_nested.json");
    let quote = s.quote.as_ref().unwrap();
    assert_eq!(quote.state, QuoteState::Accepted);
    let quoted = quote.quoted_status.as_deref().unwrap();
    assert_eq!(quoted.id, "114612800000000001");
    assert_eq!(quote.quoted_id().unwrap(), "114612800000000001");
    let shallow = quoted.quote.as_ref().unwrap();
    assert_eq!(shallow.quoted_status, None);
    assert_eq!(
        shallow.quoted_status_id.as_ref().unwrap(),
        "114612700000000001"
    );
    assert_eq!(shallow.quoted_id().unwrap(), "114612700000000001");
    assert_eq!(quoted.account.discoverable, None, "null discoverable");

    let pending = status("events/update/quote_pending_shallow.json");
    let quote = pending.quote.as_ref().unwrap();
    assert_eq!(
        (quote.state.clone(), quote.quoted_id()),
        (QuoteState::Pending, None)
    );
    let deleted = status("events/update/quote_deleted.json");
    assert_eq!(deleted.quote.as_ref().unwrap().state, QuoteState::Deleted);
    let approval = deleted.quote_approval.as_ref().unwrap();
    assert_eq!(
        approval.manual,
        [QuoteAudience::Followers, QuoteAudience::UnsupportedPolicy]
    );
    assert_eq!(approval.current_user, QuoteUserPolicy::Denied);
}

#[test]
fn older_servers_omit_newer_fields() {
    let s = status("events/update/old_server_3_0.json");
    assert_eq!(s.visibility, Visibility::Unlisted);
    assert_eq!(
        (
            s.quotes_count,
            s.edited_at.as_ref(),
            s.quote.as_ref(),
            s.quote_approval.as_ref()
        ),
        (None, None, None, None)
    );
    assert!(s.filtered.is_empty());
    assert_eq!(s.account.uri, None);
    assert_eq!(s.account.discoverable, None);
    assert_eq!(s.account.indexable, None);
    assert_eq!(s.account.hide_collections, None);
    assert_eq!(s.application.as_ref().unwrap().website, None);
    let media = &s.media_attachments[0];
    assert_eq!(media.preview_remote_url, None);
    assert_eq!(
        media.text_url.as_deref(),
        Some("https://old.example/media/xyz")
    );
}

#[test]
fn unknown_enum_values_and_fields_are_kept_or_ignored() {
    let s = status("events/update/unknown_values.json");
    assert_eq!(s.visibility, Visibility::Other("local".into()));
    assert_eq!(
        s.media_attachments[0].kind,
        MediaType::Other("model3d".into())
    );
    // Odd numbers in media meta never cost the status.
    let original = s.media_attachments[0]
        .meta
        .as_ref()
        .unwrap()
        .original
        .as_ref()
        .unwrap();
    assert_eq!((original.width, original.height), (Some(1500), Some(720)));
    assert_eq!(
        s.card.as_ref().unwrap().kind,
        CardType::Other("audio_embed".into())
    );
    assert_eq!(
        s.quote.as_ref().unwrap().state,
        QuoteState::Other("needs_review".into())
    );
    let approval = s.quote_approval.as_ref().unwrap();
    assert_eq!(approval.automatic, [QuoteAudience::Other("mutuals".into())]);
    assert_eq!(
        approval.current_user,
        QuoteUserPolicy::Other("maybe".into())
    );
    let filter = &s.filtered[0].filter;
    assert_eq!(filter.context, [FilterContext::Other("profile_tab".into())]);
    assert_eq!(filter.filter_action, FilterAction::Other("shrug".into()));
    assert_eq!(s.account.roles[0].name, "Owner");
    assert_eq!(
        (s.account.memorial, s.account.limited, s.account.suspended),
        (Some(false), Some(false), Some(false))
    );
    // Unknown values are written back unchanged.
    let json =
        String::from_utf8(Event::Update(Box::new(s)).encode().unwrap().data().to_vec()).unwrap();
    for value in [
        "\"local\"",
        "\"model3d\"",
        "\"audio_embed\"",
        "\"needs_review\"",
        "\"mutuals\"",
        "\"shrug\"",
    ] {
        assert!(json.contains(value), "{value} missing");
    }
}

#[test]
fn ascii_escaped_json_and_line_separators() {
    let s = status("events/update/ascii_escaped.json");
    assert!(s.content.contains('\u{2028}'));
    assert!(
        s.content
            .contains("ünïcödé, 😀 and <b>&</b> \"quotes\" \\ back\\slash")
    );
    assert_eq!(s.spoiler_text, "\u{2029}");
    assert_eq!(s.tags[0].name, "café");
    assert!(s.account.bot);
}

#[test]
fn moved_accounts_and_nulls_for_defaults() {
    let s = status("events/update/moved_account.json");
    let moved = s.account.moved.as_deref().unwrap();
    assert_eq!(moved.acct, "bob@remote.example");
    assert_eq!(moved.moved, None);
    assert_eq!(s.account.noindex, Some(true));
    assert_eq!(s.account.roles[0].id, "-99");

    let s = status("events/update/nulls_for_defaults.json");
    assert!(
        s.media_attachments.is_empty()
            && s.mentions.is_empty()
            && s.tags.is_empty()
            && s.emojis.is_empty()
    );
    assert_eq!(
        (s.replies_count, s.sensitive, s.spoiler_text.as_str()),
        (0, false, "")
    );
    assert!(s.account.fields.is_empty() && s.account.emojis.is_empty());
    assert_eq!((s.account.locked, s.account.followers_count), (false, 0));
}

#[test]
fn ids_where_the_fast_path_does_not_apply() {
    let raw = RawEvent::new(
        Bytes::from_static(b"update"),
        fixture("events/update/id_not_first.json"),
    );
    assert_eq!(raw.id().unwrap(), "114612947961670441");
    let raw = RawEvent::new(
        Bytes::from_static(b"update"),
        fixture("events/update/whitespace_around_id.json"),
    );
    assert_eq!(raw.id().unwrap(), "42");
}

#[test]
fn edited_status() {
    match decode(
        "status.update",
        "events/status.update/edited_with_poll.json",
    ) {
        Event::StatusUpdate(s) => {
            assert_eq!(s.edited_at.as_deref(), Some("2025-09-14T09:00:00.000Z"));
            let poll = s.poll.as_ref().unwrap();
            assert_eq!((poll.voters_count, poll.voted), (None, Some(false)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_notification_type() {
    use NotificationType as T;
    let with_status = [
        ("mention", T::Mention),
        ("status", T::Status),
        ("reblog", T::Reblog),
        ("favourite", T::Favourite),
        ("poll", T::Poll),
        ("update", T::Update),
        ("quote", T::Quote),
        ("quoted_update", T::QuotedUpdate),
    ];
    for (file, kind) in with_status {
        let n = notification(&format!("{file}.json"));
        assert_eq!(n.kind, kind);
        assert_eq!(n.kind.as_str(), file);
        assert_eq!(n.status.as_ref().unwrap().id, "114612947961670441");
        assert_eq!(
            n.group_key.as_deref(),
            Some(format!("ungrouped-{}", n.id).as_str())
        );
        assert_eq!(n.account.acct, "bob@remote.example");
    }
    let n = notification("follow.json");
    assert_eq!(
        (n.kind, n.status, n.group_key.as_deref()),
        (T::Follow, None, Some("follow-550622610"))
    );
    assert_eq!(notification("follow_request.json").kind, T::FollowRequest);
    assert_eq!(notification("admin.sign_up.json").kind, T::AdminSignUp);

    let n = notification("admin.report.json");
    assert_eq!(n.kind, T::AdminReport);
    let report = n.report.unwrap();
    assert_eq!(
        (report.category, report.forwarded, report.rule_ids),
        (ReportCategory::Spam, true, None)
    );
    assert_eq!(report.status_ids.unwrap()[0], "114612947961670441");
    assert_eq!(report.target_account.acct, "bob@remote.example");

    let n = notification("severed_relationships.json");
    assert_eq!(n.kind, T::SeveredRelationships);
    let event = n.event.unwrap();
    assert_eq!(
        (
            event.kind,
            event.target_name.as_str(),
            event.followers_count
        ),
        (SeveranceType::DomainBlock, "bad.example", 12)
    );

    let n = notification("moderation_warning.json");
    assert_eq!(n.kind, T::ModerationWarning);
    let warning = n.moderation_warning.unwrap();
    assert_eq!(
        warning.action,
        AccountWarningAction::MarkStatusesAsSensitive
    );
    assert_eq!(warning.appeal.unwrap().state, AppealState::Pending);

    let n = notification("annual_report.json");
    assert_eq!(
        (n.kind, n.annual_report.unwrap().year.as_str()),
        (T::AnnualReport, "2025")
    );

    let n = notification("unknown_type.json");
    assert_eq!(n.kind, T::Other("reaction".into()));
    assert_eq!(n.filtered, Some(false));
    assert!(n.status.is_some());

    let n = notification("old_server_no_group_key.json");
    assert_eq!((n.kind, n.group_key), (T::Mention, None));
}

#[test]
fn conversations() {
    match decode("conversation", "events/conversation/unread.json") {
        Event::Conversation(c) => {
            assert!(c.unread);
            assert_eq!(c.accounts.len(), 2);
            let last = c.last_status.as_ref().unwrap();
            assert_eq!(last.visibility, Visibility::Direct);
        }
        other => panic!("{other:?}"),
    }
    match decode("conversation", "events/conversation/no_last_status.json") {
        Event::Conversation(c) => assert!(c.last_status.is_none() && c.accounts.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn announcements_and_reactions() {
    match decode("announcement", "events/announcement/with_reactions.json") {
        Event::Announcement(a) => {
            assert_eq!(a.id, "42");
            assert_eq!(a.read, Some(false));
            assert_eq!(a.mentions[0].acct, "ada");
            assert_eq!(a.statuses[0].id, "114612947961670441");
            assert_eq!(a.tags[0].name, "maintenance");
            assert_eq!(a.emojis[0].shortcode, "blobcat");
            assert_eq!(
                a.reactions[0],
                Reaction {
                    name: "🚀".into(),
                    count: 6,
                    me: Some(false),
                    url: None,
                    static_url: None
                }
            );
            assert_eq!(
                a.reactions[1].url.as_deref(),
                Some("https://social.example/emoji/blobcat.png")
            );
        }
        other => panic!("{other:?}"),
    }
    match decode(
        "announcement",
        "events/announcement/all_day_old_server.json",
    ) {
        Event::Announcement(a) => {
            assert!(a.all_day);
            assert_eq!((a.read, a.published), (None, None));
            assert!(a.statuses.is_empty());
        }
        other => panic!("{other:?}"),
    }
    match decode(
        "announcement.reaction",
        "events/announcement.reaction/custom_emoji.json",
    ) {
        Event::AnnouncementReaction(r) => {
            assert_eq!(
                (r.name.as_str(), r.count, r.announcement_id.as_str()),
                ("blobcat", 3, "42")
            );
            assert_eq!(
                r.static_url.as_deref(),
                Some("https://social.example/emoji/blobcat_static.png")
            );
        }
        other => panic!("{other:?}"),
    }
    match decode(
        "announcement.reaction",
        "events/announcement.reaction/unicode.json",
    ) {
        Event::AnnouncementReaction(r) => assert_eq!((r.name.as_str(), r.url), ("🎉", None)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bare_ids_signals_and_unknown_events() {
    let id = |file: &str| decode("delete", &format!("events/delete/{file}"));
    for file in ["bare.txt", "quoted.txt", "whitespace.txt"] {
        assert_eq!(
            id(file),
            Event::Delete("110988741790818968".into()),
            "{file}"
        );
    }
    assert_eq!(
        id("ulid.txt"),
        Event::Delete("01ARZ3NDEKTSV4RRFFQ69G5FAV".into())
    );
    assert_eq!(
        id("beyond_u64.txt"),
        Event::Delete("340282366920938463463374607431768211456".into())
    );
    assert_eq!(
        decode("announcement.delete", "events/announcement.delete/bare.txt"),
        Event::AnnouncementDelete("42".into())
    );
    assert_eq!(
        decode(
            "notifications_merged",
            "events/notifications_merged/one.txt"
        ),
        Event::NotificationsMerged
    );
    assert_eq!(
        decode("filters_changed", "events/filters_changed/undefined.txt"),
        Event::FiltersChanged
    );
    assert_eq!(
        decode("filters_changed", "events/filters_changed/empty.txt"),
        Event::FiltersChanged
    );
    let legacy = fixture("events/encrypted_message/legacy.json");
    assert_eq!(
        decode("encrypted_message", "events/encrypted_message/legacy.json"),
        Event::EncryptedMessage(legacy)
    );
    assert_eq!(
        decode(
            "status.translated",
            "events/status.translated/unknown_dotted.json"
        ),
        Event::Unknown {
            name: "status.translated".into(),
            data: Bytes::from_static(b"{\"id\":\"1\"}")
        }
    );
    assert_eq!(
        decode("message", "events/message/no_event_field.txt"),
        Event::Unknown {
            name: "message".into(),
            data: Bytes::from_static(b"hello")
        }
    );
}
