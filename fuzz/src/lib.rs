//! Helpers shared by the fuzz targets: turning fuzzer bytes into chunkings and limits, the
//! SSE oracle, event ids and WebSocket payloads, the structured-input format ([`wire`]),
//! server-controlled values over their whole range ([`values`], [`head`]), and
//! `session_ops`' harness ([`session`]).

#![forbid(unsafe_code)]

use bytes::Bytes;
use mastostream_proto::{Event, Id};
use serde_json::Value;

pub mod date;
pub mod head;
pub mod head_check;
pub mod session;
pub mod values;
pub mod wire;

/// Splits `data` into consecutive slices of one buffer, with sizes taken cyclically from
/// `seeds` (each seed byte `s` is a chunk of `s + 1` bytes, so 1 to 256). No seeds: one chunk.
pub fn chunks(data: &Bytes, seeds: &[u8]) -> Vec<Bytes> {
    if seeds.is_empty() {
        return vec![data.clone()];
    }
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let n = (usize::from(seeds[i % seeds.len()]) + 1).min(data.len() - at);
        out.push(data.slice(at..at + n));
        at += n;
        i += 1;
    }
    out
}

/// `data` split in two at `point` (taken modulo `len + 1`): both halves are slices.
pub fn split_at(data: &Bytes, point: usize) -> Vec<Bytes> {
    let p = point % (data.len() + 1);
    vec![data.slice(..p), data.slice(p..)]
}

/// A small limit chosen by a fuzzer byte, or `default` for 0, so that both the limit paths
/// and the normal paths are exercised.
pub fn limit(byte: u8, default: usize) -> usize {
    if byte == 0 {
        default
    } else {
        usize::from(byte)
    }
}

/// Parser limits from a fuzzer byte: each of bits 0–3 picks a small limit (instead of the
/// default) for the head, line, event and error body; bits 4–7 are a scale `n`, and the
/// small limits are `64 + n × steps[0]`, `1 + n × steps[1]`, `1 + n × steps[2]` and
/// `n × steps[3]` bytes.
pub fn small_limits(bits: u8, steps: [usize; 4]) -> mastostream_proto::Limits {
    let d = mastostream_proto::Limits::default();
    let n = usize::from(bits >> 4);
    let pick = |bit: u8, small: usize, default: usize| {
        if bits & (1 << bit) != 0 {
            small
        } else {
            default
        }
    };
    mastostream_proto::Limits {
        max_head: pick(0, 64 + n * steps[0], d.max_head),
        max_line: pick(1, 1 + n * steps[1], d.max_line),
        max_event: pick(2, 1 + n * steps[2], d.max_event),
        max_error_body: pick(3, n * steps[3], d.max_error_body),
    }
}

/// Whether `inner` lies inside `outer` (a zero-copy slice of it).
pub fn is_slice_of(inner: &[u8], outer: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

pub use mastostream_proto::testing::{OracleItem, sse_oracle};

/// The event names `event_decode` picks from (by its first input byte): every name
/// Mastodon sends, and a few it does not.
pub const EVENT_NAMES: [&str; 16] = [
    "update",
    "status.update",
    "delete",
    "notification",
    "conversation",
    "announcement",
    "announcement.reaction",
    "announcement.delete",
    "notifications_merged",
    "filters_changed",
    "encrypted_message",
    "message",
    "status.translated",
    "heartbeat",
    "Update",
    "",
];

/// The id an event is about, read from the decoded event: what [`RawEvent::id`] must give.
///
/// [`RawEvent::id`]: mastostream_proto::RawEvent::id
pub fn event_id(event: &Event) -> Option<&Id> {
    match event {
        Event::Update(s) | Event::StatusUpdate(s) => Some(&s.id),
        Event::Notification(n) => Some(&n.id),
        Event::Conversation(c) => Some(&c.id),
        Event::Announcement(a) => Some(&a.id),
        Event::AnnouncementReaction(r) => Some(&r.announcement_id),
        Event::Delete(id) | Event::AnnouncementDelete(id) => Some(id),
        _ => None,
    }
}

/// The members of a WebSocket message that `ws_message` compares against (others are
/// skipped unparsed, as proto skips them).
#[derive(Debug, serde::Deserialize)]
pub struct WsEnvelope {
    /// `stream`.
    #[serde(default)]
    pub stream: Option<Vec<String>>,
    /// `event`.
    #[serde(default)]
    pub event: Option<String>,
    /// `payload`, any JSON value.
    #[serde(default)]
    pub payload: Option<Value>,
    /// `error`.
    #[serde(default)]
    pub error: Option<String>,
}

/// The text of a WebSocket event's `payload` member, as the SSE transport would carry it:
/// a JSON string's text as is; no payload (or `null`) as empty; a number, boolean, object or
/// array as its compact JSON text, with an integral float written as an integer (`1.0` and
/// `-0` as `1` and `0`).
pub fn ws_payload(payload: Option<&Value>) -> String {
    match payload {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default();
            if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                (f as i64).to_string()
            } else {
                n.to_string()
            }
        }
        Some(other) => other.to_string(),
    }
}
