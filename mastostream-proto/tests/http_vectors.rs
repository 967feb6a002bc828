//! The HTTP vectors in `tests/vectors/http/`: each `NAME.http` response must decode to exactly
//! the items in `NAME.jsonl`, fed whole, one byte at a time, and split in two at every point.

mod vectors;

use bytes::Bytes;
use mastostream_proto::{Decoder, ErrorKind, Frame, Limits};
use serde_json::{Value, json};

fn error_kind(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::HeadTooLarge { .. } => "head_too_large",
        ErrorKind::InvalidHead { .. } => "invalid_head",
        ErrorKind::Chunked(_) => "chunked",
        ErrorKind::UnexpectedEof(_) => "unexpected_eof",
        ErrorKind::Status { .. } => "status",
        ErrorKind::NotEventStream { .. } => "not_event_stream",
        _ => "other",
    }
}

fn run(chunks: &[&[u8]]) -> Vec<Value> {
    let mut decoder = Decoder::http(Limits::default());
    let mut out = Vec::new();
    let drain = |d: &mut Decoder, out: &mut Vec<Value>| {
        while let Some(frame) = d.poll() {
            out.push(match frame {
                Ok(Frame::Head(h)) => json!({"type": "head", "status": h.status()}),
                Ok(Frame::Event(e)) => json!({
                    "type": "event",
                    "event": e.event_type_str(),
                    "data": e.data_str(),
                    "id": e.last_event_id_str(),
                }),
                Ok(Frame::Comment(c)) => {
                    json!({"type": "comment", "text": String::from_utf8_lossy(&c)})
                }
                Ok(Frame::Retry(ms)) => json!({"type": "retry", "ms": ms}),
                Ok(Frame::Skipped { .. }) => json!({"type": "skipped"}),
                Ok(Frame::End) => json!({"type": "end"}),
                Err(e) => json!({
                    "type": "error",
                    "kind": error_kind(e.kind()),
                    "status": e.status(),
                    "message": e.server_message(),
                }),
            });
        }
    };
    for c in chunks {
        decoder.feed(Bytes::copy_from_slice(c));
        drain(&mut decoder, &mut out);
    }
    decoder.feed_eof();
    drain(&mut decoder, &mut out);
    assert!(decoder.is_over());
    out
}

#[test]
fn every_vector_at_every_chunking() {
    vectors::check_all("http", "http", 20, run);
}
