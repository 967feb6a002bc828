//! What the behaviours wrap: the known good `update`, the bad payloads, and Mastodon's two
//! encodings of an event (SSE lines, WebSocket messages).

use std::sync::OnceLock;

use super::behaviour::BadPayload;
use crate::corpus::Generator;

/// The id of the good `update` every good stream sends by default.
pub const GOOD_ID: u64 = 114_612_946_477_621_040;

/// The id of the bad `update` a [`BadPayload`] behaviour sends before the good one.
pub const BAD_ID: u64 = 114_612_946_477_621_039;

/// The seed of the payload generator.
const SEED: u64 = 1;

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| Generator::new(SEED))
}

/// The Status JSON (one line) the server sends in the `update` with this id: the testkit
/// corpus generator's status for it (seed 1).
pub fn status_json(id: u64) -> String {
    generator().status_json(id)
}

/// A status for each flooded event, made from one template by replacing its id (ids of the
/// same length keep every event the same size).
pub(crate) struct Template {
    json: String,
    id: String,
}

impl Template {
    pub(crate) fn new() -> Template {
        Template {
            json: status_json(GOOD_ID),
            id: GOOD_ID.to_string(),
        }
    }

    /// The status with id `GOOD_ID + n` (same digit count for any `n` below 10^17).
    pub(crate) fn status(&self, n: u64) -> String {
        self.json
            .replace(&self.id, &GOOD_ID.wrapping_add(n).to_string())
    }
}

/// Mastodon's two SSE writes of one event: `event: NAME\n` and `data: DATA\n\n`.
pub(crate) fn sse_event(name: &str, data: &[u8]) -> [Vec<u8>; 2] {
    let mut line = b"data: ".to_vec();
    line.extend_from_slice(data);
    line.extend_from_slice(b"\n\n");
    [format!("event: {name}\n").into_bytes(), line]
}

/// A JSON string literal holding `s`.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A Mastodon WebSocket message: `{"stream":[...],"event":NAME,"payload":"<text>"}`, the
/// payload encoded as a JSON string (so JSON entities are encoded twice).
pub(crate) fn ws_message(stream: &[String], name: &str, payload: &str) -> String {
    let stream: Vec<String> = stream.iter().map(|s| json_string(s)).collect();
    format!(
        "{{\"stream\":[{}],\"event\":{},\"payload\":{}}}",
        stream.join(","),
        json_string(name),
        json_string(payload)
    )
}

/// `"hostile":` and JSON nested `depth` deep, to splice in as an object's first field.
fn nested_field(bad: BadPayload) -> String {
    match bad {
        BadPayload::NestedArrays(depth) => {
            format!("\"hostile\":{}{},", "[".repeat(depth), "]".repeat(depth))
        }
        BadPayload::NestedObjects(depth) => {
            format!(
                "\"hostile\":{}1{},",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            )
        }
        BadPayload::InvalidUtf8 => String::new(),
    }
}

/// The bad status ([`BAD_ID`]) as SSE `data` bytes.
pub(crate) fn bad_sse_data(bad: BadPayload) -> Vec<u8> {
    let json = status_json(BAD_ID);
    match bad {
        BadPayload::InvalidUtf8 => splice_content(&json, &[0xff, 0xfe, 0xc3, 0x28]),
        _ => splice_first_field(&json, &nested_field(bad)).into_bytes(),
    }
}

/// The bad status ([`BAD_ID`]) as the text of a WebSocket `payload` (a lone surrogate
/// escape stands for invalid UTF-8).
pub(crate) fn bad_ws_payload(bad: BadPayload) -> String {
    let json = status_json(BAD_ID);
    match bad {
        BadPayload::InvalidUtf8 => {
            String::from_utf8_lossy(&splice_content(&json, b"\\ud800")).into_owned()
        }
        _ => splice_first_field(&json, &nested_field(bad)),
    }
}

/// `json` (an object) with `field` inserted right after its opening brace.
fn splice_first_field(json: &str, field: &str) -> String {
    let body = json.strip_prefix('{').unwrap_or(json);
    format!("{{{field}{body}")
}

/// `json` with `bytes` inserted at the start of its first `content` string.
fn splice_content(json: &str, bytes: &[u8]) -> Vec<u8> {
    const KEY: &str = "\"content\":\"";
    let at = json.find(KEY).map_or(0, |i| i + KEY.len());
    let mut out = json.as_bytes()[..at].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&json.as_bytes()[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_status_is_a_status_with_its_id() {
        let json = status_json(GOOD_ID);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["id"], GOOD_ID.to_string());
        assert_eq!(
            GOOD_ID.to_string().len(),
            BAD_ID.to_string().len(),
            "same digit count"
        );
        let t = Template::new();
        let s = t.status(5);
        assert_eq!(s.len(), json.len());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["id"], (GOOD_ID + 5).to_string());
    }

    #[test]
    fn bad_payloads_are_what_they_claim() {
        let utf8 = bad_sse_data(BadPayload::InvalidUtf8);
        assert!(std::str::from_utf8(&utf8).is_err());
        let at = utf8.windows(4).position(|w| w == [0xff, 0xfe, 0xc3, 0x28]);
        let content = utf8.windows(11).position(|w| w == b"\"content\":\"");
        assert_eq!(at, content.map(|c| c + 11), "invalid bytes open content");

        let arrays = String::from_utf8(bad_sse_data(BadPayload::NestedArrays(100_000))).unwrap();
        assert!(arrays.starts_with(&format!("{{\"hostile\":{}]", "[".repeat(100_000))));
        assert!(arrays.contains(&format!("{}],\"id\":\"{BAD_ID}\"", "]".repeat(99_999))));
        // A depth-limited parser refuses it; with the nesting removed it is a status.
        assert!(serde_json::from_str::<serde_json::Value>(&arrays).is_err());
        let shallow = String::from_utf8(bad_sse_data(BadPayload::NestedObjects(3))).unwrap();
        let v: serde_json::Value = serde_json::from_str(&shallow).unwrap();
        assert_eq!(v["hostile"]["a"]["a"]["a"], 1);
        assert_eq!(v["id"], BAD_ID.to_string());

        // Over WebSocket the payload is text; the surrogate makes the inner JSON invalid.
        let ws = bad_ws_payload(BadPayload::InvalidUtf8);
        assert!(ws.contains("\"content\":\"\\ud800"));
        assert!(serde_json::from_str::<serde_json::Value>(&ws).is_err());
        let msg = ws_message(&["user".into()], "update", &ws);
        let outer: serde_json::Value = serde_json::from_str(&msg).unwrap();
        assert_eq!(outer["payload"].as_str(), Some(ws.as_str()));
    }

    #[test]
    fn sse_and_ws_encodings() {
        let [e, d] = sse_event("update", b"{}");
        assert_eq!(
            (e.as_slice(), d.as_slice()),
            (&b"event: update\n"[..], &b"data: {}\n\n"[..])
        );
        assert_eq!(
            ws_message(
                &["hashtag".into(), "rust".into()],
                "update",
                "{\"id\":\"1\"}"
            ),
            r#"{"stream":["hashtag","rust"],"event":"update","payload":"{\"id\":\"1\"}"}"#
        );
    }
}
