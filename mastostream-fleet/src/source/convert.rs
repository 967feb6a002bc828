//! The client's events, live or from a REST page, as the fleet's [`SourceEvent`]s: event
//! name, entity identity (for `Nats-Msg-Id`), payload bytes, and the timeline position
//! (for the cursor).

use bytes::Bytes;
use mastostream_tokio::proto::session::Timeline;
use mastostream_tokio::{Event, Id};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Payload, SourceEvent};

/// Ids longer than this, or with other bytes than ASCII letters and digits, are not used as
/// positions (they are server-controlled).
const MAX_ID: usize = 64;

/// The cursor kind of a timeline: what its items are ordered by.
pub(crate) fn kind_of(timeline: &Timeline) -> &'static str {
    match timeline {
        Timeline::Notifications => "notifications",
        Timeline::Conversations => "conversations",
        _ => "statuses",
    }
}

/// The event name a timeline's items arrive as on the stream.
fn event_of(kind: &str) -> &'static str {
    match kind {
        "notifications" => "notification",
        "conversations" => "conversation",
        _ => "update",
    }
}

fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn raw_payload(data: Bytes) -> Payload {
    if serde_json::from_slice::<&RawValue>(&data).is_ok() {
        Payload::Json(data)
    } else {
        Payload::Text(String::from_utf8_lossy(&data).into_owned())
    }
}

fn json_of<T: serde::Serialize>(value: &T) -> Payload {
    serde_json::to_vec(value).map_or_else(
        |e| Payload::Text(format!("unencodable: {e}")),
        |v| Payload::Json(Bytes::from(v)),
    )
}

