//! `HeadParser` on arbitrary bytes: whole and in fuzzer-chosen chunks (1 to 256 bytes each,
//! so also one byte at a time) give the same head (or error) and leave the same body bytes;
//! nothing past the limit is ever buffered or accepted.
//!
//! Input: `[limit, seed, seed, seed, data...]`; `limit` 0 is the default 16 KiB, otherwise
//! `limit * 4` bytes.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::chunks;
use mastostream_proto::http::HeadParser;

#[derive(Debug, PartialEq)]
enum Outcome {
    /// The head, and the body bytes left after it.
    Head(String, Vec<u8>),
    Error(String),
    /// All input consumed, head incomplete; bytes buffered.
    Incomplete(usize),
}

fn run(pieces: Vec<Bytes>, limit: usize, total: usize) -> Outcome {
    let mut parser = HeadParser::new(limit);
    let mut pieces = pieces.into_iter();
    while let Some(mut piece) = pieces.next() {
        match parser.parse(&mut piece) {
            Ok(Some(head)) => {
                let mut rest = piece.to_vec();
                pieces.for_each(|p| rest.extend_from_slice(&p));
                assert!(total - rest.len() <= limit, "head over the limit accepted");
                return Outcome::Head(format!("{head:?}"), rest);
            }
            Ok(None) => {
                assert!(piece.is_empty(), "an incomplete head consumes its input");
                assert!(parser.buffered() <= limit, "buffered past the limit");
            }
            Err(e) => return Outcome::Error(format!("{e:?}")),
        }
    }
    Outcome::Incomplete(parser.buffered())
}

fuzz_target!(|input: &[u8]| {
    let Some((&[l, s1, s2, s3], data)) = input.split_first_chunk::<4>() else {
        return;
    };
    let limit = if l == 0 {
        16 * 1024
    } else {
        usize::from(l) * 4
    };
    let data = Bytes::copy_from_slice(data);
    let whole = run(vec![data.clone()], limit, data.len());
    if let Outcome::Incomplete(n) = whole {
        assert_eq!(n, data.len());
    }
    assert_eq!(
        run(chunks(&data, &[s1, s2, s3]), limit, data.len()),
        whole,
        "chunked"
    );
});
