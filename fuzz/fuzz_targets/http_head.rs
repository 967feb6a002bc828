//! `HeadParser` on arbitrary bytes or on a generated head: whole and in fuzzer-chosen
//! chunks (1 to 256 bytes each, so also one byte at a time) give the same head (or error)
//! and leave the same body bytes; nothing past the limit is ever buffered or accepted.
//! Every head that parses is read through its accessors: `Retry-After` and
//! `Content-Length` agree with independent oracles (`mastostream_fuzz::head_check`), at
//! several wall-clock times; the others do not panic. A generated head (seconds of any
//! size, digit strings of any length, HTTP-dates of any year, `Content-Length` of any
//! value, conflicting or negative, `Location` of any scheme and length, hundreds of
//! headers, long lines, rate-limit resets) reads back exactly as it was written, and must
//! parse when it is well-formed and within the limits.
//!
//! Input: `[limit, seed, seed, seed, mode, data...]`; `limit` 0 is the default 16 KiB,
//! otherwise `limit * 4` bytes. An even `mode`: `data` is the bytes under test. An odd
//! `mode`: `data` is a `Head` and a wall-clock offset (`i32` seconds) in the `wire` format,
//! then the body bytes that follow the head.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Unstructured;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::head::Head;
use mastostream_fuzz::head_check::{check_any, check_generated};
use mastostream_fuzz::wire::Wire;
use mastostream_fuzz::{chunks, date};
use mastostream_proto::http::{HeadParser, ResponseHead};

#[derive(Debug, PartialEq)]
enum Outcome {
    /// The head, and the body bytes left after it.
    Head(ResponseHead, Vec<u8>),
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
                return Outcome::Head(head, rest);
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

/// 2026-11-23 08:00:00 UTC, the wall clock generated dates are relative to.
const WALL0: u64 = 1_795_420_800;

fuzz_target!(|input: &[u8]| {
    let Some((&[l, s1, s2, s3, mode], rest)) = input.split_first_chunk::<5>() else {
        return;
    };
    let limit = if l == 0 {
        16 * 1024
    } else {
        usize::from(l) * 4
    };
    let wall0 = UNIX_EPOCH + Duration::from_secs(WALL0);
    let mut walls = vec![
        UNIX_EPOCH,
        wall0,
        UNIX_EPOCH + Duration::from_secs(253_402_300_799),
    ];
    let (data, spec) = if mode % 2 == 0 {
        (Bytes::copy_from_slice(rest), None)
    } else {
        let mut u = Unstructured::new(rest);
        let (Ok(head), Ok(offset)) = (Head::read(&mut u), i32::read(&mut u)) else {
            return;
        };
        let body = u.take_rest();
        walls.push(date::Date::from_unix(date::unix(wall0) + i64::from(offset)).wall());
        let mut data = head.bytes(body.len(), wall0);
        let head_len = data.len();
        data.extend_from_slice(body);
        (Bytes::from(data), Some((head, body.len(), head_len)))
    };
    let whole = run(vec![data.clone()], limit, data.len());
    if let Outcome::Incomplete(n) = whole {
        // Everything is buffered but the blank lines before the status line, which are
        // skipped (and counted toward the limit) as they arrive.
        let blank = data
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(data.len());
        assert_eq!(
            n,
            data.len() - blank,
            "an incomplete head buffers its input"
        );
    }
    assert_eq!(
        run(chunks(&data, &[s1, s2, s3]), limit, data.len()),
        whole,
        "chunked"
    );
    if let Outcome::Head(head, _) = &whole {
        check_any(head, &walls);
    }
    let Some((spec, body_len, head_len)) = spec else {
        return;
    };
    if !spec.is_clean() {
        return;
    }
    match &whole {
        Outcome::Head(head, _) => check_generated(head, &spec, body_len, wall0),
        outcome => {
            let count = spec.headers(body_len, wall0).len();
            let well_formed = (100..=999).contains(&spec.status.code()) && count <= 128;
            assert!(
                !well_formed || head_len > limit,
                "a well-formed head of {head_len} bytes ({count} headers) within {limit}: {outcome:?}"
            );
        }
    }
});
