//! Server-controlled values from their whole range: delays, locations, framing, REST
//! delays and rate limits.

use super::*;

/// Writes the scenarios of server-controlled values.
pub fn delays(out: &mut Seeds) {
    // SSE: server delays from the whole range, against several caps and backoffs.
    let mut ops = vec![];
    for (i, retry_after) in retry_afters().into_iter().enumerate() {
        let s = if i % 2 == 0 {
            status::S503
        } else {
            status::S429
        };
        ops.extend([
            Op::Connected { t: 0 },
            response(0, with_retry_after(s, retry_after)),
            Op::ToDeadline,
        ]);
    }
    ops.extend([
        Op::Connected { t: 0 },
        data(0, frag::HUGE_429),
        Op::ToDeadline,
        Op::Connected { t: 0 },
        data(0, frag::Y9999_503),
        Op::ToDeadline,
        Op::Connected { t: 0 },
    ]);
    ops.extend(live(&[frag::RETRY_HUGE]));
    for field in [
        RetryField::Millis { ms: u64::MAX },
        RetryField::Digits {
            digits: Raw(vec![7; 60]),
        },
        RetryField::Short { ms: 0 },
    ] {
        ops.extend([
            Op::Data {
                t: 0,
                chunk: Chunk::Retry { field },
            },
            Op::Eof { t: 0 },
            Op::ToDeadline,
        ]);
        ops.extend(live(&[]));
    }
    for (n, backoff, cap) in [
        (0, 0, 0),
        (1, 0x15, 1),
        (2, 0x3a, 5),
        (3, 0x2f, 7),
        (4, 0x07, 3),
    ] {
        add(
            out,
            &format!("sse_server_delays_{n}"),
            Setup {
                backoff,
                max_server_delay: cap,
                ..plain()
            },
            ops.clone(),
        );
    }

    // SSE: redirects to every kind of Location, loops, long ones.
    let mut ops = vec![];
    for location in (0..24).map(|i| Location::Fixed { i }).chain([
        Location::Long {
            prefix: 1,
            len: 9000,
        },
        Location::Long {
            prefix: 0,
            len: 200,
        },
    ]) {
        let s = if matches!(location, Location::Fixed { i } if i % 2 == 0) {
            status::S301
        } else {
            status::S307
        };
        ops.extend([
            Op::Connected { t: 0 },
            response(
                0,
                Head {
                    location,
                    ..Head::simple(s, 7)
                },
            ),
            Op::ToDeadline,
        ]);
    }
    add(
        out,
        "sse_locations",
        Setup {
            max_redirects: 3,
            ..plain()
        },
        ops,
    );

    // SSE: stream heads with odd framing: lengths, codings, chunk sizes, many headers.
    let mut ops = vec![];
    let heads = [
        (Coding::Chunked, Length::Value { n: u64::MAX }, 0, 0),
        (Coding::Absent, Length::Negative { n: 1 }, 0, 0),
        (Coding::Absent, Length::Conflicting { n: 7 }, 0, 0),
        (
            Coding::ChunkedGzip,
            Length::Digits {
                digits: Raw(vec![1; 30]),
            },
            0,
            0,
        ),
        (Coding::GzipChunked, Length::Twice, 130, 0),
        (Coding::Upper, Length::Absent, 20, 20_000),
    ];
    for (coding, length, filler, long) in heads {
        ops.extend([
            Op::Connected { t: 0 },
            response(
                0,
                Head {
                    coding,
                    length,
                    filler,
                    long,
                    ..Head::simple(status::OK, 0)
                },
            ),
        ]);
        for size in [
            ChunkSize::Hex { n: u64::MAX },
            ChunkSize::Digits {
                digits: Raw(vec![0xff; 40]),
            },
            ChunkSize::ZeroPadded { zeros: 200 },
            ChunkSize::Extension {
                ext: Raw::text("a=b"),
            },
        ] {
            ops.push(Op::Data {
                t: 0,
                chunk: Chunk::Chunked {
                    size,
                    data: Raw::text(":thump\n"),
                },
            });
        }
        ops.push(Op::ToDeadline);
    }
    add(out, "sse_framing", plain(), ops);

    // SSE with catch-up: REST pages answered with rate limits and server delays.
    // Live (the catch-up request opens: the newest transport), then the page answered.
    let mut ops = vec![
        Op::Connected { t: 0 },
        data(0, frag::HEAD),
        data(1, frag::HELLO),
    ];
    for (i, retry_after) in retry_afters().into_iter().enumerate() {
        let rate_limit = RateLimit::Reset {
            remaining: 0,
            reset: match i % 3 {
                0 => Reset::FromNow { secs: 120 },
                1 => Reset::Rfc3339 {
                    date: date(9999, 12, 31),
                    frac: true,
                    offset: Some(-720),
                },
                _ => Reset::Unix { secs: u64::MAX },
            },
        };
        ops.extend([
            Op::Connected { t: 0 },
            response(
                0,
                Head {
                    rate_limit,
                    ..with_retry_after(status::S429, retry_after)
                },
            ),
            Op::ToDeadline,
        ]);
    }
    ops.extend([
        Op::ToDeadline,
        Op::Connected { t: 0 },
        data(0, frag::PAGE_EMPTY),
    ]);
    add(
        out,
        "sse_rest_delays",
        Setup {
            anchor: false,
            resume: true,
            ..setup()
        },
        ops,
    );
}
