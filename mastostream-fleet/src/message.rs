//! The body of every message the fleet publishes: one JSON object.
//!
//! ```json
//! {"instance":"https://mastodon.social","stream":["hashtag","rust"],"event":"update",
//!  "payload":{"id":"110988741790818968",...},"recovered":false}
//! ```
//!
//! - `instance`: the instance URL as registered;
//! - `stream`: the stream as Mastodon names it in WebSocket messages (`["public:local"]`,
//!   `["hashtag","rust"]`, `["list","42"]`);
//! - `event`: the event name (`update`, `status.update`, `delete`, `notification`, ...);
//!   `gap` for a gap;
//! - `payload`: the entity JSON (embedded, not quoted); a bare id (`delete`,
//!   `announcement.delete`) as a JSON string, since ids exceed 2^53; for a gap,
//!   `{"timeline","after","before","reason"}`;
//! - `recovered`: `true` when the event was fetched over REST after the stream had been
//!   down or unowned.

use bytes::Bytes;
use serde::Serialize;

use crate::source::{Payload, SourceEvent, SourceGap};

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn body(
    instance: &str,
    stream: &[String],
    event: &str,
    payload: &[u8],
    quoted: bool,
    recovered: bool,
) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + instance.len() + 96);
    out.extend_from_slice(b"{\"instance\":");
    put_str(&mut out, instance);
    out.extend_from_slice(b",\"stream\":");
    let _ = serde_json::to_writer(&mut out, stream);
    out.extend_from_slice(b",\"event\":");
    put_str(&mut out, event);
    out.extend_from_slice(b",\"payload\":");
    if quoted {
        put_str(&mut out, &String::from_utf8_lossy(payload));
    } else {
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(b",\"recovered\":");
    out.extend_from_slice(if recovered { b"true" } else { b"false" });
    out.push(b'}');
    Bytes::from(out)
}

/// The body of an event.
pub fn event_body(instance: &str, stream: &[String], e: &SourceEvent) -> Bytes {
    match &e.payload {
        Payload::Json(raw) => body(instance, stream, &e.event, raw, false, e.recovered),
        Payload::Text(t) => body(instance, stream, &e.event, t.as_bytes(), true, e.recovered),
    }
}

#[derive(Serialize)]
struct GapPayload<'a> {
    timeline: &'a str,
    after: Option<&'a str>,
    before: Option<&'a str>,
    reason: &'a str,
}

/// The body of a gap (event `gap`).
pub fn gap_body(instance: &str, stream: &[String], gap: &SourceGap) -> Bytes {
    let payload = serde_json::to_vec(&GapPayload {
        timeline: &gap.timeline,
        after: gap.after.as_deref(),
        before: gap.before.as_deref(),
        reason: &gap.reason,
    })
    .unwrap_or_default();
    body(instance, stream, "gap", &payload, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(b: &Bytes) -> Value {
        serde_json::from_slice(b).expect("valid JSON")
    }

    #[test]
    fn entity_payloads_are_embedded_and_ids_quoted() {
        let stream = vec!["hashtag".to_owned(), "rust".to_owned()];
        let update = SourceEvent {
            event: "update".into(),
            entity: Some("1".into()),
            payload: Payload::Json(Bytes::from_static(
                br#"{"id":"1","content":"<p>\u2028</p>"}"#,
            )),
            recovered: true,
            uri: None,
        };
        let v = parse(&event_body("https://m.example", &stream, &update));
        assert_eq!(
            v,
            json!({"instance":"https://m.example","stream":["hashtag","rust"],"event":"update",
                   "payload":{"id":"1","content":"<p>\u{2028}</p>"},"recovered":true})
        );
        let delete = SourceEvent {
            event: "delete".into(),
            entity: Some("110988741790818968".into()),
            payload: Payload::Text("110988741790818968".into()),
            recovered: false,
            uri: None,
        };
        let v = parse(&event_body("https://m.example", &stream, &delete));
        assert_eq!(v["payload"], json!("110988741790818968"));
        assert_eq!(v["recovered"], json!(false));
    }

    #[test]
    fn gaps_have_their_own_payload() {
        let gap = SourceGap {
            timeline: "home".into(),
            after: Some("5".into()),
            before: None,
            reason: "page cap reached".into(),
        };
        let v = parse(&gap_body("\"odd\" url", &["user".to_owned()], &gap));
        assert_eq!(v["instance"], json!("\"odd\" url"));
        assert_eq!(v["event"], json!("gap"));
        assert_eq!(
            v["payload"],
            json!({"timeline":"home","after":"5","before":null,"reason":"page cap reached"})
        );
    }
}
