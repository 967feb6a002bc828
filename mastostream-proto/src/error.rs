//! Errors: [`Error`] ends a connection; [`DecodeError`] costs one event and the stream goes on.

use std::fmt;

/// A non-fatal problem with one event: the event is delivered as malformed (or skipped) and
/// the stream continues with the next one. Nothing before or after it is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line was longer than the configured limit; the rest of its event was skipped.
    #[error("line longer than the {limit}-byte limit; event skipped")]
    LineTooLong {
        /// The configured maximum line length in bytes.
        limit: usize,
    },
    /// An event's data grew past the configured limit; the rest of the event was skipped.
    #[error("event data larger than the {limit}-byte limit; event skipped")]
    EventTooLarge {
        /// The configured maximum event size in bytes.
        limit: usize,
    },
    /// The payload is not valid UTF-8 (Mastodon always sends UTF-8 JSON).
    #[error("payload is not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte in the payload.
        offset: usize,
    },
    /// The payload is not the JSON this event carries.
    #[error("invalid JSON payload: {message}")]
    Json {
        /// What the JSON parser reported.
        message: String,
    },
    /// A bare-id payload (`delete`, `announcement.delete`) is not an id.
    #[error("invalid id payload {text:?}")]
    InvalidId {
        /// The payload, shortened to at most 64 bytes.
        text: String,
    },
    /// An event has a payload shape this event type never has.
    #[error("unexpected payload: {message}")]
    Unexpected {
        /// What was unexpected.
        message: String,
    },
}

/// A fatal error: the connection it happened on is over.
///
/// Boxed so that `Result<T, Error>` stays one word wide on the happy path. Match on
/// [`Error::kind`]; ask [`Error::is_transient`] whether reconnecting may help.
#[derive(Clone)]
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consumes the error, returning its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Whether trying again later may succeed (network trouble, server errors, rate limits),
    /// as opposed to errors that will repeat (bad token, unknown stream).
    pub fn is_transient(&self) -> bool {
        self.0.is_transient()
    }

    /// The HTTP status this error carries, when the server answered with one.
    pub fn status(&self) -> Option<u16> {
        match &*self.0 {
            ErrorKind::Status { head, .. }
            | ErrorKind::UpgradeRefused { head, .. }
            | ErrorKind::NotEventStream { head } => Some(head.status()),
            _ => None,
        }
    }

    /// The server's own error message (`{"error": "..."}`), when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match &*self.0 {
            ErrorKind::Status { message, .. } | ErrorKind::UpgradeRefused { message, .. } => {
                message.as_deref()
            }
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl From<ChunkedError> for Error {
    fn from(e: ChunkedError) -> Self {
        ErrorKind::Chunked(e).into()
    }
}

