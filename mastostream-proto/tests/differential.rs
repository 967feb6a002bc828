//! serde_json and simd-json give identical events: over every fixture (valid, malformed,
//! WebSocket) and over random corruptions of them. Only the wording of JSON error messages
//! may differ. Run with `cargo test -p mastostream-proto --features simd-json`.

#![cfg(feature = "simd-json")]

mod common;

use bytes::Bytes;
use common::{comparable, fixtures, flat_fixtures};
use mastostream_proto::ws;
use mastostream_proto::{JsonBackend, RawEvent};
use proptest::prelude::*;

fn same_event(name: &str, data: &Bytes) {
    let raw = RawEvent::new(Bytes::copy_from_slice(name.as_bytes()), data.clone());
    let serde = comparable(raw.decode_with(JsonBackend::SerdeJson));
    let simd = comparable(raw.decode_with(JsonBackend::SimdJson));
    assert_eq!(
        serde,
        simd,
        "{name}: {:?}",
        String::from_utf8_lossy(&data[..data.len().min(200)])
    );
}

fn same_ws(data: &[u8]) {
    let serde = ws::decode_with(data, JsonBackend::SerdeJson);
    let simd = ws::decode_with(data, JsonBackend::SimdJson);
    match (serde, simd) {
        (
            Ok(ws::WsMessage::Event {
                stream: a,
                channel: b,
                event: c,
                data: d,
            }),
            Ok(ws::WsMessage::Event {
                stream: x,
                channel: y,
                event: z,
                data: w,
            }),
        ) => {
            assert_eq!((a, b, comparable(c), d), (x, y, comparable(z), w));
        }
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(&a),
            std::mem::discriminant(&b),
            "{a:?} vs {b:?}"
        ),
        (a, b) => panic!(
            "backends disagree: {a:?} vs {b:?} on {:?}",
            String::from_utf8_lossy(data)
        ),
    }
}

#[test]
fn every_fixture_decodes_identically() {
    let mut count = 0;
    for group in ["events", "malformed"] {
        for f in fixtures(group) {
            same_event(&f.event, &f.data);
            count += 1;
        }
    }
    for (_, data) in flat_fixtures("ws") {
        same_ws(&data);
        count += 1;
    }
    assert!(count > 90, "{count}");
}

#[test]
fn numeric_edge_cases_decode_identically() {
    let numbers = [
        "0",
        "-0",
        "0.0",
        "-0.0",
        "5",
        "-5",
        "1e2",
        "1E+2",
        "5.0",
        "1.5",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "4.9e-324",
        "2.2250738585072014e-308",
    ];
    for n in numbers {
        same_event(
            "conversation",
            &Bytes::from(format!(r#"{{"id":{n},"unread":true}}"#)),
        );
        same_event(
            "announcement.reaction",
            &Bytes::from(format!(
                r#"{{"name":"x","count":{n},"announcement_id":"1"}}"#
            )),
        );
        same_event("delete", &Bytes::from(n));
        // In an ignored field, where only the parser sees it.
        same_event(
            "conversation",
            &Bytes::from(format!(r#"{{"id":"1","future":[{n}]}}"#)),
        );
        same_ws(format!(r#"{{"error":"x","status":{n}}}"#).as_bytes());
        same_ws(format!(r#"{{"stream":["user"],"event":"delete","payload":{n}}}"#).as_bytes());
    }
}

/// Corruptions that hit the places where parsers differ: structure, escapes, numbers,
/// UTF-8, literals.
fn corrupt(data: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    const BYTES: &[u8] = b"{}[],:\"\\0123456789-+.eEtfnu \t\n\xff\xc3\xa9\x00";
    let mut out = data.to_vec();
    for &(at, op, pick) in edits {
        if out.is_empty() {
            break;
        }
        let at = at % out.len();
        let byte = BYTES[pick as usize % BYTES.len()];
        match op % 5 {
            0 => out[at] = byte,
            1 => out.insert(at, byte),
            2 => {
                out.remove(at);
            }
            3 => out.truncate(at),
            _ => {
                // Duplicate a slice: repeated keys, doubled values.
                let end = (at + 16).min(out.len());
                let piece = out[at..end].to_vec();
                out.splice(at..at, piece);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_fixtures_decode_identically(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let all = fixtures("events");
        let f = pick.get(&all);
        let data = Bytes::from(corrupt(&f.data, &edits));
        same_event(&f.event, &data);
    }

    #[test]
    fn corrupted_ws_messages_decode_identically(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let all = flat_fixtures("ws");
        let (_, data) = pick.get(&all);
        same_ws(&corrupt(data, &edits));
    }

    #[test]
    fn numbers_decode_identically(n in any::<f64>(), i in any::<i64>(), text in "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?") {
        // Floats land in media meta, integers in counts; odd spellings too.
        for number in [format!("{n:?}"), i.to_string(), text] {
            let data = Bytes::from(format!(
                r#"{{"id":"1","type":"image","meta":{{"aspect":{number},"width":{number},"original":{{"duration":{number},"bitrate":{number}}}}}}}"#
            ));
            let status = format!(
                r#"{{"id":"1","created_at":"x","visibility":"public","uri":"u","replies_count":{number},"account":{{"id":"2","username":"a","acct":"a","created_at":"x"}},"media_attachments":[{}]}}"#,
                String::from_utf8_lossy(&data)
            );
            same_event("update", &Bytes::from(status));
        }
    }
}
