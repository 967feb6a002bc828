//! Shared helpers for the mastostream criterion benchmarks: the corpus (generated once into
//! the target directory by the project's own generator), chunkings, and each parser's
//! "drain everything" loop, so that every bench does the same work the same way.
//!
//! The corpus size is `MASTOSTREAM_BENCH_EVENTS` events (default 50,000, about 181 MB, like
//! the reference corpus `gen_corpus.py --events 50000 --seed 1`); CI's smoke run uses a few
//! hundred.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod entities;

use std::convert::Infallible;
use std::hint::black_box;
use std::path::PathBuf;

use bytes::Bytes;
use mastostream_proto::http::{BodyDecoder, BodyKind, BodyOutput, HeadParser};
use mastostream_proto::model::{
    Announcement, AnnouncementReaction, Conversation, Notification, Status,
};
use mastostream_proto::sse::{SseItem, SseParser};
use mastostream_proto::{Decoder, EventKind, Frame, JsonBackend, Limits, RawEvent};
use mastostream_testkit::corpus::{ChunkMode, CorpusConfig, ensure_file};

/// The corpus size used when `MASTOSTREAM_BENCH_EVENTS` is not set.
pub const DEFAULT_EVENTS: usize = 50_000;

/// The chunk sizes the framing benches feed: 1 KiB, 16 KiB, 64 KiB.
pub const CHUNK_SIZES: [usize; 3] = [1 << 10, 16 << 10, 64 << 10];

/// How many events the corpus has: `MASTOSTREAM_BENCH_EVENTS`, else [`DEFAULT_EVENTS`].
pub fn corpus_events() -> usize {
    match std::env::var("MASTOSTREAM_BENCH_EVENTS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("MASTOSTREAM_BENCH_EVENTS={v:?} is not a number")),
        Err(_) => DEFAULT_EVENTS,
    }
}

/// Where generated corpora live: `$CARGO_TARGET_DIR/mastostream-corpus`, else the
/// workspace's `target/mastostream-corpus`.
pub fn corpus_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    target.join("mastostream-corpus")
}

fn load(name: &str, cfg: &CorpusConfig) -> Bytes {
    let path = corpus_dir().join(name);
    if !path.exists() {
        eprintln!("generating {} ({} events)…", path.display(), cfg.events);
    }
    ensure_file(&path, cfg).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Bytes::from(bytes)
}

/// A bare SSE body of `events` events (seed 1, the user stream's mix, LF lines), as
/// `gen_corpus.py --events N --seed 1` writes it.
pub fn sse_corpus(events: usize) -> Bytes {
    let cfg = CorpusConfig {
        events,
        ..CorpusConfig::default()
    };
    load(&format!("corpus-{events}.sse"), &cfg)
}

/// A whole HTTP response: head, then the same body in chunked transfer encoding with random
/// chunk sizes, as `gen_corpus.py --events N --seed 1 --with-http-head --chunked` writes it.
pub fn http_corpus(events: usize) -> Bytes {
    let cfg = CorpusConfig {
        events,
        with_http_head: true,
        chunked: Some(ChunkMode::default()),
        ..CorpusConfig::default()
    };
    load(&format!("corpus-{events}-chunked.http"), &cfg)
}

/// `buf` cut into consecutive `size`-byte slices (the last one shorter), sharing its memory.
pub fn split(buf: &Bytes, size: usize) -> Vec<Bytes> {
    (0..buf.len())
        .step_by(size)
        .map(|at| buf.slice(at..buf.len().min(at + size)))
        .collect()
}

/// Runs our [`SseParser`] over `chunks`, draining every item; returns the number of events.
pub fn mastostream_sse(chunks: &[Bytes]) -> usize {
    let mut parser = SseParser::default();
    let mut events = 0;
    for chunk in chunks {
        parser.feed(chunk.clone());
        while let Some(item) = parser.poll() {
            events += usize::from(matches!(item, SseItem::Event(_)));
            black_box(item);
        }
    }
    parser.finish();
    while let Some(item) = parser.poll() {
        events += usize::from(matches!(item, SseItem::Event(_)));
        black_box(item);
    }
    events
}

/// Runs our [`SseParser`] with the given limits; returns the total data bytes of the events.
pub fn mastostream_sse_with(chunks: &[Bytes], parser: &mut SseParser) -> usize {
    let mut data = 0;
    for chunk in chunks {
        parser.feed(chunk.clone());
        while let Some(item) = parser.poll() {
            if let SseItem::Event(e) = &item {
                data += e.data().len();
            }
            black_box(item);
        }
    }
    parser.finish();
    while let Some(item) = parser.poll() {
        black_box(item);
    }
    data
}

/// The peer `eventsource-stream` over `chunks` (an async `Stream`, driven by
/// `futures::executor::block_on` over `futures::stream::iter`, which never waits); returns
/// the number of events.
pub fn eventsource_stream(chunks: &[Bytes]) -> usize {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    let input = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    futures::executor::block_on(input.eventsource().fold(0, |n, event| {
        black_box(event.expect("eventsource-stream error"));
        async move { n + 1 }
    }))
}

/// The peer `sse-stream` over `chunks` (driven like [`eventsource_stream()`]); returns the
/// number of blocks with data (`sse-stream` also yields data-less blocks, which are not
/// events).
pub fn sse_stream(chunks: &[Bytes]) -> usize {
    use futures::StreamExt;
    let input = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    futures::executor::block_on(sse_stream::SseByteStream::new(input).fold(0, |n, block| {
        let block = block.expect("sse-stream error");
        let event = usize::from(block.data.is_some());
        black_box(block);
        async move { n + event }
    }))
}

