//! Mastodon streaming events: [`RawEvent`] (name and payload, undecoded) and [`Event`]
//! (typed).
//!
//! The SSE decoder hands out [`RawEvent`]s whose name and payload are zero-copy [`Bytes`]
//! slices of the received chunks. Routing needs no JSON decoding: [`RawEvent::kind`] looks at
//! the name only and [`RawEvent::id`] reads the id from the start of the payload. Decoding
//! into an [`Event`] happens when asked ([`RawEvent::decode`]), and never fails: a payload
//! that does not decode becomes [`Event::Malformed`], and the stream goes on.
//!
//! ```
//! use mastostream_proto::{Event, EventKind, RawEvent};
//!
//! let raw = RawEvent::new(
//!     "update".into(),
//!     r#"{"id":"110988741790818968","created_at":"2023-08-30T12:00:00.000Z","visibility":"public",
//!        "uri":"https://example.social/users/ada/statuses/110988741790818968","content":"<p>hi</p>",
//!        "account":{"id":"1","username":"ada","acct":"ada","created_at":"2022-01-01T00:00:00.000Z"}}"#
//!         .into(),
//! );
//! // Cheap routing: no JSON decoding yet.
//! assert_eq!(raw.kind(), EventKind::Update);
//! assert_eq!(raw.id().unwrap(), "110988741790818968");
//!
//! // Full decoding on demand.
//! match raw.decode() {
//!     Event::Update(status) => assert_eq!(status.account.acct, "ada"),
//!     other => panic!("unexpected {other:?}"),
//! }
//!
//! // Deleted ids are bare on the wire, and stay exact strings (they exceed 2^53).
//! let raw = RawEvent::new("delete".into(), "110988741790818968".into());
//! assert_eq!(raw.decode(), Event::Delete("110988741790818968".into()));
//!
//! // A bad payload is one malformed item, not an error that ends the stream.
//! let raw = RawEvent::new("notification".into(), "{\"id\":".into());
//! assert!(matches!(raw.decode(), Event::Malformed { .. }));
//!
//! // Unknown event names are delivered raw.
//! let raw = RawEvent::new("status.translated".into(), "{}".into());
//! assert!(matches!(raw.decode(), Event::Unknown { name, .. } if name == "status.translated"));
//! ```

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;

use crate::json::{self, JsonBackend};

mod scan;
use crate::model::{
    Announcement, AnnouncementReaction, Chat, Conversation, FollowRelationships, Notification,
    Status,
};
use crate::{DecodeError, Id};
use scan::{bare_id, leading_id};

impl crate::decoder::Frame {
    /// The Mastodon event this frame carries, decoded with `json`: an SSE event becomes
    /// its typed [`Event`] (or `Unknown` / `Malformed`), a comment becomes
    /// [`Event::Heartbeat`], and an event skipped for a limit becomes `Malformed` (with
    /// empty data). `None` for the head, `retry` and the end.
    ///
    /// (Defined here, in the typed layer: the decoder below knows nothing of events.)
    pub fn into_event(self, json: JsonBackend) -> Option<Event> {
        use crate::decoder::Frame;
        match self {
            Frame::Event(e) => {
                let (name, data, _) = e.into_parts();
                Some(RawEvent::new(name, data).decode_with(json))
            }
            Frame::Comment(text) => Some(Event::Heartbeat(text)),
            Frame::Skipped { event_type, error } => Some(Event::Malformed {
                name: String::from_utf8_lossy(&event_type).into_owned(),
                data: Bytes::new(),
                error,
            }),
            Frame::Head(_) | Frame::Retry(_) | Frame::End => None,
        }
    }
}

/// One streaming event before decoding: its name and its payload, as zero-copy slices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawEvent {
    name: Bytes,
    data: Bytes,
}

impl RawEvent {
    /// An event named `name` (the SSE `event:` field, or the WebSocket `event` member)
    /// carrying `data` (the payload text).
    pub fn new(name: Bytes, data: Bytes) -> Self {
        RawEvent { name, data }
    }

