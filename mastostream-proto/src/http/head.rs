//! Response heads: a capped incremental parser over `httparse`.

use std::time::{Duration, SystemTime};

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, ErrorKind};

/// One response header. The value is kept as bytes: header values need not be UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The header name, as the server spelled it.
    pub name: String,
    /// The raw header value.
    pub value: Bytes,
}

/// A parsed HTTP/1.x response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    minor_version: u8,
    status: u16,
    reason: String,
    headers: Vec<Header>,
}

/// The `Retry-After` header: a delay, or a point in wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 30`
    Delay(Duration),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`
    At(SystemTime),
}

impl RetryAfter {
    /// How long to wait from the wall-clock time `now` (an input: proto never reads clocks).
    /// A date in the past means no wait.
    pub fn delay_from(self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

impl ResponseHead {
    /// Builds a head by hand (for tests and for servers written with this crate).
    pub fn new(status: u16, reason: impl Into<String>, headers: Vec<Header>) -> Self {
        ResponseHead {
            minor_version: 1,
            status,
            reason: reason.into(),
            headers,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase (may be empty).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The HTTP minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub fn minor_version(&self) -> u8 {
        self.minor_version
    }

    /// All headers, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| &h.value[..])
    }

    /// Every value of the header `name` (case-insensitive), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| &h.value[..])
    }

    /// The first value of `name` as text, when it is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// `Content-Type`, trimmed.
    pub fn content_type(&self) -> Option<&str> {
        self.header_str("content-type")
    }

    /// Whether `Content-Type` is `text/event-stream` (any parameters, any case).
    pub fn is_event_stream(&self) -> bool {
        self.content_type().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
    }

    /// Whether the final transfer coding is `chunked`.
    pub fn is_chunked(&self) -> bool {
        self.transfer_codings()
            .last()
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"))
    }

    /// The transfer codings named by every `Transfer-Encoding` header, in order.
    pub fn transfer_codings(&self) -> Vec<&str> {
        self.header_all("transfer-encoding")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// `Content-Length`: `Ok(None)` when absent; an error when malformed or when several
    /// headers disagree.
    pub fn content_length(&self) -> Result<Option<u64>, Error> {
        let mut found: Option<u64> = None;
        for v in self.header_all("content-length") {
            for part in v.split(|&b| b == b',') {
                let part = part.trim_ascii();
                let n = parse_decimal(part).ok_or_else(|| invalid("malformed Content-Length"))?;
                match found {
                    Some(m) if m != n => return Err(invalid("conflicting Content-Length values")),
                    _ => found = Some(n),
                }
            }
        }
        Ok(found)
    }

    /// `Retry-After`, in seconds or as an HTTP-date; `None` when absent or unreadable.
    /// Seconds of any length are read, saturating at `u64::MAX` (a server asking for more
    /// than that asks for "a very long time"; callers cap it).
    pub fn retry_after(&self) -> Option<RetryAfter> {
        let v = self.header_str("retry-after")?;
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            let secs = v.bytes().fold(0u64, |n, d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            });
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(v).ok().map(RetryAfter::At)
    }

    /// `Location`, for redirects.
    pub fn location(&self) -> Option<&str> {
        self.header_str("location")
    }

    /// Whether this is an interim (1xx) response, which precedes the real one.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

fn invalid(reason: &str) -> Error {
    ErrorKind::InvalidHead {
        reason: reason.into(),
    }
    .into()
}

/// Incremental response-head parser with a size cap.
///
/// Feed it input with [`HeadParser::parse`]; it takes what belongs to the head out of the
/// input and leaves the rest (the start of the body) in place. The end of the head is
/// searched only in bytes not searched before, so a head that arrives one byte at a time is
/// still parsed in linear time, and `httparse` runs once per head.
#[derive(Debug)]
pub struct HeadParser {
    buf: BytesMut,
    limit: usize,
    /// Blank lines skipped before the status line (they count toward the limit).
    skipped: usize,
}

/// How many headers a response may have.
const MAX_HEADERS: usize = 128;

impl HeadParser {
    /// A parser that refuses heads larger than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        HeadParser {
            buf: BytesMut::new(),
            limit,
            skipped: 0,
        }
    }

    /// Consumes head bytes from the front of `input`. Returns the head once it is complete
    /// (the body's first bytes are left in `input`), `Ok(None)` when more input is needed.
    pub fn parse(&mut self, input: &mut Bytes) -> Result<Option<ResponseHead>, Error> {
        if self.buf.is_empty() {
            // Blank lines before the status line are skipped, as httparse does, so that
            // neither they nor how they were chunked can end a head.
            let blank = input
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(input.len());
            input.advance(blank);
            self.skipped = self.skipped.saturating_add(blank);
            if self.skipped > self.limit {
                return Err(ErrorKind::HeadTooLarge { limit: self.limit }.into());
            }
            if input.is_empty() {
                return Ok(None);
            }
            if let Some(e) = not_http(input, self.window(), false) {
                return Err(e);
            }
            // Fast path: the whole head is in this chunk; parse it in place.
            if let Some(end) = find_head_end(input, 0) {
                if end > self.room() {
                    return Err(ErrorKind::HeadTooLarge { limit: self.limit }.into());
                }
                let head = input.split_to(end);
                return parse_head(&head).map(Some);
            }
            if input.len() > self.room() {
                return Err(ErrorKind::HeadTooLarge { limit: self.limit }.into());
            }
            self.buf.extend_from_slice(input);
            input.clear();
            return Ok(None);
        }
        // Slow path: the head straddles chunks. Search only where an end could newly be.
        let old = self.buf.len();
        let room = self.room().saturating_add(1);
        let take = input.len().min(room - old.min(room));
        self.buf.extend_from_slice(&input[..take]);
        if old < self.window()
            && let Some(e) = not_http(&self.buf, self.window(), false)
        {
            return Err(e);
        }
        match find_head_end(&self.buf, old.saturating_sub(3)) {
            Some(end) if end <= self.room() => {
                let head = self.buf.split_to(end).freeze();
                // Everything after the head goes back to the caller as body bytes.
                let used = end - old;
                input.advance(used);
                self.buf.clear();
                parse_head(&head).map(Some)
            }
            Some(_) => Err(ErrorKind::HeadTooLarge { limit: self.limit }.into()),
            None if self.buf.len() > self.room() => {
                Err(ErrorKind::HeadTooLarge { limit: self.limit }.into())
            }
            None => {
                input.advance(take);
                Ok(None)
            }
        }
    }

    /// Bytes buffered so far (bounded by the limit).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The error when the input ends before the head is complete: what the bytes so far
    /// are, if they cannot start a status line, otherwise an unexpected end.
    pub fn eof(&self) -> Error {
        not_http(&self.buf, self.window(), true)
            .unwrap_or_else(|| ErrorKind::UnexpectedEof("response head").into())
    }

    /// How many bytes the head may still have after the skipped blank lines.
    fn room(&self) -> usize {
        self.limit - self.skipped
    }

    /// How many bytes [`not_http`] looks at: never more than the parser buffers.
    fn window(&self) -> usize {
        SNIFF.min(self.room().saturating_add(1))
    }
}

/// How many bytes from the start of a response [`not_http`] looks at (at most the head
/// limit plus one, so the parser always buffers enough to decide).
const SNIFF: usize = 32;

/// An error when the first bytes of a response cannot start a status line (`HTTP/`): a
/// server that speaks something else (an SSH banner, random bytes, TLS records) is named
/// without waiting for a head timeout or the head limit. `start` follows any blank lines.
///
/// The error is the same however the bytes were chunked: it quotes the first line of the
/// sniff window, so once the bytes diverge from `HTTP/` it waits for a line end, a full
/// window, or (`eof`) the end of input. `None` while the bytes may still begin a head, or
/// until the quote is decided.
fn not_http(start: &[u8], window: usize, eof: bool) -> Option<Error> {
    const PREFIX: &[u8] = b"HTTP/";
    let full = start.len() >= window;
    let start = &start[..start.len().min(window)];
    let n = start.len().min(PREFIX.len());
    if n == 0 {
        return None;
    }
    if start[..n] == PREFIX[..n] {
        return None;
    }
    // TLS records start with their content type: change cipher spec, alert, handshake,
    // application data.
    let reason = if matches!(start[0], 0x14..=0x17) {
        "not HTTP: a TLS record; is the server's URL https?".to_owned()
    } else {
        let line = match memchr::memchr(b'\n', start) {
            Some(nl) => &start[..nl],
            None if full || eof => start,
            None => return None,
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        format!(
            "not HTTP: it starts with \"{}\"",
            crate::http::quoted_bytes(line)
        )
    };
    Some(invalid(&reason))
}

/// The index just past the blank line ending a head (`\n\r\n` or `\n\n`), searching from
/// `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'\n', &buf[at..]) {
        let nl = at + i;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => at = nl + 1,
        }
    }
    None
}