/// Runs [`Decoder::http`] over `chunks`, draining every frame; returns the number of events.
/// Panics on a fatal error or a missing end.
pub fn mastostream_http(chunks: &[Bytes]) -> usize {
    let mut decoder = Decoder::http(Limits::default());
    let mut events = 0;
    let mut ended = false;
    let mut drain = |decoder: &mut Decoder| {
        while let Some(frame) = decoder.poll() {
            match frame.expect("the corpus decodes") {
                Frame::Event(e) => {
                    events += 1;
                    black_box(e);
                }
                Frame::End => ended = true,
                other => {
                    black_box(other);
                }
            }
        }
    };
    for chunk in chunks {
        decoder.feed(chunk.clone());
        drain(&mut decoder);
    }
    decoder.feed_eof();
    drain(&mut decoder);
    assert!(ended, "the response did not end cleanly");
    events
}

/// What the typed pipelines count: events decoded, and events that came out malformed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Events handed out (heartbeats not counted).
    pub events: usize,
    /// Of those, how many did not decode.
    pub malformed: usize,
}

/// Runs [`Decoder::http`] over `chunks` and, per event frame, `each` (which gets the raw
/// event). Panics on a fatal error.
fn http_events(chunks: &[Bytes], mut each: impl FnMut(RawEvent)) {
    let mut decoder = Decoder::http(Limits::default());
    let mut drain = |decoder: &mut Decoder| {
        while let Some(frame) = decoder.poll() {
            match frame.expect("the corpus decodes") {
                Frame::Event(e) => {
                    let (name, data, _) = e.into_parts();
                    each(RawEvent::new(name, data));
                }
                other => {
                    black_box(other);
                }
            }
        }
    };
    for chunk in chunks {
        decoder.feed(chunk.clone());
        drain(&mut decoder);
    }
    decoder.feed_eof();
    drain(&mut decoder);
}

/// The full pipeline: [`Decoder::http`] frames, each event decoded into a typed
/// [`Event`](mastostream_proto::Event) with `backend`.
pub fn mastostream_typed(chunks: &[Bytes], backend: JsonBackend) -> Decoded {
    let mut n = Decoded::default();
    http_events(chunks, |raw| {
        let event = raw.decode_with(backend);
        n.events += 1;
        n.malformed += usize::from(event.is_malformed());
        black_box(event);
    });
    n
}

/// Routing without decoding: [`Decoder::http`] frames, and per event its [`EventKind`] and
/// [`RawEvent::id`]. Returns the number of events with an id.
pub fn mastostream_routing(chunks: &[Bytes]) -> usize {
    let mut with_id = 0;
    http_events(chunks, |raw| {
        black_box(raw.kind());
        let id = raw.id();
        with_id += usize::from(id.is_some());
        black_box(id);
    });
    with_id
}

/// The body of an HTTP response, de-chunked by our own [`BodyDecoder`] from the same reads
/// (so the pieces have the read boundaries), for peers that have no HTTP layer. Done once,
/// outside any timing: the peer pipeline gets its HTTP work for free.
pub fn dechunk(chunks: &[Bytes]) -> Vec<Bytes> {
    let mut head = HeadParser::new(1 << 20);
    let mut body: Option<BodyDecoder> = None;
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input = chunk.clone();
        let decoder = match &mut body {
            Some(b) => b,
            None => match head.parse(&mut input).expect("a valid head") {
                Some(h) => body.insert(BodyDecoder::new(BodyKind::of(&h).expect("a body"))),
                None => continue,
            },
        };
        while let BodyOutput::Data(d) = decoder.decode(&mut input).expect("valid chunking") {
            out.push(d);
        }
    }
    out
}

/// Decodes a payload the way a user of a peer SSE crate would: `serde_json` straight into
/// our entity types, picked by event name. Returns whether it decoded.
fn serde_into_ours(name: &str, data: &str) -> bool {
    fn de<T: serde::de::DeserializeOwned>(data: &str) -> bool {
        black_box(serde_json::from_str::<T>(data)).is_ok()
    }
    match EventKind::from_name(name.as_bytes()) {
        EventKind::Update | EventKind::StatusUpdate => de::<Status>(data),
        EventKind::Notification => de::<Notification>(data),
        EventKind::Conversation => de::<Conversation>(data),
        EventKind::Announcement => de::<Announcement>(data),
        EventKind::AnnouncementReaction => de::<AnnouncementReaction>(data),
        // Bare ids and literals: kept as text, as our decoder does.
        _ => {
            black_box(data.to_owned());
            true
        }
    }
}

/// The peer pipeline: `eventsource-stream` over the de-chunked body (see [`dechunk`]), each
/// event decoded with `serde_json` into our entity types.
pub fn eventsource_typed(body: &[Bytes]) -> Decoded {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    let input = futures::stream::iter(body.iter().cloned().map(Ok::<_, Infallible>));
    futures::executor::block_on(
        input
            .eventsource()
            .fold(Decoded::default(), |mut n, event| {
                let event = event.expect("eventsource-stream error");
                n.events += 1;
                n.malformed += usize::from(!serde_into_ours(&event.event, &event.data));
                black_box(event);
                async move { n }
            }),
    )
}

/// One event of `size` bytes of data: `event: update\ndata: aaa…\n\n`.
pub fn large_event(size: usize) -> Bytes {
    let mut wire = b"event: update\ndata: ".to_vec();
    wire.resize(wire.len() + size, b'a');
    wire.extend_from_slice(b"\n\n");
    Bytes::from(wire)
}
