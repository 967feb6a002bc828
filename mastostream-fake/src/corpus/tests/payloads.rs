//! Payload tests: valid JSON, ids, shapes, sizes, escaping, agreement with [`Generator`].

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::super::*;
use super::{all_kinds_mix, cfg, stream_events};

#[test]
fn every_payload_is_valid() {
    let c = CorpusConfig {
        mix: all_kinds_mix(),
        escape_ratio: 0.3,
        ..cfg(3000, 3)
    };
    let mut seen = BTreeSet::new();
    for e in stream_events(&c) {
        seen.insert(e.kind);
        assert!(
            !e.payload.contains(['\n', '\r']),
            "raw newline in {}",
            e.name()
        );
        match e.kind {
            EventKind::Delete | EventKind::AnnouncementDelete => {
                assert!(
                    e.payload.bytes().all(|b| b.is_ascii_digit()),
                    "{}",
                    e.payload
                );
                assert_eq!(e.payload.parse::<u64>().ok(), e.id);
            }
            EventKind::FiltersChanged => assert_eq!(e.payload, "undefined"),
            EventKind::NotificationsMerged => assert_eq!(e.payload, "1"),
            _ => {
                let v: Value = serde_json::from_str(&e.payload)
                    .unwrap_or_else(|err| panic!("{}: {err}: {}", e.name(), e.payload));
                assert!(v.is_object());
                if e.kind == EventKind::AnnouncementReaction {
                    assert!(e.payload.starts_with("{\"name\":"));
                    let id = e.id.map(|i| i.to_string());
                    assert_eq!(v["announcement_id"].as_str(), id.as_deref());
                    assert!(v["count"].is_u64());
                } else {
                    // Mastodon's serializers put the id first.
                    let id = e.id.expect("id");
                    assert!(
                        e.payload.starts_with(&format!("{{\"id\":\"{id}\",")),
                        "{}",
                        e.payload
                    );
                }
            }
        }
    }
    assert_eq!(seen.len(), EventKind::ALL.len(), "{seen:?}");
}

#[test]
fn ids_increase_and_look_like_mastodon_ids() {
    let evs = stream_events(&cfg(5000, 8));
    let mut last: HashMap<EventKind, u64> = HashMap::new();
    let mut updates = BTreeSet::new();
    let (mut deletes, mut deleted_known) = (0, 0);
    for e in &evs {
        let id = e.id.unwrap_or_default();
        if matches!(
            e.kind,
            EventKind::Update
                | EventKind::Notification
                | EventKind::Conversation
                | EventKind::Announcement
        ) {
            let prev = last.insert(e.kind, id).unwrap_or(0);
            assert!(
                id > prev,
                "{} ids must increase: {prev} then {id}",
                e.name()
            );
        }
        match e.kind {
            EventKind::Update => {
                assert!(id > 1 << 53, "snowflake ids exceed 2^53");
                assert!(snowflake_time_ms(id).abs_diff(e.at_ms) < 1000);
                updates.insert(id);
            }
            EventKind::Delete => {
                deletes += 1;
                assert!(id > 1 << 53);
                deleted_known += usize::from(updates.remove(&id));
            }
            _ => {}
        }
    }
    assert!(deletes > 300, "{deletes}");
    // Most deletes are of statuses the stream delivered (and each only once).
    assert!(
        deleted_known * 10 > deletes * 6,
        "{deleted_known} of {deletes}"
    );
}

#[test]
fn generator_agrees_with_the_stream() {
    let c = CorpusConfig {
        escape_ratio: 0.0,
        ..cfg(800, 11)
    };
    let fresh = Generator::new(11);
    let mut checked = 0;
    for item in events(&c) {
        let GeneratedEvent::Event(e) = item else {
            continue;
        };
        let id = e.id.unwrap_or_default();
        let expected = match e.kind {
            EventKind::Update => fresh.status_json(id),
            EventKind::Notification => fresh.notification_json(id, e.at_ms),
            EventKind::Conversation => fresh.conversation_json(id, e.at_ms),
            EventKind::Announcement => fresh.announcement_json(id, e.at_ms),
            _ => continue,
        };
        assert_eq!(e.payload, expected);
        checked += 1;
    }
    assert!(checked > 600, "{checked}");
    // An edit is the same post with `edited_at` set.
    let g = Generator::new(11);
    let id = (0..100u64)
        .map(|i| snowflake(START_MS - 3_600_000, i))
        .find(|&id| !g.status_json(id).contains("\"content\":\"\""))
        .expect("a non-reblog");
    let edited: Value = serde_json::from_str(&g.edited_status_json(id, START_MS)).expect("json");
    let original: Value = serde_json::from_str(&g.status_json(id)).expect("json");
    assert_eq!(edited["content"], original["content"]);
    assert_eq!(edited["account"], original["account"]);
    assert_eq!(edited["edited_at"], "2025-06-02T09:00:00.000Z");
    // The viewer is a local account; viewer fields can be switched off.
    let me: Value = serde_json::from_str(g.account_json(0)).expect("json");
    assert!(!me["acct"].as_str().expect("acct").contains('@'));
    let public = Generator::new(11).with_viewer_fields(false);
    assert!(!public.status_json(id).contains("\"favourited\""));
    assert!(g.status_json(id).contains("\"favourited\""));
}