    /// The event name, with invalid UTF-8 replaced by U+FFFD.
    pub fn name(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The event name exactly as received.
    pub fn name_bytes(&self) -> &Bytes {
        &self.name
    }

    /// The payload exactly as received.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Consumes the event, returning its name and payload.
    pub fn into_parts(self) -> (Bytes, Bytes) {
        (self.name, self.data)
    }

    /// What kind of event this is, from its name alone (no decoding).
    pub fn kind(&self) -> EventKind {
        EventKind::from_name(&self.name)
    }

    /// The id this event is about, without decoding the whole payload: the status,
    /// notification, conversation or announcement id; the deleted id for `delete` and
    /// `announcement.delete`; the announcement id for `announcement.reaction`. `None` for
    /// other events, and when the payload has no readable id.
    ///
    /// Mastodon writes `"id"` as the first key, so for JSON payloads this reads the prefix
    /// `{"id":"…"` and stops; when the payload is written differently (the key elsewhere,
    /// escapes in the id) it falls back to a decode that skips everything but the
    /// top-level `id`. It does not check that the rest of the payload is valid.
    pub fn id(&self) -> Option<Id> {
        match self.kind() {
            EventKind::Update
            | EventKind::StatusUpdate
            | EventKind::Notification
            | EventKind::Conversation
            | EventKind::Announcement => match leading_id(&self.data) {
                Some(id) => Some(Id::from(id)),
                None => {
                    #[derive(Deserialize)]
                    struct OnlyId {
                        id: Id,
                    }
                    serde_json::from_slice::<json::Object<OnlyId>>(&self.data)
                        .ok()
                        .map(|o| o.0.id)
                }
            },
            EventKind::AnnouncementReaction => {
                #[derive(Deserialize)]
                struct OnlyAnnouncementId {
                    announcement_id: Id,
                }
                serde_json::from_slice::<json::Object<OnlyAnnouncementId>>(&self.data)
                    .ok()
                    .map(|o| o.0.announcement_id)
            }
            EventKind::Delete | EventKind::AnnouncementDelete => bare_id(&self.data).ok(),
            _ => None,
        }
    }

    /// Decodes the payload with the default JSON backend (serde_json).
    pub fn decode(&self) -> Event {
        self.decode_with(JsonBackend::default())
    }

    /// Decodes the payload with the given JSON backend. Never fails: a payload that does
    /// not decode gives [`Event::Malformed`]; an unknown name gives [`Event::Unknown`].
    pub fn decode_with(&self, backend: JsonBackend) -> Event {
        let data = &self.data[..];
        let decoded = match self.kind() {
            EventKind::Update => json::object_from_slice(backend, data).map(Event::Update),
            EventKind::StatusUpdate => {
                json::object_from_slice(backend, data).map(Event::StatusUpdate)
            }
            EventKind::Notification => {
                json::object_from_slice(backend, data).map(Event::Notification)
            }
            EventKind::Conversation => {
                json::object_from_slice(backend, data).map(Event::Conversation)
            }
            EventKind::Announcement => {
                json::object_from_slice(backend, data).map(Event::Announcement)
            }
            EventKind::AnnouncementReaction => {
                json::object_from_slice(backend, data).map(Event::AnnouncementReaction)
            }
            EventKind::Delete => bare_id(data).map(Event::Delete),
            EventKind::AnnouncementDelete => bare_id(data).map(Event::AnnouncementDelete),
            EventKind::NotificationsMerged => Ok(Event::NotificationsMerged),
            EventKind::FiltersChanged => Ok(Event::FiltersChanged),
            EventKind::EncryptedMessage => Ok(Event::EncryptedMessage(self.data.clone())),
            EventKind::ChatUpdate => json::object_from_slice(backend, data).map(Event::ChatUpdate),
            EventKind::FollowRelationshipsUpdate => {
                json::object_from_slice(backend, data).map(Event::FollowRelationshipsUpdate)
            }
            EventKind::Heartbeat | EventKind::Unknown => Ok(Event::Unknown {
                name: self.name().into_owned(),
                data: self.data.clone(),
            }),
        };
        decoded.unwrap_or_else(|error| Event::Malformed {
            name: self.name().into_owned(),
            data: self.data.clone(),
            error,
        })
    }
}

/// The kind of an event, known from its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `update`: a new status.
    Update,
    /// `status.update`: an edited status.
    StatusUpdate,
    /// `delete`: a status was deleted.
    Delete,
    /// `notification`: a new notification.
    Notification,
    /// `conversation`: a direct conversation changed.
    Conversation,
    /// `announcement`: an announcement was published or changed.
    Announcement,
    /// `announcement.reaction`: a reaction count changed.
    AnnouncementReaction,
    /// `announcement.delete`: an announcement was removed.
    AnnouncementDelete,
    /// `notifications_merged`: notifications were accepted from the filtered inbox; refetch.
    NotificationsMerged,
    /// `filters_changed`: your filters changed; refetch them.
    FiltersChanged,
    /// `encrypted_message`: the retired end-to-end encryption feature.
    EncryptedMessage,
    /// `pleroma:chat_update`: a Pleroma chat changed.
    ChatUpdate,
    /// `pleroma:follow_relationships_update`: a follow changed state (Pleroma, Akkoma).
    FollowRelationshipsUpdate,
    /// A heartbeat comment (only for [`Event::kind`]; no event name maps to it).
    Heartbeat,
    /// Any other event name.
    Unknown,
}