impl From<crate::instance::UrlError> for Error {
    fn from(e: crate::instance::UrlError) -> Self {
        ErrorKind::Url(e).into()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The kinds of fatal error. Each one's `Display` is a reason fit for a log line: it says
/// exactly what was wrong (`503 Service Unavailable (Retry-After 30 s)`, `response head
/// over 16 KiB`, `not an event stream (Content-Type text/html)`, `no response head after
/// 15 s`). Text the server controls is quoted bounded, control characters escaped.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The response head did not fit in the configured limit.
    #[error("response head over {}", bytes(*limit))]
    HeadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The response head is not valid HTTP/1.x (garbage, or a malformed header).
    #[error("not a valid HTTP response ({reason})")]
    InvalidHead {
        /// What was wrong with it.
        reason: String,
    },
    /// The chunked transfer coding of the body is broken.
    #[error("invalid chunked body: {0}")]
    Chunked(#[from] ChunkedError),
    /// The connection ended before the body did.
    #[error("connection closed before the end of the {0}")]
    UnexpectedEof(&'static str),
    /// A REST response body was larger than the limit.
    #[error("response body over {}", bytes(*limit))]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The server answered with a status other than 2xx.
    #[error("{}", status_display(head, message.as_deref()))]
    Status {
        /// The response head (status, reason, headers such as `Location` and `Retry-After`).
        head: crate::http::ResponseHead,
        /// The server's error message: the `error` field of a JSON body, or a short text body.
        message: Option<String>,
    },
    /// The server answered a WebSocket upgrade with something other than `101 Switching
    /// Protocols`.
    #[error("WebSocket upgrade refused: {} (expected 101 Switching Protocols)", status_display(head, message.as_deref()))]
    UpgradeRefused {
        /// The response head.
        head: crate::http::ResponseHead,
        /// The server's error message, if it sent one.
        message: Option<String>,
    },
    /// The server closed the WebSocket with a close frame.
    #[error("server closed the WebSocket{}", close_display(*code, reason))]
    WebSocketClosed {
        /// The close frame's status code, if it had one.
        code: Option<u16>,
        /// The close frame's reason (bounded, control characters escaped).
        reason: String,
    },
    /// A timer ran out.
    #[error("{0}")]
    Timeout(Timeout),
    /// The transport failed: connecting (DNS, refused, TLS) or reading/writing. The adapter
    /// reports the error's kind and text; proto never holds an `io::Error`.
    #[error("{}: {message}", if *.connecting { "connect failed" } else { "connection error" })]
    Transport {
        /// Whether the failure happened while connecting.
        connecting: bool,
        /// The I/O error kind the adapter saw.
        kind: std::io::ErrorKind,
        /// The error's text.
        message: String,
    },
    /// The server ended the stream: a clean end of body or connection.
    #[error("server closed the stream")]
    Closed,
    /// More redirects in a row than allowed.
    #[error("more than {limit} redirects in a row")]
    TooManyRedirects {
        /// The configured limit.
        limit: u32,
    },
    /// A redirect leads back to a URL already visited in the same chain.
    #[error("redirect loop: {location} was already visited")]
    RedirectLoop {
        /// The URL visited twice.
        location: String,
    },
    /// A redirect's `Location` is unusable: not http(s), a downgrade from https to http,
    /// or not a URL.
    #[error("redirect to {location:?} refused: {error}")]
    BadRedirect {
        /// The `Location` as the server sent it (bounded, escaped).
        location: String,
        /// What is wrong with it.
        error: crate::instance::UrlError,
    },
    /// A URL (configured, or from a `Link` header) is unusable.
    #[error("{0}")]
    Url(#[from] crate::instance::UrlError),
    /// The configuration cannot work (for example, an SSE session without a stream).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server cannot do what was asked (for example, it has no Mastodon streaming API).
    #[error("{0}")]
    Unsupported(String),
    /// Reconnecting failed too many times in a row.
    #[error("gave up after {attempts} failed attempts; last error: {last}")]
    GaveUp {
        /// How many attempts failed.
        attempts: u32,
        /// The last failure.
        last: Box<Error>,
    },
    /// A response is not what the request asks for (for example, `/api/v2/instance`
    /// without a usable streaming URL).
    #[error("unexpected response: {0}")]
    UnexpectedResponse(String),
    /// The server answered 2xx, but not with `text/event-stream`.
    #[error("not an event stream (Content-Type {})", head.content_type().map_or_else(|| "missing".to_owned(), crate::http::quoted))]
    NotEventStream {
        /// The response head.
        head: crate::http::ResponseHead,
    },
}

/// `16 KiB`, `1 MiB`, `100 bytes`.
fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// `503 Service Unavailable (Retry-After 30 s): message`.
fn status_display(head: &crate::http::ResponseHead, message: Option<&str>) -> String {
    let mut s = head.status().to_string();
    let reason = crate::http::quoted(head.reason());
    if !reason.is_empty() {
        s.push(' ');
        s.push_str(&reason);
    }
    if let Some(v) = head.header_str("retry-after").filter(|v| !v.is_empty()) {
        match head.retry_after() {
            // Seconds as the server wrote them: a value past `u64::MAX` (read saturating)
            // is shown as sent, not as the number it was clamped to.
            Some(crate::http::RetryAfter::Delay(_)) => {
                s.push_str(&format!(" (Retry-After {} s)", crate::http::quoted(v)));
            }
            _ => s.push_str(&format!(" (Retry-After {})", crate::http::quoted(v))),
        }
    }
    if let Some(m) = message {
        s.push_str(": ");
        s.push_str(m);
    }
    s
}

fn close_display(code: Option<u16>, reason: &str) -> String {
    match (code, reason.is_empty()) {
        (None, _) => String::new(),
        (Some(c), true) => format!(" ({c})"),
        (Some(c), false) => format!(" ({c}: {reason})"),
    }
}

impl ErrorKind {
    fn is_transient(&self) -> bool {
        match self {
            ErrorKind::Status { head, .. } => {
                let s = head.status();
                s == 408 || s == 425 || s == 429 || s >= 500
            }
            ErrorKind::UpgradeRefused { head, .. } => {
                let s = head.status();
                s < 400 || s == 408 || s == 425 || s == 429 || s >= 500
            }
            ErrorKind::TooManyRedirects { .. }
            | ErrorKind::RedirectLoop { .. }
            | ErrorKind::BadRedirect { .. }
            | ErrorKind::Url(_)
            | ErrorKind::Config(_)
            | ErrorKind::Unsupported(_)
            | ErrorKind::GaveUp { .. } => false,
            ErrorKind::Timeout(_)
            | ErrorKind::Transport { .. }
            | ErrorKind::Closed
            | ErrorKind::WebSocketClosed { .. }
            | ErrorKind::NotEventStream { .. }
            | ErrorKind::UnexpectedResponse(_) => true,
            ErrorKind::HeadTooLarge { .. }
            | ErrorKind::InvalidHead { .. }
            | ErrorKind::Chunked(_)
            | ErrorKind::BodyTooLarge { .. }
            | ErrorKind::UnexpectedEof(_) => true,
        }
    }
}

/// Which timer ran out, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Timeout {
    /// Connecting (TCP and TLS; a WebSocket's upgrade too) took too long.
    #[error("could not connect within {}", secs(*.0))]
    Connect(std::time::Duration),
    /// The response head did not arrive in time.
    #[error("no response head after {}", secs(*.0))]
    Head(std::time::Duration),
    /// Nothing arrived on a live stream for too long (Mastodon sends a heartbeat every
    /// 15 s, and pings a WebSocket every 30 s; three missed mean the connection is dead).
    #[error("nothing received for {} (not even a heartbeat): connection presumed dead", secs(*.0))]
    Idle(std::time::Duration),
    /// A REST request did not complete in time.
    #[error("request not answered within {}", secs(*.0))]
    Request(std::time::Duration),
}

/// `10 s`, `1.5 s`.
fn secs(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What was wrong with a chunked body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkedError {
    /// A chunk-size line did not start with a hex digit, or had junk after the size.
    #[error("invalid chunk size line (unexpected byte {0:#04x})")]
    InvalidSize(u8),
    /// A chunk size does not fit in 64 bits.
    #[error("chunk size overflows 64 bits")]
    SizeOverflow,
    /// A chunk's data was not followed by CRLF.
    #[error("chunk data not followed by CRLF (found byte {0:#04x})")]
    MissingCrlf(u8),
    /// A chunk-size line (with its extensions) was longer than the limit.
    #[error("chunk size line longer than {0} bytes")]
    LineTooLong(usize),
    /// The trailer section was larger than the limit.
    #[error("trailer section larger than {0} bytes")]
    TrailersTooLarge(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Header, ResponseHead};

    fn unavailable(retry_after: &str) -> Error {
        let header = Header {
            name: "Retry-After".into(),
            value: bytes::Bytes::copy_from_slice(retry_after.as_bytes()),
        };
        ErrorKind::Status {
            head: ResponseHead::new(503, "Service Unavailable", vec![header]),
            message: None,
        }
        .into()
    }

    #[test]
    fn retry_after_is_shown_as_the_server_sent_it() {
        for (value, shown) in [
            ("30", "30 s"),
            ("9999999999999999999", "9999999999999999999 s"),
            // Past u64::MAX: read saturating, shown as sent.
            (
                "99999999999999999999999999999999",
                "99999999999999999999999999999999 s",
            ),
            (
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Fri, 31 Dec 9999 23:59:59 GMT",
            ),
            ("soon", "soon"),
        ] {
            assert_eq!(
                unavailable(value).to_string(),
                format!("503 Service Unavailable (Retry-After {shown})")
            );
        }
        // An empty value says nothing: nothing is shown.
        assert_eq!(unavailable("").to_string(), "503 Service Unavailable");
        let long = "9".repeat(10_000);
        let text = unavailable(&long).to_string();
        assert!(text.len() < 300 && text.ends_with("… s)"), "{text}");
    }
}
