//! WebSocket server messages from `tests/fixtures/ws/` decode into the same events as the
//! SSE transport; subscribe messages are what Mastodon expects.

mod common;

use bytes::Bytes;
use common::{backends, comparable, flat_fixtures};
use mastostream_proto::ws::{self, WsMessage};
use mastostream_proto::{Channel, Event, PublicScope, RawEvent};

/// Decodes one fixture with every backend (all must agree) and returns the message.
fn message(file: &str) -> WsMessage {
    let data = common::fixture(&format!("ws/{file}"));
    let mut results = backends()
        .into_iter()
        .map(|b| ws::decode_with(&data, b).expect(file));
    let first = results.next().expect("a backend");
    for other in results {
        assert_eq!(other, first, "{file}");
    }
    first
}

fn ws_event(file: &str) -> (Vec<String>, Option<Channel>, Event) {
    match message(file) {
        WsMessage::Event {
            stream,
            channel,
            event,
            ..
        } => (stream, channel, event),
        other => panic!("{file}: {other:?}"),
    }
}

#[test]
fn every_ws_fixture_decodes_like_the_sse_payload() {
    let all = flat_fixtures("ws");
    assert!(all.len() >= 12);
    for (file, data) in all {
        let value: serde_json::Value = serde_json::from_slice(&data).unwrap();
        let decoded = message(&file);
        match (&decoded, value.get("event")) {
            (WsMessage::Event { event, stream, .. }, Some(name)) => {
                assert!(!event.is_malformed(), "{file}: {event:?}");
                // The same payload, unwrapped by hand and decoded as an SSE event.
                let payload = value
                    .get("payload")
                    .and_then(|p| p.as_str())
                    .unwrap_or_default();
                let name = name.as_str().unwrap();
                let raw = RawEvent::new(
                    Bytes::copy_from_slice(name.as_bytes()),
                    Bytes::copy_from_slice(payload.as_bytes()),
                );
                assert_eq!(
                    comparable(raw.decode()),
                    comparable(event.clone()),
                    "{file}"
                );
                assert_eq!(
                    stream,
                    &serde_json::from_value::<Vec<String>>(value["stream"].clone()).unwrap()
                );
            }
            (WsMessage::Error { .. }, None) => assert!(value.get("error").is_some()),
            _ => panic!("{file}: {decoded:?}"),
        }
    }
}

#[test]
fn streams_map_to_channels() {
    let (stream, channel, event) = ws_event("update_hashtag.json");
    assert_eq!(stream, ["hashtag", "rust"]);
    assert_eq!(channel, Some(Channel::hashtag("rust")));
    assert_eq!(event.status().unwrap().favourited, None);

    let (_, channel, event) = ws_event("status_update_local_hashtag.json");
    assert_eq!(channel, Some(Channel::hashtag("café").local_only()));
    assert!(matches!(event, Event::StatusUpdate(_)));

    let (_, channel, event) = ws_event("public_local_media.json");
    assert_eq!(
        channel,
        Some(Channel::Public {
            scope: PublicScope::Local,
            only_media: true
        })
    );
    assert_eq!(event.status().unwrap().media_attachments.len(), 1);

    let (_, channel, event) = ws_event("notification_user.json");
    assert_eq!(channel, Some(Channel::User));
    assert!(matches!(event, Event::Notification(n) if n.status.is_some()));

    let (_, channel, event) = ws_event("conversation_direct.json");
    assert_eq!(channel, Some(Channel::Direct));
    assert!(matches!(event, Event::Conversation(_)));
}

#[test]
fn bare_ids_signals_and_unknown_events() {
    let (_, channel, event) = ws_event("delete_list.json");
    assert_eq!(channel, Some(Channel::list("42")));
    assert_eq!(event, Event::Delete("110988741790818968".into()));
    assert_eq!(
        ws_event("announcement_delete.json").2,
        Event::AnnouncementDelete("42".into())
    );
    assert!(
        matches!(ws_event("announcement_reaction.json").2, Event::AnnouncementReaction(r) if r.count == 2)
    );
    let (_, channel, event) = ws_event("notifications_merged.json");
    assert_eq!(
        (channel, event),
        (Some(Channel::UserNotification), Event::NotificationsMerged)
    );
    assert_eq!(
        ws_event("filters_changed_no_payload.json").2,
        Event::FiltersChanged
    );
    let (_, channel, event) = ws_event("unknown_event.json");
    assert_eq!(
        channel,
        Some(Channel::Public {
            scope: PublicScope::Remote,
            only_media: false
        })
    );
    assert_eq!(
        event,
        Event::Unknown {
            name: "status.translated".into(),
            data: Bytes::from_static(b"{\"x\":1}")
        }
    );
}

#[test]
fn errors() {
    assert_eq!(
        message("error_401.json"),
        WsMessage::Error {
            error: "Missing access token".into(),
            status: Some(401)
        }
    );
    assert_eq!(
        message("error_no_status.json"),
        WsMessage::Error {
            error: "Error parsing message".into(),
            status: None
        }
    );
}

#[test]
fn bad_payload_inside_a_good_message_is_a_malformed_event() {
    let text = r#"{"stream":["user"],"event":"update","payload":"{\"id\":\"1\""}"#;
    for backend in backends() {
        match ws::decode_with(text, backend).unwrap() {
            WsMessage::Event {
                event: Event::Malformed { name, data, .. },
                ..
            } => {
                assert_eq!(
                    (name.as_str(), &data[..]),
                    ("update", &b"{\"id\":\"1\""[..])
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn every_sse_fixture_travels_over_the_websocket_too() {
    // Wrap each SSE payload the way the WebSocket server does and decode it again.
    for f in common::fixtures("events") {
        let sse =
            RawEvent::new(Bytes::copy_from_slice(f.event.as_bytes()), f.data.clone()).decode();
        let text = serde_json::json!({
            "stream": ["user"],
            "event": f.event,
            "payload": String::from_utf8(f.data.to_vec()).unwrap(),
        })
        .to_string();
        match ws::decode(&text).unwrap() {
            WsMessage::Event { event, .. } => assert_eq!(event, sse, "{}", f.label()),
            other => panic!("{}: {other:?}", f.label()),
        }
    }
}
