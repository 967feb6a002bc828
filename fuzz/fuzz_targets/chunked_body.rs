//! `BodyDecoder` (chunked) on arbitrary bytes: whole, split in two at a point taken from the
//! input, and in fuzzer-chosen small chunks give the same body, the same ending (done, error,
//! or what EOF says) and consume the same bytes. Body pieces are slices of the input (no
//! copy), so the body is never longer than the input.
//!
//! Input: `[split_hi, split_lo, seed, seed, seed, data...]`.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::{chunks, is_slice_of, split_at};
use mastostream_proto::http::{BodyDecoder, BodyKind, BodyOutput};

#[derive(Debug, PartialEq)]
struct Outcome {
    body: Vec<u8>,
    end: String,
    consumed: usize,
}

fn run(pieces: Vec<Bytes>) -> Outcome {
    let mut decoder = BodyDecoder::new(BodyKind::Chunked);
    let mut body = Vec::new();
    let mut consumed = 0;
    for piece in pieces {
        let mut input = piece.clone();
        let end = loop {
            match decoder.decode(&mut input) {
                Ok(BodyOutput::Data(d)) => {
                    assert!(!d.is_empty(), "empty data piece");
                    assert!(is_slice_of(&d, &piece), "body data is a copy");
                    body.extend_from_slice(&d);
                }
                Ok(BodyOutput::NeedMore) => {
                    assert!(input.is_empty(), "NeedMore with input left");
                    break None;
                }
                Ok(BodyOutput::Done) => {
                    assert!(decoder.is_done());
                    assert_eq!(decoder.decode(&mut input).ok(), Some(BodyOutput::Done));
                    break Some("done".to_string());
                }
                Err(e) => break Some(format!("{e:?}")),
            }
        };
        consumed += piece.len() - input.len();
        if let Some(end) = end {
            return Outcome {
                body,
                end,
                consumed,
            };
        }
    }
    let end = format!("eof: {:?}", decoder.eof());
    Outcome {
        body,
        end,
        consumed,
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&[hi, lo, s1, s2, s3], data)) = input.split_first_chunk::<5>() else {
        return;
    };
    let data = Bytes::copy_from_slice(data);
    let whole = run(vec![data.clone()]);
    assert!(whole.body.len() <= data.len(), "more body than input");
    assert!(whole.consumed <= data.len());
    if whole.end == "done" {
        // The smallest chunked framing is the last chunk `0\r\n\r\n` (a bare LF allowed).
        assert!(whole.body.len() + 3 <= whole.consumed);
    }
    let point = usize::from(u16::from_be_bytes([hi, lo]));
    assert_eq!(run(split_at(&data, point)), whole, "split at {point}");
    assert_eq!(run(chunks(&data, &[s1, s2, s3])), whole, "chunked");
});
