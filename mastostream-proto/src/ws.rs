//! Mastodon's WebSocket streaming messages, as pure functions (no socket).
//!
//! The WebSocket endpoint (`wss://HOST/api/v1/streaming`) multiplexes streams. The client
//! sends [`subscribe`] and [`unsubscribe`] messages; the server sends events tagged with the
//! stream they belong to, and errors. An event's payload is JSON text inside a JSON string
//! (encoded twice), except the bare ids of `delete` and `announcement.delete` and the `"1"`
//! of `notifications_merged`. [`decode`] unwraps it and decodes it exactly as the SSE
//! transport does, so both transports give the same [`Event`]s.
//!
//! ```
//! use mastostream_proto::ws::{self, WsMessage};
//! use mastostream_proto::{Channel, Event};
//!
//! assert_eq!(
//!     ws::subscribe(&Channel::hashtag("rust")),
//!     r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#
//! );
//!
//! let text = r#"{"stream":["hashtag","rust"],"event":"delete","payload":"110988741790818968"}"#;
//! match ws::decode(text).unwrap() {
//!     WsMessage::Event { channel, event, .. } => {
//!         assert_eq!(channel, Some(Channel::hashtag("rust")));
//!         assert_eq!(event, Event::Delete("110988741790818968".into()));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//!
//! let text = r#"{"error":"Missing access token","status":401}"#;
//! assert_eq!(
//!     ws::decode(text).unwrap(),
//!     WsMessage::Error { error: "Missing access token".into(), status: Some(401) }
//! );
//! ```

use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use crate::json::{self, JsonBackend};
use crate::{Channel, DecodeError, Event, RawEvent};

/// A message from the server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WsMessage {
    /// An event on one of the subscribed streams.
    Event {
        /// The stream as the server named it: the stream name, then its parameter
        /// (`["hashtag", "rust"]`, `["list", "42"]`, `["user"]`).
        stream: Vec<String>,
        /// The same stream as a [`Channel`]; `None` when the name is unknown to this
        /// version or the message named no stream.
        channel: Option<Channel>,
        /// The decoded event (possibly [`Event::Malformed`] when its payload is bad).
        event: Event,
        /// The payload as the server sent it (unwrapped from its JSON string).
        data: Bytes,
    },
    /// A server's acknowledgement of a client message (Pleroma's
    /// `{"event":"pleroma:respond","payload":"{\"result\":\"success\",\"type\":\"subscribe\"}"}`).
    Ack {
        /// What it acknowledges (`subscribe`, `unsubscribe`, ...).
        what: String,
    },
    /// An error, such as a failed subscription: `{"error":"…","status":401}` (Mastodon), or
    /// Pleroma's `pleroma:respond` event with `"result":"error"`.
    Error {
        /// The server's message.
        error: String,
        /// The HTTP-like status code, if the server sent one.
        status: Option<u16>,
    },
}

/// Decodes a server message with the default JSON backend.
///
/// An `Err` means the message itself is not a Mastodon server message (not JSON, or neither
/// an event nor an error); it costs that message only. A well-formed message whose event
/// payload is bad is `Ok` with an [`Event::Malformed`] inside.
pub fn decode(message: impl AsRef<[u8]>) -> Result<WsMessage, DecodeError> {
    decode_with(message, JsonBackend::default())
}