#[test]
fn shares_and_sizes_match_the_reference() {
    let mut out = Vec::new();
    let stats = generate_to(&cfg(5000, 1), &mut out).expect("vec");
    assert_eq!(stats.events, 5000);
    assert_eq!(stats.total_bytes, out.len() as u64);
    assert_eq!(stats.body_bytes, out.len() as u64);
    // The reference shares: update 80.7%, delete 8.1%, notification 4.9%, status.update 3.0%,
    // conversation 2.0%.
    let share = |k| stats.share(k) * 100.0;
    assert!((78.0..83.5).contains(&share(EventKind::Update)), "{stats}");
    assert!((6.8..9.4).contains(&share(EventKind::Delete)), "{stats}");
    assert!(
        (4.0..6.0).contains(&share(EventKind::Notification)),
        "{stats}"
    );
    assert!(
        (2.3..3.7).contains(&share(EventKind::StatusUpdate)),
        "{stats}"
    );
    assert!(
        (1.4..2.6).contains(&share(EventKind::Conversation)),
        "{stats}"
    );
    // Mean sizes within about 15% of the reference (3,883 / 4,698 / 3,640 / 5,798 bytes).
    let mean = |k| stats.kind(k).map_or(0.0, |s| s.mean);
    assert!(
        (3300.0..4470.0).contains(&mean(EventKind::Update)),
        "{stats}"
    );
    assert!(
        (3990.0..5400.0).contains(&mean(EventKind::Notification)),
        "{stats}"
    );
    assert!(
        (3090.0..4190.0).contains(&mean(EventKind::StatusUpdate)),
        "{stats}"
    );
    assert!(
        (4900.0..6670.0).contains(&mean(EventKind::Conversation)),
        "{stats}"
    );
    assert_eq!(
        stats.kind(EventKind::Delete).map(|s| (s.p50, s.max)),
        Some((18, 18))
    );
    let u = stats.kind(EventKind::Update).expect("updates");
    assert!(u.p50 < u.p90 && u.p90 < u.p99 && u.p99 <= u.max);
    // The reference is 181 MB for 50,000 events.
    assert!(
        (16_000_000..21_000_000).contains(&out.len()),
        "{}",
        out.len()
    );
    let text = stats.to_string();
    assert!(text.starts_with("events: 5000\n  update "), "{text}");
}

#[test]
fn escaped_payloads_decode_to_the_same_values() {
    let raw = stream_events(&CorpusConfig {
        escape_ratio: 0.0,
        ..cfg(600, 12)
    });
    let esc = stream_events(&CorpusConfig {
        escape_ratio: 1.0,
        ..cfg(600, 12)
    });
    assert_eq!(raw.len(), esc.len());
    let (mut surrogate_pairs, mut non_ascii_raw) = (0, 0);
    for (r, e) in raw.iter().zip(&esc) {
        assert_eq!((r.kind, r.id, r.at_ms), (e.kind, e.id, e.at_ms));
        assert!(!r.escaped);
        if !r.kind.has_json_payload() {
            assert_eq!(r.payload, e.payload);
            continue;
        }
        assert!(e.escaped && e.payload.is_ascii());
        assert!(!e.payload.contains(['<', '>', '&']));
        non_ascii_raw += usize::from(!r.payload.is_ascii());
        surrogate_pairs += usize::from(e.payload.contains("\\ud83"));
        let vr: Value = serde_json::from_str(&r.payload).expect("raw json");
        let ve: Value = serde_json::from_str(&e.payload).expect("escaped json");
        assert_eq!(vr, ve);
    }
    assert!(
        non_ascii_raw > 400 && surrogate_pairs > 50,
        "{non_ascii_raw} {surrogate_pairs}"
    );
    // The default ratio escapes about 5%.
    let some = stream_events(&cfg(4000, 12));
    let n = some.iter().filter(|e| e.escaped).count();
    assert!((100..300).contains(&n), "{n}");
    assert!(
        some.iter()
            .filter(|e| e.escaped)
            .all(|e| e.payload.is_ascii())
    );
}

/// Collects the JSON objects that `is` accepts, at any depth.
fn collect(v: &Value, is: &dyn Fn(&serde_json::Map<String, Value>) -> bool, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if is(m) {
                out.push(v.clone());
            }
            m.values().for_each(|x| collect(x, is, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, is, out)),
        _ => {}
    }
}

fn statuses(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    collect(
        v,
        &|m| m.contains_key("content") && m.contains_key("quote_approval"),
        &mut out,
    );
    out
}

