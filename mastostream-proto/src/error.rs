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
#[derive(Debug, thiserror::Error)]
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
    /// The server answered with a status other than 2xx.
    #[error("{}", status_display(head, message))]
    Status {
        /// The response head (status, reason, headers such as `Location` and `Retry-After`).
        head: crate::http::ResponseHead,
        /// The server's error message: the `error` field of a JSON body, or a short text body.
        message: Option<String>,
    },
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
            ErrorKind::NotEventStream { .. } => false,
            ErrorKind::HeadTooLarge { .. }
            | ErrorKind::InvalidHead { .. }
            | ErrorKind::Chunked(_)
            | ErrorKind::UnexpectedEof(_) => true,
        }
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
