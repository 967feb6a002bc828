//! What `http_head` checks on a parsed head, against oracles written here rather than
//! taken from proto: `Retry-After` (any head), `Content-Length` (any head), and, for a
//! generated [`Head`], exactly what was written: the status, the header count, the
//! `Retry-After` delay or date, the `Content-Length`, `Location`, the chunked coding and the
//! rate-limit reset time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use mastostream_proto::http::{ResponseHead, RetryAfter as Parsed};
use mastostream_proto::session::Response;

use crate::head::Head;
use crate::values::{Length, RateLimit, Reset, RetryAfter, retry_after_asks};

/// `Content-Length` as the RFC reads it: every value (comma-separated, in every header) a
/// decimal number that fits a `u64`, all equal. `Some(None)`: no header; `None`: invalid.
pub fn content_length_oracle(head: &ResponseHead) -> Option<Option<u64>> {
    let mut found = None;
    for v in head.header_all("content-length") {
        for part in v.split(|&b| b == b',') {
            let part = part.trim_ascii();
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mut n = 0u64;
            for d in part {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d - b'0')))?;
            }
            if found.is_some_and(|m| m != n) {
                return None;
            }
            found = Some(n);
        }
    }
    Some(found)
}

fn longest_digits(head: &ResponseHead) -> usize {
    head.header_all("content-length")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(|p| p.trim_ascii().len())
        .max()
        .unwrap_or(0)
}

/// Checks any parsed head: `Retry-After` and `Content-Length` agree with the oracles (at
/// `walls`: a delay is read the same whenever it is asked), and nothing panics or
/// overflows in the other accessors.
pub fn check_any(head: &ResponseHead, walls: &[SystemTime]) {
    let parsed = head.retry_after();
    for &wall in walls {
        let headers = head
            .headers()
            .iter()
            .map(|h| (h.name.as_str(), &h.value[..]));
        let oracle = retry_after_asks(headers, wall);
        assert_eq!(
            parsed.map(|r| r.delay_from(wall)),
            oracle,
            "Retry-After {:?} at {wall:?}",
            head.header("retry-after").map(String::from_utf8_lossy)
        );
    }
    match (head.content_length(), content_length_oracle(head)) {
        (Ok(a), Some(b)) => assert_eq!(a, b, "Content-Length"),
        (Err(_), None) => {}
        // Values of 20 digits or more are refused even when they fit (with leading zeros).
        (Err(e), Some(_)) => assert!(longest_digits(head) > 19, "refused a valid length: {e}"),
        (Ok(a), None) => panic!("accepted an invalid Content-Length as {a:?}"),
    }
    let _ = (head.location(), head.is_chunked(), head.is_event_stream());
    let response = Response {
        head: head.clone(),
        body: Bytes::new(),
    };
    let _ = response.rate_limit_reset_after_empty();
    let _ = (response.link("prev"), response.link("next"));
}

fn at(secs: i64) -> Option<SystemTime> {
    u64::try_from(secs)
        .ok()
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
}

/// Checks a head generated from `spec` (with `body_len` for the exact length, written at
/// the wall clock `wall`) that parsed: exactly what was written is read back.
pub fn check_generated(head: &ResponseHead, spec: &Head, body_len: usize, wall: SystemTime) {
    let code = spec.status.code();
    assert_eq!(head.status(), code, "status");
    let written = spec.headers(body_len, wall);
    assert_eq!(head.headers().len(), written.len(), "header count");
    let retry = match &spec.retry_after {
        RetryAfter::Absent => Some(None),
        RetryAfter::Secs { n } => Some(Some(Parsed::Delay(Duration::from_secs(*n)))),
        RetryAfter::Short { n } => Some(Some(Parsed::Delay(Duration::from_secs(u64::from(*n))))),
        RetryAfter::Imf { date } if date.is_real() => Some(
            at(date.unix())
                .filter(|_| date.fields()[0] >= 1970)
                .map(Parsed::At),
        ),
        RetryAfter::Imf { .. } => Some(None),
        _ => None,
    };
    if let Some(want) = retry {
        assert_eq!(
            head.retry_after(),
            want,
            "Retry-After {:?}",
            spec.retry_after
        );
    }
    let len = body_len as u64;
    let cl = match &spec.length {
        Length::Absent => Some(Ok(None)),
        Length::Exact | Length::Twice => Some(Ok(Some(len))),
        Length::Near { delta } => Some(Ok(Some((len as i64 + i64::from(*delta)).max(0) as u64))),
        Length::Negative { .. } => Some(Err(())),
        Length::Conflicting { n } | Length::List { n } if *n != len => Some(Err(())),
        Length::Conflicting { .. } | Length::List { .. } => Some(Ok(Some(len))),
        _ => None,
    };
    if let Some(want) = cl {
        assert_eq!(
            head.content_length().map_err(|_| ()),
            want,
            "{:?}",
            spec.length
        );
    }
    let location = spec
        .location
        .value()
        .map(|v| String::from_utf8(v).expect("ASCII"));
    assert_eq!(
        head.location(),
        location.as_deref().map(str::trim),
        "Location"
    );
    if let Some(chunked) = spec.coding.is_chunked() {
        assert_eq!(head.is_chunked(), chunked, "{:?}", spec.coding);
    }
    check_rate_limit(head, &spec.rate_limit, wall);
}