/// A live event as a source event, with its position `(kind, id)` when it belongs to a
/// timeline. `None` for heartbeats.
///
/// The payload of a decoded entity is its re-encoding (`Event::encode`): fields this
/// version of the client does not model are lost until the client hands out the raw
/// payload (see the module docs of [`crate::source`]).
pub(crate) fn live(event: Event) -> Option<(SourceEvent, Option<(&'static str, Id)>)> {
    let mut pos = None;
    let mut uri = None;
    let (name, entity, payload): (String, Option<String>, Payload) = match event {
        Event::Heartbeat(_) => return None,
        Event::Update(s) => {
            pos = Some(("statuses", s.id.clone()));
            uri = Some(s.uri.clone());
            ("update".into(), Some(s.id.to_string()), json_of(&s))
        }
        Event::StatusUpdate(s) => {
            let version = s.edited_at.clone().unwrap_or_default();
            (
                "status.update".into(),
                Some(format!("{}@{version}", s.id)),
                json_of(&s),
            )
        }
        Event::Delete(id) => (
            "delete".into(),
            Some(id.to_string()),
            Payload::Text(id.to_string()),
        ),
        Event::Notification(n) => {
            pos = Some(("notifications", n.id.clone()));
            ("notification".into(), Some(n.id.to_string()), json_of(&n))
        }
        Event::Conversation(c) => {
            let last = c.last_status.as_ref().map(|s| s.id.clone());
            let entity = format!("{}@{}", c.id, last.as_ref().map_or("", |i| i.as_str()));
            pos = last.map(|l| ("conversations", l));
            ("conversation".into(), Some(entity), json_of(&c))
        }
        Event::Announcement(a) => (
            "announcement".into(),
            Some(format!("{}@{}", a.id, a.updated_at)),
            json_of(&a),
        ),
        Event::AnnouncementReaction(r) => (
            "announcement.reaction".into(),
            Some(format!("{}@{}@{}", r.announcement_id, r.name, r.count)),
            json_of(&r),
        ),
        Event::AnnouncementDelete(id) => (
            "announcement.delete".into(),
            Some(id.to_string()),
            Payload::Text(id.to_string()),
        ),
        Event::NotificationsMerged => (
            "notifications_merged".into(),
            None,
            Payload::Json(Bytes::from_static(b"1")),
        ),
        Event::FiltersChanged => (
            "filters_changed".into(),
            None,
            Payload::Text("undefined".into()),
        ),
        Event::EncryptedMessage(data) => ("encrypted_message".into(), None, raw_payload(data)),
        Event::Unknown { name, data } => (name, None, raw_payload(data)),
        Event::Malformed { name, data, .. } => {
            let id =
                mastostream_tokio::proto::RawEvent::new(Bytes::from(name.clone()), data.clone())
                    .id();
            (name, id.map(|i| i.to_string()), raw_payload(data))
        }
        other => (
            other.kind().as_str().to_owned(),
            None,
            Payload::Text(String::new()),
        ),
    };
    let pos = pos.filter(|(_, id)| usable(id.as_str()));
    let event = SourceEvent {
        event: name,
        entity,
        payload,
        recovered: false,
        uri,
    };
    Some((event, pos))
}

/// The fields of a REST item the fleet needs.
#[derive(Deserialize, Default)]
struct Fields {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    last_status: Option<LastStatus>,
}

#[derive(Deserialize, Default)]
struct LastStatus {
    #[serde(default)]
    id: Option<String>,
}

/// A REST page (a JSON array, newest first) of `timeline` as recovered source events,
/// newest first, each with its position id when it has a usable one. At most `max_items`
/// items are read.
pub(crate) fn page(
    timeline: &Timeline,
    body: &[u8],
    max_items: usize,
) -> Result<Vec<(SourceEvent, Option<Id>)>, String> {
    let items: Vec<&RawValue> =
        serde_json::from_slice(body).map_err(|e| format!("page is not a JSON array: {e}"))?;
    let kind = kind_of(timeline);
    let name = event_of(kind);
    Ok(items
        .into_iter()
        .take(max_items)
        .map(|raw| {
            let f: Fields = serde_json::from_str(raw.get()).unwrap_or_default();
            let id = f.id.filter(|i| usable(i));
            let (entity, pos) = match kind {
                "conversations" => {
                    let last = f.last_status.and_then(|l| l.id).filter(|i| usable(i));
                    let entity = id.map(|i| format!("{i}@{}", last.as_deref().unwrap_or("")));
                    (entity, last)
                }
                _ => (id.clone(), id),
            };
            let event = SourceEvent {
                event: name.to_owned(),
                entity,
                payload: Payload::Json(Bytes::copy_from_slice(raw.get().as_bytes())),
                recovered: true,
                uri: if kind == "statuses" { f.uri } else { None },
            };
            (event, pos.map(Id::from))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_decode_to_recovered_events_with_positions() {
        let body = br#"[{"id":"9","uri":"https://x/9","extra":{"a":[1,2]}},{"id":"7"},{"id":12},{"no":"id"}]"#;
        let items = page(&Timeline::Home, body, 40).unwrap();
        assert_eq!(items.len(), 4);
        let (e, pos) = &items[0];
        assert_eq!(
            (e.event.as_str(), e.entity.as_deref(), e.recovered),
            ("update", Some("9"), true)
        );
        assert_eq!(pos.as_ref().map(Id::as_str), Some("9"));
        assert_eq!(e.uri.as_deref(), Some("https://x/9"));
        // The payload is the item exactly as the server sent it, unknown fields included.
        assert!(
            matches!(&e.payload, Payload::Json(b) if &b[..] == br#"{"id":"9","uri":"https://x/9","extra":{"a":[1,2]}}"#)
        );
        assert!(
            items[2].1.is_none() && items[3].1.is_none(),
            "no usable id, no position"
        );
        assert_eq!(page(&Timeline::Home, body, 1).unwrap().len(), 1);
        assert!(page(&Timeline::Home, b"<html>", 40).is_err());
    }

    #[test]
    fn conversations_are_placed_by_their_last_status() {
        let body = br#"[{"id":"3","last_status":{"id":"110"}}]"#;
        let items = page(&Timeline::Conversations, body, 40).unwrap();
        let (e, pos) = &items[0];
        assert_eq!(
            (e.event.as_str(), e.entity.as_deref()),
            ("conversation", Some("3@110"))
        );
        assert_eq!(pos.as_ref().map(Id::as_str), Some("110"));
        let notes = page(&Timeline::Notifications, br#"[{"id":"5"}]"#, 40).unwrap();
        assert_eq!(notes[0].0.event, "notification");
    }

    #[test]
    fn live_deletes_keep_the_bare_id() {
        let (e, pos) = live(Event::Delete(Id::from("110988741790818968"))).unwrap();
        assert_eq!(
            (e.event.as_str(), e.entity.as_deref()),
            ("delete", Some("110988741790818968"))
        );
        assert!(matches!(e.payload, Payload::Text(ref t) if t == "110988741790818968"));
        assert!(pos.is_none());
        assert!(live(Event::Heartbeat(Bytes::from_static(b"thump"))).is_none());
        let (u, _) = live(Event::Unknown {
            name: "x.y".into(),
            data: Bytes::from_static(b"{\"a\":1}"),
        })
        .unwrap();
        assert!(matches!(u.payload, Payload::Json(_)));
        let (f, _) = live(Event::FiltersChanged).unwrap();
        assert!(matches!(f.payload, Payload::Text(ref t) if t == "undefined"));
    }

    #[test]
    fn unusable_ids_are_not_positions() {
        assert!(usable("110988741790818968"));
        assert!(!usable(""));
        assert!(!usable("1 2"));
        assert!(!usable(&"9".repeat(65)));
    }
}
