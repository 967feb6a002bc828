//! One-shot REST responses: a bounded collector, and `Link` header pagination.

use bytes::{Bytes, BytesMut};

use crate::error::{Error, ErrorKind};
use crate::http::{BodyDecoder, BodyKind, BodyOutput, HeadParser, ResponseHead};

/// A complete REST response.
#[derive(Clone, Debug)]
pub struct Response {
    /// The response head.
    pub head: ResponseHead,
    /// The whole body.
    pub body: Bytes,
}

impl Response {
    /// The response if its status is `2xx`; otherwise the error naming the status and the
    /// server's message (bounded and escaped).
    pub fn success(self) -> Result<Response, Error> {
        if (200..300).contains(&self.head.status()) {
            return Ok(self);
        }
        let message = crate::http::server_message(&self.head, &self.body);
        Err(ErrorKind::Status {
            head: self.head,
            message,
        }
        .into())
    }

    /// When the server's rate limit is spent (`X-RateLimit-Remaining: 0`), the time it
    /// resets (`X-RateLimit-Reset`, an RFC 3339 timestamp as Mastodon sends it, or Unix
    /// seconds). `None` while requests remain, or when the headers are absent or
    /// unreadable.
    pub fn rate_limit_reset_after_empty(&self) -> Option<std::time::SystemTime> {
        let remaining = self.head.header_str("x-ratelimit-remaining")?;
        if remaining.trim() != "0" {
            return None;
        }
        let reset = self.head.header_str("x-ratelimit-reset")?;
        parse_rfc3339(reset).or_else(|| {
            let secs: u64 = reset.parse().ok()?;
            std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
        })
    }

    /// The URL of the `Link` relation `rel` (`"prev"`, `"next"`), when present.
    pub fn link(&self, rel: &str) -> Option<String> {
        self.head
            .header_all("link")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .find_map(|v| link_rel(v, rel))
    }
}

/// An RFC 3339 timestamp (`2026-12-04T19:30:00.000Z`, `2026-12-04T20:30:00+01:00`) as a
/// wall-clock time; `None` when malformed or before 1970.
pub(crate) fn parse_rfc3339(s: &str) -> Option<std::time::SystemTime> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b.len() > 40 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && sep(i + 3, b":") => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    let secs = u64::try_from(secs).ok()?;
    std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
}

