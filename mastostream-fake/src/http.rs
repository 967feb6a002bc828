//! Just enough HTTP/1.1 for the fake server: reading a request head, writing responses and
//! chunks, canned error replies as Mastodon and nginx send them.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use crate::auth::TokenPlace;

/// A request as the fake server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method (`GET`).
    pub method: String,
    /// The request target, exactly as sent (path and query).
    pub target: String,
    /// The path part of the target.
    pub path: String,
    /// The query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// Whether the request came over TLS.
    pub tls: bool,
    /// Whether it arrived on the separate streaming port.
    pub streaming_port: bool,
}

impl RecordedRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every place this request carried an access token, in [`TokenPlace::ALL`]'s order:
    /// an `Authorization` header, the `access_token` or `i` parameter, a
    /// `Sec-WebSocket-Protocol` header.
    pub fn token_places(&self) -> Vec<TokenPlace> {
        TokenPlace::ALL
            .into_iter()
            .filter(|p| match p {
                TokenPlace::Authorization => self.header("authorization").is_some(),
                _ => p.read(self).is_some(),
            })
            .collect()
    }

    /// Whether this is a request for a stream (`/api/v1/streaming/...`, not `health`).
    pub fn is_stream(&self) -> bool {
        self.path.starts_with("/api/v1/streaming") && self.path != "/api/v1/streaming/health"
    }
}

/// A canned HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, reason: &str, body: &str) -> Reply {
        Reply {
            status,
            reason: reason.to_owned(),
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Mastodon's error body, `{"error":"..."}`, with `status`.
    pub fn error(status: u16, reason: &str, message: &str) -> Reply {
        let body = format!("{{\"error\":{}}}", json_string(message));
        Reply::json(status, reason, &body)
    }

    /// `401` with Mastodon's message, e.g. `Invalid access token`.
    pub fn unauthorized(message: &str) -> Reply {
        Reply::error(401, "Unauthorized", message)
    }

    /// `429 Too Many Requests` with `Retry-After: secs`.
    pub fn too_many_requests(retry_after_secs: u64) -> Reply {
        Reply::retry_later(429, retry_after_secs)
    }

    /// `503 Service Unavailable`, with `Retry-After` when given.
    pub fn unavailable(retry_after_secs: Option<u64>) -> Reply {
        match retry_after_secs {
            Some(s) => Reply::retry_later(503, s),
            None => Reply::error(503, "Service Unavailable", "Service unavailable"),
        }
    }

    /// `status` (with its standard reason phrase, and Mastodon's error body) and
    /// `Retry-After: secs`: `retry_later(429, 30)`, `retry_later(503, 5)`.
    pub fn retry_later(status: u16, retry_after_secs: u64) -> Reply {
        let reason = reason_phrase(status);
        let message = match status {
            429 => "Too many requests",
            503 => "Service unavailable",
            _ => reason,
        };
        Reply::error(status, reason, message)
            .with_header("Retry-After", &retry_after_secs.to_string())
    }

    /// `500` as Mastodon's streaming server sends it.
    pub fn internal_error() -> Reply {
        Reply::error(500, "Internal Server Error", "Internal server error")
    }

    /// nginx's `502 Bad Gateway` HTML page (the streaming server is down behind it).
    pub fn bad_gateway_html() -> Reply {
        Reply {
            status: 502,
            reason: "Bad Gateway".into(),
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".to_vec(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The whole response, `Content-Length` delimited, `Connection: close`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The standard reason phrase of a status code (`Error` for codes without one here).
fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The head of Mastodon's SSE response (as nginx forwards it).
pub(crate) const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: nginx\r\n\
Content-Type: text/event-stream\r\n\
Transfer-Encoding: chunked\r\n\
Connection: keep-alive\r\n\
Cache-Control: private, no-store\r\n\
Access-Control-Allow-Origin: *\r\n\r\n";

/// One HTTP/1.1 chunk carrying `data`.
pub(crate) fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// A server-side connection: plain TCP or TLS over it.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// The largest request head read.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// Reads and parses one request head. `None` when the peer closed or sent something that is
/// not a request.
pub(crate) fn read_request(
    conn: &mut Conn,
    tls: bool,
    streaming_port: bool,
) -> Option<RecordedRequest> {
    let mut buf = Vec::with_capacity(1024);
    let mut tmp = [0u8; 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_REQUEST_HEAD {
            return None;
        }
        match conn.read(&mut tmp) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    parse_request(&String::from_utf8_lossy(&buf[..end]), tls, streaming_port)
}

/// Parses a request head (without its final blank line).
pub(crate) fn parse_request(
    head: &str,
    tls: bool,
    streaming_port: bool,
) -> Option<RecordedRequest> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    Some(RecordedRequest {
        method,
        path: path.to_owned(),
        target,
        query,
        headers,
        tls,
        streaming_port,
    })
}

/// Decodes `%XX` escapes (and `+` as space), lossily as UTF-8.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            x => {
                out.push(x);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn replies_encode_with_length() {
        let r = Reply::too_many_requests(3).encode();
        let text = String::from_utf8(r).unwrap();
        assert!(text.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
        assert!(text.contains("Retry-After: 3\r\n"));
        assert!(text.ends_with("\r\n\r\n{\"error\":\"Too many requests\"}"));
        assert_eq!(json_string("a\"b\n"), "\"a\\\"b\\u000a\"");
        assert_eq!(chunk(b":)\n"), b"3\r\n:)\n\r\n");
    }
}
