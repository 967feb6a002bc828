//! The SSE vectors in `tests/vectors/sse/`: each `NAME.sse` body must give exactly the items
//! in `NAME.jsonl` (the `sse2json` driver's format), fed whole, one byte at a time, and split
//! in two at every point.

mod vectors;

use bytes::Bytes;
use mastostream_proto::{Decoder, Frame, Limits};
use serde_json::{Value, json};

/// Runs the decoder over `chunks` and renders its items as `sse2json` objects.
fn run(chunks: &[&[u8]]) -> Vec<Value> {
    let mut decoder = Decoder::body(Limits::default());
    let mut out = Vec::new();
    let drain = |d: &mut Decoder, out: &mut Vec<Value>| {
        while let Some(frame) = d.poll() {
            match frame.expect("a bare body never fails") {
                Frame::Event(e) => out.push(json!({
                    "type": "event",
                    "event": e.event_type_str(),
                    "data": e.data_str(),
                    "id": e.last_event_id_str(),
                })),
                Frame::Comment(c) => {
                    out.push(json!({"type": "comment", "text": String::from_utf8_lossy(&c)}))
                }
                Frame::Retry(ms) => out.push(json!({"type": "retry", "ms": ms})),
                Frame::End => out.push(json!({"type": "end"})),
                other => panic!("unexpected frame {other:?}"),
            }
        }
    };
    for c in chunks {
        decoder.feed(Bytes::copy_from_slice(c));
        drain(&mut decoder, &mut out);
    }
    decoder.feed_eof();
    drain(&mut decoder, &mut out);
    assert_eq!(
        out.pop(),
        Some(json!({"type": "end"})),
        "a bare body ends cleanly"
    );
    out
}

#[test]
fn every_vector_at_every_chunking() {
    vectors::check_all("sse", "sse", 40, run);
}