impl EventKind {
    /// The kind of the event with this name. Names are case-sensitive, as on the wire.
    pub fn from_name(name: &[u8]) -> EventKind {
        match name {
            b"update" => EventKind::Update,
            b"status.update" => EventKind::StatusUpdate,
            b"delete" => EventKind::Delete,
            b"notification" => EventKind::Notification,
            b"conversation" => EventKind::Conversation,
            b"announcement" => EventKind::Announcement,
            b"announcement.reaction" => EventKind::AnnouncementReaction,
            b"announcement.delete" => EventKind::AnnouncementDelete,
            b"notifications_merged" => EventKind::NotificationsMerged,
            b"filters_changed" => EventKind::FiltersChanged,
            b"encrypted_message" => EventKind::EncryptedMessage,
            b"pleroma:chat_update" => EventKind::ChatUpdate,
            b"pleroma:follow_relationships_update" => EventKind::FollowRelationshipsUpdate,
            _ => EventKind::Unknown,
        }
    }

    /// The event name on the wire; `heartbeat` and `unknown` for the two kinds that have
    /// none.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Update => "update",
            EventKind::StatusUpdate => "status.update",
            EventKind::Delete => "delete",
            EventKind::Notification => "notification",
            EventKind::Conversation => "conversation",
            EventKind::Announcement => "announcement",
            EventKind::AnnouncementReaction => "announcement.reaction",
            EventKind::AnnouncementDelete => "announcement.delete",
            EventKind::NotificationsMerged => "notifications_merged",
            EventKind::FiltersChanged => "filters_changed",
            EventKind::EncryptedMessage => "encrypted_message",
            EventKind::ChatUpdate => "pleroma:chat_update",
            EventKind::FollowRelationshipsUpdate => "pleroma:follow_relationships_update",
            EventKind::Heartbeat => "heartbeat",
            EventKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decoded streaming event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `update`: a new status in the stream.
    Update(Box<Status>),
    /// `status.update`: a status in the stream was edited.
    StatusUpdate(Box<Status>),
    /// `delete`: the status with this id was deleted.
    Delete(Id),
    /// `notification`: a new notification.
    Notification(Box<Notification>),
    /// `conversation`: a direct conversation changed.
    Conversation(Box<Conversation>),
    /// `announcement`: an announcement was published or changed.
    Announcement(Box<Announcement>),
    /// `announcement.reaction`: a reaction count on an announcement changed.
    AnnouncementReaction(AnnouncementReaction),
    /// `announcement.delete`: the announcement with this id was removed.
    AnnouncementDelete(Id),
    /// `notifications_merged`: filtered notifications were merged into the main list;
    /// refetch notifications. (The payload, `1`, carries nothing.)
    NotificationsMerged,
    /// `filters_changed`: your filters changed; refetch them. Sent by older servers only.
    FiltersChanged,
    /// `encrypted_message`: the payload of the retired end-to-end encryption feature, raw.
    EncryptedMessage(Bytes),
    /// `pleroma:chat_update`: a Pleroma chat changed (Pleroma's chats).
    ChatUpdate(Box<Chat>),
    /// `pleroma:follow_relationships_update`: a follow changed state, with both sides'
    /// counts (Pleroma, Akkoma).
    FollowRelationshipsUpdate(Box<FollowRelationships>),
    /// A heartbeat comment (`:)` on connect, `:thump` every 15 s): the text after the
    /// colon. Produced by the SSE decoder, never by [`RawEvent::decode`].
    Heartbeat(Bytes),
    /// An event name this version does not know (dotted names included). An SSE event
    /// without an `event:` field arrives here with the name `message`.
    Unknown {
        /// The event name (invalid UTF-8 replaced by U+FFFD).
        name: String,
        /// The payload, raw.
        data: Bytes,
    },
    /// A known event whose payload did not decode. The stream goes on.
    Malformed {
        /// The event name (invalid UTF-8 replaced by U+FFFD).
        name: String,
        /// The payload, raw.
        data: Bytes,
        /// Why it did not decode.
        error: DecodeError,
    },
}