/// Decodes a server message with the given JSON backend (see [`decode`]).
pub fn decode_with(
    message: impl AsRef<[u8]>,
    backend: JsonBackend,
) -> Result<WsMessage, DecodeError> {
    let envelope: Envelope = json::object_from_slice(backend, message.as_ref())?;
    match (envelope.event, envelope.error) {
        (Some(name), _) => {
            let stream = envelope.stream.unwrap_or_default();
            let channel = Channel::from_stream(&stream);
            let data = match envelope.payload {
                None => String::new(),
                Some(Payload::Text(text)) => text,
                Some(Payload::Json) => json_payload(message.as_ref())?,
            };
            if name == "pleroma:respond" {
                return Ok(pleroma_respond(&data));
            }
            let data = Bytes::from(data);
            let raw = RawEvent::new(Bytes::from(name), data.clone());
            Ok(WsMessage::Event {
                stream,
                channel,
                event: raw.decode_with(backend),
                data,
            })
        }
        (None, Some(error)) => Ok(WsMessage::Error {
            error,
            status: envelope.status.and_then(|s| s.0),
        }),
        (None, None) => Err(DecodeError::Unexpected {
            message: "WebSocket message has neither an `event` nor an `error`".to_owned(),
        }),
    }
}

/// Pleroma's answer to a client message (`pleroma_respond.json` in Pleroma's
/// `lib/pleroma/web/views/streamer_view.ex`): `{"result":"success","type":"subscribe"}` or
/// `{"result":"error","error":"bad_topic","type":"subscribe"}`. Its error names map to the
/// statuses Mastodon gives the same refusals.
fn pleroma_respond(payload: &str) -> WsMessage {
    #[derive(Deserialize)]
    struct Respond {
        #[serde(default)]
        result: Option<String>,
        #[serde(default)]
        error: Option<String>,
        #[serde(default, rename = "type")]
        what: Option<String>,
    }
    let r: Respond = serde_json::from_str(payload).unwrap_or(Respond {
        result: None,
        error: Some(crate::http::quoted(payload)),
        what: None,
    });
    match (r.result.as_deref(), r.error) {
        (Some("success"), _) => WsMessage::Ack {
            what: r.what.unwrap_or_default(),
        },
        (_, error) => {
            let error = error.unwrap_or_else(|| "unknown error".to_owned());
            let status = match error.as_str() {
                "bad_topic" => Some(400),
                "unauthorized" => Some(401),
                _ => None,
            };
            WsMessage::Error { error, status }
        }
    }
}

/// The message that subscribes to a stream, such as
/// `{"type":"subscribe","stream":"list","list":"42"}`.
pub fn subscribe(channel: &Channel) -> String {
    client_message("subscribe", channel)
}

/// The message that unsubscribes from a stream, such as
/// `{"type":"unsubscribe","stream":"public:local:media"}`.
pub fn unsubscribe(channel: &Channel) -> String {
    client_message("unsubscribe", channel)
}