/// Finds `rel` in a `Link` header value: `<url>; rel="prev", <url>; rel="next"`.
pub(crate) fn link_rel(value: &str, rel: &str) -> Option<String> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let url = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let has_rel = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            })
        });
        if has_rel {
            return Some(url.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[derive(Debug)]
enum Stage {
    Head(HeadParser),
    Body {
        head: Box<ResponseHead>,
        body: BodyDecoder,
    },
    Done,
}

/// Reads one whole response, with its body bounded.
#[derive(Debug)]
pub(crate) struct Collector {
    stage: Stage,
    buf: BytesMut,
    max_body: usize,
    max_head: usize,
}

impl Collector {
    pub(crate) fn new(max_head: usize, max_body: usize) -> Self {
        Collector {
            stage: Stage::Head(HeadParser::new(max_head)),
            buf: BytesMut::new(),
            max_body,
            max_head,
        }
    }

    /// Feeds bytes; returns the response once it is complete.
    pub(crate) fn feed(&mut self, mut input: Bytes) -> Result<Option<Response>, Error> {
        loop {
            match &mut self.stage {
                Stage::Head(parser) => {
                    let Some(head) = parser.parse(&mut input)? else {
                        return Ok(None);
                    };
                    if head.is_interim() {
                        self.stage = Stage::Head(HeadParser::new(self.max_head));
                        continue;
                    }
                    let kind = BodyKind::of(&head)?;
                    if let BodyKind::Length(n) = kind
                        && n > self.max_body as u64
                    {
                        self.stage = Stage::Done;
                        return Err(ErrorKind::BodyTooLarge {
                            limit: self.max_body,
                        }
                        .into());
                    }
                    let body = BodyDecoder::new(kind);
                    self.stage = Stage::Body {
                        head: Box::new(head),
                        body,
                    };
                }
                Stage::Body { body, .. } => match body.decode(&mut input)? {
                    BodyOutput::Data(data) => {
                        if self.buf.len() + data.len() > self.max_body {
                            self.stage = Stage::Done;
                            return Err(ErrorKind::BodyTooLarge {
                                limit: self.max_body,
                            }
                            .into());
                        }
                        self.buf.extend_from_slice(&data);
                    }
                    BodyOutput::NeedMore => return Ok(None),
                    BodyOutput::Done => return Ok(Some(self.finish())),
                },
                Stage::Done => return Ok(None),
            }
        }
    }

    /// The connection closed: the response, if its body may end there.
    pub(crate) fn eof(&mut self) -> Result<Response, Error> {
        match &mut self.stage {
            Stage::Head(head) => Err(head.eof()),
            Stage::Done => Err(ErrorKind::UnexpectedEof("response head").into()),
            Stage::Body { body, .. } => {
                body.eof()?;
                Ok(self.finish())
            }
        }
    }

    fn finish(&mut self) -> Response {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Body { head, .. } => Response {
                head: *head,
                body: self.buf.split().freeze(),
            },
            // `finish` is only reached from the body stage.
            _ => Response {
                head: ResponseHead::new(0, "", Vec::new()),
                body: Bytes::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_link_relations() {
        let v = r#"<https://m.example/api/v1/timelines/home?max_id=100>; rel="next", <https://m.example/api/v1/timelines/home?min_id=200>; rel="prev""#;
        assert_eq!(
            link_rel(v, "prev").as_deref(),
            Some("https://m.example/api/v1/timelines/home?min_id=200")
        );
        assert_eq!(
            link_rel(v, "next").as_deref(),
            Some("https://m.example/api/v1/timelines/home?max_id=100")
        );
        assert_eq!(link_rel(v, "last"), None);
        assert_eq!(link_rel("<a>;rel=prev", "prev").as_deref(), Some("a"));
        assert_eq!(
            link_rel("<a>; rel=\"prev next\"", "next").as_deref(),
            Some("a")
        );
        assert_eq!(link_rel("garbage <", "prev"), None);
    }

    #[test]
    fn collects_chunked_and_length_bodies_at_any_split() {
        let wire: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nLink: <https://x/a?min_id=5>; rel=\"prev\"\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n";
        for i in 0..=wire.len() {
            let mut c = Collector::new(16384, 1024);
            let mut got = c.feed(Bytes::copy_from_slice(&wire[..i])).unwrap();
            if got.is_none() {
                got = c.feed(Bytes::copy_from_slice(&wire[i..])).unwrap();
            }
            let r = got.unwrap_or_else(|| panic!("split {i}"));
            assert_eq!(&r.body[..], b"[1,2]");
            assert_eq!(r.link("prev").as_deref(), Some("https://x/a?min_id=5"));
        }
        let mut c = Collector::new(16384, 1024);
        assert!(
            c.feed(Bytes::from_static(b"HTTP/1.1 200 OK\r\n\r\nabc"))
                .unwrap()
                .is_none()
        );
        assert_eq!(&c.eof().unwrap().body[..], b"abc");
    }

    #[test]
    fn rfc3339_timestamps() {
        use std::time::{Duration, SystemTime};
        let t = |s| parse_rfc3339(s).and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(Duration::ZERO));
        assert_eq!(
            t("2026-12-04T19:30:00.123Z"),
            Some(Duration::from_secs(1_796_412_600))
        );
        assert_eq!(
            t("2026-12-04T20:30:00+01:00"),
            Some(Duration::from_secs(1_796_412_600))
        );
        assert_eq!(
            t("2000-02-29T00:00:00Z"),
            Some(Duration::from_secs(951_782_400))
        );
        for bad in [
            "",
            "2026-12-04",
            "2026-13-04T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-12-04T19:30:00",
            "x026-12-04T19:30:00Z",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn body_over_the_limit_is_an_error() {
        let mut c = Collector::new(16384, 4);
        let err = c
            .feed(Bytes::from_static(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            ))
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::BodyTooLarge { limit: 4 }));
    }
}