fn accounts(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    collect(
        v,
        &|m| m.contains_key("acct") && m.contains_key("avatar"),
        &mut out,
    );
    out
}

#[test]
fn viewer_fields_only_on_the_user_stream() {
    const VIEWER: [&str; 5] = ["favourited", "reblogged", "muted", "bookmarked", "filtered"];
    for (mix, viewer) in [
        (Mix::User, true),
        (Mix::Public, false),
        (Mix::Updates, false),
    ] {
        let c = CorpusConfig {
            mix: mix.clone(),
            escape_ratio: 0.0,
            ..cfg(400, 13)
        };
        let mut n = 0;
        for e in stream_events(&c)
            .iter()
            .filter(|e| e.kind.has_json_payload())
        {
            for s in statuses(&serde_json::from_str(&e.payload).expect("json")) {
                n += 1;
                for f in VIEWER {
                    assert_eq!(s.get(f).is_some(), viewer, "{mix}: {f}");
                }
            }
        }
        assert!(n > 300);
    }
}

#[test]
fn shapes_are_varied_and_realistic() {
    let c = CorpusConfig {
        escape_ratio: 0.0,
        ..cfg(5000, 14)
    };
    let (mut reblogs, mut updates) = (0, 0);
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut langs = BTreeSet::new();
    for e in stream_events(&c)
        .iter()
        .filter(|e| e.kind.has_json_payload())
    {
        let v: Value = serde_json::from_str(&e.payload).expect("json");
        if e.kind == EventKind::Update {
            updates += 1;
            reblogs += usize::from(!v["reblog"].is_null());
        }
        if e.kind == EventKind::Notification {
            found.insert(format!(
                "notification:{}",
                v["type"].as_str().expect("type")
            ));
            assert!(v["group_key"].is_string());
        }
        for a in accounts(&v) {
            let local = !a["acct"].as_str().expect("acct").contains('@');
            assert_eq!(a.get("roles").is_some(), local, "{a}");
            assert_eq!(a.get("noindex").is_some(), local, "{a}");
            let uri = a["uri"].as_str().expect("uri");
            let software = [
                ("/users/9", "misskey"),
                ("threads.net/ap/", "threads"),
                ("did:plc:", "bridgy"),
                ("/c/", "lemmy"),
            ];
            for (pat, what) in software {
                if uri.contains(pat) {
                    found.insert(what.to_owned());
                }
            }
        }
        for s in statuses(&v) {
            if let Some(l) = s["language"].as_str() {
                langs.insert(l.to_owned());
            }
            for m in s["media_attachments"].as_array().expect("media") {
                found.insert(format!("media:{}", m["type"].as_str().expect("type")));
                if m["description"].as_str().is_some_and(|d| d.contains('\n')) {
                    found.insert("multi-line alt".to_owned());
                }
            }
            let content = s["content"].as_str().expect("content");
            let checks = [
                ("card", !s["card"].is_null()),
                ("video card", s["card"]["type"] == "video"),
                ("poll", !s["poll"].is_null()),
                ("quote", !s["quote"]["quoted_status"].is_null()),
                ("shallow quote", s["quote"]["quoted_status_id"].is_string()),
                (
                    "filtered",
                    s["filtered"].as_array().is_some_and(|f| !f.is_empty()),
                ),
                ("application", s.get("application").is_some()),
                ("mention", content.contains("class=\"h-card\"")),
                ("hashtag", content.contains("class=\"mention hashtag\"")),
                ("ellipsis link", content.contains("class=\"ellipsis\"")),
                ("misskey html", content.starts_with("<p><span>")),
                ("quote-inline", content.contains("quote-inline")),
                ("zwj", content.contains('\u{200d}')),
                ("edited", !s["edited_at"].is_null()),
                ("spoiler", s["spoiler_text"] != ""),
            ];
            for (what, yes) in checks {
                if yes {
                    found.insert(what.to_owned());
                }
            }
        }
    }
    let share = reblogs as f64 / updates as f64;
    assert!((0.11..0.17).contains(&share), "reblog share {share}");
    assert!(langs.len() >= 18, "{langs:?}");
    for want in [
        "notification:mention",
        "notification:favourite",
        "notification:reblog",
        "notification:follow",
        "notification:poll",
        "notification:update",
        "notification:status",
        "notification:follow_request",
        "misskey",
        "threads",
        "bridgy",
        "lemmy",
        "media:image",
        "media:gifv",
        "media:video",
        "media:audio",
        "multi-line alt",
        "card",
        "video card",
        "poll",
        "quote",
        "shallow quote",
        "filtered",
        "application",
        "mention",
        "hashtag",
        "ellipsis link",
        "misskey html",
        "quote-inline",
        "zwj",
        "edited",
        "spoiler",
    ] {
        assert!(found.contains(want), "no {want} in {found:?}");
    }
}
