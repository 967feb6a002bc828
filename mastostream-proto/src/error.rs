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
            ErrorKind::Status { head, .. } | ErrorKind::NotEventStream { head } => {
                Some(head.status())
            }
            _ => None,
        }
    }

    /// The server's own error message (`{"error": "..."}`), when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match &*self.0 {
            ErrorKind::Status { message, .. } => message.as_deref(),
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

impl From<crate::session::UrlError> for Error {
    fn from(e: crate::session::UrlError) -> Self {
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

/// The kinds of fatal error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The response head did not fit in the configured limit.
    #[error("response head larger than the {limit}-byte limit")]
    HeadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The response head is not valid HTTP/1.x.
    #[error("invalid HTTP response head: {reason}")]
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
    #[error("response body larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The server answered with a status other than 2xx.
    #[error("{}", status_display(head, message))]
    Status {
        /// The response head (status, reason, headers such as `Location` and `Retry-After`).
        head: crate::http::ResponseHead,
        /// The server's error message: the `error` field of a JSON body, or a short text body.
        message: Option<String>,
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
    /// A URL (configured, or from a redirect or `Link` header) is unusable.
    #[error("{0}")]
    Url(#[from] crate::session::UrlError),
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
    #[error("expected text/event-stream, server sent {}", head.content_type().unwrap_or("no Content-Type"))]
    NotEventStream {
        /// The response head.
        head: crate::http::ResponseHead,
    },
}

fn status_display(head: &crate::http::ResponseHead, message: &Option<String>) -> String {
    let mut s = format!("server answered {}", head.status());
    if !head.reason().is_empty() {
        s.push(' ');
        s.push_str(head.reason());
    }
    if let Some(m) = message {
        s.push_str(": ");
        s.push_str(m);
    }
    s
}

impl ErrorKind {
    fn is_transient(&self) -> bool {
        match self {
            ErrorKind::Status { head, .. } => {
                let s = head.status();
                s == 408 || s == 429 || s >= 500
            }
            ErrorKind::NotEventStream { .. }
            | ErrorKind::TooManyRedirects { .. }
            | ErrorKind::Url(_)
            | ErrorKind::GaveUp { .. } => false,
            ErrorKind::Timeout(_)
            | ErrorKind::Transport { .. }
            | ErrorKind::Closed
            | ErrorKind::UnexpectedResponse(_) => true,
            ErrorKind::HeadTooLarge { .. }
            | ErrorKind::InvalidHead { .. }
            | ErrorKind::Chunked(_)
            | ErrorKind::BodyTooLarge { .. }
            | ErrorKind::UnexpectedEof(_) => true,
        }
    }
}

/// Which timer ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Timeout {
    /// Connecting (TCP and TLS) took too long.
    #[error("connect timed out")]
    Connect,
    /// The response head did not arrive in time.
    #[error("no response head in time")]
    Head,
    /// Nothing arrived on a live stream for too long (Mastodon sends a heartbeat every
    /// 15 s; three missed heartbeats mean the connection is dead).
    #[error("no data (not even a heartbeat) for too long: connection presumed dead")]
    Idle,
    /// A REST request did not complete in time.
    #[error("request timed out")]
    Request,
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