fn client_message(kind: &str, channel: &Channel) -> String {
    let mut message = format!(r#"{{"type":"{kind}","stream":"{}""#, channel.name());
    if let Some((key, value)) = channel.param() {
        // `Value`'s Display writes a correctly escaped JSON string and cannot fail.
        let value = serde_json::Value::from(value);
        message.push_str(&format!(r#","{key}":{value}"#));
    }
    message.push('}');
    message
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    stream: Option<Vec<String>>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    payload: Option<Payload>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    status: Option<Status>,
}

/// An event payload as the envelope holds it.
enum Payload {
    /// A JSON string (the payload encoded twice, as Mastodon sends it): its text.
    Text(String),
    /// Any other JSON value (a server that does not encode twice), skipped here: its text
    /// is taken from serde_json's reading of the message ([`json_payload`]) whatever the
    /// backend, because the backends read numbers differently (`-0` is an integer to
    /// simd-json and a float to serde_json, so a payload `{"x":-0}` would be `{"x":0}` to
    /// one and `{"x":-0.0}` to the other).
    Json,
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PayloadVisitor;
        impl<'de> Visitor<'de> for PayloadVisitor {
            type Value = Payload;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event payload")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Payload, E> {
                Ok(Payload::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Payload, E> {
                Ok(Payload::Text(v))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Payload, E> {
                Ok(Payload::Json)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Payload, E> {
                Ok(Payload::Json)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Payload, E> {
                Ok(Payload::Json)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Payload, E> {
                Ok(Payload::Json)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Payload::Json)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Payload, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Payload::Json)
            }
        }
        deserializer.deserialize_any(PayloadVisitor)
    }
}

/// The text of a payload that is not a JSON string, read by serde_json from the whole
/// message: the value's compact JSON text, an integral float written as an integer.
fn json_payload(message: &[u8]) -> Result<String, DecodeError> {
    #[derive(Deserialize)]
    struct OnlyPayload {
        payload: serde_json::Value,
    }
    let only: json::Object<OnlyPayload> =
        serde_json::from_slice(message).map_err(|e| DecodeError::Json {
            message: e.to_string(),
        })?;
    Ok(match only.0.payload {
        serde_json::Value::Number(n) if n.is_f64() => match n.as_f64().and_then(integral) {
            Some(i) => i.to_string(),
            None => n.to_string(),
        },
        other => other.to_string(),
    })
}

/// The `status` of an error message: a number, or a numeric string; anything else is
/// ignored.
struct Status(Option<u16>);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let status = match &value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .and_then(integral)
                        .and_then(|i| u64::try_from(i).ok())
                })
                .and_then(|n| u16::try_from(n).ok()),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Ok(Status(status))
    }
}

/// The integer a float spells, if it has no fraction and fits an `i64` (`-0` is 0).
fn integral(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < 9_223_372_036_854_775_808.0).then_some(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, PublicScope};

    #[test]
    fn subscribe_messages_for_every_kind() {
        let p = |scope, only_media| Channel::Public { scope, only_media };
        let cases = [
            (Channel::User, r#"{"type":"subscribe","stream":"user"}"#),
            (
                Channel::UserNotification,
                r#"{"type":"subscribe","stream":"user:notification"}"#,
            ),
            (
                p(PublicScope::All, false),
                r#"{"type":"subscribe","stream":"public"}"#,
            ),
            (
                p(PublicScope::All, true),
                r#"{"type":"subscribe","stream":"public:media"}"#,
            ),
            (
                p(PublicScope::Local, false),
                r#"{"type":"subscribe","stream":"public:local"}"#,
            ),
            (
                p(PublicScope::Local, true),
                r#"{"type":"subscribe","stream":"public:local:media"}"#,
            ),
            (
                p(PublicScope::Remote, false),
                r#"{"type":"subscribe","stream":"public:remote"}"#,
            ),
            (
                p(PublicScope::Remote, true),
                r#"{"type":"subscribe","stream":"public:remote:media"}"#,
            ),
            (
                Channel::hashtag("#rust"),
                r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
            ),
            (
                Channel::hashtag("rust").local_only(),
                r#"{"type":"subscribe","stream":"hashtag:local","tag":"rust"}"#,
            ),
            (
                Channel::list("42"),
                r#"{"type":"subscribe","stream":"list","list":"42"}"#,
            ),
            (Channel::Direct, r#"{"type":"subscribe","stream":"direct"}"#),
        ];
        for (channel, expected) in cases {
            assert_eq!(subscribe(&channel), expected);
            assert_eq!(
                unsubscribe(&channel),
                expected.replace("\"subscribe\"", "\"unsubscribe\"")
            );
            let parsed: serde_json::Value = serde_json::from_str(&subscribe(&channel)).unwrap();
            assert_eq!(parsed["stream"], channel.name());
        }
    }

    #[test]
    fn parameters_are_json_escaped() {
        let message = subscribe(&Channel::hashtag("a\"b\\c日本"));
        assert_eq!(
            message,
            r#"{"type":"subscribe","stream":"hashtag","tag":"a\"b\\c日本"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&message).unwrap();
        assert_eq!(parsed["tag"], "a\"b\\c日本");
    }

    #[test]
    fn double_encoded_payloads() {
        let text = r#"{"stream":["user"],"event":"announcement.reaction","payload":"{\"name\":\"🎉\",\"count\":3,\"announcement_id\":\"8\"}"}"#;
        let WsMessage::Event {
            stream,
            channel,
            event,
            ..
        } = decode(text).unwrap()
        else {
            panic!("not an event")
        };
        assert_eq!(stream, ["user"]);
        assert_eq!(channel, Some(Channel::User));
        match event {
            Event::AnnouncementReaction(r) => {
                assert_eq!(
                    (r.name.as_str(), r.count, r.announcement_id.as_str()),
                    ("🎉", 3, "8")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn signals_and_missing_payloads() {
        let merged =
            r#"{"stream":["user:notification"],"event":"notifications_merged","payload":"1"}"#;
        let WsMessage::Event { event, channel, .. } = decode(merged).unwrap() else {
            panic!()
        };
        assert_eq!(event, Event::NotificationsMerged);
        assert_eq!(channel, Some(Channel::UserNotification));
        let filters = r#"{"stream":["user"],"event":"filters_changed"}"#;
        let WsMessage::Event { event, .. } = decode(filters).unwrap() else {
            panic!()
        };
        assert_eq!(event, Event::FiltersChanged);
        // A missing payload where one is needed is a malformed event, not a panic.
        let update = r#"{"stream":["user"],"event":"update"}"#;
        let WsMessage::Event { event, .. } = decode(update).unwrap() else {
            panic!()
        };
        assert!(event.is_malformed());
        assert_eq!(event.kind(), EventKind::Update);
    }

    #[test]
    fn payloads_that_are_not_strings() {
        let text = r#"{"stream":["list","42"],"event":"delete","payload":110988741790818968}"#;
        let WsMessage::Event { event, channel, .. } = decode(text).unwrap() else {
            panic!()
        };
        assert_eq!(event, Event::Delete("110988741790818968".into()));
        assert_eq!(channel, Some(Channel::list("42")));
        let text = r#"{"stream":["user"],"event":"announcement.reaction","payload":{"name":"x","count":1,"announcement_id":"3"}}"#;
        let WsMessage::Event { event, .. } = decode(text).unwrap() else {
            panic!()
        };
        assert!(matches!(event, Event::AnnouncementReaction(r) if r.announcement_id == "3"));
    }

    /// Found by fuzzing: a payload that is not a string was read by each backend, and they
    /// read `-0` differently (`0` for simd-json, `-0.0` for serde_json), so the two gave
    /// different events. serde_json's reading now decides for both.
    #[test]
    fn non_string_payloads_read_alike_on_both_backends() {
        let backends = [
            JsonBackend::SerdeJson,
            #[cfg(feature = "simd-json")]
            JsonBackend::SimdJson,
        ];
        for backend in backends {
            let text = r#"{"event":"conversation","payload":{"if":"3","x":[-0,1.5]}}"#;
            let Ok(WsMessage::Event { event, .. }) = decode_with(text, backend) else {
                panic!("not an event")
            };
            match event {
                Event::Malformed { data, .. } => {
                    assert_eq!(&data[..], br#"{"if":"3","x":[-0.0,1.5]}"#, "{backend:?}")
                }
                other => panic!("{backend:?}: {other:?}"),
            }
            // At the top level, integral numbers are integers.
            for (payload, id) in [
                ("-0", "0"),
                ("7.0", "7"),
                ("110988741790818968", "110988741790818968"),
            ] {
                let text = format!(r#"{{"event":"delete","payload":{payload}}}"#);
                let Ok(WsMessage::Event { event, .. }) = decode_with(&text, backend) else {
                    panic!("not an event")
                };
                assert_eq!(event, Event::Delete(id.into()), "{backend:?} {payload}");
            }
            // A number serde_json cannot read, anywhere in a payload, fails the message.
            let text = r#"{"event":"update","payload":{"a":[1e400]}}"#;
            assert!(decode_with(text, backend).is_err(), "{backend:?}");
        }
    }

    #[test]
    fn unknown_streams_and_events() {
        let text = r#"{"stream":["public:bubble"],"event":"status.translated","payload":"{}"}"#;
        let WsMessage::Event {
            stream,
            channel,
            event,
            ..
        } = decode(text).unwrap()
        else {
            panic!()
        };
        assert_eq!(stream, ["public:bubble"]);
        assert_eq!(
            channel,
            Some(Channel::Other {
                stream: vec!["public:bubble".into()]
            })
        );
        assert_eq!(
            event,
            Event::Unknown {
                name: "status.translated".into(),
                data: Bytes::from_static(b"{}")
            }
        );
        let text = r#"{"event":"delete","payload":"1"}"#;
        let WsMessage::Event {
            stream, channel, ..
        } = decode(text).unwrap()
        else {
            panic!()
        };
        assert!(stream.is_empty());
        assert_eq!(channel, None);
    }

    #[test]
    fn errors() {
        assert_eq!(
            decode(r#"{"error":"Unknown channel requested","status":"400"}"#).unwrap(),
            WsMessage::Error {
                error: "Unknown channel requested".into(),
                status: Some(400)
            }
        );
        assert_eq!(
            decode(r#"{"error":"x","status":70000}"#).unwrap(),
            WsMessage::Error {
                error: "x".into(),
                status: None
            }
        );
        assert_eq!(
            decode(r#"{"error":"x"}"#).unwrap(),
            WsMessage::Error {
                error: "x".into(),
                status: None
            }
        );
    }

    #[test]
    fn pleroma_responds_with_acks_and_errors() {
        let ack = r#"{"event":"pleroma:respond","payload":"{\"result\":\"success\",\"type\":\"subscribe\"}"}"#;
        assert_eq!(
            decode(ack).unwrap(),
            WsMessage::Ack {
                what: "subscribe".into()
            }
        );
        let bad = r#"{"event":"pleroma:respond","payload":"{\"error\":\"bad_topic\",\"result\":\"error\",\"type\":\"subscribe\"}"}"#;
        assert_eq!(
            decode(bad).unwrap(),
            WsMessage::Error {
                error: "bad_topic".into(),
                status: Some(400)
            }
        );
        let chat = r#"{"event":"pleroma:chat_update","payload":"{\"id\":\"7\",\"unread\":2}","stream":["user:pleroma_chat"]}"#;
        let WsMessage::Event { event, .. } = decode(chat).unwrap() else {
            panic!()
        };
        assert!(matches!(event, Event::ChatUpdate(c) if c.id == "7" && c.unread == 2));
        let follow = r#"{"event":"pleroma:follow_relationships_update","payload":"{\"state\":\"follow_accept\",\"follower\":{\"id\":\"1\",\"follower_count\":3,\"following_count\":4},\"following\":{\"id\":\"2\",\"follower_count\":5,\"following_count\":6}}"}"#;
        let WsMessage::Event { event, .. } = decode(follow).unwrap() else {
            panic!()
        };
        assert!(
            matches!(event, Event::FollowRelationshipsUpdate(f) if f.following.follower_count == 5)
        );
    }

    #[test]
    fn not_server_messages() {
        for bad in [
            "",
            "null",
            "[]",
            "{}",
            "{\"stream\":[\"user\"]}",
            "{\"event\":1}",
            "{\"stream\":\"user\",\"event\":\"update\"}",
            "ping",
            "{\"event\":\"update\",\"payload\":\"x\"",
            // Found by fuzzing: the envelope's fields by position were read as a message.
            r#"[[],"z?]",""]"#,
            r#"[["user"],"delete","5"]"#,
            r#"[null,null,null,"Invalid access token",401]"#,
        ] {
            let err = decode(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    DecodeError::Json { .. } | DecodeError::Unexpected { .. }
                ),
                "{bad}: {err:?}"
            );
        }
        assert!(matches!(
            decode(b"{\"error\":\"\xff\"}").unwrap_err(),
            DecodeError::InvalidUtf8 { .. }
        ));
    }
}
