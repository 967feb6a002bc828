//! Server-controlled values over their whole range, as the structured targets write them:
//! `Retry-After` (seconds of any size, digit strings of any length, HTTP-dates of any year
//! 1–9999 in all three formats, dates relative to now, garbage), `Content-Length`
//! (exact, any `u64`, negative, digit strings of any length, conflicting, listed, twice,
//! garbage), `Transfer-Encoding`, chunk-size lines (any hex value and length, leading zeros,
//! extensions), SSE `retry:` fields (any `u64`, longer digit strings, garbage), `Location`
//! (any scheme, relative, very long, garbage, the stream's own URL) and
//! `X-RateLimit-Reset`; plus the oracle for what a `Retry-After` asks for.

use std::time::{Duration, SystemTime};

use crate::date::{Date, from_now};
use crate::wire::Raw;
use crate::wire_enum;

fn digits(raw: &Raw, alphabet: &[u8]) -> Vec<u8> {
    raw.0
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()])
        .collect()
}

wire_enum! {
    /// A `Retry-After` header.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum RetryAfter {
        /// No header.
        Absent,
        /// Any `u64` number of seconds.
        Secs { n: u64 },
        /// Up to 65,535 seconds (around the caps).
        Short { n: u16 },
        /// A digit string of any length up to 255 (each byte a digit), leading zeros kept.
        Digits { digits: Raw },
        /// An IMF-fixdate.
        Imf { date: Date },
        /// An RFC 850 date (two-digit year).
        Rfc850 { date: Date },
        /// An asctime date.
        Asctime { date: Date },
        /// An IMF-fixdate this many seconds from the session's wall clock.
        FromNow { secs: i32 },
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl RetryAfter {
    /// The header value, if there is one; `wall` is the receiver's wall clock.
    pub fn value(&self, wall: SystemTime) -> Option<Vec<u8>> {
        Some(match self {
            RetryAfter::Absent => return None,
            RetryAfter::Secs { n } => n.to_string().into_bytes(),
            RetryAfter::Short { n } => n.to_string().into_bytes(),
            RetryAfter::Digits { digits: d } => digits(d, b"0123456789"),
            RetryAfter::Imf { date } => date.imf().into_bytes(),
            RetryAfter::Rfc850 { date } => date.rfc850().into_bytes(),
            RetryAfter::Asctime { date } => date.asctime().into_bytes(),
            RetryAfter::FromNow { secs } => from_now(wall, *secs).imf().into_bytes(),
            RetryAfter::Raw { bytes } => bytes.0.clone(),
        })
    }
}

/// What a server asks for with `Retry-After`, computed independently of proto: the first
/// header of that name (any case), as UTF-8 with surrounding white space trimmed; only
/// ASCII digits: that many seconds (saturating at `u64::MAX`); else an HTTP-date: the time
/// from `wall` until then (zero for a date in the past); else nothing.
pub fn retry_after_asks<'a>(
    mut headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    wall: SystemTime,
) -> Option<Duration> {
    let (_, value) = headers.find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))?;
    let v = std::str::from_utf8(value).ok()?.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let mut secs = 0u64;
        for d in v.bytes() {
            secs = secs.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        }
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(wall).unwrap_or(Duration::ZERO))
}