fn check_rate_limit(head: &ResponseHead, spec: &RateLimit, wall: SystemTime) {
    let response = Response {
        head: head.clone(),
        body: Bytes::new(),
    };
    let got = response.rate_limit_reset_after_empty();
    let RateLimit::Reset { remaining, reset } = spec else {
        return assert_eq!(got, None);
    };
    if !remaining.is_multiple_of(2) {
        return assert_eq!(got, None, "reset with requests remaining");
    }
    let (date, offset) = match reset {
        Reset::Rfc3339 { date, offset, .. } => (date.clone(), *offset),
        Reset::FromNow { secs } => (
            crate::date::Date::from_unix(crate::date::unix(wall) + i64::from(*secs)),
            None,
        ),
        Reset::Unix { secs } => {
            let want = UNIX_EPOCH.checked_add(Duration::from_secs(*secs));
            return assert_eq!(got, want, "X-RateLimit-Reset {secs}");
        }
        Reset::Raw { .. } => return,
    };
    let minutes = offset.map_or(0, |o| {
        let a = i64::from(o.unsigned_abs());
        i64::from(o.signum()) * (a / 60 % 100 * 60 + a % 60)
    });
    let want = at(date.unix() - minutes * 60);
    if date.is_real() {
        assert_eq!(got, want, "X-RateLimit-Reset {date:?} {offset:?}");
    } else {
        // A day the month does not have: refused, or read as the days after.
        assert!(
            got.is_none() || got == want,
            "X-RateLimit-Reset {date:?}: {got:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::head::Status;
    use crate::values::{Coding, Location};
    use crate::wire::Raw;
    use mastostream_proto::http::HeadParser;

    fn parse(bytes: Vec<u8>) -> ResponseHead {
        let mut input = Bytes::from(bytes);
        HeadParser::new(64 * 1024)
            .parse(&mut input)
            .unwrap()
            .expect("a whole head")
    }

    /// The oracles accept what proto reads from generated heads, and would see a
    /// difference: a head that says something else fails them.
    #[test]
    fn generated_heads_read_back() {
        let wall = UNIX_EPOCH + Duration::from_secs(1_795_420_800);
        let walls = [UNIX_EPOCH, wall];
        let date = Date::from_unix(253_402_300_799);
        for (retry_after, length) in [
            (RetryAfter::Secs { n: u64::MAX }, Length::Twice),
            (
                RetryAfter::Digits {
                    digits: Raw(vec![9; 60]),
                },
                Length::Value { n: 5 },
            ),
            (
                RetryAfter::Imf { date: date.clone() },
                Length::Conflicting { n: 1 },
            ),
            (
                RetryAfter::Rfc850 { date: date.clone() },
                Length::Negative { n: 0 },
            ),
            (
                RetryAfter::FromNow { secs: -5 },
                Length::Near { delta: -100 },
            ),
        ] {
            let spec = Head {
                status: Status::Any { code: 503 },
                coding: Coding::GzipChunked,
                length,
                retry_after,
                location: Location::Long {
                    prefix: 2,
                    len: 300,
                },
                rate_limit: RateLimit::Reset {
                    remaining: 0,
                    reset: Reset::Rfc3339 {
                        date: date.clone(),
                        frac: true,
                        offset: Some(-61),
                    },
                },
                filler: 100,
                ..Head::simple(0, 1)
            };
            let head = parse(spec.bytes(10, wall));
            check_any(&head, &walls);
            check_generated(&head, &spec, 10, wall);
            // Another status, or another length, and the check fails.
            let other = Head {
                status: Status::Any { code: 504 },
                ..spec.clone()
            };
            let other = parse(other.bytes(10, wall));
            let wrong = std::panic::catch_unwind(|| check_generated(&other, &spec, 10, wall));
            assert!(wrong.is_err(), "a 504 read as {spec:?}");
            if spec.length == Length::Twice {
                let other = parse(spec.bytes(11, wall));
                let wrong = std::panic::catch_unwind(|| check_generated(&other, &spec, 10, wall));
                assert!(wrong.is_err(), "11 bytes read as 10");
            }
        }
    }

    #[test]
    fn the_length_oracle_refuses_what_does_not_fit() {
        let head =
            |v: &str| parse(format!("HTTP/1.1 200 OK\r\nContent-Length: {v}\r\n\r\n").into_bytes());
        assert_eq!(
            content_length_oracle(&head("18446744073709551615")),
            Some(Some(u64::MAX))
        );
        assert_eq!(content_length_oracle(&head("18446744073709551616")), None);
        assert_eq!(content_length_oracle(&head("7, 7")), Some(Some(7)));
        assert_eq!(content_length_oracle(&head("7, 8")), None);
        assert_eq!(content_length_oracle(&head("+7")), None);
        check_any(&head("000000000000000000000000007"), &[UNIX_EPOCH]);
    }
}
