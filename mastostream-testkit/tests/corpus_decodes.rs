//! The project's realistic corpus decodes completely through `mastostream-proto`: every mix,
//! LF and CRLF, bare bodies and chunked HTTP responses with a head, raw UTF-8 and escaped
//! JSON — with zero malformed events, the generator's exact event sequence and ids, at every
//! chunking tried.

use bytes::Bytes;
use mastostream_proto::{Decoder, Event, JsonBackend, Limits};
use mastostream_testkit::corpus::{self, ChunkMode, CorpusConfig, EventKind, GeneratedEvent, Mix};

/// The decoder's view of a stream: (event name, id) per event, and heartbeats counted.
fn decode(
    wire: &[u8],
    http: bool,
    chunk_sizes: &[usize],
    json: JsonBackend,
) -> (Vec<(String, Option<String>)>, usize) {
    let wire = Bytes::copy_from_slice(wire);
    let mut d = if http {
        Decoder::http(Limits::default())
    } else {
        Decoder::body(Limits::default())
    };
    let (mut events, mut heartbeats) = (Vec::new(), 0);
    let mut at = 0;
    let mut sizes = chunk_sizes.iter().cycle();
    let drain = |d: &mut Decoder, events: &mut Vec<_>, heartbeats: &mut usize| {
        while let Some(frame) = d.poll() {
            let frame = frame.expect("no fatal error on a generated stream");
            match frame.into_event(json) {
                Some(Event::Heartbeat(_)) => *heartbeats += 1,
                Some(e) => {
                    assert!(!e.is_malformed(), "malformed: {e:?}");
                    let id = match &e {
                        Event::Update(s) | Event::StatusUpdate(s) => Some(s.id.to_string()),
                        Event::Delete(id) | Event::AnnouncementDelete(id) => Some(id.to_string()),
                        Event::Notification(n) => Some(n.id.to_string()),
                        Event::Conversation(c) => Some(c.id.to_string()),
                        Event::Announcement(a) => Some(a.id.to_string()),
                        _ => None,
                    };
                    events.push((e.kind().as_str().to_owned(), id));
                }
                None => {}
            }
        }
    };
    while at < wire.len() {
        let n = (*sizes.next().unwrap()).min(wire.len() - at);
        d.feed(wire.slice(at..at + n));
        at += n;
        drain(&mut d, &mut events, &mut heartbeats);
    }
    d.feed_eof();
    drain(&mut d, &mut events, &mut heartbeats);
    (events, heartbeats)
}

/// What the generator says it wrote.
fn expected(cfg: &CorpusConfig) -> (Vec<(String, Option<String>)>, usize) {
    let (mut events, mut heartbeats) = (Vec::new(), 1); // the `:)` greeting
    for e in corpus::events(cfg) {
        match e {
            GeneratedEvent::Heartbeat { .. } => heartbeats += 1,
            GeneratedEvent::Event(e) => {
                // Conversations and announcements carry their ids inside the JSON.
                let id = match e.kind {
                    EventKind::FiltersChanged
                    | EventKind::NotificationsMerged
                    | EventKind::AnnouncementReaction => None,
                    EventKind::Conversation | EventKind::Announcement => {
                        let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
                        v["id"].as_str().map(str::to_owned)
                    }
                    _ => e.id.map(|i| i.to_string()),
                };
                events.push((e.name().to_owned(), id));
            }
        }
    }
    (events, heartbeats)
}

fn backends() -> Vec<JsonBackend> {
    #[cfg(feature = "simd-json")]
    return vec![JsonBackend::SerdeJson, JsonBackend::SimdJson];
    #[cfg(not(feature = "simd-json"))]
    vec![JsonBackend::SerdeJson]
}

#[test]
fn every_mix_and_framing_decodes_exactly_at_every_chunking() {
    let all_kinds = Mix::Weights(EventKind::ALL.iter().map(|k| (*k, 1.0)).collect());
    let mixes = [Mix::User, Mix::Public, Mix::Updates, all_kinds];
    let framings = [
        (false, None, false),
        (true, None, false),
        (false, Some(ChunkMode::default()), true),
        (true, Some(ChunkMode::Writes), true),
        (true, Some(ChunkMode::Random { min: 1, max: 64 }), true),
    ];
    let chunkings: [&[usize]; 5] = [
        &[usize::MAX],
        &[1],
        &[7, 1, 3],
        &[16 * 1024],
        &[1024, 5, 4096, 2],
    ];
    for (m, mix) in mixes.iter().enumerate() {
        for (crlf, chunked, head) in framings {
            for escape_ratio in [0.0, 0.05, 1.0] {
                let cfg = CorpusConfig {
                    events: 80,
                    seed: 11 + m as u64,
                    mix: mix.clone(),
                    crlf,
                    chunked,
                    with_http_head: head,
                    escape_ratio,
                };
                let wire = corpus::generate(&cfg);
                let want = expected(&cfg);
                assert_eq!(want.0.len(), 80);
                for sizes in chunkings {
                    // Byte by byte is slow in debug builds: once per mix and framing.
                    if sizes == [1] && escape_ratio != 0.05 {
                        continue;
                    }
                    for json in backends() {
                        let got = decode(&wire, head, sizes, json);
                        assert_eq!(got, want, "{cfg:?} chunks {sizes:?} {json:?}");
                    }
                }
            }
        }
    }
}