wire_enum! {
    /// `Content-Length` headers, against a body of known length.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Length {
        /// None.
        Absent,
        /// The body's length.
        Exact,
        /// Any `u64`.
        Value { n: u64 },
        /// The body's length plus `delta` (short or long bodies).
        Near { delta: i16 },
        /// `-n`.
        Negative { n: u64 },
        /// A digit string of any length up to 255.
        Digits { digits: Raw },
        /// The body's length, then `n`, in two headers.
        Conflicting { n: u64 },
        /// `len, n` in one header.
        List { n: u64 },
        /// The body's length in two headers.
        Twice,
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl Length {
    /// The values of the `Content-Length` headers to write, for a body of `len` bytes.
    pub fn values(&self, len: usize) -> Vec<Vec<u8>> {
        let s = |n: String| n.into_bytes();
        match self {
            Length::Absent => vec![],
            Length::Exact => vec![s(len.to_string())],
            Length::Value { n } => vec![s(n.to_string())],
            Length::Near { delta } => {
                vec![s((len as i64 + i64::from(*delta)).max(0).to_string())]
            }
            Length::Negative { n } => vec![s(format!("-{n}"))],
            Length::Digits { digits: d } => vec![digits(d, b"0123456789")],
            Length::Conflicting { n } => vec![s(len.to_string()), s(n.to_string())],
            Length::List { n } => vec![s(format!("{len}, {n}"))],
            Length::Twice => vec![s(len.to_string()), s(len.to_string())],
            Length::Raw { bytes } => vec![bytes.0.clone()],
        }
    }
}

wire_enum! {
    /// `Transfer-Encoding` headers.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Coding {
        /// None.
        Absent,
        /// `chunked`.
        Chunked,
        /// `identity`.
        Identity,
        /// `gzip, chunked`.
        GzipChunked,
        /// `chunked, gzip` (not chunked last).
        ChunkedGzip,
        /// `chunked` in two headers.
        Twice,
        /// `CHUNKED`.
        Upper,
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl Coding {
    /// The header values.
    pub fn values(&self) -> Vec<Vec<u8>> {
        let v = |s: &str| s.as_bytes().to_vec();
        match self {
            Coding::Absent => vec![],
            Coding::Chunked => vec![v("chunked")],
            Coding::Identity => vec![v("identity")],
            Coding::GzipChunked => vec![v("gzip, chunked")],
            Coding::ChunkedGzip => vec![v("chunked, gzip")],
            Coding::Twice => vec![v("chunked"), v("chunked")],
            Coding::Upper => vec![v("CHUNKED")],
            Coding::Raw { bytes } => vec![bytes.0.clone()],
        }
    }

    /// Whether the final coding is `chunked` (for [`Coding::Raw`]: `None`, unknown).
    pub fn is_chunked(&self) -> Option<bool> {
        match self {
            Coding::Raw { .. } => None,
            Coding::Chunked | Coding::GzipChunked | Coding::Twice | Coding::Upper => Some(true),
            Coding::Absent | Coding::Identity | Coding::ChunkedGzip => Some(false),
        }
    }
}

wire_enum! {
    /// A chunk-size line (without its CRLF), for a chunk of known length.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ChunkSize {
        /// The chunk's length in hex.
        Exact,
        /// Any `u64`, in hex.
        Hex { n: u64 },
        /// A hex digit string of any length up to 255, mixed case.
        Digits { digits: Raw },
        /// The chunk's length after this many leading zeros.
        ZeroPadded { zeros: u8 },
        /// The chunk's length, then `;` and an extension.
        Extension { ext: Raw },
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl ChunkSize {
    /// The size line for a chunk of `len` bytes.
    pub fn line(&self, len: usize) -> Vec<u8> {
        match self {
            ChunkSize::Exact => format!("{len:x}").into_bytes(),
            ChunkSize::Hex { n } => format!("{n:x}").into_bytes(),
            ChunkSize::Digits { digits: d } => digits(d, b"0123456789abcdefABCDEF"),
            ChunkSize::ZeroPadded { zeros } => {
                format!("{}{len:x}", "0".repeat(usize::from(*zeros))).into_bytes()
            }
            ChunkSize::Extension { ext } => {
                let mut l = format!("{len:x};").into_bytes();
                l.extend_from_slice(&ext.0);
                l
            }
            ChunkSize::Raw { bytes } => bytes.0.clone(),
        }
    }
}

wire_enum! {
    /// The value of an SSE `retry:` field.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum RetryField {
        /// Any `u64` number of milliseconds.
        Millis { ms: u64 },
        /// Up to 65,535 ms.
        Short { ms: u16 },
        /// A digit string of any length up to 255 (beyond `u64`).
        Digits { digits: Raw },
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl RetryField {
    /// The field's line: `retry: VALUE\n`.
    pub fn line(&self) -> Vec<u8> {
        let mut l = b"retry: ".to_vec();
        match self {
            RetryField::Millis { ms } => l.extend_from_slice(ms.to_string().as_bytes()),
            RetryField::Short { ms } => l.extend_from_slice(ms.to_string().as_bytes()),
            RetryField::Digits { digits: d } => l.extend(digits(d, b"0123456789")),
            RetryField::Raw { bytes } => l.extend_from_slice(&bytes.0),
        }
        l.push(b'\n');
        l
    }
}

/// `Location` values [`Location::Fixed`] picks from: every scheme, relative forms, the
/// stream's own URLs (loops), malformed ones.
pub const LOCATIONS: [&str; 24] = [
    "/api/v1/streaming/user",
    "/api/v1/streaming",
    "https://m.example/api/v1/streaming/user",
    "HTTPS://M.EXAMPLE:443/api/v1/streaming/user",
    "https://other.example/api/v1/streaming/user",
    "https://other.example:8443/prefix/api/v1/streaming",
    "http://m.example/api/v1/streaming/user",
    "wss://m.example/api/v1/streaming?stream=user",
    "ws://m.example/api/v1/streaming",
    "//other.example/api/v1/streaming/public",
    "../../streaming/public",
    "?stream=user",
    "#fragment",
    "ftp://m.example/x",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "http://[::1",
    "https://m.example:0/",
    "https://m.example:99999/",
    "https://user:pass@m.example/api/v1/streaming/user",
    " /api/v1/streaming/public/local ",
    "https://xn--caf-dma.example/%00",
    "",
];

/// The prefixes of [`Location::Long`].
const LONG_PREFIXES: [&str; 4] = [
    "/",
    "https://m.example/",
    "https://other.example/",
    "wss://m.example/",
];

wire_enum! {
    /// A `Location` header.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Location {
        /// None.
        Absent,
        /// One of [`LOCATIONS`].
        Fixed { i: u8 },
        /// A prefix from a short list, then a path of `len` bytes.
        Long { prefix: u8, len: u16 },
        /// Anything.
        Raw { bytes: Raw },
    }
}

impl Location {
    /// The header value, if there is one.
    pub fn value(&self) -> Option<Vec<u8>> {
        Some(match self {
            Location::Absent => return None,
            Location::Fixed { i } => LOCATIONS[usize::from(*i) % LOCATIONS.len()]
                .as_bytes()
                .to_vec(),
            Location::Long { prefix, len } => {
                let mut v = LONG_PREFIXES[usize::from(*prefix) % LONG_PREFIXES.len()]
                    .as_bytes()
                    .to_vec();
                v.extend((0..usize::from(*len)).map(|i| if i % 8 == 7 { b'/' } else { b'a' }));
                v
            }
            Location::Raw { bytes } => bytes.0.clone(),
        })
    }
}

wire_enum! {
    /// `X-RateLimit-Reset`'s value.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Reset {
        /// An RFC 3339 time, with fractional seconds or not, `Z` or an offset in minutes.
        Rfc3339 { date: Date, frac: bool, offset: Option<i16> },
        /// An RFC 3339 time this many seconds from the session's wall clock.
        FromNow { secs: i32 },
        /// Seconds since the Unix epoch.
        Unix { secs: u64 },
        /// Anything.
        Raw { bytes: Raw },
    }
}

wire_enum! {
    /// Mastodon's rate-limit headers.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum RateLimit {
        /// None.
        Absent,
        /// `X-RateLimit-Remaining` (`0` when `remaining` is even, else that byte) and
        /// `X-RateLimit-Reset`.
        Reset { remaining: u8, reset: Reset },
    }
}

impl RateLimit {
    /// The headers to write.
    pub fn headers(&self, wall: SystemTime) -> Vec<(&'static str, Vec<u8>)> {
        let RateLimit::Reset { remaining, reset } = self else {
            return vec![];
        };
        let remaining = if remaining.is_multiple_of(2) {
            0
        } else {
            *remaining
        };
        let reset = match reset {
            Reset::Rfc3339 { date, frac, offset } => date.rfc3339(*frac, *offset).into_bytes(),
            Reset::FromNow { secs } => from_now(wall, *secs).rfc3339(true, None).into_bytes(),
            Reset::Unix { secs } => secs.to_string().into_bytes(),
            Reset::Raw { bytes } => bytes.0.clone(),
        };
        vec![
            ("X-RateLimit-Limit", b"300".to_vec()),
            ("X-RateLimit-Remaining", remaining.to_string().into_bytes()),
            ("X-RateLimit-Reset", reset),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_oracle_reads_seconds_and_dates() {
        let wall = UNIX_EPOCH + Duration::from_secs(1_795_420_800);
        let ask = |v: &[u8]| retry_after_asks([("Retry-After", v)].into_iter(), wall);
        assert_eq!(ask(b" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(ask(&[b'9'; 40]), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(ask(b"Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(
            ask(from_now(wall, 90).imf().as_bytes()),
            Some(Duration::from_secs(90))
        );
        assert_eq!(ask(b"-5"), None);
        assert_eq!(ask(b"soon"), None);
    }
}
