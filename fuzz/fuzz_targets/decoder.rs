//! `Decoder::http` on arbitrary bytes: fed whole and in fuzzer-chosen chunks (1 to 256
//! bytes each, so also one byte at a time) it hands out identical frames and the same fatal
//! error. Also: a head comes first, nothing comes after `End` or an error, and `buffered()`
//! stays within the limits (plus the 2-byte BOM slack of the SSE parser).
//!
//! Input: `[limits, seed, seed, seed, data...]`; each bit of `limits` picks a small limit
//! (instead of the default) for the head, line, event and error body.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::{chunks, small_limits};
use mastostream_proto::{Decoder, Frame, Limits};

fn limits(bits: u8) -> Limits {
    small_limits(bits, [8, 4, 6, 1])
}

fn run(pieces: Vec<Bytes>, limits: Limits) -> Vec<Result<Frame, String>> {
    let bound = limits.max_head + limits.max_line.max(2) + limits.max_event + limits.max_error_body;
    let mut decoder = Decoder::http(limits);
    let mut frames = Vec::new();
    let mut drain = |decoder: &mut Decoder| {
        while let Some(frame) = decoder.poll() {
            assert!(
                decoder.buffered() <= bound,
                "buffered {}",
                decoder.buffered()
            );
            let over = match &frame {
                Ok(Frame::Head(_)) => {
                    assert!(frames.is_empty(), "head not first");
                    false
                }
                Ok(Frame::End) | Err(_) => true,
                Ok(_) => {
                    assert!(
                        matches!(frames.first(), Some(Ok(Frame::Head(_)))),
                        "body frame before the head"
                    );
                    false
                }
            };
            frames.push(frame.map_err(|e| format!("{e:?}")));
            if over {
                assert!(decoder.is_over());
                assert!(decoder.poll().is_none(), "frame after the end");
                decoder.feed(Bytes::from_static(b"data: x\n\n"));
                assert!(decoder.poll().is_none(), "frame after the end");
            }
        }
    };
    for piece in pieces {
        decoder.feed(piece);
        drain(&mut decoder);
    }
    decoder.feed_eof();
    drain(&mut decoder);
    assert!(decoder.is_over(), "EOF always ends the decoder");
    frames
}

fuzz_target!(|input: &[u8]| {
    let Some((&[bits, s1, s2, s3], data)) = input.split_first_chunk::<4>() else {
        return;
    };
    let limits = limits(bits);
    let data = Bytes::copy_from_slice(data);
    let whole = run(vec![data.clone()], limits);
    assert_eq!(run(chunks(&data, &[s1, s2, s3]), limits), whole, "chunked");
});
