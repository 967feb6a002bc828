//! What the server side of `session_ops` sends: fixed fragments of stream and REST
//! responses (built from `mastostream_proto::testing`'s wire fixtures), fixed bodies,
//! WebSocket messages, and the bytes of the generated [`Chunk`]s.

use std::sync::OnceLock;
use std::time::SystemTime;

use bytes::Bytes;
pub use mastostream_proto::testing::fragments;
use mastostream_proto::testing::{
    INSTANCE_V1, INSTANCE_V2, INSTANCE_V2_OTHER, chunk, conversation_json, notification_json, sid,
    status_json,
};

use super::input::{Body, Chunk, Message};

/// The bodies `Body { i }` picks from: stream starts, REST pages, instance information,
/// errors, garbage, nothing.
pub const BODIES: usize = 15;

fn body_text(i: u8) -> String {
    let home = |items: &[String]| format!("[{}]", items.join(","));
    match i as usize % BODIES {
        0 => ":)\n".to_owned(),
        1 => format!("event: update\ndata: {}\n\n:thump\n", status_json(&sid(14))),
        2 => home(&[status_json(&sid(7))]),
        3 => home(
            &(10..22)
                .rev()
                .map(|n| status_json(&sid(n)))
                .collect::<Vec<_>>(),
        ),
        4 => "[]".to_owned(),
        5 => home(&[notification_json(&sid(8))]),
        6 => home(&[conversation_json(&sid(11), &sid(12))]),
        7 => r#"{"error":"Too many requests"}"#.to_owned(),
        8 => INSTANCE_V2.to_owned(),
        9 => INSTANCE_V2_OTHER.to_owned(),
        10 => INSTANCE_V1.to_owned(),
        11 => "{}".to_owned(),
        12 => "not json".to_owned(),
        13 => "<html><body>502 Bad Gateway</body></html>".to_owned(),
        _ => String::new(),
    }
}

impl Body {
    /// The body's bytes, framed as one chunk (and the last chunk when it ends) when
    /// `chunked`.
    pub fn bytes(&self, chunked: bool) -> Vec<u8> {
        let text = body_text(self.i);
        if !chunked {
            return text.into_bytes();
        }
        let mut out = Vec::new();
        if !text.is_empty() {
            out.extend_from_slice(&chunk(text.as_bytes()));
        }
        if self.end {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        out
    }
}

impl Chunk {
    /// The bytes to hand over; `wall` is the session's wall clock (for dates relative to
    /// it).
    pub fn bytes(&self, wall: SystemTime) -> Bytes {
        match self {
            Chunk::Fragment { i } => {
                let f = fragments();
                f[usize::from(*i) % f.len()].clone()
            }
            Chunk::Raw { bytes } => Bytes::copy_from_slice(&bytes.0),
            Chunk::Response { head, body } => {
                let body = body.bytes(head.coding.is_chunked().unwrap_or(false));
                let mut out = head.bytes(body.len(), wall);
                out.extend_from_slice(&body);
                Bytes::from(out)
            }
            Chunk::Chunked { size, data } => {
                let mut out = size.line(data.0.len());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&data.0);
                out.extend_from_slice(b"\r\n");
                Bytes::from(out)
            }
            Chunk::Retry { field } => chunk(&field.line()),
        }
    }
}

impl Message {
    /// The message's bytes.
    pub fn bytes(&self) -> Bytes {
        match self {
            Message::Fixture { i } => {
                let m = ws_messages();
                m[usize::from(*i) % m.len()].clone()
            }
            Message::Raw { bytes } => Bytes::copy_from_slice(&bytes.0),
        }
    }
}

/// What `Message::Fixture { i }` sends (index modulo the length): proto's WebSocket
/// fixtures, events on the streams of [`channels`](super::channels), errors and garbage.
pub fn ws_messages() -> &'static [Bytes] {
    static MESSAGES: OnceLock<Vec<Bytes>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let wrap = |stream: &str, name: &str, payload: &str| {
            Bytes::from(format!(
                r#"{{"stream":{stream},"event":"{name}","payload":{}}}"#,
                serde_json::Value::from(payload)
            ))
        };
        let mut messages: Vec<Bytes> = WS_FIXTURES.iter().map(|f| Bytes::from_static(f)).collect();
        messages.extend([
            wrap(r#"["user"]"#, "update", &status_json(&sid(5))),
            wrap(r#"["list","42"]"#, "update", &status_json(&sid(9))),
            wrap(r#"["hashtag","rust"]"#, "update", &status_json(&sid(14))),
            wrap(r#"["hashtag","rust"]"#, "delete", &sid(3)),
            wrap(
                r#"["user:notification"]"#,
                "notification",
                &notification_json(&sid(4)),
            ),
            wrap(
                r#"["direct"]"#,
                "conversation",
                &conversation_json(&sid(6), &sid(15)),
            ),
            wrap(r#"["user"]"#, "update", "{\"id\":"),
            Bytes::from_static(br#"{"error":"Unknown channel requested","status":"400"}"#),
            Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
            Bytes::from_static(br#"{"error":"Server error","status":503}"#),
            Bytes::from_static(b"garbage"),
            Bytes::from_static(b"{}"),
            Bytes::new(),
        ]);
        messages
    })
}

/// proto's WebSocket message fixtures.
const WS_FIXTURES: [&[u8]; 13] = [
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/announcement_delete.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/announcement_reaction.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/conversation_direct.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/delete_list.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/error_401.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/error_no_status.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/filters_changed_no_payload.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/notification_user.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/notifications_merged.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/public_local_media.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/status_update_local_hashtag.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/unknown_event.json"),
    include_bytes!("../../../mastostream-proto/tests/fixtures/ws/update_hashtag.json"),
];