impl Event {
    /// The kind of event. A malformed event has the kind of its name, so that it can be
    /// routed like the event it should have been.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Update(_) => EventKind::Update,
            Event::StatusUpdate(_) => EventKind::StatusUpdate,
            Event::Delete(_) => EventKind::Delete,
            Event::Notification(_) => EventKind::Notification,
            Event::Conversation(_) => EventKind::Conversation,
            Event::Announcement(_) => EventKind::Announcement,
            Event::AnnouncementReaction(_) => EventKind::AnnouncementReaction,
            Event::AnnouncementDelete(_) => EventKind::AnnouncementDelete,
            Event::NotificationsMerged => EventKind::NotificationsMerged,
            Event::FiltersChanged => EventKind::FiltersChanged,
            Event::EncryptedMessage(_) => EventKind::EncryptedMessage,
            Event::ChatUpdate(_) => EventKind::ChatUpdate,
            Event::FollowRelationshipsUpdate(_) => EventKind::FollowRelationshipsUpdate,
            Event::Heartbeat(_) => EventKind::Heartbeat,
            Event::Unknown { .. } => EventKind::Unknown,
            Event::Malformed { name, .. } => EventKind::from_name(name.as_bytes()),
        }
    }

    /// Whether this is a heartbeat comment.
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Event::Heartbeat(_))
    }

    /// Whether this is a malformed event.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Event::Malformed { .. })
    }

    /// The status of an `update` or `status.update` event.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Event::Update(status) | Event::StatusUpdate(status) => Some(status),
            _ => None,
        }
    }

    /// The event as it goes on the wire: the name and the payload a Mastodon server would
    /// send for it (compact JSON, bare ids, `1` for `notifications_merged`, `undefined` for
    /// `filters_changed`). `None` for heartbeats and malformed events, which have no
    /// payload of their own.
    ///
    /// Decoding the result gives back an equal event, except for an [`Event::Unknown`]
    /// built by hand with a known name, or entities holding non-finite floats (JSON has
    /// none) or enum `Other` values that spell a known value.
    pub fn encode(&self) -> Option<RawEvent> {
        let data = match self {
            Event::Update(status) | Event::StatusUpdate(status) => json(status)?,
            Event::Notification(n) => json(n)?,
            Event::Conversation(c) => json(c)?,
            Event::Announcement(a) => json(a)?,
            Event::AnnouncementReaction(r) => json(r)?,
            Event::ChatUpdate(c) => json(c)?,
            Event::FollowRelationshipsUpdate(f) => json(f)?,
            Event::Delete(id) | Event::AnnouncementDelete(id) => {
                Bytes::copy_from_slice(id.as_str().as_bytes())
            }
            Event::NotificationsMerged => Bytes::from_static(b"1"),
            Event::FiltersChanged => Bytes::from_static(b"undefined"),
            Event::EncryptedMessage(data) => data.clone(),
            Event::Unknown { name, data } => {
                return Some(RawEvent::new(
                    Bytes::copy_from_slice(name.as_bytes()),
                    data.clone(),
                ));
            }
            Event::Heartbeat(_) | Event::Malformed { .. } => return None,
        };
        Some(RawEvent::new(
            Bytes::from_static(self.kind().as_str().as_bytes()),
            data,
        ))
    }
}