fn parse_head(head: &Bytes) -> Result<ResponseHead, Error> {
    let mut headers = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(invalid("incomplete head")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(invalid(&format!("more than {MAX_HEADERS} headers")));
        }
        Err(e) => return Err(invalid(&e.to_string())),
    }
    let base = head.as_ptr() as usize;
    let headers = resp
        .headers
        .iter()
        .map(|h| {
            // Header values are slices of `head`: keep them as zero-copy `Bytes`.
            let start = h.value.as_ptr() as usize - base;
            Header {
                name: h.name.to_owned(),
                value: head.slice(start..start + h.value.len()),
            }
        })
        .collect();
    Ok(ResponseHead {
        minor_version: resp.version.unwrap_or(1),
        status: resp.code.unwrap_or(0),
        reason: resp.reason.unwrap_or("").to_owned(),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\nCache-Control: private, no-store\r\n\r\n";

    fn parse_all(chunks: &[&[u8]], limit: usize) -> Result<(ResponseHead, Vec<u8>), Error> {
        let mut p = HeadParser::new(limit);
        let mut rest = Vec::new();
        let mut head = None;
        for c in chunks {
            let mut input = Bytes::copy_from_slice(c);
            if head.is_none() {
                head = p.parse(&mut input)?;
            }
            rest.extend_from_slice(&input);
        }
        Ok((head.expect("complete head"), rest))
    }

    #[test]
    fn parses_a_mastodon_head_in_one_chunk_and_byte_by_byte() {
        let mut whole = HEAD.to_vec();
        whole.extend_from_slice(b"3\r\n:)\n\r\n");
        let (h, rest) = parse_all(&[&whole], 16384).unwrap();
        assert_eq!(h.status(), 200);
        assert_eq!(h.reason(), "OK");
        assert!(h.is_event_stream());
        assert!(h.is_chunked());
        assert_eq!(h.header_str("cache-control"), Some("private, no-store"));
        assert_eq!(rest, b"3\r\n:)\n\r\n");

        let bytes: Vec<&[u8]> = whole.chunks(1).collect();
        let (h2, rest2) = parse_all(&bytes, 16384).unwrap();
        assert_eq!(h, h2);
        assert_eq!(rest2, rest);
    }

    #[test]
    fn every_split_point_gives_the_same_head() {
        let mut whole = HEAD.to_vec();
        whole.extend_from_slice(b"body");
        let (want, _) = parse_all(&[&whole], 16384).unwrap();
        for i in 0..whole.len() {
            let (a, b) = whole.split_at(i);
            let (h, rest) = parse_all(&[a, b], 16384).unwrap();
            assert_eq!(h, want, "split at {i}");
            assert_eq!(rest, b"body", "split at {i}");
        }
    }

    #[test]
    fn head_too_large_is_refused_at_any_chunking() {
        let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..100 {
            big.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "a".repeat(100)).as_bytes());
        }
        big.extend_from_slice(b"\r\n");
        let err = parse_all(&[&big], 1024).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::HeadTooLarge { limit: 1024 }
        ));
        let bytes: Vec<&[u8]> = big.chunks(7).collect();
        let err = parse_all(&bytes, 1024).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::HeadTooLarge { limit: 1024 }
        ));
        // An endless head without a blank line is refused too, with bounded memory.
        let mut p = HeadParser::new(1024);
        let mut status = Bytes::from_static(b"HTTP/1.1 200 OK\r\n");
        assert!(p.parse(&mut status).unwrap().is_none());
        let mut failed = false;
        for _ in 0..1000 {
            let mut input = Bytes::from_static(b"X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
            if p.parse(&mut input).is_err() {
                failed = true;
                break;
            }
            assert!(p.buffered() <= 1025);
        }
        assert!(failed);
    }

    #[test]
    fn blank_lines_before_the_status_line_end_nothing_at_any_chunking() {
        // Found by fuzzing: `\n\n` arriving alone used to end an (empty) head, while the
        // same bytes whole were judged by what followed them.
        let mut wire = b"\n".repeat(18);
        wire.extend_from_slice(b"\x94 hello\n\n");
        let want = "not a valid HTTP response (not HTTP: it starts with \"\u{fffd} hello\")";
        for size in [1, 2, 5, wire.len()] {
            let mut p = HeadParser::new(1024);
            let err = wire
                .chunks(size)
                .find_map(|c| p.parse(&mut Bytes::copy_from_slice(c)).err())
                .expect("an error");
            assert_eq!(err.to_string(), want, "chunks of {size}");
        }
        // They count toward the limit.
        let err = parse_all(&[&b"\r\n".repeat(600)], 1024).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::HeadTooLarge { .. }),
            "{err:?}"
        );
        let mut wire = b"\r\n".repeat(100);
        wire.extend_from_slice(HEAD);
        let (h, _) = parse_all(&wire.chunks(3).collect::<Vec<_>>(), 1024).unwrap();
        assert_eq!(h.status(), 200);
    }

    #[test]
    fn garbage_is_an_invalid_head() {
        let err = parse_all(&[b"SSH-2.0-OpenSSH_9.6\r\n\r\n"], 1024).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidHead { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn what_cannot_start_a_status_line_fails_at_once() {
        // An SSH banner held open: named at its line end, without waiting for a blank
        // line that never comes, and the same at any chunking.
        let banner: &[u8] = b"SSH-2.0-OpenSSH_9.6\r\n";
        let want = "not a valid HTTP response (not HTTP: it starts with \"SSH-2.0-OpenSSH_9.6\")";
        for size in [1, 2, 7, banner.len()] {
            let mut p = HeadParser::new(16 * 1024);
            let err = banner
                .chunks(size)
                .find_map(|chunk| p.parse(&mut Bytes::copy_from_slice(chunk)).err())
                .expect("an error by the line end");
            assert_eq!(err.to_string(), want, "chunks of {size}");
        }
        // Without a line end: the first 32 bytes, or what came before the end of input.
        let err = parse_all(&[&[b'x'; 40]], 1024).unwrap_err();
        assert!(
            err.to_string().contains(&format!("\"{}\"", "x".repeat(32))),
            "{err}"
        );
        let mut p = HeadParser::new(1024);
        assert!(p.parse(&mut Bytes::from_static(b"SS")).unwrap().is_none());
        assert_eq!(
            p.eof().to_string(),
            "not a valid HTTP response (not HTTP: it starts with \"SS\")"
        );
        let mut p = HeadParser::new(1024);
        assert!(
            p.parse(&mut Bytes::from_static(b"HTTP/1.1 2"))
                .unwrap()
                .is_none()
        );
        assert!(matches!(p.eof().kind(), ErrorKind::UnexpectedEof(_)));
        // A TLS alert (what a TLS server answers to plain text).
        let err = parse_all(&[b"\x15\x03\x03\x00\x02\x02\x0a"], 1024).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a valid HTTP response (not HTTP: a TLS record; is the server's URL https?)"
        );
        // A status line that arrives a byte at a time, after an empty line, is still fine;
        // a wrong version after `HTTP/` is left to httparse, once the head is whole.
        let mut whole = b"\r\n".to_vec();
        whole.extend_from_slice(HEAD);
        let bytes: Vec<&[u8]> = whole.chunks(1).collect();
        let (h, _) = parse_all(&bytes, 16384).unwrap();
        assert_eq!(h.status(), 200);
        let err = parse_all(&[b"HTTP/9 200 OK\r\n\r\n"], 1024).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidHead { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn reads_length_retry_after_and_location() {
        let (h, _) = parse_all(
            &[b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 17\r\nRetry-After: 30\r\nLocation: https://x.example/\r\n\r\n"],
            1024,
        )
        .unwrap();
        assert_eq!(h.content_length().unwrap(), Some(17));
        assert_eq!(
            h.retry_after(),
            Some(RetryAfter::Delay(Duration::from_secs(30)))
        );
        assert_eq!(h.location(), Some("https://x.example/"));

        let (h, _) = parse_all(
            &[b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n"],
            1024,
        )
        .unwrap();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(h.retry_after(), Some(RetryAfter::At(at)));
        let now = at - Duration::from_secs(90);
        assert_eq!(
            h.retry_after().unwrap().delay_from(now),
            Duration::from_secs(90)
        );
        assert_eq!(
            h.retry_after()
                .unwrap()
                .delay_from(at + Duration::from_secs(5)),
            Duration::ZERO
        );
    }

    #[test]
    fn conflicting_content_lengths_are_an_error() {
        let (h, _) = parse_all(
            &[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"],
            1024,
        )
        .unwrap();
        assert!(h.content_length().is_err());
        let (h, _) =
            parse_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"], 1024).unwrap();
        assert_eq!(h.content_length().unwrap(), Some(5));
    }

    #[test]
    fn lf_only_heads_are_accepted() {
        let (h, rest) = parse_all(
            &[b"HTTP/1.0 200 OK\nContent-Type: text/event-stream\n\nbody"],
            1024,
        )
        .unwrap();
        assert_eq!(h.minor_version(), 0);
        assert!(h.is_event_stream());
        assert_eq!(rest, b"body");
    }
}
