//! The client's events, live or recovered, as the fleet's [`SourceEvent`]s: event name,
//! entity identity (for `Nats-Msg-Id`), the payload exactly as the server wrote it, and the
//! status's `uri`.

use bytes::Bytes;
use mastostream_tokio::{Event, StreamEvent, Timeline};
use serde_json::value::RawValue;

use super::{Payload, SourceEvent};

/// Ids longer than this, or with other bytes than ASCII letters and digits, are not used as
/// positions (they are server-controlled, and end up in KV values and message ids).
const MAX_ID: usize = 64;

/// The cursor kind of a timeline: what its items are ordered by.
pub(crate) fn kind_of(timeline: &Timeline) -> &'static str {
    match timeline {
        Timeline::Notifications => "notifications",
        Timeline::Conversations => "conversations",
        _ => "statuses",
    }
}

/// Whether a server-controlled id may be stored as a position.
pub(crate) fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The payload as the server wrote it: embedded when it is JSON, else carried as a string.
fn raw_payload(data: Bytes) -> Payload {
    if serde_json::from_slice::<&RawValue>(&data).is_ok() {
        Payload::Json(data)
    } else {
        Payload::Text(String::from_utf8_lossy(&data).into_owned())
    }
}

/// An event as a source event (`None` for heartbeats). The payload is the event's `data`,
/// the bytes the server wrote (the SSE data, the WebSocket payload unwrapped, or the REST
/// page item), so fields the client does not model are kept. Bare ids (`delete`,
/// `announcement.delete`) are carried as strings, since they exceed 2^53.
pub(crate) fn event(e: StreamEvent) -> Option<SourceEvent> {
    let StreamEvent {
        event,
        recovered,
        data,
        ..
    } = e;
    let mut uri = None;
    let name = event.kind().as_str().to_owned();
    let (name, entity, payload) = match event {
        Event::Heartbeat(_) => return None,
        Event::Update(s) => {
            uri = Some(s.uri.clone());
            (name, Some(s.id.to_string()), raw_payload(data))
        }
        Event::StatusUpdate(s) => {
            let version = s.edited_at.clone().unwrap_or_default();
            (name, Some(format!("{}@{version}", s.id)), raw_payload(data))
        }
        Event::Delete(id) | Event::AnnouncementDelete(id) => {
            (name, Some(id.to_string()), Payload::Text(id.to_string()))
        }
        Event::Notification(n) => (name, Some(n.id.to_string()), raw_payload(data)),
        Event::Conversation(c) => {
            let last = c.last_status.as_ref().map_or("", |s| s.id.as_str());
            (name, Some(format!("{}@{last}", c.id)), raw_payload(data))
        }
        Event::Announcement(a) => (
            name,
            Some(format!("{}@{}", a.id, a.updated_at)),
            raw_payload(data),
        ),
        Event::AnnouncementReaction(r) => (
            name,
            Some(format!("{}@{}@{}", r.announcement_id, r.name, r.count)),
            raw_payload(data),
        ),
        Event::Unknown { name, .. } => (name, None, raw_payload(data)),
        Event::Malformed { name, data, .. } => {
            let id =
                mastostream_tokio::proto::RawEvent::new(Bytes::from(name.clone()), data.clone())
                    .id();
            (name, id.map(|i| i.to_string()), raw_payload(data))
        }
        // `notifications_merged` (`1`), `filters_changed` (`undefined`), and the rest:
        // no identity, the payload as written.
        _ => (name, None, raw_payload(data)),
    };
    Some(SourceEvent {
        event: name,
        entity,
        payload,
        recovered,
        uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastostream_tokio::{Channel, Id};

    /// An event as a session hands it out, with `data` as the server wrote it.
    fn delivered(name: &str, data: &'static [u8], recovered: bool) -> StreamEvent {
        let raw = mastostream_tokio::proto::RawEvent::new(
            Bytes::copy_from_slice(name.as_bytes()),
            Bytes::from_static(data),
        );
        let event = raw.decode();
        let mut e = if recovered {
            StreamEvent::recovered(event, Some(Channel::public_local()))
        } else {
            StreamEvent::live(event, Some(Channel::public_local()))
        };
        e.data = Bytes::from_static(data);
        e
    }

    const STATUS: &[u8] = br#"{"id":"110988741790818968","uri":"https://m.example/s/1","created_at":"2024-01-01T00:00:00.000Z","content":"<p>x</p>","visibility":"public","account":{"id":"1","username":"a","acct":"a","url":"https://m.example/@a","created_at":"2024-01-01T00:00:00.000Z"},"a_field_nobody_models":{"x":[1,2]}}"#;

    #[test]
    fn statuses_carry_the_bytes_the_server_wrote() {
        let d = delivered("update", STATUS, true);
        assert!(matches!(d.event, Event::Update(_)), "{:?}", d.event);
        let e = event(d).unwrap();
        assert_eq!(
            (e.event.as_str(), e.entity.as_deref(), e.recovered),
            ("update", Some("110988741790818968"), true)
        );
        assert_eq!(e.uri.as_deref(), Some("https://m.example/s/1"));
        assert!(
            matches!(&e.payload, Payload::Json(b) if &b[..] == STATUS),
            "unknown fields kept: {:?}",
            e.payload
        );
    }

    #[test]
    fn deletes_keep_the_bare_id_as_a_string() {
        let e = event(delivered("delete", b"110988741790818968", false)).unwrap();
        assert_eq!(
            (e.event.as_str(), e.entity.as_deref()),
            ("delete", Some("110988741790818968"))
        );
        assert!(matches!(e.payload, Payload::Text(ref t) if t == "110988741790818968"));
    }

    #[test]
    fn events_without_identity_and_heartbeats() {
        assert!(
            event(StreamEvent::live(
                Event::Heartbeat(Bytes::from_static(b"thump")),
                None
            ))
            .is_none()
        );
        let merged = event(delivered("notifications_merged", b"1", false)).unwrap();
        assert_eq!(merged.entity, None);
        assert!(matches!(merged.payload, Payload::Json(ref b) if &b[..] == b"1"));
        let filters = event(delivered("filters_changed", b"undefined", false)).unwrap();
        assert!(matches!(filters.payload, Payload::Text(ref t) if t == "undefined"));
        let unknown = event(delivered("x.y", b"{\"a\":1}", false)).unwrap();
        assert_eq!(unknown.event, "x.y");
        assert!(matches!(unknown.payload, Payload::Json(_)));
    }

    #[test]
    fn unusable_ids_are_not_positions() {
        assert!(usable("110988741790818968"));
        assert!(usable("01HZY8Q9V6S8M4X4T0J3K5R2AB"));
        assert!(!usable(""));
        assert!(!usable("1 2"));
        assert!(!usable(&"9".repeat(65)));
        assert_eq!(kind_of(&Timeline::Notifications), "notifications");
        assert_eq!(kind_of(&Timeline::List { id: Id::from("4") }), "statuses");
    }
}
