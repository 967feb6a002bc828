//! Any chunking gives identical events, end to end: a generated chunked HTTP response,
//! split at random points, decodes to exactly the same whole `Event` values as the
//! response in one piece — through the `Decoder`, and through a `Session` (same items).

use bytes::Bytes;
use mastostream_proto::session::{Item, StreamEvent};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, Decoder, Event, Instance, JsonBackend, Limits};
use proptest::prelude::*;

/// One SSE event of a generated stream (its `event:` and `data:` lines, as Mastodon writes
/// them, with the line ending chosen).
fn sse_event() -> impl Strategy<Value = String> {
    let id = 1u64..10_000;
    prop_oneof![
        id.clone()
            .prop_map(|n| format!("event: update\ndata: {}\n\n", status_json(&sid(n)))),
        id.clone().prop_map(|n| format!(
            "event: notification\ndata: {}\n\n",
            notification_json(&sid(n))
        )),
        id.clone()
            .prop_map(|n| format!("event: delete\ndata: {}\n\n", sid(n))),
        id.clone().prop_map(|n| format!(
            "event: conversation\ndata: {}\n\n",
            conversation_json(&sid(n), &sid(n + 1))
        )),
        id.prop_map(|n| format!(
            "event: status.update\r\ndata: {}\r\n\r\n",
            status_json(&sid(n))
        )),
        Just(":thump\n".to_owned()),
        Just("event: notifications_merged\ndata: 1\n\n".to_owned()),
        Just("event: made.up\ndata: {\"x\":[1,2]}\n\n".to_owned()),
        Just("event: update\ndata: {\"id\":\n\n".to_owned()),
        Just("event: update\ndata: {\"id\":\"1\",\ndata: \"more\":2}\n\n".to_owned()),
    ]
}

/// A whole chunked response carrying `body`, in chunks of the given sizes (cycled).
fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = SSE_HEAD.to_vec();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        rest = tail;
        i += 1;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Splits `wire` at the given points (sorted, deduplicated, in range).
fn split(wire: &[u8], points: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (wire.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut at = 0;
    for c in cuts.into_iter().chain([wire.len()]) {
        pieces.push(Bytes::copy_from_slice(&wire[at..c]));
        at = c;
    }
    pieces
}

/// The events a decoder gives for `pieces`, fed one after the other.
fn decode(pieces: &[Bytes]) -> Vec<Result<Event, String>> {
    let mut d = Decoder::http(Limits::default());
    let mut out = Vec::new();
    let mut drain = |d: &mut Decoder| {
        while let Some(frame) = d.poll() {
            match frame {
                Ok(f) => out.extend(f.into_event(JsonBackend::default()).map(Ok)),
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    };
    for p in pieces {
        d.feed(p.clone());
        drain(&mut d);
    }
    d.feed_eof();
    drain(&mut d);
    out
}

/// The events a session delivers for `pieces`, read one after the other.
fn session_events(pieces: &[Bytes]) -> Vec<StreamEvent> {
    let mut cfg = mastostream_proto::session::SessionConfig::new(
        Instance::parse("https://m.example").unwrap(),
        Channel::User,
    );
    cfg.catch_up.enabled = false;
    let mut sim = Sim::new(cfg);
    let id = sim.until_connect("/api/v1/streaming/user", std::time::Duration::ZERO);
    for p in pieces {
        sim.data(id, p.clone());
    }
    sim.items
        .into_iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_gives_identical_events(
        events in prop::collection::vec(sse_event(), 1..24),
        sizes in prop::collection::vec(1usize..300, 1..8),
        points in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let body = format!(":)\n{}", events.concat());
        let wire = chunked(body.as_bytes(), &sizes);
        let whole = decode(&[Bytes::from(wire.clone())]);
        let pieces = split(&wire, &points);
        prop_assert_eq!(&decode(&pieces), &whole);
        // A clean end: no `Err` at all.
        prop_assert!(whole.iter().all(Result::is_ok), "{whole:?}");
        // `:)` plus one event (or heartbeat) per generated piece.
        prop_assert_eq!(whole.len(), events.len() + 1);
        let one = session_events(&[Bytes::from(wire.clone())]);
        let many = session_events(&pieces);
        prop_assert_eq!(&many, &one);
        prop_assert_eq!(one.len(), whole.len());
        for (s, e) in one.iter().zip(&whole) {
            prop_assert_eq!(Some(&s.event), e.as_ref().ok());
        }
    }
}