/// Serializes an entity to compact JSON.
fn json<T: serde::Serialize>(value: &T) -> Option<Bytes> {
    serde_json::to_vec(value).ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &'static str, data: &'static str) -> RawEvent {
        RawEvent::new(
            Bytes::from_static(name.as_bytes()),
            Bytes::from_static(data.as_bytes()),
        )
    }

    #[test]
    fn kinds_from_names() {
        for kind in [
            EventKind::Update,
            EventKind::StatusUpdate,
            EventKind::Delete,
            EventKind::Notification,
            EventKind::Conversation,
            EventKind::Announcement,
            EventKind::AnnouncementReaction,
            EventKind::AnnouncementDelete,
            EventKind::NotificationsMerged,
            EventKind::FiltersChanged,
            EventKind::EncryptedMessage,
        ] {
            assert_eq!(EventKind::from_name(kind.as_str().as_bytes()), kind);
        }
        for other in [
            "heartbeat",
            "unknown",
            "message",
            "Update",
            "update ",
            "",
            "status.updated",
        ] {
            assert_eq!(
                EventKind::from_name(other.as_bytes()),
                EventKind::Unknown,
                "{other}"
            );
        }
    }

    #[test]
    fn id_falls_back_to_decoding_only_the_id() {
        assert_eq!(
            raw("update", r#"{"uri":"x","account":{"id":"9"},"id":"42"}"#)
                .id()
                .unwrap(),
            "42"
        );
        assert_eq!(
            raw("notification", r#"{"id":"12\u0033"}"#).id().unwrap(),
            "123"
        );
        assert_eq!(raw("conversation", r#"{"id":77}"#).id().unwrap(), "77");
        assert_eq!(raw("announcement", r#"{"content":"no id"}"#).id(), None);
        assert_eq!(raw("update", "not json").id(), None);
        assert_eq!(
            raw(
                "announcement.reaction",
                r#"{"name":"🎉","count":2,"announcement_id":"8"}"#
            )
            .id()
            .unwrap(),
            "8"
        );
        assert_eq!(
            raw("delete", " 110988741790818968\n").id().unwrap(),
            "110988741790818968"
        );
        assert_eq!(raw("announcement.delete", "\"5\"").id().unwrap(), "5");
        assert_eq!(raw("delete", "1.5").id(), None);
        assert_eq!(raw("filters_changed", "undefined").id(), None);
        assert_eq!(raw("message", r#"{"id":"1"}"#).id(), None);
    }

    /// serde's derived structs read a JSON array as their fields by position; an entity
    /// payload must be an object (found by fuzzing: `decode` accepted `["c",-333,3]` as an
    /// `announcement.reaction` for announcement 3 while `id()` found no id).
    #[test]
    fn positional_arrays_are_not_entities() {
        for (name, data) in [
            ("announcement.reaction", r#"["c",-333,3]"#),
            ("conversation", r#"["1"]"#),
            ("announcement", r#"["1"]"#),
            ("update", r#"["1"]"#),
            ("notification", r#"["1"]"#),
        ] {
            let raw = raw(name, data);
            assert!(raw.decode().is_malformed(), "{name}: {:?}", raw.decode());
            assert_eq!(raw.id(), None, "{name}");
        }
        // Objects with the id anywhere still give it, on both paths.
        let raw = raw("conversation", r#"{"unread":true,"id":"1"}"#);
        assert_eq!(raw.id().unwrap(), "1");
        assert!(matches!(raw.decode(), Event::Conversation(c) if c.id == "1"));
    }

    #[test]
    fn signal_events_accept_any_payload() {
        assert_eq!(
            raw("notifications_merged", "1").decode(),
            Event::NotificationsMerged
        );
        assert_eq!(
            raw("notifications_merged", "").decode(),
            Event::NotificationsMerged
        );
        assert_eq!(
            raw("filters_changed", "undefined").decode(),
            Event::FiltersChanged
        );
        assert_eq!(raw("filters_changed", "").decode(), Event::FiltersChanged);
        assert_eq!(
            raw("filters_changed", "{\"x\":1}").decode(),
            Event::FiltersChanged
        );
        assert_eq!(
            raw("encrypted_message", "{\"id\":\"1\"}").decode(),
            Event::EncryptedMessage(Bytes::from_static(b"{\"id\":\"1\"}"))
        );
    }

    #[test]
    fn unknown_names_are_delivered_raw() {
        let event = raw("message", "hello").decode();
        assert_eq!(
            event,
            Event::Unknown {
                name: "message".into(),
                data: Bytes::from_static(b"hello")
            }
        );
        assert_eq!(event.kind(), EventKind::Unknown);
        let event = RawEvent::new(Bytes::from_static(b"x\xffy"), Bytes::new()).decode();
        assert!(matches!(event, Event::Unknown { name, .. } if name == "x\u{fffd}y"));
    }

    #[test]
    fn malformed_keeps_name_data_and_kind() {
        let event = raw("update", "{\"id\":{}}").decode();
        match &event {
            Event::Malformed { name, data, error } => {
                assert_eq!(name, "update");
                assert_eq!(&data[..], b"{\"id\":{}}");
                assert!(matches!(error, DecodeError::Json { .. }), "{error:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(event.kind(), EventKind::Update);
        assert!(event.is_malformed());
        assert_eq!(event.encode(), None);
        assert_eq!(
            Event::Heartbeat(Bytes::from_static(b"thump")).encode(),
            None
        );
        assert!(Event::Heartbeat(Bytes::new()).is_heartbeat());
    }

    #[test]
    fn simple_events_encode_as_mastodon_sends_them() {
        let cases = [
            (
                Event::Delete("110988741790818968".into()),
                "delete",
                "110988741790818968",
            ),
            (
                Event::AnnouncementDelete("7".into()),
                "announcement.delete",
                "7",
            ),
            (Event::NotificationsMerged, "notifications_merged", "1"),
            (Event::FiltersChanged, "filters_changed", "undefined"),
            (
                Event::EncryptedMessage(Bytes::from_static(b"{}")),
                "encrypted_message",
                "{}",
            ),
            (
                Event::Unknown {
                    name: "x.y".into(),
                    data: Bytes::from_static(b"z"),
                },
                "x.y",
                "z",
            ),
        ];
        for (event, name, data) in cases {
            let raw = event.encode().unwrap();
            assert_eq!(raw.name(), name);
            assert_eq!(&raw.data()[..], data.as_bytes());
            assert_eq!(raw.decode(), event);
        }
    }
}
