//! `SseParser` on arbitrary bytes: fed whole and in fuzzer-chosen chunks (1 to 256 bytes
//! each, so also one byte at a time) it hands out identical items; every item respects the
//! limits, and `buffered()` never exceeds `max_line + max_event` plus 2 bytes (the start of
//! a possible BOM is held before the line limit can apply: with `max_line` of 1, `EF BB`
//! waits for its third byte).
//!
//! When no limit was hit, the items are exactly what a direct transcription of the standard
//! (an oracle over the whole input) gives.
//!
//! Input: `[max_line, max_event, seed, seed, seed, data...]`; a limit byte of 0 means the
//! default 1 MiB, otherwise that many bytes.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::{OracleItem, chunks, limit, sse_oracle};
use mastostream_proto::sse::{SseItem, SseLimits, SseParser};

/// What `buffered()` may hold beyond the limits: a BOM prefix.
const SLACK: usize = 2;

fn run(pieces: Vec<Bytes>, limits: SseLimits) -> Vec<SseItem> {
    let mut parser = SseParser::new(limits);
    let bound = limits.max_line.max(SLACK) + limits.max_event;
    let mut items = Vec::new();
    let mut drain = |parser: &mut SseParser| {
        while let Some(item) = parser.poll() {
            assert!(parser.buffered() <= bound, "buffered {}", parser.buffered());
            match &item {
                SseItem::Event(e) => {
                    assert!(e.data().len() <= limits.max_event);
                    // The type came from an `event:` line within the limit, or is the default.
                    assert!(e.event_type() == "message" || e.event_type().len() < limits.max_line);
                    assert!(e.last_event_id().len() < limits.max_line);
                }
                SseItem::Comment(c) => assert!(c.len() < limits.max_line),
                SseItem::Retry(_) | SseItem::Skipped { .. } => {}
            }
            items.push(item);
        }
        assert!(parser.buffered() <= bound, "buffered {}", parser.buffered());
    };
    for piece in pieces {
        parser.feed(piece);
        drain(&mut parser);
    }
    parser.finish();
    drain(&mut parser);
    assert!(parser.is_finished());
    assert_eq!(parser.buffered(), 0, "buffers kept after the end");
    items
}

fuzz_target!(|input: &[u8]| {
    let Some((&[line, event, s1, s2, s3], data)) = input.split_first_chunk::<5>() else {
        return;
    };
    let limits = SseLimits {
        max_line: limit(line, 1 << 20),
        max_event: limit(event, 1 << 20),
    };
    let data = Bytes::copy_from_slice(data);
    let whole = run(vec![data.clone()], limits);
    assert_eq!(run(chunks(&data, &[s1, s2, s3]), limits), whole, "chunked");
    // When no limit was hit, the result is exactly the standard's, as the oracle computes
    // it over the whole input.
    let text: Option<Vec<OracleItem>> = whole
        .iter()
        .map(|item| match item {
            SseItem::Event(e) => Some(OracleItem::Event(
                e.event_type_str().into_owned(),
                e.data_str().into_owned(),
                e.last_event_id_str().into_owned(),
            )),
            SseItem::Comment(c) => {
                Some(OracleItem::Comment(String::from_utf8_lossy(c).into_owned()))
            }
            SseItem::Retry(ms) => Some(OracleItem::Retry(*ms)),
            SseItem::Skipped { .. } => None,
        })
        .collect();
    if let Some(text) = text {
        assert_eq!(text, sse_oracle(&data), "oracle");
    }
});
